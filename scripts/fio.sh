#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Debian's fio for the busybox guests of `make bench`, without installing
# it on the host.
#
#   scripts/fio.sh          prints the directory ROOT, where ROOT/usr/bin/fio
#                           runs with LD_LIBRARY_PATH="$(scripts/fio.sh --libpath)"
#   scripts/fio.sh --libpath
#
# The fio package of the machine's Debian release and every package of its
# dependency closure that the host does not have installed are fetched
# with `apt-get download` into $CACHE/tools/fio-VERSION/debs and unpacked
# into $CACHE/tools/fio-VERSION/root (dpkg-deb -x).  The libraries ldd
# resolves are then either the host's (installed packages) or ROOT's;
# scripts/initramfs.sh --sysroot ROOT copies both kinds into the image,
# ROOT's under their path below ROOT.  The result is checked: ldd finds
# every library and `fio --version` runs.  A stamp file makes later calls
# instant; delete the directory to fetch again.
#
# Why the Debian binary and not a static build from Debian's fio source:
# it is the fio a user of these guests runs (same version, same build
# options), it needs no compiler step or deb-src entry, and the image
# grows by the libraries it links (rados, rbd, gluster, ...; ~40 MB
# uncompressed), which costs a few seconds of boot under TCG.
. "$(dirname "$0")/lib.sh"
set -eu

MODE=root
case "${1:-}" in
"") ;;
--libpath) MODE=libpath ;;
*) die "usage: $0 [--libpath]" ;;
esac

# libdirs ROOT: directories below ROOT that hold shared libraries, as a
# LD_LIBRARY_PATH value
libdirs() {
	find "$1" -name '*.so*' \( -type f -o -type l \) -printf '%h\n' | sort -u | paste -sd:
}

ver=$(apt-cache policy fio 2>/dev/null | awk '$1 == "Candidate:" {print $2}')
if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
	say "fio: no candidate in the apt lists, running apt-get update"
	apt-get update >"$CACHE/logs/apt-update-fio.log" 2>&1 ||
		die "apt-get update failed ($CACHE/logs/apt-update-fio.log)"
	ver=$(apt-cache policy fio 2>/dev/null | awk '$1 == "Candidate:" {print $2}')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "fio: the apt sources have no fio package"
fi
DIR=$CACHE/tools/fio-${ver//[:~]/_}
ROOT=$DIR/root
STAMP=$DIR/ok

if [ ! -f "$STAMP" ]; then
	say "fio $ver: fetching Debian's package and the libraries the host lacks (into $DIR)"
	rm -rf "$DIR"
	mkdir -p "$DIR/debs" "$ROOT"
	# the packages apt would install for fio on this host: fio itself and
	# the part of its dependency closure that is not installed
	mapfile -t pkgs < <(apt-get install -s --no-install-recommends "fio=$ver" 2>/dev/null |
		awk '$1 == "Inst" {print $2}')
	printf '%s\n' "${pkgs[@]}" | grep -qx fio ||
		die "fio: apt-get install -s fio=$ver names no fio package (is fio installed on the host? then use /usr/bin/fio)"
	(cd "$DIR/debs" && apt-get download "${pkgs[@]}") >"$DIR/download.log" 2>&1 ||
		{ tail -n 5 "$DIR/download.log" >&2; die "fio: apt-get download failed ($DIR/download.log)"; }
	for deb in "$DIR"/debs/*.deb; do
		dpkg-deb -x "$deb" "$ROOT" || die "fio: unpacking $deb failed"
	done
	missing=$(LD_LIBRARY_PATH=$(libdirs "$ROOT") ldd "$ROOT/usr/bin/fio" | grep 'not found' || true)
	[ -z "$missing" ] || die "fio: libraries still missing after unpacking: $(echo "$missing" | tr -s ' \t\n' ' ')"
	v=$(LD_LIBRARY_PATH=$(libdirs "$ROOT") "$ROOT/usr/bin/fio" --version) ||
		die "fio: $ROOT/usr/bin/fio --version failed"
	say "fio: $v, ${#pkgs[@]} packages ($(du -sh "$ROOT" | cut -f1) unpacked)"
	echo "$v" >"$STAMP"
fi

case "$MODE" in
root) echo "$ROOT" ;;
libpath) libdirs "$ROOT" ;;
esac
