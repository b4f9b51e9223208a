# SPDX-License-Identifier: GPL-2.0
# deb822-entries.awk FILE.sources: "URI SUITE COMPONENT..." for every URI
# and suite of each enabled stanza whose Types has "deb" (lib.sh
# apt_source_entries).  Field names are case-insensitive; comment lines
# are skipped; continuation lines extend the field above them.

function flush(	nu, ns, i, j, u) {
	gsub(/^[ \t]+|[ \t]+$/, "", comps)
	if (types ~ /(^|[ \t])deb([ \t]|$)/ && tolower(enabled) !~ /^[ \t]*no/) {
		nu = split(uris, U, /[ \t]+/)
		ns = split(suites, S, /[ \t]+/)
		for (i = 1; i <= nu; i++) {
			if (U[i] == "")
				continue
			u = U[i]
			sub("/+$", "", u)
			for (j = 1; j <= ns; j++)
				if (S[j] != "")
					print u, S[j], comps
		}
	}
	types = uris = suites = comps = enabled = field = ""
}

/^#/ { next }
/^[ \t]*$/ { flush(); next }
/^[ \t]/ {
	if (field == "types") types = types " " $0
	else if (field == "uris") uris = uris " " $0
	else if (field == "suites") suites = suites " " $0
	else if (field == "components") comps = comps " " $0
	next
}
{
	c = index($0, ":")
	field = tolower(substr($0, 1, c - 1))
	val = substr($0, c + 1)
	if (field == "types") types = val
	else if (field == "uris") uris = val
	else if (field == "suites") suites = val
	else if (field == "components") comps = val
	else if (field == "enabled") enabled = val
}
END { flush() }
