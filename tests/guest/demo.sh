#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make demo` (scripts/demo.sh): virtio-pmem and virtio-mem
# on a stock kernel, one boot per driver set (demo_role=ours: our modules,
# =intree: the kernel's).  The host half is scripts/vmem-host.py on the
# second serial port (QMP resizes, QEMU trace counts).  Report lines:
# common.sh (report/datum/problem).
#
# ours:   pmem tour (ext4 -o dax, a file written + fsync'ed, MAP_SYNC
#         refused), virtio-mem grow 0 -> BIG, shrink -> SMALL with QMP,
#         MemTotal and our sysfs agreeing, the blocked unplug (to 0, a
#         process holding memory; seconds from its exit to convergence),
#         then the flush benchmark.
# intree: the flush benchmark, then plug SMALL and the same blocked unplug
#         (both benchmarks run with nothing plugged and virtio-mem idle).
#
# Parameters (kernel command line): demo_role=ours|intree,
# demo_bench=THREADS:COUNT (raw O_DIRECT 4 KiB writes + fdatasync),
# demo_vmem=BIG,SMALL (bytes), demo_hold=SECONDS (the blocked unplug).
. /guest/common.sh

ROLE=$(cmdline_arg demo_role)
BENCH=$(cmdline_arg demo_bench)
THREADS=${BENCH%%:*}
COUNT=${BENCH##*:}
VSIZES=$(cmdline_arg demo_vmem)
BIG=${VSIZES%%,*}
SMALL=${VSIZES##*,}
HOLD_S=$(cmdline_arg demo_hold)
DEV=/dev/pmem0
MNT=/mnt
FS_MB=256
# the benchmark writes behind the file system (the host reads the file
# back from the image after the boot)
BENCH_OFF=512m
dmesg -n 1

mib() { echo $(($1 >> 20)); }

# --- virtio-pmem ------------------------------------------------------------
pmem_tour() {
	local d drv before out
	d=$(flush_stats_dir)
	drv=$(readlink "${d%/flush_stats}/driver")
	report pmem "$(dmesg | grep -m1 'virtio_pmem virtio' | sed 's/^\[[^]]*\] //')"
	report pmem "$DEV: $(($(blockdev --getsize64 $DEV) >> 20)) MiB, driver ${drv##*/} $(cat /sys/module/virtio_pmem/version 2>/dev/null) (ours) + nd_virtio $(cat /sys/module/nd_virtio/version 2>/dev/null), flush stats in ${d:-nowhere}"
	# 4 KiB blocks: DAX needs the page size (mke2fs picks 1 KiB below 512 MiB)
	if ! out=$(mkfs.ext4 -q -F -b 4096 $DEV ${FS_MB}M 2>&1); then
		problem pmem "mkfs.ext4: $out"
		return 1
	fi
	if ! mount -t ext4 -o dax $DEV $MNT 2>/tmp/mount.err; then
		problem pmem "mount -o dax: $(cat /tmp/mount.err)"
		return 1
	fi
	if awk -v m=$MNT '$2 == m {print ","$4","}' /proc/mounts | grep -q ',dax'; then
		report pmem "mounted: $(grep " $MNT " /proc/mounts)"
	else
		problem pmem "mounted without dax: $(grep " $MNT " /proc/mounts)"
	fi
	pattern demo 262144 >/tmp/demo.dat
	before=$(stat_value requests)
	dd if=/tmp/demo.dat of=$MNT/hello.txt bs=64k conv=fsync 2>/dev/null
	report pmem "wrote $MNT/hello.txt (256 KiB) with fsync: md5 $(md5 $MNT/hello.txt), $(($(stat_value requests) - before)) flush requests for that fsync"
	echo "PATTERN hello 262144 $(md5 $MNT/hello.txt)"
	out=$(pmemtool mapsync $MNT/mapsync.tst --require-dax 2>&1)
	if [ $? -eq 0 ]; then
		report pmem "MAP_SYNC on a DAX file: refused ($(echo "$out" | tail -n1 | sed 's/^mapsync: //')): the region is asynchronous, applications must fsync"
	else
		problem pmem "MAP_SYNC: $(echo "$out" | tr '\n' ' ')"
	fi
	rm -f $MNT/mapsync.tst
	umount $MNT || problem pmem "umount $MNT failed"
}

# pmem_bench: THREADS raw O_DIRECT writers + fdatasync on /dev/pmem0 (behind
# the file system), host flush requests from QEMU's trace around it
pmem_bench() {
	local h0 h1 r0 c0 out json syncs
	[ -b $DEV ] || { problem pmem "no $DEV for the benchmark"; return 1; }
	[ -n "$CTL_OK" ] || { problem pmem "no host channel: no host flush counts"; return 1; }
	ctl EVENTS virtio_pmem_flush_request
	h0=$(kv virtio_pmem_flush_request)
	r0=$(stat_value requests)
	c0=$(stat_value callers)
	out=$(pmemtool writers --mode raw --path $DEV --offset $BENCH_OFF --threads "$THREADS" \
		--count "$COUNT" --json 2>/tmp/bench.err)
	json=$(echo "$out" | grep '^{' | tail -n1)
	sleep 0.5
	ctl EVENTS virtio_pmem_flush_request
	h1=$(kv virtio_pmem_flush_request)
	if [ -z "$json" ] || [ -z "$h0" ] || [ -z "$h1" ]; then
		problem pmem "$ROLE benchmark: no result (pmemtool: $(head -c 200 /tmp/bench.err | tr '\n' ' '); host: $CTL_REPLY)"
		return 1
	fi
	echo "BENCH $ROLE host_flushes=$((h1 - h0)) $json"
	syncs=$(echo "$json" | sed -n 's/.*"syncs":\([0-9]*\).*/\1/p')
	report pmem "$ROLE: $THREADS writers x $COUNT: $syncs fdatasync, $(echo "$json" | sed -n 's/.*"syncs_per_s":\([0-9.]*\).*/\1/p') fdatasync/s, $((h1 - h0)) host flush requests"
	if [ "$ROLE" = ours ]; then
		report pmem "ours: flush_stats during the run: $(($(stat_value requests) - r0)) requests for $(($(stat_value callers) - c0)) callers"
	fi
}

# --- virtio-mem -------------------------------------------------------------
# agree STEP WANT: MemTotal, QMP and (ours) sysfs after a resize to WANT;
# the last reply is the host's WAIT answer
agree() {
	local step=$1 want=$2 d ps rs mt ok=yes
	wait_for 300 memtotal_is "$want"
	mt=$(($(memtotal_kb) - BASE_KB))
	[ "$(kv size)" = "$want" ] || ok=no
	[ $((mt - want / 1024)) -le "$TOL_KB" ] && [ $((want / 1024 - mt)) -le "$TOL_KB" ] || ok=no
	d=$(vmem_sysfs_dir)
	if [ -n "$d" ]; then
		ps=$(cat "$d/plugged_size")
		rs=$(cat "$d/requested_size")
		[ "$ps" = "$(kv size)" ] && [ "$rs" = "$(kv req)" ] || ok=no
		report vmem "$step: $(kv set) s; QMP size $(mib "$(kv size)") MiB (requested $(mib "$(kv req)")), MemTotal +$((mt / 1024)) MiB, sysfs plugged_size $(mib "$ps") MiB requested_size $(mib "$rs") MiB: $([ $ok = yes ] && echo agree || echo DISAGREE)"
	else
		report vmem "$step: $(kv set) s; QMP size $(mib "$(kv size)") MiB, MemTotal +$((mt / 1024)) MiB"
	fi
	[ $ok = yes ] || problem vmem "$step: QMP $(kv size)/$(kv req), MemTotal +$mt kB, sysfs $ps/$rs (want $want)"
}
memtotal_is() {
	local d=$(($(memtotal_kb) - BASE_KB - $1 / 1024))
	[ "$d" -le "$TOL_KB" ] && [ "$d" -ge "-$TOL_KB" ]
}

# resize STEP BYTES: SET, WAIT (60 s), then the agreement line
resize() {
	ctl SET "$2" || { problem vmem "$1: host refused SET $2: $CTL_REPLY"; return 1; }
	if ! ctl WAIT "$2" 60; then
		problem vmem "$1: $CTL_REPLY"
		return 1
	fi
	agree "$1" "$2"
}

vmem_start() {
	local bound
	[ -n "$CTL_OK" ] || return 1
	ADDR=$(kv addr "$HELLO_REPLY") MAXSZ=$(kv max "$HELLO_REPLY") BLOCK=$(kv block "$HELLO_REPLY")
	TOL_KB=$((BLOCK / 1024))
	bound=$(ls -d /sys/bus/virtio/drivers/virtio_mem/virtio* 2>/dev/null | head -n1)
	if [ -z "$bound" ]; then
		problem vmem "no device bound to virtio_mem ($(cat /etc/vmemset); insmod failures: $(tr '\n' ' ' </tmp/modfail))"
		return 1
	fi
	ctl QUERY
	BASE_KB=$(memtotal_kb)
	[ "$ROLE" = ours ] || return 0
	report vmem "${bound##*/} bound to virtio_mem $(cat /sys/module/virtio_mem/version 2>/dev/null) (ours): region $(mib "$MAXSZ") MiB at $(printf 0x%x "$ADDR"), device block $(mib "$BLOCK") MiB, mode $(cat "$(vmem_sysfs_dir)/mode" 2>/dev/null); boot MemTotal $((BASE_KB / 1024)) MiB, QMP size $(mib "$(kv size)") MiB"
}

# blocked: from SMALL, a process takes all but ~400 MiB of the available
# memory, the host asks for 0; HOLD_S seconds later the process exits
blocked() {
	local avail hog pid at t0 fill
	avail=$(awk '$1 == "MemAvailable:" {print $2}' /proc/meminfo)
	hog=$((avail / 1024 - 400))
	t0=$(cut -d' ' -f1 /proc/uptime)
	vmemhold --mb "$hog" --sparse --region "$ADDR:$MAXSZ" >/tmp/hog.out 2>&1 &
	pid=$!
	if ! wait_for 1200 grep -q ready /tmp/hog.out; then
		kill $pid 2>/dev/null
		problem vmem "$ROLE: the memory holder did not start: $(tr '\n' ' ' </tmp/hog.out)"
		return 1
	fi
	fill=$(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN {printf "%.1f", b - a}')
	ctl SET 0
	sleep "$HOLD_S"
	ctl QUERY
	at=$(kv size)
	kill $pid
	wait $pid 2>/dev/null
	ctl MARK holder-exit
	if [ "$at" = 0 ]; then
		problem vmem "$ROLE: the unplug was not blocked (size 0 while a $hog MiB process held memory)"
	fi
	BLOCKED_LINE="$ROLE: unplug $(mib "$SMALL") MiB -> 0 while a process holds $hog MiB (taken in $fill s, $(kv in_region "$(grep ready /tmp/hog.out)") of its pages in the device): after ${HOLD_S} s still $(mib "$at") MiB plugged"
	BLOCKED_AT=$at
}

# converged LIMIT: wait (up to LIMIT s) for 0 and report the seconds since
# the holder's exit; the in-tree driver not getting there is a result, ours
# not getting there a problem
converged() {
	if ! ctl WAIT 0 "$1"; then
		report vmem "$BLOCKED_LINE; still $(mib "$(kv size)") MiB plugged $(kv mark) s after it exited"
		[ "$ROLE" = intree ] || problem vmem "$ROLE: not converged to 0 $(kv mark) s after the holder exited: $CTL_REPLY"
		return 1
	fi
	datum "vmem_blocked_$ROLE" "$(kv mark)"
	report vmem "$BLOCKED_LINE; converged $(kv mark) s after it exited"
	wait_for 300 memtotal_is 0
}

echo "SCENARIO demo: kernel $(uname -r), role $ROLE, pmem $(cat /etc/modset), virtio-mem $(cat /etc/vmemset), bench $BENCH, vmem $VSIZES, hold $HOLD_S s"
# the host channel: QMP resizes and QEMU's trace counts (HELLO: the device)
CTL_OK=
if ctl_open; then
	CTL_OK=yes
	HELLO_REPLY=$CTL_REPLY
else
	problem demo "no answer from the host on $CTL_DEV (scripts/vmem-host.py)"
fi
wait_for 100 test -b $DEV || problem pmem "no $DEV ($(cat /etc/modset) driver did not bind; insmod failures: $(tr '\n' ' ' </tmp/modfail))"
case "$ROLE" in
ours)
	[ -b $DEV ] && pmem_tour
	if vmem_start; then
		resize "grow 0 -> $(mib "$BIG") MiB" "$BIG"
		resize "shrink -> $(mib "$SMALL") MiB" "$SMALL"
		blocked && converged 150
	fi
	pmem_bench
	report pmem "ours: flush_stats at the end: $(for f in requests callers coalesced errors timeouts state; do printf '%s %s, ' $f "$(stat_value $f)"; done | sed 's/, $//')"
	;;
intree)
	report pmem "intree: $DEV $(($(blockdev --getsize64 $DEV 2>/dev/null) >> 20)) MiB, bound to the kernel's virtio_pmem ($(readlink /sys/bus/virtio/drivers/virtio_pmem/virtio* 2>/dev/null | head -n1 | sed 's|.*/||'))"
	pmem_bench
	if vmem_start && ctl SET "$SMALL" && ctl WAIT "$SMALL" 60 && wait_for 300 memtotal_is "$SMALL"; then
		blocked && converged 90
	else
		problem vmem "intree: could not plug $SMALL first: $CTL_REPLY"
	fi
	;;
*)
	problem demo "unknown demo_role '$ROLE'"
	;;
esac
ctl QUERY
echo "VMEMFINAL $CTL_REPLY"
echo "DEMO-DONE $ROLE"
finish
