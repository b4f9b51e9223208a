#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest-side virtio-mem scenarios (run as /scenario by the initramfs /init,
# which has already started the onlining listener and loaded virtio_mem).
# The host half is tests/vmem-scenarios.sh with scripts/vmem-host.py on the
# second serial port: the guest asks for sizes (SET/WAIT), the host sets
# requested-size over QMP and answers when query-memory-devices shows the
# size, with QEMU's trace counts.  One RESULT line per check (common.sh).
#
# Parameters (kernel command line, set by the host):
#   vmem_sizes=MID,BIG,SMALL   bytes: grow 0 -> MID -> BIG, shrink -> SMALL -> 0
#   vmem_hold_mb=N             checksummed buffer held across an unplug
#   vmem_wl_mb=N               tmpfs page-cache workload during an unplug
#   vmem_to=SEC                bound for one resize to reach its size
#   vmem_conv_to=SEC           bound for the unplug to converge after the
#                              workload stopped
#   vmem_fault_cases=a,b,...   (debugging, and showing that a check fails on
#                              a build without its fix) only these fault
#                              cases, and nothing before them; names as in
#                              vmem-fault-NAME, e.g. short,nack-storm
#   vmem_stall_min=S             (default 20) see below
#   vmem_faults=0              no fault cases at the end (default: run them)
# With our driver a wait also ends early when the size has not moved for
# max(S, 3 x retry_delay_ms) (stall_bound): the driver had three retries
# without progress.  The in-tree driver retries after 50 s, doubling up to
# 300 s, so it gets the full bound.
. /guest/common.sh

SIZES=$(cmdline_arg vmem_sizes)
MID=${SIZES%%,*}
BIG=${SIZES#*,}
BIG=${BIG%%,*}
SMALL=${SIZES##*,}
HOLD_MB=$(cmdline_arg vmem_hold_mb)
WL_MB=$(cmdline_arg vmem_wl_mb)
TO=$(cmdline_arg vmem_to)
# seconds without progress that count as a stalled resize (at least; 3
# retry delays if longer): 20 on stock kernels, 60 on the KASAN kernels,
# where migrating a held 128 MiB block took 20-30 s on a loaded host
STALL_MIN=$(cmdline_arg vmem_stall_min)
STALL_MIN=${STALL_MIN:-20}
CONV_TO=$(cmdline_arg vmem_conv_to)
VMEMSET=$(cat /etc/vmemset)
MEMSYS=/sys/devices/system/memory
MB_BYTES=$((0x$(cat $MEMSYS/block_size_bytes)))
CUR=0
# trace counts after the previous step (vmem-host.py COUNTS)
P_PLUG=0 P_UNPLUG=0 P_UALL=0 P_ERROR=0
: >/tmp/sysfs-mismatch
: >/tmp/sizes-requested

# --- probe -----------------------------------------------------------------
scn_probe() {
	local bound
	bound=$(ls -d /sys/bus/virtio/drivers/virtio_mem/virtio* 2>/dev/null | head -n1)
	if [ -z "$bound" ]; then
		fail vmem-probe "no device bound to virtio_mem (set $VMEMSET, insmod failures: $(tr '\n' ' ' </tmp/modfail))"
		return 1
	fi
	DEVNAME=${bound##*/}
	pass vmem-probe "$DEVNAME bound to virtio_mem ($VMEMSET), memory block $MB_BYTES bytes"
}

# blocks_by_zone: "online_movable=N online_kernel=N offline=N" for the
# Linux memory blocks inside the device region
blocks_by_zone() {
	local b n st z mv=0 kn=0 off=0 first last
	first=$((ADDR / MB_BYTES))
	last=$(((ADDR + MAXSZ) / MB_BYTES))
	for b in $MEMSYS/memory*; do
		n=${b##*memory}
		[ "$n" -ge "$first" ] && [ "$n" -lt "$last" ] || continue
		st=$(cat "$b/state")
		if [ "$st" = offline ]; then
			off=$((off + 1))
			continue
		fi
		z=$(cat "$b/valid_zones" 2>/dev/null)
		case "$z" in
		Movable*) mv=$((mv + 1)) ;;
		*) kn=$((kn + 1)) ;;
		esac
	done
	echo "movable=$mv kernel=$kn offline=$off"
}

# wait_memtotal BYTES: wait (up to TO) until MemTotal is BASE + BYTES
# within TOL_KB; sets MT_DELTA (kB)
memtotal_ok() {
	MT_DELTA=$(($(memtotal_kb) - BASE_KB))
	local d=$((MT_DELTA - $1 / 1024))
	[ "$d" -le "$TOL_KB" ] && [ "$d" -ge "-$TOL_KB" ]
}
wait_memtotal() {
	wait_for $((TO * 10)) memtotal_ok "$1"
}

# sysfs_vs_qmp STEP: our driver's plugged/requested size against the host's
sysfs_vs_qmp() {
	local d s r
	d=$(vmem_sysfs_dir)
	[ -n "$d" ] || return 0
	s=$(cat "$d/plugged_size" 2>/dev/null)
	r=$(cat "$d/requested_size" 2>/dev/null)
	[ "$s" = "$(kv size)" ] || echo "$1: plugged_size $s, QMP size $(kv size)" >>/tmp/sysfs-mismatch
	[ "$r" = "$(kv req)" ] || echo "$1: requested_size $r, QMP requested-size $(kv req)" >>/tmp/sysfs-mismatch
}

# step_counts: trace deltas since the last call into D_PLUG D_UNPLUG D_UALL
# D_ERROR (and the totals into P_*)
step_counts() {
	local p u a e
	p=$(kv plug) u=$(kv unplug) a=$(kv unplug_all) e=$(kv error)
	D_PLUG=$((p - P_PLUG)) D_UNPLUG=$((u - P_UNPLUG)) D_UALL=$((a - P_UALL)) D_ERROR=$((e - P_ERROR))
	P_PLUG=$p P_UNPLUG=$u P_UALL=$a P_ERROR=$e
}

# check_requests NAME FROM TO: bounds on the host's request counts of a
# resize FROM -> TO bytes.  Every PLUG/UNPLUG request names at least one
# device block and the device ACKs it (QEMU only NACKs beyond
# requested-size, which does not move here), so a resize by N blocks takes
# 1..N requests of its direction and none of the other; UNPLUG_ALL counts
# as an unplug request.  No ERROR response (a malformed request) at all.
check_requests() {
	local name=$1 from=$2 to=$3 n
	if [ "$to" -ge "$from" ]; then
		n=$(((to - from) / BLOCK))
		if [ "$D_PLUG" -ge 1 ] && [ "$D_PLUG" -le "$n" ] &&
		   [ $((D_UNPLUG + D_UALL)) -eq 0 ] && [ "$D_ERROR" -eq 0 ]; then
			pass "$name-requests" "$D_PLUG plug requests for $n blocks (bound 1..$n), no unplug, no ERROR response"
		else
			fail "$name-requests" "plug $D_PLUG (bound 1..$n), unplug $D_UNPLUG, unplug_all $D_UALL (want 0), ERROR responses $D_ERROR"
		fi
	else
		n=$(((from - to) / BLOCK))
		if [ $((D_UNPLUG + D_UALL)) -ge 1 ] && [ $((D_UNPLUG + D_UALL)) -le "$n" ] &&
		   [ "$D_PLUG" -eq 0 ] && [ "$D_ERROR" -eq 0 ]; then
			pass "$name-requests" "$D_UNPLUG unplug + $D_UALL unplug_all requests for $n blocks (bound 1..$n), no plug, no ERROR response"
		else
			fail "$name-requests" "unplug $D_UNPLUG + unplug_all $D_UALL (bound 1..$n), plug $D_PLUG (want 0), ERROR responses $D_ERROR"
		fi
	fi
}

# stall_bound: seconds without progress after which a wait gives up (0 = never)
stall_bound() {
	local d r
	d=$(vmem_sysfs_dir)
	r=$(cat "$d/retry_delay_ms" 2>/dev/null)
	case "$r" in
	''|*[!0-9]*) echo 0; return ;;
	esac
	r=$((3 * r / 1000 + 1))
	[ "$r" -ge "$STALL_MIN" ] || r=$STALL_MIN
	echo "$r"
}

# resize NAME BYTES [TIMEOUT]: ask the host for BYTES and wait until QMP
# shows it; 0 when it got there.  Sets R_SECS (seconds since the SET).
resize() {
	local name=$1 want=$2 to=${3:-$TO}
	R_SECS=
	echo "$want" >>/tmp/sizes-requested
	echo "PHASE $name-begin"
	if ! ctl SET "$want"; then
		fail "$name" "host refused SET $want: $CTL_REPLY"
		return 1
	fi
	ctl WAIT "$want" "$to" "$(stall_bound)"
	echo "PHASE $name-end"
	R_SECS=$(kv set)
	step_counts
	sysfs_vs_qmp "$name"
	case "$CTL_REPLY" in
	DONE*) return 0 ;;
	esac
	fail "$name" "QMP size $(kv size) after $(kv wait)s, requested $want (device memory blocks: $(blocks_by_zone); $CTL_REPLY)"
	return 1
}

