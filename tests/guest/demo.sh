#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make demo`: a short tour of virtio-pmem with our driver.
. /guest/common.sh

say() { echo "DEMO: $*"; }
DEV=/dev/pmem0
if ! wait_for 100 test -b $DEV; then
	say "no $DEV: driver did not bind (see dmesg below)"
	finish
	exit 1
fi
d=$(flush_stats_dir)
say "$(dmesg | grep -m1 'virtio_pmem virtio' | sed 's/^\[[^]]*\] //')"
drv=$(readlink "${d%/flush_stats}/driver")
say "$DEV: $(blockdev --getsize64 $DEV) bytes, driver ${drv##*/} $(cat /sys/module/virtio_pmem/version 2>/dev/null) (ours), flush module nd_virtio $(cat /sys/module/nd_virtio/version 2>/dev/null)"
mkfs.ext4 -q -F $DEV >/dev/null 2>&1 || say "mkfs.ext4 failed"
mkdir -p /mnt
mount -t ext4 -o dax $DEV /mnt && say "mounted: $(grep " /mnt " /proc/mounts)"
pattern demo 262144 >/mnt/demo.dat
if command -v pmemtool >/dev/null; then
	pmemtool mapsync /mnt/mapsync.tst --require-dax | sed 's/^/DEMO: /'
fi
before=$(stat_value requests)
dd if=/mnt/demo.dat of=/mnt/hello.txt bs=64k conv=fsync 2>/dev/null
sync
say "wrote /mnt/hello.txt (256 KiB) with fsync, md5 $(md5 /mnt/hello.txt)"
echo "PATTERN hello 262144 $(md5 /mnt/hello.txt)"
say "flush requests sent during the fsync: $(( $(stat_value requests) - before ))"
if command -v pmemtool >/dev/null; then
	mkdir -p /mnt/w
	pmemtool writers --mode file --path /mnt/w --threads 8 --count 25 |
		sed 's/^/DEMO: 8 concurrent fsync writers: /' | head -n 3
fi
for f in requests callers coalesced errors timeouts in_flight state last_latency_ns; do
	say "flush_stats/$f = $(stat_value $f)"
done
umount /mnt
finish
