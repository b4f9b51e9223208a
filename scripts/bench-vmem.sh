#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# virtio-mem benchmark: our virtio_mem vs the in-tree one on the same stock
# kernel and the same QEMU machine (scripts/vm.sh), alternating boots
# (in-tree, ours, in-tree, ...; single TCG runs are noisy).  Each boot runs
# tests/guest/bench-vmem.sh with scripts/vmem-host.py serving QMP:
#   plug     0 -> 4 GiB, idle guest
#   unplug   4 GiB -> 0, idle guest
#   blocked  2 GiB plugged, a process takes all but ~300 MiB of the
#            available memory, requested-size 0; after 15 s the process
#            exits: time until the device reaches 0
# Times are host-side (qom-set to query-memory-devices showing the size;
# for "blocked", process exit to size 0) and guest-side (MemTotal); request
# counts are QEMU's trace events (virtio_mem_*_request) during each run.
#
#   scripts/bench-vmem.sh
#
# Both drivers boot with memhp_default_state=online_movable: the bench
# measures the drivers, not the onlining policy (Debian 6.12 onlines to
# ZONE_NORMAL by itself, where an unplug to 0 stalls with either driver;
# tests/vmem-scenarios.sh covers the policy).
#
# Environment (all optional):
#   BENCH_KERNEL     stock kernel id of scripts/matrix.conf   (stock-6.12)
#   BENCH_ROUNDS     boots per driver                           (3)
#   BENCH_VMEM_OURS  directory with our virtio_mem.ko (default:
#                    scripts/build.sh BENCH_KERNEL)
#   BENCH_TIMEOUT    seconds per guest boot                     (1200)
#   ACCEL            kvm|tcg, see scripts/vm.sh
#
# Output: results/bench-vmem-TS/results.jsonl (one line per run),
# results.md (per-driver means, ours/in-tree ratios) and results.png
# (scripts/bench-vmem-report.py), logs per boot in the same directory.
# Timings are reported, never asserted; the exit status is non-zero only
# when a run failed.
. "$(dirname "$0")/lib.sh"
set -eu

