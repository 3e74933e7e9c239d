#!/usr/bin/env bash
# Ready for the next device call (not run yet, stop 28): the cluster merge (docs/cluster.md, NOTES 96) with its
# tasks linking on the GPU, against `wdb merge` of the same input on the CPU. Pack with `bench/gpu.sh pack`, then
# device command "bash bench/gpu-runs/scripts/next-cluster.sh", carry [".device"], timeout ~300 s.
# The 10 M survey: plan (4 tasks), tasks 0-3 with --device cuda, the stitch; each step's wall; tables compared.
set -u
. bench/gpu-runs/scripts/unpack.sh cl
W="$NEW"; log="$OUT/cluster.md"
timed() { local name=$1; shift; local s=$(date +%s%N); "$@" > $T/log 2>&1 || echo "$name failed: $(tail -2 $T/log)"
  echo "| $name | $(( ($(date +%s%N) - s) / 1000000 )) |"; }
{ echo "$(date -u +%FT%TZ) $(nproc) cores; $(cat .device/run/wdb/COMMIT | tr '\n' ' ')"
  echo "| step | wall ms |"; echo "| --- | --- |"
  timed "merge --device cpu" $W merge $T/big.csv --out $T/merged --device cpu --quiet
  timed "cluster plan --tasks 4" $W cluster plan $T/big.csv --out $T/clustered --work $T/work --tasks 4 --quiet
  for k in 0 1 2 3; do timed "cluster task $k --device cuda" $W cluster task --work $T/work --task $k --device cuda --quiet; done
  grep -h '"device"' $T/work/tasks/*/summary.json | sort | uniq -c
  timed "cluster stitch" $W cluster stitch --work $T/work --quiet
  for f in groups.fb members.fb extractions.fb sky.fb rejects.csv; do cmp -s $T/merged/$f $T/clustered/$f && echo "$f identical" || echo "$f DIFFERS"; done
} 2>&1 | tee "$log"
rm -rf $T
