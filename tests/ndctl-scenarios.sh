#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Debian's ndctl/daxctl on the virtio-pmem region in a short boot of its
# own (tests/guest/ndctl.sh as the scenario, a fresh sparse image): the
# in-tree driver's side of the comparison; our driver runs the same steps
# at the end of its pmem boot (tests/pmem-scenarios.sh --ndctl).
#
#   tests/ndctl-scenarios.sh ID (--intree | --ours DIR) OUTDIR [--compare FILE]
#
# --compare FILE: the other driver's outcomes (OUTDIR/ndctl-outcomes.txt of
# pmem-scenarios.sh --ndctl): adds RESULT ndctl-parity and writes
# OUTDIR/ndctl-parity.md (step, in-tree, ours).
# Results: ndctl-DRV-boot, ndctl-DRV-STEP (tests/ndctl-lib.sh), ndctl-DRV-dmesg-clean,
# ndctl-parity; DRV is intree or ours.  Environment: TIMEOUT (default 300),
# NDCTL_BTT_WRITE=1 (the sector-write step with the in-tree driver too, see
# tests/ndctl-lib.sh).
. "$(dirname "$0")/../scripts/lib.sh"
. "$TOP/tests/scenario-lib.sh"
. "$TOP/tests/ndctl-lib.sh"
set -eu

usage() { die "usage: $0 ID (--intree | --ours DIR) OUTDIR [--compare FILE]"; }
[ $# -ge 3 ] || usage
ID=$1
shift
driver_args "$@"
shift "$DRV_ARGC"
[ -n "$DRV" ] && [ $# -ge 1 ] || usage
ndctl_steps_for "$DRV" "$ID"
scenario_out "$1"
shift
COMPARE=
if [ $# -gt 0 ]; then
	[ "$1" = --compare ] && [ $# -eq 2 ] || usage
	COMPARE=$2
fi
SERIAL=$OUT/serial.log
IMG=$OUT/pmem.img
T0=$(date +%s.%N)

say "ndctl-scenarios: kernel $ID, driver $DRV, output in $OUT"
ndctl_initramfs_args
"$TOP/scripts/initramfs.sh" "$ID" "$OUT/initramfs.cpio.gz" "${MODARGS[@]}" \
	--scenario "$TOP/tests/guest/ndctl.sh" "${NDCTL_ARGS[@]}"
rm -f "$IMG"
truncate -s 1G "$IMG"
: >"$SERIAL"
rc=0
"$TOP/scripts/vm.sh" --kernel "$(. "$OUT/initramfs.env" && echo "$VMLINUZ")" \
	--initrd "$OUT/initramfs.cpio.gz" --log "$SERIAL" --rundir "$OUT" \
	--pmem-img "$IMG" --pmem-size 1G --nvme 0 --retry-early --timeout "${TIMEOUT:-300}" \
	--append "$NDCTL_APPEND" || rc=$?
rm -f "$IMG"

results_begin "$SERIAL"
emit_boot "ndctl-$DRV-boot" "$rc" "total $(elapsed)s"
guest_results "$CLEAN" | sed "s/^RESULT ndctl-/RESULT ndctl-$DRV-/" >"$OUT/guest-results.txt"
expect_guest_results "$OUT/guest-results.txt" "$OUT/results.txt" \
	$(for s in $NDCTL_STEPS; do echo "ndctl-$DRV-$s"; done)
ndctl_outcomes "$CLEAN" "$OUT/results.txt" "$OUT/ndctl-outcomes.txt" "ndctl-$DRV-"
ndctl_skip_check "$CLEAN"
grep -a "^SKIP " "$CLEAN" || true
emit "$(dmesg_clean "ndctl-$DRV-dmesg-clean" "$CLEAN" "$CLEAN" 'RESULT|NDOUT|NDLOG|NDTIME|SCENARIO|INIT:' '' \
	"no BUG/WARNING/KASAN/lockdep/kmemleak reports" "$OUT/dmesg-reports.txt")"
grep -h "^NDTIME " "$CLEAN" || true
if [ -n "$COMPARE" ]; then
	if [ "$DRV" = intree ]; then
		emit "$(ndctl_parity "$COMPARE" "$OUT/ndctl-outcomes.txt" "$OUT/ndctl-parity.md")"
	else
		emit "$(ndctl_parity "$OUT/ndctl-outcomes.txt" "$COMPARE" "$OUT/ndctl-parity.md")"
	fi
	cat "$OUT/ndctl-parity.md"
fi
results_summary "$ID ndctl $DRV" "total $(elapsed)s"
