#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# lint-deb.sh NAME DEB: lintian on the package scripts/mkdeb.sh built
# (`make check`, group dkms, next to its package build).  Every tag is
# shown (-EvIL +pedantic: errors, warnings, info, pedantic, experimental);
# any error or warning fails.  Overrides, should one be needed, go in the
# package's usr/share/lintian/overrides/guestmem-dkms, each with a comment
# saying why.  Prints one RESULT line; exit 0 iff it passes.
. "$(dirname "$0")/lib.sh"
set -u
[ $# -eq 2 ] || die "usage: $0 NAME DEB"
name=$1 deb=$2
if ! command -v lintian >/dev/null; then
	echo "RESULT $name FAIL lintian not installed (scripts/deps.sh installs it)"
	exit 1
fi
# (lintian warns on stderr when it runs as root, as make check may)
out=$(lintian -EvIL +pedantic --display-info "$deb" 2>/dev/null)
rc=$?
tags=$(echo "$out" | grep -E '^[EWIPXO]: ')
[ -n "$tags" ] && echo "$tags" | sed 's/^/  /'
counts=$(echo "$tags" | awk 'NF >= 3 {print $1 $3}' | sort | uniq -c |
	awk '{printf "%s%s %d", sep, $2, $1; sep=", "}')
nbad=$(echo "$tags" | grep -c '^[EW]: ')
v=$(lintian --version | sed 's/^Lintian v//')
if [ "$nbad" -gt 0 ]; then
	echo "RESULT $name FAIL lintian $v: $nbad errors/warnings on $(basename "$deb") ($counts)"
elif [ "$rc" -ne 0 ]; then
	echo "RESULT $name FAIL lintian $v exited $rc on $(basename "$deb") without an error or warning tag"
else
	echo "RESULT $name PASS lintian $v -EvIL +pedantic: 0 errors, 0 warnings on $(basename "$deb")${counts:+ (other tags: $counts)}"
	exit 0
fi
exit 1
