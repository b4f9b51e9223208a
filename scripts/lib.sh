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
# elapsed [T]: seconds since T (a `date +%s.%N` value; default $T0), one decimal
elapsed() { awk -v a="${1:-$T0}" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}'; }

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
# Its mirror is the machine's own (debian_mirror), or DEBIAN_MIRROR.
APT_SUITE=system
APT_OPTS=()
DEBIAN_KEYRING=${DEBIAN_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
# network waits (seconds) of the private configurations and the mirror
# check: a dead mirror fails in seconds, not after apt's default 120 s
# per attempt and retries (debootstrap's wget: 900 s and 20 tries)
APT_NET_TIMEOUT=${APT_NET_TIMEOUT:-20}
APT_NET_OPTS=(-o "Acquire::http::Timeout=$APT_NET_TIMEOUT"
	-o "Acquire::https::Timeout=$APT_NET_TIMEOUT" -o "Acquire::ftp::Timeout=$APT_NET_TIMEOUT")

# apt_source_entries: "URI SUITE COMPONENT..." for every enabled "deb"
# entry of the machine's apt sources, in apt's order (sources.list, then
# the *.list and *.sources files of sources.list.d by name); one-line and
# deb822 formats, comments and [options] dropped, URIs without a final /.
apt_source_entries() {
	local list='' parts='' f
	eval "$(apt-config shell list Dir::Etc::sourcelist/f parts Dir::Etc::sourceparts/d)"
	{
		[ -f "$list" ] && echo "$list"
		[ -d "$parts" ] && find "$parts" -maxdepth 1 -type f \( -name '*.list' -o -name '*.sources' \) |
			LC_ALL=C sort
	} | while read -r f; do
		case "$f" in
		*.sources) awk -f "$TOP/scripts/deb822-entries.awk" "$f" ;;
		*) sed -E 's/#.*//; s/\[[^]]*\]//' "$f" |
			awk '$1 == "deb" && NF >= 3 {sub("/+$", "", $2); $1 = ""; print substr($0, 2)}' ;;
		esac
	done
}

# debian_mirror [archive|security]: the Debian archive (or its security
# archive) URL of the machine's apt sources: the first entry for a Debian
# suite (the host's codename, a Debian codename or alias, with -updates
# or -backports; -security for the security archive) with component main.
# DEBIAN_MIRROR / DEBIAN_SECURITY_MIRROR override it.  No archive mirror
# is an error saying how to set one; no security mirror prints nothing
# (DEBIAN_SECURITY_MIRROR=none asks for none).
debian_mirror() {
	local kind=${1:-archive} names re url
	case "$kind" in
	archive) url=${DEBIAN_MIRROR:-} ;;
	security) url=${DEBIAN_SECURITY_MIRROR:-} ;;
	*) die "debian_mirror: unknown kind $kind" ;;
	esac
	if [ -n "$url" ]; then
		[ "$url" = none ] || echo "${url%/}"
		return 0
	fi
	names=$( (. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}"
		cut -d, -f3 /usr/share/distro-info/debian.csv 2>/dev/null | tail -n +2
		echo sid unstable testing stable oldstable oldoldstable experimental) |
		tr -s ' \n' '|' | sed 's/^|//; s/|$//')
	if [ "$kind" = archive ]; then
		re="^($names)(-updates|-backports|-proposed-updates)?\$"
	else
		re="^($names)(-security|/updates)\$"
	fi
	url=$(apt_source_entries | awk -v re="$re" '
		$2 ~ re { for (i = 3; i <= NF; i++) if ($i == "main") { print $1; exit } }')
	if [ -z "$url" ] && [ "$kind" = archive ]; then
		die "no Debian archive in the machine's apt sources ($(apt-config shell l Dir::Etc::sourcelist/f p Dir::Etc::sourceparts/d | sed "s/^[lp]=//" | tr '\n' ' ')): set DEBIAN_MIRROR, e.g. DEBIAN_MIRROR=http://<your mirror>/debian"
	fi
	[ -z "$url" ] || echo "$url"
}