# scn_resize NAME BYTES: resize + MemTotal + request bounds
scn_resize() {
	local name=$1 want=$2 from=$CUR
	if ! resize "$name" "$want"; then
		CUR=$(kv size)
		[ -n "$CUR" ] || CUR=$from
		# the requests still have to fit what did move
		[ "$CUR" = "$from" ] || check_requests "$name" "$from" "$CUR"
		[ "$CUR" != "$from" ] || fail "$name-requests" "the size did not move: $CTL_REPLY"
		return 1
	fi
	CUR=$want
	if wait_memtotal "$want"; then
		pass "$name" "QMP size $want after ${R_SECS}s; MemTotal +$MT_DELTA kB (expected $((want / 1024)) ±$TOL_KB kB)"
	else
		fail "$name" "QMP size $want after ${R_SECS}s, but MemTotal +$MT_DELTA kB after ${TO}s more (expected $((want / 1024)) ±$TOL_KB kB; blocks $(blocks_by_zone))"
	fi
	check_requests "$name" "$from" "$want"
}

# --- onlining --------------------------------------------------------------
# The project's policy (udev rule, emulated by /guest/memhotplug.sh): every
# hot-added block ends up online in ZONE_MOVABLE, the only zone an unplug
# can reliably empty.  A kernel that onlines by itself first (Debian 6.12:
# MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO, to ZONE_NORMAL) never shows the rule
# an offline block: that fails here, with the zones in the detail.
scn_online() {
	local z on fl
	z=$(blocks_by_zone)
	on=$(grep -c '^online ' /tmp/memhotplug.log 2>/dev/null)
	fl=$(grep -c '^fail ' /tmp/memhotplug.log 2>/dev/null)
	case "$z" in
	*" kernel=0 offline=0")
		if [ "${fl:-0}" -eq 0 ]; then
			pass online-movable "device blocks $z; onlined by the rule helper: ${on:-0}"
		else
			fail online-movable "device blocks $z; the rule helper failed on $fl blocks"
		fi ;;
	*) fail online-movable "device blocks $z (want all movable); onlined by the rule helper: ${on:-0}, failed: ${fl:-0}; kernel auto-online: $(cat $MEMSYS/auto_online_blocks 2>/dev/null)" ;;
	esac
}

# --- util-linux on the device's memory ------------------------------------
# lsmem_region: "online=N offline=N movable=N", the memory blocks of the
# device region as util-linux's lsmem lists them (a line per range of
# blocks with the same state and zone)
lsmem_region() {
	lsmem -r -n -b -o BLOCK,STATE,ZONES --split=STATE,ZONES 2>/dev/null |
		awk -v a=$((ADDR / MB_BYTES)) -v e=$(((ADDR + MAXSZ) / MB_BYTES)) '
		{
			n = split($1, b, "-")
			lo = b[1] + 0
			hi = (n > 1 ? b[2] : b[1]) + 0
			for (i = lo; i <= hi; i++) {
				if (i < a || i >= e)
					continue
				st[$2]++
				if ($2 == "online" && $3 == "Movable")
					mv++
			}
		}
		END { printf "online=%d offline=%d movable=%d\n", st["online"], st["offline"], mv }'
}

# lsmem_is WANT: lsmem_region is WANT (sets LSM)
lsmem_is() {
	LSM=$(lsmem_region)
	[ "$LSM" = "$1" ]
}

# scn_lsmem: util-linux's lsmem and chmem (Debian 12's, from the host) on
# the plugged device memory: lsmem lists every plugged memory block of
# the region online in zone Movable, as sysfs has it; chmem -d takes the
# last one offline (lsmem: offline; the device keeps it plugged: QMP size
# unchanged), chmem -e -z Movable brings it back (online, Movable)
scn_lsmem() {
	local n blk all one out
	n=$((CUR / MB_BYTES))
	all="online=$n offline=0 movable=$n"
	if lsmem_is "$all"; then
		pass vmem-lsmem "lsmem: $LSM memory blocks in the device region, $((CUR >> 20)) MiB plugged (sysfs: $(blocks_by_zone))"
	else
		fail vmem-lsmem "lsmem: ${LSM:-nothing} in the device region, want $all (sysfs: $(blocks_by_zone); lsmem: $(lsmem -r -n -b -o RANGE,STATE,ZONES 2>&1 | tr '\n' ';' | cut -c1-160))"
	fi
	if [ "$n" -eq 0 ]; then
		fail vmem-chmem "nothing plugged to take offline"
		return
	fi
	blk=$((ADDR / MB_BYTES + n - 1))
	one="online=$((n - 1)) offline=1 movable=$((n - 1))"
	if ! out=$(chmem -d -b "$blk" 2>&1) || ! wait_for 100 lsmem_is "$one"; then
		fail vmem-chmem "chmem -d -b $blk: ${out:-ok}; lsmem then: $LSM, want $one"
		return
	fi
	ctl QUERY
	if [ "$(kv size)" != "$CUR" ]; then
		fail vmem-chmem "block $blk offline, but QMP size $(kv size), was $CUR: offlining must not unplug"
	elif ! out=$(chmem -e -z Movable -b "$blk" 2>&1) || ! wait_for 100 lsmem_is "$all"; then
		fail vmem-chmem "block $blk offline ($one, QMP size unchanged); chmem -e -z Movable -b $blk: ${out:-ok}; lsmem then: $LSM, want $all"
	else
		pass vmem-chmem "chmem -d -b $blk: lsmem $one, QMP size unchanged; chmem -e -z Movable: lsmem $LSM again"
	fi
}

