#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# virtio-pmem scenarios, host side: boot kernel ID with tests/guest/pmem.sh,
# collect the guest's RESULT lines and add host-side checks.
#
#   tests/pmem-scenarios.sh ID [--intree | --ours DIR] [--ndctl] OUTDIR
#
# --ndctl: after the data checks, Debian's ndctl/daxctl steps on the region
# (tests/guest/ndctl.sh, RESULT ndctl-STEP; outcomes for the comparison with
# the in-tree driver in OUTDIR/ndctl-outcomes.txt, see tests/ndctl-scenarios.sh).
#
# Environment: TIMEOUT (guest seconds; default 300, 900 for test kernels),
# PMEMTOOL (static test tool put into the guest; default tools/pmemtool if
# built), ACCEL (see scripts/vm.sh), PMEM_FAULTS=0 (with --ours: no
# hung-host and no queue-level fault cases, fault-freeze-racing included:
# make check runs them on one kernel per nd_virtio feature-probe set),
# PMEM_SET=basic (a reduced set: no concurrent writers and no coalescing
# run, each named by a SKIP line; make check's PMEM_REDUCED_KERNELS).
# A kernel without CONFIG_PM_DEBUG skips the freeze/restore cases, one
# without CONFIG_DEV_DAX the devdax step, explicitly (SKIP lines).
#
# Prints RESULT <name> PASS|FAIL <detail> lines (also OUTDIR/results.txt),
# HOSTFLUSH <phase> <n> (virtio_pmem_flush_request trace events QEMU saw
# between the guest's PHASE markers), the guest's FSYNCS/GUESTFLUSH/STAT
# lines and a summary.  Exit status 0 iff there is at least one RESULT and
# all of them are PASS.
. "$(dirname "$0")/../scripts/lib.sh"
. "$TOP/tests/scenario-lib.sh"
. "$TOP/tests/ndctl-lib.sh"
set -eu

usage() { die "usage: $0 ID [--intree | --ours DIR] [--ndctl] OUTDIR"; }
[ $# -ge 2 ] || usage
ID=$1
shift
driver_args "$@"
shift "$DRV_ARGC"
NDCTL=0
[ "${1:-}" = --ndctl ] && { NDCTL=1; shift; }
# the kernel's config matters only for the ndctl steps (devdax)
if [ $NDCTL = 1 ]; then ndctl_steps_for "$DRV" "$ID"; else ndctl_steps_for "$DRV"; fi
[ $# -eq 1 ] || usage
scenario_out "$1"

SERIAL=$OUT/serial.log
TRACE=$OUT/trace.log
MARKERS=$OUT/markers.txt
IMG=$OUT/pmem.img
PMEM_SIZE=1G
# must match tests/guest/pmem.sh
RAW_OFF=$((512 * 1048576))
RAW_BYTES=1048576
CW_OFF=$((640 * 1048576))
CW_WRITERS=16
CW_ROUNDS=8
CW_CHUNK=65536
FILE_BYTES=1048576
GUEST_SCENARIOS="probe size dax-mount mapsync fsync raw-write freeze-restore reload"
PMEM_FULL_ONLY="concurrent-fs concurrent-raw coalesce-data"
T0=$(date +%s.%N)

# --- initramfs -----------------------------------------------------------
EXTRA=()
PMEMTOOL=${PMEMTOOL:-$TOP/tools/pmemtool}
[ -x "$PMEMTOOL" ] && EXTRA=(--extra "$PMEMTOOL")
NDCTL_ARGS=()
APPEND=()
if [ $NDCTL = 1 ]; then
	ndctl_initramfs_args
	APPEND=(--append "$NDCTL_APPEND")
fi
PMEM_FAULTS=${PMEM_FAULTS:-1}
[ "$PMEM_FAULTS" = 1 ] || APPEND+=(--append "pmem_faults=0")
# PMEM_SET=basic: the reduced set (no concurrent writers, no coalescing;
# each named by a SKIP line; make check's PMEM_REDUCED_KERNELS)
PMEM_SET=${PMEM_SET:-full}
case $PMEM_SET in
full) ;;
basic) APPEND+=(--append "pmem_set=basic") ;;
*) die "PMEM_SET=$PMEM_SET: full or basic" ;;
esac
# a kernel without CONFIG_PM_DEBUG (Debian's cloud flavour) has no
# pm_test: the freeze/restore cases are skipped there, explicitly
NO_PM_TEST=
if ! kconfig_has "$ID" PM_DEBUG; then
	NO_PM_TEST="$ID has no CONFIG_PM_DEBUG (no pm_test)"
	APPEND+=(--append "pm_test=0")
