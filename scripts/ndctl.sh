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
# have installed (libcxl1, libiniparser1, libtracefs1, ... on Debian 12)
# are fetched with `apt-get download` into $CACHE/tools/ndctl-VERSION/debs
# and unpacked into .../root (dpkg-deb -x).  Checked: ldd finds every
# library and both tools print their version.  A stamp file makes later
# calls instant; delete the directory to fetch again.
#
# In the guest they run without udev and without modprobe: the initramfs
# loads the nvdimm modules they need (nd_btt, dax_pmem, device_dax) with
# insmod, and libkmod, finding no /lib/modules there, leaves binding to
# the already loaded drivers.
. "$(dirname "$0")/lib.sh"
set -eu

[ $# -eq 0 ] || die "usage: $0"

libdirs() {
	find "$1" -name '*.so*' \( -type f -o -type l \) -printf '%h\n' | sort -u | paste -sd:
}

candidate() { apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" {print $2}'; }
ver=$(candidate ndctl)
if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
	say "ndctl: no candidate in the apt lists, running apt-get update"
	apt-get update >"$CACHE/logs/apt-update-ndctl.log" 2>&1 ||
		die "apt-get update failed ($CACHE/logs/apt-update-ndctl.log)"
	ver=$(candidate ndctl)
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "ndctl: the apt sources have no ndctl package"
fi
DIR=$CACHE/tools/ndctl-${ver//[:~]/_}
ROOT=$DIR/root
STAMP=$DIR/ok

if [ ! -f "$STAMP" ]; then
	say "ndctl $ver: fetching Debian's ndctl and daxctl and the libraries the host lacks (into $DIR)"
	rm -rf "$DIR"
	mkdir -p "$DIR/debs" "$ROOT"
	mapfile -t pkgs < <(apt-get install -s --no-install-recommends "ndctl=$ver" "daxctl=$ver" 2>/dev/null |
		awk '$1 == "Inst" {print $2}')
	for p in ndctl daxctl; do
		printf '%s\n' "${pkgs[@]}" | grep -qx "$p" ||
			die "ndctl: apt-get install -s names no $p package (installed on the host? then use /usr/bin/$p)"
	done
	(cd "$DIR/debs" && apt-get download "${pkgs[@]}") >"$DIR/download.log" 2>&1 ||
		{ tail -n 5 "$DIR/download.log" >&2; die "ndctl: apt-get download failed ($DIR/download.log)"; }
	for deb in "$DIR"/debs/*.deb; do
		dpkg-deb -x "$deb" "$ROOT" || die "ndctl: unpacking $deb failed"
	done
	for t in ndctl daxctl; do
		missing=$(LD_LIBRARY_PATH=$(libdirs "$ROOT") ldd "$ROOT/usr/bin/$t" | grep 'not found' || true)
		[ -z "$missing" ] || die "$t: libraries still missing after unpacking: $(echo "$missing" | tr -s ' \t\n' ' ')"
		v=$(LD_LIBRARY_PATH=$(libdirs "$ROOT") "$ROOT/usr/bin/$t" --version) ||
			die "$t: $ROOT/usr/bin/$t --version failed"
		say "$t: $v"
	done
	say "ndctl: ${#pkgs[@]} packages ($(du -sh "$ROOT" | cut -f1) unpacked)"
	echo "$v" >"$STAMP"
fi
echo "$ROOT"