# --- a checksummed buffer survives an unplug -------------------------------
scn_hold() {
	local pid n out in0 ok= bad
	if ! resize hold-grow "$MID"; then
		fail unplug-hold "could not grow to $MID first"
		return
	fi
	CUR=$MID
	if ! vmemhold_start /tmp/hold.out "$HOLD_MB"; then
		kill "$HOLD_PID" 2>/dev/null
		fail unplug-hold "vmemhold did not start: $(cat /tmp/hold.out)"
		return
	fi
	pid=$HOLD_PID
	in0=$(kv in_region "$HOLD_READY")
	if resize hold-unplug 0; then
		ok=1
		pass hold-unplug "$((MID >> 20)) MiB -> 0 with a $HOLD_MB MiB buffer in use: ${R_SECS}s"
	fi
	CUR=$(kv size)
	vmemhold_stop "$pid"
	bad=$(vmemhold_verdict /tmp/hold.out "$HOLD_MB" "$in0")
	out=$(grep verify /tmp/hold.out)
	if [ -n "$bad" ]; then
		fail unplug-hold "$bad"
	elif [ "$(kv in_region "$out")" -gt $((CUR / 4096)) ]; then
		fail unplug-hold "device at $CUR bytes but $(kv in_region "$out") buffer pages still in the device region: $out"
	else
		# a stalled unplug is hold-unplug's failure, not this check's
		pass unplug-hold "$HOLD_MB MiB buffer, $in0 of its pages in device memory, unplug to 0 $([ -n "$ok" ] && echo "done in ${R_SECS}s" || echo "stopped at $CUR bytes"), checksum intact, $(kv in_region "$out") pages left in the region"
	fi
}

# --- unplug during a tmpfs page-cache workload -----------------------------
# The workload writes its three files once, then keeps reading them: a
# constant WL_MB working set of (unswappable) tmpfs pages the unplug has to
# migrate around.  The driver must stop short of OOM (its free-memory
# reserve) while the files exist and converge once they are deleted.
wl_loop() {
	local i=0 per=$((WL_MB / 3))
	while [ ! -e /tmp/wl.stop ]; do
		if [ "$i" -lt 3 ]; then
			dd if=/dev/zero of=/mnt/pc/f$i bs=1M count=$per 2>/dev/null
		else
			cat /mnt/pc/f* >/dev/null
		fi
		i=$((i + 1))
		echo "$i" >/tmp/wl.rounds
	done
}

wl_filled() {
	local r
	read -r r </tmp/wl.rounds 2>/dev/null || return 1
	[ "$r" -ge 3 ]
}

scn_pagecache() {
	local pid mid_size t_stop conv rounds
	if ! resize pc-grow "$MID"; then
		fail unplug-pagecache "could not grow to $MID first"
		return
	fi
	CUR=$MID
	mkdir -p /mnt/pc
	mount -t tmpfs -o size=$((WL_MB + 16))m tmpfs /mnt/pc
	rm -f /tmp/wl.stop /tmp/wl.rounds
	wl_loop &
	pid=$!
	# all three files written before the unplug
	wait_for 1200 wl_filled
	echo "STAT pc-before-unplug $(grep -E '^(MemFree|Shmem):' /proc/meminfo | tr -s ' \n' '  ')"
	echo "PHASE pc-unplug-begin"
	ctl SET 0
	sleep 10
	ctl QUERY
	mid_size=$(kv size)
	ctl MARK wl-stop
	touch /tmp/wl.stop
	wait "$pid"
	rounds=$(cat /tmp/wl.rounds)
	rm -f /mnt/pc/f*
	umount /mnt/pc
	ctl WAIT 0 "$CONV_TO" "$(stall_bound)"
	echo "PHASE pc-unplug-end"
	step_counts
	sysfs_vs_qmp pc-unplug
	conv=$(kv mark)
	CUR=$(kv size)
	case "$CTL_REPLY" in
	DONE*)
		pass unplug-pagecache "device at $((mid_size >> 20)) MiB after 10 s of unplugging under a $WL_MB MiB tmpfs workload ($rounds rounds); converged to 0 ${conv}s after it was told to stop ($(kv set)s since SET)"
		echo "CONVERGE pagecache $conv $mid_size" ;;
	*)
		fail unplug-pagecache "device at $((mid_size >> 20)) MiB during the workload, $(( $(kv size) >> 20)) MiB ${conv}s after it was told to stop (device memory blocks: $(blocks_by_zone); $CTL_REPLY)" ;;
	esac
	check_requests pc-unplug "$MID" 0
}

# --- power management (our driver) -----------------------------------------
# With memory plugged: hibernation is refused by the PM notifier; an s2idle
# cycle (pm_test=devices: freeze, then restore) keeps the device working;
# S3 is refused unless PERSISTENT_SUSPEND was negotiated (then allowed),
# and where it was, a real S3 (pm_test=none) with a checksummed buffer in
# device memory: scn_pm_s3_resume.
# Suspend needs CONFIG_SUSPEND: the stock kernels have it, the test
# kernels (hibernation only) do not, so there only hibernation is checked.
pm_try() { # pm_try STATE: 0 if the kernel accepted the transition
	echo "$1" >/sys/power/state 2>/dev/null
}
# new_dmesg: kernel messages since the last pm_mark (the ring buffer is
# not cleared: scn_dmesg_sizes and the final dump need all of it)
pm_mark() { PM_N=$(dmesg | wc -l); }
new_dmesg() { dmesg | tail -n +$((PM_N + 1)); }

