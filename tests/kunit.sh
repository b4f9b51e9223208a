#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# KUnit suites of kunit/ on a test kernel of the matrix, host side.
#
#   tests/kunit.sh ID OUTDIR
#
# Boots kernel ID (which must have CONFIG_KUNIT) with our modules and the
# KUnit modules (vpmem_kunit.ko; virtio_mem.ko, then vmem_kunit.ko; on
# P2PDMA kernels p2pmem_pci.ko, then p2pmem_kunit.ko), takes each suite's
# KTAP from debugfs and parses it with the kernel's own `kunit.py parse`.
# Every expected suite (SUITES below; p2pmem's on CONFIG_PCI_P2PDMA
# kernels) must have run and passed with no test skipped; the list must
# be the suites kunit/*.c defines (kunit-suites); the guest's load results
# are expected too (scripts/lib.sh expect_guest_results).
# Prints RESULT lines; exit 0 iff all pass.
. "$(dirname "$0")/../scripts/lib.sh"
. "$TOP/tests/scenario-lib.sh"
set -eu
[ $# -eq 2 ] || die "usage: $0 ID OUTDIR"
ID=$1
scenario_out "$2"

# the suites of kunit/*.c, per kernel
SUITES="vpmem_coalesce vpmem_logic vmem_protocol vmem_geometry vmem_sb vmem_select"
SUITE_SRCS="vpmem_kunit.c vmem_kunit.c"
LOADS="kunit-load-virtio_mem kunit-load-vpmem_kunit kunit-load-vmem_kunit"
KDIR=$("$TOP/scripts/kernels.sh" ready "$ID" | sed -n 's/^KDIR=//p')
if grep -qx CONFIG_PCI_P2PDMA=y "$KDIR/.config"; then
	SUITES="$SUITES p2pmem_cmb p2pmem_logic"
	SUITE_SRCS="$SUITE_SRCS p2pmem_kunit.c"
	LOADS="$LOADS kunit-load-p2pmem_pci kunit-load-p2pmem_kunit"
fi

MODS=$("$TOP/scripts/build.sh" "$ID")
[ -f "$MODS/vpmem_kunit.ko" ] || die "$ID has no KUnit: no vpmem_kunit.ko in $MODS"
[ -f "$MODS/vmem_kunit.ko" ] || die "no vmem_kunit.ko in $MODS"
KSRC=$("$TOP/scripts/kernels.sh" source)
KUNIT_PY=$KSRC/tools/testing/kunit/kunit.py

# p2pmem_kunit.ko (kernels with PCI P2PDMA) needs p2pmem_pci.ko loaded first.
EXTRA=("$MODS/vpmem_kunit.ko" "$MODS/virtio_mem.ko" "$MODS/vmem_kunit.ko")
[ -f "$MODS/p2pmem_kunit.ko" ] && EXTRA+=("$MODS/p2pmem_pci.ko" "$MODS/p2pmem_kunit.ko")
"$TOP/scripts/initramfs.sh" "$ID" "$OUT/initramfs.cpio.gz" --ours "$MODS" \
	--scenario "$TOP/tests/guest/kunit.sh" --extra "${EXTRA[@]}" >&2
. "$OUT/initramfs.env"
# allnoconfig leaves KUnit disabled (6.x: KUNIT_DEFAULT_ENABLED) and, from
# 6.16 on, not running suites at module load (KUNIT_AUTORUN_ENABLED): turn
# both on from the command line (older kernels ignore kunit.autorun).
boot_kunit() {
	rc=0
	"$TOP/scripts/vm.sh" --kernel "$VMLINUZ" --initrd "$OUT/initramfs.cpio.gz" \
		--log "$OUT/serial.log" --rundir "$OUT" --nvme 0 --timeout "${TIMEOUT:-600}" \
		--append "kunit.enable=1 kunit.autorun=1" >&2 || rc=$?
	tr -d '\r' <"$OUT/serial.log" >"$OUT/serial.txt"
}

# early_report: the first kernel report when it came before the scenario
# started, i.e. before any module of ours was loaded (seen once on
# test-7.2 under TCG: "KASAN: wild-memory-access in rcu_is_watching" from
# an interrupt 0.004 s into the boot, in identify_cpu)
early_report() {
	boot_report "$OUT/serial.txt" '^INIT: SCENARIO-START'
}

# such a boot is booted once more; the first report is named in
# kunit-dmesg-clean, its log kept as serial.try1.log; a second one fails
boot_kunit
RETRIED=
if first=$(early_report); then
	RETRIED="; boot retried, the first one had a kernel report before any module of ours: $(echo "$first" | cut -c1-100)"
	mv "$OUT/serial.log" "$OUT/serial.try1.log"
	warn "kunit: kernel report before the scenario started, booting once more"
	boot_kunit
fi

: >"$OUT/results.txt"

# the list above is what kunit/*.c defines (a new suite must be listed)
defined=$(cd "$TOP/kunit" && awk '/struct kunit_suite [a-z0-9_]+ = \{/ {on = 1}
	on && match($0, /\.name = "[^"]+"/) {print substr($0, RSTART + 9, RLENGTH - 10); on = 0}' \
	$SUITE_SRCS | sort | xargs)
if [ "$defined" = "$(echo "$SUITES" | tr ' ' '\n' | sort | xargs)" ]; then
	emit "kunit-suites PASS expecting the $(echo "$SUITES" | wc -w) suites kunit/ defines for this kernel: $SUITES"
else
	emit "kunit-suites FAIL kunit/ defines '$defined', expected '$SUITES' (update SUITES in tests/kunit.sh)"
fi
# One KTAP document per suite, parsed by kunit.py (exit 1 on failure); a
# suite that did not run, ran no test or skipped one fails.
ran=$(sed -n 's/^===KTAP-BEGIN \(.*\)===$/\1/p' "$OUT/serial.txt" | sort -u)
for s in $SUITES $(echo "$ran" | grep -vxF -f <(echo "$SUITES" | tr ' ' '\n') || true); do
	if ! echo "$ran" | grep -qxF "$s"; then
		emit "kunit-$s FAIL the suite did not run (no KTAP in debugfs; QEMU rc=$rc, log $OUT/serial.log)"
		continue
	fi
	awk -v s="$s" '$0 == "===KTAP-BEGIN " s "===" {on = 1; next}
		/^===KTAP-END===/ {on = 0} on' "$OUT/serial.txt" >"$OUT/$s.ktap"
	summary=$(python3 "$KUNIT_PY" parse "$OUT/$s.ktap" >"$OUT/$s.parse" 2>&1 &&
		grep -o 'Ran [0-9]* tests.*' "$OUT/$s.parse" | tail -n1) || summary=
	if [ -z "$summary" ]; then
		emit "kunit-$s FAIL $(grep -E 'FAILED|Ran [0-9]* tests' "$OUT/$s.parse" | tr '\n' ' ' | cut -c1-200)"
	elif echo "$summary" | grep -qE '^Ran 0 tests|skipped: [1-9]'; then
		emit "kunit-$s FAIL $summary (a suite that runs nothing or skips is not a pass)"
	else
		emit "kunit-$s PASS $summary"
	fi
done
# Guest-side results (module loads, kmemleak).
guest_results "$OUT/serial.txt" >"$OUT/guest-results.txt"
expect_guest_results "$OUT/guest-results.txt" "$OUT/results.txt" $LOADS kmemleak
if grep -qE 'BUG:|WARNING:|KASAN|possible circular locking|possible recursive locking|INFO: task .* blocked|Call Trace:' "$OUT/serial.txt"; then
	emit "kunit-dmesg-clean FAIL kernel report in $OUT/serial.log: $(grep -m1 -E 'BUG:|WARNING:|KASAN|possible .* locking|INFO: task|Call Trace:' "$OUT/serial.txt" | cut -c1-160)"
else
	emit "kunit-dmesg-clean PASS no BUG/WARNING/KASAN/lockdep report$RETRIED"
fi
! grep -q '^RESULT [^ ]* FAIL' "$OUT/results.txt"
