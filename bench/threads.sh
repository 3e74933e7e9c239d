#!/usr/bin/env bash
# How the merge's stages scale with threads, and what holds back those that do not, on a machine with no
# profiler (the device tool's): `wdb merge FILE --threads N` for each N, then each stage's wall and CPU
# seconds, the kernel's share of that CPU, minor page faults and context switches (voluntary: waits;
# involuntary: preemptions), all from summary.json (ProcessCounters, bench/NOTES.md 85).
#   bench/threads.sh [-b WDB] [-r RUNS] [-o OUT.md] FILE [MERGE_ARGS...]
#   THREADS   thread counts (default 1 2 4 ... up to nproc, and nproc)
#   ENVS      variants run at the most threads, ';'-separated, each a list of VAR=VALUE words, e.g.
#             "DOTNET_gcServer=1;DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0"
#   STAGES    stages shown (default: read sort link confusion order stats write; a missing one shows "-")
# Needs only bash and awk (the device machine has no python). Outputs go to a temporary directory,
# removed at the end; the table goes to stdout and, with -o, to OUT.md.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WDB="$HERE/out/wdb/wdb"; RUNS=1; OUT_MD=""
while getopts "b:r:o:" opt; do
    case "$opt" in
        b) WDB="$OPTARG" ;;
        r) RUNS="$OPTARG" ;;
        o) OUT_MD="$OPTARG" ;;
        *) echo "usage: bench/threads.sh [-b WDB] [-r RUNS] [-o OUT.md] FILE [MERGE_ARGS...]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: bench/threads.sh [-b WDB] [-r RUNS] [-o OUT.md] FILE [MERGE_ARGS...]" >&2; exit 2; }
FILE="$1"; shift
[ -x "$WDB" ] || { echo "bench/threads.sh: no wdb at $WDB (./run.sh publish bench/out/wdb, or -b)" >&2; exit 2; }
[ -f "$FILE" ] || { echo "bench/threads.sh: no input $FILE" >&2; exit 2; }
cores=$(nproc)
if [ -z "${THREADS:-}" ]; then
    THREADS=""; t=1
    while [ "$t" -lt "$cores" ]; do THREADS="$THREADS $t"; t=$((t * 2)); done
    THREADS="$THREADS $cores"
fi
most=$(echo $THREADS | tr ' ' '\n' | sort -n | tail -1)
STAGES="${STAGES:-read sort link confusion order stats write}"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

# One stage's numbers from summary.json (Utf8JsonWriter's indented layout: one key per line inside each
# stage_* object): "wall/cpu/sys s, faults, voluntary/involuntary switches".
cell() {
    awk -v stage="$2" '
        /^  "stage_[a-z_]+": \{/ { split($1, a, "\""); dict = a[2]; next }
        /^  \}/ { dict = ""; next }
        dict != "" {
            line = $0; sub(/^ *"/, "", line); key = line; sub(/": .*/, "", key)
            value = line; sub(/^[^:]*: /, "", value); sub(/,$/, "", value)
            if (key == stage) v[dict] = value
        }
        END {
            if (!("stage_seconds" in v)) { print "-"; exit }
            printf "%.2f/%.2f/%.2f s, %.0fk flt, %.1fk/%.1fk sw\n", v["stage_seconds"], v["stage_cpu_seconds"],
                v["stage_system_cpu_seconds"], v["stage_minor_faults"] / 1000,
                v["stage_voluntary_switches"] / 1000, v["stage_involuntary_switches"] / 1000
        }' "$1"
}

header="| variant | threads | run | wall s | gc | $(echo $STAGES | sed 's/ / | /g') |"
rule="| --- | ---: | ---: | ---: | --- |$(for s in $STAGES; do printf ' --- |'; done)"
{
    echo "# bench/threads.sh $(date -u +%FT%TZ): $(basename "$FILE") $*"
    echo
    echo "$cores cores ($(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || echo unknown)); wdb $("$WDB" --version 2>/dev/null | head -1 || true)"
    echo "Each stage: wall/CPU/kernel CPU seconds, minor page faults, voluntary/involuntary context switches."
    echo
    echo "$header"
    echo "$rule"
} | tee "$work/table.md"

run() {   # variant-name threads env-words...
    local name="$1" threads="$2"; shift 2
    for r in $(seq "$RUNS"); do
        rm -rf "$work/out"
        start=$(date +%s%N)
        if ! env "$@" "$WDB" merge "$FILE" --out "$work/out" --threads "$threads" --quiet "${MERGE_ARGS[@]}" >"$work/log" 2>&1; then
            echo "| $name | $threads | $r | failed: $(tail -1 "$work/log") |" | tee -a "$work/table.md"; continue
        fi
        wall=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
        gc=$(awk '/"gc_mode"/ { gsub(/[",]/, "", $2); m = $2 } /"gc_collections"/ { gsub(/,/, "", $2); n = $2 }
                  /"gc_pause_seconds"/ { gsub(/,/, "", $2); p = $2 } END { printf "%s %s, %.2f s", m, n, p }' "$work/out/summary.json")
        row="| $name | $threads | $r | $wall | $gc |"
        for s in $STAGES; do row="$row $(cell "$work/out/summary.json" "$s") |"; done
        echo "$row" | tee -a "$work/table.md"
    done
}

MERGE_ARGS=("$@")
for t in $THREADS; do run default "$t"; done
if [ -n "${ENVS:-}" ]; then
    IFS=';' read -r -a variants <<<"$ENVS"
    for v in "${variants[@]}"; do
        # shellcheck disable=SC2086 # a variant is a list of words by design
        run "$v" "$most" $v
    done
fi
[ -z "$OUT_MD" ] || cp "$work/table.md" "$OUT_MD"
