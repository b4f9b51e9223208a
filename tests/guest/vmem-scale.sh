#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of the virtio-mem scale scenario (host: tests/vmem-scale-scenarios.sh,
# scripts/vmem-host.py on the second serial port).  The guest boots small
# and the host is asked, in one step, for many times the boot size: every
# hot-added memory block takes its memmap (and on KASAN kernels its shadow)
# from boot memory, so a driver without a reserve kills the guest
# ("System is deadlocked on memory").  Our driver must stop short and stay
# usable:
#   vscale-stop       plug_stopped becomes 1 within the bound; the device
#                     size is below the request and stays there while the
#                     driver retries; QMP size, our plugged_size and MemTotal
#                     agree; free unmovable memory is still at the reserve
#   vscale-warn-once  exactly one "stopped plugging" warning
#   vscale-alive      a process allocates and verifies a buffer, the host
#                     channel still answers
#   vscale-resume     a ballast file in boot memory is deleted: plugging
#                     resumes (the size grows) and stops again (second
#                     warning, "plugging resumes" logged)
#   vscale-lower      a request one memory block below the stop point
#                     converges; the stopped state clears
# Memmap on memory (a second device, vm1, in Big Block Mode: device block
# bigger than a memory block, or one memory block on kernels whose core
# self-hosts only single-block adds), checked first, vm1 back at 0 after:
#   vscale-memmap         vscale_bbm_plug bytes plugged: memmap_on_memory 1,
#                         MemTotal grew by the plug minus memmap_size (the
#                         memmap lives in the blocks), free unmovable memory
#                         fell by less than half the memmap (plus the KASAN
#                         shadow of the memory onlined on KASAN kernels)
#   vscale-memmap-unplug  back to 0: the big blocks' memmap pages are left
#                         to the removal (unplug converges), MemTotal, sizes
#                         and memmap_size back where they were
#   vscale-memmap-off     the module parameter memmap_on_memory=N and a
#                         rebind: the same plug takes the memmap from boot
#                         memory (free unmovable memory falls by at least
#                         half of it), MemTotal grows by the whole plug
# Memmap on memory in Sub Block Mode (vm0: 2 MiB device blocks, so the
# memmap of a 128 MiB memory block is one pinned sub-block), before the
# scale steps, vm0 back at 0 after:
#   vscale-sbm-memmap         vscale_sbm_blocks memory blocks plugged:
#                             memmap_on_memory 1, memmap_size one memmap per
#                             block, MemTotal grew by the plug minus it (126
#                             MiB per 128 MiB), free unmovable memory fell by
#                             less than half of it (plus the KASAN shadow)
#   vscale-sbm-memmap-unplug  back to 0 with a checksummed buffer in the
#                             device memory: the buffer is intact, QMP size
#                             and plugged_size 0 (the memmap's sub-blocks
#                             were unplugged after the removal), memmap_size
#                             0, MemTotal back
#   vscale-sbm-memmap-off     memmap_on_memory=N and a rebind: the same plug
#                             takes the memmap from boot memory (free
#                             unmovable memory falls by at least half of
#                             it), MemTotal grows by the whole plug; the
#                             scale steps then run on vm0 like that (the
#                             reserve they check is the boot-memory one)
# On KASAN and PREEMPT_RT kernels the free-unmovable bounds are reported,
# not judged: the kernel's own movements there (slab quarantine, deferred
# frees) reach half a memmap; MemTotal decides (fu_judged).  The *-off
# checks unplug back to 0 whatever their verdict, so a failure does not
# shift the later steps' baseline.
# vscale_bbm_grow=BYTES (make bench / a measurement, not make check): only
# vm1 is asked for BYTES in one step (vscale_memmap=0: with
# memmap_on_memory=N) and the size it reaches is reported (vscale-bbm-grow).
# With the in-tree driver (outcome recording, not in make check) only
# vscale-intree: the size reached, if the guest survives at all.
# PROGRESS lines (every second while growing) show how far a guest got
# before it died.
#
# Parameters (kernel command line, set by the host):
#   vscale_req=BYTES       the one-step request
#   vscale_ballast_mb=N    boot-memory ballast freed for vscale-resume
#   vscale_hold_mb=N       buffer of vscale-alive
#   vscale_to=SEC          bound for stopping (or, in-tree, for the request)
#   vscale_guard=0         turn our reserve off (plug_reserve=N) to show
#                          that the checks fail without it
#   vscale_bbm_plug=BYTES  the memmap checks on vm1 (0 or absent: none)
#   vscale_bbm_grow=BYTES  measurement: grow vm1 to BYTES, nothing else
#   vscale_memmap=0        with vscale_bbm_grow: memmap_on_memory=N
#   vscale_sbm_blocks=N    the SBM memmap checks on vm0 (0 or absent: none)
#   vscale_sbm_stop_memmap=1  measurement: the scale steps on vm0 with
#                          memmap on memory (no vscale-sbm-memmap-off)
#   vscale_memmap_can=0    the host read from the kernel's config and source
#                          that its core cannot keep a memmap inside a memory
#                          block: vscale-memmap and vscale-sbm-memmap are
#                          SKIPped and replaced by their -fallback checks
#                          (the driver says why at probe, memmap_on_memory
#                          0, the whole plug in MemTotal)
. /guest/common.sh

