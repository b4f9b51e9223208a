#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Busybox stand-in for udev running the project's rule
# udev/70-guestmem-virtio-mem.rules:
#
#   SUBSYSTEM=="memory", ACTION=="add", ATTR{state}=="offline",
#     PROGRAM=="guestmem-virtio-mem-block %k", ATTR{state}="online_movable"
#   (the package's helper, copied to /guest by scripts/initramfs.sh: only
#   blocks in virtio-mem's ranges)
#   (and, for a virtio-mem device, "online" auto_online_blocks -> online_movable)
#
#   memhotplug.sh           one event: the environment carries it (ACTION,
#                           SUBSYSTEM, DEVPATH); /init runs it for every
#                           kernel uevent through busybox's netlink listener
#                           (`uevent /guest/memhotplug.sh`; the Debian
#                           kernels have no CONFIG_UEVENT_HELPER, so
#                           /proc/sys/kernel/hotplug does not exist)
#   memhotplug.sh --poll    kernels without CONFIG_NET (our test kernels)
#                           have no uevent netlink socket: every 0.2 s, a
#                           memory block that was not there at the previous
#                           scan counts as an "add" event and gets the rule
#
# Every block it onlines is noted in /tmp/memhotplug.log ("online BLOCK",
# "skip BLOCK" when the helper says it is not virtio-mem memory, or
# "fail BLOCK"), which the scenarios report.

# rule BLOCK-DIR: the rule's match on the state and its assignment
rule() {
	local st
	read -r st <"$1/state" 2>/dev/null || return 0
	[ "$st" = offline ] || return 0
	/guest/guestmem-virtio-mem-block "${1##*/}" || {
		echo "skip ${1##*/}" >>/tmp/memhotplug.log
		return 0
	}
	if echo online_movable >"$1/state" 2>/dev/null; then
		echo "online ${1##*/}" >>/tmp/memhotplug.log
	elif read -r st <"$1/state" 2>/dev/null && [ "$st" = online ]; then
		# the kernel's auto-online got there between our read and write
		echo "raced ${1##*/}" >>/tmp/memhotplug.log
	else
		echo "fail ${1##*/}" >>/tmp/memhotplug.log
	fi
}

# device_rule: the rule for an added virtio-mem device, run by /init
# before the driver is loaded (the devices were there before any listener)
device_rule() {
	local a=/sys/devices/system/memory/auto_online_blocks d
	for d in /sys/bus/virtio/devices/*; do
		[ "$(cat "$d/device" 2>/dev/null)" = 0x0018 ] || continue
		if grep -qx online "$a" 2>/dev/null; then
			echo online_movable >"$a" &&
				echo "auto_online_blocks online -> online_movable" >>/tmp/memhotplug.log
		fi
		return 0
	done
}

if [ "${1:-}" = --coldplug ]; then
	device_rule
	exit 0
fi

if [ "${1:-}" = --poll ]; then
	seen=" "
	first=1
	while :; do
		now=" "
		for b in /sys/devices/system/memory/memory*; do
			[ -d "$b" ] || continue
			n=${b##*/}
			now="$now$n "
			case "$seen" in
			*" $n "*) ;;
			*) [ -n "$first" ] || rule "$b" ;;
			esac
		done
		seen=$now
		first=
		sleep 0.2
	done
fi

[ "$SUBSYSTEM" = memory ] && [ "$ACTION" = add ] || exit 0
rule "/sys$DEVPATH"
exit 0
