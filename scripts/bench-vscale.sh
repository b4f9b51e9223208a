#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# virtio-mem growth in Big Block Mode: how far a guest booted with 512 MiB
# grows when a Big Block Mode device (vm1, 512 MiB device blocks, 48 GiB
# region on memory-backend-ram,reserve=off) is asked for BENCH_VSCALE_GROW
# bytes in one step, with memory_hotplug.memmap_on_memory=1, on the same
# kernel and QEMU machine:
#   ours          our driver, memmap on memory (module parameter default)
#   ours-boot     our driver with memmap_on_memory=N: memmaps in boot
#                 memory, the unmovable reserve stops it
#   intree        the stock kernel's driver (no memmap on memory): its
#                 outcome (size reached, or the guest's death)
# One boot each (tests/vmem-scale-scenarios.sh with VSCALE_BBM_GROW, result
# vscale-bbm-grow; the host's vscale-survive says whether the guest lived).
#
#   scripts/bench-vscale.sh
#
# Environment (all optional):
#   BENCH_KERNEL        stock kernel id of scripts/matrix.conf   (stock-6.12)
#   BENCH_VSCALE_GROW   bytes requested in one step              (32 GiB)
#   BENCH_VSCALE_RUNS   subset of "ours ours-boot intree"        (all three)
#   BENCH_TIMEOUT       seconds per guest boot                   (900)
#
# Output: results/bench-vscale-TS/<run>/ (logs, results.txt) and
# summary.txt (the vscale-bbm-grow and vscale-survive lines of each run).
# Sizes are reported, never asserted; the exit status is non-zero only
# when a run did not produce its result line.
. "$(dirname "$0")/lib.sh"
set -eu

KERNEL_ID=${BENCH_KERNEL:-stock-6.12}
GROW=${BENCH_VSCALE_GROW:-$((32 << 30))}
RUNS=${BENCH_VSCALE_RUNS:-ours ours-boot intree}
[ $# -eq 0 ] || die "usage: $0 (no arguments; see the header for the BENCH_* variables)"
[[ "$GROW" =~ ^[1-9][0-9]*$ ]] || die "BENCH_VSCALE_GROW: '$GROW' is not a byte count"

RUN=$TOP/results/bench-vscale-$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUN"
mods=$("$TOP/scripts/build.sh" "$KERNEL_ID")
rc=0
for r in $RUNS; do
	case "$r" in
	ours) drv=(--ours "$mods"); memmap=1 ;;
	ours-boot) drv=(--ours "$mods"); memmap=0 ;;
	intree) drv=(--intree); memmap=1 ;;
	*) die "BENCH_VSCALE_RUNS: unknown run '$r'" ;;
	esac
	say "bench-vscale: $KERNEL_ID $r, grow to $GROW in one step"
	VSCALE_BBM_GROW=$GROW VSCALE_BBM_REGION=49152 VSCALE_MEMMAP=$memmap \
		TIMEOUT=${BENCH_TIMEOUT:-900} \
		"$TOP/tests/vmem-scale-scenarios.sh" "$KERNEL_ID" "${drv[@]}" "$RUN/$r" || true
	{
		echo "== $r"
		grep -E '^RESULT (vscale-bbm-grow|vscale-survive) ' "$RUN/$r/results.txt" || echo "(no result)"
	} >>"$RUN/summary.txt"
	grep -q '^RESULT vscale-bbm-grow ' "$RUN/$r/results.txt" || rc=1
done
cat "$RUN/summary.txt"
exit $rc
