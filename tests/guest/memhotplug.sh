#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Busybox stand-in for udev running the project's rule
# udev/80-guestmem-virtio-mem.rules:
#
#   SUBSYSTEM=="memory", ACTION=="add", ATTR{state}=="offline", ATTR{state}="online_movable"
#
# /init runs it for every kernel uevent through busybox's netlink listener
# (`uevent /guest/memhotplug.sh`; the Debian kernels have no
# CONFIG_UEVENT_HELPER, so /proc/sys/kernel/hotplug does not exist).  The
# environment carries the event (ACTION, SUBSYSTEM, DEVPATH).  Every block
# it onlines is noted in /tmp/memhotplug.log ("online BLOCK" or
# "fail BLOCK"), which the scenarios report.
[ "$SUBSYSTEM" = memory ] && [ "$ACTION" = add ] || exit 0
f=/sys$DEVPATH/state
[ "$(cat "$f" 2>/dev/null)" = offline ] || exit 0
if echo online_movable >"$f" 2>/dev/null; then
	echo "online ${DEVPATH##*/}" >>/tmp/memhotplug.log
else
	echo "fail ${DEVPATH##*/}" >>/tmp/memhotplug.log
fi
exit 0
