#!/usr/bin/env bash
# The composite build (./run.sh publish, what users run) on the device's Intel CPU: tiering off (as shipped) and on.
set -u
T=/tmp/dg2; rm -rf $T; mkdir -p $T; tar -C $T -xJf .device/comp.tar.xz
W=$T/wdb/wdb
cp -r $T/wdb $T/tc && sed -i 's/"System.Runtime.TieredCompilation": false/"System.Runtime.TieredCompilation": true/' $T/tc/wdb.runtimeconfig.json
grep -c '"System.Runtime.TieredCompilation": true' $T/tc/wdb.runtimeconfig.json
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
grep -m1 "Model name" /proc/cpuinfo; grep -m1 flags /proc/cpuinfo | tr ' ' '\n' | grep -c avx512
$W gen survey --sources 400000 --seed 7 --out $T/s.csv
run() {
  local name=$1; shift; local s=$(date +%s%N)
  rm -rf $T/o; env "$@" merge ${IN:-$T/s.csv} --out $T/o --quiet --device cpu > $T/log 2>&1 || echo "$name failed: $(tail -2 $T/log)"
  local e=$(date +%s%N)
  echo "$name wall $(( (e - s) / 1000000 )) ms $(tr -d ' \n' < $T/o/summary.json | grep -o '"stage_seconds":{[^}]*}\|"jit_methods":[0-9]*\|"jit_seconds":[0-9.]*' | tr '\n' ' ')"
}
run warm $W
for i in 1 2 3; do run comp-tc-off $W; run comp-tc-on $T/tc/wdb; done
run comp-tc-off-noavx512 DOTNET_EnableAVX512F=0 $W
run comp-tc-off-r2r-off DOTNET_ReadyToRun=0 $W
$W gen caltile --sources 5000 --scans 600 --seed 7 --out $T/t.csv
IN=$T/t.csv run tile-tc-off $W; IN=$T/t.csv run tile-tc-on $T/tc/wdb
