#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# p2pmem_pci scenarios, host side: boot kernel ID (a test kernel with
# CONFIG_PCI_P2PDMA) once with tests/guest/p2pmem.sh, collect the guest's
# RESULT lines, fail on missing ones and on kernel reports.
#
#   tests/p2pmem-scenarios.sh ID MODDIR OUTDIR
#
# MODDIR holds p2pmem_pci.ko (scripts/build.sh ID).  Environment: TIMEOUT
# (guest seconds, default 900), P2PCOPY (static tools/p2pcopy; built into
# the cache if unset), ACCEL (see scripts/vm.sh).
#
# Prints RESULT <name> PASS|FAIL <detail> (also OUTDIR/results.txt), the
# guest's COPY lines and a summary.  Exit 0 iff every expected result is
# there and all results are PASS.
. "$(dirname "$0")/../scripts/lib.sh"
set -eu

[ $# -eq 3 ] || die "usage: $0 ID MODDIR OUTDIR"
ID=$1
MODS=$(realpath "$2")
OUT=$3
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
[ -f "$MODS/p2pmem_pci.ko" ] || die "no p2pmem_pci.ko in $MODS (kernel without CONFIG_PCI_P2PDMA?)"
if [ -z "${P2PCOPY:-}" ]; then
	make -s -C "$TOP/tools" O="$CACHE/tools" >"$OUT/tools.log" 2>&1 || die "building tools failed ($OUT/tools.log)"
	P2PCOPY=$CACHE/tools/p2pcopy
fi
T0=$(date +%s.%N)
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}'; }

"$TOP/scripts/initramfs.sh" "$ID" "$OUT/initramfs.cpio.gz" \
	--scenario "$TOP/tests/guest/p2pmem.sh" --extra "$P2PCOPY" "$MODS/p2pmem_pci.ko"
. "$OUT/initramfs.env"
[ "$KIND" = test ] || die "$ID is not a test kernel (P2PDMA is off in stock kernels)"
TIMEOUT=${TIMEOUT:-900}

SERIAL=$OUT/serial.log
rm -f "$OUT"/nvme*.img "$OUT/results.txt"
say "p2pmem-scenarios: booting $ID (timeout ${TIMEOUT}s), output in $OUT"
rc=0
"$TOP/scripts/vm.sh" --kernel "$VMLINUZ" --initrd "$OUT/initramfs.cpio.gz" \
	--log "$SERIAL" --rundir "$OUT" --pmem-size 64M --timeout "$TIMEOUT" || rc=$?
TOTAL=$(elapsed)

CLEAN=$OUT/serial.clean.log
tr -d '\r' <"$SERIAL" >"$CLEAN"
: >"$OUT/results.txt"
emit() { echo "RESULT $*" | tee -a "$OUT/results.txt"; }

if grep -q '^===RESULTS-END===' "$CLEAN"; then
	sed -n '/^===RESULTS-BEGIN===/,/^===RESULTS-END===/p' "$CLEAN" |
		grep '^RESULT ' >"$OUT/guest-results.txt" || true
else
	grep -ao 'RESULT [a-z0-9-]* \(PASS\|FAIL\).*' "$CLEAN" >"$OUT/guest-results.txt" || true
fi

if grep -q 'INIT: SCENARIO-START' "$CLEAN"; then
	emit "p2pmem-boot PASS scenario reached (QEMU rc=$rc, total ${TOTAL}s)"
else
	emit "p2pmem-boot FAIL guest never reached the scenario (QEMU rc=$rc; see $SERIAL)"
fi

# Expected results; the kernel's p2pmem/allocate file exists from 6.2 on.
EXPECTED="p2pmem-load p2pmem-sysfs p2pmem-copy p2pmem-copy-freed p2pmem-copy-own-cmb
	p2pmem-copy-sysmem p2pmem-private-refused p2pmem-bad-bar p2pmem-unbind-nvme p2pmem-rebind-nvme
	p2pmem-cmb-bind p2pmem-unbind-busy p2pmem-remove p2pmem-rescan p2pmem-reload"
if printf '%s\n6.2\n' "$KVER" | sort -V -C; then
	echo "NOTE p2pmem-allocate not expected: $KVER has no p2pmem/allocate (6.2+)"
else
	EXPECTED="$EXPECTED p2pmem-allocate"
fi
for s in $EXPECTED; do
	line=$(grep -m1 "^RESULT $s " "$OUT/guest-results.txt" || true)
	if [ -n "$line" ]; then
		echo "$line" | tee -a "$OUT/results.txt"
	else
		emit "$s FAIL no result from the guest"
	fi
done
# further guest results (kmemleak, unexpected ones)
grep -v -E "^RESULT ($(echo $EXPECTED | tr ' ' '|')) " "$OUT/guest-results.txt" |
	tee -a "$OUT/results.txt" || true
grep -h -E '^(COPY|NOTE|SCENARIO) ' "$CLEAN" || true

# kernel reports anywhere in the serial log
grep -a -v -E '^(RESULT|COPY|NOTE|SCENARIO|INIT:|HOLD) ' "$CLEAN" |
	grep -a -E 'BUG:|WARNING:|KASAN|possible circular locking|possible recursive locking|inconsistent lock state|INFO: |suspected memory leak|unreferenced object|Oops|Kernel panic|general protection fault|UBSAN|Call Trace:' \
	>"$OUT/dmesg-reports.txt" || true
if [ -s "$OUT/dmesg-reports.txt" ]; then
	emit "p2pmem-dmesg-clean FAIL $(wc -l <"$OUT/dmesg-reports.txt") report lines, first: $(head -n1 "$OUT/dmesg-reports.txt" | cut -c1-160)"
elif ! grep -q '^===DMESG-END===' "$CLEAN"; then
	emit "p2pmem-dmesg-clean FAIL guest did not dump its dmesg (hung or crashed?)"
else
	emit "p2pmem-dmesg-clean PASS no BUG/WARNING/KASAN/lockdep/kmemleak reports"
fi

npass=$(grep -c '^RESULT [^ ]* PASS' "$OUT/results.txt" || true)
nfail=$(grep -c '^RESULT [^ ]* FAIL' "$OUT/results.txt" || true)
echo "SUMMARY $ID p2pmem: $npass passed, $nfail failed; total ${TOTAL}s; logs in $OUT"
[ "$npass" -ge 1 ] && [ "$nfail" -eq 0 ]
