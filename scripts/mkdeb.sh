#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mkdeb.sh [--version V] [--out DIR]: build guestmem-dkms_<V>_all.deb
# (`make deb`) with dpkg-deb alone, no debhelper needed.
#
# The version is dkms.conf's PACKAGE_VERSION, the one version string of
# the project (Kbuild passes it to MODULE_VERSION).  --version V builds the
# same sources as version V (the staged dkms.conf is rewritten, so package,
# DKMS and modules still agree): the DKMS test uses it for an upgrade.
#
# Contents: /usr/src/guestmem-V (what DKMS builds: Kbuild, Makefile,
# dkms.conf, drivers/, include/, kunit/, scripts/compat-probe.sh), the udev
# rules in /lib/udev/rules.d and their helper guestmem-virtio-mem-block in
# /lib/udev, the README, copyright (DEP-5) and changelog.gz; control,
# maintainer scripts, copyright and changelog from packaging/deb.  Checked by
# scripts/lint-deb.sh (lintian).  Prints the path of the .deb.
. "$(dirname "$0")/lib.sh"
set -eu

VERSION='' OUT="$TOP/dist"
while [ $# -gt 0 ]; do
	case "$1" in
	--version) VERSION=$2; shift ;;
	--out) OUT=$2; shift ;;
	*) die "usage: $0 [--version V] [--out DIR]" ;;
	esac
	shift
done
SRCVER=$(sed -n 's/^PACKAGE_VERSION="\([^"]*\)"$/\1/p' "$TOP/dkms.conf")
[ -n "$SRCVER" ] || die "no PACKAGE_VERSION in dkms.conf"
VERSION=${VERSION:-$SRCVER}
# a Debian version that is also a plain module version string
[[ "$VERSION" =~ ^[0-9][0-9A-Za-z.+~]*$ ]] || die "bad version '$VERSION'"

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
SRC="$STAGE/usr/src/guestmem-$VERSION"
mkdir -p "$SRC/scripts" "$STAGE/lib/udev/rules.d" \
	"$STAGE/usr/share/doc/guestmem-dkms" "$STAGE/DEBIAN"

# The DKMS sources: files git knows or would add (no build products, no generated
# probe header: the build regenerates it for its kernel).
# (outside a git checkout git fails: the pipeline must not, under pipefail)
{ (cd "$TOP" && git ls-files -z --cached --others --exclude-standard -- Kbuild Makefile dkms.conf drivers include kunit 2>/dev/null) || :; } |
	(cd "$TOP" && xargs -0 -r cp --parents -t "$SRC")
[ -f "$SRC/Kbuild" ] || {
	# not a git checkout (release tarball): copy the directories as they are
	(cd "$TOP" && cp -r --parents Kbuild Makefile dkms.conf drivers include kunit "$SRC")
	find "$SRC" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' \
		-o -name '*.order' -o -name '*.symvers' \) -delete
	rm -rf "$SRC/include/generated"
}
cp "$TOP/scripts/compat-probe.sh" "$SRC/scripts/"
sed -i "s/^PACKAGE_VERSION=\".*\"$/PACKAGE_VERSION=\"$VERSION\"/" "$SRC/dkms.conf"

cp "$TOP"/udev/*.rules "$STAGE/lib/udev/rules.d/"
cp "$TOP/udev/guestmem-virtio-mem-block" "$STAGE/lib/udev/"
DOC=$STAGE/usr/share/doc/guestmem-dkms
cp "$TOP/README.md" "$TOP/packaging/deb/copyright" "$DOC/"
# a native package's changelog.gz; a --version rebuild gets its own entry
{
	if [ "$VERSION" != "$SRCVER" ]; then
		printf 'guestmem-dkms (%s) unstable; urgency=medium\n\n' "$VERSION"
		printf '  * Rebuild of %s as %s (scripts/mkdeb.sh --version).\n\n' "$SRCVER" "$VERSION"
		printf ' -- %s  %s\n\n' "$(sed -n 's/^Maintainer: //p' "$TOP/packaging/deb/control.in")" \
			"$(LC_ALL=C date -R)"
	fi
	cat "$TOP/packaging/deb/changelog"
} | gzip -9n >"$DOC/changelog.gz"

for f in postinst prerm postrm; do
	sed "s/@VERSION@/$VERSION/g" "$TOP/packaging/deb/$f" >"$STAGE/DEBIAN/$f"
	chmod 755 "$STAGE/DEBIAN/$f"
done
SIZE=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@SIZE@/$SIZE/" \
	"$TOP/packaging/deb/control.in" >"$STAGE/DEBIAN/control"

find "$STAGE" -type d -exec chmod 755 {} +
find "$STAGE" -type f ! -path "$STAGE/DEBIAN/*" -exec chmod 644 {} +
chmod 755 "$SRC/scripts/compat-probe.sh" "$STAGE/lib/udev/guestmem-virtio-mem-block"
(cd "$STAGE" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
	xargs -0 md5sum) >"$STAGE/DEBIAN/md5sums"
chmod 644 "$STAGE/DEBIAN/md5sums"
mkdir -p "$OUT"
DEB="$OUT/guestmem-dkms_${VERSION}_all.deb"
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$DEB" >/dev/null
echo "$DEB"
