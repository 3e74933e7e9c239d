#!/usr/bin/env bash
# Wdb benchmark harness: wdb merge against two peers on the same generated data.
#   bench/run.sh [quick|full|smoke]     (see bench/README.md; smoke = tiny data, checks the plumbing)
# Environment: PEER_TIMEOUT (s, default 900), PEER_MEM_GB (default: 75% of RAM, at most 32),
#   SKIP_PEERS=1, DATASETS="name ..." (subset), KEEP_DATA=1 (reuse the data folder), SEED (default 1),
#   SKY="RA DEC" (centre of the generated fields, degrees; default the generator's 180 0); data other
#   than seed 1 at 180 0 lives in its own folder (bench/data/seed<N>_<RA>_<DEC>), so the default set stays,
#   RESULTS_FILE=path (default bench/RESULTS.md; e.g. bench/RESULTS-unseen.md for another seed and field),
#   WDB_BIN=path (use an already built wdb instead of publishing one), WDB_REPEAT (wdb runs per dataset, median reported; default 3),
#   WDB_DEVICE=auto|cuda|cpu (wdb merge --device; default wdb's own, auto; bench/gpu.sh sets cuda),
#   SIDE_PAIRS (wdb/peer pairs run back to back for the side-by-side ratios; default 3, 0: none),
#   SIDE_MAX (s: only peers whose one run took at most this long get pairs; default 60).
set -uo pipefail

MODE="${1:-quick}"
case "$MODE" in quick|full|smoke) ;; *) echo "bench/run.sh: unknown mode '$MODE' (quick, full or smoke)" >&2; exit 2 ;; esac

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
OUT="$HERE/out"; RUNS="$OUT/runs"
WDB="${WDB_BIN:-$OUT/wdb/wdb}"
SEED="${SEED:-1}"
SKY="${SKY:-}"
DATA="$HERE/data"
if [ "$SEED" != 1 ] || { [ -n "$SKY" ] && [ "$SKY" != "180 0" ]; }; then
    read -r sky_ra sky_dec <<<"${SKY:-180 0}"; DATA="$HERE/data/seed${SEED}_${sky_ra}_${sky_dec}"
fi
PEER_TIMEOUT="${PEER_TIMEOUT:-900}"
WDB_REPEAT="${WDB_REPEAT:-3}"
MEM_KB=$(awk '/MemTotal/ {print $2}' /proc/meminfo)
PEER_MEM_GB="${PEER_MEM_GB:-$(( MEM_KB * 3 / 4 / 1048576 < 32 ? MEM_KB * 3 / 4 / 1048576 : 32 ))}"
RESULTS="${RESULTS_FILE:-$HERE/RESULTS.md}"
SIDE_PAIRS="${SIDE_PAIRS:-3}"; SIDE_MAX="${SIDE_MAX:-60}"

# ---------------------------------------------------------------- datasets
# name kind sources scans: survey sources give ~1.71 extractions each (1-6 epochs, noise).
DATASETS_ALL=("survey-0.65M survey 380000 -" "caltile-0.42M caltile 700 600" "caltile-3.5M caltile 5000 600")
# A sixth field and on: a variant, the data of the dataset named there merged with these wdb options
# (no data of its own, no peer runs: its ratios are to that dataset's peers). The 10 M survey is held
# whole by default on a machine with more than ~12 GB (--memory, NOTES 57); the variant is the zone
# merge with its memory bounded by the zone, what the 10 M target asks for.
[ "$MODE" = full ] && DATASETS_ALL+=("survey-10M survey 5850000 -" "survey-10M-zones survey 5850000 - survey-10M --zone-rows 1000000")
[ "$MODE" = smoke ] && DATASETS_ALL=("survey-smoke survey 20000 -" "caltile-smoke caltile 100 60" "survey-smoke-zones survey 20000 - survey-smoke --zone-rows 5000")

