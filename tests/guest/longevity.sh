#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of tests/longevity.sh: load/unload cycles of every module of
# ours with its device present, then unloads refused under a mounted
# /dev/pmem0, then kmemleak.  One RESULT line per check (common.sh).
#
#   longevity_cycles=N  cycles per module (default 500)
#
# pmem:   nd_virtio + virtio_pmem (loaded by /init): per cycle unbind the
#         device (the bound region holds a reference on virtio_pmem, see
#         pmem.sh scn_reload), rmmod both, check that /dev/pmem0, the nd
#         bus and both modules are gone, insmod both, wait for /dev/pmem0;
#         the nd device names (ndbus, region, namespace ids) must be the
#         first cycle's every time: an id not given back is a leak.  A
#         pattern written to the raw device before the cycles is read back
#         after them.
# mounted: ext4 -o dax on /dev/pmem0: rmmod of either module must be
#         refused every time, with the file system, the device and both
#         modules still there, their reference counts unchanged and a
#         file intact afterwards.
# vmem:   virtio_mem (loaded by /init, nothing plugged): rmmod, the driver
#         gone, insmod, the device bound again.
# p2pmem: p2pmem_pci (/bin/p2pmem_pci.ko, P2PDMA kernels): insmod, one
#         /dev/p2pmemN per NVMe CMB, the same names as the first cycle;
#         rmmod, no node or class entry left.
. /guest/common.sh

N=$(cmdline_arg longevity_cycles)
N=${N:-500}
DEV=/dev/pmem0
MNT=/mnt/pmem
P2P_KO=/bin/p2pmem_pci.ko
P2P_CLASS=/sys/class/p2pmem_guestmem
VPMEM_DRV=/sys/bus/virtio/drivers/virtio_pmem
VMEM_DRV=/sys/bus/virtio/drivers/virtio_mem

have_dev() { [ -b "$DEV" ]; }
no_dev() { [ ! -e "$DEV" ]; }
loaded() { grep -q "^$1 " /proc/modules; }
# uptime_cs: time since boot in 1/100 s
uptime_cs() { awk '{ printf "%d\n", $1 * 100 }' /proc/uptime; }
# secs_since CS: seconds (one decimal) since uptime_cs printed CS
secs_since() { awk -v a="$1" '{ printf "%.1f\n", $1 - a / 100 }' /proc/uptime; }
nd_names() { ls /sys/bus/nd/devices 2>/dev/null | tr '\n' ' '; }
p2p_names() { ls "$P2P_CLASS" 2>/dev/null | tr '\n' ' '; }
nr_p2p() { ls -d "$P2P_CLASS"/p2pmem* 2>/dev/null | wc -l; }
vmem_bound() { ls -d "$VMEM_DRV"/virtio* >/dev/null 2>&1; }
slab_kb() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }
# step LABEL: "STEP <uptime> LABEL" in the first two cycles (where the time goes)
step() { [ "${i:-0}" -le 2 ] && echo "STEP $(cut -d' ' -f1 /proc/uptime) $1"; return 0; }

# --- virtio-pmem -----------------------------------------------------------
# pmem_down: unbind, rmmod virtio_pmem then nd_virtio; "" or what failed
pmem_down() {
	local d m out
	step unbind >&2
	for d in "$VPMEM_DRV"/virtio*; do
		[ -e "$d" ] && echo "${d##*/}" >"$VPMEM_DRV/unbind"
	done
	for m in virtio_pmem nd_virtio; do
		step "rmmod-$m" >&2
		out=$(rmmod "$m" 2>&1) || { echo "rmmod $m: $out"; return; }
	done
	step rmmod-done >&2
	wait_for 50 no_dev || { echo "$DEV still there after rmmod"; return; }
	loaded virtio_pmem && { echo "virtio_pmem still listed"; return; }
	loaded nd_virtio && { echo "nd_virtio still listed"; return; }
	[ -z "$(nd_names)" ] || echo "nd devices left: $(nd_names)"
}
# pmem_up: insmod both (load order), wait for the device; "" or what failed
pmem_up() {
	local m out
	for m in $(cat /etc/pmem.mods); do
		step "insmod-${m##*/}" >&2
		out=$(insmod "$m" 2>&1) || { echo "insmod $m: $out"; return; }
	done
	step wait-dev >&2
	wait_for 100 have_dev || echo "$DEV did not appear"
	step dev >&2
}

scn_pmem_cycles() {
	local i err names t0 want got
	wait_for 100 have_dev || { fail longevity-pmem "no $DEV at the start"; return 1; }
	names=$(nd_names)
	pattern longevity 1048576 | dd of="$DEV" bs=1M oflag=direct 2>/dev/null
	want=$(pattern longevity 1048576 | md5)
	t0=$(uptime_cs)
	i=1
	while [ $i -le "$N" ]; do
		err=$(pmem_down)
		[ -z "$err" ] && err=$(pmem_up)
		[ -z "$err" ] && [ "$(nd_names)" != "$names" ] &&
			err="nd devices '$(nd_names)', first cycle '$names' (an id was not released)"
		[ -n "$err" ] && break
		i=$((i + 1))
	done
	if [ -n "$err" ]; then
		fail longevity-pmem "cycle $i of $N: $err"
		return 1
	fi
	got=$(dd if="$DEV" bs=1M count=1 iflag=direct 2>/dev/null | md5)
	if [ "$got" != "$want" ]; then
		fail longevity-pmem "$N cycles in $(secs_since "$t0") s, but the 1 MiB pattern reads back as $got (want $want)"
		return 1
	fi
	pass longevity-pmem "$N unbind+rmmod/insmod cycles of nd_virtio+virtio_pmem in $(secs_since "$t0") s; device names stable ($names), 1 MiB pattern intact"
}

