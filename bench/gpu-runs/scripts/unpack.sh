# Sourced by the device scripts not yet run (`. bench/gpu-runs/scripts/unpack.sh NAME`): $OUT, the packed builds
# unpacked under .device/run ($NEW, and $BASE where `BASE=... bench/gpu.sh pack` packed one), ICU or invariant
# globalization, a fresh scratch folder $T, and the 10 M survey made there by the new build ($T/big.csv).
export OUT="${OUT:-/tmp/wdb-gpu-out}"; mkdir -p "$OUT"
rm -rf .device/run; mkdir -p .device/run; tar -C .device/run -xJf .device/wdb-linux-x64.tar.xz
NEW="$PWD/.device/run/wdb/wdb"; BASE="$PWD/.device/run/wdb-base/wdb"; T="/tmp/wdb-$1"; rm -rf "$T"; mkdir -p "$T"
# The driver library may sit outside the loader's cache (a mounted driver folder).
if ! ldconfig -p | grep -q libcuda.so.1; then
  lib=$(find /usr/local/nvidia /usr/lib /usr/lib64 /lib /opt -name libcuda.so.1 2>/dev/null | head -1 || true)
  [ -n "$lib" ] && export LD_LIBRARY_PATH="$(dirname "$lib")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
ldconfig -p | grep -q libicuuc || export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
"$NEW" gen survey --sources 6000000 --seed 1 --out "$T/big.csv" > /dev/null
