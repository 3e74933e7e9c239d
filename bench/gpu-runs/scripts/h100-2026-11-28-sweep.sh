#!/usr/bin/env bash
# Stop 26's device call: the many-core sweep (bench/gpu.sh sweep), then `--device auto` against cpu and cuda
# on a survey-sized file (NOTES "Open": does auto wait for the kernels' compilation?), then check-device.
set -u
export OUT="${OUT:-/tmp/wdb-gpu-out}"; mkdir -p "$OUT"
{ date -u +%FT%TZ; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader; grep -m1 "Model name" /proc/cpuinfo
  echo "cores $(nproc)"; cat /sys/kernel/mm/transparent_hugepage/enabled; } 2>&1 | tee "$OUT/extra.md"
s=$(date +%s); bash bench/gpu.sh sweep 2>&1 | tail -40; echo "sweep took $(( $(date +%s) - s )) s" | tee -a "$OUT/extra.md"
tar -C .device/run -xJf .device/wdb-linux-x64.tar.xz 2>/dev/null || true
W="$PWD/.device/run/wdb/wdb"; T=/tmp/wdb-auto; rm -rf $T; mkdir -p $T
if ! ldconfig -p | grep -q libcuda.so.1; then
  lib=$(find /usr/local/nvidia /usr/lib /usr/lib64 /lib /opt -name libcuda.so.1 2>/dev/null | head -1 || true)
  [ -n "$lib" ] && export LD_LIBRARY_PATH="$(dirname "$lib")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
ldconfig -p | grep -q libicuuc || export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
$W gen survey --sources 400000 --seed 7 --out $T/s.csv
one() {
  local dev=$1; local s=$(date +%s%N); rm -rf $T/o-$dev
  timeout 60 $W merge $T/s.csv --out $T/o-$dev --quiet --device $dev > $T/log 2>&1 || echo "$dev failed: $(tail -2 $T/log)"
  local e=$(date +%s%N)
  echo "| $dev | $(( (e - s) / 1000000 )) ms | $(tr -d ' \n' < $T/o-$dev/summary.json | grep -o '"stage_seconds":{[^}]*}' ) |"
}
{ echo "| device | wall | stages |"; echo "| --- | --- | --- |"
  for i in 1 2 3; do one cpu; one auto; one cuda; done
  for d in auto cuda; do cmp -s $T/o-$d/groups.fb $T/o-cpu/groups.fb && cmp -s $T/o-$d/members.fb $T/o-cpu/members.fb \
    && echo "$d: tables identical to cpu" || echo "$d: tables DIFFER from cpu"; done
  timeout 120 $W check-device --device cuda --scale 100 2>&1 | tail -25
} 2>&1 | tee -a "$OUT/extra.md"
rm -rf $T
