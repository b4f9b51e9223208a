#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make bench` (scripts/bench.sh): fio's fsync-heavy
# workloads on the devices of this boot, one backing-file shape each
# (virtio-pmem with the in-tree or our driver, or virtio-blk).
#
# Kernel command line:
#   bench_kind=pmem|blk
#   bench_devs=SHAPE@SLOT[,...]  the device of SHAPE is the one at PCI
#                                slot SLOT (hex) of bus 0
#   bench_cases=WL:REG:JOBS[,...] run on every device, in order
#   bench_runtime=SECONDS  bench_qd=DEPTH  bench_fs_mb=MB
#   bench_reg_l=MB bench_reg_s=MB   per-job region of REG L and S
# WL: raw  psync 4 KiB O_DIRECT writes + fdatasync, each job in its own
#          region of the raw device (after the file system's part)
#     fs   psync 4 KiB writes + fsync, one file per job on ext4
#          (pmem: -o dax; blk: plain)
#     uring io_uring 4 KiB O_DIRECT writes, iodepth bench_qd, fsync after
#          every write, one file per job on the same ext4
# REG: L  per-job region bench_reg_l: every write goes to a block never
#         written before (raw: a fresh area of the device per case; fs:
#         a new file)
#      S  bench_reg_s, written once before the run: the run rewrites it
#
# Layout of each device: ext4 over the first bench_fs_mb, then the raw
# cases' regions one after the other (scripts/bench.sh sizes the device).
#
# Output:
#   BENCHINFO ...                       setup notes
#   PHASE NAME-begin / NAME-end          around each run (NAME =
#                                        SHAPE-WL-REG-tJOBS); the host
#                                        counts its flushes in between
#   STATP NAME-begin|end COUNTER VALUE   our driver's flush_stats of the
#                                        device under test
#   FIOJSON-BEGIN NAME / FIOJSON-END NAME  fio's JSON output in between
#   BENCHRUN NAME ok | BENCHRUN NAME fail REASON
#   BENCHFAIL REASON                     setup problem
#   BENCH-DONE runs=N failed=M
. /guest/common.sh

KIND=$(cmdline_arg bench_kind)
DEVS=$(cmdline_arg bench_devs)
CASES=$(cmdline_arg bench_cases)
RUNTIME=$(cmdline_arg bench_runtime)
QD=$(cmdline_arg bench_qd)
FS_MB=$(cmdline_arg bench_fs_mb)
REG_L=$(cmdline_arg bench_reg_l)
REG_S=$(cmdline_arg bench_reg_s)
RUNS=0
FAILED=0

dmesg -n 1

benchfail() {
	echo "BENCHFAIL $*"
	FAILED=$((FAILED + 1))
}

run_fail() { # run_fail NAME REASON...
	local n=$1
	shift
	echo "BENCHRUN $n fail $*"
	FAILED=$((FAILED + 1))
}

# marker NAME: like common.sh's phase, with a 1 s pause (the host polls
# every 0.1 s)
marker() {
	echo "PHASE $1"
	sleep 1
}

# dev_at SLOT: the block device (pmemN, vdX) below PCI function 00:SLOT.0
dev_at() {
	local b p
	for b in /sys/block/*; do
		p=$(readlink -f "$b")
		case "$p" in
		*/0000:00:$1.0/*) echo "${b##*/}"; return 0 ;;
		esac
	done
	return 1
}

# virtio_of BLOCKDEV: the virtioN device the block device sits on
virtio_of() {
	readlink -f "/sys/block/$1" | tr / '\n' | grep '^virtio[0-9]*$' | head -n1
}

# stats NAME VIRTIO: our driver's counters of that device as STATP lines
stats() {
	local d=/sys/bus/virtio/devices/$2/flush_stats c
	[ -d "$d" ] || return 0
	for c in requests callers coalesced errors; do
		[ -f "$d/$c" ] && echo "STATP $1 $c $(cat "$d/$c")"
	done
}

setup_fs() { # setup_fs DEV MNT
	local out opts=
	mkdir -p "$2"
	if ! out=$(mkfs.ext4 -F -q -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 \
			"/dev/$1" "${FS_MB}M" 2>&1); then
		echo "BENCHINFO $1: mkfs.ext4 failed: $out"
		return 1
	fi
	[ "$KIND" = pmem ] && opts="-o dax"
	# shellcheck disable=SC2086
	if ! out=$(mount -t ext4 $opts "/dev/$1" "$2" 2>&1); then
		echo "BENCHINFO $1: mount $opts failed: $out"
		return 1
	fi
	if [ "$KIND" = pmem ] &&
	   ! awk -v m="$2" '$2 == m {print ","$4","}' /proc/mounts | grep -q ',dax[,=]'; then
		echo "BENCHINFO $2 is mounted without dax: $(grep " $2 " /proc/mounts)"
		return 1
	fi
	echo "BENCHINFO $1: ext4 ($(awk -v m="$2" '$2 == m {print $4}' /proc/mounts)) on ${FS_MB} MiB at $2"
	sync
	return 0
}

