#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the lab scripts: cache location, step logging, apt.

set -o pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${GUESTMEM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/guestmem}
JOBS=${JOBS:-$(nproc)}
mkdir -p "$CACHE/logs" "$CACHE/debs"

# Print a step banner on stderr so callers can capture stdout.
say() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# run_logged NAME CMD...: run a long step, output to a log, a dot per
# 10 s as progress, and on failure the log's tail plus its path.
run_logged() {
	local name=$1 log="$CACHE/logs/$1.log" pid rc start=$SECONDS
	shift
	say "$name (log: $log)"
	"$@" >"$log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 10
		kill -0 "$pid" 2>/dev/null && printf '.' >&2
	done
	wait "$pid"
	rc=$?
	printf ' %ds\n' $((SECONDS - start)) >&2
	if [ "$rc" -ne 0 ]; then
		tail -n 30 "$log" >&2
		die "step '$name' failed (rc=$rc), full log: $log"
	fi
}

# apt_download PKG...: fetch .debs into the cache (no install).
apt_download() {
	local p
	for p in "$@"; do
		ls "$CACHE/debs/${p}_"*.deb >/dev/null 2>&1 && continue
		(cd "$CACHE/debs" && apt-get download "$p" >/dev/null 2>&1) ||
			(apt-get update >/dev/null 2>&1 &&
			 cd "$CACHE/debs" && apt-get download "$p" >/dev/null) ||
			die "apt-get download $p failed"
	done
}

# deb_of PKG: path of the downloaded .deb of PKG.
deb_of() { ls "$CACHE/debs/${1}_"*.deb | head -n1; }

# meta_dep PKG: the first linux-* dependency of a metapackage.
meta_dep() {
	apt-cache depends --no-recommends --no-suggests "$1" 2>/dev/null |
		awk '/Depends: linux-/ {print $2; exit}'
}
