#!/usr/bin/env bash
# Where the shipped (ReadyToRun) build spends its CPU, by method: perf over one wdb command, its samples
# in the precompiled code named from crossgen's maps (.ni.r2rmap), the jitted code from the runtime's
# perf map. perf alone names neither: ReadyToRun code sits in the .dll mappings, which have no ELF symbols.
#   bench/profile.sh [-n TOP] [-f FILTER] [-w FROM:TO] -- WDB_ARGS...
#   -w keeps the samples taken FROM..TO seconds after the first one (a stage of a long run).
#   -s keeps only the samples taken while the process ran on one thread alone (no other of its threads
#      sampled within the same 5 ms): what would not go faster on more cores. Percentages stay of all samples.
#   e.g. bench/profile.sh -n 40 -- merge bench/data/survey-0.65M.csv --out /tmp/prof-out --quiet
# Builds bench/out/wdb-sym (a publish with PublishReadyToRunEmitSymbols) when it is missing or older
# than the sources. Needs perf (apt-get install linux-perf) and python3.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; ROOT="$(dirname "$HERE")"
TOP=40; FILTER=""; WINDOW=""; SERIAL=""
# Wrong options are refused before the publish (a minute) and perf: they used to end in "$2: unbound variable",
# a Python traceback after the run, or wdb's refusal of an option meant for this script.
refuse() { echo "bench/profile.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        -n|-f|-w) [ $# -ge 2 ] || refuse "$1 needs a value" ;;&
        -n) [[ "$2" =~ ^[0-9]+$ ]] || refuse "-n needs a number of methods, got '$2'"; TOP="$2"; shift 2 ;;
        -f) FILTER="$2"; shift 2 ;;
        -w) [[ "$2" =~ ^[0-9]+(\.[0-9]+)?:[0-9]+(\.[0-9]+)?$ ]] || refuse "-w needs FROM:TO in seconds, got '$2'"; WINDOW="$2"; shift 2 ;;
        -s) SERIAL=1; shift ;;
        --) shift; break ;;
        -*) refuse "unknown option $1 (options: -n TOP, -f FILTER, -w FROM:TO, -s; then -- and wdb's arguments)" ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || { echo "usage: bench/profile.sh [-n TOP] [-f FILTER] [-w FROM:TO] [-s] -- WDB_ARGS..." >&2; exit 2; }
command -v perf >/dev/null || { echo "bench/profile.sh: perf is required (apt-get install linux-perf)" >&2; exit 2; }
BIN="$HERE/out/wdb-sym"; WORK="$HERE/out/profile"; mkdir -p "$WORK"
if [ ! -x "$BIN/wdb" ] || [ -n "$(find "$ROOT/src" "$ROOT/kernels" -name '*.cs' -newer "$BIN/wdb" -print -quit)" ]; then
    # The shipped build (./run.sh publish: one composite image of the runtime and wdb, NOTES 63), whose
    # map (wdb.r2r.ni.r2rmap) names the framework's methods as well as ours.
    echo "profile: publishing $BIN (self-contained composite ReadyToRun with symbol maps, ~1 min)" >&2
    dotnet publish "$ROOT/src/Wdb.Cli" -c Release -r linux-x64 --self-contained true -o "$BIN" -nologo -v q \
        -p:PublishReadyToRunEmitSymbols=true >"$WORK/publish.log" 2>&1 || { echo "profile: publish failed, see $WORK/publish.log" >&2; exit 1; }
fi
rm -f "$WORK"/maps.*
# The jitted code in anonymous memory (no W^X double mapping), so that the perf map names it.
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 perf record -F 4000 -o "$WORK/perf.data" "$BIN/wdb" "$@" >"$WORK/wdb.out" 2>&1 &
rec=$!
# Where each assembly is mapped, sampled while the command runs (it may load some late).
for k in $(seq 1 40); do
    pid=$(pgrep -n -f "^$BIN/wdb" || true)
    [ -n "$pid" ] && cat "/proc/$pid/maps" >"$WORK/maps.$k" 2>/dev/null || true
    kill -0 "$rec" 2>/dev/null || break
    sleep 0.1
done
wait "$rec" || { echo "profile: the command failed, see $WORK/wdb.out" >&2; exit 1; }
perf script -i "$WORK/perf.data" -F tid,time,ip,sym,dso >"$WORK/samples.txt" 2>/dev/null
python3 - "$WORK" "$BIN" "$TOP" "$FILTER" "$WINDOW" "$SERIAL" <<'PY'
import bisect, collections, glob, re, sys
work, binary, top, filt, window, serial = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6] == '1'
SLOT = 0.005
lo, hi = (float(x) for x in window.split(':')) if window else (0.0, float('inf'))
bases = {}
for f in sorted(glob.glob(work + '/maps.*')):
    for line in open(f):
        p = line.split()
        # The image's first page (its headers, file offset 0) is its base: code lies at base + RVA.
        if len(p) >= 6 and p[5].endswith('.dll') and p[2] == '00000000' and p[1].startswith('r--p'):
            bases.setdefault(p[5].rsplit('/', 1)[-1][:-4], int(p[0].split('-')[0], 16))
methods = {}
for name in bases:
    try: text = open(f'{binary}/{name}.ni.r2rmap').read()
    except OSError: continue
    rows = sorted((int(m[1], 16), int(m[2], 16), m[3]) for m in re.finditer(r'^([0-9A-F]{8}) ([0-9A-F]+) (.*)$', text, re.M) if not m[1].startswith('FFFF'))
    methods[name] = rows
counts, total, first = collections.Counter(), 0, None
samples = []
for line in open(work + '/samples.txt'):
    m = re.match(r'\s*(\d+)\s+([0-9.]+):\s+([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$', line)
    if m: samples.append((int(m[1]), float(m[2]), int(m[3], 16), m[4].strip(), m[5]))
# Threads seen in each 5 ms slot: a slot with one alone is serial time.
threads_in = collections.defaultdict(set)
for tid, t, *_ in samples: threads_in[int(t / SLOT)].add(tid)
for tid, t, ip, sym, dso in samples:
    first = t if first is None else first
    if not lo <= t - first < hi: continue
    total += 1
    if serial and len(threads_in[int(t / SLOT)]) > 1: continue
    name = dso.rsplit('/', 1)[-1]
    key = None
    if name.endswith('.dll') and name[:-4] in methods:
        rows, rva = methods[name[:-4]], ip - bases[name[:-4]]
        i = bisect.bisect_right(rows, (rva, 1 << 62, '')) - 1
        key = name[:-4] + ': ' + (rows[i][2] if i >= 0 and rva < rows[i][0] + rows[i][1] else '(no method)')
    if key is None:
        key = (sym if sym and sym != '[unknown]' else '?') + '  [' + name + ']'
    counts[key] += 1
print(f'{total} samples' + (f', {sum(counts.values())} of them while one thread ran alone' if serial else ''))
shown = 0
for key, c in counts.most_common():
    if filt and filt not in key: continue
    print(f'{100.0 * c / max(total, 1):6.2f}%  {key[:180]}')
    shown += 1
    if shown >= top: break
PY
