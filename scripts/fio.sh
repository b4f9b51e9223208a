#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Debian's fio for the busybox guests of `make bench`, without installing
# it on the host.
#
#   scripts/fio.sh          prints the directory ROOT, where ROOT/usr/bin/fio
#                           runs with LD_LIBRARY_PATH="$(scripts/fio.sh --libpath)"
#   scripts/fio.sh --libpath
#
# Fetched and checked by scripts/debian-tools.sh (Debian's fio and the part
# of its dependency closure the host lacks, unpacked into
# $CACHE/tools/fio-VERSION/root).
#
# Why the Debian binary and not a static build from Debian's fio source:
# it is the fio a user of these guests runs (same version, same build
# options), it needs no compiler step or deb-src entry, and the image
# grows by the libraries it links (rados, rbd, gluster, ...; ~40 MB
# uncompressed), which costs a few seconds of boot under TCG.
. "$(dirname "$0")/lib.sh"
set -eu

case "${1:-}" in
"") exec "$TOP/scripts/debian-tools.sh" fio fio ;;
--libpath) exec "$TOP/scripts/debian-tools.sh" --libpath fio fio ;;
*) die "usage: $0 [--libpath]" ;;
esac
