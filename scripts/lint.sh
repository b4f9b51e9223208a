#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# lint.sh [ID...]: no Debian mirror named in the tree (lint-mirrors.sh,
# tests/apt-mirror.sh), checkpatch --strict on the kernel sources, then a
# W=1 + sparse (C=2) build against every kernel of the matrix (or the
# given ones); any warning fails.  Prints RESULT lines; exit 0 iff all pass.
. "$(dirname "$0")/lib.sh"
IDS=${*:-$("$TOP/scripts/kernels.sh" list)}
fails=0
result() { echo "RESULT $1 $2 ${*:3}"; [ "$2" = PASS ] || fails=$((fails + 1)); }

# no Debian mirror named in the tree; the mirror rule itself (host only)
"$TOP/scripts/lint-mirrors.sh" || fails=$((fails + 1))
"$TOP/tests/apt-mirror.sh" || fails=$((fails + 1))

# checkpatch.pl of every linux-source of the matrix: newer ones know
# newer rules (7.x asks for kzalloc_obj()), older ones must agree too.
cd "$TOP"
# (our sources only: not a local in-tree build's *.mod.c or the generated
# probe header)
files=$(find drivers include kunit -name '*.[ch]' ! -name '*_trace.h' ! -name '*.mod.c' \
	! -path 'include/generated/*' | sort)
traces=$(find drivers -name '*_trace.h')
while read -r pkg suite; do
	KSRC=$("$TOP/scripts/kernels.sh" source "$pkg" "$suite") || die "no $pkg"
	# CAMELCASE: the kernel's own page-flag helpers (__SetPageOffline) are
	# CamelCase, and without a tree checkpatch cannot tell they are not ours.
	CP="perl $KSRC/scripts/checkpatch.pl --no-tree --strict --terse --show-types --ignore CAMELCASE"
	out=$($CP -f $files 2>&1 | grep -v 'total: 0 errors, 0 warnings, 0 checks')
	# TRACE_EVENT() layout is fixed by the macro: its two style checks don't apply.
	tout=$($CP --ignore OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT -f $traces 2>&1 |
		grep -v 'total: 0 errors, 0 warnings, 0 checks')
	name=checkpatch-${pkg#linux-source-}
	if [ -z "$out$tout" ]; then
		result "$name" PASS "$(echo $files $traces | wc -w) files, --strict clean ($pkg)"
	else
		printf '%s\n%s\n' "$out" "$tout" | sed 's/^/  /' >&2
		result "$name" FAIL "see above"
	fi
done < <("$TOP/scripts/kernels.sh" sources)

# kbuild silently skips sparse it finds too old for the tree: use one that
# every tree accepts, and fail when a file was not checked.
SPARSE=$("$TOP/scripts/sparse.sh") || die "no usable sparse"
for id in $IDS; do
	if ! "$TOP/scripts/build.sh" "$id" W=1 C=2 CHECK="$SPARSE" >/dev/null; then
		result "build-$id" FAIL "build failed ($CACHE/build/$id/build.log)"
		continue
	fi
	log=$CACHE/build/$id/build.log
	w=$(grep -E 'warning:|error:|not available or not up to date' "$log")
	ncc=$(grep -E '^ +CC \[M\] +(\S*/)?(drivers|kunit)/' "$log" | grep -vc '\.mod\.o$')
	nchk=$(grep -cE '^ +CHECK +(\S*/)?(drivers|kunit)/' "$log")
	if [ "$nchk" -ne "$ncc" ] || [ "$ncc" -eq 0 ]; then
		result "build-$id" FAIL "sparse checked $nchk of $ncc files ($log)"
	elif [ -n "$w" ]; then
		echo "$w" | sed 's/^/  /' >&2
		result "build-$id" FAIL "$(echo "$w" | wc -l) warnings with W=1 C=2"
	else
		result "build-$id" PASS "W=1 C=2 clean, sparse ${SPARSE#"$CACHE"/tools/} on $nchk files: $(ls "$CACHE/build/$id/out" | tr '\n' ' ')"
	fi
done
exit $((fails > 0))
