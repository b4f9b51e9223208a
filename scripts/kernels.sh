#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Kernel provisioning into the cache (never into the host's /boot).
#
#   kernels.sh list               ids of the matrix (scripts/matrix.conf;
#                                 scripts/matrix-extra.conf's only when named)
#   kernels.sh env ID             provision ID, print KIND KVER KDIR VMLINUZ MODROOT
#                                 (stock: reused from $CACHE/kenv for a day)
#   kernels.sh ready ID           the same, failing instead of building
#   kernels.sh source [PKG [SUITE]]  path of an unpacked linux-source
#                                 (default: the newest of the matrix)
#   kernels.sh sources            the linux-source packages of the matrix
#
# stock: image + headers .debs resolved from the metapackages, unpacked
#        under $CACHE/stock/<image-pkg>_<version>/.
# test:  Debian linux-source tree, allnoconfig + scripts/test-kernel.config,
#        built under $CACHE/test/<source-version>-<fragment-hash>/.
. "$(dirname "$0")/lib.sh"

# matrix_line ID: the line of ID in scripts/matrix.conf (the default
# matrix), or in scripts/matrix-extra.conf (ids that run only when named:
# make check KERNELS=ID)
matrix_line() {
	cat "$TOP/scripts/matrix.conf" "$TOP/scripts/matrix-extra.conf" 2>/dev/null |
		grep -v '^#' | awk -v id="$1" '$1 == id {print; exit}'
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

# usrmerged packages (sid) keep modules and vmlinuz in usr/lib/modules.
find_kernel() {
	local root=$1
	[ -d "$root/lib" ] || [ ! -d "$root/usr/lib/modules" ] || ln -s usr/lib "$root/lib"
	KVER=$(ls "$root/lib/modules" | head -n1)
	VMLINUZ=$root/boot/vmlinuz-$KVER
	[ -f "$VMLINUZ" ] || VMLINUZ=$root/lib/modules/$KVER/vmlinuz
	MODROOT=$root
	[ -f "$VMLINUZ" ] || die "no vmlinuz in $root"
}

# stock SUITE IMAGE-META HEADERS-META [SOURCE-PKG]
provision_stock() {
	local img_meta=$2 hdr_meta=$3 srcpkg=$4 img hdr ver dir deps p
	apt_suite "$1"
	img=$(meta_dep "$img_meta")
	hdr=$(meta_dep "$hdr_meta")
	[ -n "$img" ] && [ -n "$hdr" ] ||
		{ apt_update; img=$(meta_dep "$img_meta"); hdr=$(meta_dep "$hdr_meta"); }
	[ -n "$img" ] && [ -n "$hdr" ] || die "cannot resolve $img_meta / $hdr_meta in $1"
	ver=$(apt_candidate "$img")
	dir="$CACHE/stock/${img}_$ver"
	if [ ! -e "$dir/.done" ]; then
		# sid's image is itself a metapackage: take its binary/modules too
		deps=$(deps_of "$img" '^linux-(binary|modules)-')
		if [ -z "$srcpkg" ]; then
			deps="$deps $(deps_of "$hdr" '^linux-(headers|kbuild)-')"
		fi
		apt_download "$img" "$hdr" $deps
		rm -rf "$dir"
		mkdir -p "$dir/root"
		say "unpacking $img $hdr $(echo $deps)"
		for p in "$img" "$hdr" $deps; do
			dpkg-deb -x "$(deb_of "$p")" "$dir/root" ||
				die "unpacking $p failed"
		done
		[ -n "$srcpkg" ] || relocate_headers "$dir/root"
		touch "$dir/.done"
	fi
	find_kernel "$dir/root"
	KDIR=$dir/root/usr/src/linux-headers-$KVER
	[ -z "$srcpkg" ] || prepare_tree "$srcpkg" "$dir"
	[ -f "$KDIR/Makefile" ] || die "no module build tree at $KDIR"
}

# prepare_tree SOURCE-PKG DIR: a module build tree for the stock kernel
# unpacked in DIR, made from the Debian source with the image's config and
# Module.symvers, configured and modules_prepare'd with the host's gcc.
prepare_tree() {
	local hdrs=$KDIR out=$2/build rel
	[ -e "$out/.done" ] && { KDIR=$out; return; }
	unpack_source "$1"
	[ -f "$hdrs/.config" ] && [ -f "$hdrs/Module.symvers" ] ||
		die "no .config / Module.symvers in $hdrs"
	rm -rf "$out"
	mkdir -p "$out"
	cp "$hdrs/.config" "$out/.config"
	# Debian's signing keys are not in the source: modules stay unsigned
	# (the stock kernels accept that, tainting).
	"$SRC/scripts/config" --file "$out/.config" \
		--set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS "" \
		--set-str MODULE_SIG_KEY "certs/signing_key.pem" --disable MODULE_SIG_ALL
	run_logged "prepare-tree-$KVER" make -C "$SRC" O="$out" -j"$JOBS" \
		LOCALVERSION="${KVER#"$(make -s -C "$SRC" kernelversion)"}" \
		olddefconfig modules_prepare
	cp "$hdrs/Module.symvers" "$out/Module.symvers"
	rel=$(cat "$out/include/config/kernel.release")
	[ "$rel" = "$KVER" ] || die "prepared tree is '$rel', the image is '$KVER'"
	# What the host compiler changed in the config, for the record.
	diff <(grep -v '^#' "$hdrs/.config" | sort) <(grep -v '^#' "$out/.config" | sort) |
		grep '^[<>]' >"$out/config-changes.txt"
	touch "$out/.done"
	KDIR=$out
}

# unpack_source PKG: Debian linux-source tarball into $CACHE/src
# (in the suite selected with apt_suite).
unpack_source() {
	local pkg=$1 ver tarball
	ver=$(apt_candidate "$pkg")
	[ -n "$ver" ] || { apt_update; ver=$(apt_candidate "$pkg"); }
	[ -n "$ver" ] || die "$pkg not found in $APT_SUITE"
	SRCVER=$ver
	SRC="$CACHE/src/$pkg-$ver"
	# the lock's directory first: on a cold cache it does not exist yet
	mkdir -p "$CACHE/src"
	exec 8>"$CACHE/src/.lock-$pkg" || die "cannot open the lock $CACHE/src/.lock-$pkg"
	flock 8 || die "cannot lock $CACHE/src/.lock-$pkg"
	if [ ! -e "$SRC/.done" ]; then
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
	fi
	exec 8>&-
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

# test_fragment [ADDITION]: the config fragment of a test kernel,
# scripts/test-kernel.config followed by the line's own addition
# (scripts/ADDITION, e.g. test-kernel-rt.config), on stdout
test_fragment() {
	cat "$TOP/scripts/test-kernel.config" || die "no scripts/test-kernel.config"
	if [ -n "${1:-}" ]; then
		[ -f "$TOP/scripts/$1" ] || die "no fragment addition scripts/$1"
		cat "$TOP/scripts/$1"
	fi
}

# test_kernel_dir PKG [ADDITION]: where the test kernel of PKG is (to be)
# built, keyed by source version + fragment hash (the addition's name is
# in the directory's name, so that a kernel with one is never the plain
# one).
test_kernel_dir() {
	local hash
	hash=$(test_fragment "${2:-}" | sha256sum | cut -c1-12)
	echo "$CACHE/test/$1${2:+-${2%.config}}-$SRCVER-$hash"
}

# test SUITE SOURCE-PKG [ADDITION]
build_test_kernel() {
	local frag out t0
	apt_suite "$1"
	unpack_source "$2"
	out=$(test_kernel_dir "$2" "${3:-}")
	# One build per tree: a second caller waits for it instead of
	# wiping it and starting over.
	mkdir -p "$CACHE/test"
	exec 7>"$out.lock" || die "cannot open the lock $out.lock"
	[ -e "$out/.done" ] || [ "${NO_BUILD:-0}" = 1 ] || flock 7
	if [ ! -e "$out/.done" ]; then
		[ "${NO_BUILD:-0}" = 1 ] && die "test kernel $2 is not built (yet): scripts/kernels.sh env $ID builds it"
		rm -rf "$out"
		mkdir -p "$out"
		frag=$out/.guestmem-fragment.config
		test_fragment "${3:-}" >"$frag"
		t0=$SECONDS
		make -C "$SRC" O="$out" KCONFIG_ALLCONFIG="$frag" allnoconfig \
			>"$CACHE/logs/kconfig-$2${3:+-${3%.config}}.log" 2>&1 || die "allnoconfig failed"
		check_fragment "$out/.config" "$frag" ||
			die "config fragment does not apply cleanly to $2${3:+ with $3}"
		run_logged "build-test-kernel-$2${3:+-${3%.config}}" \
			make -C "$SRC" O="$out" -j"$JOBS" bzImage modules
		echo $((SECONDS - t0)) >"$out/.build-seconds"
		say "test kernel $2${3:+ + $3} built in $((SECONDS - t0)) s"
		touch "$out/.done"
	fi
	KDIR=$out
	KVER=$(cat "$out/include/config/kernel.release")
	VMLINUZ=$out/arch/x86/boot/bzImage
	MODROOT=
}

provision() {
	local line
	line=$(matrix_line "$1")
	[ -n "$line" ] || die "unknown kernel id '$1' (see scripts/matrix.conf)"
	set -- $line
	KIND=$2
	ID=$1
	shift 2
	case "$KIND" in
	stock) provision_stock "$@" ;;
	test) build_test_kernel "$@" ;;
	*) die "bad kind $KIND" ;;
	esac
}