scn_pm() {
	local feat ps d
	if [ "$VMEMSET" != ours ]; then
		echo "SKIP pm: driver-specific PM policy, checked with ours only"
		return 0
	fi
	# the host found no CONFIG_PM_DEBUG (Debian's cloud kernels): without
	# pm_test every cycle here would be a real one
	if [ "$(cmdline_arg pm_test)" = 0 ]; then
		echo "SKIP vmem-pm: kernel without CONFIG_PM_DEBUG, no pm_test=devices cycle (hibernate, s2idle, S3 not checked; not counted)"
		return 0
	fi
	if [ ! -w /sys/power/pm_test ]; then
		fail vmem-pm "no /sys/power/pm_test on this kernel (CONFIG_PM_DEBUG)"
		return 1
	fi
	resize pm-grow "$SMALL" || return 1
	echo devices >/sys/power/pm_test
	pm_mark
	if pm_try disk; then
		fail vmem-pm-hibernate "hibernation was allowed with $SMALL bytes plugged"
	elif new_dmesg | grep -q 'virtio_mem .*hibernation is not supported'; then
		pass vmem-pm-hibernate "hibernation refused by the driver's PM notifier"
	else
		fail vmem-pm-hibernate "hibernation failed without the driver's message: $(new_dmesg | tail -n 3 | tr '\n' ' ')"
	fi
	# the test kernels have no CONFIG_SUSPEND: no freeze/mem states there
	if ! grep -qw freeze /sys/power/state; then
		echo "SKIP pm-s2idle: no suspend support in this kernel ($(cat /sys/power/state))"
	elif pm_mark && pm_try freeze; then
		pass vmem-pm-s2idle "s2idle freeze/restore cycle accepted with memory plugged"
	else
		fail vmem-pm-s2idle "s2idle refused: $(new_dmesg | tail -n 3 | tr '\n' ' ')"
	fi
	d=/sys/bus/virtio/devices/$DEVNAME
	feat=$(cat "$d/features" 2>/dev/null)
	ps=$(echo "$feat" | cut -c3)
	if grep -qw mem /sys/power/state && grep -q deep /sys/power/mem_sleep 2>/dev/null; then
		echo deep >/sys/power/mem_sleep
		pm_mark
		if pm_try mem; then
			[ "$ps" = 1 ] && pass vmem-pm-s3 "S3 allowed: PERSISTENT_SUSPEND negotiated" ||
				fail vmem-pm-s3 "S3 allowed with memory plugged and no PERSISTENT_SUSPEND (features $feat)"
		elif [ "$ps" != 1 ] && new_dmesg | grep -q 'needs VIRTIO_MEM_F_PERSISTENT_SUSPEND'; then
			pass vmem-pm-s3 "S3 refused with memory plugged: the device does not offer PERSISTENT_SUSPEND"
		else
			fail vmem-pm-s3 "S3 result unexpected (PERSISTENT_SUSPEND=$ps): $(new_dmesg | tail -n 3 | tr '\n' ' ')"
		fi
		scn_pm_s3_resume "$ps" "$feat"
	else
		echo "SKIP pm-s3: no deep sleep on this kernel"
	fi
	echo none >/sys/power/pm_test
	# the device still answers after the restore
	if resize pm-after 0; then
		pass vmem-pm-after "unplug to 0 after the PM cycles in ${R_SECS}s"
	fi
	CUR=0
}

# A real S3 with memory plugged (vmem-pm-s3-resume): the guest really
# suspends (pm_test=none, mem_sleep deep: QEMU enters S3, QMP event
# SUSPEND), the host half (vmem-host.py S3ARM) keeps it there S3_HOLD s and
# wakes it with system_wakeup; QEMU's wakeup is a machine reset, which on
# a device without PERSISTENT_SUSPEND unplugs all memory (QEMU < 9.2).
# Checked after the resume: the kernel came back from S3, a vmemhold
# buffer filled before the suspend (pages in the device region, by
# pagemap) has its checksum, plugged_size and QMP's size are what they
# were, and the device still resizes (by 2 memory blocks).  Without
# PERSISTENT_SUSPEND only a SKIP (not counted): vmem-pm-s3 checks the
# refusal.  vmem_s3_force=1 (debugging: showing that this check fails
# where the memory is lost, with a driver build that lets S3 through
# without the feature) suspends anyway.
S3_HOLD=2
# After QEMU's wakeup reset the ICH9 LPC's PMBASE (config 0x40) and
# ACPI_CTRL (0x44) read back as their reset values (QEMU 10.0 with its
# SeaBIOS 1.16.3, seen 2026-12-06; SeaBIOS' S3 resume path is meant to set
# them again, pci_resume()): the ACPI PM I/O block (PM1 control, GPEs,
# SMI_EN at 0x600) reads 0xff and the guest's later ACPI power-off goes
# nowhere (QEMU ran on until its timeout).  The kernel only
# restores a PCI device's standard header, so the scenario writes the
# bytes it read before the suspend back (and says so in the result).
# SCI_EN (PM1_CNT bit 0), which the kernel set on its way back while the
# block was off, stays clear: no ACPI events (GPEs, power button) for the
# rest of the boot, which nothing after this step needs.
LPC=/sys/bus/pci/devices/0000:00:1f.0
# lpc_pm: config bytes 0x40-0x44 of the ICH9 LPC ("01 06 00 00 80"), empty
# on another machine
lpc_pm() {
	[ "$(cat $LPC/device 2>/dev/null)" = 0x2918 ] || return 0
	od -An -tx1 -j64 -N5 $LPC/config | tr -s ' \n' '  ' | sed 's/^ //; s/ $//'
}
# pm1_cnt: the PM1 control register (2 bytes at PMBASE + 4 = 0x604 on
# QEMU's q35, as hex bytes: "0100" is SCI_EN)
pm1_cnt() {
	dd if=/dev/port bs=1 skip=$((0x604)) count=2 2>/dev/null | od -An -tx1 | tr -d ' \n'
}
# lpc_pm_restore BYTES: write the bytes of lpc_pm that differ back
lpc_pm_restore() {
	local off=64 b now
	now=$(lpc_pm)
	for b in $1; do
		[ "$b" = "$(echo "$now" | cut -d' ' -f$((off - 63)))" ] ||
			printf "\\$(printf %o "0x$b")" | dd of=$LPC/config bs=1 seek=$off conv=notrunc 2>/dev/null
		off=$((off + 1))
	done
}

