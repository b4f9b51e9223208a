# SPDX-License-Identifier: GPL-2.0
# Host-side pieces shared by the guest scenario scripts (tests/*.sh), sourced
# after scripts/lib.sh.  Every scenario writes its RESULT lines to
# $OUT/results.txt and ends with a SUMMARY line.

# scenario_out DIR: OUT, the scenario's output directory, created and absolute
scenario_out() {
	mkdir -p "$1"
	OUT=$(realpath "$1")
}

# emit NAME PASS|FAIL DETAIL: one host-side result
emit() { echo "RESULT $*" | tee -a "$OUT/results.txt"; }

# kconfig_has ID SYMBOL: kernel ID's configuration has CONFIG_SYMBOL (=y or
# =m); what a scenario cannot do on a kernel is decided here, on the host,
# from the config, never by the guest finding something missing
kconfig_has() {
	local kdir
	kdir=$("$TOP/scripts/kernels.sh" ready "$1" | sed -n 's/^KDIR=//p')
	[ -f "$kdir/.config" ] || die "no .config for $1 in '$kdir'"
	grep -q "^CONFIG_$2=[ym]" "$kdir/.config"
}

# expect_skip CLEAN NAME REASON: the host told the guest not to run NAME
# (REASON): the guest must print "SKIP NAME: ..." (the caller shows the
# guest's SKIP lines; never counted) and no result for it; otherwise
# NAME-skipped FAILs
expect_skip() {
	if grep -q "^RESULT $2 " "$1"; then
		emit "$2-skipped FAIL the guest ran $2 although $3"
	elif ! grep -q "^SKIP $2: " "$1"; then
		emit "$2-skipped FAIL the guest printed no SKIP for $2 ($3)"
	fi
}

# results_begin SERIAL: the serial log without carriage returns in $CLEAN
# ($OUT/serial.clean.log), an empty $OUT/results.txt
results_begin() {
	CLEAN=$OUT/serial.clean.log
	tr -d '\r' <"$1" >"$CLEAN"
	: >"$OUT/results.txt"
}

# boot_retried: "; <reason>" when scripts/vm.sh --retry-early booted twice
boot_retried() {
	[ -s "$OUT/boot-retried.txt" ] && printf '; %s' "$(cat "$OUT/boot-retried.txt")"
	return 0
}

# emit_boot NAME QEMU_RC DETAIL [MARKER]: NAME passes when the guest reached
# its scenario (MARKER, an extended regular expression on $CLEAN; default
# the init's SCENARIO-START line)
emit_boot() {
	local name=$1 rc=$2 detail=$3 marker=${4:-^INIT: SCENARIO-START}
	if grep -aqE "$marker" "$CLEAN"; then
		emit "$name PASS scenario reached (QEMU rc=$rc, $detail$(boot_retried))"
	else
		emit "$name FAIL guest never reached the scenario (QEMU rc=$rc; see $CLEAN)"
	fi
}

# results_summary WHAT DETAIL: "SUMMARY WHAT: N passed, N failed; DETAIL";
# status 0 iff there is at least one result and none failed
results_summary() {
	local npass nfail
	npass=$(grep -c '^RESULT [^ ]* PASS' "$OUT/results.txt" || true)
	nfail=$(grep -c '^RESULT [^ ]* FAIL' "$OUT/results.txt" || true)
	echo "SUMMARY $1: $npass passed, $nfail failed; $2; logs in $OUT"
	[ "$npass" -ge 1 ] && [ "$nfail" -eq 0 ]
}

# --- virtio-mem scenarios (tests/vmem-scenarios.sh, vmem-scale-scenarios.sh)

# driver_args ARG...: the driver choice at the head of a scenario script's
# arguments, "--intree" or "--ours DIR" (the caller's usage() if DIR is
# missing).  Sets DRV (intree, ours, or empty when ARG starts with
# neither), MODARGS (the initramfs.sh options for it: --intree,
# --ours ABSDIR, or none) and DRV_ARGC (how many arguments it took).
driver_args() {
	DRV=
	MODARGS=()
	DRV_ARGC=0
	case "${1:-}" in
	--intree)
		DRV=intree
		MODARGS=(--intree)
		DRV_ARGC=1
		;;
	--ours)
		[ $# -ge 2 ] || usage
		DRV=ours
		MODARGS=(--ours "$(realpath "$2")")
		DRV_ARGC=2
		;;
	esac
}

