#!/usr/bin/env bash
# Stop 26's third device call: is the 16-core machine's stats stage (groups.fb and members.fb written as the
# statistics are computed) and its zone merge bound by the disk? The same merges with outputs (and the zone
# merge's spill, beside them) on the disk, then on /dev/shm (tmpfs: no O_DIRECT there, page cache only).
# First the test suite again, after the two fixes of run 2.
set -u
export OUT="${OUT:-/tmp/wdb-gpu-out}"; mkdir -p "$OUT"
rm -rf .device/run; mkdir -p .device/run; tar -C .device/run -xJf .device/wdb-linux-x64.tar.xz
W="$PWD/.device/run/wdb/wdb"; T=/tmp/wdb-disk; rm -rf $T; mkdir -p $T
ldconfig -p | grep -q libicuuc || export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
log="$OUT/disk.md"
{ date -u +%FT%TZ; echo "build $(cat .device/run/wdb/COMMIT | tr '\n' ' ')"; df -h /tmp /dev/shm | sed 's/^/    /'
  echo "dd 2 GiB direct write to /tmp:"; dd if=/dev/zero of=$T/dd bs=8M count=256 oflag=direct 2>&1 | tail -1
  echo "dd 2 GiB direct read back:"; dd if=$T/dd of=/dev/null bs=8M iflag=direct 2>&1 | tail -1; rm -f $T/dd; } | tee "$log"
if ! ldconfig -p | grep -q libcuda.so.1; then
  lib=$(find /usr/local/nvidia /usr/lib /usr/lib64 /lib /opt -name libcuda.so.1 2>/dev/null | head -1 || true)
  [ -n "$lib" ] && export LD_LIBRARY_PATH="$(dirname "$lib")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
WDB_EXE="$W" timeout 150 .device/run/wdb/Wdb.Tests -noColor > "$OUT/tests.log" 2>&1 || echo "test suite failed ($?)" | tee -a "$log"
grep -A1 "TEST EXECUTION SUMMARY" "$OUT/tests.log" | tee -a "$log"; grep -A6 "\[FAIL\]" "$OUT/tests.log" | head -30 | tee -a "$log"
$W gen survey --sources 6000000 --seed 1 --out $T/big.csv > /dev/null
for where in /tmp /dev/shm; do
  TMPDIR=$where THREADS=16 ENVS="" STAGES="read sort link order stats write" bash bench/threads.sh -b "$W" -r 2 \
    -o "$OUT/held-$(basename $where).md" $T/big.csv --device cpu --zone-rows 0 > /dev/null 2>&1 || echo "held $where failed" | tee -a "$log"
  TMPDIR=$where THREADS=16 ENVS="" STAGES="read footprints sort link order stats spill write" bash bench/threads.sh -b "$W" -r 1 \
    -o "$OUT/zones-$(basename $where).md" $T/big.csv --device cpu --zone-rows 1000000 > /dev/null 2>&1 || echo "zones $where failed" | tee -a "$log"
done
for f in "$OUT"/held-*.md "$OUT"/zones-*.md; do echo "== $f"; grep "^| default" "$f"; done | tee -a "$log"
rm -rf $T