scn_pm_s3_resume() {
	local ps=$1 feat=$2 d pid out in0 sz0 q0 t0 t1 err s3 want bad= vdetail lpc0 lpc1 pm0 fw=
	if [ "$ps" != 1 ] && [ "$(cmdline_arg vmem_s3_force)" != 1 ]; then
		echo "SKIP vmem-pm-s3-resume: PERSISTENT_SUSPEND not negotiated (features $feat): no real S3, QEMU's wakeup reset would unplug the memory; the refusal is vmem-pm-s3 (not counted)"
		return
	fi
	d=$(vmem_sysfs_dir)
	if ! vmemhold_start /tmp/s3hold.out "$HOLD_MB"; then
		kill "$HOLD_PID" 2>/dev/null
		fail vmem-pm-s3-resume "vmemhold did not start: $(tr '\n' ' ' </tmp/s3hold.out)"
		return
	fi
	pid=$HOLD_PID
	in0=$(kv in_region "$HOLD_READY")
	sz0=$(cat "$d/plugged_size" 2>/dev/null)
	ctl QUERY
	q0=$(kv size)
	if ! ctl S3ARM 120 "$S3_HOLD"; then
		kill "$pid" 2>/dev/null
		fail vmem-pm-s3-resume "host half not armed for the wakeup: $CTL_REPLY"
		return
	fi
	echo none >/sys/power/pm_test
	echo deep >/sys/power/mem_sleep
	lpc0=$(lpc_pm)
	pm0=$(pm1_cnt)
	pm_mark
	echo "S3CYCLE before plugged_size=$sz0 qmp_size=$q0 buffer_pages_in_device=$in0"
	echo "PHASE pm-s3-begin"
	t0=$(up_ms)
	err=
	echo mem 2>/tmp/s3.err >/sys/power/state || err="echo mem >/sys/power/state failed: $(tr '\n' ' ' </tmp/s3.err)"
	t1=$(up_ms)
	echo "PHASE pm-s3-end"
	lpc1=$(lpc_pm)
	if [ "$lpc1" != "$lpc0" ]; then
		lpc_pm_restore "$lpc0"
		fw="; LPC PMBASE/ACPI_CTRL at reset values after the wakeup ($lpc1, before: $lpc0), restored: $(lpc_pm), PM1_CNT $(pm1_cnt) (before: $pm0)"
		[ "$(lpc_pm)" = "$lpc0" ] && [ "$(pm1_cnt)" != ffff ] ||
			bad="$bad ACPI PM I/O still off after restoring the LPC config (the guest could not power off)$fw;"
	fi
	echo "S3CYCLE lpc before=$lpc0 after=$lpc1 now=$(lpc_pm)"
	ctl S3REPORT
	s3=$CTL_REPLY
	echo "S3CYCLE $s3"
	[ -z "$err" ] || bad="$bad $err ($(new_dmesg | grep -E 'virtio_mem|PM:' | tail -n 3 | tr '\n' ' '));"
	[ "$(kv suspended "$s3")" = 1 ] || bad="$bad QEMU never was in S3 ($s3);"
	[ "$(kv woken "$s3")" = 1 ] || bad="$bad no WAKEUP after system_wakeup ($s3);"
	new_dmesg | grep -q 'ACPI: PM: Waking up from system sleep state S3' ||
		bad="$bad no 'Waking up from system sleep state S3' in dmesg;"
	# the buffer first: nothing below may touch it
	vdetail="$HOLD_MB MiB buffer, $in0 of its pages in device memory"
	vmemhold_stop "$pid"
	err=$(vmemhold_verdict /tmp/s3hold.out "$HOLD_MB" "$in0")
	[ -z "$err" ] || bad="$bad across the S3 cycle: $err;"
	out=$(grep verify /tmp/s3hold.out)
	[ "$(cat "$d/plugged_size" 2>/dev/null)" = "$sz0" ] ||
		bad="$bad plugged_size $(cat "$d/plugged_size" 2>/dev/null) after the resume, $sz0 before;"
	ctl QUERY
	[ "$(kv size)" = "$q0" ] || bad="$bad QMP size $(kv size) after the resume, $q0 before;"
	want=$((sz0 + 2 * MB_BYTES))
	echo "$want" >>/tmp/sizes-requested
	echo "PHASE pm-s3-resize-begin"
	if ! ctl SET "$want" || ! ctl WAIT "$want" "$TO" "$(stall_bound)"; then
		bad="$bad resize to $want after the resume: $CTL_REPLY;"
	fi
	echo "PHASE pm-s3-resize-end"
	step_counts
	sysfs_vs_qmp pm-s3-resize
	CUR=$(kv size)
	[ -n "$bad" ] || wait_memtotal "$want" ||
		bad="$bad QMP size $want after the resume's resize, but MemTotal +$MT_DELTA kB (expected $((want / 1024)) ±$TOL_KB kB);"
	bad=${bad# }
	verdict vmem-pm-s3-resume "${bad%;}" "real S3 (deep, pm_test none): QEMU suspended $(kv to_suspend "$s3")s after the host was armed, woken by system_wakeup after $(kv asleep "$s3")s in S3 (WAKEUP $(kv wake "$s3")s later), the guest's write returned after $((t1 - t0)) ms; $vdetail, checksum intact ($(kv sum "$out")); plugged $sz0 bytes before and after (sysfs and QMP); resize to $want after the resume in $(kv set)s$fw"
}

# --- idle after convergence ------------------------------------------------
scn_idle() {
	ctl IDLE 5
	if [ "$(kv size0)" != "$1" ]; then
		fail idle-quiet "not converged to $1 (size $(kv size0)): nothing to check"
	elif [ "$(kv size0)" = "$(kv size1)" ] && [ "$(kv plug)" = 0 ] && [ "$(kv unplug)" = 0 ] &&
	   [ "$(kv unplug_all)" = 0 ] && [ "$(kv state)" = 0 ]; then
		pass idle-quiet "no request in 5 s once converged (size $(kv size1))"
	else
		fail idle-quiet "while idle for 5 s: $CTL_REPLY"
	fi
}

# --- dmesg lines host test suites parse (both drivers) ---------------------
scn_dmesg_sizes() {
	local miss= s h
	dmesg >/tmp/dmesg.now
	grep -q 'plugged size: 0x' /tmp/dmesg.now || miss="$miss 'plugged size: 0x'"
	for s in $(sort -u /tmp/sizes-requested); do
		h=$(printf '0x%x' "$s")
		grep -q "requested size: $h\$" /tmp/dmesg.now || miss="$miss 'requested size: $h'"
	done
	if [ -z "$miss" ]; then
		pass dmesg-size-lines "'plugged size: 0x…' and 'requested size: 0x…' for every requested size ($(grep -c 'requested size: 0x' /tmp/dmesg.now) lines)"
	else
		fail dmesg-size-lines "missing:$miss"
	fi
}

# --- our driver's sysfs ----------------------------------------------------
sysattr() { cat "$SYSD/$1" 2>/dev/null; }
VMEM_COUNTERS="plug_requests unplug_requests unplug_all_requests state_requests
	nack_replies busy_replies error_replies invalid_replies state_adopted
	request_timeouts fake_offline_failures add_failures remove_failures
	retries low_memory"

scn_sysfs() {
	local bad= mode bs ur f k v pbo sb
	if [ "$VMEMSET" != ours ]; then
		echo "SKIP sysfs-*: $VMEMSET driver has no sysfs attributes (not counted)"
		return
	fi
	SYSD=$(vmem_sysfs_dir)
	if [ -z "$SYSD" ]; then
		fail sysfs-attrs "no /sys/bus/virtio/devices/*/virtio_mem directory"
		fail sysfs-qmp "no attributes"
		fail sysfs-stats "no attributes"
		return
	fi
	for f in mode device_block_size block_size memory_block_size region_start \
		region_size plugged_size requested_size usable_region_size \
		last_error broken retry_delay_ms $VMEM_COUNTERS; do
		[ -r "$SYSD/$f" ] || bad="$bad missing:$f"
	done
	# one value per file: the old tables are gone from sysfs
	for f in blocks stats; do
		[ ! -e "$SYSD/$f" ] || bad="$bad multi-value:$f"
	done
	BLOCKS=/sys/kernel/debug/virtio_mem_guestmem/$DEVNAME/blocks
	mode=$(sysattr mode)
	bs=$(sysattr block_size)
	# SBM sub-block: max(device block, pageblock) (4 MiB on kernels
	# without hugetlb, where pageblock_order = MAX_PAGE_ORDER)
	pbo=$(awk '/^Page block order:/ {print $4}' /proc/pagetypeinfo 2>/dev/null)
	sb=$((4096 << ${pbo:-9}))
	[ "$sb" -ge "$BLOCK" ] || sb=$BLOCK
	case "$mode" in
	sbm) [ "$bs" = "$sb" ] || bad="$bad block_size=$bs(sbm: want max(device block, pageblock) = $sb)" ;;
	bbm) [ "${bs:-0}" -ge "$MB_BYTES" ] || bad="$bad block_size=$bs(bbm: want >= $MB_BYTES)" ;;
	*) bad="$bad mode=$mode" ;;
	esac
	[ "$(sysattr device_block_size)" = "$BLOCK" ] || bad="$bad device_block_size=$(sysattr device_block_size)(QMP $BLOCK)"
	[ "$(sysattr memory_block_size)" = "$MB_BYTES" ] || bad="$bad memory_block_size=$(sysattr memory_block_size)(sysfs $MB_BYTES)"
	[ "$(sysattr region_start)" = "$ADDR" ] || bad="$bad region_start=$(sysattr region_start)(QMP $ADDR)"
	[ "$(sysattr region_size)" = "$MAXSZ" ] || bad="$bad region_size=$(sysattr region_size)(QMP $MAXSZ)"
	ur=$(sysattr usable_region_size)
	[ "${ur:-0}" -ge "$(sysattr requested_size)" ] 2>/dev/null || bad="$bad usable_region_size=$ur<requested"
	grep -qE '^[a-z_]+ [0-9]+$' "$BLOCKS" 2>/dev/null || bad="$bad debugfs-blocks-format"
	for f in retry_delay_ms last_error broken $VMEM_COUNTERS; do
		case "$(sysattr $f)" in
		''|-|*[!0-9-]*) bad="$bad $f=$(sysattr $f)(want one integer)" ;;
		esac
	done
	[ "$(sysattr broken)" = 0 ] || bad="$bad broken=$(sysattr broken)"
	if [ -z "$bad" ]; then
		pass sysfs-attrs "mode $mode, block_size $bs, region $ADDR+$MAXSZ, usable $ur, one value per file, blocks (debugfs): $(tr '\n' ',' <"$BLOCKS")"
	else
		fail sysfs-attrs "$bad"
	fi
	if [ -s /tmp/sysfs-mismatch ]; then
		fail sysfs-qmp "$(wc -l </tmp/sysfs-mismatch) mismatches, first: $(head -n1 /tmp/sysfs-mismatch)"
	else
		pass sysfs-qmp "plugged_size/requested_size equal QMP size/requested-size after every step"
	fi
	# request counters against QEMU's trace: one driver instance since boot
	ctl QUERY
	bad=
	for k in plug unplug unplug_all state; do
		v=$(sysattr "${k}_requests")
		[ "$v" = "$(kv $k)" ] || bad="$bad ${k}_requests=${v:-missing}(QEMU $(kv $k))"
	done
	if [ -z "$bad" ]; then
		pass sysfs-stats "request counters equal QEMU's trace counts ($(for f in $VMEM_COUNTERS; do printf '%s=%s,' "$f" "$(sysattr $f)"; done))"
	else
		fail sysfs-stats "$bad"
	fi
	echo "===VMEM-SYSFS-BEGIN==="
	for f in "$SYSD"/*; do
		[ -f "$f" ] && echo "${f##*/}: $(tr '\n' ',' <"$f")"
	done
	echo "===VMEM-SYSFS-END==="
}

