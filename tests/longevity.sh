#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Module longevity, host side: boot kernel ID once with
# tests/guest/longevity.sh: CYCLES load/unload cycles of nd_virtio +
# virtio_pmem, virtio_mem and (P2PDMA kernels) p2pmem_pci with their
# devices present, unloads refused under a mounted /dev/pmem0, then a
# kmemleak scan (test kernels).  Host checks: boot, kernel reports
# (KASAN, lockdep, kmemleak, WARN, BUG, Oops) anywhere in the serial log.
#
#   tests/longevity.sh ID MODDIR OUTDIR [CYCLES]
#
# MODDIR: scripts/build.sh ID.  CYCLES: default 500 (make bench); make
# check runs fewer (scripts/check.sh).  Environment: TIMEOUT (QEMU
# seconds; default 1200 + 20 per cycle), ACCEL (see scripts/vm.sh).
# Prints RESULT lines (also OUTDIR/results.txt); exit 0 iff all pass.
. "$(dirname "$0")/../scripts/lib.sh"
. "$TOP/tests/scenario-lib.sh"
set -eu

[ $# -ge 3 ] && [ $# -le 4 ] || die "usage: $0 ID MODDIR OUTDIR [CYCLES]"
ID=$1
MODS=$(realpath "$2")
scenario_out "$3"
CYCLES=${4:-500}
KDIR=$("$TOP/scripts/kernels.sh" ready "$ID" | sed -n 's/^KDIR=//p')
EXTRA=()
P2P=0
if grep -qx CONFIG_PCI_P2PDMA=y "$KDIR/.config"; then
	[ -f "$MODS/p2pmem_pci.ko" ] || die "$ID has CONFIG_PCI_P2PDMA but $MODS has no p2pmem_pci.ko"
	EXTRA=(--extra "$MODS/p2pmem_pci.ko")
	P2P=1
fi
"$TOP/scripts/initramfs.sh" "$ID" "$OUT/initramfs.cpio.gz" --ours "$MODS" \
	--vmem ours "$MODS" --scenario "$TOP/tests/guest/longevity.sh" "${EXTRA[@]}"
. "$OUT/initramfs.env"
TIMEOUT=${TIMEOUT:-$((1200 + 20 * CYCLES))}

say "longevity: $ID, $CYCLES cycles per module (timeout ${TIMEOUT}s), output in $OUT"
rc=0
t0=$SECONDS
"$TOP/scripts/vm.sh" --kernel "$VMLINUZ" --initrd "$OUT/initramfs.cpio.gz" \
	--log "$OUT/serial.log" --rundir "$OUT" --pmem-size 64M --timeout "$TIMEOUT" \
	--append "longevity_cycles=$CYCLES" || rc=$?
secs=$((SECONDS - t0))
rm -f "$OUT"/*.img

results_begin "$OUT/serial.log"
emit_boot longevity-boot "$rc" "${secs}s of guest time" "^SCENARIO longevity"
guest_results "$CLEAN" | sed 's/^RESULT kmemleak /RESULT longevity-kmemleak /' >"$OUT/guest-results.txt"
EXPECTED="longevity-pmem longevity-pmem-mounted longevity-vmem"
[ "$P2P" = 1 ] && EXPECTED="$EXPECTED longevity-p2pmem"
[ "$KIND" = test ] && EXPECTED="$EXPECTED longevity-kmemleak"
expect_guest_results "$OUT/guest-results.txt" "$OUT/results.txt" $EXPECTED
emit "$(dmesg_clean longevity-dmesg-clean "$CLEAN" "$CLEAN" 'RESULT|STAT|STEP|SCENARIO|INIT:' '' \
	"no BUG/WARNING/KASAN/lockdep/kmemleak reports over $CYCLES cycles per module" "$OUT/dmesg-reports.txt")"
grep -a '^STAT slab' "$CLEAN" || true
! grep -q '^RESULT [^ ]* FAIL' "$OUT/results.txt"