# vmem_scenario_args ID [--intree | --ours DIR] OUTDIR: ID, DRV (intree or
# ours), VMEMARGS for scripts/initramfs.sh, OUT and the log paths SERIAL,
# TRACE, CTLLOG, CTLSOCK; usage() is the caller's
vmem_scenario_args() {
	[ $# -ge 2 ] || usage
	ID=$1
	shift
	driver_args "$@"
	shift "$DRV_ARGC"
	DRV=${DRV:-intree}
	VMEMARGS=(--vmem intree)
	[ "$DRV" = ours ] && VMEMARGS=(--vmem ours "${MODARGS[1]}")
	[ $# -eq 1 ] || usage
	scenario_out "$1"
	SERIAL=$OUT/serial.log
	TRACE=$OUT/trace.log
	CTLLOG=$OUT/ctl.log
	CTLSOCK=$OUT/ctl.sock
}

# vmemhold_tool: VMEMHOLD, the static tools/vmemhold (given, the cache's
# when newer than its source, or built into $OUT/tools)
vmemhold_tool() {
	VMEMHOLD=${VMEMHOLD:-}
	[ -n "$VMEMHOLD" ] && return
	if [ -x "$CACHE/tools/vmemhold" ] && [ "$CACHE/tools/vmemhold" -nt "$TOP/tools/vmemhold.c" ]; then
		VMEMHOLD=$CACHE/tools/vmemhold
		return
	fi
	make -s -C "$TOP/tools" O="$OUT/tools" "$OUT/tools/vmemhold" >"$OUT/tools.log" 2>&1 ||
		die "building tools/vmemhold failed ($OUT/tools.log)"
	VMEMHOLD=$OUT/tools/vmemhold
}

# vmem_host_start: empty logs, then the host half (scripts/vmem-host.py:
# the guest's resize requests on CTLSOCK, served over QMP) in HOSTPID
vmem_host_start() {
	rm -f "$OUT/results.txt" "$CTLSOCK"
	: >"$SERIAL"
	: >"$TRACE"
	: >"$CTLLOG"
	python3 "$TOP/scripts/vmem-host.py" --ctl "$CTLSOCK" --qmp "$OUT/qmp.sock" \
		--trace "$TRACE" --log "$CTLLOG" &
	HOSTPID=$!
	trap 'kill $HOSTPID 2>/dev/null || true' EXIT
}

# vmem_boot VM.SH-ARGS...: one guest boot with the host half serving it
# (vmem_host_start, scripts/vm.sh --stop-early, vmem_host_stop); sets rc.
# A boot stopped for a kernel report before the guest's /init ran (vm.sh
# exit 75: a TCG flake of the kernel's own boot, nothing of ours loaded) is
# booted once more with a fresh host half (which exits with its QEMU); its
# reason stays in $OUT/boot-retried.txt for emit_boot, the first log in
# serial.try1.log.  A second early stop is not retried: that boot reaches
# no scenario and fails emit_boot.
vmem_boot() {
	local why='' try
	for try in 1 2; do
		vmem_host_start
		rc=0
		"$TOP/scripts/vm.sh" --stop-early "$@" || rc=$?
		vmem_host_stop
		[ "$rc" = 75 ] && [ "$try" = 1 ] || break
		why=$(cat "$OUT/boot-retried.txt" 2>/dev/null || true)
		warn "vmem: $why; booting once more"
	done
	# vm.sh clears the file at its start: the second boot's own, or the first's
	[ -z "$why" ] || [ -s "$OUT/boot-retried.txt" ] || echo "$why" >"$OUT/boot-retried.txt"
}

# vmem_host_stop: after QEMU exited, give the host half 5 s to finish its
# log, stop it, drop the guest's images and the socket
vmem_host_stop() {
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$HOSTPID" 2>/dev/null || break
		sleep 0.5
	done
	kill "$HOSTPID" 2>/dev/null || true
	wait "$HOSTPID" 2>/dev/null || true
	rm -f "$OUT"/*.img "$CTLSOCK"
}

# kunit_setup ID MODS DEP...: the KUnit suites kernel ID must run with our
# modules in MODS: KUNIT_SUITES (p2pmem's on CONFIG_PCI_P2PDMA kernels),
# KUNIT_SRCS (the kunit/*.c defining them), KUNIT_EXTRA (the .ko files the
# guest's common.sh kunit_run needs in /bin: the DEP modules it loads
# itself, then the KUnit modules) and KUNIT_LOADS (its kunit-load-NAME
# results); KUNIT_PY, the kernel's own kunit.py
kunit_setup() {
	local id=$1 mods=$2 kdir m
	shift 2
	kdir=$("$TOP/scripts/kernels.sh" ready "$id" | sed -n 's/^KDIR=//p')
	KUNIT_SUITES="vpmem_coalesce vpmem_logic vmem_protocol vmem_geometry vmem_sb vmem_select"
	KUNIT_SRCS="vpmem_kunit.c vmem_kunit.c"
	set -- "$@" vpmem_kunit vmem_kunit
	if grep -qx CONFIG_PCI_P2PDMA=y "$kdir/.config"; then
		KUNIT_SUITES="$KUNIT_SUITES p2pmem_cmb p2pmem_logic"
		KUNIT_SRCS="$KUNIT_SRCS p2pmem_kunit.c"
		set -- "$@" p2pmem_pci p2pmem_kunit
	fi
	KUNIT_EXTRA=() KUNIT_LOADS=''
	for m in "$@"; do
		[ -f "$mods/$m.ko" ] || die "$id: no $m.ko in $mods (KUnit needs it)"
		KUNIT_EXTRA+=("$mods/$m.ko")
		KUNIT_LOADS="$KUNIT_LOADS kunit-load-$m"
	done
	KUNIT_PY=$("$TOP/scripts/kernels.sh" source)/tools/testing/kunit/kunit.py
}

# kunit_report LOG: from the KTAP documents the guest printed in LOG (no
# carriage returns), kunit-suites (the suites kunit/*.c defines are the
# expected ones: a new suite must be listed in kunit_setup) and one
# kunit-SUITE result per suite, parsed by kunit.py (exit 1 on failure); a
# suite that did not run, ran no test or skipped one fails
kunit_report() {
	local log=$1 defined ran s summary
	defined=$(cd "$TOP/kunit" && awk '/struct kunit_suite [a-z0-9_]+ = \{/ {on = 1}
		on && match($0, /\.name = "[^"]+"/) {print substr($0, RSTART + 9, RLENGTH - 10); on = 0}' \
		$KUNIT_SRCS | sort | xargs)
	if [ "$defined" = "$(echo "$KUNIT_SUITES" | tr ' ' '\n' | sort | xargs)" ]; then
		emit "kunit-suites PASS expecting the $(echo "$KUNIT_SUITES" | wc -w) suites kunit/ defines for this kernel: $KUNIT_SUITES"
	else
		emit "kunit-suites FAIL kunit/ defines '$defined', expected '$KUNIT_SUITES' (update kunit_setup in tests/scenario-lib.sh)"
	fi
	ran=$(sed -n 's/^===KTAP-BEGIN \(.*\)===$/\1/p' "$log" | sort -u)
	for s in $KUNIT_SUITES $(echo "$ran" | grep -vxF -f <(echo "$KUNIT_SUITES" | tr ' ' '\n') || true); do
		if ! echo "$ran" | grep -qxF "$s"; then
			emit "kunit-$s FAIL the suite did not run (no KTAP in debugfs; see $log)"
			continue
		fi
		awk -v s="$s" '$0 == "===KTAP-BEGIN " s "===" {on = 1; next}
			/^===KTAP-END===/ {on = 0} on' "$log" >"$OUT/$s.ktap"
		summary=$(python3 "$KUNIT_PY" parse "$OUT/$s.ktap" >"$OUT/$s.parse" 2>&1 &&
			grep -o 'Ran [0-9]* tests.*' "$OUT/$s.parse" | tail -n1) || summary=
		if [ -z "$summary" ]; then
			emit "kunit-$s FAIL $(grep -E 'FAILED|Ran [0-9]* tests' "$OUT/$s.parse" | tr '\n' ' ' | cut -c1-200)"
		elif echo "$summary" | grep -qE '^Ran 0 tests|skipped: [1-9]'; then
			emit "kunit-$s FAIL $summary (a suite that runs nothing or skips is not a pass)"
		else
			emit "kunit-$s PASS $summary"
		fi
	done
}
