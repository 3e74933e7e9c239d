#!/usr/bin/env bash
# Stop 26's second device call: the test suite on the GPU machine; `--device auto` (CPU under 4 M rows, CPU
# until the GPU is ready above) against cpu on a survey and on the 10 M survey held whole and in zones, tables
# compared; the stats stage split ("order" apart) by threads on the 10 M survey.
set -u
export OUT="${OUT:-/tmp/wdb-gpu-out}"; mkdir -p "$OUT"
rm -rf .device/run; mkdir -p .device/run; tar -C .device/run -xJf .device/wdb-linux-x64.tar.xz
W="$PWD/.device/run/wdb/wdb"; T=/tmp/wdb-auto; rm -rf $T; mkdir -p $T
if ! ldconfig -p | grep -q libcuda.so.1; then
  lib=$(find /usr/local/nvidia /usr/lib /usr/lib64 /lib /opt -name libcuda.so.1 2>/dev/null | head -1 || true)
  [ -n "$lib" ] && export LD_LIBRARY_PATH="$(dirname "$lib")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
ldconfig -p | grep -q libicuuc || export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
log="$OUT/auto.md"
{ date -u +%FT%TZ; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader; echo "build $(cat .device/run/wdb/COMMIT | tr '\n' ' ')"; } | tee "$log"
s=$(date +%s)
WDB_EXE="$W" timeout 200 .device/run/wdb/Wdb.Tests -noColor > "$OUT/tests.log" 2>&1 || echo "test suite failed ($?)" | tee -a "$log"
grep -A2 "TEST EXECUTION SUMMARY" "$OUT/tests.log" | tee -a "$log"; grep -B2 -A12 "\[FAIL\]" "$OUT/tests.log" | head -60 | tee -a "$log"
echo "tests took $(( $(date +%s) - s )) s" | tee -a "$log"
$W gen survey --sources 400000 --seed 7 --out $T/s.csv > /dev/null
$W gen survey --sources 6000000 --seed 1 --out $T/big.csv > /dev/null
one() {
  local tag=$1 in=$2; shift 2; local s=$(date +%s%N); rm -rf $T/o-$tag
  timeout 90 $W merge $in --out $T/o-$tag --quiet "$@" > $T/log 2>&1 || echo "$tag failed: $(tail -2 $T/log)"
  local e=$(date +%s%N)
  echo "| $tag | $(( (e - s) / 1000000 )) ms | $(tr -d '\n' < $T/o-$tag/summary.json | grep -o '"device": "[^"]*"' | head -1 | cut -c12-) | $(tr -d ' \n' < $T/o-$tag/summary.json | grep -o '"stage_seconds":{[^}]*}' | cut -c17-) |"
}
same() { for f in groups.fb members.fb extractions.fb rejects.csv; do cmp -s $T/o-$1/$f $T/o-$2/$f || { echo "$1 and $2: $f DIFFERS"; return; }; done; echo "$1 and $2: tables identical"; }
{ echo "| run | wall | device | stage seconds |"; echo "| --- | --- | --- | --- |"
  for i in 1 2 3; do one survey-cpu $T/s.csv --device cpu; one survey-auto $T/s.csv --device auto; done; same survey-auto survey-cpu
  for i in 1 2; do one big-cpu $T/big.csv --device cpu --zone-rows 0; one big-auto $T/big.csv --device auto --zone-rows 0; done; same big-auto big-cpu
  one zones-cpu $T/big.csv --device cpu --zone-rows 1000000; one zones-auto $T/big.csv --device auto --zone-rows 1000000; same zones-auto zones-cpu; same zones-auto big-cpu
} 2>&1 | tee -a "$log"
rm -rf $T/o-*
THREADS="4 8 16" ENVS="" bash bench/threads.sh -b "$W" -r 1 -o "$OUT/threads-order.md" $T/big.csv --device cpu --zone-rows 0 > /dev/null 2>&1 || echo "threads.sh failed" | tee -a "$log"
rm -rf $T
