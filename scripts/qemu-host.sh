#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The QEMU hosts of the lab: which QEMU binary and firmware scripts/vm.sh
# runs.  Nothing is installed on the machine.
#
#   qemu-host.sh [ID]     ID: qemu-7.2 | qemu-10.0 (default: $QEMU_HOST,
#                         else qemu-7.2); prints shell-evaluable lines:
#     QEMU_HOST=ID
#     QEMU_BIN=...        the binary to run
#     QEMU_FIRMWARE=...   its -L directory (empty: QEMU's built-in paths)
#     QEMU_LIBPATH=...    LD_LIBRARY_PATH it needs (empty: the host's libraries)
#     QEMU_VERSION=...    upstream version (`--version`)
#     QEMU_DEB=...        Debian package version
#   qemu-host.sh list     the IDs
#
# qemu-7.2: the machine's QEMU, Debian 12's qemu-system-x86 (scripts/deps.sh
#   installs it).  QEMU_BIN is the command name, as vm.sh has always run
#   it (found on PATH); no -L.  A version other than 7.2 is a warning.
# qemu-10.0: Debian bookworm-backports' qemu-system-x86 10.0.x, unpacked
#   into $CACHE/qemu/<version>/ once: a private apt configuration of the
#   suite built like sid's (scripts/lib.sh apt_suite: $CACHE/apt/SUITE
#   passed with -o Dir::..., the machine's mirror or DEBIAN_MIRROR;
#   /etc/apt is never touched), `apt-get download` of qemu-system-x86 and
#   of the qemu-*, seabios and ipxe-* packages its Depends names
#   (qemu-system-common, qemu-system-data, seabios, ipxe-qemu: each from
#   the suite whose candidate satisfies the dependency, backports first,
#   else the machine's own), `dpkg-deb -x` into root/.  Its other
#   dependencies (libraries) are the host's when it has them installed in
#   a version that satisfies the Depends; any other is fetched and
#   unpacked the same way (then QEMU_LIBPATH).  firmware/ links every file of root's
#   usr/share/qemu, usr/share/seabios and usr/lib/ipxe/qemu (the
#   package's built-in firmware path, in that order): QEMU 10.0 does not
#   relocate its data directories, so without -L it would load the
#   host's (older) SeaBIOS.  -L only goes first: a file missing from
#   firmware/ would still be found in the host's directories.
#   Checked once: ldd finds every library, `--version` says 10.0, and a
#   firmware-only start (no kernel, a few seconds) prints the unpacked
#   SeaBIOS's version on the debug console.  A stamp file ("ok", holding
#   the lines printed) makes later calls instant (no apt); a lock makes a
#   second caller wait for the first.  Delete the directory to provision
#   again (the newest provisioned 10.0.x is used).  An unreachable mirror,
#   a suite without the package or a candidate that is not 10.0.x is an
#   error naming it.
. "$(dirname "$0")/lib.sh"
set -eu

ID=${1:-${QEMU_HOST:-qemu-7.2}}

# print_env BIN FIRMWARE LIBPATH VERSION DEB
print_env() {
	printf 'QEMU_HOST=%q\nQEMU_BIN=%q\nQEMU_FIRMWARE=%q\nQEMU_LIBPATH=%q\nQEMU_VERSION=%q\nQEMU_DEB=%q\n' \
		"$ID" "$@"
}

system_host() { # system_host WANT-VERSION
	local v deb
	command -v qemu-system-x86_64 >/dev/null ||
		die "$ID: no qemu-system-x86_64 on PATH (apt-get install qemu-system-x86, or scripts/deps.sh)"
	v=$(qemu-system-x86_64 --version | head -n1 | awk '{print $4}')
	[ -n "$v" ] || die "$ID: qemu-system-x86_64 --version printed no version"
	case "$v" in
	"$1"|"$1".*) ;;
	*) warn "$ID: the machine's QEMU is $v, not $1" ;;
	esac
	deb=$(dpkg-query -W -f '${Version}' qemu-system-x86 2>/dev/null || true)
	print_env qemu-system-x86_64 '' '' "$v" "$deb"
}

