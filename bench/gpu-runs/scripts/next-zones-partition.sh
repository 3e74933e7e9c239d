#!/usr/bin/env bash
# Ready for the next device call (not run yet, stop 27): the zone merge's partition in row slices and the block
# hand-over by columns (NOTES 93), and the output runs' merge with one copy (NOTES 92), against the commit before
# them, on a many-core machine where the 2-core VM cannot tell. Pack both as per-assembly ReadyToRun builds:
#   BASE=7df71e4 bench/gpu.sh pack      then: device command "bash bench/gpu-runs/scripts/next-zones-partition.sh",
#   carry [".device"], timeout ~400 s. The 10 M survey in 1 M-row zones, outputs and spill on /dev/shm (the disk
# bounded the write stage there, NOTES 90), then on /tmp; alternating, 2 runs each, tables compared.
set -u
. bench/gpu-runs/scripts/unpack.sh zp
log="$OUT/zones-partition.md"
# A stage's value from summary.json's indented layout: the line of that stage inside the named object.
value() { awk -v dict="$2" -v stage="$3" '$0 ~ "^  \"" dict "\": \\{" { on = 1; next } /^  \}/ { on = 0 }
  on && $0 ~ "^ *\"" stage "\":" { v = $2; sub(/,$/, "", v); print v }' "$1"; }
one() {
  local tag=$1 bin=$2 where=$3; local o=$where/wdb-zp-$tag; local s=$(date +%s%N); rm -rf $o $where/wdb-zp-spill
  timeout 120 $bin merge $T/big.csv --out $o --spill-dir $where/wdb-zp-spill --quiet --device cpu --zone-rows 1000000 > $T/log 2>&1 \
    || echo "$tag failed: $(tail -2 $T/log)"
  local e=$(date +%s%N); local j=$o/summary.json
  echo "| $tag | $(( (e - s) / 1000000 )) | $(value $j stage_seconds read) | $(value $j stage_cpu_seconds read) | $(value $j stage_seconds spill) | $(value $j stage_seconds write) | $(value $j stage_cpu_seconds write) |"
}
same() { for f in groups.fb members.fb extractions.fb sky.fb; do cmp -s $1/wdb-zp-$2/$f $1/wdb-zp-$3/$f || { echo "$2 and $3: $f DIFFERS"; return; }; done; echo "$2 and $3: tables identical"; }
{ echo "$(date -u +%FT%TZ) $(nproc) cores; new $(cat .device/run/wdb/COMMIT | tr '\n' ' ') base $(cat .device/run/wdb-base/COMMIT)"
  for where in /dev/shm /tmp; do
    echo; echo "outputs and spill on $where"
    echo "| run | wall ms | read s | read CPU s | spill s | write s | write CPU s |"; echo "| --- | --- | --- | --- | --- | --- | --- |"
    for i in 1 2; do one base $BASE $where; one new $NEW $where; done; same $where new base
    rm -rf $where/wdb-zp-*
  done
} 2>&1 | tee "$log"
rm -rf $T