fi
say "pmem-scenarios: kernel $ID ${MODARGS[*]:-(no virtio-pmem modules)}, output in $OUT"
"$TOP/scripts/initramfs.sh" "$ID" "$OUT/initramfs.cpio.gz" "${MODARGS[@]}" \
	--scenario "$TOP/tests/guest/pmem.sh" "${EXTRA[@]}" "${NDCTL_ARGS[@]}"
. "$OUT/initramfs.env"
if [ -z "${TIMEOUT:-}" ]; then
	if [ "$KIND" = test ]; then TIMEOUT=900; else TIMEOUT=300; fi
fi

say "fresh sparse $PMEM_SIZE pmem backing file $IMG"
rm -f "$IMG" "$MARKERS" "$OUT/results.txt"
truncate -s "$PMEM_SIZE" "$IMG"
: >"$SERIAL"
: >"$TRACE"
: >"$MARKERS"

# --- marker watcher --------------------------------------------------------
# When a PHASE marker (or the scenario start) shows up in the serial log,
# note how many flush requests the trace log has at that moment.
scan_markers() { # scan_markers [late]
	local m n
	for m in $(tr -d '\r' <"$SERIAL" |
		grep -aoE 'PHASE [a-z0-9-]+-(begin|end)|INIT: SCENARIO-START' |
		sed -e 's/^PHASE //' -e 's/^INIT: SCENARIO-START$/scenario-start/'); do
		grep -q "^$m " "$MARKERS" && continue
		n=$(grep -c virtio_pmem_flush_request "$TRACE" || true)
		echo "$m $n $(elapsed "$VM_T0")${1:+ $1}" >>"$MARKERS"
	done
}
watch_markers() {
	while :; do
		scan_markers
		sleep 0.2
	done
}
VM_T0=$(date +%s.%N)
watch_markers &
WATCHER=$!
trap 'kill $WATCHER 2>/dev/null || true' EXIT

# --- boot ----------------------------------------------------------------
say "booting (timeout ${TIMEOUT}s)"
rc=0
"$TOP/scripts/vm.sh" --kernel "$VMLINUZ" --initrd "$OUT/initramfs.cpio.gz" \
	--log "$SERIAL" --rundir "$OUT" --pmem-img "$IMG" --pmem-size "$PMEM_SIZE" --nvme 0 --retry-early \
	--trace virtio_pmem_flush_request --trace virtio_pmem_flush_done \
	--trace-log "$TRACE" --timeout "$TIMEOUT" "${APPEND[@]}" || rc=$?
kill $WATCHER 2>/dev/null || true
wait $WATCHER 2>/dev/null || true
scan_markers late
TOTAL_SECS=$(elapsed)

# --- results -------------------------------------------------------------
say "checking results"
results_begin "$SERIAL"

# guest results: from the final block when the guest got there, else any
# RESULT line (a kernel message may precede it on the same line)
guest_results "$CLEAN" >"$OUT/guest-results.txt"

# boot
start_line=$(grep '^scenario-start ' "$MARKERS" || true)
if [ -n "$start_line" ]; then
	BOOT_SECS=$(echo "$start_line" | awk '{print $3}')
	emit "boot PASS scenario reached after ${BOOT_SECS}s (QEMU rc=$rc, total ${TOTAL_SECS}s$(boot_retried))"
else
	BOOT_SECS=-
	emit "boot FAIL guest never reached the scenario (QEMU rc=$rc; see $SERIAL)"
fi

# our driver adds the hung-host scenario and the queue-level faults
# (fault injection through debugfs)
FAULT_SCENARIOS="fault-short-reply fault-bad-ret fault-unknown-token fault-dup-completion fault-no-reply fault-break fault-needs-reset fault-remove-silent fault-freeze-stuck fault-freeze-racing"
[ "${MODARGS[0]:-}" = --ours ] && [ "$PMEM_FAULTS" = 1 ] &&
	GUEST_SCENARIOS="$GUEST_SCENARIOS hung-host $FAULT_SCENARIOS"
