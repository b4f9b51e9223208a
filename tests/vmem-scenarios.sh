#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# virtio-mem scenarios, host side: boot kernel ID once with
# tests/guest/vmem.sh and a virtio-mem driver, serve the guest's resize
# requests over QMP (scripts/vmem-host.py on a second serial port), collect
# the guest's RESULT lines and add host-side checks.
#
#   tests/vmem-scenarios.sh ID [--intree | --ours DIR] OUTDIR
#
#   --intree    the stock kernel's virtio_mem (default; not on test kernels)
#   --ours DIR  DIR/virtio_mem.ko
#
# Guest steps (tests/guest/vmem.sh): grow 0 -> MID -> BIG, shrink -> SMALL
# -> 0 (QMP size and MemTotal), a checksummed buffer across an unplug, an
# unplug under a tmpfs page-cache workload and its convergence once the
# workload stops, 5 s idle without requests, QEMU request counts per step,
# the dmesg size lines, our driver's sysfs against QMP (--ours only; skipped
# and not counted otherwise).  Host checks: boot, no ERROR responses in
# QEMU's trace, kernel reports (KASAN, lockdep, kmemleak, WARN, BUG, Oops,
# "marking device broken") anywhere in the serial log.
#
# Sizes: stock kernels MID,BIG,SMALL = 2G,4G,1G with 1 GiB boot RAM; test
# kernels (KASAN, TCG: every onlined page is slow, and the shadow of
# hot-added memory, 1/8 of it, comes from boot RAM) 1G,2G,512M with 1.5 GiB.
#
# Environment: TIMEOUT (QEMU seconds; default 600, 1800 for test kernels),
# VMEM_FAULT_CASES (e.g. "short,nack-storm": only these vmem-fault cases and
# nothing else, for showing a check fails without its fix; the other
# expected results then fail as missing),
# VMEMHOLD (static tools/vmemhold; built into OUTDIR/tools if unset and not
# in the cache), ACCEL (see scripts/vm.sh).
#
# Prints RESULT <name> PASS|FAIL <detail> lines (also OUTDIR/results.txt)
# and a summary; exit status 0 iff there is at least one RESULT and all of
# them are PASS.
#
# With --ours the boot ends with the hostile-device cases (tests/guest/
# vmem.sh scn_faults, vmem-fault-* results): the driver's debugfs injector
# rewrites or holds QEMU's answers and fakes config fields; the last case
# unbinds the device while a request waits for it.
. "$(dirname "$0")/../scripts/lib.sh"
set -eu