# one_case SHAPE DEV VIRTIO MNT FSOK WL REG JOBS: one fio run
one_case() {
	local shape=$1 dev=$2 vio=$3 mnt=$4 fsok=$5 wl=$6 reg=$7 j=$8
	local name="$1-$6-$7-t$8" mb dir out rc err
	case "$reg" in
	L) mb=$REG_L ;;
	S) mb=$REG_S ;;
	*) run_fail "$name" "unknown region '$reg'"; return ;;
	esac
	set -- --name="$name" --bs=4k --rw=write --numjobs="$j" --size="${mb}M" \
		--time_based --runtime="$RUNTIME" --group_reporting --thread \
		--output-format=json --output="/tmp/$name.json"
	case "$wl" in
	raw)
		# this case's area: the device's next j * mb MiB
		if [ $((RAW_NEXT + j * mb)) -gt "$DEV_MB" ]; then
			run_fail "$name" "device too small: needs $((RAW_NEXT + j * mb)) MiB, has $DEV_MB"
			return
		fi
		set -- "$@" --filename="/dev/$dev" --ioengine=psync --direct=1 --fdatasync=1 \
			--offset="${RAW_NEXT}M" --offset_increment="${mb}M"
		if [ "$reg" = S ]; then
			# write the regions once, then flush: the run rewrites
			# blocks that exist and starts with nothing dirty
			out=$(fio --name=prefill --filename="/dev/$dev" --rw=write --bs=1M \
				--direct=1 --ioengine=psync --offset="${RAW_NEXT}M" \
				--size=$((j * mb))M --end_fsync=1 --output=/dev/null 2>&1) ||
				{ run_fail "$name" "prefill failed: $(echo "$out" | tail -n 3 | tr '\n' ' ')"; return; }
		fi
		RAW_NEXT=$((RAW_NEXT + j * mb))
		;;
	fs|uring)
		[ "$fsok" = yes ] || { run_fail "$name" "no ext4 file system on $dev"; return; }
		rm -rf "$mnt"/*-t*
		dir=$mnt/$name
		mkdir -p "$dir"
		set -- "$@" --directory="$dir" --fallocate=none
		if [ "$wl" = fs ]; then
			set -- "$@" --ioengine=psync --fsync=1
		else
			set -- "$@" --ioengine=io_uring --iodepth="$QD" --direct=1 --fsync=1
		fi
		if [ "$reg" = S ]; then
			# lay the files out before the run: it rewrites them
			set -- "$@" --overwrite=1
			out=$(fio "$@" --create_only=1 --output=/dev/null 2>&1) ||
				{ run_fail "$name" "fio layout failed: $(echo "$out" | tail -n 3 | tr '\n' ' ')"; return; }
		fi
		;;
	*) run_fail "$name" "unknown workload '$wl'"; return ;;
	esac
	sync
	RUNS=$((RUNS + 1))
	stats "$name-begin" "$vio"
	marker "$name-begin"
	fio "$@" >/tmp/fio.out 2>&1
	rc=$?
	marker "$name-end"
	stats "$name-end" "$vio"
	err=$(grep -o '"error" *: *[0-9]*' "/tmp/$name.json" 2>/dev/null | awk -F: '$2 + 0 != 0' | head -n1)
	if [ $rc -ne 0 ] || [ ! -s "/tmp/$name.json" ] || [ -n "$err" ]; then
		run_fail "$name" "fio rc=$rc ${err:+($err) }$(tail -n 3 /tmp/fio.out | tr '\n' ' ')"
		return
	fi
	echo "FIOJSON-BEGIN $name"
	cat "/tmp/$name.json"
	echo "FIOJSON-END $name"
	echo "BENCHRUN $name ok"
	rm -f "/tmp/$name.json"
}

one_device() { # one_device SHAPE SLOT
	local shape=$1 slot=$2 dev vio mnt=/mnt/$1 fsok=no item wl reg j
	if ! wait_for 100 eval 'dev=$(dev_at "$slot")'; then
		benchfail "$shape: no block device at PCI 00:$slot.0 ($(ls /sys/block | tr '\n' ' '))"
		return
	fi
	dev=$(dev_at "$slot")
	vio=$(virtio_of "$dev")
	DEV_MB=$(($(cat "/sys/block/$dev/size") / 2048))
	RAW_NEXT=$FS_MB
	echo "BENCHINFO device $shape: $dev (${DEV_MB} MiB) on ${vio:-?} at 00:$slot.0, driver $(basename "$(readlink -f "/sys/bus/virtio/devices/$vio/driver")")"
	case ",$CASES," in
	*,fs:*|*,uring:*) setup_fs "$dev" "$mnt" && fsok=yes ;;
	esac
	for item in $(echo "$CASES" | tr ',' ' '); do
		IFS=: read -r wl reg j <<EOF
$item
EOF
		one_case "$shape" "$dev" "$vio" "$mnt" "$fsok" "$wl" "$reg" "$j"
	done
	if grep -q " $mnt " /proc/mounts; then
		umount "$mnt" || echo "BENCHINFO umount $mnt failed"
	fi
}

echo "SCENARIO bench: kernel $(uname -r), kind $KIND, modules $(cat /etc/modset), devices $DEVS, cases $CASES, ${RUNTIME}s"
echo "BENCHINFO modset=$(cat /etc/modset) insmod_failures=$(wc -l </tmp/modfail) cpus=$(grep -c ^processor /proc/cpuinfo) fio=$(fio --version 2>&1)"
if [ -z "$DEVS" ] || [ -z "$CASES" ] || [ -z "$RUNTIME" ] || [ -z "$QD" ] ||
   [ -z "$FS_MB" ] || [ -z "$REG_L" ] || [ -z "$REG_S" ]; then
	benchfail "bench_* parameters missing on the kernel command line"
elif ! fio --version >/dev/null 2>&1; then
	benchfail "fio does not run in the guest: $(fio --version 2>&1 | head -n 2 | tr '\n' ' ')"
elif [ "$KIND" = pmem ] && [ -z "$(ls /sys/bus/virtio/drivers/virtio_pmem/ 2>/dev/null | grep '^virtio')" ]; then
	benchfail "no device bound to virtio_pmem (insmod failures: $(tr '\n' ' ' </tmp/modfail))"
else
	for d in $(echo "$DEVS" | tr ',' ' '); do
		one_device "${d%@*}" "${d#*@}"
	done
fi
echo "BENCH-DONE runs=$RUNS failed=$FAILED"
finish
