#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Debian's own binaries for the busybox guests, without installing them on
# the host (scripts/fio.sh: fio for `make bench`; scripts/ndctl.sh: ndctl
# and daxctl for the pmem scenarios).
#
#   scripts/debian-tools.sh [--libpath] NAME PKG[:PATH]...
#
# PKG... (each providing the tool /usr/bin/PKG, or PATH: nvme-cli:/usr/sbin/nvme)
# of the machine's Debian release and
# every package of their dependency closure that the host does not have
# installed are fetched with `apt-get download` into
# $CACHE/tools/NAME-VERSION/debs (VERSION: the first PKG's candidate) and
# unpacked into $CACHE/tools/NAME-VERSION/root (dpkg-deb -x).  The
# libraries ldd resolves are then either the host's (installed packages)
# or ROOT's; scripts/initramfs.sh --sysroot ROOT copies both kinds into the
# image, ROOT's under their path below ROOT.  The result is checked: ldd
# finds every library and each `PKG --version` runs.  A stamp file makes
# later calls instant; delete the directory to fetch again.
#
# Prints ROOT, or with --libpath the LD_LIBRARY_PATH value under which
# ROOT/usr/bin/PKG runs on the host.
. "$(dirname "$0")/lib.sh"
set -eu

MODE=root
if [ "${1:-}" = --libpath ]; then
	MODE=libpath
	shift
fi
[ $# -ge 2 ] || die "usage: $0 [--libpath] NAME PKG[:PATH]..."
NAME=$1
shift
PKGS=() BINS=()
for a in "$@"; do
	PKGS+=("${a%%:*}")
	case $a in
	*:*) BINS+=("${a#*:}") ;;
	*) BINS+=("/usr/bin/$a") ;;
	esac
done
set -- "${PKGS[@]}"

# libdirs ROOT: directories below ROOT that hold shared libraries, as a
# LD_LIBRARY_PATH value
libdirs() {
	find "$1" -name '*.so*' \( -type f -o -type l \) -printf '%h\n' | sort -u | paste -sd:
}

candidate() { apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" {print $2}'; }
ver=$(candidate "$1")
if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
	say "$NAME: no candidate in the apt lists, running apt-get update"
	apt-get update >"$CACHE/logs/apt-update-$NAME.log" 2>&1 ||
		die "apt-get update failed ($CACHE/logs/apt-update-$NAME.log)"
	ver=$(candidate "$1")
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "$NAME: the apt sources have no $1 package"
fi
DIR=$CACHE/tools/$NAME-${ver//[:~]/_}
ROOT=$DIR/root
STAMP=$DIR/ok

if [ ! -f "$STAMP" ]; then
	say "$NAME $ver: fetching Debian's $* and the libraries the host lacks (into $DIR)"
	rm -rf "$DIR"
	mkdir -p "$DIR/debs" "$ROOT"
	# the packages apt would install for PKG... on this host: the PKGs
	# themselves and the part of their dependency closure not installed
	mapfile -t pkgs < <(apt-get install -s --no-install-recommends "${@/%/=$ver}" 2>/dev/null |
		awk '$1 == "Inst" {print $2}')
	for p in "$@"; do
		printf '%s\n' "${pkgs[@]}" | grep -qx "$p" ||
			die "$NAME: apt-get install -s names no $p package (installed on the host? then use /usr/bin/$p)"
	done
	(cd "$DIR/debs" && apt-get download "${pkgs[@]}") >"$DIR/download.log" 2>&1 ||
		{ tail -n 5 "$DIR/download.log" >&2; die "$NAME: apt-get download failed ($DIR/download.log)"; }
	for deb in "$DIR"/debs/*.deb; do
		dpkg-deb -x "$deb" "$ROOT" || die "$NAME: unpacking $deb failed"
	done
	for t in "${BINS[@]}"; do
		missing=$(LD_LIBRARY_PATH=$(libdirs "$ROOT") ldd "$ROOT$t" | grep 'not found' || true)
		[ -z "$missing" ] || die "$t: libraries still missing after unpacking: $(echo "$missing" | tr -s ' \t\n' ' ')"
		v=$(LD_LIBRARY_PATH=$(libdirs "$ROOT") "$ROOT$t" --version) ||
			die "$t: $ROOT$t --version failed"
		say "${t##*/}: $v"
	done
	say "$NAME: ${#pkgs[@]} packages ($(du -sh "$ROOT" | cut -f1) unpacked)"
	echo "$v" >"$STAMP"
fi
case "$MODE" in
root) echo "$ROOT" ;;
libpath) libdirs "$ROOT" ;;
esac
