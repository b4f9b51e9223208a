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
# rules in /lib/udev/rules.d, the README and copyright; maintainer scripts
# from packaging/deb.  Prints the path of the .deb.
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
(cd "$TOP" && git ls-files -z --cached --others --exclude-standard -- Kbuild Makefile dkms.conf drivers include kunit 2>/dev/null) |
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
cp "$TOP/README.md" "$STAGE/usr/share/doc/guestmem-dkms/"
cat >"$STAGE/usr/share/doc/guestmem-dkms/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: guestmem

Files: *
Copyright: the guestmem developers
License: GPL-2.0
 On Debian systems the full text of the GNU General Public License
 version 2 is in /usr/share/common-licenses/GPL-2.
COPYRIGHT

for f in postinst prerm postrm; do
	sed "s/@VERSION@/$VERSION/g" "$TOP/packaging/deb/$f" >"$STAGE/DEBIAN/$f"
	chmod 755 "$STAGE/DEBIAN/$f"
done
SIZE=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@SIZE@/$SIZE/" \
	"$TOP/packaging/deb/control.in" >"$STAGE/DEBIAN/control"

find "$STAGE" -type d -exec chmod 755 {} +
find "$STAGE" -type f ! -path "$STAGE/DEBIAN/*" -exec chmod 644 {} +
chmod 755 "$SRC/scripts/compat-probe.sh"
mkdir -p "$OUT"
DEB="$OUT/guestmem-dkms_${VERSION}_all.deb"
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$DEB" >/dev/null
echo "$DEB"
