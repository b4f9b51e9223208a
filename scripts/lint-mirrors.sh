#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# lint-mirrors.sh [DIR]: fail if a file of the tree at DIR (default: ours)
# names a Debian mirror: a *.debian.org/net mirror host (deb, ftp[.cc],
# security, snapshot, httpredir, cdn-*.deb, ...) or any URL of an
# archive root (URL path /debian, /debian-security, /debian-ports).
# The lab takes its mirror from the machine's apt sources or
# DEBIAN_MIRROR (scripts/lib.sh debian_mirror), never from the tree.
# Prints one RESULT line; exit 0 iff it passes.
DIR=${1:-$(cd "$(dirname "$0")/.." && pwd)}
HOST='(deb|ftp|security|snapshot|httpredir|http|mirrors?|archive|cdn-[a-z]+\.deb)(\.[a-z]{2})?\.debian\.(org|net)'
ROOT="[a-z+]+://[^/[:space:]\"'<>]+/debian(-security|-ports|-archive)?/?([[:space:]\"'\`)};,]|\$|/(dists|pool)/)"
cd "$DIR" || exit 2
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	files() { git ls-files -z --cached --others --exclude-standard; }
else
	files() { find . -type f ! -path './.git/*' -print0; }
fi
hits=$(files | xargs -0 -r grep -n -I -i -E -e "$HOST" -e "$ROOT" -- 2>/dev/null)
if [ -n "$hits" ]; then
	echo "$hits" | sed 's/^/  /' >&2
	echo "RESULT no-mirror-url FAIL $(echo "$hits" | wc -l) hard-coded Debian mirror(s), first: $(echo "$hits" | head -n1 | cut -c1-120)"
	exit 1
fi
echo "RESULT no-mirror-url PASS $(files | tr -cd '\0' | wc -c) files name no Debian mirror"