# ---------------------------------------------------------------- settings
# A wrong setting is refused here, before anything is built, generated or written: found later it cost a
# run of many minutes whose RESULTS file (bench/RESULTS.md by default) came out empty, with exit 0.
refuse() { echo "bench/run.sh: $*" >&2; exit 2; }
is_count() { [[ "$1" =~ ^[0-9]{1,9}$ ]]; }
is_number() { [[ "$1" =~ ^[0-9]+(\.[0-9]+)?$ ]]; }
is_angle() { [[ "$1" =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; }
check_settings() {
    local ra dec more name known=() spec
    for spec in "${DATASETS_ALL[@]}"; do known+=("${spec%% *}"); done
    for name in ${DATASETS:-}; do
        [[ " ${known[*]} " == *" $name "* ]] || refuse "unknown dataset '$name' in DATASETS ($MODE mode has: ${known[*]})"
    done
    [[ "$SEED" =~ ^-?[0-9]{1,9}$ ]] || refuse "SEED must be an integer, got '$SEED'"
    if [ -n "$SKY" ]; then
        read -r ra dec more <<<"$SKY"
        { is_angle "$ra" && is_angle "${dec:-x}" && [ -z "$more" ]; } || refuse "SKY must be \"RA DEC\" in degrees, got '$SKY'"
        # wdb gen's own limits: RA in [0, 360), |Dec| <= 85 (a generated field stays clear of the pole).
        awk -v r="$ra" 'BEGIN{exit !(r >= 0 && r < 360)}' || refuse "SKY: RA must be in [0, 360) deg, got $ra"
        awk -v d="$dec" 'BEGIN{exit !(d >= -85 && d <= 85)}' || refuse "SKY: Dec must be within [-85, 85] deg, got $dec"
    fi
    { is_count "$WDB_REPEAT" && [ "$WDB_REPEAT" -ge 1 ]; } || refuse "WDB_REPEAT must be a whole number of runs, at least 1, got '$WDB_REPEAT'"
    is_count "$SIDE_PAIRS" || refuse "SIDE_PAIRS must be a whole number of pairs (0: none), got '$SIDE_PAIRS'"
    is_number "$SIDE_MAX" || refuse "SIDE_MAX must be a number of seconds, got '$SIDE_MAX'"
    { is_number "$PEER_TIMEOUT" && [ "${PEER_TIMEOUT%.*}" -ge 1 ]; } || refuse "PEER_TIMEOUT must be a number of seconds, at least 1, got '$PEER_TIMEOUT'"
    { is_count "$PEER_MEM_GB" && [ "$PEER_MEM_GB" -ge 1 ]; } || refuse "PEER_MEM_GB must be a whole number of GB, at least 1, got '$PEER_MEM_GB'"
    case "${WDB_DEVICE:-auto}" in auto|cuda|cpu) ;; *) refuse "WDB_DEVICE must be auto, cuda or cpu, got '$WDB_DEVICE'" ;; esac
    [ -d "$(dirname "$RESULTS")" ] || refuse "RESULTS_FILE: no folder $(dirname "$RESULTS") to write $RESULTS in"
    if [ -n "${WDB_BIN:-}" ]; then
        [ -f "$WDB_BIN" ] || refuse "WDB_BIN: no file $WDB_BIN"
        [ -x "$WDB_BIN" ] || refuse "WDB_BIN: $WDB_BIN is not executable"
        # wdb --version prints its version alone (1.0.0+commit): another program's --version does not.
        timeout 60 "$WDB_BIN" --version </dev/null 2>/dev/null | head -1 | grep -qE '^[0-9]+\.[0-9]+\.[0-9]+' \
            || refuse "WDB_BIN: $WDB_BIN is not a wdb build (its --version does not print a version)"
    fi
}
check_settings
mkdir -p "$OUT" "$DATA" "$RUNS"
# What is measured: the tree as it is when the run starts, and how busy the machine was.
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo '+dirty')"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Ctrl-C or a kill ends the run at once, with no half-written file left (RESULTS_FILE stays as it was) and no
# peer left running: timeout puts a peer in a process group of its own, which the terminal's SIGINT does not
# reach, so the peer runs in the background (see run_capped) where this trap can stop it through its timeout.
PEER_PID=""; PEER_GROUP=""; PART_TMP=""
stop_peer() {
    # The peer's group (its timeout leads it): /usr/bin/time above it may be gone already, killed by a SIGTERM
    # sent to our whole group, which leaves the timeout with no parent to find it by.
    [ -n "$PEER_GROUP" ] && kill -TERM -- "-$PEER_GROUP" 2>/dev/null
    wait "$PEER_PID" 2>/dev/null
    PEER_PID=""; PEER_GROUP=""
}
on_signal() {   # on_signal NAME EXIT_CODE
    trap - INT TERM
    [ -n "$PEER_PID" ] && stop_peer
    rm -f "$RESULTS.tmp" ${PART_TMP:+"$PART_TMP"}
    log "stopped by $1; $RESULTS was not written"
    exit "$2"
}
trap 'on_signal SIGINT 130' INT
trap 'on_signal SIGTERM 143' TERM
# What went wrong on the way (a generation, a wdb merge): the table is still written, and the exit code says so.
FAILED=()

# ---------------------------------------------------------------- tools
SUDO=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO="sudo -n"
apt_install() {   # best effort: the harness skips what it cannot install
    command -v apt-get >/dev/null || return 1
    $SUDO apt-get install -y -q "$@" >"$OUT/apt.log" 2>&1 || { $SUDO apt-get update -q >>"$OUT/apt.log" 2>&1 && $SUDO apt-get install -y -q "$@" >>"$OUT/apt.log" 2>&1; }
}
[ -x /usr/bin/time ] || apt_install time || { echo "bench: /usr/bin/time is required (apt-get install time)" >&2; exit 2; }

PY=""; HAVE_STILTS=""
# Asked for no peers, nothing is probed or installed for them, and the log says why they are missing.
if [ -n "${SKIP_PEERS:-}" ]; then
    log "peers skipped (SKIP_PEERS is set): no scipy or STILTS runs"
else
    for p in python3 /usr/bin/python3; do
        if command -v "$p" >/dev/null && "$p" -c 'import scipy, numpy' 2>/dev/null; then PY="$p"; break; fi
    done
    if [ -z "$PY" ]; then
        apt_install python3-scipy && /usr/bin/python3 -c 'import scipy' 2>/dev/null && PY=/usr/bin/python3
    fi
    [ -z "$PY" ] && log "scipy peer skipped: no python3 with scipy (apt-get install python3-scipy)"
    command -v stilts >/dev/null || apt_install stilts || true
    command -v stilts >/dev/null && HAVE_STILTS=1 || log "STILTS peer skipped: stilts not installed (apt-get install stilts)"
fi

# ---------------------------------------------------------------- build
if [ -z "${WDB_BIN:-}" ]; then
    # What ./run.sh publish makes: self-contained, one composite ReadyToRun image (NOTES 63).
    log "building wdb (dotnet publish -c Release -r linux-x64 --self-contained true; ~1 min)"
    dotnet publish "$ROOT/src/Wdb.Cli" -c Release -r linux-x64 --self-contained true -o "$OUT/wdb" -nologo -v q >"$OUT/publish.log" 2>&1 \
        || { echo "bench: dotnet publish failed, see $OUT/publish.log" >&2; exit 1; }
