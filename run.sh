#!/usr/bin/env bash
# The project's commands for Linux (run.ps1 mirrors them for Windows workstations).
#   ./run.sh example   generate a survey-like WDB table and merge it (outputs in example/)
#   ./run.sh test      run the test suite (the command CI runs)
#   ./run.sh publish [DIR]  the fast build of wdb for this machine, in DIR (default out/wdb): self-contained,
#                      one precompiled (ReadyToRun) image of the runtime and wdb (bench/NOTES.md 63)
#   ./run.sh bench     run the benchmark harness (bench/run.sh quick)
set -euo pipefail
# bench reads paths from the caller's directory (RESULTS_FILE, WDB_BIN, DATASETS' files): it runs from there.
caller="$PWD"
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

wdb() { dotnet run --project src/Wdb.Cli -c Release -- "$@"; }

case "${1:-}" in
  example)
    dotnet build src/Wdb.Cli -c Release -v quiet -nologo
    wdb gen survey --sources 50000 --seed 1 --out example/survey.csv
    wdb merge example/survey.csv --out example/merged
    wdb export example/merged --table groups --format csv --out example/groups.csv
    echo "outputs: example/merged (FlatBuffers + summary.json), example/groups.csv"
    ;;
  test)
    # Independent tools the tests compare against, from Debian, installed when we can (otherwise
    # the tests that need them are reported as skipped): flatc (flatbuffers-compiler) decodes our
    # outputs; xxh128sum (xxhash) checks summary.json's checksums; STILTS (stilts, with a Java
    # runtime: ~20 s to install) cross-matches as `wdb associate` does and validates the Parquet
    # exports' VOTable metadata and reads the IPAC exports; Debian's python3 with numpy and scipy (python3-numpy,
    # python3-scipy) runs tests/independent/group_stats.py, confusion_split.py, reliability_scores.py and
    # fof_components.py, which recompute the group statistics, the split of confused groups, the reliability scores and
    # the candidate groups from the docs, and with astropy and pandas (python3-astropy, python3-pandas: ~30 s to
    # install) export_readers.py, which reads our IPAC, CSV and Parquet exports with them and compares every value.
    missing=""
    command -v flatc >/dev/null 2>&1 || missing="$missing flatbuffers-compiler"
    command -v xxh128sum >/dev/null 2>&1 || missing="$missing xxhash"
    command -v stilts >/dev/null 2>&1 || missing="$missing stilts"
    /usr/bin/python3 -c "import numpy" >/dev/null 2>&1 || missing="$missing python3-numpy"
    /usr/bin/python3 -c "import scipy" >/dev/null 2>&1 || missing="$missing python3-scipy"
    /usr/bin/python3 -c "import astropy" >/dev/null 2>&1 || missing="$missing python3-astropy"
    /usr/bin/python3 -c "import pandas" >/dev/null 2>&1 || missing="$missing python3-pandas"
    if [ -n "$missing" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing) >/dev/null 2>&1 \
        || echo "note: could not install$missing; those cross-checks will be skipped"
    fi
    dotnet test Wdb.sln -c Release --nologo
    ;;
  publish)
    out="${2:-out/wdb}"
    case "$(uname -s)" in Linux) os=linux ;; Darwin) os=osx ;; *) echo "run.sh: no runtime identifier for $(uname -s)" >&2; exit 2 ;; esac
    case "$(uname -m)" in x86_64|amd64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) echo "run.sh: no runtime identifier for $(uname -m)" >&2; exit 2 ;; esac
    rid="$os-$arch"
    dotnet publish src/Wdb.Cli -c Release -r "$rid" --self-contained true -o "$out" -nologo -v quiet
    echo "wdb: $out/wdb"
    ;;
  bench)
    shift; bench="$PWD/bench/run.sh"; cd "$caller"; exec bash "$bench" "${@:-quick}"
    ;;
  *)
    echo "usage: ./run.sh example|test|publish [DIR]|bench" >&2; exit 2 ;;
esac
