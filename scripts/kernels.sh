#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Kernel provisioning into the cache (never into the host's /boot).
#
#   kernels.sh list               ids of the matrix (scripts/matrix.conf)
#   kernels.sh env ID             provision ID, print KIND KVER KDIR VMLINUZ MODROOT
#
# stock: image + headers .debs resolved from the metapackages, unpacked
#        under $CACHE/stock/<image-pkg>_<version>/.
# test:  Debian linux-source tree, allnoconfig + scripts/test-kernel.config,
#        built under $CACHE/test/<source-version>-<fragment-hash>/.
. "$(dirname "$0")/lib.sh"

matrix_line() {
	grep -v '^#' "$TOP/scripts/matrix.conf" | awk -v id="$1" '$1 == id'
}

list_ids() {
	grep -v '^#' "$TOP/scripts/matrix.conf" | awk 'NF {print $1}'
}

# Debian's headers Makefiles use absolute /usr/src and /usr/lib paths:
# point them (and absolute symlinks) into the unpacked root.
relocate_headers() {
	local root=$1 f l t
	grep -rlZ --include=Makefile -e '/usr/src/' -e '/usr/lib/linux-kbuild' \
		"$root/usr/src" 2>/dev/null | xargs -0 -r sed -i \
		-e "s#\([ =]\)/usr/src/#\1$root/usr/src/#g" \
		-e "s#\([ =]\)/usr/lib/linux-kbuild#\1$root/usr/lib/linux-kbuild#g"
	find "$root" -type l | while read -r l; do
		t=$(readlink "$l")
		case "$t" in
		/usr/*) ln -sfn "$root$t" "$l" ;;
		esac
	done
}

provision_stock() {
	local img_meta=$1 hdr_meta=$2 img hdr ver dir deps p
	img=$(meta_dep "$img_meta")
	hdr=$(meta_dep "$hdr_meta")
	[ -n "$img" ] && [ -n "$hdr" ] ||
		{ apt-get update >/dev/null 2>&1; img=$(meta_dep "$img_meta"); hdr=$(meta_dep "$hdr_meta"); }
	[ -n "$img" ] || die "cannot resolve $img_meta (apt-get update?)"
	ver=$(apt-cache policy "$img" | awk '/Candidate:/ {print $2}')
	dir="$CACHE/stock/${img}_$ver"
	if [ ! -e "$dir/.done" ]; then
		deps=$(apt-cache depends --no-recommends --no-suggests "$hdr" |
			awk '/Depends: linux-(headers|kbuild)/ {print $2}')
		say "downloading $img $hdr $deps"
		apt_download "$img" "$hdr" $deps
		rm -rf "$dir"
		mkdir -p "$dir/root"
		for p in "$img" "$hdr" $deps; do
			dpkg-deb -x "$(deb_of "$p")" "$dir/root" ||
				die "unpacking $p failed"
		done
		relocate_headers "$dir/root"
		touch "$dir/.done"
	fi
	KVER=$(ls "$dir/root/lib/modules" | head -n1)
	KDIR=$dir/root/usr/src/linux-headers-$KVER
	VMLINUZ=$dir/root/boot/vmlinuz-$KVER
	MODROOT=$dir/root
	[ -f "$VMLINUZ" ] || die "no vmlinuz in $dir"
	[ -f "$KDIR/Makefile" ] || die "no headers tree at $KDIR"
}

# unpack_source PKG: Debian linux-source tarball into $CACHE/src.
unpack_source() {
	local pkg=$1 ver dir tarball
	ver=$(apt-cache policy "$pkg" | awk '/Candidate:/ {print $2}')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] ||
		{ apt-get update >/dev/null 2>&1; ver=$(apt-cache policy "$pkg" | awk '/Candidate:/ {print $2}'); }
	SRCVER=$ver
	SRC="$CACHE/src/$pkg-$ver"
	[ -e "$SRC/.done" ] && return
	say "downloading $pkg $ver"
	apt_download "$pkg"
	rm -rf "$SRC" "$CACHE/src/tmp-$pkg"
	mkdir -p "$CACHE/src/tmp-$pkg"
	dpkg-deb --fsys-tarfile "$(deb_of "$pkg")" |
		tar -x -C "$CACHE/src/tmp-$pkg" --wildcards './usr/src/linux-source-*.tar.xz' ||
		die "unpacking $pkg failed"
	say "unpacking the $pkg tarball"
	tarball=$(ls "$CACHE/src/tmp-$pkg"/usr/src/linux-source-*.tar.xz)
	mkdir -p "$SRC"
	tar -xJf "$tarball" -C "$SRC" --strip-components=1 ||
		die "extracting $tarball failed"
	rm -rf "$CACHE/src/tmp-$pkg"
	touch "$SRC/.done"
}

# Check that every =y of the fragment survived dependency resolution.
check_fragment() {
	local cfg=$1 frag=$2 line bad=0
	while read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qx "$line" "$cfg" || { warn "fragment: $line not set"; bad=1; } ;;
		"# CONFIG_"*" is not set")
			line=${line#\# }; line=${line%% *}
			grep -q "^$line=" "$cfg" && { warn "fragment: $line should be off"; bad=1; } ;;
		esac
	done <"$frag"
	return $bad
}

build_test_kernel() {
	local frag="$TOP/scripts/test-kernel.config" hash out t0
	unpack_source "$1"
	hash=$(sha256sum "$frag" | cut -c1-12)
	out="$CACHE/test/$1-$SRCVER-$hash"
	if [ ! -e "$out/.done" ]; then
		rm -rf "$out"
		mkdir -p "$out"
		t0=$SECONDS
		make -C "$SRC" O="$out" KCONFIG_ALLCONFIG="$frag" allnoconfig \
			>"$CACHE/logs/kconfig-$1.log" 2>&1 || die "allnoconfig failed"
		check_fragment "$out/.config" "$frag" ||
			die "config fragment does not apply cleanly to $1"
		run_logged "build-test-kernel-$1" \
			make -C "$SRC" O="$out" -j"$JOBS" bzImage modules
		echo $((SECONDS - t0)) >"$out/.build-seconds"
		say "test kernel $1 built in $((SECONDS - t0)) s"
		touch "$out/.done"
	fi
	KDIR=$out
	KVER=$(cat "$out/include/config/kernel.release")
	VMLINUZ=$out/arch/x86/boot/bzImage
	MODROOT=
	SRCTREE=$SRC
}

provision() {
	local line
	line=$(matrix_line "$1")
	[ -n "$line" ] || die "unknown kernel id '$1' (see scripts/matrix.conf)"
	set -- $line
	KIND=$2
	case "$KIND" in
	stock) provision_stock "$3" "$4" ;;
	test) build_test_kernel "$3" ;;
	*) die "bad kind $KIND" ;;
	esac
}

case "$1" in
list) list_ids ;;
env)
	[ -n "$2" ] || die "usage: $0 env ID"
	provision "$2"
	printf 'KIND=%q\nKVER=%q\nKDIR=%q\nVMLINUZ=%q\nMODROOT=%q\n' \
		"$KIND" "$KVER" "$KDIR" "$VMLINUZ" "$MODROOT"
	;;
source)
	# kernels.sh source PKG: print the path of an unpacked linux-source
	unpack_source "$2"
	echo "$SRC"
	;;
*) die "usage: $0 list | env ID | source PKG" ;;
esac