# --- a hostile device: fault injection at the virtqueue (our driver) ------
# The debugfs injector (drivers/virtio/vmem_inject.c) changes the real
# device's answers after QEMU gave them (type, used length, held back) or
# fakes config fields on the read path.  Each case checks the driver's
# reaction: a clear warning, its plugged count equal to the device's, not
# marked broken, and no busy loop: the worker's runs and CPU time
# (debugfs worker_runs / worker_cpu_ns) over the case are bounded (a
# spinning worker makes thousands of runs in a second).  A checksummed
# buffer in device memory is checked at the end; the last case removes
# the device while a request waits for it.
FAULT_RESULTS="vmem-fault-short vmem-fault-unknown-type vmem-fault-nack-storm
	vmem-fault-error-storm vmem-fault-busy-storm vmem-fault-cfg-plugged
	vmem-fault-cfg-requested vmem-fault-cfg-usable vmem-fault-timeout
	vmem-fault-silent-remove vmem-fault-data-intact"
FSTEP=$((128 << 20))
FHOLD_MB=64
FCASES=$(cmdline_arg vmem_fault_cases)
# fcase NAME: run the case NAME (all unless vmem_fault_cases= lists some)
fcase() {
	case ",${FCASES:-$1}," in
	*",$1,"*) return 0 ;;
	esac
	echo "SKIP vmem-fault-$1: not in vmem_fault_cases=$FCASES"
	return 1
}

fattr() { cat "$SYSD/$1" 2>/dev/null; }
plugged_is() { [ "$(fattr plugged_size)" = "$1" ]; }
fwait_plugged() { wait_for $((TO * 10)) plugged_is "$1"; }
fdmesg() { new_dmesg | grep -q "$1"; }
# fmark: the case's starting counters, taken with the worker idle: a run
# still in progress (e.g. adding the memory the previous case plugged)
# has its CPU time added to worker_cpu_ns when it ends, which would charge
# it to this case (seen: 3387 ms in cfg-plugged after busy-storm)
worker_idle() { [ "$(cat "$DBG/worker_active" 2>/dev/null || echo 0)" = 0 ]; }
fmark() {
	wait_for $((TO * 10)) worker_idle ||
		echo "FAULTS: worker still active after ${TO}s at the start of a case"
	F_RUNS=$(cat "$DBG/worker_runs")
	F_CPU=$(cat "$DBG/worker_cpu_ns")
	pm_mark
}
fdelta() {
	D_RUNS=$(($(cat "$DBG/worker_runs") - F_RUNS))
	D_CPU_MS=$((($(cat "$DBG/worker_cpu_ns") - F_CPU) / 1000000))
}
# fcounts: QEMU's request totals into Q_REQ (plug + unplug + unplug_all)
fcounts() {
	ctl QUERY
	Q_REQ=$(($(kv plug) + $(kv unplug) + $(kv unplug_all)))
	Q_SIZE=$(kv size)
}
# fverdict NAME BAD DETAIL: PASS when BAD is empty; every case also
# requires the device not to be marked broken
fverdict() {
	local bad=$2
	[ "$(fattr broken)" = 0 ] || bad="$bad device marked broken (last_error $(fattr last_error))"
	if [ -z "$bad" ]; then
		pass "$1" "$3"
	else
		fail "$1" "$bad; $3"
	fi
}
# fbound MAX_RUNS MAX_CPU_MS: append to BAD when the worker span
fbound() {
	[ "$D_RUNS" -le "$1" ] || BAD="$BAD $D_RUNS worker runs (bound $1: busy loop?)"
	[ "$D_CPU_MS" -le "$2" ] || BAD="$BAD worker used $D_CPU_MS ms CPU (bound $2 ms: busy loop?)"
}
up_ms() { awk '{printf "%d", $1 * 1000}' /proc/uptime; }

