#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of tests/kunit.sh: load the KUnit modules (their suites run
# at load) and print each suite's KTAP from debugfs between markers.
#
# vmem_kunit.ko uses symbols of virtio_mem.ko, so that goes first (it
# binds the guest's virtio-mem device, whose requested size is 0).
. /guest/common.sh

if insmod /bin/virtio_mem.ko; then
	pass kunit-load-virtio_mem "virtio_mem.ko loaded"
else
	fail kunit-load-virtio_mem "insmod virtio_mem.ko failed"
fi
# p2pmem_kunit.ko needs p2pmem_pci.ko (only on PCI P2PDMA kernels)
if [ -f /bin/p2pmem_pci.ko ]; then
	if insmod /bin/p2pmem_pci.ko; then
		pass kunit-load-p2pmem_pci "p2pmem_pci.ko loaded"
	else
		fail kunit-load-p2pmem_pci "insmod p2pmem_pci.ko failed"
	fi
fi
for ko in /bin/*_kunit.ko; do
	m=${ko##*/}
	m=${m%.ko}
	if insmod "$ko"; then
		pass "kunit-load-$m" "$m.ko loaded"
	else
		fail "kunit-load-$m" "insmod $m.ko failed"
	fi
done
for d in /sys/kernel/debug/kunit/*; do
	[ -f "$d/results" ] || continue
	echo "===KTAP-BEGIN ${d##*/}==="
	cat "$d/results"
	echo "===KTAP-END==="
done
kmemleak_check
finish
