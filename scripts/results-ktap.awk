# SPDX-License-Identifier: GPL-2.0
# The results of a `make check` run as KTAP (version 1), the format
# KUnit and kselftest speak:
#
#   awk -f scripts/results-ktap.awk all-results.txt >results.ktap
#
# Input: "RESULT GROUP:NAME PASS|FAIL DETAIL" lines (other lines are
# ignored).  Output: one subtest per GROUP (lint, dkms, a kernel id), in
# the order the groups first appear, with one test per NAME; the detail
# goes before its result line as a diagnostic ("# ...").  A group passes
# when all its tests do; the document's plan counts the groups.
# scripts/check.sh parses the document with the kernel's own
# `kunit.py parse` and compares each test and status with the list
# `awk -v list=1 -f scripts/results-ktap.awk` prints: "GROUP:NAME STATUS"
# per result, the names as in the document, the status straight from the
# RESULT line.

# ktap_name S: a test name with nothing KTAP reads as a directive or a
# separator ("#", leading/trailing space)
function ktap_name(s) {
	gsub(/#/, "_", s)
	gsub(/^ +| +$/, "", s)
	return s
}

$1 == "RESULT" && ($3 == "PASS" || $3 == "FAIL") {
	split($2, gn, ":")
	g = gn[1]
	n = substr($2, length(g) + 2)
	if (n == "")
		n = g
	if (!(g in ntests)) {
		order[++ngroups] = g
		ntests[g] = 0
		bad[g] = 0
	}
	i = ++ntests[g]
	name[g, i] = ktap_name(n)
	ok[g, i] = $3 == "PASS"
	if ($3 != "PASS")
		bad[g]++
	d = $0
	sub(/^RESULT [^ ]+ (PASS|FAIL) ?/, "", d)
	detail[g, i] = d
	if (list)
		print ktap_name(g) ":" name[g, i], $3
}

END {
	if (list)
		exit
	print "KTAP version 1"
	print "1.." ngroups
	for (k = 1; k <= ngroups; k++) {
		g = order[k]
		print "    KTAP version 1"
		print "    # Subtest: " ktap_name(g)
		print "    1.." ntests[g]
		for (i = 1; i <= ntests[g]; i++) {
			if (detail[g, i] != "")
				print "    # " detail[g, i]
			printf "    %s %d %s\n", ok[g, i] ? "ok" : "not ok", i, name[g, i]
		}
		printf "%s %d %s\n", bad[g] ? "not ok" : "ok", k, ktap_name(g)
	}
}
