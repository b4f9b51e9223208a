#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of tests/kunit.sh: load the KUnit module (its suites run at
# load) and print each suite's KTAP from debugfs between markers.
. /guest/common.sh

if insmod /bin/vpmem_kunit.ko; then
	pass kunit-load "vpmem_kunit.ko loaded"
else
	fail kunit-load "insmod vpmem_kunit.ko failed"
fi
# p2pmem suites: only where the host put them in (PCI P2PDMA kernels)
if [ -f /bin/p2pmem_kunit.ko ]; then
	if insmod /bin/p2pmem_pci.ko && insmod /bin/p2pmem_kunit.ko; then
		pass kunit-load-p2pmem "p2pmem_pci.ko + p2pmem_kunit.ko loaded"
	else
		fail kunit-load-p2pmem "insmod p2pmem_pci.ko / p2pmem_kunit.ko failed"
	fi
fi
for d in /sys/kernel/debug/kunit/*; do
	[ -f "$d/results" ] || continue
	echo "===KTAP-BEGIN ${d##*/}==="
	cat "$d/results"
	echo "===KTAP-END==="
done
kmemleak_check
finish
