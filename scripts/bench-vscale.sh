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
# Then a 1 TiB device region (tests/vmem-tib-scenarios.sh, issue 17 §2;
# 1 GiB guest, 2 MiB blocks, memory-backend-ram reserve=off, -cpu
# max,phys-bits=46, no memmap on memory), one boot per driver:
#   tib-ours, tib-intree  probe time and the driver's own memory for the
#                 region; 4 GiB plugged inside it (seconds to MemTotal);
#                 16 GiB more while a guest thread that wakes every 10 ms
#                 records its worst and p99 lateness; back to 0 with a
#                 checksummed buffer in device memory (intact or not)
# summary.txt ends with ours/in-tree ratios of the tib numbers (lateness
# included: a ratio, never a bound; both runs share the machine's load).
# BENCH_VSCALE_ROUNDS=N repeats the tib pair N times, alternating (runs
# tib-ours-1, tib-intree-1, tib-ours-2, ...; the rounds after the first
# skip the 75 s shrink); the summary then gives each number per round and
# the ratio of the medians (a grow is ~2 s: ~220 wake-ups per round, so
# one round's p99 is its third-worst wake-up).
#
#   scripts/bench-vscale.sh
#
# Environment (all optional):
#   BENCH_KERNEL        stock kernel id of scripts/matrix.conf   (stock-6.12)
#   BENCH_VSCALE_GROW   bytes requested in one step              (32 GiB)
#   BENCH_VSCALE_RUNS   subset of "ours ours-boot intree tib-ours tib-intree"
#                                                                (all five)
#   BENCH_VSCALE_ROUNDS rounds of the tib runs                   (1)
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
RUNS=${BENCH_VSCALE_RUNS:-ours ours-boot intree tib-ours tib-intree}
[ $# -eq 0 ] || die "usage: $0 (no arguments; see the header for the BENCH_* variables)"
[[ "$GROW" =~ ^[1-9][0-9]*$ ]] || die "BENCH_VSCALE_GROW: '$GROW' is not a byte count"
ROUNDS=${BENCH_VSCALE_ROUNDS:-1}
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_VSCALE_ROUNDS: '$ROUNDS' is not a count"
# the tib runs, ROUNDS times alternating (suffix -N when ROUNDS > 1)
TIBS=
for r in $RUNS; do
	case "$r" in tib-ours|tib-intree) TIBS="$TIBS $r" ;; esac
done
if [ "$ROUNDS" -gt 1 ] && [ -n "$TIBS" ]; then
	list=
	for r in $RUNS; do
		case "$r" in tib-*) ;; *) list="$list $r" ;; esac
	done
	for n in $(seq "$ROUNDS"); do
		for r in $TIBS; do list="$list $r-$n"; done
	done
	RUNS=$list
fi

RUN=$TOP/results/bench-vscale-$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUN"
mods=$("$TOP/scripts/build.sh" "$KERNEL_ID")
rc=0
# tib_stat RUN KEY: KEY= of the run's STAT vtib line that has it
tib_stat() {
	grep -a -h '^STAT vtib' "$RUN/$1/serial.clean.log" 2>/dev/null |
		tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.2f", a / b}'; }

for r in $RUNS; do
	case "$r" in
	tib-ours*|tib-intree*)
		if [ "${r#tib-ours}" != "$r" ]; then drv=(--ours "$mods"); else drv=(--intree); fi
		shrink=1
		n=${r##*-}
		[[ ! "$n" =~ ^[0-9]+$ ]] || [ "$n" = 1 ] || shrink=0
		say "bench-vscale: $KERNEL_ID $r, 1 TiB region"
		TIMEOUT=${BENCH_TIMEOUT:-1800} VTIB_SHRINK=$shrink \
			"$TOP/tests/vmem-tib-scenarios.sh" "$KERNEL_ID" "${drv[@]}" "$RUN/$r" || true
		{
			echo "== $r"
			grep -E '^RESULT ' "$RUN/$r/results.txt" || echo "(no result)"
			grep -a -h -E '^STAT vtib' "$RUN/$r/serial.clean.log" || true
		} >>"$RUN/summary.txt"
		grep -q '^RESULT vtib-grow ' "$RUN/$r/results.txt" || rc=1
		continue
		;;
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
# tib_value RUN KEY: one number of a tib run (KEY secs:STEP or a STAT key)
tib_value() {
	case "$2" in
	secs:*) grep -a -h "^STAT ${2#secs:} " "$RUN/$1/serial.clean.log" 2>/dev/null |
			tr ' ' '\n' | sed -n 's/^secs=//p' | head -n1 ;;
	*) tib_stat "$1" "$2" ;;
	esac
}
median() { tr ' ' '\n' | grep -E '^[0-9.]+$' | sort -g | awk '{v[NR] = $1} END {if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
if [ "$ROUNDS" -gt 1 ] && [ -d "$RUN/tib-ours-1" ] && [ -d "$RUN/tib-intree-1" ]; then
	{
		echo "== tib ours / in-tree, $ROUNDS alternating rounds (per round; ratio of the medians)"
		for k in insmod_secs secs:vtib-plug secs:vtib-grow grow_max_us grow_p99_us idle_max_us idle_p99_us; do
			o= i=
			for n in $(seq "$ROUNDS"); do
				o="$o $(tib_value "tib-ours-$n" "$k")"
				i="$i $(tib_value "tib-intree-$n" "$k")"
			done
			mo=$(echo "$o" | median) mi=$(echo "$i" | median)
			echo "$k: ours$o (median $mo), in-tree$i (median $mi), ratio $(ratio "$mo" "$mi")"
		done
		echo "secs:vtib-shrink (round 1): ours $(tib_value tib-ours-1 secs:vtib-shrink), in-tree $(tib_value tib-intree-1 secs:vtib-shrink)"
	} >>"$RUN/summary.txt"
fi
if [ -d "$RUN/tib-ours" ] && [ -d "$RUN/tib-intree" ]; then
	{
		echo "== tib ours / in-tree (same kernel, QEMU and machine load)"
		for k in insmod_secs vmalloc_areas_kb slab_delta_kb; do
			echo "probe $k: ours $(tib_stat tib-ours "$k"), in-tree $(tib_stat tib-intree "$k")"
		done
		for k in secs:vtib-plug secs:vtib-grow grow_max_us grow_p99_us idle_max_us idle_p99_us secs:vtib-shrink; do
			o=$(tib_value tib-ours "$k") i=$(tib_value tib-intree "$k")
			echo "$k: ours $o, in-tree $i, ratio $(ratio "$o" "$i")"
		done
	} >>"$RUN/summary.txt"
fi
cat "$RUN/summary.txt"
exit $rc
