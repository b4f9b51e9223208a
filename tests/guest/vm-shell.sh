#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# /scenario of `make vm` (scripts/demo.sh --shell): loads p2pmem_pci when
# the initramfs has it (kernels with CONFIG_PCI_P2PDMA), says where things
# are, then an interactive shell; /init powers off when it exits.
. /guest/common.sh

if [ -f /bin/p2pmem_pci.ko ]; then
	insmod /bin/p2pmem_pci.ko || echo "insmod p2pmem_pci failed"
	wait_for 100 eval 'ls /dev/p2pmem* >/dev/null 2>&1'
fi
wait_for 100 test -b /dev/pmem0
d=$(flush_stats_dir)
v=$(vmem_sysfs_dir)
cat <<EOT

guestmem vm: kernel $(uname -r)
  /dev/pmem0        $(cat /sys/module/virtio_pmem/version 2>/dev/null || echo 'no driver') (ours); flush stats: ${d:-none}/
  virtio-mem        ${v:-no sysfs (driver not bound?)}/ (plugged_size, requested_size, stats);
                    MemTotal $(memtotal_kb) kB; resize from the host: make vm-resize SIZE=2G
  p2pmem            $(ls /dev/p2pmem* 2>/dev/null | tr '\n' ' ' || true)${P2P_CLASS}/ $( [ -d "$P2P_CLASS" ] || echo '(not on this kernel)')
  tools             pmemtool, vmemhold, p2pcopy (--help)
  leave with: poweroff -f

EOT
setsid cttyhack sh