REQ=$(cmdline_arg vscale_req)
BALLAST_MB=$(cmdline_arg vscale_ballast_mb)
HOLD_MB=$(cmdline_arg vscale_hold_mb)
TO=$(cmdline_arg vscale_to)
GUARD=$(cmdline_arg vscale_guard)
BBM_PLUG=$(cmdline_arg vscale_bbm_plug)
BBM_GROW=$(cmdline_arg vscale_bbm_grow)
MEMMAP=$(cmdline_arg vscale_memmap)
SBM_BLOCKS=$(cmdline_arg vscale_sbm_blocks)
SBM_STOP_MEMMAP=$(cmdline_arg vscale_sbm_stop_memmap)
MEMMAP_CAN=$(cmdline_arg vscale_memmap_can)
MEMMAP_PARAM=/sys/module/virtio_mem/parameters/memmap_on_memory
VMEMSET=$(cat /etc/vmemset)
MB_BYTES=$((0x$(cat /sys/devices/system/memory/block_size_bytes)))
KASAN=$(dmesg | grep -m1 'KernelAddressSanitizer initialized')
RT=$(cat /sys/kernel/realtime 2>/dev/null)
WARN='stopped plugging at'

now() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }
sysattr() { cat "$SYSD/$1" 2>/dev/null; }
nwarn() { dmesg | grep -c "$WARN"; }

# free_unmovable_kb: free pages of the zones that hold kernel memory
free_unmovable_kb() {
	awk '$1 == "Node" {z = $4} $1 == "pages" && $2 == "free" && z ~ /^(DMA|DMA32|Normal)$/ {s += $3}
	     END {print s * 4}' /proc/zoneinfo
}

progress() {
	while :; do
		echo "PROGRESS t=$(now) memtotal_kb=$(memtotal_kb) free_unmovable_kb=$(free_unmovable_kb)"
		sleep 1
	done
}

memtotal_is() { # memtotal_is BYTES: MemTotal = BASE + BYTES within TOL_KB
	MT_DELTA=$(($(memtotal_kb) - BASE_KB))
	local d=$((MT_DELTA - $1 / 1024))
	[ "$d" -le "$TOL_KB" ] && [ "$d" -ge "-$TOL_KB" ]
}

stopped_is() { [ "$(sysattr plug_stopped)" = "$1" ]; }
plugged_above() { [ "$(sysattr plugged_size)" -gt "$1" ] 2>/dev/null; }

# agree NAME BYTES: QMP size, our plugged_size and MemTotal all at BYTES
agree() {
	local s=$(sysattr plugged_size)
	AGREE="QMP $(kv size), plugged_size $s, MemTotal +$MT_DELTA kB"
	[ "$(kv size)" = "$1" ] && [ "$s" = "$1" ] && wait_for 50 memtotal_is "$1"
	AGREE="QMP $(kv size), plugged_size $s, MemTotal +$MT_DELTA kB"
	[ "$(kv size)" = "$1" ] && [ "$s" = "$1" ] && memtotal_is "$1"
}