# satisfies VERSION "OP REQ": does VERSION meet the relation (empty: any)?
satisfies() {
	[ -z "$2" ] && return 0
	set -- "$1" $2
	case "$2" in
	'>=') dpkg --compare-versions "$1" ge "$3" ;;
	'<=') dpkg --compare-versions "$1" le "$3" ;;
	'>>') dpkg --compare-versions "$1" gt "$3" ;;
	'<<') dpkg --compare-versions "$1" lt "$3" ;;
	'=') dpkg --compare-versions "$1" eq "$3" ;;
	*) return 1 ;;
	esac
}

# depends PKG=VER: its Depends, one "NAME|OP REQ" a line (the first of
# alternatives, architecture qualifiers dropped)
depends() {
	apt-cache "${APT_OPTS[@]}" show "$1" 2>/dev/null | awk '
		/^Depends:/ { sub(/^Depends: */, ""); n = split($0, d, /, */)
			for (i = 1; i <= n; i++) {
				a = d[i]; sub(/ *\|.*/, "", a)
				name = a; sub(/[ (].*/, "", name); sub(/:.*/, "", name)
				rel = ""
				if (match(a, /\(.*\)/)) rel = substr(a, RSTART + 1, RLENGTH - 2)
				print name "|" rel
			}
			exit }'
}

# fetch PKG "OP REQ": download the candidate of PKG that satisfies the
# relation, from the backports suite or else the machine's own; appends
# "PKG VERSION SUITE" to FETCHED
fetch() {
	local s v
	for s in "$SUITE" system; do
		apt_suite "$s"
		v=$(apt_candidate "$1")
		if [ -n "$v" ] && satisfies "$v" "$2"; then
			apt_download "$1"
			FETCHED+=("$1 $v $s")
			return 0
		fi
	done
	die "$ID: no candidate of $1${2:+ ($2)} in $SUITE or the machine's sources (apt-get update?)"
}

# provisioned TOP WANT: print the stamp of the newest WANT.x provisioned
# under TOP whose binary is still there
provisioned() {
	local stamp
	stamp=$(ls -d "$1/$2".*/ok 2>/dev/null | sort -V | tail -n1 || true)
	[ -n "$stamp" ] && (. "$stamp" && [ -x "$QEMU_BIN" ]) || return 1
	cat "$stamp"
}

# backports_host WANT-VERSION SUITE
backports_host() {
	local want=$1 top=$CACHE/qemu ver dir t0 dep name rel inst bin
	local up lp missing fwlog sb got p deb deps
	SUITE=$2
	mkdir -p "$top"
	# warm: no apt at all; after the lock: another caller may have done it
	provisioned "$top" "$want" && return 0
	exec 9>"$top/.lock-$ID" || die "cannot open the lock $top/.lock-$ID"
	flock 9 || die "cannot lock $top/.lock-$ID"
	provisioned "$top" "$want" && return 0
	t0=$SECONDS
	apt_suite "$SUITE"
	ver=$(apt_candidate qemu-system-x86)
	[ -n "$ver" ] || { apt_update || true; ver=$(apt_candidate qemu-system-x86); }
	[ -n "$ver" ] || die "$ID: $SUITE has no qemu-system-x86 (mirror $(debian_mirror archive); log: $CACHE/logs/apt-update-$SUITE.log)"
	up=${ver#*:}
	case "$up" in
	"$want".*) ;;
	*) die "$ID: $SUITE offers qemu-system-x86 $ver, not $want.x: update scripts/qemu-host.sh (a host per QEMU version)" ;;
	esac
	dir=$top/${up//\~/_}
	say "$ID: provisioning Debian's qemu-system-x86 $ver ($SUITE) into $dir"
	mapfile -t deps < <(depends "qemu-system-x86=$ver")
	[ ${#deps[@]} -gt 0 ] || die "$ID: apt-cache show qemu-system-x86=$ver names no Depends"
	FETCHED=()
	apt_download qemu-system-x86
	FETCHED+=("qemu-system-x86 $ver $SUITE")
	for dep in "${deps[@]}"; do
		name=${dep%%|*}
		rel=${dep#*|}
		case "$name" in
		qemu-*|seabios|ipxe-*) fetch "$name" "$rel" ;;
		*)
			inst=$(dpkg-query -W -f '${db:Status-Abbrev}|${Version}' "$name" 2>/dev/null || true)
			if [ "${inst%%|*}" = "ii " ] && satisfies "${inst#*|}" "$rel"; then
				continue
			fi
			say "$ID: the host lacks $name${rel:+ ($rel)}: fetching it"
			fetch "$name" "$rel"
			;;
		esac
	done
	rm -rf "$dir"
	mkdir -p "$dir/root" "$dir/firmware"
	: >"$dir/packages.txt"
	for p in "${FETCHED[@]}"; do
		set -- $p
		apt_suite "$3"
		deb=$(deb_of "$1")
		[ -n "$deb" ] || die "$ID: the .deb of $1 $2 is not in $CACHE/debs"
		dpkg-deb -x "$deb" "$dir/root" || die "$ID: unpacking $deb failed"
		echo "$1 $2 $3 $(stat -c %s "$deb")" >>"$dir/packages.txt"
	done
	for p in usr/share/qemu usr/share/seabios usr/lib/ipxe/qemu; do
		[ -d "$dir/root/$p" ] || continue
		for f in "$dir/root/$p"/*; do
			[ -e "$dir/firmware/${f##*/}" ] || ln -s "../root/$p/${f##*/}" "$dir/firmware/${f##*/}"
		done
	done
	bin=$dir/root/usr/bin/qemu-system-x86_64
	[ -x "$bin" ] || die "$ID: no usr/bin/qemu-system-x86_64 in qemu-system-x86 $ver"
	lp=
	# fetched libraries (QEMU's own modules are no libraries)
	grep -qv '^qemu-\|^seabios \|^ipxe-' "$dir/packages.txt" &&
		lp=$(find "$dir/root" \( -name '*.so' -o -name '*.so.*' \) \( -type f -o -type l \) \
			! -path "$dir/root/usr/lib/x86_64-linux-gnu/qemu/*" -printf '%h\n' | sort -u | paste -sd:)
	missing=$(LD_LIBRARY_PATH=$lp ldd "$bin" | awk '/not found/ {print $1}' | paste -sd' ')
	[ -z "$missing" ] || die "$ID: libraries missing for $bin: $missing (not on the host, not in the fetched packages)"
	got=$(LD_LIBRARY_PATH=$lp "$bin" --version | head -n1) || die "$ID: $bin --version failed"
	case "$got" in
	*" version $want."*) ;;
	*) die "$ID: $bin --version says '$got', not $want" ;;
	esac
	# the firmware it loads is the unpacked one: SeaBIOS names its
	# version on the debug console (0x402) within a second of starting
	sb=$(awk '$1 == "seabios" {print $2}' "$dir/packages.txt")
	fwlog=$dir/firmware-check.log
	: >"$fwlog"
	LD_LIBRARY_PATH=$lp timeout 60 "$bin" -L "$dir/firmware" -nodefaults -display none \
		-M q35 -accel tcg -no-reboot -chardev "file,id=dbg,path=$fwlog" \
		-device isa-debugcon,iobase=0x402,chardev=dbg </dev/null >"$dir/firmware-check.out" 2>&1 &
	p=$!
	for _ in $(seq 1 300); do
		grep -q '^SeaBIOS (version' "$fwlog" && break
		kill -0 "$p" 2>/dev/null || break
		sleep 0.2
	done
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	got=$(grep -a -m1 '^SeaBIOS (version' "$fwlog" || true)
	[ -n "$got" ] || die "$ID: no SeaBIOS banner from $bin -L $dir/firmware ($fwlog, $dir/firmware-check.out)"
	case "$got" in
	*"$sb"*) ;;
	*) die "$ID: the firmware started is '$got', not the unpacked seabios $sb" ;;
	esac
	print_env "$bin" "$dir/firmware" "$lp" "$(LD_LIBRARY_PATH=$lp "$bin" --version | head -n1 | awk '{print $4}')" "$ver" >"$dir/ok.tmp"
	mv "$dir/ok.tmp" "$dir/ok"
	say "$ID: $(wc -l <"$dir/packages.txt") packages ($(awk '{s += $4} END {printf "%.1f MB", s / 1e6}' "$dir/packages.txt") of .debs, $(du -sh "$dir/root" | cut -f1) unpacked) in $((SECONDS - t0)) s; $got"
	cat "$dir/ok"
}

case "$ID" in
list) printf '%s\n' qemu-7.2 qemu-10.0 ;;
qemu-7.2) system_host 7.2 ;;
qemu-10.0) backports_host 10.0 bookworm-backports ;;
*) die "unknown QEMU host '$ID' (scripts/qemu-host.sh list)" ;;
esac
