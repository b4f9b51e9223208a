#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make bench BENCH=p2pmem`: NVMe -> NVMe copy throughput through
# /dev/p2pmemN (p2pmem_pci) vs through the kernel's own p2pmem/allocate
# file vs through system memory: same kernel, same QEMU machine, one guest
# boot, modes alternating per round (tests/guest/p2pbench.sh).  Both P2P
# modes use the CMB of the same controller as the buffer.
#
#   scripts/bench-p2pmem.sh
#
# Environment (all optional):
#   BENCH_KERNEL     kernel id with CONFIG_PCI_P2PDMA and p2pmem/allocate
#                    (6.2+)                                   (test-6.12)
#   BENCH_SIZE       bytes copied per run                      (16m)
#   BENCH_THREADS    copy threads                              (4)
#   BENCH_CHUNK      bytes per read/write                      (64k)
#   BENCH_ROUNDS     rounds (each: p2pmem_pci, allocate, sysmem) (3)
#   BENCH_TIMEOUT    guest seconds                             (1800)
#   ACCEL            kvm|tcg, see scripts/vm.sh
#
# Output, with TS the start time: results/bench-p2pmem-TS.jsonl (one line
# per run: p2pcopy's JSON plus mode and round), results/bench-p2pmem-TS.txt
# (mean MB/s per mode and the ratios), logs in results/bench-p2pmem-TS/.
# Timings are reported, never asserted; the exit status is non-zero only
# when a run failed.
#
# Then the teardown stress (issue 14), one boot per kernel of
# BENCH_STRESS_KERNELS: tests/p2pmem-scenarios.sh with only the three
# stress runs (p2pcopy stress: map/touch/unmap threads + an O_DIRECT copy
# while the provider is unbound and bound again: nvme's CMB, then our CMB
# binding; then while the host removes the controller with QMP device_del
# and adds it back, BENCH_QMP_ROUNDS rounds) and the teardown-order check,
# BENCH_STRESS_ITERS rounds each of the first two,
# every round after at least 25 maps of the live export (p2pcopy
# --round-maps): 20 + 20 rounds are >= 1000 map/touch/unmap iterations
# racing 40 unbinds per kernel (a KASAN round costs ~10-20 s under TCG:
# ~10-15 min per kernel).
#   BENCH_STRESS_KERNELS  kernels (test-6.1 test-6.12 test-7.2; "" = skip)
#   BENCH_STRESS_ITERS    unbind+bind rounds per run, two runs   (20)
#   BENCH_QMP_ROUNDS      device_del + device_add rounds          (10)
# Output: results/bench-p2pmem-TS-stress.txt (rounds, unbind latency p50 /
# max per kernel and run), logs in results/bench-p2pmem-TS/stress-ID/.
. "$(dirname "$0")/lib.sh"
set -eu