scn_stop() {
	local t0 secs s1 free res
	t0=$(now)
	ctl SET "$REQ" || { fail vscale-stop "host refused SET $REQ: $CTL_REPLY"; return 1; }
	if ! wait_for $((TO * 10)) stopped_is 1; then
		ctl QUERY
		fail vscale-stop "plug_stopped not 1 after ${TO}s: QMP size $(kv size) of $REQ, last_error $(sysattr last_error)"
		return 1
	fi
	secs=$(since "$t0")
	free=$(free_unmovable_kb)
	res=$(sysattr unmovable_reserve)
	ctl QUERY
	STOP=$(kv size)
	echo "STAT vscale-stop secs=$secs size=$STOP free_unmovable_kb=$free unmovable_reserve=$res"
	# the driver keeps retrying with its backoff (0.5, 1, 2 s): no more
	sleep 5
	ctl QUERY
	s1=$(kv size)
	if [ "$STOP" -ge "$REQ" ] || [ "$STOP" -le 0 ]; then
		fail vscale-stop "stopped at $STOP bytes of $REQ requested: not short of it"
	elif [ "$s1" != "$STOP" ] || ! stopped_is 1; then
		fail vscale-stop "stopped at $STOP, but 5 s later QMP size $s1, plug_stopped $(sysattr plug_stopped)"
	elif [ "$(sysattr requested_size)" != "$REQ" ]; then
		fail vscale-stop "requested_size $(sysattr requested_size), host requested $REQ"
	elif ! agree "$STOP"; then
		fail vscale-stop "stopped, sizes disagree: $AGREE"
	elif [ "$((free * 1024))" -lt "$((res - 16 * 1048576))" ]; then
		fail vscale-stop "stopped at $((STOP >> 20)) MiB with $free kB free unmovable memory, below the reserve $res bytes"
	else
		pass vscale-stop "stopped at $((STOP >> 20)) MiB of $((REQ >> 20)) MiB after ${secs}s, still there 5 s later; $AGREE; free unmovable $((free >> 10)) MiB, reserve $((res >> 20)) MiB"
	fi
}

scn_warn_once() {
	local n
	n=$(nwarn)
	if [ "$n" = 1 ]; then
		pass vscale-warn-once "one warning: $(dmesg | grep "$WARN" | sed 's/^\[[^]]*\] //' | cut -c1-400)"
	else
		fail vscale-warn-once "$n '$WARN' warnings (want 1)"
	fi
}

scn_alive() {
	local pid out
	vmemhold --mb "$HOLD_MB" --region "$ADDR:$MAXSZ" >/tmp/hold.out 2>&1 &
	pid=$!
	wait_for 1200 grep -qs ready /tmp/hold.out
	kill -USR1 "$pid" 2>/dev/null
	wait "$pid"
	out=$(grep verify /tmp/hold.out)
	if [ -z "$out" ] || [ "$(kv mismatches "$out")" != 0 ]; then
		fail vscale-alive "a $HOLD_MB MiB buffer could not be allocated and verified: $(tr '\n' ' ' </tmp/hold.out)"
	elif ! ctl QUERY; then
		fail vscale-alive "buffer ok, but the host channel did not answer: $CTL_REPLY"
	else
		pass vscale-alive "a $HOLD_MB MiB buffer allocated and verified ($(kv in_region "$out") of its pages in device memory); host channel answers"
	fi
}

scn_resume() {
	local t0 secs s2
	t0=$(now)
	rm -f /ballast
	if ! wait_for 300 plugged_above "$STOP"; then
		fail vscale-resume "the $BALLAST_MB MiB ballast was freed, but the size stayed at $(sysattr plugged_size) for 30 s"
		return
	fi
	if ! wait_for $((TO * 10)) stopped_is 1; then
		fail vscale-resume "plugging resumed but did not stop again within ${TO}s (plugged $(sysattr plugged_size))"
		return
	fi
	secs=$(since "$t0")
	ctl QUERY
	s2=$(kv size)
	if [ "$(nwarn)" != 2 ] || ! dmesg | grep -q 'plugging resumes'; then
		fail vscale-resume "grew to $s2 after the ballast was freed, but $(nwarn) warnings (want 2) and $(dmesg | grep -c 'plugging resumes') resume messages"
	elif ! agree "$s2"; then
		fail vscale-resume "grew, stopped again, sizes disagree: $AGREE"
	else
		pass vscale-resume "freeing $BALLAST_MB MiB of boot memory let it grow from $((STOP >> 20)) MiB: stopped again at $((s2 >> 20)) MiB ${secs}s later; $AGREE"
		STOP=$s2
	fi
}