# short reply: a plug the device NACKs (the fake requested_size is above
# the device's) comes back with used length 0.  A driver that ignores the
# length reads the previous answer (an ACK) and counts memory the device
# never plugged.
fault_short() {
	local inv0
	BAD=
	fmark
	inv0=$(fattr invalid_replies)
	echo "len 0 1" >"$DBG/inject"
	echo "requested_size $((FCUR + FSTEP))" >"$DBG/config"
	sleep 3
	fdelta
	echo "requested_size off" >"$DBG/config"
	echo off >"$DBG/inject"
	fcounts
	plugged_is "$Q_SIZE" || BAD="$BAD driver counts $(fattr plugged_size) plugged, device $Q_SIZE (a replayed answer?)"
	[ "$(fattr invalid_replies)" -gt "$inv0" ] || BAD="$BAD the short answer was not refused (invalid_replies $inv0 -> $(fattr invalid_replies))"
	fdmesg 'invalid answer to plug request.*used length shorter' || BAD="$BAD no 'invalid answer ... used length' warning"
	fbound 20 2000
	fverdict vmem-fault-short "$BAD" "used length 0 on a NACKed plug refused, driver and device at $Q_SIZE bytes; worker: $D_RUNS runs, $D_CPU_MS ms CPU in 3 s"
}

# a real ACK rewritten to type 9: refused, STATE says plugged: taken as done
fault_unknown() {
	local ad0 want=$((FCUR + FSTEP))
	BAD=
	fmark
	ad0=$(fattr state_adopted)
	echo "resp 9 1" >"$DBG/inject"
	ctl SET "$want"
	fwait_plugged "$want" || BAD="$BAD driver counts $(fattr plugged_size) after ${TO}s, want $want"
	fdelta
	echo off >"$DBG/inject"
	FCUR=$want
	fdmesg 'invalid answer to plug request.*unknown response type' || BAD="$BAD no 'unknown response type' warning"
	[ "$(fattr state_adopted)" -gt "$ad0" ] || BAD="$BAD not resolved through STATE (state_adopted $ad0 -> $(fattr state_adopted))"
	fbound 10 100000
	fverdict vmem-fault-unknown-type "$BAD" "answer type 9 refused, STATE showed the plug done, plugged $(fattr plugged_size); worker: $D_RUNS runs, $D_CPU_MS ms CPU"
}

# every answer NACK for 4 s without a config change: backoff, no spinning
fault_nack() {
	local n0 want=$((FCUR + FSTEP)) runs cpu
	BAD=
	fmark
	n0=$(fattr nack_replies)
	echo "resp nack 1000000" >"$DBG/inject"
	ctl SET "$want"
	sleep 4
	fdelta
	runs=$D_RUNS cpu=$D_CPU_MS
	[ "$(fattr nack_replies)" -ge $((n0 + 2)) ] || BAD="$BAD only $(($(fattr nack_replies) - n0)) NACKs seen: no storm"
	fbound 15 2000
	echo off >"$DBG/inject"
	fwait_plugged "$want" || BAD="$BAD driver counts $(fattr plugged_size) ${TO}s after the storm, want $want"
	FCUR=$want
	fverdict vmem-fault-nack-storm "$BAD" "$(($(fattr nack_replies) - n0)) NACKs in 4 s: worker $runs runs, $cpu ms CPU; converged to $want after the storm"
}

# ERROR and BUSY storms (below the 16-in-a-row limit) end in convergence
fault_storm() { # fault_storm NAME error|busy COUNTER WANT COUNT
	local c0
	BAD=
	fmark
	c0=$(fattr "$3")
	echo "resp $2 $5" >"$DBG/inject"
	ctl SET "$4"
	fwait_plugged "$4" || BAD="$BAD driver counts $(fattr plugged_size) after ${TO}s, want $4"
	fdelta
	echo off >"$DBG/inject"
	FCUR=$4
	[ "$(fattr "$3")" -ge $((c0 + $5)) ] || BAD="$BAD $3 $c0 -> $(fattr "$3"): storm not seen"
	fbound 20 100000
	fverdict "$1" "$BAD" "$5 $2 answers, then converged to $4 ($3 +$(($(fattr "$3") - c0)), state_adopted $(fattr state_adopted)); worker: $D_RUNS runs, $D_CPU_MS ms CPU"
}

# fault_cfg NAME FIELD VALUE MESSAGE: a faked config field for 2 s: the
# warning, no request to the device, the count still the device's
fault_cfg() {
	local r0
	BAD=
	fmark
	fcounts
	r0=$Q_REQ
	echo "$2 $3" >"$DBG/config"
	sleep 2
	fdelta
	fcounts
	F_REQ=$(fattr requested_size) F_USABLE=$(fattr usable_region_size)
	echo "$2 off" >"$DBG/config"
	[ "$Q_REQ" = "$r0" ] || [ "$2" = requested_size ] || BAD="$BAD $((Q_REQ - r0)) plug/unplug requests sent for it"
	plugged_is "$Q_SIZE" || BAD="$BAD driver counts $(fattr plugged_size), device $Q_SIZE"
	fdmesg "$4" || BAD="$BAD no warning '$4'"
	fbound 15 2000
}

fault_cfg_all() {
	fault_cfg vmem-fault-cfg-plugged plugged_size $((MAXSZ + (2 << 20))) \
		'device reports plugged size .* ignored'
	fverdict vmem-fault-cfg-plugged "$BAD" "plugged_size $((MAXSZ + (2 << 20))) > region ignored: no request, count $(fattr plugged_size); worker $D_RUNS runs, $D_CPU_MS ms CPU"

	fault_cfg vmem-fault-cfg-requested requested_size $((MAXSZ + (1 << 30))) \
		'requested size .* beyond the region'
	[ "$F_REQ" -le "$MAXSZ" ] && [ "$F_REQ" -le "$F_USABLE" ] ||
		BAD="$BAD requested_size $F_REQ beyond the region $MAXSZ or usable $F_USABLE"
	fverdict vmem-fault-cfg-requested "$BAD" "requested_size region+1G taken as $F_REQ (usable $F_USABLE); the device NACKs beyond its own: worker $D_RUNS runs, $D_CPU_MS ms CPU in 2 s"

	fault_cfg vmem-fault-cfg-usable usable_region_size 0 \
		'usable region size 0x0 is below the plugged size'
	[ "$F_REQ" = "$FCUR" ] || BAD="$BAD target moved to $F_REQ (want $FCUR: a usable shrink must not unplug)"
	fverdict vmem-fault-cfg-usable "$BAD" "usable_region_size 0 below plugged $FCUR: warned, nothing unplugged or plugged, target $F_REQ"
	# the fakes are off: back to the device's values, nothing moves
	wait_for 50 plugged_is "$FCUR"
}