SKIPPED=
if [ "$PMEM_SET" = full ]; then
	GUEST_SCENARIOS="$GUEST_SCENARIOS $PMEM_FULL_ONLY"
else
	SKIPPED=$PMEM_FULL_ONLY
fi
if [ -n "$NO_PM_TEST" ]; then
	keep=
	for s in $GUEST_SCENARIOS; do
		case $s in
		freeze-restore | fault-freeze-*) SKIPPED="$SKIPPED $s" ;;
		*) keep="$keep $s" ;;
		esac
	done
	GUEST_SCENARIOS=${keep# }
fi
[ $NDCTL = 1 ] && GUEST_SCENARIOS="$GUEST_SCENARIOS $(for s in $NDCTL_STEPS restore; do echo "ndctl-$s"; done)"
# expected results (a missing one fails), then any further ones
expect_guest_results "$OUT/guest-results.txt" "$OUT/results.txt" $GUEST_SCENARIOS
grep -a '^SKIP ' "$CLEAN" || true
for s in $SKIPPED; do
	case $s in
	freeze-restore | fault-freeze-*) expect_skip "$CLEAN" "$s" "$NO_PM_TEST" ;;
	*) expect_skip "$CLEAN" "$s" "PMEM_SET=$PMEM_SET" ;;
	esac
done
if [ $NDCTL = 1 ]; then
	ndctl_outcomes "$CLEAN" "$OUT/results.txt" "$OUT/ndctl-outcomes.txt" ndctl-
	ndctl_skip_check "$CLEAN"
fi

host_pattern() { { yes "vpmem-$1" || true; } | head -c "$2"; }
md5_of() { md5sum | cut -d' ' -f1; }
img_md5() { # img_md5 OFFSET BYTES
	dd if="$IMG" bs=65536 skip=$(($1 / 65536)) count=$(($2 / 65536)) 2>/dev/null | md5_of
}

# host-raw-bytes: the guest's raw write is in the backing file
want=$(host_pattern raw $RAW_BYTES | md5_of)
got=$(img_md5 $RAW_OFF $RAW_BYTES)
gsays=$(grep -m1 '^PATTERN raw ' "$CLEAN" | awk '{print $4}' || true)
if [ "$got" = "$want" ]; then
	emit "host-raw-bytes PASS $RAW_BYTES bytes at offset $RAW_OFF match"
else
	emit "host-raw-bytes FAIL image has $got at $RAW_OFF, expected $want (guest wrote ${gsays:-nothing})"
fi

# concurrent raw writers: each region in the backing file (full set)
bad=0
[ "$PMEM_SET" = full ] || CW_WRITERS=0
for ((k = 0; k < CW_WRITERS; k++)); do
	want=$(for ((i = 0; i < CW_ROUNDS; i++)); do host_pattern "cwraw$k" $CW_CHUNK; done | md5_of)
	got=$(img_md5 $((CW_OFF + k * 1048576)) $((CW_ROUNDS * CW_CHUNK)))
	[ "$got" = "$want" ] || bad=$((bad + 1))
done
if [ "$PMEM_SET" != full ]; then
	echo "SKIP host-concurrent-raw-bytes: no concurrent writers in PMEM_SET=$PMEM_SET (not counted)"
elif [ $bad -eq 0 ]; then
	emit "host-concurrent-raw-bytes PASS $CW_WRITERS regions match"
else
	emit "host-concurrent-raw-bytes FAIL $bad of $CW_WRITERS regions differ"
fi

# host-file-bytes: the file written through ext4-dax, read with debugfs
want=$(host_pattern file $FILE_BYTES | md5_of)
rm -f "$OUT/fsync.dat"
debugfs -R "dump /fsync.dat $OUT/fsync.dat" "$IMG" >"$OUT/debugfs.log" 2>&1 || true
if [ ! -s "$OUT/fsync.dat" ]; then
	emit "host-file-bytes FAIL debugfs could not dump /fsync.dat: $(grep -v '^debugfs ' "$OUT/debugfs.log" | head -n1)"
elif [ "$(md5_of <"$OUT/fsync.dat")" = "$want" ]; then
	emit "host-file-bytes PASS /fsync.dat ($FILE_BYTES bytes) matches"
else
	emit "host-file-bytes FAIL /fsync.dat differs ($(stat -c %s "$OUT/fsync.dat") bytes, md5 $(md5_of <"$OUT/fsync.dat"), expected $want)"
