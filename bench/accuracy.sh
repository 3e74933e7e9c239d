#!/usr/bin/env bash
# Accuracy against generated truth (issue 4's checks), printed as a markdown table:
#   bench/accuracy.sh [WDB]     (WDB: a built wdb; default bench/out/wdb/wdb)
# Each row: `wdb evaluate` generates a dataset with known truth (sources, movers, variables),
# merges it, and scores the result: pair precision/recall of the friends-of-friends candidate
# groups and of the final groups, movers recovered within 3 sigma, Stetson J ROC AUC.
# Seeds and sky areas differ from the timing datasets.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WDB="${1:-$HERE/out/wdb/wdb}"
SEED="${SEED:-1}"
# Said here in one line: otherwise bash's own words ("x: unbound variable", "No such file or directory").
[[ "$SEED" =~ ^-?[0-9]{1,9}$ ]] || { echo "bench/accuracy.sh: SEED must be an integer, got '$SEED'" >&2; exit 2; }
[ -f "$WDB" ] && [ -x "$WDB" ] || { echo "bench/accuracy.sh: no wdb build at $WDB (an executable file)" >&2; exit 2; }
runs=(
  "survey --sources 20000 --seed $((SEED + 10)) --ra 30 --dec 40"
  "survey --sources 20000 --seed $((SEED + 11)) --ra 359.9 --dec -20"
  "caltile --sources 300 --seed $((SEED + 12)) --ra 180 --dec -30"
  "caltile --sources 150 --seed $((SEED + 13)) --ra 60 --dec 30"
)
first=1
for args in "${runs[@]}"; do
  # shellcheck disable=SC2086
  out="$("$WDB" evaluate $args --device cpu)"
  if [ $first = 1 ]; then printf '%s\n' "$out"; first=0; else printf '%s\n' "$out" | tail -n +3; fi
done
