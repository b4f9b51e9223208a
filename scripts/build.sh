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
# Build from scratch every time: cheap (seconds) and never stale.
rm -rf "$B/src/include/generated"
if ! make -C "$B/src" KDIR="$KDIR" "$@" >"$B/build.log" 2>&1; then
	tail -n 40 "$B/build.log" >&2
	die "module build for $ID failed (log: $B/build.log)"
fi
rm -f "$B/out/"*.ko
find "$B/src" -name '*.ko' -exec cp {} "$B/out/" \;
echo "$B/out"
