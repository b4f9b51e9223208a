#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Smallest scenario: the guest reached user space; report what it sees.
. /guest/common.sh

echo "SCENARIO boot: kernel $(uname -r), modules $(cat /etc/modset)"
echo "BOOTINFO virtio drivers: $(ls /sys/bus/virtio/drivers 2>/dev/null | tr '\n' ' ')"
echo "BOOTINFO virtio devices: $(cat /sys/bus/virtio/devices/*/device 2>/dev/null | tr '\n' ' ')"
echo "BOOTINFO nd buses: $(ls /sys/bus/nd/devices 2>/dev/null | tr '\n' ' ')"
echo "BOOTINFO block: $(ls /sys/block | tr '\n' ' ')"
echo "BOOTINFO mem: $(grep MemTotal /proc/meminfo)"
if [ -s /tmp/modfail ]; then
	fail boot-shell "insmod failures: $(tr '\n' ' ' </tmp/modfail)"
else
	pass boot-shell "$(uname -r) up $(cut -d' ' -f1 /proc/uptime) s"
fi
kmemleak_check
finish
