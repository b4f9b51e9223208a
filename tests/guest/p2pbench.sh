#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of scripts/bench-p2pmem.sh: copy throughput nvme A -> nvme B
# through /dev/p2pmemN (p2pmem_pci), through the kernel's own
# p2pmem/allocate file and through system memory, rounds alternating.
# The buffer of both P2P modes is the CMB of the third controller (C), so
# both go through the same device.  One "BENCH {json}" line per run.
. /guest/common.sh

P2PBENCH_SIZE=$(cmdline_arg p2pbench_size)
P2PBENCH_THREADS=$(cmdline_arg p2pbench_threads)
P2PBENCH_CHUNK=$(cmdline_arg p2pbench_chunk)
P2PBENCH_ROUNDS=$(cmdline_arg p2pbench_rounds)

nvme_lab_controllers
insmod /bin/p2pmem_pci.ko || fail p2pbench-load "insmod failed"
wait_for 100 p2pmem_dev "$C" >/dev/null
DEV=$(p2pmem_dev "$C")
ALLOC=/sys/bus/pci/devices/$C/p2pmem/allocate
echo "SCENARIO p2pbench: $NS_A -> $NS_B, buffer CMB of $C ($DEV, $ALLOC), size $P2PBENCH_SIZE, threads $P2PBENCH_THREADS, chunk $P2PBENCH_CHUNK, rounds $P2PBENCH_ROUNDS"

# run MODE ROUND BUFARGS...: one timed copy (data checked in an untimed
# pass first, so a wrong buffer cannot produce a number)
run() {
	local mode=$1 round=$2 out json
	shift 2
	out=$(p2pcopy copy --src "$NS_A" --dst "$NS_B" "$@" --threads "$P2PBENCH_THREADS" \
		--chunk "$P2PBENCH_CHUNK" --size "$P2PBENCH_CHUNK" --check 2>&1)
	if ! echo "$out" | grep -q '^check: MATCH'; then
		fail "p2pbench-$mode-$round" "data check failed: $(echo "$out" | tr '\n' ' ' | cut -c1-200)"
		return
	fi
	out=$(p2pcopy copy --src "$NS_A" --dst "$NS_B" "$@" --threads "$P2PBENCH_THREADS" \
		--chunk "$P2PBENCH_CHUNK" --size "$P2PBENCH_SIZE" --json 2>&1)
	json=$(echo "$out" | grep '^{' | head -n1)
	if [ -n "$json" ] && echo "$json" | grep -q '"ok": true'; then
		echo "BENCH {\"mode\": \"$mode\", \"round\": $round, ${json#\{}"
		pass "p2pbench-$mode-$round" "$(echo "$out" | sed -n 's/^p2pcopy: //p')"
	else
		fail "p2pbench-$mode-$round" "$(echo "$out" | tr '\n' ' ' | cut -c1-200)"
	fi
}

r=1
while [ $r -le "$P2PBENCH_ROUNDS" ]; do
	if [ -n "$DEV" ]; then
		run p2pmem_pci $r --buf "$DEV"
	else
		fail "p2pbench-p2pmem_pci-$r" "no /dev/p2pmemN for $C"
	fi
	if [ -e "$ALLOC" ]; then
		run allocate $r --buf "$ALLOC"
	else
		fail "p2pbench-allocate-$r" "no $ALLOC"
	fi
	run sysmem $r --sysmem
	r=$((r + 1))
done
finish
