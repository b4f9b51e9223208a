#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of the 1 TiB virtio-mem bench (host: tests/vmem-tib-scenarios.sh,
# make bench BENCH=vscale).  The device region is 1 TiB (memory-backend-ram,
# reserve=off), nothing plugged at boot; /init has loaded the driver of the
# image (ours or the stock kernel's).  Steps, each reported as a STAT line
# and one result (results state what happened; nothing timed is asserted):
#   vtib-probe    the driver unloaded and loaded again with the device
#                 present: insmod's seconds (the probe runs inside it) and
#                 what the driver took for the 1 TiB region: its vmalloc
#                 areas (/proc/vmallocinfo lines of [virtio_mem], with
#                 guard pages), Slab/SUnreclaim/VmallocUsed/MemFree deltas
#   vtib-plug     4 GiB requested: seconds until MemTotal grew by 4 GiB
#   vtib-grow     16 GiB more (to 20 GiB) while vmemlat wakes every 10 ms:
#                 seconds until MemTotal followed, the worst and the p99
#                 lateness of its wake-ups (and the same for an idle
#                 interval before, as the baseline)
#   vtib-shrink   back to 0 with a checksummed vmemhold buffer in the
#                 device memory: converged (or how far it got) and the
#                 buffer intact -- the one check that can fail: data lost
# Parameters (kernel command line): vtib_hold_mb (buffer, default 256),
# vtib_to (seconds per step, default 600), vtib_shrink=0 (no vtib-shrink,
# a SKIP line instead: the bench's further rounds, which only measure the
# probe, the plug and the grow).
. /guest/common.sh

HOLD_MB=$(cmdline_arg vtib_hold_mb)
HOLD_MB=${HOLD_MB:-256}
TO=$(cmdline_arg vtib_to)
TO=${TO:-600}
SHRINK=$(cmdline_arg vtib_shrink)
VMEMSET=$(cat /etc/vmemset)
MOD=$(tail -n1 /etc/vmem.mods)
GIB=$((1 << 30))

now() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.2f", b - a}'; }
mi() { awk -v k="$1:" '$1 == k {print $2}' /proc/meminfo; }
# KiB of the driver's vmalloc areas (sizes include a guard page each)
vm_kb() { awk '/\[virtio_mem\]/ {s += $2} END {print int(s / 1024)}' /proc/vmallocinfo; }
bound() { ls -d /sys/bus/virtio/drivers/virtio_mem/virtio* 2>/dev/null | head -n1; }
memtotal_at_least() { [ $(($(memtotal_kb) - MT0)) -ge "$1" ]; }

# lat_start FILE: vmemlat in the background until lat_stop (LAT: its line)
lat_start() {
	LAT_OUT=$1
	vmemlat >"$LAT_OUT" 2>&1 &
	LAT_PID=$!
	wait_for 100 grep -q running "$LAT_OUT"
}
lat_stop() {
	kill -USR1 "$LAT_PID" 2>/dev/null
	wait "$LAT_PID"
	LAT=$(grep wakeups "$LAT_OUT")
}

scn_probe() {
	local t0 secs f0 s0 u0 v0 f1 s1 u1 v1 k1
	if ! rmmod virtio_mem; then
		fail vtib-probe "rmmod virtio_mem failed ($VMEMSET)"
		return 1
	fi
	sync
	echo 3 >/proc/sys/vm/drop_caches
	f0=$(mi MemFree) s0=$(mi Slab) u0=$(mi SUnreclaim) v0=$(mi VmallocUsed)
	t0=$(now)
	if ! insmod "$MOD"; then
		fail vtib-probe "insmod $MOD failed"
		return 1
	fi
	secs=$(since "$t0")
	wait_for 100 test -n "$(bound)"
	sleep 1
	sync
	echo 3 >/proc/sys/vm/drop_caches
	f1=$(mi MemFree) s1=$(mi Slab) u1=$(mi SUnreclaim) v1=$(mi VmallocUsed)
	k1=$(vm_kb)
	grep '\[virtio_mem\]' /proc/vmallocinfo | sed 's/^/VMALLOC /'
	echo "STAT vtib-probe driver=$VMEMSET insmod_secs=$secs vmalloc_areas_kb=$k1 slab_delta_kb=$((s1 - s0)) sunreclaim_delta_kb=$((u1 - u0)) vmallocused_delta_kb=$((v1 - v0)) memfree_delta_kb=$((f1 - f0))"
	if [ -z "$(bound)" ]; then
		fail vtib-probe "no device bound after insmod"
		return 1
	fi
	pass vtib-probe "$VMEMSET: insmod (probe of a 1 TiB region) ${secs}s; its vmalloc areas $k1 KiB, Slab $((s1 - s0)) kB (SUnreclaim $((u1 - u0)) kB), VmallocUsed $((v1 - v0)) kB, MemFree $((f1 - f0)) kB"
}