KERNEL_ID=${BENCH_KERNEL:-test-6.12}
SIZE=${BENCH_SIZE:-16m}
THREADS=${BENCH_THREADS:-4}
CHUNK=${BENCH_CHUNK:-64k}
ROUNDS=${BENCH_ROUNDS:-3}
TIMEOUT=${BENCH_TIMEOUT:-1800}
STRESS_KERNELS=${BENCH_STRESS_KERNELS-test-6.1 test-6.12 test-7.2}
STRESS_ITERS=${BENCH_STRESS_ITERS:-20}
QMP_ROUNDS=${BENCH_QMP_ROUNDS:-10}
[ $# -eq 0 ] || die "usage: $0 (no arguments; see the header for the BENCH_* variables)"
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS: '$ROUNDS' is not a positive number"
[[ "$THREADS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_THREADS: '$THREADS' is not a positive number"
[[ "$STRESS_ITERS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_STRESS_ITERS: '$STRESS_ITERS' is not a positive number"
[[ "$QMP_ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_QMP_ROUNDS: '$QMP_ROUNDS' is not a positive number"

TS=$(date +%Y%m%d-%H%M%S)
RES=$TOP/results
OUT=$RES/bench-p2pmem-$TS
mkdir -p "$OUT"
JSONL=$RES/bench-p2pmem-$TS.jsonl
TXT=$RES/bench-p2pmem-$TS.txt

MODS=$("$TOP/scripts/build.sh" "$KERNEL_ID")
[ -f "$MODS/p2pmem_pci.ko" ] || die "$KERNEL_ID has no p2pmem_pci.ko (no CONFIG_PCI_P2PDMA)"
make -s -C "$TOP/tools" O="$CACHE/tools" >"$OUT/tools.log" 2>&1 || die "building tools failed"
"$TOP/scripts/initramfs.sh" "$KERNEL_ID" "$OUT/initramfs.cpio.gz" \
	--scenario "$TOP/tests/guest/p2pbench.sh" --extra "$CACHE/tools/p2pcopy" "$MODS/p2pmem_pci.ko"
. "$OUT/initramfs.env"

say "bench-p2pmem: $KERNEL_ID, $ROUNDS rounds of $SIZE, $THREADS threads, chunk $CHUNK"
rc=0
"$TOP/scripts/vm.sh" --kernel "$VMLINUZ" --initrd "$OUT/initramfs.cpio.gz" \
	--log "$OUT/serial.log" --rundir "$OUT" --pmem-size 64M --timeout "$TIMEOUT" \
	--append "p2pbench_size=$SIZE p2pbench_threads=$THREADS p2pbench_chunk=$CHUNK p2pbench_rounds=$ROUNDS" ||
	rc=$?
rm -f "$OUT"/*.img
tr -d '\r' <"$OUT/serial.log" >"$OUT/serial.txt"
sed -n 's/^BENCH //p' "$OUT/serial.txt" >"$JSONL"
grep '^RESULT ' "$OUT/serial.txt" | sort -u >"$OUT/results.txt" || true

python3 - "$JSONL" "$KERNEL_ID" "$KVER" "$SIZE" "$THREADS" "$CHUNK" "$ROUNDS" >"$TXT" <<'PY'
import json, statistics, sys
path, kid, kver, size, threads, chunk, rounds = sys.argv[1:]
runs = [json.loads(l) for l in open(path) if l.strip()]
modes = ["p2pmem_pci", "allocate", "sysmem"]
print(f"p2pmem copy benchmark: kernel {kid} ({kver}), QEMU TCG/KVM as scripts/vm.sh chose,")
print(f"nvme A -> nvme B, {size} per run, {threads} threads, chunk {chunk}, {rounds} rounds")
print()
print(f"{'buffer':<12} {'runs':>4} {'mean MB/s':>10} {'min':>8} {'max':>8}")
mean = {}
for m in modes:
    v = [r["mbps"] for r in runs if r["mode"] == m]
    if not v:
        print(f"{m:<12} {0:>4} {'-':>10}")
        continue
    mean[m] = statistics.mean(v)
    print(f"{m:<12} {len(v):>4} {mean[m]:>10.2f} {min(v):>8.2f} {max(v):>8.2f}")
print()
def ratio(a, b):
    if a in mean and b in mean and mean[b] > 0:
        print(f"ratio {a}/{b}: {mean[a] / mean[b]:.3f}")
ratio("p2pmem_pci", "allocate")
ratio("p2pmem_pci", "sysmem")
ratio("allocate", "sysmem")
PY
cat "$TXT"
echo "results: $JSONL, $TXT; logs: $OUT"
nfail=$(grep -c ' FAIL' "$OUT/results.txt" || true)
nruns=$(wc -l <"$JSONL")
[ "$rc" -eq 0 ] || warn "guest exited with $rc"
ok=1
[ "$nfail" -eq 0 ] && [ "$nruns" -eq $((3 * ROUNDS)) ] && [ "$rc" -eq 0 ] || ok=0

# --- teardown stress ---------------------------------------------------------
STXT=$RES/bench-p2pmem-$TS-stress.txt
: >"$STXT"
for id in $STRESS_KERNELS; do
	say "bench-p2pmem: teardown stress on $id, 2 x $STRESS_ITERS rounds, $QMP_ROUNDS QMP removal rounds"
	smods=$("$TOP/scripts/build.sh" "$id")
	srun=0
	P2PMEM_ONLY=stress_nvme,cmb_bind,stress_cmb,qmp_replug P2PMEM_STRESS_ITERS=$STRESS_ITERS \
		P2PMEM_QMP_ROUNDS=$QMP_ROUNDS \
		P2PMEM_EXPECT="p2pmem-load p2pmem-stress-nvme p2pmem-cmb-bind p2pmem-stress-cmb p2pmem-teardown-order p2pmem-stress-hotplug" \
		TIMEOUT=$((STRESS_ITERS * 120 + QMP_ROUNDS * 60 + 900)) P2PCOPY=$CACHE/tools/p2pcopy \
		"$TOP/tests/p2pmem-scenarios.sh" "$id" "$smods" "$OUT/stress-$id" >"$OUT/stress-$id.log" 2>&1 || srun=1
	{
		echo "== $id: $(grep '^SUMMARY' "$OUT/stress-$id.log")"
		grep -E '^RESULT p2pmem-(stress|teardown|qmp)' "$OUT/stress-$id.log" || echo "no stress results"
	} | tee -a "$STXT"
	[ "$srun" -eq 0 ] || ok=0
done
[ -z "$STRESS_KERNELS" ] || echo "stress: $STXT"
[ "$ok" -eq 1 ]