usage() { die "usage: $0 ID [--intree | --ours DIR] OUTDIR"; }
[ $# -ge 2 ] || usage
ID=$1
shift
DRV=intree
VMEMARGS=(--vmem intree)
case "$1" in
--intree) shift ;;
--ours) [ $# -ge 2 ] || usage; DRV=ours; VMEMARGS=(--vmem ours "$(realpath "$2")"); shift 2 ;;
esac
[ $# -eq 1 ] || usage
OUT=$1
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
SERIAL=$OUT/serial.log
TRACE=$OUT/trace.log
CTLLOG=$OUT/ctl.log
CTLSOCK=$OUT/ctl.sock
T0=$(date +%s.%N)
elapsed() { awk -v a="${1:-$T0}" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}'; }

# --- tools and initramfs ---------------------------------------------------
VMEMHOLD=${VMEMHOLD:-}
if [ -z "$VMEMHOLD" ]; then
	if [ -x "$CACHE/tools/vmemhold" ] && [ "$CACHE/tools/vmemhold" -nt "$TOP/tools/vmemhold.c" ]; then
		VMEMHOLD=$CACHE/tools/vmemhold
	else
		make -s -C "$TOP/tools" O="$OUT/tools" "$OUT/tools/vmemhold" >"$OUT/tools.log" 2>&1 ||
			die "building tools/vmemhold failed ($OUT/tools.log)"
		VMEMHOLD=$OUT/tools/vmemhold
	fi
fi
say "vmem-scenarios: kernel $ID, virtio-mem driver $DRV, output in $OUT"
"$TOP/scripts/initramfs.sh" "$ID" "$OUT/initramfs.cpio.gz" "${VMEMARGS[@]}" \
	--scenario "$TOP/tests/guest/vmem.sh" --extra "$VMEMHOLD"
. "$OUT/initramfs.env"

if [ "$KIND" = test ]; then
	SIZES=1G,2G,512M MEM=1536 HOLD_MB=128 WL_MB=384 TO=180 CONV_TO=240
	TIMEOUT=${TIMEOUT:-1800}
else
	SIZES=2G,4G,1G MEM=1024 HOLD_MB=300 WL_MB=768 TO=60 CONV_TO=120
	TIMEOUT=${TIMEOUT:-600}
fi
SIZES_B=$(echo "$SIZES" | tr , '\n' | numfmt --from=iec | paste -sd,)

rm -f "$OUT/results.txt" "$CTLSOCK"
: >"$SERIAL"
: >"$TRACE"
: >"$CTLLOG"

# --- boot, with the host half serving the guest ------------------------------
python3 "$TOP/scripts/vmem-host.py" --ctl "$CTLSOCK" --qmp "$OUT/qmp.sock" \
	--trace "$TRACE" --log "$CTLLOG" &
HOSTPID=$!
trap 'kill $HOSTPID 2>/dev/null || true' EXIT
say "booting (timeout ${TIMEOUT}s, ${MEM} MiB boot RAM, sizes $SIZES)"
rc=0
"$TOP/scripts/vm.sh" --kernel "$VMLINUZ" --initrd "$OUT/initramfs.cpio.gz" \
	--log "$SERIAL" --rundir "$OUT" --mem "$MEM" \
	--trace 'virtio_mem_*' --trace-log "$TRACE" --timeout "$TIMEOUT" \
	--append "vmem_sizes=$SIZES_B vmem_hold_mb=$HOLD_MB vmem_wl_mb=$WL_MB vmem_to=$TO vmem_conv_to=$CONV_TO${VMEM_FAULT_CASES:+ vmem_fault_cases=$VMEM_FAULT_CASES}" \
	-- -chardev "socket,id=ctl,path=$CTLSOCK,server=on,wait=off" -serial chardev:ctl || rc=$?
for _ in 1 2 3 4 5 6 7 8 9 10; do
	kill -0 $HOSTPID 2>/dev/null || break
	sleep 0.5
done
kill $HOSTPID 2>/dev/null || true
wait $HOSTPID 2>/dev/null || true
rm -f "$OUT"/*.img "$CTLSOCK"
TOTAL_SECS=$(elapsed)

# --- results -------------------------------------------------------------------
say "checking results"
CLEAN=$OUT/serial.clean.log
tr -d '\r' <"$SERIAL" >"$CLEAN"
: >"$OUT/results.txt"
emit() { echo "RESULT $*" | tee -a "$OUT/results.txt"; }

guest_results "$CLEAN" >"$OUT/guest-results.txt"
# names unique next to the pmem scenarios' in make check
sed -i 's/^RESULT kmemleak /RESULT vmem-kmemleak /' "$OUT/guest-results.txt"

if grep -aq '^INIT: SCENARIO-START' "$CLEAN"; then
	emit "vmem-boot PASS scenario reached (QEMU rc=$rc, total ${TOTAL_SECS}s)"
else
	emit "vmem-boot FAIL guest never reached the scenario (QEMU rc=$rc; see $SERIAL)"
fi

EXPECTED="vmem-probe grow-mid online-movable grow-mid-requests grow-big grow-big-requests shrink-small shrink-small-requests shrink-zero shrink-zero-requests hold-unplug unplug-hold unplug-pagecache pc-unplug-requests idle-quiet dmesg-size-lines"
[ "$DRV" = ours ] && EXPECTED="$EXPECTED sysfs-attrs sysfs-qmp sysfs-stats vmem-pm-hibernate vmem-pm-after"
# s2idle and S3 exist where the kernel has CONFIG_SUSPEND (the stock
# kernels; the test kernels have hibernation only)
if [ "$DRV" = ours ] && "$TOP/scripts/kernels.sh" ready "$ID" | sed -n 's/^KDIR=//p' |
	xargs -I{} grep -qx CONFIG_SUSPEND=y {}/.config; then
	EXPECTED="$EXPECTED vmem-pm-s2idle vmem-pm-s3"
fi
[ "$KIND" = test ] && EXPECTED="$EXPECTED vmem-kmemleak"
# hostile-device cases at the end of the boot (debugfs injector, ours only)
FAULT_EXPECTED="vmem-fault-short vmem-fault-unknown-type vmem-fault-nack-storm vmem-fault-error-storm vmem-fault-busy-storm vmem-fault-cfg-plugged vmem-fault-cfg-requested vmem-fault-cfg-usable vmem-fault-timeout vmem-fault-silent-remove vmem-fault-data-intact"
[ "$DRV" = ours ] && EXPECTED="$EXPECTED $FAULT_EXPECTED"
# expected results (a missing one fails), then any further ones
expect_guest_results "$OUT/guest-results.txt" "$OUT/results.txt" $EXPECTED
grep -a '^SKIP ' "$CLEAN" || true

# host-trace: QEMU answered no request with ERROR (a malformed request:
# misaligned, outside the usable region, wrong block state) before the
# fault cases; during them the driver re-plugs what a rewritten answer
# hid from it, and QEMU's ERROR for that is expected (counted apart).
final=$(grep -a ' final ' "$CTLLOG" | tail -n1 || true)
nreq=$(grep -cE 'virtio_mem_(plug|unplug|unplug_all|state)_request' "$TRACE" || true)
nerr=$(grep -cE 'virtio_mem_send_response.*type=3\b' "$TRACE" || true)
fb=$(grep -a '^FAULTS-BEGIN ' "$CLEAN" | head -n1 | grep -o ' error=[0-9]*' | cut -d= -f2 || true)
nerr_pre=${fb:-$nerr}
if [ "$nreq" -eq 0 ]; then
	emit "vmem-host-trace FAIL no virtio-mem request in QEMU's trace log"
elif [ "$nerr_pre" -ne 0 ]; then
	emit "vmem-host-trace FAIL $nerr_pre ERROR responses among $nreq requests before the fault cases (see $TRACE)"
else
	emit "vmem-host-trace PASS $nreq requests, no ERROR response before the fault cases ($((nerr - nerr_pre)) during them; ${final#* final })"
fi

# dmesg-clean: kernel reports anywhere in the serial log (protocol lines
# excluded), and the driver never gave up on the device
emit "$(dmesg_clean vmem-dmesg-clean "$CLEAN" "$CLEAN" 'RESULT|STAT|PHASE|SCENARIO|VMEMINFO|VMEMFINAL|CONVERGE|SKIP|INIT:' 'marking device broken|unknown error' \
	"no BUG/WARNING/KASAN/lockdep/kmemleak reports, device never marked broken" "$OUT/dmesg-reports.txt")"

# step timings from the host's log, for the report
grep -a -E '^(CONVERGE|STAT pc-) ' "$CLEAN" || true
awk '$2 == "<" && $3 == "WAIT" {w = $4} $2 == ">" && ($3 == "DONE" || $3 == "TIMEOUT" || $3 == "STALLED") {print "STEP WAIT", w, $3, $4, $5, $6, $7}' "$CTLLOG" || true

npass=$(grep -c '^RESULT [^ ]* PASS' "$OUT/results.txt" || true)
nfail=$(grep -c '^RESULT [^ ]* FAIL' "$OUT/results.txt" || true)
echo "SUMMARY $ID vmem $DRV: $npass passed, $nfail failed; total ${TOTAL_SECS}s; logs in $OUT"
[ "$npass" -ge 1 ] && [ "$nfail" -eq 0 ]
