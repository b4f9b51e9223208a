#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# apt-mirror.sh: host-only checks of the mirror rule (README, Kernel
# matrix): scripts/lib.sh debian_mirror on apt configurations made here
# (APT_CONFIG pointing at a private sources.list + sources.list.d), a
# mirror that accepts connections and never answers (the private sid
# configuration and the Debian image must fail with the DEBIAN_MIRROR
# advice within a bound, not hang), and scripts/lint-mirrors.sh on a tree
# that names a mirror.  About 15 s; no network.  One RESULT line per
# check; exit 0 iff all pass.
TOP=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d)
BH=
cleanup() {
	[ -z "$BH" ] || kill "$BH" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
fails=0
result() { echo "RESULT $1 $2 ${*:3}"; [ "$2" = PASS ] || fails=$((fails + 1)); }

# an apt configuration of our own: SL = sources.list, PARTS = sources.list.d
printf 'Dir::Etc::sourcelist "%s/sl";\nDir::Etc::sourceparts "%s/parts";\n' "$T" "$T" >"$T/apt.conf"
reset_sources() { rm -rf "$T/sl" "$T/parts"; mkdir -p "$T/parts"; }

# mirror KIND: debian_mirror's output and exit status ("rc=N") on one line
mirror() {
	env APT_CONFIG="$T/apt.conf" GUESTMEM_CACHE="$T/cache" bash -c \
		'. "$1/scripts/lib.sh"; debian_mirror "$2"' _ "$TOP" "$1" 2>"$T/err"
	echo "rc=$?"
}
# expect NAME WANT-ARCHIVE WANT-SECURITY
expect() {
	local a s
	a=$(mirror archive | xargs)
	s=$(mirror security | xargs)
	if [ "$a" = "$2" ] && [ "$s" = "$3" ]; then
		result "apt-mirror-$1" PASS "archive '$a', security '$s'"
	else
		result "apt-mirror-$1" FAIL "archive '$a' (want '$2'), security '$s' (want '$3')"
	fi
}

# deb822 as Debian 12 installs it, with comments and a multi-line key
reset_sources
cat >"$T/parts/debian.sources" <<'EOF'
Types: deb
# a comment inside the stanza
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mQINBGPL0BUBEADmW5NdOOHwPIJlgPu6JDcKw/NZJPR8lsD3K87ZM18gzyQZJD+w
 -----END PGP PUBLIC KEY BLOCK-----
URIs: http://archive.example/repo/
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://security.example/repo-sec
Suites: bookworm-security
Components: main
EOF
expect deb822 "http://archive.example/repo rc=0" "http://security.example/repo-sec rc=0"

# one-line files: a third-party repository first (Debian codename, not
# component main; another suite with main), comments, deb-src, [options]
reset_sources
cat >"$T/parts/00-vendor.list" <<'EOF'
deb [arch=amd64 signed-by=/usr/share/keyrings/vendor.gpg] https://vendor.example/linux/deb bookworm stable
deb http://node.example/node nodistro main
EOF
cat >"$T/parts/10-debian.list" <<'EOF'
# deb http://commented.example/repo bookworm main
deb-src http://src.example/repo bookworm main
deb [ arch=amd64 ] http://archive.example/repo/ bookworm main contrib # trailing
deb http://security.example/repo-sec bookworm-security main
EOF
expect one-line "http://archive.example/repo rc=0" "http://security.example/repo-sec rc=0"

# apt's order: sources.list before sources.list.d; disabled and deb-src
# stanzas skipped; lower-case field names; no security archive
reset_sources
echo 'deb http://first.example/repo trixie main' >"$T/sl"
cat >"$T/parts/a.sources" <<'EOF'
Types: deb
URIs: http://disabled.example/repo
Suites: bookworm
Components: main
Enabled: no
EOF
expect order "http://first.example/repo rc=0" "rc=0"
rm "$T/sl"
cat >>"$T/parts/a.sources" <<'EOF'

Types: deb-src
URIs: http://src.example/repo
Suites: sid
Components: main

types: deb deb-src
uris: http://a.example/repo http://b.example/repo
suites: sid
components: main
EOF
expect deb822-stanzas "http://a.example/repo rc=0" "rc=0"

# overrides
DEBIAN_MIRROR=http://override.example/repo/ DEBIAN_SECURITY_MIRROR=none \
	expect override "http://override.example/repo rc=0" "rc=0"

# no Debian archive at all: an error that says what to set
reset_sources
echo 'deb http://node.example/node nodistro main' >"$T/parts/node.list"
a=$(mirror archive | xargs)
if [ "${a#rc=}" != 0 ] && [ "${a#rc=}" != "$a" ] && grep -q 'set DEBIAN_MIRROR' "$T/err"; then
	result apt-mirror-none PASS "$a: $(cut -c1-100 "$T/err")"
else
	result apt-mirror-none FAIL "'$a', stderr: $(cut -c1-100 "$T/err")"
fi

# A mirror that accepts connections and never answers.  The private sid
# configuration of a cache made for another mirror must be rewritten
# and fail with the advice, within the bound, instead of hanging.
python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept()[0])
' >"$T/port" &
BH=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$T/port" ] && break; sleep 0.2; done
DEAD="http://127.0.0.1:$(cat "$T/port")/repo"
mkdir -p "$T/cache/apt/sid/lists"
echo 'deb [signed-by=x] http://old.example/repo sid main' >"$T/cache/apt/sid/sources.list"
touch "$T/cache/apt/sid/lists/old.example_repo_dists_sid_main_source_Sources"
t0=$SECONDS
env GUESTMEM_CACHE="$T/cache" DEBIAN_MIRROR="$DEAD" APT_NET_TIMEOUT=3 \
	timeout 60 "$TOP/scripts/kernels.sh" source linux-source-7.2 sid >"$T/out" 2>&1
