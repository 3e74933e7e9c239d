#!/usr/bin/env bash
# Why read and stats run 5-8x slower on the device machine than fa60d37 did: one survey, several runtime settings.
set -u
T=/tmp/dg; rm -rf $T; mkdir -p $T; tar -C $T -xJf .device/wdb-linux-x64.tar.xz
W=$T/wdb/wdb; B=$T/wdb-base/wdb
cp -r $T/wdb $T/wdb-tc && sed -i 's/"System.Runtime.TieredCompilation": false/"System.Runtime.TieredCompilation": true/' $T/wdb-tc/wdb.runtimeconfig.json
grep -c '"System.Runtime.TieredCompilation": true' $T/wdb-tc/wdb.runtimeconfig.json
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
{ lscpu; cat /sys/kernel/mm/transparent_hugepage/enabled; free -m; uname -r; } > $OUT/machine.txt 2>&1
grep -m1 "Model name" $OUT/machine.txt
$W gen survey --sources 400000 --seed 7 --out $T/s.csv
run() { # name, then env assignments and the binary, then extra args
  local name=$1; shift
  local pf0=$(awk '/^pgfault /{print $2}' /proc/vmstat); local s=$(date +%s%N)
  rm -rf $T/o; env "$@" merge $T/s.csv --out $T/o --quiet --device cpu ${EXTRA:-} > $T/log 2>&1 || echo "$name failed: $(tail -2 $T/log)"
  local e=$(date +%s%N); local pf1=$(awk '/^pgfault /{print $2}' /proc/vmstat)
  echo "$name wall $(( (e - s) / 1000000 )) ms pgfault $((pf1 - pf0)) $(tr -d ' \n' < $T/o/summary.json | grep -o '"stage_seconds":{[^}]*}\|"stage_cpu_seconds":{[^}]*}\|"jit_methods":[0-9]*\|"jit_seconds":[0-9.]*\|"gc_pause_seconds":[0-9.]*\|"gc_collections":[0-9]*' | tr '\n' ' ')"
}
run warm $W
run cur $W
run base $B
run tc-on2 DOTNET_TieredCompilation=1 $T/wdb-tc/wdb
run r2r-off DOTNET_ReadyToRun=0 $W
EXTRA="--threads 2" run cur-t2 $W
EXTRA="--threads 2" run base-t2 $B
run cur-again $W
run base-again $B
run tc-again $T/wdb-tc/wdb
DOTNET_JitStdOutFile=$OUT/jit-cur.txt DOTNET_JitDisasmSummary=1 run jitlist $W
DOTNET_JitStdOutFile=$OUT/jit-tc.txt DOTNET_JitDisasmSummary=1 run jitlist-tc $T/wdb-tc/wdb