scn_pmem_mounted() {
	local i out m refused=0 last='' t0 want got refs
	have_dev || { fail longevity-pmem-mounted "no $DEV"; return; }
	mkdir -p "$MNT"
	if ! out=$(mkfs.ext4 -F -q -b 4096 "$DEV" 2>&1) || ! out=$(mount -t ext4 -o dax "$DEV" "$MNT" 2>&1); then
		fail longevity-pmem-mounted "mkfs/mount -o dax: $out"
		return
	fi
	pattern mounted 65536 >"$MNT/keep.dat"
	sync
	want=$(md5 "$MNT/keep.dat")
	refs=$(cat /sys/module/virtio_pmem/refcnt /sys/module/nd_virtio/refcnt | xargs)
	t0=$(uptime_cs)
	i=1
	while [ $i -le "$N" ]; do
		for m in virtio_pmem nd_virtio; do
			if out=$(rmmod "$m" 2>&1); then
				fail longevity-pmem-mounted "attempt $i: rmmod $m succeeded with $DEV mounted"
				return
			fi
			refused=$((refused + 1))
			last=$out
		done
		i=$((i + 1))
	done
	got=$(md5 "$MNT/keep.dat")
	if ! loaded virtio_pmem || ! loaded nd_virtio || ! have_dev || ! grep -q " $MNT " /proc/mounts; then
		fail longevity-pmem-mounted "after $refused refused rmmods: modules $(grep -o '^\(virtio_pmem\|nd_virtio\) ' /proc/modules | xargs), $DEV $(have_dev && echo present || echo gone), mount $(grep -c " $MNT " /proc/mounts)"
	elif [ "$got" != "$want" ]; then
		fail longevity-pmem-mounted "keep.dat reads $got after $refused refused rmmods (want $want)"
	elif [ "$(cat /sys/module/virtio_pmem/refcnt /sys/module/nd_virtio/refcnt | xargs)" != "$refs" ]; then
		fail longevity-pmem-mounted "module reference counts $(cat /sys/module/virtio_pmem/refcnt /sys/module/nd_virtio/refcnt | xargs) after $refused refused rmmods, $refs before (a refusal leaked a reference)"
	elif ! out=$(umount "$MNT" 2>&1); then
		fail longevity-pmem-mounted "umount after the refused rmmods: $out"
	else
		pass longevity-pmem-mounted "$refused rmmods refused in $(secs_since "$t0") s with $DEV mounted (last: $(echo "$last" | head -n1)); modules (refcnt $refs), device and mount kept, keep.dat intact, umount clean"
	fi
}

# --- virtio-mem ------------------------------------------------------------
scn_vmem_cycles() {
	local i err out t0 ko
	ko=$(head -n1 /etc/vmem.mods)
	[ -n "$ko" ] || { fail longevity-vmem "no virtio_mem module in the image"; return; }
	wait_for 100 vmem_bound || { fail longevity-vmem "no device bound to virtio_mem at the start"; return; }
	t0=$(uptime_cs)
	i=1
	err=
	while [ $i -le "$N" ]; do
		if ! out=$(rmmod virtio_mem 2>&1); then
			err="rmmod: $out"
		elif loaded virtio_mem || [ -e "$VMEM_DRV" ]; then
			err="virtio_mem still there after rmmod"
		elif ! out=$(insmod "$ko" 2>&1); then
			err="insmod: $out"
		elif ! wait_for 100 vmem_bound; then
			err="the device was not bound again"
		fi
		[ -n "$err" ] && break
		i=$((i + 1))
	done
	if [ -n "$err" ]; then
		fail longevity-vmem "cycle $i of $N: $err"
	else
		pass longevity-vmem "$N rmmod/insmod cycles of virtio_mem (device present, nothing plugged) in $(secs_since "$t0") s"
	fi
}

# --- p2pmem_pci ------------------------------------------------------------
scn_p2pmem_cycles() {
	local i err out t0 names=
	t0=$(uptime_cs)
	i=1
	err=
	while [ $i -le "$N" ]; do
		if ! out=$(insmod "$P2P_KO" 2>&1); then
			err="insmod: $out"
		elif ! wait_for 100 eval '[ "$(nr_p2p)" -ge 3 ]'; then
			err="$(nr_p2p) /dev/p2pmem nodes, want one per NVMe CMB (3)"
		elif [ -n "$names" ] && [ "$(p2p_names)" != "$names" ]; then
			err="nodes '$(p2p_names)', first cycle '$names' (a minor was not released)"
		elif names=$(p2p_names) && ! out=$(rmmod p2pmem_pci 2>&1); then
			err="rmmod: $out"
		elif loaded p2pmem_pci || [ -n "$(p2p_names)" ] || ls /dev/p2pmem* >/dev/null 2>&1; then
			err="left after rmmod: $(p2p_names) $(ls /dev/p2pmem* 2>/dev/null | xargs)"
		fi
		[ -n "$err" ] && break
		i=$((i + 1))
	done
	if [ -n "$err" ]; then
		fail longevity-p2pmem "cycle $i of $N: $err"
	else
		pass longevity-p2pmem "$N insmod/rmmod cycles of p2pmem_pci with 3 NVMe CMBs in $(secs_since "$t0") s; nodes stable ($names)"
	fi
}

echo "SCENARIO longevity: kernel $(uname -r), $N cycles per module"
echo "STAT slab-kb-start $(slab_kb)"
scn_pmem_cycles && scn_pmem_mounted
scn_vmem_cycles
[ -f "$P2P_KO" ] && scn_p2pmem_cycles
echo "STAT slab-kb-end $(slab_kb)"
kmemleak_check
finish
