# SPDX-License-Identifier: GPL-2.0
# Host side of the ndctl/daxctl steps (tests/guest/ndctl.sh), sourced by
# tests/pmem-scenarios.sh --ndctl (our driver, at the end of the pmem boot)
# and tests/ndctl-scenarios.sh (the short in-tree boot), after
# scenario-lib.sh.

# the steps both drivers run, in the guest's order (ND_STEPS of
# tests/guest/ndctl.sh; pmem.sh's boot adds restore): the parity compares
# these
NDCTL_COMMON_STEPS="list sector fsdax-mem devdax raw region-cycle"

# ndctl_steps_for DRV: NDCTL_STEPS, the steps of a boot with driver DRV
# (intree or ours), and NDCTL_APPEND, the kernel command line that asks
# the guest for them.  sector-write (a write through the BTT, whose
# flushes come under a spinlock) runs with our driver; with the in-tree
# one it ends in "BUG: scheduling while atomic" on every Debian kernel
# and damages the guest, so only NDCTL_BTT_WRITE=1 adds it there.
#
# ndctl_steps_for DRV ID: kernel ID without CONFIG_DEV_DAX (Debian's rt
# flavour) cannot make a devdax namespace: the step leaves both lists
# (and the parity), the guest is told so (ndctl_devdax=0) and prints
# "SKIP ndctl-devdax: ..." instead, which pmem-scenarios.sh and
# ndctl-scenarios.sh require (a skip, never counted as a pass).
# NDCTL_NODEVDAX holds the reason, empty where devdax runs.
ndctl_steps_for() {
	NDCTL_STEPS=$NDCTL_COMMON_STEPS
	NDCTL_APPEND=ndctl=1
	if [ "$1" = ours ] || [ "${NDCTL_BTT_WRITE:-0}" = 1 ]; then
		NDCTL_STEPS="list sector sector-write fsdax-mem devdax raw region-cycle"
		NDCTL_APPEND="$NDCTL_APPEND ndctl_btt_write=1"
	fi
	NDCTL_NODEVDAX=
	[ -n "${2:-}" ] || return 0
	# scenario-lib.sh, sourced before this file by its users
	if ! kconfig_has "$2" DEV_DAX; then
		NDCTL_NODEVDAX="$2 has no CONFIG_DEV_DAX (no device_dax driver to bind a devdax namespace)"
		NDCTL_STEPS=$(echo " $NDCTL_STEPS " | sed 's/ devdax / /; s/^ //; s/ $//')
		NDCTL_COMMON_STEPS=$(echo " $NDCTL_COMMON_STEPS " | sed 's/ devdax / /; s/^ //; s/ $//')
		NDCTL_APPEND="$NDCTL_APPEND ndctl_devdax=0"
	fi
}

# ndctl_skip_check CLEAN: with NDCTL_NODEVDAX, the guest's SKIP line for
# the devdax step must be there, and no result for it (scenario-lib.sh
# expect_skip)
ndctl_skip_check() {
	[ -z "$NDCTL_NODEVDAX" ] || expect_skip "$1" ndctl-devdax "$NDCTL_NODEVDAX"
}

# ndctl_initramfs_args: NDCTL_ARGS for scripts/initramfs.sh: Debian's ndctl
# and daxctl with their libraries (scripts/ndctl.sh), and the in-tree
# device-dax modules (nd_btt and nd_pmem are in every image);
# NDCTL_OMIT=1 leaves the two tools out (shows that every step, and the
# parity, fail without them)
ndctl_initramfs_args() {
	local root
	root=$("$TOP/scripts/ndctl.sh") || die "scripts/ndctl.sh failed"
	NDCTL_ARGS=(--sysroot "$root")
	[ -n "${NDCTL_NODEVDAX:-}" ] || NDCTL_ARGS+=(--mod dax_pmem --mod device_dax)
	[ -n "${NDCTL_OMIT:-}" ] || NDCTL_ARGS+=(--extra "$root/usr/bin/ndctl" "$root/usr/bin/daxctl")
}

# ndctl_outcomes CLEAN RESULTS OUTFILE PREFIX: "STEP STATUS FIELDS..." per
# step from the guest's NDOUT lines and the step's RESULT PREFIXSTEP in
# RESULTS (status "missing" when there is none)
ndctl_outcomes() {
	local s st f
	: >"$3"
	for s in $NDCTL_STEPS; do
		st=$(awk -v n="$4$s" '$1 == "RESULT" && $2 == n {print $3; exit}' "$2")
		f=$(awk -v s="$s" '$1 == "NDOUT" && $2 == s {$1 = $2 = ""; sub(/^ +/, ""); print; exit}' "$1")
		echo "$s ${st:-missing} ${f:-(no outcome)}" >>"$3"
	done
}

# ndctl_parity OURS INTREE TABLE: the RESULT ndctl-parity line; every
# common step must have the same status and fields with both drivers, except the one
# deliberate difference: on devdax our driver logs its device-dax warning
# (warn=yes), the in-tree one does not (warn=no).  TABLE gets the markdown
# table (step, in-tree, ours).
ndctl_parity() {
	local ours=$1 intree=$2 table=$3 s o i bad="" ow iw
	[ -s "$ours" ] || { echo "ndctl-parity FAIL no outcomes of our driver ($ours)"; return; }
	[ -s "$intree" ] || { echo "ndctl-parity FAIL no outcomes of the in-tree driver ($intree)"; return; }
	{
		echo "| step | in-tree | ours |"
		echo "|---|---|---|"
	} >"$table"
	for s in $NDCTL_COMMON_STEPS; do
		o=$(awk -v s="$s" '$1 == s {$1 = ""; sub(/^ /, ""); print; exit}' "$ours")
		i=$(awk -v s="$s" '$1 == s {$1 = ""; sub(/^ /, ""); print; exit}' "$intree")
		echo "| $s | ${i:-missing} | ${o:-missing} |" >>"$table"
		if [ "$s" = devdax ]; then
			ow=$(echo "$o" | grep -o 'warn=[a-z]*')
			iw=$(echo "$i" | grep -o 'warn=[a-z]*')
			[ "$ow" = warn=yes ] || bad="$bad devdax:ours-${ow:-no-warn-field}(expected warn=yes)"
			[ "$iw" = warn=no ] || bad="$bad devdax:intree-${iw:-no-warn-field}(expected warn=no)"
			o=${o% warn=*}
			i=${i% warn=*}
		fi
		[ "$o" = "$i" ] || bad="$bad $s"
		case "$o" in PASS\ *) ;; *) bad="$bad $s:ours-${o%% *}" ;; esac
		case "$i" in PASS\ *) ;; *) bad="$bad $s:intree-${i%% *}" ;; esac
	done
	if [ -n "$bad" ]; then
		echo "ndctl-parity FAIL differs or fails at:$bad (table: $table)"
	else
		echo "ndctl-parity PASS $(echo $NDCTL_COMMON_STEPS | wc -w) steps, same outcome with both drivers; devdax differs as intended (ours warns, in-tree silent) (table: $table)"
	fi
}
