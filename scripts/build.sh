#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# build.sh ID [make args...]: build our modules for kernel ID of the matrix
# in a private copy of the sources ($CACHE/build/ID/src), so several
# kernels can be built without disturbing the work tree.  Prints the
# directory holding the .ko files (nd_virtio.ko, virtio_pmem.ko, and
# vpmem_kunit.ko on KUnit kernels).  The build log is $CACHE/build/ID/build.log.
. "$(dirname "$0")/lib.sh"
set -e
ID=$1
shift || die "usage: $0 ID [make args]"
eval "$("$TOP/scripts/kernels.sh" env "$ID")"
B="$CACHE/build/$ID"
mkdir -p "$B/src" "$B/out"
# One build per kernel at a time (make check, bench and demo share $B).
exec 9>"$B.lock"
flock 9
rsync -a --delete --exclude .git --exclude /results --exclude '*.ko' \
	--exclude /include/generated "$TOP/" "$B/src/"
# Build from scratch (rsync --delete removed the objects): never stale.
rm -rf "$B/src/include/generated"
# Except that a plain build reuses the modules of the last build of the
# same sources for the same kernel when that build's make arguments only
# added checks (W=, C=, CHECK=: lint's W=1 + sparse build makes the same
# .ko files), recorded in $B/out.stamp (make check: the kernel groups use
# lint's builds, ~25 s of CPU each)
stamp=$({
	(cd "$B/src" && find . -type f ! -name '*.ko' -print0 | sort -z | xargs -0 sha1sum)
	echo "$KDIR"
} | sha1sum | cut -d' ' -f1)
if [ $# -eq 0 ] && [ "$(cat "$B/out.stamp" 2>/dev/null)" = "$stamp" ] &&
	ls "$B/out/"*.ko >/dev/null 2>&1; then
	echo "$B/out"
	exit 0
fi
checks_only=1
for a in "$@"; do
	case $a in
	W=* | C=* | CHECK=*) ;;
	*) checks_only=0 ;;
	esac
done
rm -f "$B/out.stamp"
if ! make -C "$B/src" KDIR="$KDIR" "$@" >"$B/build.log" 2>&1; then
	tail -n 40 "$B/build.log" >&2
	die "module build for $ID failed (log: $B/build.log)"
fi
rm -f "$B/out/"*.ko
find "$B/src" -name '*.ko' -exec cp {} "$B/out/" \;
[ $checks_only = 1 ] && echo "$stamp" >"$B/out.stamp"
echo "$B/out"