# grow_to BYTES NAME: request BYTES, wait until MemTotal followed; GROW_SECS
grow_to() {
	local t0 want_kb
	want_kb=$((($1 - CUR) / 1024 - TOL_KB))
	MT0=$(memtotal_kb)
	t0=$(now)
	ctl SET "$1" || return 1
	wait_for $((TO * 10)) memtotal_at_least "$want_kb" || return 1
	GROW_SECS=$(since "$t0")
	ctl WAIT "$1" 60 20
	CUR=$1
}

scn_plug() {
	if ! grow_to $((4 * GIB)); then
		fail vtib-plug "4 GiB not online within ${TO}s: QMP $(ctl QUERY; kv size), MemTotal +$(($(memtotal_kb) - MT0)) kB"
		return 1
	fi
	echo "STAT vtib-plug driver=$VMEMSET bytes=$((4 * GIB)) secs=$GROW_SECS"
	pass vtib-plug "$VMEMSET: 4 GiB inside the 1 TiB region online after ${GROW_SECS}s"
}

scn_grow() {
	local idle
	lat_start /tmp/lat-idle.out
	sleep 5
	lat_stop
	idle=$LAT
	lat_start /tmp/lat-grow.out
	if ! grow_to $((20 * GIB)); then
		lat_stop
		fail vtib-grow "16 GiB more not online within ${TO}s: QMP $(ctl QUERY; kv size), MemTotal +$(($(memtotal_kb) - MT0)) kB"
		return 1
	fi
	lat_stop
	echo "STAT vtib-grow driver=$VMEMSET bytes=$((16 * GIB)) secs=$GROW_SECS grow_max_us=$(kv max_us "$LAT") grow_p99_us=$(kv p99_us "$LAT") grow_wakeups=$(kv wakeups "$LAT") idle_max_us=$(kv max_us "$idle") idle_p99_us=$(kv p99_us "$idle")"
	pass vtib-grow "$VMEMSET: 4 -> 20 GiB online after ${GROW_SECS}s; a 10 ms waker's lateness while growing: max $(kv max_us "$LAT") us, p99 $(kv p99_us "$LAT") us ($(kv wakeups "$LAT") wake-ups; idle before: max $(kv max_us "$idle") us, p99 $(kv p99_us "$idle") us)"
}

scn_shrink() {
	local in0 why hold secs
	vmemhold_start /tmp/tibhold.out "$HOLD_MB"
	in0=$(kv in_region "$HOLD_READY")
	ctl SET 0
	ctl WAIT 0 "$TO" 120
	why=$(echo "$CTL_REPLY" | cut -d' ' -f1)
	secs=$(kv set)
	vmemhold_stop "$HOLD_PID"
	hold=$(vmemhold_verdict /tmp/tibhold.out "$HOLD_MB" "$in0")
	echo "STAT vtib-shrink driver=$VMEMSET outcome=$why secs=$secs size=$(kv size) hold_mb=$HOLD_MB hold_pages_in_region=${in0:-0}"
	if [ -n "$hold" ]; then
		fail vtib-shrink "$VMEMSET: $hold (shrink: $CTL_REPLY)"
	else
		pass vtib-shrink "$VMEMSET: 20 GiB -> 0 with a $HOLD_MB MiB buffer ($in0 of its pages in device memory) intact: $why after ${secs}s, QMP size $(kv size)"
	fi
}

echo "SCENARIO vmem-tib: kernel $(uname -r), virtio-mem $VMEMSET ($MOD), hold ${HOLD_MB}M, cmdline $(cat /proc/cmdline)"
CUR=0
if scn_probe; then
	vmem_ctl_start vtib-host
	echo "vtib: region $ADDR+$MAXSZ, block $BLOCK"
	if scn_plug && scn_grow; then
		if [ "$SHRINK" = 0 ]; then
			echo "SKIP vtib-shrink: vtib_shrink=0 (a further round of the bench)"
		else
			scn_shrink
		fi
	fi
fi
finish
