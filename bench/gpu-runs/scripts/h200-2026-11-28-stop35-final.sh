#!/usr/bin/env bash
# Stop 35's second device call (H200), at the stop's last commit: the test suite with CUDA present after the stop's
# merges (the independent checks of the confusion split, the reliability scores, the exports and the components),
# check-device and the cuda/cpu/auto merges of gpu.sh run (no 10 M set), then the 10 M survey's zone merge with its
# spill and its output on the disk or on /dev/shm, to tell how much of its 18-20 s (run 1) is that machine's disk.
# Pack with `bench/gpu.sh pack`; device command "bash bench/gpu-runs/scripts/h200-2026-11-28-stop35-final.sh",
# carry [".device"], timeout ~420 s.
set -u
export OUT="${OUT:-/tmp/wdb-gpu-out}"; mkdir -p "$OUT"
s=$(date +%s)
SCALE=100 RUNS=1 TESTS_TIMEOUT=200 MERGE_TIMEOUT=60 timeout 280 bash bench/gpu.sh run \
  > "$OUT/gpu-run.stdout" 2>&1 || echo "gpu.sh run: exit $?" >> "$OUT/gpu-run.md"
{ grep -B2 -A14 "\[FAIL\]" "$OUT/tests.log" | head -100; grep "\[SKIP\]" "$OUT/tests.log"; echo "gpu.sh run took $(( $(date +%s) - s )) s"; } >> "$OUT/gpu-run.md"
tail -30 "$OUT/gpu-run.md"
. bench/gpu-runs/scripts/unpack.sh zones
W="$NEW"; log="$OUT/zones.md"; shm=/dev/shm/wdb-zones; mkdir -p $shm
free -g | head -2 | tee "$log"; df -h /tmp /dev/shm | tee -a "$log"
one() { local tag=$1 out=$2; shift 2; local s=$(date +%s%N); rm -rf $out
  timeout 60 $W merge $T/big.csv --out $out --quiet --zone-rows 1000000 --device cpu "$@" > $T/log 2>&1 || echo "$tag failed: $(tail -2 $T/log)"
  echo "| $tag | $(( ($(date +%s%N) - s) / 1000000 )) | $(tr -d ' \n' < $out/summary.json | grep -o '"stage_seconds":{[^}]*}' | cut -c17-) |"
  cp $out/summary.json "$OUT/summary-$tag.json"; }
{ echo "| 10 M survey in 1 M-row zones, cpu | wall ms | stage seconds |"; echo "| --- | --- | --- |"
  one disk-disk $T/o1
  one shm-spill $T/o2 --spill-dir $shm/spill
  rm -rf $T/o1; one shm-spill-shm-out $shm/o3 --spill-dir $shm/spill
  for f in groups.fb members.fb extractions.fb sky.fb rejects.csv; do cmp -s $T/o2/$f $shm/o3/$f && echo "$f identical" || echo "$f DIFFERS"; done
} 2>&1 | tee -a "$log"
rm -rf $T $shm