fi

# HOSTFLUSH per phase, from the marker samples
marker_count() { awk -v m="$1" '$1 == m {print $2; exit}' "$MARKERS"; }
marker_late() { awk -v m="$1" '$1 == m {print ($4 == "late") ? "late" : ""; exit}' "$MARKERS"; }
declare -A HOSTFLUSH
for b in $(awk '$1 ~ /-begin$/ {print $1}' "$MARKERS"); do
	p=${b%-begin}
	nb=$(marker_count "$p-begin")
	ne=$(marker_count "$p-end")
	[ -n "$ne" ] || continue
	HOSTFLUSH[$p]=$((ne - nb))
	note=
	[ -n "$(marker_late "$p-end")" ] && note=" (end marker sampled after QEMU exited)"
	echo "HOSTFLUSH $p $((ne - nb))$note"
done
grep -h -E "^(FSYNCS|GUESTFLUSH|STAT|STATP|FAULTTIME|NDTIME) " "$CLEAN" || true

# host-flush-trace: QEMU saw flush requests during the guest's fsync
req=$(grep -c virtio_pmem_flush_request "$TRACE" || true)
done_=$(grep -c virtio_pmem_flush_done "$TRACE" || true)
if [ -z "${HOSTFLUSH[fsync]:-}" ]; then
	emit "host-flush-trace FAIL no fsync phase markers seen ($req requests in the trace log)"
elif [ "${HOSTFLUSH[fsync]}" -ge 1 ]; then
	emit "host-flush-trace PASS ${HOSTFLUSH[fsync]} flush requests during the fsync phase ($req requests, $done_ done in total)"
else
	emit "host-flush-trace FAIL no flush request during the fsync phase ($req requests in total)"
fi

# host-coalesce (our driver only): QEMU saw fewer flush requests than the
# guest made fdatasync calls while 16 threads synced together, and exactly
# the requests our driver counted (±2: ext4 has nothing mounted then, but
# keep a margin for stray writeback).
if [ "${MODARGS[0]:-}" = --ours ] && [ "$PMEM_SET" != full ]; then
	echo "SKIP host-coalesce: no coalescing run in PMEM_SET=$PMEM_SET (not counted)"
elif [ "${MODARGS[0]:-}" = --ours ]; then
	syncs=$(awk '$1 == "FSYNCS" && $2 == "coalesce" {print $3; exit}' "$CLEAN")
	gflush=$(awk '$1 == "GUESTFLUSH" && $2 == "coalesce" {print $3; exit}' "$CLEAN")
	hflush=${HOSTFLUSH[coalesce]:-}
	if [ -z "$syncs" ] || [ -z "$hflush" ] || [ -z "$gflush" ]; then
		emit "host-coalesce FAIL missing data (syncs=${syncs:-?} host=${hflush:-?} driver=${gflush:-?})"
	elif [ "$hflush" -ge "$syncs" ]; then
		emit "host-coalesce FAIL $hflush host flushes for $syncs concurrent fdatasyncs: nothing coalesced"
	elif [ $((hflush - gflush)) -gt 2 ] || [ $((gflush - hflush)) -gt 2 ]; then
		emit "host-coalesce FAIL host saw $hflush flushes, driver counted $gflush requests"
	else
		emit "host-coalesce PASS $hflush host flushes for $syncs concurrent fdatasyncs ($(awk -v h="$hflush" -v s="$syncs" 'BEGIN {printf "%.3f", h / s}') per sync; driver requests $gflush)"
	fi
fi

# dmesg-clean: kernel reports anywhere in the serial log (our own
# protocol lines excluded)
emit "$(dmesg_clean dmesg-clean "$CLEAN" "$CLEAN" 'RESULT|STAT|STATP|PATTERN|PHASE|FSYNCS|GUESTFLUSH|SCENARIO|BOOTINFO|INIT:|FAULT [a-z-]+:|FAULTTIME|NDOUT|NDLOG|NDTIME' '' \
	"no BUG/WARNING/KASAN/lockdep/kmemleak reports" "$OUT/dmesg-reports.txt")"

# --- summary -------------------------------------------------------------
results_summary "$ID ${MODARGS[0]:-none}" "boot ${BOOT_SECS}s, total ${TOTAL_SECS}s"