# one memory block below the stop point: an unplug of online memory costs
# ~1 s per block under TCG
scn_lower() {
	local low
	low=$((STOP - MB_BYTES))
	ctl SET "$low"
	if ! ctl WAIT "$low" "$TO" 20; then
		fail vscale-lower "lowered to $low: $CTL_REPLY"
		return
	fi
	if ! stopped_is 0; then
		fail vscale-lower "converged to $low, but plug_stopped is $(sysattr plug_stopped)"
	elif ! agree "$low"; then
		fail vscale-lower "converged, sizes disagree: $AGREE"
	else
		pass vscale-lower "request lowered to $((low >> 20)) MiB: converged in $(kv set)s, plug_stopped 0; $AGREE"
	fi
}

# --- memmap on memory (vm1, Big Block Mode) ---

bbm_attr() { cat "$SYSB/$1" 2>/dev/null; }
bbm_online() { [ "$(bbm_attr offline_size)" = 0 ]; }
kasan_kernel() { [ -n "$KASAN" ]; }

# fu_judged: is the free-unmovable loss a criterion of the memmap checks?
# Not on KASAN kernels: there free unmovable memory moves on its own by
# more than a memmap (6-16 MiB) while a block is plugged: measured 5 MiB
# above and 14 MiB below memmap + shadow on test-6.12 (the quarantine of
# freed slab objects, up to RAM / 32, fills and is released in batches;
# kmemleak's objects, SLUB's partial slabs).  There MemTotal decides: the
# kernel leaves the memmap's pages out of it exactly when they live in the
# blocks (plug - memmap_size with memmap on memory, the whole plug
# without), to 1 MiB.  The loss is still reported.  Nor on PREEMPT_RT
# kernels (/sys/kernel/realtime): frees deferred to RCU's offloaded
# callbacks and per-CPU lists move free unmovable memory by ~3 MiB, half
# the 6 MiB memmap of the SBM checks (measured on stock-6.12-rt: -3.2 MiB
# in vscale-memmap, 2.7 of 6 MiB in vscale-sbm-memmap-off).
fu_judged() { [ -z "$KASAN" ] && [ "$RT" != 1 ]; }
# fu_why: what decides instead, for the PASS lines
fu_why() {
	fu_judged && return 0
	if [ -n "$KASAN" ]; then echo '; KASAN: MemTotal decides'; else echo '; PREEMPT_RT: MemTotal decides'; fi
}

# bbm_rebind: probe vm1 again (memmap_on_memory is read at probe)
bbm_rebind() {
	local dev
	dev=$(basename "$(dirname "$SYSB")")
	echo "$dev" >/sys/bus/virtio/drivers/virtio_mem/unbind &&
		echo "$dev" >/sys/bus/virtio/drivers/virtio_mem/bind &&
		wait_for 50 test -d "$SYSB"
}

# bbm_measure BYTES [LABEL]: plug the device of SYSB (vm1, or vm0 for the
# SBM checks) to BYTES and measure what it cost; sets D_MT_KB (MemTotal
# growth), D_FU_KB (free unmovable memory lost), MM (memmap_size), MOM
# (memmap_on_memory), SHADOW_KB, BBM_SECS
bbm_measure() {
	local mt0 fu0 t0
	mt0=$(memtotal_kb)
	fu0=$(free_unmovable_kb)
	t0=$(now)
	ctl SET "$1" && ctl WAIT "$1" 120 20 || return 1
	wait_for 100 bbm_online
	BBM_SECS=$(since "$t0")
	D_MT_KB=$(($(memtotal_kb) - mt0))
	D_FU_KB=$((fu0 - $(free_unmovable_kb)))
	MM=$(bbm_attr memmap_size)
	MOM=$(bbm_attr memmap_on_memory)
	SHADOW_KB=0
	kasan_kernel && SHADOW_KB=$((D_MT_KB / 8))
	echo "STAT ${2:-vscale-memmap} plug=$1 memmap_on_memory=$MOM memmap_size=$MM memtotal_delta_kb=$D_MT_KB free_unmovable_lost_kb=$D_FU_KB shadow_kb=$SHADOW_KB secs=$BBM_SECS"
}

# bbm_unplug: vm1 back to 0; non-zero with BBM_WHY when it did not get there
bbm_unplug() {
	BBM_WHY=
	ctl SET 0 && ctl WAIT 0 120 20 || { BBM_WHY="unplug to 0: $CTL_REPLY"; return 1; }
	wait_for 50 test "$(bbm_attr plugged_size)" = 0 ||
		{ BBM_WHY="QMP size 0 but plugged_size $(bbm_attr plugged_size)"; return 1; }
}

