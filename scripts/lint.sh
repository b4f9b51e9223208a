#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# lint.sh [ID...]: checkpatch --strict on the kernel sources, then a W=1 +
# sparse (C=2) build against every kernel of the matrix (or the given
# ones); any warning fails.  Prints RESULT lines; exit 0 iff all pass.
. "$(dirname "$0")/lib.sh"
IDS=${*:-$("$TOP/scripts/kernels.sh" list)}
fails=0
result() { echo "RESULT $1 $2 ${*:3}"; [ "$2" = PASS ] || fails=$((fails + 1)); }

KSRC=$("$TOP/scripts/kernels.sh" source linux-source-6.12) || die "no linux-source"
CP="perl $KSRC/scripts/checkpatch.pl --no-tree --strict --terse --show-types"
cd "$TOP"
files=$(find drivers include kunit -name '*.[ch]' ! -name '*_trace.h' | sort)
out=$($CP -f $files 2>&1 | grep -v 'total: 0 errors, 0 warnings, 0 checks')
# TRACE_EVENT() layout is fixed by the macro: its two style checks don't apply.
tout=$($CP --ignore OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT -f $(find drivers -name '*_trace.h') 2>&1 |
	grep -v 'total: 0 errors, 0 warnings, 0 checks')
if [ -z "$out$tout" ]; then
	result checkpatch PASS "$(echo $files | wc -w) files, --strict clean"
else
	printf '%s\n%s\n' "$out" "$tout" | sed 's/^/  /' >&2
	result checkpatch FAIL "see above"
fi

for id in $IDS; do
	if ! "$TOP/scripts/build.sh" "$id" W=1 C=2 >/dev/null; then
		result "build-$id" FAIL "build failed ($CACHE/build/$id/build.log)"
		continue
	fi
	w=$(grep -E 'warning:|error:' "$CACHE/build/$id/build.log")
	if [ -n "$w" ]; then
		echo "$w" | sed 's/^/  /' >&2
		result "build-$id" FAIL "$(echo "$w" | wc -l) warnings with W=1 C=2"
	else
		result "build-$id" PASS "W=1 C=2 (sparse) clean: $(ls "$CACHE/build/$id/out" | tr '\n' ' ')"
	fi
done
exit $((fails > 0))