# the device stops answering: the wait ends after request_timeout_ms, no
# requests meanwhile, the late answer resumes and the plug is found done
fault_timeout() {
	local to0 want=$((FCUR + FSTEP)) stuck runs
	BAD=
	to0=$(cat "$PRM/request_timeout_ms")
	echo 3000 >"$PRM/request_timeout_ms"
	fmark
	echo hold >"$DBG/inject"
	ctl SET "$want"
	wait_for 200 fdmesg 'plug request not answered within 3000 ms' ||
		BAD="$BAD no 'not answered within 3000 ms' error within 20 s"
	stuck=$(cat "$DBG/request_stuck")
	[ "$stuck" = Y ] || BAD="$BAD request_stuck=$stuck after the timeout"
	sleep 2
	fdelta
	runs=$D_RUNS
	fbound 6 2000
	echo release >"$DBG/inject"
	fwait_plugged "$want" || BAD="$BAD driver counts $(fattr plugged_size) ${TO}s after the late answer, want $want"
	fdmesg 'answered an abandoned request late' || BAD="$BAD no 'answered ... late' message"
	echo "$to0" >"$PRM/request_timeout_ms"
	FCUR=$want
	fverdict vmem-fault-timeout "$BAD" "held answer: timed out after 3 s, $runs worker runs while stuck, late answer resumed, plugged $(fattr plugged_size)"
}

# the device stops answering, then is removed: unbind within 5 s
fault_remove() {
	local want=$((FCUR + FSTEP)) t0 t1 inf
	BAD=
	rm -f /tmp/unbind.done
	echo hold >"$DBG/inject"
	ctl SET "$want"
	wait_for 200 grep -q Y "$DBG/request_in_flight" || BAD="$BAD no request in flight after 20 s"
	sleep 1
	inf=$(cat "$DBG/request_in_flight")
	[ "$(fattr broken)" = 0 ] || BAD="$BAD device marked broken before the removal"
	pm_mark
	t0=$(up_ms)
	(echo "$DEVNAME" >/sys/bus/virtio/drivers/virtio_mem/unbind; touch /tmp/unbind.done) &
	if wait_for 50 test -e /tmp/unbind.done; then
		t1=$(up_ms)
		[ ! -e "/sys/bus/virtio/drivers/virtio_mem/$DEVNAME" ] || BAD="$BAD still bound after unbind"
	else
		t1=$(up_ms)
		BAD="$BAD unbind still running after 5 s (hung on the silent device)"
		echo release >"$DBG/inject" 2>/dev/null
		wait_for 600 test -e /tmp/unbind.done
	fi
	fdmesg 'device still has system memory added' || BAD="$BAD no 'still has system memory added' warning"
	# the sysfs directory is gone with the device: no fverdict
	if [ -z "$BAD" ]; then
		pass vmem-fault-silent-remove "unbind with a plug request waiting (in flight: $inf) returned in $((t1 - t0)) ms"
	else
		fail vmem-fault-silent-remove "$BAD; unbind took $((t1 - t0)) ms"
	fi
}

scn_faults() {
	local out n
	if [ "$VMEMSET" != ours ]; then
		echo "SKIP vmem-fault-*: fault injection is our driver's (not counted)"
		return
	fi
	DBG=/sys/kernel/debug/virtio_mem_guestmem/$DEVNAME
	PRM=/sys/module/virtio_mem/parameters
	SYSD=$(vmem_sysfs_dir)
	if [ ! -w "$DBG/inject" ] || [ ! -w "$DBG/config" ] || [ -z "$SYSD" ]; then
		for n in $FAULT_RESULTS; do
			fail "$n" "no fault injector at $DBG or no sysfs directory"
		done
		return
	fi
	ctl QUERY
	echo "FAULTS-BEGIN $CTL_REPLY"
	F_RETRY=$(cat "$PRM/retry_max_ms")
	echo 1000 >"$PRM/retry_max_ms"
	if ! resize fault-grow $((2 * FSTEP)); then
		for n in $FAULT_RESULTS; do
			fail "$n" "could not grow to $((2 * FSTEP)) first"
		done
		return
	fi
	FCUR=$((2 * FSTEP))
	vmemhold_start /tmp/fhold.out "$FHOLD_MB"
	F_HOLD=$HOLD_PID
	F_IN0=$(kv in_region "$HOLD_READY")
	fcase short && fault_short
	fcase unknown-type && fault_unknown
	fcase nack-storm && fault_nack
	fcase error-storm &&
		fault_storm vmem-fault-error-storm error error_replies $((FCUR + FSTEP)) 6
	fcase busy-storm &&
		fault_storm vmem-fault-busy-storm busy busy_replies $((FCUR - FSTEP)) 2
	fcase cfg && fault_cfg_all
	fcase timeout && fault_timeout
	echo "$F_RETRY" >"$PRM/retry_max_ms"
	fcase silent-remove && fault_remove
	vmemhold_stop "$F_HOLD"
	bad=$(vmemhold_verdict /tmp/fhold.out "$FHOLD_MB" "$F_IN0")
	out=$(grep verify /tmp/fhold.out)
	if [ -n "$bad" ]; then
		fail vmem-fault-data-intact "$bad"
	else
		pass vmem-fault-data-intact "$FHOLD_MB MiB buffer ($F_IN0 pages in device memory at the start) intact after every fault case and the removal: $out"
	fi
	ctl QUERY
	echo "FAULTS-END $CTL_REPLY"
}

echo "SCENARIO vmem: kernel $(uname -r), virtio-mem $VMEMSET, sizes $SIZES, hold ${HOLD_MB}M, workload ${WL_MB}M, timeouts ${TO}s/${CONV_TO}s"
# the KUnit suites first where the host put them in /bin (VMEM_KUNIT=1)
ls /bin/*_kunit.ko >/dev/null 2>&1 && kunit_run
vmem_ctl_start vmem-host
echo "VMEMINFO addr=$ADDR max=$MAXSZ block=$BLOCK memblock=$MB_BYTES $CTL_REPLY"
if [ -n "$(cmdline_arg vmem_fault_cases)" ] && scn_probe; then
	BASE_KB=$(memtotal_kb)
	scn_faults
elif scn_probe; then
	# baseline: the device starts with requested-size 0
	ctl QUERY
	if [ "$(kv size)" != 0 ]; then
		fail vmem-baseline "device starts with $(kv size) bytes plugged (expected 0)"
	fi
	BASE_KB=$(memtotal_kb)
	step_counts
	# vmem_set=basic (tests/vmem-scenarios.sh VMEM_SET=basic: a kernel
	# whose memory hotplug config and our code are another matrix
	# kernel's, which runs the full set): grow, online, lsmem/chmem,
	# shrink, PM, sysfs, dmesg; not the busy-memory unplugs and the idle wait
	VFULL=1
	if [ "$(cmdline_arg vmem_set)" = basic ]; then
		VFULL=
		for n in idle-quiet hold-unplug unplug-hold unplug-pagecache pc-unplug-requests; do
			echo "SKIP $n: reduced set (vmem_set=basic; not counted)"
		done
	fi
	scn_resize grow-mid "$MID" && scn_online
	scn_lsmem
	scn_resize grow-big "$BIG"
	scn_resize shrink-small "$SMALL"
	[ -z "$VFULL" ] || scn_idle "$SMALL"
	scn_resize shrink-zero 0
	[ -z "$VFULL" ] || scn_hold
	[ -z "$VFULL" ] || scn_pagecache
	scn_pm
	scn_sysfs
	scn_dmesg_sizes
	[ "$(cmdline_arg vmem_faults)" = 0 ] || scn_faults
fi
ctl QUERY
echo "VMEMFINAL $CTL_REPLY"
kmemleak_check
finish