# memmap_fallback NAME PLUG: after bbm_measure of PLUG bytes on a kernel
# whose core cannot keep a memmap inside a memory block (the host's
# vscale_memmap_can=0): NAME is skipped and NAME-fallback checks that the
# driver fell back as documented: it said why at probe, memmap_on_memory
# reads 0, the memmap came from boot memory (MemTotal grew by the whole
# plug, memmap_size still counts it)
memmap_fallback() {
	local d=$((D_MT_KB - $2 / 1024)) dev why
	dev=$(basename "$(dirname "$SYSB")")
	why=$(dmesg | grep "virtio_mem $dev: memmap on memory: " | tail -n1 | sed 's/^\[[^]]*\] //')
	echo "SKIP $1: the host says this kernel's core cannot keep a memmap inside a memory block"
	if [ "$MOM" != 0 ]; then
		fail "$1-fallback" "memmap_on_memory is $MOM on a kernel that cannot"
	elif [ "${why%(the memory block layout does not qualify)}" = "$why" ]; then
		fail "$1-fallback" "the driver did not say at probe that the layout does not qualify (dmesg: '${why:-nothing from $dev}')"
	elif [ "$d" -gt 1024 ] || [ "$d" -lt -1024 ]; then
		fail "$1-fallback" "MemTotal grew by $D_MT_KB kB, want the whole plug ($(($2 / 1024)) kB)"
	elif [ "$MM" -le 0 ]; then
		fail "$1-fallback" "memmap_size $MM for $2 plugged"
	else
		pass "$1-fallback" "$why; $(($2 >> 20)) MiB plugged, memmap $((MM >> 10)) KiB from boot memory, MemTotal +$((D_MT_KB >> 10)) MiB"
	fi
}

scn_memmap() {
	local mt0 tol=1024 half
	SYSB=$(vmem_sysfs_at "$BBM_ADDR")
	if [ -z "$SYSB" ] || [ "$(bbm_attr mode)" != bbm ]; then
		fail vscale-memmap "vm1 (region $BBM_ADDR, block $BBM_BLOCK) is not ours in Big Block Mode: sysfs '${SYSB:-none}', mode $(bbm_attr mode)"
		return 1
	fi
	mt0=$(memtotal_kb)
	if ! bbm_measure "$BBM_PLUG"; then
		fail vscale-memmap "plugging $BBM_PLUG on vm1: $CTL_REPLY"
		return 1
	fi
	half=$((MM / 2048))
	if [ "$MEMMAP_CAN" = 0 ]; then
		memmap_fallback vscale-memmap "$BBM_PLUG"
	elif [ "$MOM" != 1 ]; then
		fail vscale-memmap "memmap_on_memory is $MOM (dmesg: $(dmesg | grep -m1 'memmap on memory' | sed 's/^\[[^]]*\] //'))"
	elif [ "$MM" -le 0 ] || [ "$MM" -gt $((BBM_PLUG / 32)) ]; then
		fail vscale-memmap "memmap_size $MM for $BBM_PLUG plugged"
	elif [ $((D_MT_KB - (BBM_PLUG - MM) / 1024)) -gt $tol ] ||
	     [ $((D_MT_KB - (BBM_PLUG - MM) / 1024)) -lt -$tol ]; then
		fail vscale-memmap "MemTotal grew by $D_MT_KB kB, want $(((BBM_PLUG - MM) / 1024)) kB (plug minus memmap_size $MM): the memmap is not in the blocks"
	elif fu_judged && [ "$D_FU_KB" -ge $((SHADOW_KB + half)) ]; then
		fail vscale-memmap "free unmovable memory fell by $D_FU_KB kB (shadow $SHADOW_KB kB), at least half the memmap ($((MM >> 10)) kB): the memmap came from boot memory"
	else
		pass vscale-memmap "$((BBM_PLUG >> 20)) MiB in $((BBM_PLUG / BBM_BLOCK)) big blocks of $((BBM_BLOCK >> 20)) MiB in ${BBM_SECS}s: memmap $((MM >> 10)) KiB inside them, MemTotal +$((D_MT_KB >> 10)) MiB, free unmovable memory lost $D_FU_KB kB (shadow $SHADOW_KB kB$(fu_why))"
	fi
	if ! bbm_unplug; then
		fail vscale-memmap-unplug "$BBM_WHY (last_error $(bbm_attr last_error), fake_offline_failures $(bbm_attr fake_offline_failures))"
		return 1
	fi
	if [ "$(bbm_attr memmap_size)" != 0 ] || [ "$(bbm_attr offline_size)" != 0 ] ||
	   [ $(($(memtotal_kb) - mt0)) -gt $tol ] || [ $(($(memtotal_kb) - mt0)) -lt -$tol ]; then
		fail vscale-memmap-unplug "at 0: memmap_size $(bbm_attr memmap_size), offline_size $(bbm_attr offline_size), MemTotal $(($(memtotal_kb) - mt0)) kB off the start"
	else
		pass vscale-memmap-unplug "back to 0 in $(kv set)s: memmap_size 0, MemTotal back within $tol kB"
	fi
}

