#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Debian's ndctl and daxctl for the busybox guests, without installing
# them on the host (the way scripts/fio.sh provides fio).
#
#   scripts/ndctl.sh        prints ROOT; ROOT/usr/bin/ndctl and
#                           ROOT/usr/bin/daxctl run with the libraries of
#                           ROOT (scripts/initramfs.sh --sysroot ROOT)
#
# ndctl, daxctl and the part of their dependency closure the host does not
# have installed (libcxl1, libiniparser1, libtracefs1, ... on Debian 12):
# fetched, unpacked into $CACHE/tools/ndctl-VERSION/root and checked by
# scripts/debian-tools.sh.
#
# In the guest they run without udev and without modprobe: the initramfs
# loads the nvdimm modules they need (nd_btt, dax_pmem, device_dax) with
# insmod, and libkmod, finding no /lib/modules there, leaves binding to
# the already loaded drivers.
. "$(dirname "$0")/lib.sh"
set -eu

[ $# -eq 0 ] || die "usage: $0"
exec "$TOP/scripts/debian-tools.sh" ndctl ndctl daxctl
