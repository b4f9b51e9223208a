#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make bench BENCH=durability`: the power-cut durability oracle
# (tests/durability-scenarios.sh) at length: BENCH_CUTS cuts per driver,
# ours and the in-tree one on the same stock kernel, plus a few cuts with
# our driver's ack_early knob (must lose records), with a wider range of
# cut moments than `make check`.
#
#   scripts/bench-durability.sh
#
# Environment (all optional):
#   BENCH_KERNEL      kernel id of scripts/matrix.conf        (stock-6.12)
#   BENCH_CUTS        cuts per driver                         (50)
#   BENCH_DRIVERS     subset of "ours intree"                 ("ours intree")
#   BENCH_BROKEN      ack_early cuts with our driver          (3)
#   BENCH_SEED        seed (else from the clock; printed)
#   DUR_DELAY_MIN_MS / DUR_DELAY_SPAN_MS  cut moment after the writers
#                     started                                 (200 / 7800)
#
# Output: results/bench-durability-TS.txt (the DURABILITY and RESULT lines
# of each driver; records checked / lost per driver), logs in
# results/bench-durability-TS/.  Exit status non-zero when a record was
# lost with a correct driver, the ack_early cuts lost nothing, or a run
# failed.
. "$(dirname "$0")/lib.sh"
set -eu

KERNEL_ID=${BENCH_KERNEL:-stock-6.12}
CUTS=${BENCH_CUTS:-50}
DRIVERS=${BENCH_DRIVERS:-ours intree}
BROKEN=${BENCH_BROKEN:-3}
SEED=${BENCH_SEED:-$(( $(date +%s%N) % 1000000007 ))}
export DUR_DELAY_MIN_MS=${DUR_DELAY_MIN_MS:-200}
export DUR_DELAY_SPAN_MS=${DUR_DELAY_SPAN_MS:-7800}
[ $# -eq 0 ] || die "usage: $0 (no arguments; see the header for the BENCH_* variables)"
[[ "$CUTS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_CUTS: '$CUTS' is not a positive number"
[[ "$BROKEN" =~ ^[0-9]+$ ]] || die "BENCH_BROKEN: '$BROKEN' is not a number"

TS=$(date +%Y%m%d-%H%M%S)
RUN=$TOP/results/bench-durability-$TS
REPORT=$TOP/results/bench-durability-$TS.txt
mkdir -p "$RUN"
"$TOP/scripts/deps.sh" || die "dependencies"
make -s -C "$TOP/tools" O="$CACHE/tools" >"$RUN/tools.log" 2>&1 || die "building tools/ failed ($RUN/tools.log)"
export DURWRITER="$CACHE/tools/durwriter" PMEMFUSE="$CACHE/tools/pmemfuse"
"$TOP/scripts/kernels.sh" env "$KERNEL_ID" >/dev/null || die "provisioning $KERNEL_ID failed"
MODS=$("$TOP/scripts/build.sh" "$KERNEL_ID") || die "building our modules for $KERNEL_ID failed"

say "durability bench: $KERNEL_ID, $CUTS cuts per driver ($DRIVERS), $BROKEN ack_early cuts, seed $SEED"
{
	echo "durability bench $TS: kernel $KERNEL_ID, $CUTS cuts per driver, seed $SEED,"
	echo "cut $DUR_DELAY_MIN_MS..$((DUR_DELAY_MIN_MS + DUR_DELAY_SPAN_MS)) ms after both writer sets acknowledged a first record"
} >"$REPORT"
rc=0
for d in $DRIVERS; do
	case "$d" in
	ours) args=(--ours "$MODS" "$RUN/ours" --cuts "$CUTS" --ack-early-cuts "$BROKEN") ;;
	intree) args=(--intree "$RUN/intree" --cuts "$CUTS") ;;
	*) die "BENCH_DRIVERS: unknown driver '$d'" ;;
	esac
	t=$SECONDS
	"$TOP/tests/durability-scenarios.sh" "$KERNEL_ID" "${args[@]}" --seed "$SEED" \
		>"$RUN/$d.log" 2>&1 || rc=1
	grep -E '^(RESULT|DURABILITY) ' "$RUN/$d.log" | tee -a "$REPORT" || rc=1
	grep -q '^DURABILITY ' "$RUN/$d.log" || { echo "RESULT bench-durability-$d FAIL no summary, see $RUN/$d.log" | tee -a "$REPORT"; rc=1; }
	echo "$d: $((SECONDS - t)) s" | tee -a "$REPORT"
done
echo "report: $REPORT"
exit $rc