# matrix_sources: "PKG SUITE" of every linux-source in the matrix, oldest
# first.
matrix_sources() {
	grep -v '^#' "$TOP/scripts/matrix.conf" | awk '
		$2 == "test" {print $4, $3}
		$2 == "stock" && NF >= 6 {print $6, $3}' | sort -u -V
}

# newest_source: the newest linux-source of the matrix (kunit.py comes
# from it).
newest_source() {
	local last
	last=$(matrix_sources | tail -n1)
	[ -n "$last" ] || die "no linux-source in scripts/matrix.conf"
	set -- $last
	apt_suite "$2"
	unpack_source "$1"
}

# A stock kernel's environment as resolved last time, from
# $CACHE/kenv/ID: resolving it again costs five apt-cache runs (~5 s, 25 s
# on a loaded machine), for every script that asks.  Reused while the file
# is younger than a day (apt_suite refreshes a private index daily), newer
# than the suite's apt index, made from the same matrix.conf line, and its
# kernel and build tree are still there; anything else resolves again.
KENV_DIR=$CACHE/kenv
cached_env() {
	local f=$KENV_DIR/$1 line suite lists
	line=$(matrix_line "$1")
	[ -f "$f" ] && [ -n "$(find "$f" -mmin -1440)" ] || return 1
	[ "$(head -n1 "$f")" = "# $line" ] || return 1
	suite=$(echo "$line" | awk '{print $3}')
	lists=/var/lib/apt/lists
	[ "$suite" = system ] || lists=$CACHE/apt/$suite/lists
	[ -z "$(find "$lists" -maxdepth 1 -name '*Packages*' -newer "$f" 2>/dev/null)" ] || return 1
	(. "$f" && [ "$KIND" = stock ] && [ -f "$VMLINUZ" ] && [ -f "$KDIR/Makefile" ]) || return 1
	tail -n +2 "$f"
}