scn_memmap_off() {
	local bad
	echo N >"$MEMMAP_PARAM"
	if ! bbm_rebind; then
		fail vscale-memmap-off "rebinding vm1 with memmap_on_memory=N failed"
		echo Y >"$MEMMAP_PARAM"
		return
	fi
	bad=
	if ! bbm_measure "$BBM_PLUG"; then
		bad="plugging $BBM_PLUG on vm1: $CTL_REPLY"
	elif [ "$MOM" != 0 ]; then
		bad="memmap_on_memory $MOM with the parameter N"
	elif [ $((D_MT_KB - BBM_PLUG / 1024)) -gt 1024 ] || [ $((D_MT_KB - BBM_PLUG / 1024)) -lt -1024 ]; then
		bad="MemTotal grew by $D_MT_KB kB, want $((BBM_PLUG / 1024)) kB"
	elif fu_judged && [ "$D_FU_KB" -lt $((SHADOW_KB + MM / 2048)) ]; then
		bad="free unmovable memory fell by only $D_FU_KB kB (shadow $SHADOW_KB kB) for a memmap of $((MM >> 10)) kB in boot memory"
	fi
	# back to 0 whatever the verdict: memory left plugged would shift
	# every later step's baseline (and hold its ballast and buffers)
	bbm_unplug || bad="${bad:+$bad; }$BBM_WHY"
	if [ -n "$bad" ]; then
		fail vscale-memmap-off "$bad"
	else
		pass vscale-memmap-off "memmap_on_memory=N: memmap $((MM >> 10)) KiB from boot memory (free unmovable memory lost $D_FU_KB kB, shadow $SHADOW_KB kB$(fu_why)), MemTotal +$((D_MT_KB >> 10)) MiB; back to 0"
	fi
	echo Y >"$MEMMAP_PARAM"
}

# measurement: how far vm1 grows in one step (the reserve stops it, or not)
scn_bbm_grow() {
	local t0 why
	SYSB=$(vmem_sysfs_at "$BBM_ADDR")
	if [ "$MEMMAP" = 0 ] && [ -n "$SYSB" ]; then
		echo N >"$MEMMAP_PARAM"
		bbm_rebind
	fi
	progress &
	PROG=$!
	t0=$(now)
	ctl SET "$BBM_GROW"
	while :; do
		ctl QUERY
		[ "$(kv size)" = "$BBM_GROW" ] && { why=reached; break; }
		[ "$(bbm_attr plug_stopped)" = 1 ] && { why=stopped; break; }
		[ "$(since "$t0" | cut -d. -f1)" -ge "$TO" ] && { why=timeout; break; }
		sleep 1
	done
	kill "$PROG"
	ctl QUERY
	pass vscale-bbm-grow "$why: QMP size $(kv size) of $BBM_GROW after $(since "$t0")s, memmap_on_memory $(bbm_attr memmap_on_memory), memmap_size $(bbm_attr memmap_size), MemTotal $(memtotal_kb) kB, free unmovable $(free_unmovable_kb) kB, reserve $(bbm_attr unmovable_reserve)"
}

# --- memmap on memory in Sub Block Mode (vm0) ---

