#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# KUnit suites of kunit/ on a test kernel of the matrix, host side.
#
#   tests/kunit.sh ID OUTDIR
#
# Boots kernel ID (which must have CONFIG_KUNIT) with our modules and the
# KUnit modules (vpmem_kunit.ko; virtio_mem.ko, then vmem_kunit.ko; on
# P2PDMA kernels p2pmem_pci.ko, then p2pmem_kunit.ko), takes each suite's
# KTAP from debugfs and parses it with the kernel's own `kunit.py parse`
# (tests/scenario-lib.sh kunit_setup, kunit_report; the guest's half is
# common.sh kunit_run).  Every expected suite (p2pmem's on
# CONFIG_PCI_P2PDMA kernels) must have run and passed with no test
# skipped; the list must be the suites kunit/*.c defines (kunit-suites);
# the guest's load results are expected too (scripts/lib.sh
# expect_guest_results).  make check runs the same suites inside the
# vmem boot of its KUnit kernel (tests/vmem-scenarios.sh, VMEM_KUNIT=1): this
# script is the standalone boot, for any test kernel.
# Prints RESULT lines; exit 0 iff all pass.
. "$(dirname "$0")/../scripts/lib.sh"
. "$TOP/tests/scenario-lib.sh"
set -eu
[ $# -eq 2 ] || die "usage: $0 ID OUTDIR"
ID=$1
scenario_out "$2"

MODS=$("$TOP/scripts/build.sh" "$ID")
[ -f "$MODS/vpmem_kunit.ko" ] || die "$ID has no KUnit: no vpmem_kunit.ko in $MODS"
# the suites, the modules for /bin (virtio_mem loaded by the guest: the
# initramfs loads our pmem modules only) and their load results
kunit_setup "$ID" "$MODS" virtio_mem
"$TOP/scripts/initramfs.sh" "$ID" "$OUT/initramfs.cpio.gz" --ours "$MODS" \
	--scenario "$TOP/tests/guest/kunit.sh" --extra "${KUNIT_EXTRA[@]}" >&2
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
kunit_report "$OUT/serial.txt"
# Guest-side results (module loads, kmemleak).
guest_results "$OUT/serial.txt" >"$OUT/guest-results.txt"
expect_guest_results "$OUT/guest-results.txt" "$OUT/results.txt" $KUNIT_LOADS kmemleak
if grep -qE 'BUG:|WARNING:|KASAN|possible circular locking|possible recursive locking|INFO: task .* blocked|Call Trace:' "$OUT/serial.txt"; then
	emit "kunit-dmesg-clean FAIL kernel report in $OUT/serial.log: $(grep -m1 -E 'BUG:|WARNING:|KASAN|possible .* locking|INFO: task|Call Trace:' "$OUT/serial.txt" | cut -c1-160)"
else
	emit "kunit-dmesg-clean PASS no BUG/WARNING/KASAN/lockdep report$RETRIED"
fi
! grep -q '^RESULT [^ ]* FAIL' "$OUT/results.txt"
