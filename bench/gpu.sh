#!/usr/bin/env bash
# GPU checks and benchmark on a machine with an NVIDIA GPU and no .NET (the `device` tool's machine).
#
#   bench/gpu.sh pack   here, with the .NET SDK: a self-contained linux-x64 publish of `wdb` and of the test
#                       suite in one folder, packed as .device/wdb-linux-x64.tar.xz (git-ignored; ~41 MB, under
#                       the 64 MiB that travels; not trimmed: ILGPU needs the IL). BASE=<commit> also packs
#                       that commit's `wdb` as the baseline (its own files; the runtime it shares is linked,
#                       ~1.5 MB more before compression), so `run` can time both on the same machine.
#   bench/gpu.sh run    there (device tool: command "bash bench/gpu.sh run", carry [".device"]): unpacks;
#                       `wdb check-device --device cuda` (groups identical to the CPU engine, link-stage rows/s
#                       on both, seconds by stage), and the baseline's when packed; the whole test suite (log
#                       in $OUT/tests.log); end-to-end merges on cuda, cpu and auto (the big set also in memory,
#                       above the zone merge's threshold, and by the baseline on cuda), with every table's
#                       hash compared. Results in $OUT/gpu-run.md, the merges' summary.json files in
#                       $OUT/summaries.txt. Knobs: SCALE (check-device size, 100),
#                       SURVEY_SOURCES (1000000), BIG_SOURCES (unset: no third survey), RUNS (merges per
#                       variant, 2), HARNESS=1 (also bench/run.sh quick with --device cuda; its RESULTS.md
#                       as $OUT/RESULTS-gpu.md).
#   bench/gpu.sh sweep  there too: how the CPU merge scales with threads on that machine's cores (bench/threads.sh
#                       on a survey of BIG_SOURCES sources, 6000000 by default (~10 M rows), held whole, --device
#                       cpu; then, at the most threads, each ENVS variant (default: the server collector, and the
#                       thread pool's spinning off), and the zone merge once at the most threads. Tables in
#                       $OUT/threads.md and $OUT/threads-zones.md; ~2-3 min on 16 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  pack)
    # One folder holds both programs, the test suite (xunit v3 builds it as a program) and wdb:
    # they share one copy of the runtime, so the archive stays well under the 64 MiB that travels.
    rm -rf .device/wdb && mkdir -p .device
    dotnet publish tests/Wdb.Tests -c Release -r linux-x64 --self-contained true -p:PublishReadyToRun=false \
      -p:DebugType=none -o .device/wdb -v quiet -nologo
    # wdb itself as `./run.sh publish` builds it: one composite ReadyToRun image of the runtime and our
    # assemblies, written over the tests' copies (their framework files become the composite's components;
    # the tests run on it, jitting their own code; ~41 MB packed). With BASE, per-assembly images instead,
    # so that the baseline's identical runtime files can be links (a composite's are not the baseline's);
    # those run with tiering on (Wdb.Cli.csproj: with tiering off they ran 4-8x slower on an Intel Xeon).
    if [ -n "${BASE:-}" ]; then r2r=(-p:PublishReadyToRun=true -p:PublishReadyToRunComposite=false); else r2r=(); fi
    dotnet publish src/Wdb.Cli -c Release -r linux-x64 --self-contained true "${r2r[@]}" \
      -p:DebugType=none -o .device/wdb -v quiet -nologo
    dirs=(wdb)
    if [ -n "${BASE:-}" ]; then
      # The baseline publishes from a clean export of that commit. Its files that equal the new
      # build's (the runtime, ILGPU) become links into wdb/; the app host and the host libraries
      # are copied, since the host finds the app next to the real path of the running binary.
      tmp=$(mktemp -d); mkdir "$tmp/src"
      git archive "$BASE" | tar -x -C "$tmp/src"
      dotnet publish "$tmp/src/src/Wdb.Cli" -c Release -r linux-x64 --self-contained true -p:PublishReadyToRun=true \
        -p:PublishReadyToRunComposite=false -p:DebugType=none -o "$tmp/base" -v quiet -nologo
      rm -rf .device/wdb-base && mkdir .device/wdb-base
      for f in "$tmp/base"/*; do
        name=$(basename "$f")
        case "$name" in wdb|libhostfxr.so|libhostpolicy.so) cp -p "$f" .device/wdb-base/; continue ;; esac
        if [ -f ".device/wdb/$name" ] && cmp -s "$f" ".device/wdb/$name"; then ln -s "../wdb/$name" ".device/wdb-base/$name"
        else cp -pr "$f" .device/wdb-base/; fi
      done
      git rev-parse --short "$BASE" > .device/wdb-base/COMMIT
      rm -rf "$tmp"; dirs+=(wdb-base)
    fi
    git rev-parse --short HEAD > .device/wdb/COMMIT
    [ -z "$(git status --porcelain --untracked-files=no)" ] || echo "+ uncommitted changes" >> .device/wdb/COMMIT
    tar -C .device -cJf .device/wdb-linux-x64.tar.xz "${dirs[@]}"
    rm -rf .device/wdb .device/wdb-base
    ls -la .device/wdb-linux-x64.tar.xz
    ;;
  sweep)
    OUT="${OUT:-/tmp/wdb-gpu-out}"; mkdir -p "$OUT"
    work=/tmp/wdb-sweep; rm -rf "$work" .device/run; mkdir -p "$work" .device/run
    tar -C .device/run -xJf .device/wdb-linux-x64.tar.xz
    W="$PWD/.device/run/wdb/wdb"
    ldconfig -p | grep -q libicuuc || export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
    "$W" gen survey --sources "${BIG_SOURCES:-6000000}" --seed 1 --out "$work/big.csv"
    ENVS="${ENVS-DOTNET_gcServer=1;DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0}" \
      bash bench/threads.sh -b "$W" -r "${RUNS:-1}" -o "$OUT/threads.md" "$work/big.csv" --device cpu --zone-rows 0
    # The zone merge on every core once (its partition, spill and disk-bound write stages).
    THREADS="$(nproc)" ENVS="" STAGES="read footprints sort link order stats spill write" \
      bash bench/threads.sh -b "$W" -r 1 -o "$OUT/threads-zones.md" "$work/big.csv" --device cpu --zone-rows 1000000
    rm -rf "$work"
    ;;
  run)
    OUT="${OUT:-/tmp/wdb-gpu-out}"; mkdir -p "$OUT"
    work=/tmp/wdb-gpu; rm -rf "$work" .device/run; mkdir -p "$work" .device/run
    # Unpacked inside the checkout: tests find docs/ and schema/ in the folders above them.
    tar -C .device/run -xJf .device/wdb-linux-x64.tar.xz
    W="$PWD/.device/run/wdb/wdb"
    log="$OUT/gpu-run.md"
    # The driver library may sit outside the loader's cache (a mounted driver folder).
    if ! ldconfig -p | grep -q libcuda.so.1; then
      lib=$(find /usr/local/nvidia /usr/lib /usr/lib64 /lib /opt -name libcuda.so.1 2>/dev/null | head -1 || true)
      [ -n "$lib" ] && export LD_LIBRARY_PATH="$(dirname "$lib")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    fi
    # A bare machine may lack ICU; wdb formats with the invariant culture throughout.
    ldconfig -p | grep -q libicuuc || export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
    { echo "# bench/gpu.sh run at $(date -u +%FT%TZ)"
      nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
      echo "cores: $(nproc); memory: $(free -g | awk '/Mem:/ {print $2}') GiB"
      echo "libcuda: $(ldconfig -p | grep -m1 -o '/[^ ]*libcuda.so.1' || echo "not in the loader cache; LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}")"
    } | tee "$log"
    echo "build: $(cat .device/run/wdb/COMMIT 2>/dev/null | tr '\n' ' ')" | tee -a "$log"
    # Link stage alone first (the headline number): groups compared row for row with the CPU
    # engine, rows/s on each; then the baseline's, when packed, on the same machine.
    timeout "${CHECK_TIMEOUT:-150}" "$W" check-device --device cuda --scale "${SCALE:-100}" 2>&1 | tee -a "$log" || echo "check-device failed ($?)" | tee -a "$log"
    if [ -x .device/run/wdb-base/wdb ]; then
      echo "baseline $(cat .device/run/wdb-base/COMMIT):" | tee -a "$log"
      timeout "${CHECK_TIMEOUT:-150}" .device/run/wdb-base/wdb check-device --device cuda --scale "${SCALE:-100}" 2>&1 | tee -a "$log" \
        || echo "baseline check-device failed ($?)" | tee -a "$log"
    fi
    # The whole test suite with CUDA present (device tests that return early elsewhere run here);
    # the tests that run the command get the self-contained wdb.
    WDB_EXE="$W" timeout "${TESTS_TIMEOUT:-300}" .device/run/wdb/Wdb.Tests -noColor > "$OUT/tests.log" 2>&1 \
      || echo "test suite failed ($?)" | tee -a "$log"
    grep -A2 "TEST EXECUTION SUMMARY" "$OUT/tests.log" | tee -a "$log" || true
    # End to end: every table of a cuda merge must hash the same as the cpu merge's.
    "$W" gen survey --sources "${SURVEY_SOURCES:-1000000}" --seed 7 --out "$work/survey.csv"
    "$W" gen caltile --sources 5000 --scans 600 --seed 7 --out "$work/tile.csv"
    [ -n "${BIG_SOURCES:-}" ] && "$W" gen survey --sources "$BIG_SOURCES" --seed 1 --out "$work/big.csv"
    echo "| data | device | run | wall s | stage seconds |" | tee -a "$log"
    echo "| --- | --- | --- | --- | --- |" | tee -a "$log"
    # The big set is above the zone merge's threshold: it also runs in memory (--zone-rows 0),
    # which must give the same tables as the zone merge on either device.
    for data in survey tile ${BIG_SOURCES:+big}; do
      # auto too: on the survey and the tile (under 4 M rows) it must be the CPU engine at the CPU's speed (NOTES 89).
      variants="cuda cpu auto"; [ "$data" = big ] && variants="cuda cpu whole"
      # The baseline, when packed, merges the big set on cuda too (its link stage against this build's).
      [ "$data" = big ] && [ -x .device/run/wdb-base/wdb ] && variants="$variants base-cuda"
      for variant in $variants; do
        bin="$W"
        case "$variant" in
          whole) args=(--device cpu --zone-rows 0) ;;
          base-cuda) args=(--device cuda); bin=.device/run/wdb-base/wdb ;;
          *) args=(--device "$variant") ;;
        esac
        for run in $(seq "${RUNS:-2}"); do
          rm -rf "$work/$data-$variant"
          start=$(date +%s%N)
          timeout "${MERGE_TIMEOUT:-120}" "$bin" merge "$work/$data.csv" --out "$work/$data-$variant" "${args[@]}" --quiet \
            || echo "$data $variant: merge failed ($?)" | tee -a "$log"
          wall=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
          stages=$(tr -d ' \n' < "$work/$data-$variant/summary.json" 2>/dev/null | grep -o '"stage_seconds":{[^}]*}' || true)
          echo "| $data | $variant | $run | $wall | $stages |" | tee -a "$log"
        done
        # One file for all summaries: the device tool brings back only a few files per call.
        { echo "== $data $variant"; cat "$work/$data-$variant/summary.json" 2>/dev/null || echo "(none)"; } >> "$OUT/summaries.txt"
      done
      for variant in $variants; do
        [ "$variant" = cpu ] && continue
        # The files themselves: a baseline build may take another checksum than this one.
        same=yes
        for f in groups.fb members.fb extractions.fb sky.fb rejects.csv; do
          # sky.fb where both builds write it (since stop 30)
          [ "$f" = sky.fb ] && { [ -f "$work/$data-$variant/$f" ] && [ -f "$work/$data-cpu/$f" ] || continue; }
          cmp -s "$work/$data-$variant/$f" "$work/$data-cpu/$f" || same=no
        done
        if [ "$same" = yes ]; then echo "$data: every table identical, $variant and cpu (compared byte for byte)"
        else echo "$data: $variant and cpu tables DIFFER"; fi | tee -a "$log"
      done
    done
    # HARNESS=1: the CPU machine's harness too (bench/run.sh quick, --device cuda, peers where
    # the machine has them, under PEER_TIMEOUT); its RESULTS.md comes back as RESULTS-gpu.md.
    if [ -n "${HARNESS:-}" ]; then
      cp bench/RESULTS.md "$work/RESULTS.before.md"
      WDB_BIN="$W" WDB_DEVICE=cuda PEER_TIMEOUT="${PEER_TIMEOUT:-120}" bash bench/run.sh quick 2>&1 | tail -5 | tee -a "$log" \
        || echo "bench/run.sh failed (it needs /usr/bin/time)" | tee -a "$log"
      cp bench/RESULTS.md "$OUT/RESULTS-gpu.md"; cp "$work/RESULTS.before.md" bench/RESULTS.md
    fi
    ;;
  *) echo "usage: bench/gpu.sh pack|run|sweep" >&2; exit 2 ;;
esac