scn_sbm_memmap() {
	local plug=$((SBM_BLOCKS * MB_BYTES)) mt0 tol=1024 d bad secs in0 hold
	SYSB=$SYSD
	if [ "$(bbm_attr mode)" != sbm ]; then
		fail vscale-sbm-memmap "vm0 is not in Sub Block Mode: mode $(bbm_attr mode), block_size $(bbm_attr block_size)"
		return 1
	fi
	mt0=$(memtotal_kb)
	if ! bbm_measure "$plug" vscale-sbm-memmap; then
		fail vscale-sbm-memmap "plugging $plug on vm0: $CTL_REPLY"
		return 1
	fi
	d=$((D_MT_KB - (plug - MM) / 1024))
	if [ "$MEMMAP_CAN" = 0 ]; then
		memmap_fallback vscale-sbm-memmap "$plug"
	elif [ "$MOM" != 1 ]; then
		fail vscale-sbm-memmap "memmap_on_memory is $MOM (dmesg: $(dmesg | grep 'memmap on memory' | tail -n1 | sed 's/^\[[^]]*\] //'))"
	elif [ "$MM" -le 0 ] || [ $((MM % SBM_BLOCKS)) != 0 ] || [ "$MM" -gt $((plug / 16)) ]; then
		fail vscale-sbm-memmap "memmap_size $MM for $SBM_BLOCKS memory blocks"
	elif [ "$d" -gt $tol ] || [ "$d" -lt -$tol ]; then
		fail vscale-sbm-memmap "MemTotal grew by $D_MT_KB kB, want $(((plug - MM) / 1024)) kB (plug minus memmap_size $MM): the memmap is not in the blocks"
	elif fu_judged && [ "$D_FU_KB" -ge $((SHADOW_KB + MM / 2048)) ]; then
		fail vscale-sbm-memmap "free unmovable memory fell by $D_FU_KB kB (shadow $SHADOW_KB kB), at least half the memmap ($((MM >> 10)) kB): the memmap came from boot memory"
	else
		pass vscale-sbm-memmap "$SBM_BLOCKS memory blocks ($((plug >> 20)) MiB, QMP and plugged_size) in ${BBM_SECS}s: memmap $((MM >> 10)) KiB in their first sub-blocks, MemTotal +$((D_MT_KB >> 10)) MiB ($((D_MT_KB / SBM_BLOCKS >> 10)) MiB per block), free unmovable memory lost $D_FU_KB kB (shadow $SHADOW_KB kB$(fu_why))"
	fi
	vmemhold_start /tmp/sbmhold.out "$HOLD_MB"
	in0=$(kv in_region "$HOLD_READY")
	bbm_unplug
	bad=$BBM_WHY
	secs=$(kv set)
	vmemhold_stop "$HOLD_PID"
	hold=$(vmemhold_verdict /tmp/sbmhold.out "$HOLD_MB" "$in0")
	d=$(($(memtotal_kb) - mt0))
	ctl QUERY
	if [ -n "$bad" ]; then
		fail vscale-sbm-memmap-unplug "$bad (last_error $(bbm_attr last_error), fake_offline_failures $(bbm_attr fake_offline_failures), blocks: $(cat /sys/kernel/debug/virtio_mem_guestmem/*/blocks 2>/dev/null | tr '\n' ' ' | cut -c1-300))"
		return 1
	fi
	if [ -n "$hold" ]; then
		fail vscale-sbm-memmap-unplug "$hold"
	elif [ "$(kv size)" != 0 ] || [ "$(bbm_attr memmap_size)" != 0 ] || [ "$(bbm_attr offline_size)" != 0 ] ||
	     [ "$d" -gt $tol ] || [ "$d" -lt -$tol ]; then
		fail vscale-sbm-memmap-unplug "at 0: QMP size $(kv size), memmap_size $(bbm_attr memmap_size), offline_size $(bbm_attr offline_size), MemTotal $d kB off the start"
	else
		pass vscale-sbm-memmap-unplug "back to 0 in ${secs}s with a $HOLD_MB MiB buffer ($in0 of its pages in vm0's memory) intact: QMP size 0 (the memmap sub-blocks unplugged), memmap_size 0, MemTotal back within $tol kB"
	fi
}

