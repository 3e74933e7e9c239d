#!/usr/bin/env bash
# The cluster merge (docs/cluster.md) step by step on this machine, against `wdb merge` of the same input:
# the wall time and peak memory of the plan, of each task (on a cluster they run at once, one per node) and
# of the stitch, the work directory's size, and a byte comparison of the tables with the single-machine run.
#   bench/cluster.sh WDB DATASET.csv [TASKS]
# Default 4 tasks. Everything goes to a fresh directory under $TMPDIR (or /tmp), deleted at the end.
# WDB_ARGS: more options for the plan and the merge (e.g. "--device cpu").
set -uo pipefail

[ $# -ge 2 ] || { echo "usage: bench/cluster.sh WDB DATASET.csv [TASKS]" >&2; exit 2; }
WDB="$1"; DATA="$2"; TASKS="${3:-4}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/wdb-cluster.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
# shellcheck disable=SC2206
EXTRA=(${WDB_ARGS:-})

# Runs a step; prints "| step | wall s | peak MB |" from GNU time's report.
step() {
    local name="$1"; shift
    /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" > /dev/null 2> "$WORK/err" || { echo "$name failed:" >&2; cat "$WORK/err" >&2; exit 1; }
    read -r wall kb < "$WORK/time"
    printf '| %s | %.2f | %d |\n' "$name" "$wall" $((kb / 1024))
    echo "$name $wall" >> "$WORK/steps"
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; load at start $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wdb: $WDB; input: $DATA ($(du -h "$DATA" | cut -f1)); $TASKS tasks asked for; options: ${WDB_ARGS:-none}"
echo
echo "| step | wall s | peak MB |"
echo "| --- | --- | --- |"
step "wdb merge (one machine)" "$WDB" merge "$DATA" --out "$WORK/merged" --quiet "${EXTRA[@]}"
step "cluster plan" "$WDB" cluster plan "$DATA" --out "$WORK/clustered" --work "$WORK/work" --tasks "$TASKS" --quiet "${EXTRA[@]}"
# The plan says how many zones it cut: the last task of its job array.
made=$(sed -n 's/^#SBATCH --array=0-\([0-9]*\)$/\1/p' "$WORK/work/slurm/tasks.sbatch")
for task in $(seq 0 "$made"); do
    step "cluster task $task" "$WDB" cluster task --work "$WORK/work" --task "$task" --quiet
done
step "cluster stitch" "$WDB" cluster stitch --work "$WORK/work" --quiet
echo
echo "zones: $((made + 1)); work directory: $(du -sh "$WORK/work" | cut -f1)"
python3 - "$WORK" <<'EOF'
import json, sys
work = sys.argv[1]
walls = {}
for line in open(f"{work}/steps"):
    name, wall = line.rsplit(" ", 1)
    walls[name] = float(wall)
tasks = [v for k, v in walls.items() if k.startswith("cluster task")]
one = walls["wdb merge (one machine)"]
parallel = walls["cluster plan"] + max(tasks) + walls["cluster stitch"]
serial = walls["cluster plan"] + sum(tasks) + walls["cluster stitch"]
print(f"plan + slowest task + stitch (tasks at once, one node each): {parallel:.2f} s; "
      f"plan + every task + stitch (one after another here): {serial:.2f} s; wdb merge: {one:.2f} s")
EOF
same=yes
for f in groups.fb members.fb extractions.fb sky.fb groups.idx members.idx extractions.idx sky.idx rejects.csv; do
    cmp -s "$WORK/merged/$f" "$WORK/clustered/$f" || { same=no; echo "DIFFERS: $f"; }
done
echo "tables, indexes and rejects.csv identical to wdb merge's: $same"
[ "$same" = yes ]
