#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the host packages the lab needs (Debian 12), only if missing.
. "$(dirname "$0")/lib.sh"
PKGS="make gcc libc6-dev bc flex bison libelf-dev libssl-dev cpio xz-utils
	kmod rsync python3 perl qemu-system-x86 busybox-static sparse
	e2fsprogs gnuplot-nox dwarves debootstrap fuse3 libfuse3-dev pkg-config lintian"
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
[ "$(id -u)" -eq 0 ] || die "missing packages:$missing (run as root or install them)"
say "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update >"$CACHE/logs/apt-update.log" 2>&1 || die "apt-get update failed ($CACHE/logs/apt-update.log)"
apt-get install -y --no-install-recommends $missing >"$CACHE/logs/apt-install.log" 2>&1 ||
	die "apt-get install failed ($CACHE/logs/apt-install.log)"