# vm0 with memmap_on_memory=N (the scale steps need it so); with the
# check when SBM_BLOCKS is set
scn_sbm_memmap_off() {
	local plug=$((SBM_BLOCKS * MB_BYTES)) d bad
	SYSB=$SYSD
	echo N >"$MEMMAP_PARAM"
	if ! bbm_rebind; then
		fail vscale-sbm-memmap-off "rebinding vm0 with memmap_on_memory=N failed"
		return
	fi
	[ "${SBM_BLOCKS:-0}" != 0 ] || return 0
	bad=
	if ! bbm_measure "$plug" vscale-sbm-memmap-off; then
		bad="plugging $plug on vm0: $CTL_REPLY"
	else
		d=$((D_MT_KB - plug / 1024))
		if [ "$MOM" != 0 ]; then
			bad="memmap_on_memory $MOM with the parameter N"
		elif [ "$d" -gt 1024 ] || [ "$d" -lt -1024 ]; then
			bad="MemTotal grew by $D_MT_KB kB, want $((plug / 1024)) kB"
		elif fu_judged && [ "$D_FU_KB" -lt $((SHADOW_KB + MM / 2048)) ]; then
			bad="free unmovable memory fell by only $D_FU_KB kB (shadow $SHADOW_KB kB) for a memmap of $((MM >> 10)) kB in boot memory"
		fi
	fi
	# back to 0 whatever the verdict: the scale steps' baseline (and the
	# ballast's place in boot memory) need vm0 empty
	bbm_unplug || bad="${bad:+$bad; }$BBM_WHY"
	if [ -n "$bad" ]; then
		fail vscale-sbm-memmap-off "$bad"
	else
		pass vscale-sbm-memmap-off "memmap_on_memory=N: memmap $((MM >> 10)) KiB from boot memory (free unmovable memory lost $D_FU_KB kB, shadow $SHADOW_KB kB$(fu_why)), MemTotal +$((D_MT_KB >> 10)) MiB; back to 0"
	fi
}

scn_intree() {
	local t0
	t0=$(now)
	ctl SET "$REQ"
	ctl WAIT "$REQ" "$TO" 20
	pass vscale-intree "in-tree driver: QMP size $(kv size) of $REQ after $(since "$t0")s ($CTL_REPLY); MemTotal $(memtotal_kb) kB"
}

echo "SCENARIO vmem-scale: kernel $(uname -r), virtio-mem $VMEMSET, request $REQ, ballast ${BALLAST_MB}M, guard ${GUARD:-1}, cmdline $(cat /proc/cmdline)"
vmem_ctl_start vscale-host
bound=$(ls -d /sys/bus/virtio/drivers/virtio_mem/virtio* 2>/dev/null | head -n1)
if [ -z "$bound" ]; then
	fail vscale-probe "no device bound to virtio_mem ($VMEMSET; insmod failures: $(tr '\n' ' ' </tmp/modfail))"
	finish
	exit 1
fi
pass vscale-probe "${bound##*/} bound ($VMEMSET), region $ADDR+$MAXSZ, memory block $MB_BYTES, boot MemTotal $(memtotal_kb) kB"
SYSD=$(vmem_sysfs_at "$ADDR")
[ "$GUARD" = 0 ] && echo N >/sys/module/virtio_mem/parameters/plug_reserve
if [ -n "$BBM_GROW" ] || { [ "$VMEMSET" = ours ] && [ "${BBM_PLUG:-0}" != 0 ]; }; then
	ctl DEV vm1 && ctl HELLO
	BBM_ADDR=$(kv addr)
	BBM_BLOCK=$(kv block)
	if [ -n "$BBM_GROW" ]; then
		scn_bbm_grow
		finish
		exit 0
	fi
	t_mm=$(now)
	scn_memmap && scn_memmap_off
	echo "STAT vscale-memmap-total secs=$(since "$t_mm")"
	ctl DEV vm0
fi
if [ "$VMEMSET" = ours ]; then
	t_mm=$(now)
	[ "${SBM_BLOCKS:-0}" = 0 ] || scn_sbm_memmap
	[ "$SBM_STOP_MEMMAP" = 1 ] || scn_sbm_memmap_off
	echo "STAT vscale-sbm-memmap-total secs=$(since "$t_mm")"
fi
BASE_KB=$(memtotal_kb)
dd if=/dev/zero of=/ballast bs=1M count="$BALLAST_MB" 2>/dev/null
progress &
PROG=$!
if [ "$VMEMSET" = ours ]; then
	scn_stop
	kill "$PROG"
	scn_warn_once
	scn_alive
	scn_resume
	scn_lower
else
	scn_intree
	kill "$PROG"
fi
echo "===VMEM-SYSFS-BEGIN==="
for f in "$SYSD"/*; do
	[ -f "$f" ] && echo "${f##*/}: $(tr '\n' ',' <"$f")"
done
echo "===VMEM-SYSFS-END==="
finish