fi

# What was measured: the build as the program itself reports it (summary.json's runtime.build, read
# from its ReadyToRun header: composite ReadyToRun, ReadyToRun or jitted), from the first merge that ran.
WDB_BUILD=""
GEN=("$WDB" gen)

# /usr/bin/time -v fields -> "wall_s rss_mb exit"
time_fields() {
    awk -F': ' '
        /Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; wall = s }
        /Maximum resident set size/ { rss = $2 / 1024 }
        /Exit status/ { rc = $2 }
        /Command terminated by signal/ { rc = "sig" $2 }
        END { printf "%.2f %.0f %s\n", wall, rss, rc }' "$1"
}

# run_capped CAP_KB LOGPREFIX CMD...: timeout, optional address-space cap (python only), timed; the status in CAPPED.
# In the background and waited for, so that a Ctrl-C stops the run now (on_signal), not when the peer ends.
run_capped() {
    local cap_kb="$1"; shift; local pre="$1"; shift
    ( [ "$cap_kb" -gt 0 ] && ulimit -v "$cap_kb"
      exec /usr/bin/time -v -o "$pre.time" timeout -k 10 "$PEER_TIMEOUT" "$@" >"$pre.out" 2>"$pre.err" ) &
    PEER_PID=$!
    local k
    for k in $(seq 1 50); do   # the timeout under /usr/bin/time: it leads the peer's process group
        PEER_GROUP="$(pgrep -P "$PEER_PID" -x timeout)" && break
        kill -0 "$PEER_PID" 2>/dev/null || break
        sleep 0.1
    done
    wait "$PEER_PID"
    local rc=$?
    PEER_PID=""; PEER_GROUP=""
    CAPPED="$(capped_status "$rc" "$pre")"
}
capped_status() {   # capped_status EXIT_CODE LOGPREFIX
    local rc="$1" pre="$2"
    local wall; wall=$(time_fields "$pre.time" | cut -d' ' -f1)
    if [ "$rc" -eq 124 ] || { [ "$rc" -eq 137 ] && awk -v w="$wall" -v t="$PEER_TIMEOUT" 'BEGIN{exit !(w >= t)}'; }; then echo "timeout(${PEER_TIMEOUT}s)"
    elif [ "$rc" -eq 137 ]; then echo "killed (SIGKILL: out of memory?)"
    elif grep -qE 'MemoryError|Unable to allocate|OutOfMemoryError|std::bad_alloc|Cannot allocate' "$pre.err"; then echo "out of memory (cap ${PEER_MEM_GB} GB)"
    elif [ "$rc" -ne 0 ]; then echo "failed(rc=$rc)"
    else echo "ok"; fi
}

rate() { awk -v n="$1" -v s="$2" 'BEGIN{ if (s > 0) printf "%.0f", n / s; else print "-" }'; }
mbs() { awk -v b="$1" -v s="$2" 'BEGIN{ if (s > 0) printf "%.1f", b / 1e6 / s; else print "-" }'; }
ratio() { awk -v p="$1" -v w="$2" 'BEGIN{ if (w > 0 && p > 0) printf "%.1fx", p / w; else print "-" }'; }

ROWS_MD=(); STAGES_MD=(); CHECKS_MD=(); GEN_MD=(); WDB_WALLS_MD=(); SIDE_MD=()

