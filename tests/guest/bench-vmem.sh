#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest half of the virtio-mem benchmark (scripts/bench-vmem.sh), run as
# /scenario; talks to scripts/vmem-host.py like tests/guest/vmem.sh.
#
# Runs, each printed as one line
#   BENCHVMEM <run> ok KEY=VALUE...   or   BENCHVMEM <run> fail REASON
# with secs (host: from the SET to query-memory-devices showing the size),
# guest_secs (guest: from the SET's answer until MemTotal shows the size),
# and the QEMU requests of the run (plug, unplug, unplug_all, state):
#   plug       0 -> BIG, idle guest
#   unplug     BIG -> 0, idle guest
#   blocked    MID plugged; a process takes all but ~300 MiB of the
#              available memory (vmemhold), SET 0: the unplug cannot
#              finish while it lives.  After 15 s it exits; secs is the time
#              from its exit until the size reaches 0 (block_size = the
#              size when it exited).
# Parameters (kernel command line): vmem_big=, vmem_mid= (bytes),
# vmem_to= (seconds per run).
. /guest/common.sh

BIG=$(cmdline_arg vmem_big)
MID=$(cmdline_arg vmem_mid)
TO=$(cmdline_arg vmem_to)
P_PLUG=0 P_UNPLUG=0 P_UALL=0 P_STATE=0

uptime_s() { cut -d' ' -f1 /proc/uptime; }
elapsed_since() { awk -v a="$1" -v b="$(uptime_s)" 'BEGIN {printf "%.2f", b - a}'; }
# deltas: QEMU requests since the last call (from the last reply) into DELTAS
deltas() {
	local p u a s
	p=$(kv plug) u=$(kv unplug) a=$(kv unplug_all) s=$(kv state)
	DELTAS="plug=$((p - P_PLUG)) unplug=$((u - P_UNPLUG)) unplug_all=$((a - P_UALL)) state=$((s - P_STATE))"
	P_PLUG=$p P_UNPLUG=$u P_UALL=$a P_STATE=$s
}
memtotal_is() { [ $(($(memtotal_kb) - BASE_KB)) -eq $(($1 / 1024)) ]; }

# resize_run RUN BYTES: one timed resize of an idle guest
resize_run() {
	local run=$1 want=$2 t0 gs cur mv
	ctl QUERY
	cur=$(kv size)
	mv=$((want - cur))
	[ "$mv" -ge 0 ] || mv=$((-mv))
	deltas
	ctl SET "$want" || { echo "BENCHVMEM $run fail SET: $CTL_REPLY"; return 1; }
	t0=$(uptime_s)
	if ! ctl WAIT "$want" "$TO"; then
		echo "BENCHVMEM $run fail $CTL_REPLY"
		deltas
		return 1
	fi
	local secs=$(kv set)
	deltas
	gs=-1
	wait_for $((TO * 10)) memtotal_is "$want" && gs=$(elapsed_since "$t0")
	echo "BENCHVMEM $run ok secs=$secs guest_secs=$gs bytes=$want moved=$mv $DELTAS"
}

blocked_run() {
	local avail hog pid t0 at
	resize_run blocked-grow "$MID" >/dev/null || { echo "BENCHVMEM blocked fail could not plug $MID"; return 1; }
	avail=$(awk '$1 == "MemAvailable:" {print $2}' /proc/meminfo)
	hog=$((avail / 1024 - 300))
	vmemhold --mb "$hog" >/tmp/hog.out 2>&1 &
	pid=$!
	wait_for 1200 grep -q ready /tmp/hog.out || { echo "BENCHVMEM blocked fail hog did not start"; kill "$pid"; return 1; }
	ctl SET 0
	sleep 15
	ctl QUERY
	at=$(kv size)
	kill "$pid"
	wait "$pid"
	t0=$(uptime_s)
	if ! ctl WAIT 0 "$TO"; then
		echo "BENCHVMEM blocked fail hog=${hog}M size $at at exit, $CTL_REPLY"
		deltas
		return 1
	fi
	deltas
	echo "BENCHVMEM blocked ok secs=$(kv wait) block_size=$at hog_mb=$hog since_set=$(kv set) $DELTAS"
}

echo "BENCHINFO kernel $(uname -r), virtio-mem $(cat /etc/vmemset), big $BIG, mid $MID"
if ! ctl_open; then
	echo "BENCHFAIL no answer from the host"
	finish
	exit 1
fi
if ! ls -d /sys/bus/virtio/drivers/virtio_mem/virtio* >/dev/null 2>&1; then
	echo "BENCHFAIL no device bound to virtio_mem"
	finish
	exit 1
fi
ctl QUERY
deltas
BASE_KB=$(memtotal_kb)
resize_run plug "$BIG"
resize_run unplug 0
blocked_run
echo "BENCH-DONE"
finish
