#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make bench` (scripts/bench.sh): flush throughput of the
# virtio-pmem driver set this initramfs loads (in-tree or ours).
#
# The plan comes from the kernel command line:
#   bench_plan=WORKLOAD:THREADS:COUNT[,WORKLOAD:THREADS:COUNT...]
# WORKLOAD is raw (O_DIRECT 4 KiB writes to /dev/pmem0 + fdatasync, each
# writer in its own region) or fs (4 KiB appends to one file per writer on
# ext4 -o dax + fsync).  Runs go in plan order; the file system is made
# once, before the first fs run (so raw runs must come first: they write
# over the start of the device), and every fs run gets a fresh directory.
#
# Output (besides the PHASE/STATP/STAT lines of common.sh):
#   BENCHINFO key=value...                      once, at the start
#   BENCHRUN WORKLOAD THREADS COUNT ok JSON     pmemtool's --json line
#   BENCHRUN WORKLOAD THREADS COUNT fail REASON
#   BENCHFAIL REASON                           setup problem (no device, ...)
#   BENCH-DONE runs=N failed=M                  the guest got to the end
# Each run is bracketed by PHASE WORKLOAD-tTHREADS-begin/-end; the host counts
# QEMU's virtio_pmem_flush_request trace events between the two.
. /guest/common.sh

DEV=/dev/pmem0
MNT=/mnt/bench
FS_SIZE_MB=256
PLAN=$(cmdline_arg bench_plan)
RUNS=0
FAILED=0
FS_READY=

# keep kernel messages off the serial console: they would split our lines
dmesg -n 1

benchfail() {
	echo "BENCHFAIL $*"
	FAILED=$((FAILED + 1))
}

# run_fail WL THREADS COUNT REASON...
run_fail() {
	local wl=$1 t=$2 c=$3
	shift 3
	echo "BENCHRUN $wl $t $c fail $*"
	FAILED=$((FAILED + 1))
}

setup_fs() {
	local out
	mkdir -p "$MNT"
	if ! out=$(mkfs.ext4 -F -q -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 \
			"$DEV" "${FS_SIZE_MB}M" 2>&1); then
		echo "BENCHINFO mkfs.ext4 failed: $out"
		return 1
	fi
	if ! out=$(mount -t ext4 -o dax "$DEV" "$MNT" 2>&1); then
		echo "BENCHINFO mount -o dax failed: $out"
		return 1
	fi
	if ! awk -v m="$MNT" '$2 == m {print ","$4","}' /proc/mounts | grep -q ',dax[,=]'; then
		echo "BENCHINFO $MNT is mounted without dax: $(grep " $MNT " /proc/mounts)"
		return 1
	fi
	echo "BENCHINFO fs=ext4 dax mounted at $MNT ($(awk -v m="$MNT" '$2 == m {print $4}' /proc/mounts))"
	# let the mount's own journal commit go by before the first run
	sync
	return 0
}

# one_run WL THREADS COUNT
one_run() {
	local wl=$1 t=$2 c=$3 name="$1-t$2" path mode out rc
	case "$wl" in
	raw)
		mode=raw
		path=$DEV
		;;
	fs)
		if [ -z "$FS_READY" ]; then
			if setup_fs; then FS_READY=yes; else FS_READY=no; fi
		fi
		if [ "$FS_READY" != yes ]; then
			run_fail "$wl" "$t" "$c" "no ext4 -o dax file system"
			return
		fi
		mode=file
		path=$MNT/$name
		rm -rf "$path"
		mkdir -p "$path"
		sync
		;;
	*)
		run_fail "$wl" "$t" "$c" "unknown workload"
		return
		;;
	esac
	RUNS=$((RUNS + 1))
	print_stats "$name-begin"
	phase "$name-begin"
	out=$(pmemtool writers --mode "$mode" --path "$path" --threads "$t" \
		--count "$c" --json 2>/tmp/pmemtool.err)
	rc=$?
	phase "$name-end"
	print_stats "$name-end"
	out=$(echo "$out" | grep '^{' | tail -n1)
	if [ $rc -ne 0 ]; then
		run_fail "$wl" "$t" "$c" "pmemtool rc=$rc: $(head -c 300 /tmp/pmemtool.err | tr "\n" " ")${out:+ json: $out}"
	elif [ -z "$out" ]; then
		run_fail "$wl" "$t" "$c" "pmemtool printed no JSON: $(head -c 300 /tmp/pmemtool.err | tr "\n" " ")"
	else
		echo "BENCHRUN $wl $t $c ok $out"
	fi
}

echo "SCENARIO bench: kernel $(uname -r), modules $(cat /etc/modset), plan $PLAN"
wait_for 100 eval '[ -b "$DEV" ]'
bound=$(ls -d /sys/bus/virtio/drivers/virtio_pmem/virtio* 2>/dev/null | head -n1)
stats=$(flush_stats_dir)
echo "BENCHINFO modset=$(cat /etc/modset) bound=${bound##*/} flush_stats=${stats:-none} insmod_failures=$(wc -l </tmp/modfail) cpus=$(grep -c ^processor /proc/cpuinfo)"

if [ -z "$PLAN" ]; then
	benchfail "no bench_plan= on the kernel command line"
elif ! command -v pmemtool >/dev/null; then
	benchfail "no pmemtool in the initramfs"
elif [ -z "$bound" ]; then
	benchfail "no device bound to virtio_pmem (insmod failures: $(tr '\n' ' ' </tmp/modfail))"
elif [ ! -b "$DEV" ]; then
	benchfail "${bound##*/} bound but no $DEV"
elif [ "$(cat /etc/modset)" = ours ] && [ -z "$stats" ]; then
	benchfail "modset ours but no flush_stats directory: is our driver loaded?"
else
	for item in $(echo "$PLAN" | tr ',' ' '); do
		IFS=: read -r wl t c <<EOF
$item
EOF
		one_run "$wl" "$t" "$c"
	done
	print_stats
fi

if grep -q " $MNT " /proc/mounts; then
	umount "$MNT" || echo "BENCHINFO umount $MNT failed"
fi
echo "BENCH-DONE runs=$RUNS failed=$FAILED"
finish
