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
