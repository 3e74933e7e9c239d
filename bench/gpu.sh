#!/usr/bin/env bash
# GPU checks and benchmark on a machine with an NVIDIA GPU and no .NET (the `device` tool's machine).
#
#   bench/gpu.sh pack   here, with the .NET SDK: a self-contained linux-x64 publish of `wdb`,
#                       packed as .device/wdb-linux-x64.tar.xz (git-ignored; ~26 MB, under the 64 MiB
#                       that travels; not trimmed: ILGPU needs the IL).
#   bench/gpu.sh run    there (device tool: command "bash bench/gpu.sh run", carry [".device"]):
#                       unpacks, runs `wdb check-device --device cuda` (groups identical to the CPU engine,
#                       link-stage rows/s on both) and end-to-end merges on cuda and cpu; results in $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  pack)
    rm -rf .device/wdb && mkdir -p .device
    dotnet publish src/Wdb.Cli -c Release -r linux-x64 --self-contained true -p:PublishReadyToRun=false \
      -p:DebugType=none -o .device/wdb -v quiet -nologo
    tar -C .device -cJf .device/wdb-linux-x64.tar.xz wdb
    rm -rf .device/wdb
    ls -la .device/wdb-linux-x64.tar.xz
    ;;
  run)
    OUT="${OUT:-/tmp/wdb-gpu-out}"; mkdir -p "$OUT"
    work=/tmp/wdb-gpu; rm -rf "$work"; mkdir -p "$work"
    tar -C "$work" -xJf .device/wdb-linux-x64.tar.xz
    W="$work/wdb/wdb"
    { nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true; nproc; } | tee "$OUT/machine.txt"
    "$W" check-device --device cuda --scale "${SCALE:-25}" | tee "$OUT/check-device.md"
    "$W" gen survey --sources 1000000 --seed 7 --out "$work/survey.csv"
    "$W" gen caltile --sources 5000 --scans 600 --seed 7 --out "$work/tile.csv"
    for data in survey tile; do
      for dev in cuda cpu; do
        start=$(date +%s.%N)
        "$W" merge "$work/$data.csv" --out "$work/$data-$dev" --device "$dev" --quiet || echo "$data $dev: merge failed ($?)"
        echo "$data $dev: $(echo "$(date +%s.%N) - $start" | bc) s wall" | tee -a "$OUT/time.txt"
        cp "$work/$data-$dev/summary.json" "$OUT/summary-$data-$dev.json" 2>/dev/null || true
      done
      "$W" export "$work/$data-cuda" --table extractions --out "$work/$data-cuda.csv"
      "$W" export "$work/$data-cpu" --table extractions --out "$work/$data-cpu.csv"
      if cmp -s "$work/$data-cuda.csv" "$work/$data-cpu.csv"; then echo "$data: cuda and cpu extractions identical"
      else echo "$data: cuda and cpu extractions DIFFER"; fi | tee -a "$OUT/time.txt"
    done
    ;;
  *) echo "usage: bench/gpu.sh pack|run" >&2; exit 2 ;;
esac