# side_by_side DATASET CSV RUNDIR LABEL CAP_KB PEER_CMD...: wdb and the peer in SIDE_PAIRS pairs, each
# pair back to back, and the ratio within each pair. The main table sets wdb's median against one peer
# run made minutes later, in the peers' pass; on a VM whose speed moves by 20-40 % within the hour that
# ratio carries the drift, a pair's does not. The peer command writes to $run/side.peer.csv.
side_by_side() {
    local name="$1" csv="$2" run="$3" label="$4" cap="$5"; shift 5
    local ws=() ps=() rs=() i w p st rc
    SIDE_MEDIAN=""   # set to the pairs' median ratio when every pair ran
    for i in $(seq 1 "$SIDE_PAIRS"); do
        # wdb first in odd pairs, the peer first in even ones: neither always runs first.
        local order="wdb peer"; [ $((i % 2)) = 0 ] && order="peer wdb"
        for who in $order; do
            if [ "$who" = wdb ]; then
                /usr/bin/time -v -o "$run/side.wdb.time" "$WDB" merge "$csv" --out "$run/side.wdb" --quiet ${WDB_DEVICE:+--device "$WDB_DEVICE"} >/dev/null 2>&1
                read -r w _ rc < <(time_fields "$run/side.wdb.time"); rm -rf "$run/side.wdb"
                [ "$rc" = 0 ] || { log "$name: side by side: wdb failed"; return; }
            else
                run_capped "$cap" "$run/side.peer" "$@"; st="$CAPPED"
                read -r p _ _ < <(time_fields "$run/side.peer.time"); rm -f "$run/side.peer.csv"
                [ "$st" = ok ] || { log "$name: side by side: $label $st"; return; }
            fi
        done
        ws+=("$w"); ps+=("$p"); rs+=("$(awk -v p="$p" -v w="$w" 'BEGIN{printf "%.2f", p / w}')")
    done
    local med; med=$(printf '%s\n' "${rs[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    SIDE_MD+=("| $name | $label | ${#rs[@]} | $(IFS=,; echo "${ws[*]}" | sed 's/,/, /g') | $(IFS=,; echo "${ps[*]}" | sed 's/,/, /g') | $(IFS=,; echo "${rs[*]}" | sed 's/,/, /g') | ${med}x |")
    log "$name: side by side with $label: ${rs[*]} (median ${med}x)"
    SIDE_MEDIAN="$med"
}
SELECTED="${DATASETS:-}"
for spec in "${DATASETS_ALL[@]}"; do
    read -r name kind sources scans of extra <<<"$spec"
    if [ -n "$SELECTED" ] && [[ " $SELECTED " != *" $name "* ]]; then continue; fi
    csv="$DATA/${of:-$name}.csv"; run="$RUNS/$name"; rm -rf "$run"; mkdir -p "$run"
    if [ -n "$of" ]; then
        [ -s "$csv" ] || { log "$name: no data (it merges $of's, which was not made)"; continue; }
    elif [ -z "${KEEP_DATA:-}" ] || [ ! -s "$csv" ]; then
        args=("$kind" --sources "$sources" --seed "$SEED" --out "$csv"); [ "$scans" != - ] && args+=(--scans "$scans")
        if [ -n "$SKY" ]; then read -r sky_ra sky_dec <<<"$SKY"; args+=(--ra "$sky_ra" --dec "$sky_dec"); fi
        log "$name: generating ($kind, $sources sources$([ "$scans" != - ] && echo ", $scans scans"))"
        /usr/bin/time -v -o "$run/gen.time" "${GEN[@]}" "${args[@]}" >"$run/gen.log" 2>&1 \
            || { log "$name: generation failed, see $run/gen.log"; FAILED+=("$name: generation"); continue; }
        read -r gwall grss _ < <(time_fields "$run/gen.time")
    else gwall="-"; grss="-"; fi
    rows=$(( $(wc -l <"$csv") - 1 )); bytes=$(stat -L -c %s "$csv"); mb=$(awk -v b="$bytes" 'BEGIN{printf "%.1f", b/1e6}')
    [ -z "$of" ] && GEN_MD+=("| $name | $kind | $sources | ${scans/-/} | $rows | $mb | $gwall | $grss |")

    # wdb merge, end to end
    # Each repeat writes a fresh directory (replacing an old output would add its deletion to
    # the time); the run with the median wall time is kept as $run/wdb and reported.
    log "$name: wdb merge ($rows rows, $mb MB) x $WDB_REPEAT"
    rm -rf "$run"/wdb "$run"/wdb.[0-9]*
    # One untimed run first: the input into the page cache, the binary warm. (The peers run
    # after all of these: behind a STILTS timeout, even after a warm-up, repeats on the 3.25 M
    # tile took 12.6, 12.0, 6.5, 7.6, 6.2 s.)
    "$WDB" merge "$csv" --out "$run/wdb.warmup" --quiet ${WDB_DEVICE:+--device "$WDB_DEVICE"} $extra >/dev/null 2>&1; rm -rf "$run/wdb.warmup"
    walls=()
    for i in $(seq 1 "$WDB_REPEAT"); do
        /usr/bin/time -v -o "$run/wdb.$i.time" "$WDB" merge "$csv" --out "$run/wdb.$i" ${WDB_DEVICE:+--device "$WDB_DEVICE"} $extra >"$run/wdb.$i.out" 2>"$run/wdb.$i.err"
        read -r w _ rc < <(time_fields "$run/wdb.$i.time")
        walls+=("$w $i $rc")
        [ "$rc" != 0 ] && break
    done
    med=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{ a[NR] = $2 } END { print a[int((NR + 1) / 2)] }')
    WDB_WALLS_MD+=("| $name | $(printf '%s\n' "${walls[@]}" | awk '{ printf "%s%s", sep, $1; sep = ", " }') | run $med |")
    for i in $(seq 1 "$WDB_REPEAT"); do
        if [ "$i" = "$med" ]; then
            mv "$run/wdb.$i" "$run/wdb" 2>/dev/null
            for f in time out err; do mv "$run/wdb.$i.$f" "$run/wdb.$f" 2>/dev/null; done
        else rm -rf "$run/wdb.$i" "$run/wdb.$i".*; fi
    done
    read -r wwall wrss wrc < <(time_fields "$run/wdb.time")
    if [ "$wrc" != 0 ]; then wstat="failed(rc=$wrc)"; log "$name: wdb merge failed: $(tail -1 "$run/wdb.err")"
    elif [ ! -f "$run/wdb/summary.json" ]; then wstat="failed(no summary.json)"; log "$name: wdb merge wrote no summary.json"
    else wstat=ok; fi
    [ "$wstat" = ok ] || FAILED+=("$name: wdb merge $wstat")
    ww="$wwall"; [ "$wstat" != ok ] && ww=0
    if [ "$wstat" = ok ] && [ -f "$run/wdb/summary.json" ]; then
        [ -n "$WDB_BUILD" ] || WDB_BUILD="$("${PY:-python3}" -c 'import json, sys; print(json.load(open(sys.argv[1]))["runtime"]["build"])' "$run/wdb/summary.json" 2>/dev/null || true)"
        STAGES_MD+=("| $name | $("${PY:-python3}" -c '
import json, sys
s = json.load(open(sys.argv[1]))
st = s.get("stage_seconds") or s.get("StageSeconds") or {}
cpu = s.get("stage_cpu_seconds") or {}
rows = s.get("rows_merged", 0); nbytes = sum(i.get("bytes", 0) for i in s.get("inputs", []))
link = "%.1f" % (rows / st.get("link") / 1e6) if st.get("link") else "-"
parse = "%.0f" % (nbytes / st.get("read") / 1e6) if st.get("read") else "-"
print(", ".join(f"{k} {v:.2f}" + (f"/{cpu[k]:.2f}" if k in cpu else "") for k, v in st.items()) + f" | {link} | {parse} | " + str(s.get("device", s.get("Device", ""))) + " | " + str(s.get("candidate_groups", "")) + " | " + str(s.get("groups", "")))
' "$run/wdb/summary.json" 2>/dev/null || echo "summary.json unreadable | | | | |") |")
    fi

    # What the peers' pass needs from this one.
    declare -p rows bytes wwall wrss wstat ww >"$run/wdb.vars"
done

# Parsing on one core: the survey written as CSV, IPAC and IRSA bulk, merged with --threads 1,
# timing the read stage (summary.json); and read by `wdb validate --threads 1`, which decodes the
# same way but keeps no rows (parse only: no block to grow, nothing after the read). The 10 M
# survey's CSV, where there is one, is read by validate only. The reader decodes on the one thread
# it is given; the checksum of the input (XXH128) is taken by the thread that reads the file, as in every read.
PARSE_MD=()
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
each() { printf '%s\n' "$@" | awk '{ printf "%s%.3f", sep, $1; sep = ", " }'; }
parse_row() {   # parse_row LABEL FILE RUN_DIR MERGE(yes|no)
    local label="$1" file="$2" run="$3" merge="$4" fbytes i reads=() checks=() mcols="- | -" vcols="- | -"
    fbytes=$(stat -L -c %s "$file")
    if [ "$merge" = yes ]; then
        log "parse: $label, wdb merge --threads 1 x $WDB_REPEAT"
        for i in $(seq 1 "$WDB_REPEAT"); do
            "$WDB" merge "$file" --out "$run/out.$i" --threads 1 --quiet ${WDB_DEVICE:+--device "$WDB_DEVICE"} >"$run/merge.$i.log" 2>&1 || { log "parse: merge of $file failed, see $run/merge.$i.log"; break; }
            reads+=("$("${PY:-python3}" -c 'import json, sys; print(json.load(open(sys.argv[1]))["stage_seconds"]["read"])' "$run/out.$i/summary.json")")
            rm -rf "$run/out.$i"
        done
        [ ${#reads[@]} -eq "$WDB_REPEAT" ] && mcols="$(each "${reads[@]}") | $(mbs "$fbytes" "$(median "${reads[@]}")")"
    fi
    log "parse: $label, wdb validate --threads 1 x $WDB_REPEAT"
    for i in $(seq 1 "$WDB_REPEAT"); do
        "$WDB" validate "$file" --threads 1 --json >"$run/validate.$i.json" 2>"$run/validate.$i.log" || { log "parse: validate of $file failed, see $run/validate.$i.log"; break; }
        checks+=("$("${PY:-python3}" -c 'import json, sys; print(json.load(open(sys.argv[1]))["files"][0]["seconds"])' "$run/validate.$i.json")")
    done
    [ ${#checks[@]} -eq "$WDB_REPEAT" ] && vcols="$(each "${checks[@]}") | $(mbs "$fbytes" "$(median "${checks[@]}")")"
    PARSE_MD+=("| $label | $(awk -v b="$fbytes" 'BEGIN{printf "%.1f", b/1e6}') | $mcols | $vcols |")
}
parse_name="survey-0.65M"; [ "$MODE" = smoke ] && parse_name="survey-smoke"
parse_spec=""
for spec in "${DATASETS_ALL[@]}"; do [[ "$spec" == "$parse_name "* ]] && parse_spec="$spec"; done
if [ -n "$parse_spec" ] && { [ -z "$SELECTED" ] || [[ " $SELECTED " == *" $parse_name "* ]]; }; then
    read -r name kind sources scans <<<"$parse_spec"
    for ext in csv tbl bulk; do
        file="$DATA/$name.$ext"; run="$RUNS/parse-$ext"; rm -rf "$run"; mkdir -p "$run"
        if [ "$ext" != csv ] && { [ -z "${KEEP_DATA:-}" ] || [ ! -s "$file" ]; }; then
            args=("$kind" --sources "$sources" --seed "$SEED" --out "$file")
            if [ -n "$SKY" ]; then read -r sky_ra sky_dec <<<"$SKY"; args+=(--ra "$sky_ra" --dec "$sky_dec"); fi
            "${GEN[@]}" "${args[@]}" >"$run/gen.log" 2>&1 || { log "parse: generating $file failed, see $run/gen.log"; FAILED+=("parse: generating $file"); continue; }
        fi
        [ -s "$file" ] || continue
        parse_row "$name.$ext" "$file" "$run" yes
    done
fi
if [ "$MODE" = full ] && [ -s "$DATA/survey-10M.csv" ] && { [ -z "$SELECTED" ] || [[ " $SELECTED " == *" survey-10M "* ]]; }; then
    run="$RUNS/parse-10M"; rm -rf "$run"; mkdir -p "$run"
    parse_row "survey-10M.csv" "$DATA/survey-10M.csv" "$run" no
fi

# Gzipped inputs in several files (IRSA serves its tables so): the survey CSV cut into four
# contiguous parts, each gzipped, merged one file at a time and with wdb's default (several at
# once for .gz inputs), alternating; the tables must come out the same.
GZ_MD=()
if [ -n "$parse_spec" ] && [ -s "$DATA/$parse_name.csv" ] && { [ -z "$SELECTED" ] || [[ " $SELECTED " == *" $parse_name "* ]]; }; then
    run="$RUNS/gz-parts"; rm -rf "$run"; mkdir -p "$run"
    src="$DATA/$parse_name.csv"; total=$(( $(wc -l <"$src") - 1 )); parts=()
    for k in 0 1 2 3; do
        part="$DATA/$parse_name.part$k.csv.gz"
        if [ -z "${KEEP_DATA:-}" ] || [ ! -s "$part" ]; then
            PART_TMP="$part.tmp"
            awk -v k="$k" -v n="$total" 'NR == 1 || (NR - 2 >= int(k * n / 4) && NR - 2 < int((k + 1) * n / 4))' "$src" | gzip -6 >"$part.tmp" && mv "$part.tmp" "$part"
            PART_TMP=""
        fi
        parts+=("$part")
    done
    stored=$(cat "${parts[@]}" | wc -c); text=$(stat -L -c %s "$src")
    declare -A gz_walls=() gz_reads=() gz_sha=() gz_at=()
    log "gzipped parts: wdb merge of 4 .csv.gz, --files-at-once 1 and the default, alternating x $WDB_REPEAT"
    for i in $(seq 1 "$WDB_REPEAT"); do
        for variant in one default; do
            extra=(); [ "$variant" = one ] && extra=(--files-at-once 1)
            out="$run/$variant.$i"
            /usr/bin/time -v -o "$out.time" "$WDB" merge "${parts[@]}" --out "$out" --quiet "${extra[@]}" ${WDB_DEVICE:+--device "$WDB_DEVICE"} >"$out.log" 2>&1 \
                || { log "gzipped parts: merge failed, see $out.log"; continue; }
            read -r w _ _ < <(time_fields "$out.time")
            gz_walls[$variant]+="$w "
            read -r rd at sha < <("${PY:-python3}" -c 'import json, sys; s = json.load(open(sys.argv[1])); o = s["outputs"]; print(s["stage_seconds"]["read"], s["parameters"]["files_at_once"], "".join(o[k] for k in sorted(o)))' "$out/summary.json")
            gz_reads[$variant]+="$rd "; gz_at[$variant]="$at"; gz_sha[$variant]="$sha"
            rm -rf "$out"
        done
    done
    same="tables identical"; [ "${gz_sha[one]:-x}" = "${gz_sha[default]:-y}" ] || same="FAIL: tables differ"
    for variant in one default; do
        [ -n "${gz_walls[$variant]:-}" ] || continue
        # shellcheck disable=SC2086
        rmed=$(median ${gz_reads[$variant]})
        # shellcheck disable=SC2086
        GZ_MD+=("| $variant | ${gz_at[$variant]} | $(each ${gz_walls[$variant]}) | $(median ${gz_walls[$variant]}) | $(each ${gz_reads[$variant]}) | $(mbs "$text" "$rmed") | $same |")
    done
    GZ_STORED=$(awk -v b="$stored" 'BEGIN{printf "%.1f", b/1e6}'); GZ_TEXT=$(awk -v b="$text" 'BEGIN{printf "%.1f", b/1e6}')
fi

# Peers after every wdb measurement: a 17 GB JVM that has just been killed leaves the machine
# slow for a while, and wdb's repeats of the next dataset came out up to 2x slower behind it.
for spec in "${DATASETS_ALL[@]}"; do
    read -r name kind sources scans of extra <<<"$spec"
    if [ -n "$SELECTED" ] && [[ " $SELECTED " != *" $name "* ]]; then continue; fi
    csv="$DATA/${of:-$name}.csv"; run="$RUNS/$name"
    [ -f "$run/wdb.vars" ] || continue   # its data could not be generated
    source "$run/wdb.vars"
    if [ -n "$of" ]; then
        # A variant: the peers' runs on the same data, made for the dataset it varies.
        swall=0; twall=0; sstat="not run"; tstat="not run"
        [ -f "$RUNS/$of/peers.vars" ] && source "$RUNS/$of/peers.vars"
        sw="$swall"; [ "$sstat" != ok ] && sw=0
        tw="$twall"; [ "$tstat" != ok ] && tw=0
        [ "$wstat" != ok ] && wwall="-" && wrss="-"
        ROWS_MD+=("| $name | $rows | wdb $extra | $wwall | $(rate "$rows" "$ww") | $(mbs "$bytes" "$ww") | $wrss | $(ratio "$sw" "$ww") | $(ratio "$tw" "$ww") | $wstat |")
        same="PASS (groups, members, extractions and sky tables byte-identical to $of's)"
        for t in groups.fb members.fb extractions.fb sky.fb; do
            cmp -s "$RUNS/$of/wdb/$t" "$run/wdb/$t" || { same="FAIL: $t differs from $of's"; break; }
        done
        CHECKS_MD+=("| $name | $same |")
        log "$name: wdb $wstat ${wwall}s (peers: $of's)"
        continue
    fi
    # peers, each under a timeout; scipy also under an address-space cap
    swall=0; srss="-"; sstat="skipped"; twall=0; trss="-"; tstat="skipped"
    if [ -n "$PY" ]; then
        log "$name: scipy cKDTree peer"
        run_capped $(( PEER_MEM_GB * 1048576 )) "$run/scipy" "$PY" "$HERE/peers/fof_scipy.py" "$csv" --out "$run/scipy_groups.csv"
        sstat="$CAPPED"
        read -r swall srss _ < <(time_fields "$run/scipy.time")
    fi
    if [ -n "$HAVE_STILTS" ]; then
        log "$name: STILTS tmatch1 peer"
        # The JVM reserves address space up front: cap its heap instead of ulimit -v.
        run_capped 0 "$run/stilts" stilts "-Xmx${PEER_MEM_GB}g" tmatch1 in="$csv" ifmt=csv matcher=sky params=2 \
            values='ra dec' action=identify out="$run/stilts_groups.csv" ofmt=csv
        tstat="$CAPPED"
        read -r twall trss _ < <(time_fields "$run/stilts.time")
    fi
    sw="$swall"; [ "$sstat" != ok ] && sw=0
    tw="$twall"; [ "$tstat" != ok ] && tw=0
    # A run killed by timeout is not reaped through /usr/bin/time: its peak RSS is unknown.
    [[ "$sstat" == timeout* ]] && srss="-"
    [[ "$tstat" == timeout* ]] && trss="-"
    declare -p swall sstat twall tstat >"$run/peers.vars"
    [ "$wstat" != ok ] && wwall="-" && wrss="-"

    # independent check: wdb candidate groups == scipy components, row for row
    check="not run"
    if [ "$wstat" = ok ] && [ "$sstat" = ok ]; then
        exp="$run/wdb_extractions.csv"
        "$WDB" export "$run/wdb" --table extractions --format csv --out "$exp" >"$run/export.log" 2>&1 \
            || "$WDB" export "$run/wdb" --table extractions --format csv >"$exp" 2>>"$run/export.log"
        if [ -s "$exp" ]; then
            "$PY" "$HERE/peers/compare_groups.py" --wdb "$exp" --peer "$run/scipy_groups.csv" --data "$csv" >"$run/check.txt" 2>&1
            if [ $? -eq 0 ]; then check="PASS ($(grep -c '^PASS' "$run/check.txt") checks)"
            else check="FAIL: $(grep -m1 '^FAIL' "$run/check.txt" | cut -c6-)"; fi
            cat "$run/check.txt" >&2
        else check="FAIL (wdb export produced nothing, see $run/export.log)"; fi
    elif [ "$sstat" != ok ]; then check="not run (scipy peer: $sstat)"
    else check="not run (wdb: $wstat)"; fi
    CHECKS_MD+=("| $name | $check |")
    # The ratio columns: the side-by-side pairs' median where they ran, else the one peer run against wdb's median.
    sratio="$(ratio "$sw" "$ww")"; tratio="$(ratio "$tw" "$ww")"
    if [ "$wstat" = ok ] && [ "$SIDE_PAIRS" -gt 0 ]; then
        if [ "$sstat" = ok ] && awk -v w="$swall" -v m="$SIDE_MAX" 'BEGIN{exit !(w <= m)}'; then
            log "$name: side by side with scipy, $SIDE_PAIRS pairs"
            side_by_side "$name" "$csv" "$run" "scipy cKDTree" $(( PEER_MEM_GB * 1048576 )) "$PY" "$HERE/peers/fof_scipy.py" "$csv" --out "$run/side.peer.csv"
            [ -n "$SIDE_MEDIAN" ] && sratio="${SIDE_MEDIAN}x (pairs)"
        fi
        if [ "$tstat" = ok ] && awk -v w="$twall" -v m="$SIDE_MAX" 'BEGIN{exit !(w <= m)}'; then
            log "$name: side by side with STILTS, $SIDE_PAIRS pairs"
            side_by_side "$name" "$csv" "$run" "STILTS tmatch1" 0 stilts "-Xmx${PEER_MEM_GB}g" tmatch1 in="$csv" ifmt=csv matcher=sky params=2 \
                values='ra dec' action=identify out="$run/side.peer.csv" ofmt=csv
            [ -n "$SIDE_MEDIAN" ] && tratio="${SIDE_MEDIAN}x (pairs)"
        fi
    fi
    ROWS_MD+=("| $name | $rows | wdb | $wwall | $(rate "$rows" "$ww") | $(mbs "$bytes" "$ww") | $wrss | $sratio | $tratio | $wstat |")
    [ -n "$PY" ] && ROWS_MD+=("| $name | $rows | scipy cKDTree | $swall | $(rate "$rows" "$sw") | $(mbs "$bytes" "$sw") | $srss | | | $sstat |")
    [ -n "$HAVE_STILTS" ] && ROWS_MD+=("| $name | $rows | STILTS tmatch1 | $twall | $(rate "$rows" "$tw") | $(mbs "$bytes" "$tw") | $trss | | | $tstat |")
    log "$name: wdb $wstat ${wwall}s, scipy $sstat ${swall}s, stilts $tstat ${twall}s, check $check"
done
[ -z "${KEEP_DATA:-}" ] && [ "$MODE" = full ] && rm -f "$DATA/survey-10M.csv"

# ---------------------------------------------------------------- RESULTS.md
cpu="$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
gpu="$(command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)"
{
    echo "# Benchmark results"
    echo
    echo "Produced by \`bench/run.sh $MODE\` — see bench/README.md for the datasets and how to read this."
    echo
    echo "* date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit: $COMMIT"
    echo "* machine: $(nproc) cores, $cpu, $(awk '/MemTotal/ {printf "%.1f GB", $2/1048576}' /proc/meminfo) RAM${gpu:+, GPU: $gpu}"
    echo "* load average (1/5/15 min) at start: $LOAD_START, at end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "* peers: timeout ${PEER_TIMEOUT} s; scipy address-space cap ${PEER_MEM_GB} GB; STILTS -Xmx${PEER_MEM_GB}g"
    echo "* wdb build: ${WDB_BUILD:-not reported (no merge finished, or a build whose summary.json has no runtime section)} ($WDB)"
    echo "* wdb: median of ${WDB_REPEAT} runs (all walls below), device ${WDB_DEVICE:-auto}; peers: one run each, then ${SIDE_PAIRS} pairs back to back with wdb for each peer that took at most ${SIDE_MAX} s (the ratio columns give their median, marked \"pairs\")"
    echo "* data: seed $SEED, field centre ${SKY:-180 0} (RA Dec, deg)$([ -n "${KEEP_DATA:-}" ] && echo "; KEEP_DATA=1: files already in ${DATA#"$ROOT/"} were reused as they were")"
    echo
    echo "| dataset | rows | tool | wall s | extractions/s | MB/s parsed | peak RSS MB | scipy / wdb | STILTS / wdb | status |"
    echo "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    printf '%s\n' "${ROWS_MD[@]}"
    echo
    echo "## Independent check (wdb candidate groups vs scipy components, row for row)"
    echo
    echo "| dataset | result |"
    echo "| --- | --- |"
    printf '%s\n' "${CHECKS_MD[@]}"
    echo
    if [ ${#SIDE_MD[@]} -gt 0 ]; then
        echo "## Side by side (wdb and the peer back to back, $SIDE_PAIRS times, wdb first in odd pairs; peers whose run above took at most $SIDE_MAX s)"
        echo
        echo "Each pair ran within a minute, so both saw the same load: the ratio within a pair does not carry this VM's drift,"
        echo "which wdb's median against one peer run made later in the peers' pass does. The ratio columns above give these"
        echo "medians where pairs ran (marked \"pairs\"), and that single-run ratio elsewhere."
        echo
        echo "| dataset | peer | pairs | wdb wall s | peer wall s | peer / wdb, each pair | median |"
        echo "| --- | --- | ---: | --- | --- | --- | ---: |"
        printf '%s\n' "${SIDE_MD[@]}"
        echo
    fi
    echo "## wdb runs (wall s of each repeat; the median run is reported above and below)"
    echo
    echo "| dataset | wall s | median |"
    echo "| --- | --- | --- |"
    printf '%s\n' "${WDB_WALLS_MD[@]}"
    if [ ${#STAGES_MD[@]} -gt 0 ]; then
        echo
        echo "## wdb stage timings (summary.json of the median run: wall s/CPU s of the whole process, so CPU/wall is the cores a stage kept busy)"
        echo
        echo "| dataset | stages (wall s/CPU s) | link stage M extractions/s | read stage MB/s | device | candidate groups | groups |"
        echo "| --- | --- | ---: | ---: | --- | ---: | ---: |"
        printf '%s\n' "${STAGES_MD[@]}"
    fi
    if [ ${#PARSE_MD[@]} -gt 0 ]; then
        echo
        echo "## Parsing on one core (\`wdb merge FILE --threads 1\`: its read stage; \`wdb validate FILE --threads 1\`: the same decoding, no rows kept, parse only; the input's XXH128 checksum is taken by the reading thread in both)"
        echo
        echo "| file | MB | merge: read stage s (each run) | MB/s, median | validate: s (each run) | MB/s, median |"
        echo "| --- | ---: | --- | ---: | --- | ---: |"
        printf '%s\n' "${PARSE_MD[@]}"
    fi
    if [ ${#GZ_MD[@]} -gt 0 ]; then
        echo
        echo "## Gzipped inputs in several files (\`wdb merge\` of $parse_name cut into 4 contiguous .csv.gz parts, $GZ_STORED MB stored, $GZ_TEXT MB of text; alternating runs)"
        echo
        echo "| files at once | value | wall s (each run) | wall s, median | read stage s (each run) | read MB/s of text, median | check |"
        echo "| --- | ---: | --- | ---: | --- | ---: | --- |"
        printf '%s\n' "${GZ_MD[@]}"
    fi
    echo
    echo "## Data generation"
    echo
    echo "| dataset | kind | sources | scans | rows | CSV MB | gen wall s | gen peak RSS MB |"
    echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    printf '%s\n' "${GEN_MD[@]}"
    echo
    echo "## Accuracy against generated truth (\`bench/accuracy.sh\`: \`wdb evaluate\`, other seeds and sky areas)"
    echo
    bash "$HERE/accuracy.sh" "$WDB" 2>>"$OUT/accuracy.log" || echo "(accuracy run failed, see bench/out/accuracy.log)"
    # Measurements made by hand (GPU runs, the 10 M set by itself, start-up) live below a
    # marker line and are carried over from the previous RESULTS.md.
    if [ -f "$RESULTS" ] && grep -q '^<!-- kept by bench/run.sh' "$RESULTS"; then
        echo
        sed -n '/^<!-- kept by bench\/run.sh/,$p' "$RESULTS"
    fi
} >"$RESULTS.tmp" && mv "$RESULTS.tmp" "$RESULTS"
log "wrote $RESULTS"
if [ ${#FAILED[@]} -gt 0 ]; then log "failed: $(IFS=';'; echo "${FAILED[*]}" | sed 's/;/; /g')"; exit 1; fi
grep -q FAIL "$RESULTS" && exit 1
exit 0