case "$1" in
list) list_ids ;;
env)
	[ -n "$2" ] || die "usage: $0 env ID"
	cached_env "$2" && exit 0
	provision "$2"
	out=$(printf 'KIND=%q\nKVER=%q\nKDIR=%q\nVMLINUZ=%q\nMODROOT=%q\n' \
		"$KIND" "$KVER" "$KDIR" "$VMLINUZ" "$MODROOT")
	if [ "$KIND" = stock ]; then
		mkdir -p "$KENV_DIR"
		printf '# %s\n%s\n' "$(matrix_line "$2")" "$out" >"$KENV_DIR/$2.tmp.$$" &&
			mv "$KENV_DIR/$2.tmp.$$" "$KENV_DIR/$2"
	fi
	echo "$out"
	;;
ready)
	# kernels.sh ready ID: env, but never start a test-kernel build
	NO_BUILD=1 "$0" env "$2"
	;;
source)
	# kernels.sh source [PKG [SUITE]]: path of an unpacked linux-source
	# (default: the newest test kernel's)
	if [ -n "$2" ]; then
		apt_suite "${3:-system}"
		unpack_source "$2"
	else
		newest_source
	fi
	echo "$SRC"
	;;
sources) matrix_sources ;;
*) die "usage: $0 list | env ID | ready ID | source [PKG [SUITE]] | sources" ;;
esac
