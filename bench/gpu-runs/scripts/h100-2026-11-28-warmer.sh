#!/usr/bin/env bash
# Stop 26's fourth device call: the page warmer (6d6bbf0) against the build before it (2200abc), both per-assembly
# ReadyToRun (BASE=HEAD~1 bench/gpu.sh pack), alternating, on every core: the 10 M survey held whole, the 3.25 M tile.
set -u
export OUT="${OUT:-/tmp/wdb-gpu-out}"; mkdir -p "$OUT"
rm -rf .device/run; mkdir -p .device/run; tar -C .device/run -xJf .device/wdb-linux-x64.tar.xz
NEW="$PWD/.device/run/wdb/wdb"; BASE="$PWD/.device/run/wdb-base/wdb"; T=/tmp/wdb-warm; rm -rf $T; mkdir -p $T
ldconfig -p | grep -q libicuuc || export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
log="$OUT/warmer.md"
$NEW gen survey --sources 6000000 --seed 1 --out $T/big.csv > /dev/null
$NEW gen caltile --sources 5000 --scans 600 --seed 7 --out $T/tile.csv > /dev/null
# A stage's value from summary.json's indented layout: the line of that stage inside the named object.
value() { awk -v dict="$2" -v stage="$3" '$0 ~ "^  \"" dict "\": \\{" { on = 1; next } /^  \}/ { on = 0 }
  on && $0 ~ "^ *\"" stage "\":" { v = $2; sub(/,$/, "", v); print v }' "$1"; }
one() {
  local tag=$1 bin=$2 in=$3; local s=$(date +%s%N); rm -rf $T/o-$tag
  timeout 90 $bin merge $in --out $T/o-$tag --quiet --device cpu --zone-rows 0 > $T/log 2>&1 || echo "$tag failed: $(tail -2 $T/log)"
  local e=$(date +%s%N); local j=$T/o-$tag/summary.json
  echo "| $tag | $(( (e - s) / 1000000 )) | $(value $j stage_seconds read) | $(value $j stage_cpu_seconds read) | $(value $j stage_system_cpu_seconds read) | $(value $j stage_minor_faults read) | $(value $j stage_seconds sort) | $(value $j stage_seconds stats) |"
}
same() { for f in groups.fb members.fb extractions.fb; do cmp -s $T/o-$1/$f $T/o-$2/$f || { echo "$1 and $2: $f DIFFERS"; return; }; done; echo "$1 and $2: tables identical"; }
{ echo "$(date -u +%FT%TZ) $(nproc) cores; new $(cat .device/run/wdb/COMMIT | tr '\n' ' ') base $(cat .device/run/wdb-base/COMMIT)"
  echo "| run | wall ms | read s | read CPU s | read kernel s | read faults | sort s | stats s |"; echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  for i in 1 2 3; do one big-base $BASE $T/big.csv; one big-new $NEW $T/big.csv; done; same big-new big-base
  for i in 1 2 3; do one tile-base $BASE $T/tile.csv; one tile-new $NEW $T/tile.csv; done; same tile-new tile-base
} 2>&1 | tee "$log"
rm -rf $T
