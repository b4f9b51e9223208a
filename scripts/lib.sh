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

# Apt configurations.  "system" is the machine's own sources (Debian 12);
# any other suite (sid) goes through a private configuration under
# $CACHE/apt/SUITE, passed with -o Dir::..., so /etc/apt is never touched.
APT_SUITE=system
APT_OPTS=()
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_KEYRING=${DEBIAN_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}

# apt_update: refresh the index of the selected suite.
apt_update() {
	say "apt-get update ($APT_SUITE)"
	apt-get "${APT_OPTS[@]}" update >"$CACHE/logs/apt-update-$APT_SUITE.log" 2>&1
}

# apt_suite SUITE: select the configuration the apt_* helpers use.  A
# private index is created on first use and refreshed once a day.
apt_suite() {
	local d="$CACHE/apt/$1"
	APT_SUITE=$1
	APT_OPTS=()
	[ "$1" = system ] && return 0
	APT_OPTS=(-o "Dir::Etc::SourceList=$d/sources.list"
		-o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$d/lists"
		-o "Dir::Cache=$d/cache" -o "Dir::State::Status=$d/status"
		-o APT::Sandbox::User=root)
	# deb-src too: tools the host's release has too old (sparse) are
	# built from the suite's source package (scripts/sparse.sh).
	if ! grep -q '^deb-src' "$d/sources.list" 2>/dev/null; then
		mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
		: >"$d/status"
		printf 'deb [signed-by=%s] %s %s main\ndeb-src [signed-by=%s] %s %s main\n' \
			"$DEBIAN_KEYRING" "$DEBIAN_MIRROR" "$1" \
			"$DEBIAN_KEYRING" "$DEBIAN_MIRROR" "$1" >"$d/sources.list"
		rm -f "$d/lists/"*Packages* "$d/lists/"*Sources*
	fi
	[ -n "$(find "$d/lists" -name '*Sources*' -mmin -1440 2>/dev/null)" ] && return 0
	apt_update || warn "apt-get update for $1 failed (log: $CACHE/logs/apt-update-$1.log)"
}

# apt_candidate PKG: the version apt would download.
apt_candidate() {
	apt-cache "${APT_OPTS[@]}" policy "$1" 2>/dev/null |
		awk '/Candidate:/ && $2 != "(none)" {print $2}'
}

# apt_download PKG...: fetch the candidate .debs into the cache (no install).
apt_download() {
	local p v
	for p in "$@"; do
		v=$(apt_candidate "$p")
		[ -n "$v" ] || die "no candidate for $p in $APT_SUITE"
		[ -n "$(deb_of "$p")" ] && continue
		say "downloading $p $v ($APT_SUITE)"
		(cd "$CACHE/debs" && apt-get "${APT_OPTS[@]}" download "$p=$v" >/dev/null 2>&1) ||
			(apt_update && cd "$CACHE/debs" &&
			 apt-get "${APT_OPTS[@]}" download "$p=$v" >/dev/null) ||
			die "apt-get download $p=$v failed"
	done
}

# deb_of PKG: path of the downloaded .deb of PKG's candidate version.
deb_of() {
	local v
	v=$(apt_candidate "$1")
	ls "$CACHE/debs/${1}_${v//:/%3a}_"*.deb 2>/dev/null | head -n1
}

# deps_of PKG REGEX: the dependencies of PKG whose names match REGEX.
deps_of() {
	apt-cache "${APT_OPTS[@]}" depends --no-recommends --no-suggests "$1" 2>/dev/null |
		awk -v re="$2" '/^ *(Pre)?Depends: / && $2 ~ re {print $2}'
}

# meta_dep META: the concrete package a linux-image-* / linux-headers-*
# metapackage points to (same prefix: linux-image-amd64 -> linux-image-X).
meta_dep() {
	local prefix
	prefix=$(echo "$1" | sed -E 's/^(linux-[a-z]+-).*/\1/')
	deps_of "$1" "^$prefix[0-9]" | head -n1
}

# Kernel messages that fail a guest run (KASAN, lockdep, kmemleak, oopses).
KERNEL_REPORT_RE='BUG:|WARNING:|KASAN|possible circular locking|possible recursive locking|inconsistent lock state|INFO: |suspected memory leak|unreferenced object|Oops|Kernel panic|general protection fault|UBSAN|Call Trace:'

# dmesg_clean NAME LOG CLEAN PROTO EXTRA PASS-DETAIL REPORTS: print the
# "NAME PASS|FAIL ..." verdict for a guest's serial log.  LOG is searched
# for KERNEL_REPORT_RE (plus EXTRA, if any) outside lines starting with
# one of the PROTO words; matches go to REPORTS.  CLEAN must show the
# guest's final dmesg dump (===DMESG-END===), else it hung or crashed.
dmesg_clean() {
	local name=$1 log=$2 clean=$3 proto=$4 extra=$5 detail=$6 reports=$7
	grep -a -v -E "^($proto) " "$log" |
		grep -a -E "$KERNEL_REPORT_RE${extra:+|$extra}" >"$reports" || true
	if [ -s "$reports" ]; then
		echo "$name FAIL $(wc -l <"$reports") report lines, first: $(head -n1 "$reports" | cut -c1-160)"
	elif ! grep -q '^===DMESG-END===' "$clean"; then
		echo "$name FAIL guest did not dump its dmesg (hung or crashed?)"
	else
		echo "$name PASS $detail"
	fi
}

# guest_results CLEAN: the guest's RESULT lines: the block it repeats at the
# end (===RESULTS-BEGIN/END===), or, when it never got there, every RESULT
# line found in the (carriage-return free) serial log CLEAN
guest_results() {
	if grep -q '^===RESULTS-END===' "$1"; then
		sed -n '/^===RESULTS-BEGIN===/,/^===RESULTS-END===/p' "$1" | grep '^RESULT ' || true
	else
		grep -ao 'RESULT [a-z0-9-]* \(PASS\|FAIL\).*' "$1" || true
	fi
}

# expect_guest_results GUEST OUT NAME...: the result of each expected NAME
# from the file GUEST, "NAME FAIL no result from the guest" when it has
# none, then GUEST's further results (kmemleak, unexpected ones); all
# appended to OUT and printed
expect_guest_results() {
	local guest=$1 out=$2 s line
	shift 2
	for s in "$@"; do
		line=$(grep -m1 "^RESULT $s " "$guest" || true)
		if [ -n "$line" ]; then
			echo "$line"
		else
			echo "RESULT $s FAIL no result from the guest"
		fi
	done | tee -a "$out"
	grep -v -E "^RESULT ($(echo "$@" | tr ' ' '|')) " "$guest" | tee -a "$out" || true
}
