#!/usr/bin/env bash
# Two wdb builds side by side on the same data: runs alternate (A B, B A, A B, ...) so that a busy
# machine slows both alike and neither always runs first, and the table gives medians of wall, CPU
# and each stage.
#   bench/compare.sh A_WDB B_WDB [RUNS] [DATASET.csv ...]
# Defaults: 3 runs; bench/data/{survey-0.65M,caltile-0.42M,caltile-3.5M}.csv (bench/run.sh makes them).
# Outputs go to a fresh directory under $TMPDIR (or /tmp) per run and are deleted after it.
# Also checks, every round, that both builds wrote byte-identical groups/members/extractions tables (and sky.fb where
# both write it), and names each round where they differ.
# WDB_ARGS: more `wdb merge` options for both (e.g. "--zone-rows 0").
set -uo pipefail

[ $# -ge 2 ] || { echo "usage: bench/compare.sh A_WDB B_WDB [RUNS] [DATASET.csv ...]" >&2; exit 2; }
A="$1"; B="$2"; shift 2
RUNS=3
if [ $# -gt 0 ] && [[ "$1" =~ ^[0-9]+$ ]]; then RUNS="$1"; shift; fi
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DATA=("$@")
[ ${#DATA[@]} -eq 0 ] && DATA=("$HERE/data/survey-0.65M.csv" "$HERE/data/caltile-0.42M.csv" "$HERE/data/caltile-3.5M.csv")
# Checked before the first run: a missing build or file used to show up minutes in, as a Python traceback, exit 0.
refuse() { echo "bench/compare.sh: $*" >&2; exit 2; }
[ "$RUNS" -ge 1 ] || refuse "RUNS must be at least 1, got $RUNS"
for bin in "$A" "$B"; do
    [ -f "$bin" ] && [ -x "$bin" ] || refuse "no wdb build at $bin (an executable file)"
done
for csv in "${DATA[@]}"; do [ -f "$csv" ] || refuse "no data file $csv (bench/run.sh makes the default ones)"; done
FAILED=0
WORK="$(mktemp -d "${TMPDIR:-/tmp}/wdb-compare.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

echo "A: $A"; echo "B: $B"
echo "machine: $(nproc) cores, load at start $(cut -d' ' -f1-3 /proc/loadavg); $RUNS runs each, alternating"
echo
for csv in "${DATA[@]}"; do
    name="$(basename "$csv" .csv)"; compared=0; differs=()
    for i in $(seq 1 "$RUNS"); do
        # A B, then B A, ...: each build goes first in half the rounds (the first of a pair came out a
        # few per cent faster on the development VM, NOTES 60).
        order="A B"; [ $((i % 2)) = 0 ] && order="B A"
        for side in $order; do
            bin="$A"; [ "$side" = B ] && bin="$B"
            out="$WORK/$side.$i"
            /usr/bin/time -f "%e %U %S %M" -o "$WORK/$side.$i.time" "$bin" merge "$csv" --out "$out" --quiet ${WDB_ARGS:-} >/dev/null 2>"$WORK/$side.$i.err" \
                || { echo "$name: $side failed: $(tail -1 "$WORK/$side.$i.err")" >&2; FAILED=1; continue; }
            python3 - "$out/summary.json" "$WORK/$side.$i.time" >>"$WORK/$side.rows" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
wall, user, sys_, rss = open(sys.argv[2]).read().split()
st = s.get("stage_seconds", {})
print(json.dumps({"wall": float(wall), "cpu": float(user) + float(sys_), "rss_mb": int(rss) / 1024, **st}))
PY
        done
        # Every round, not the first alone: output that varies from run to run (a race) shows in some rounds only.
        if [ -d "$WORK/A.$i" ] && [ -d "$WORK/B.$i" ]; then
            compared=$((compared + 1))
            for t in groups members extractions sky; do
                # sky.fb is compared where both builds write it (since stop 30).
                [ "$t" = sky ] && { [ -f "$WORK/A.$i/sky.fb" ] && [ -f "$WORK/B.$i/sky.fb" ] || continue; }
                cmp -s "$WORK/A.$i/$t.fb" "$WORK/B.$i/$t.fb" || differs+=("round $i: $t.fb differs")
            done
        fi
        rm -rf "$WORK/A.$i" "$WORK/B.$i"
    done
    if [ ${#differs[@]} -gt 0 ]; then
        printf -v said '%s; ' "${differs[@]}"
        echo "$name: tables byte-identical: no (${said%; })"
    elif [ "$compared" -gt 0 ]; then
        echo "$name: tables byte-identical: yes ($compared of $RUNS rounds compared)"
    fi
    if [ ! -s "$WORK/A.rows" ] || [ ! -s "$WORK/B.rows" ]; then
        echo "$name: no table: A or B did not finish a run" >&2; rm -rf "$WORK"/A.* "$WORK"/B.*; continue
    fi
    python3 - "$name" "$WORK/A.rows" "$WORK/B.rows" <<'PY'
import json, statistics, sys
name = sys.argv[1]
rows = {side: [json.loads(l) for l in open(p)] for side, p in zip("AB", sys.argv[2:])}
keys = list(dict.fromkeys(k for side in "AB" for r in rows[side] for k in r))
print(f"| {name} | A (median) | B (median) | B / A |")
print("| --- | ---: | ---: | ---: |")
for k in keys:
    a = statistics.median(r.get(k, 0) for r in rows["A"]); b = statistics.median(r.get(k, 0) for r in rows["B"])
    print(f"| {k} | {a:.2f} | {b:.2f} | {b / a:.2f} |" if a else f"| {k} | {a:.2f} | {b:.2f} | - |")
print()
PY
    rm -rf "$WORK"/A.* "$WORK"/B.*
done
echo "load at end $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$FAILED"
