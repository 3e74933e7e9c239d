#!/usr/bin/env bash
# Stop 35's device call (H200, first GPU since stop 28): everything since then on CUDA in one call.
# 1. bench/gpu.sh run: check-device (groups against the CPU engine, link rows/s), the whole test suite with CUDA
#    present, end-to-end merges on cuda, cpu and auto (a 1 M-source survey, a 600-scan tile, the 10 M survey held
#    whole), every table compared byte for byte with the cpu merge's.
# 2. next-cluster.sh (ready since stop 28): the cluster merge with its tasks linking on CUDA against wdb merge.
# 3. The 10 M survey's zone merge (1 M-row zones) on cuda against cpu: tables compared.
# Pack with `bench/gpu.sh pack`; device command "bash bench/gpu-runs/scripts/h200-2026-11-28-stop35.sh",
# carry [".device"], timeout ~420 s.
set -u
export OUT="${OUT:-/tmp/wdb-gpu-out}"; mkdir -p "$OUT"
s=$(date +%s)
SCALE=100 RUNS=1 BIG_SOURCES=6000000 TESTS_TIMEOUT=200 MERGE_TIMEOUT=60 timeout 330 bash bench/gpu.sh run \
  > "$OUT/gpu-run.stdout" 2>&1 || echo "gpu.sh run: exit $?" >> "$OUT/gpu-run.md"
{ grep -B2 -A14 "\[FAIL\]" "$OUT/tests.log" | head -100; echo "gpu.sh run took $(( $(date +%s) - s )) s"; } >> "$OUT/gpu-run.md"
tail -40 "$OUT/gpu-run.md"
s=$(date +%s)
timeout 120 bash bench/gpu-runs/scripts/next-cluster.sh > /dev/null 2>&1 || echo "next-cluster.sh: exit $?" >> "$OUT/cluster.md"
echo "cluster took $(( $(date +%s) - s )) s" >> "$OUT/cluster.md"; cat "$OUT/cluster.md"
. bench/gpu-runs/scripts/unpack.sh zones
W="$NEW"; log="$OUT/zones.md"
one() { local tag=$1; shift; local s=$(date +%s%N); rm -rf $T/$tag
  timeout 60 $W merge $T/big.csv --out $T/$tag --quiet --zone-rows 1000000 "$@" > $T/log 2>&1 || echo "$tag failed: $(tail -2 $T/log)"
  echo "| $tag | $(( ($(date +%s%N) - s) / 1000000 )) | $(tr -d ' \n' < $T/$tag/summary.json | grep -o '"stage_seconds":{[^}]*}' | cut -c17-) |"; }
{ echo "| zone merge, 10 M survey | wall ms | stage seconds |"; echo "| --- | --- | --- |"
  one zones-cpu --device cpu; one zones-cuda --device cuda
  for f in groups.fb members.fb extractions.fb sky.fb rejects.csv; do cmp -s $T/zones-cpu/$f $T/zones-cuda/$f && echo "$f identical" || echo "$f DIFFERS"; done
} 2>&1 | tee "$log"
rm -rf $T