KERNEL_ID=${BENCH_KERNEL:-stock-6.12}
ROUNDS=${BENCH_ROUNDS:-3}
TIMEOUT=${BENCH_TIMEOUT:-1200}
BIG=$((4 << 30))
MID=$((2 << 30))
RUN_TO=300
[ $# -eq 0 ] || die "usage: $0 (no arguments; see the header for the BENCH_* variables)"
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS: '$ROUNDS' is not a positive number"

TS=$(date +%Y%m%d-%H%M%S)
RUN=$TOP/results/bench-vmem-$TS
JSONL=$RUN/results.jsonl
mkdir -p "$RUN"
T0=$(date +%s.%N)
FAILURES=()
failure() { FAILURES+=("$*"); printf 'BENCH FAILURE: %s\n' "$*" >&2; }

say "bench-vmem: kernel $KERNEL_ID, $ROUNDS round(s), logs in $RUN"
eval "$("$TOP/scripts/kernels.sh" env "$KERNEL_ID")"
[ "$KIND" = stock ] || die "BENCH_KERNEL=$KERNEL_ID is a '$KIND' kernel: the in-tree driver needs a stock one"
make -s -C "$TOP/tools" O="$RUN/tools" "$RUN/tools/vmemhold" >"$RUN/tools.log" 2>&1 ||
	die "building tools/vmemhold failed ($RUN/tools.log)"

OURS=$RUN/modules
mkdir -p "$OURS"
src=${BENCH_VMEM_OURS:-}
if [ -z "$src" ]; then
	src=$("$TOP/scripts/build.sh" "$KERNEL_ID" 2>"$RUN/build-ours.log") ||
		die "building our modules for $KERNEL_ID failed ($RUN/build-ours.log)"
fi
[ -f "$src/virtio_mem.ko" ] || die "no virtio_mem.ko in $src"
cp "$src/virtio_mem.ko" "$OURS/"
vm=$(modinfo -F vermagic "$OURS/virtio_mem.ko" | awk '{print $1}')
[ "$vm" = "$KVER" ] || die "our virtio_mem.ko is for '$vm', kernel is '$KVER'"
{
	printf '# bench-vmem %s: kernel %s (%s), %s\n' "$TS" "$KERNEL_ID" "$KVER" \
		"$(qemu_version)"
	printf '# ours: %s from %s (sha256 %s), git %s\n' "virtio_mem.ko" "$src" \
		"$(sha256sum "$OURS/virtio_mem.ko" | cut -c1-12)" \
		"$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo '?')"
} >"$JSONL"

run_boot() { # run_boot intree|ours ROUND
	local drv=$1 round=$2 d=$RUN/$1.$2 args rc hostpid line run st kvs
	mkdir -p "$d"
	case "$drv" in
	intree) args=(--vmem intree) ;;
	ours) args=(--vmem ours "$OURS") ;;
	esac
	if ! "$TOP/scripts/initramfs.sh" "$KERNEL_ID" "$d/initramfs.cpio.gz" "${args[@]}" \
		--scenario "$TOP/tests/guest/bench-vmem.sh" --extra "$RUN/tools/vmemhold" \
		>"$d/initramfs.log" 2>&1; then
		failure "$drv.$round: initramfs failed ($d/initramfs.log)"
		return
	fi
	rm -f "$d/ctl.sock"
	python3 "$TOP/scripts/vmem-host.py" --ctl "$d/ctl.sock" --qmp "$d/qmp.sock" \
		--trace "$d/trace.log" --log "$d/ctl.log" &
	hostpid=$!
	say "$drv (round $round/$ROUNDS): booting"
	rc=0
	"$TOP/scripts/vm.sh" --kernel "$VMLINUZ" --initrd "$d/initramfs.cpio.gz" \
		--log "$d/serial.log" --rundir "$d" --trace 'virtio_mem_*' \
		--trace-log "$d/trace.log" --timeout "$TIMEOUT" \
		--append "memhp_default_state=online_movable vmem_big=$BIG vmem_mid=$MID vmem_to=$RUN_TO" \
		-- -chardev "socket,id=ctl,path=$d/ctl.sock,server=on,wait=off" -serial chardev:ctl \
		>"$d/vm.log" 2>&1 || rc=$?
	sleep 1
	kill "$hostpid" 2>/dev/null || true
	wait "$hostpid" 2>/dev/null || true
	rm -f "$d"/*.img "$d/ctl.sock"
	tr -d '\r' <"$d/serial.log" >"$d/serial.clean.log"
	grep -aq '^BENCH-DONE' "$d/serial.clean.log" ||
		failure "$drv.$round: guest did not finish (QEMU rc=$rc, $d/serial.log)"
	while read -r line; do
		failure "$drv.$round: guest: ${line#BENCHFAIL }"
	done < <(grep -a '^BENCHFAIL ' "$d/serial.clean.log" || true)
	while read -r _ run st kvs; do
		if [ "$st" != ok ]; then
			failure "$drv.$round $run: $kvs"
			continue
		fi
		python3 -c '
import json, sys
rec = {"driver": sys.argv[1], "round": int(sys.argv[2]), "run": sys.argv[3]}
for kv in sys.argv[4:]:
    k, v = kv.split("=", 1)
    rec[k] = float(v) if "." in v else int(v)
print(json.dumps(rec))' "$drv" "$round" "$run" $kvs >>"$JSONL"
		printf '    %-6s %-8s %s\n' "$drv" "$run" "$kvs" >&2
	done < <(grep -a '^BENCHVMEM ' "$d/serial.clean.log" | grep -v '^BENCHVMEM blocked-grow ' || true)
	sed -n '/^===DMESG-BEGIN===/,/^===DMESG-END===/p' "$d/serial.clean.log" |
		grep -a -E 'BUG:|WARNING:|Oops|Call Trace:|marking device broken|Out of memory|oom-kill' \
		>"$d/dmesg-reports.txt" || true
	if [ -s "$d/dmesg-reports.txt" ]; then
		warn "$drv.$round: kernel reports ($d/dmesg-reports.txt): $(head -n1 "$d/dmesg-reports.txt" | cut -c1-160)"
		# into the report: a first line naming what warned
		printf '# %s.%s: kernel report in the guest: %s\n' "$drv" "$round" \
			"$(grep -a -m1 -E 'allocation failure|BUG:|WARNING:|Oops|marking device broken|oom-kill' "$d/serial.clean.log" |
				sed 's/^\[[ 0-9.]*\] //' | cut -c1-120)" >>"$JSONL"
	fi
}

for ((round = 1; round <= ROUNDS; round++)); do
	for drv in intree ours; do
		run_boot "$drv" "$round"
	done
done

if grep -q '^{' "$JSONL"; then
	python3 "$TOP/scripts/bench-vmem-report.py" "$JSONL" || failure "bench-vmem-report.py failed"
else
	failure "no benchmark results at all"
fi
say "bench-vmem: total wall time $(elapsed)s; results in $RUN"
if [ ${#FAILURES[@]} -gt 0 ]; then
	printf 'BENCH FAILED (%d problems):\n' "${#FAILURES[@]}" >&2
	printf '  - %s\n' "${FAILURES[@]}" >&2
	exit 1
fi