# debian_mirror_check URL SUITE: fail within seconds, with a message that
# says how to choose another mirror, unless URL serves SUITE's InRelease.
debian_mirror_check() {
	local tmp log="$CACHE/logs/mirror-check.log" from="the machine's apt sources"
	[ -z "${DEBIAN_MIRROR:-}" ] || from=DEBIAN_MIRROR
	tmp=$(mktemp)
	if /usr/lib/apt/apt-helper "${APT_NET_OPTS[@]}" -o Acquire::Retries=0 \
		download-file "$1/dists/$2/InRelease" "$tmp" >"$log" 2>&1; then
		rm -f "$tmp"
		return 0
	fi
	rm -f "$tmp"
	die "the Debian mirror $1 (from $from) does not serve $2 ($(grep -m1 '^E:' "$log" | cut -c4-140)); set DEBIAN_MIRROR=http://<reachable mirror>/debian (log: $log)"
}

# apt_update: refresh the index of the selected suite.
apt_update() {
	say "apt-get update ($APT_SUITE)"
	apt-get "${APT_OPTS[@]}" update >"$CACHE/logs/apt-update-$APT_SUITE.log" 2>&1
}

# apt_suite SUITE: select the configuration the apt_* helpers use.  A
# private index is created on first use and refreshed once a day.
apt_suite() {
	local d="$CACHE/apt/$1" mirror want
	APT_SUITE=$1
	APT_OPTS=()
	[ "$1" = system ] && return 0
	APT_OPTS=(-o "Dir::Etc::SourceList=$d/sources.list"
		-o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$d/lists"
		-o "Dir::Cache=$d/cache" -o "Dir::State::Status=$d/status"
		-o APT::Sandbox::User=root "${APT_NET_OPTS[@]}")
	mirror=$(debian_mirror archive) || exit 1
	# deb-src too: tools the host's release has too old (sparse) are
	# built from the suite's source package (scripts/sparse.sh).  A
	# configuration of another mirror (or without deb-src) is rewritten.
	want=$(printf 'deb [signed-by=%s] %s %s main\ndeb-src [signed-by=%s] %s %s main' \
		"$DEBIAN_KEYRING" "$mirror" "$1" "$DEBIAN_KEYRING" "$mirror" "$1")
	if [ "$(cat "$d/sources.list" 2>/dev/null)" != "$want" ]; then
		mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
		: >"$d/status"
		echo "$want" >"$d/sources.list.tmp"
		mv "$d/sources.list.tmp" "$d/sources.list"
		rm -f "$d/lists/"*Packages* "$d/lists/"*Sources* "$d/lists/"*Release*
	fi
	[ -n "$(find "$d/lists" -name '*Sources*' -mmin -1440 2>/dev/null)" ] && return 0
	# no index yet: an unreachable mirror is an error; a stale one is kept
	if [ -z "$(find "$d/lists" -name '*Sources*' 2>/dev/null)" ]; then
		debian_mirror_check "$mirror" "$1"
		apt_update || die "apt-get update for $1 from $mirror failed (log: $CACHE/logs/apt-update-$1.log)"
	elif ! (debian_mirror_check "$mirror" "$1") || ! apt_update; then
		warn "refreshing the $1 index from $mirror failed: using the one of $(date -r "$(find "$d/lists" -name '*Sources*' | head -n1)" +%F)"
	fi
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

# qemu_version: the first line of `--version` of the QEMU scripts/vm.sh
# runs ($QEMU_HOST, see scripts/qemu-host.sh), for the reports
qemu_version() {
	local env
	env=$("$TOP/scripts/qemu-host.sh") || return 1
	(
		eval "$env"
		if [ -n "$QEMU_LIBPATH" ]; then
			LD_LIBRARY_PATH=$QEMU_LIBPATH "$QEMU_BIN" --version
		else
			"$QEMU_BIN" --version
		fi | head -n1
	)
}

# Kernel messages that fail a guest run (KASAN, lockdep, kmemleak, oopses).
KERNEL_REPORT_RE='BUG:|WARNING:|KASAN|possible circular locking|possible recursive locking|inconsistent lock state|INFO: |suspected memory leak|unreferenced object|Oops|Kernel panic|general protection fault|UBSAN|Call Trace:'

# kasan_follows_la57 KERNEL-IMAGE: true when KERNEL-IMAGE is a KASAN
# build (the test kernels: the image in arch/x86/boot/ of a build tree
# with its .config) whose pgtable_l5_enabled() reads the LA57 CPU flag.
# Its KASAN shadow bounds (__VIRTUAL_MASK_SHIFT) then follow that flag,
# and identify_cpu() zeroes the boot CPU's flags for a while with
# interrupts on: an interrupt in that window has KASAN check a 5-level
# direct-map address against 4-level bounds ("BUG: KASAN:
# wild-memory-access in rcu_is_watching", 0.003 s into a boot; under TCG
# 5 of 120 test-7.2 boots three at a time on 2 cores, 0 of 120 with
# no5lvl).  vm.sh boots such kernels with no5lvl (4-level paging, the
# flag never set); the stock kernels (no KASAN) keep 5-level paging.
kasan_follows_la57() {
	local tree src
	tree=$(cd "$(dirname "$1")/../../.." 2>/dev/null && pwd) || return 1
	grep -qx 'CONFIG_KASAN=y' "$tree/.config" 2>/dev/null || return 1
	src=$tree
	[ -d "$tree/source/arch" ] && src=$tree/source
	grep -q '^#define pgtable_l5_enabled() cpu_feature_enabled(X86_FEATURE_LA57)' \
		"$src/arch/x86/include/asm/pgtable_64_types.h" 2>/dev/null
}

# boot_report LOG [MARKER]: the first kernel report in LOG when it came
# before a line matching MARKER (default: the guest's /init printing its
# first line, "INIT: kernel ...", i.e. in the kernel's own boot, before any
# module of ours could be loaded; TCG flakes seen there: int3 Oopses in
# core text on stock 6.12, and the KASAN one kasan_follows_la57 explains);
# exit 1 if there is none
boot_report() {
	awk -v re="$KERNEL_REPORT_RE" -v marker="${2:-^INIT: }" '{sub(/\r$/, "")}
		$0 ~ marker {exit 1}
		$0 ~ re {print; found = 1; exit 0} END {if (!found) exit 1}' "$1"
}

# tcg_int3_oops LOG: when the first kernel report in serial log LOG is an
# "Oops: int3" trapped in core kernel text (its RIP names no module), print
# "<oops line> at <RIP symbol>"; else status 1.  Seen under TCG on stock
# 6.12 only, with the RIP in core code: in enqueue_timer 1.3 s into a boot
# before any module was loaded, and 7.7 s into an in-tree durability check
# boot; the cause (a breakpoint byte of the kernel's own text patching,
# executed by another vCPU) is not pinned down.  Callers boot once more and
# name the first crash in their result; an int3 in a module is never
# retried, nor is any other report.
tcg_int3_oops() {
	tr -d '\r' <"$1" | awk -v re="$KERNEL_REPORT_RE" '
		!oops && /^(RESULT|DURCHK|DURINFO|INIT:|AGENT:) / { next }
		!oops && $0 ~ re {
			if ($0 !~ /Oops: int3/) exit 1
			oops = $0; sub(/^\[ *[0-9.]*\] /, "", oops); next
		}
		oops && /RIP: / {
			if ($0 ~ /\[[a-z0-9_]+\]/) exit 1
			sub(/.*RIP: [0-9a-f]*:/, ""); print oops " at " $1; found = 1; exit 0
		}
		END { if (!found) exit 1 }'
}

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
# none, then GUEST's further results (kmemleak, unexpected ones); a name
# the guest reported more than once is one FAIL (a second result must not
# hide behind the first); all appended to OUT and printed
expect_guest_results() {
	local guest=$1 out=$2 s line
	shift 2
	{
		for s in "$@"; do
			grep "^RESULT $s " "$guest" || echo "RESULT $s FAIL no result from the guest"
		done
		grep -v -E "^RESULT ($(echo "$@" | tr ' ' '|')) " "$guest" || true
	} | awk '{ n[$2]++; st[$2] = st[$2] (n[$2] > 1 ? "," : "") $3
			if (n[$2] == 1) { order[++k] = $2; first[$2] = $0 } }
		END { for (i = 1; i <= k; i++) {
			s = order[i]
			if (n[s] == 1) print first[s]
			else print "RESULT " s " FAIL " n[s] " results of this name (" st[s] "), first: " substr(first[s], length(s) + 9)
		} }' | tee -a "$out"
}
