#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# sparse.sh: print the path of a sparse that every tree of the matrix
# accepts.  Debian 12's sparse (0.6.4) cannot parse what 7.x headers use
# (__typeof_unqual__); kbuild then prints "C=2 specified, but sparse is
# not available or not up to date" and silently skips the check.  So the
# sparse of Debian sid is built from its source package (a private apt
# configuration, see lib.sh) into the cache, once: about 20 s.
. "$(dirname "$0")/lib.sh"
SUITE=${SPARSE_SUITE:-sid}

have=$(ls -d "$CACHE"/tools/sparse-*/sparse 2>/dev/null | sort -V | tail -n1)
if [ -n "$have" ] && [ -x "$have" ]; then
	echo "$have"
	exit 0
fi
apt_suite "$SUITE"
ver=$(apt-cache "${APT_OPTS[@]}" showsrc sparse 2>/dev/null |
	awk '/^Version:/ {print $2}' | sort -V | tail -n1)
[ -n "$ver" ] || die "no sparse source package in $SUITE"
out=$CACHE/tools/sparse-$ver
tmp=$CACHE/tools/sparse-tmp
rm -rf "$tmp" "$out"
mkdir -p "$tmp"
say "sparse: building sparse $ver from $SUITE's source package"
(cd "$tmp" && apt-get "${APT_OPTS[@]}" source --download-only "sparse=$ver") \
	>"$CACHE/logs/sparse-download.log" 2>&1 ||
	die "downloading the sparse source failed ($CACHE/logs/sparse-download.log)"
tar -xf "$(ls "$tmp"/sparse_*.orig.tar.* | head -n1)" -C "$tmp" || die "unpacking sparse failed"
src=$(ls -d "$tmp"/sparse-*/ | head -n1)
run_logged sparse-build make -C "$src" -j"$JOBS" sparse
mkdir -p "$out"
cp "$src/sparse" "$out/sparse"
rm -rf "$tmp"
echo "$out/sparse"