rc=$? dt=$((SECONDS - t0))
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ $dt -lt 30 ] &&
	grep -q "mirror $DEAD (from DEBIAN_MIRROR) does not serve sid.*set DEBIAN_MIRROR" "$T/out" &&
	grep -q "$DEAD sid" "$T/cache/apt/sid/sources.list" &&
	[ -z "$(find "$T/cache/apt/sid/lists" -type f)" ]; then
	result apt-mirror-dead-sid PASS "rc $rc after $dt s, sources.list rewritten: $(grep -m1 ERROR "$T/out" | cut -c1-100)"
else
	result apt-mirror-dead-sid FAIL "rc $rc after $dt s (124: hung), sources.list: $(head -n1 "$T/cache/apt/sid/sources.list"), lists: $(find "$T/cache/apt/sid/lists" -type f | xargs), output: $(tail -n2 "$T/out" | tr '\n' ' ' | cut -c1-160)"
fi

# the Debian image: no kernels (a space: none of the defaults), so the
# build reaches debootstrap at once
if [ "$(id -u)" -eq 0 ] && command -v debootstrap >/dev/null; then
	t0=$SECONDS
	env GUESTMEM_CACHE="$T/cache" DEBIAN_MIRROR="$DEAD" APT_NET_TIMEOUT=3 \
		DEBIAN_IMAGE_KERNELS=' ' DEBIAN_IMAGE_P2P_KERNEL='' DEBIAN_IMAGE_CLOUD_KERNELS='' \
		timeout 60 "$TOP/scripts/debian-image.sh" build >"$T/out" 2>&1
	rc=$? dt=$((SECONDS - t0))
	if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ $dt -lt 30 ] &&
		grep -q "mirror $DEAD (from DEBIAN_MIRROR) does not serve bookworm.*set DEBIAN_MIRROR" "$T/out"; then
		result apt-mirror-dead-image PASS "rc $rc after $dt s: $(grep -m1 ERROR "$T/out" | cut -c1-100)"
	else
		result apt-mirror-dead-image FAIL "rc $rc after $dt s (124: hung): $(tail -n2 "$T/out" | tr '\n' ' ' | cut -c1-160)"
	fi
else
	result apt-mirror-dead-image FAIL "needs root and debootstrap (scripts/deps.sh)"
fi

# lint-mirrors.sh finds a mirror host and an archive-root URL (built
# here so that this file names none), and passes a clean tree
mkdir -p "$T/tree"
echo 'see https://www.debian.org/doc/ and http://192.0.2.7/repo' >"$T/tree/clean.txt"
out=$("$TOP/scripts/lint-mirrors.sh" "$T/tree" 2>/dev/null)
echo "deb http://ftp.de.deb""ian.org/deb""ian bookworm main" >"$T/tree/host.txt"
echo "M=\${M:-http://10.0.0.1:3142/deb""ian-security}" >"$T/tree/root.sh"
bad=$("$TOP/scripts/lint-mirrors.sh" "$T/tree" 2>&1)
if [ "${out#RESULT no-mirror-url PASS}" != "$out" ] &&
	echo "$bad" | grep -q '^RESULT no-mirror-url FAIL 2 ' &&
	echo "$bad" | grep -q 'host.txt:1:' && echo "$bad" | grep -q 'root.sh:1:'; then
	result apt-mirror-lint PASS "clean tree passes, both hard-coded mirrors found"
else
	result apt-mirror-lint FAIL "clean: '$out'; with two mirrors: '$(echo "$bad" | tail -n1)'"
fi
exit $((fails > 0))
