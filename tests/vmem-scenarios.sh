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
# hot-added memory, 1/8 of it, comes from boot RAM) 512M,1G,256M (still
# 4, 8 and 2 memory blocks: the same partial and whole-block paths) with
# 1.5 GiB, a 64 MiB buffer and a 192 MiB page-cache workload (CI budget).
#
# Environment: TIMEOUT (QEMU seconds; default 600, 1800 for test kernels),
# VMEM_FAULT_CASES (e.g. "short,nack-storm": only these vmem-fault cases and
# nothing else, for showing a check fails without its fix; the other
# expected results then fail as missing),
# VMEM_FAULTS=0 (no hostile-device cases at the end of the boot; default
# 1), VMEM_SET=basic (a reduced set: no unplug under a held buffer or a
# page-cache workload, no idle wait; each named by a SKIP line, make
# check's VMEM_REDUCED_KERNELS), VMEM_KUNIT=1 (--ours, a KUnit kernel: the KUnit suites of tests/kunit.sh
# run at the start of this boot, their kunit-* results added; make check's
# KUnit kernel, saving a boot), VMEM_S3_FORCE (see below), VMEMHOLD (static tools/vmemhold; built into OUTDIR/tools if unset and not
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
#
# With --ours on a kernel with CONFIG_SUSPEND and a QEMU whose virtio-mem
# offers VIRTIO_MEM_F_PERSISTENT_SUSPEND (QEMU 9.2+: QEMU_HOST=qemu-10.0;
# vmem-host.py logs what the device offers), vmem-pm-s3-resume is expected
# too: a real S3 with memory plugged, woken by the host half over QMP
# (system_wakeup), a checksummed buffer in device memory and the plugged
# size unchanged after the resume, and the host's own view of the cycle,
# vmem-pm-s3-host.  Elsewhere the guest prints a SKIP for it.  VMEM_S3_FORCE=1 (debugging) makes the guest suspend even without
# the feature (to show the check fails where QEMU's wakeup loses the
# memory; our driver refuses such an S3 unless built without its check).
. "$(dirname "$0")/../scripts/lib.sh"
. "$TOP/tests/scenario-lib.sh"
set -eu

usage() { die "usage: $0 ID [--intree | --ours DIR] OUTDIR"; }
S3_EXPECTED=
vmem_scenario_args "$@"
T0=$(date +%s.%N)

# --- tools and initramfs ---------------------------------------------------
vmemhold_tool
# util-linux's lsmem and chmem: the host's (Debian 12, util-linux 2.38)
LSMEM=$(command -v lsmem) || die "lsmem (util-linux) not found"
CHMEM=$(PATH=$PATH:/usr/sbin:/sbin command -v chmem) || die "chmem (util-linux) not found"
say "vmem-scenarios: kernel $ID, virtio-mem driver $DRV, output in $OUT"
# VMEM_KUNIT=1: the KUnit suites run first in this boot (common.sh
# kunit_run: vpmem_kunit needs our nd_virtio, which this boot does not
# load otherwise; the KUnit modules are unloaded before the scenario)
KUNIT_EXTRA=() KUNIT_APPEND=''
if [ "${VMEM_KUNIT:-0}" = 1 ]; then
	[ "$DRV" = ours ] || die "VMEM_KUNIT=1 needs --ours (the KUnit modules are built with ours)"
	kunit_setup "$ID" "${MODARGS[1]}" nd_virtio
	# allnoconfig kernels: KUnit off, and from 6.16 no suites at module load
	KUNIT_APPEND=' kunit.enable=1 kunit.autorun=1'
fi
"$TOP/scripts/initramfs.sh" "$ID" "$OUT/initramfs.cpio.gz" "${VMEMARGS[@]}" \
	--scenario "$TOP/tests/guest/vmem.sh" --extra "$VMEMHOLD" "$LSMEM" "$CHMEM" "${KUNIT_EXTRA[@]}"
. "$OUT/initramfs.env"

if [ "$KIND" = test ]; then
	SIZES=512M,1G,256M MEM=1536 HOLD_MB=64 WL_MB=192 TO=180 CONV_TO=240 STALL_MIN=60
	TIMEOUT=${TIMEOUT:-1800}
else
	SIZES=2G,4G,1G MEM=1024 HOLD_MB=300 WL_MB=768 TO=60 CONV_TO=120 STALL_MIN=20
	TIMEOUT=${TIMEOUT:-600}
fi
SIZES_B=$(echo "$SIZES" | tr , '\n' | numfmt --from=iec | paste -sd,)

# a kernel without CONFIG_PM_DEBUG (Debian's cloud flavour) has no pm_test:
# the PM cases (ours) are skipped there, explicitly
NO_PM_TEST=
[ "$DRV" = ours ] && ! kconfig_has "$ID" PM_DEBUG && NO_PM_TEST="$ID has no CONFIG_PM_DEBUG (no pm_test)"

# --- boot, with the host half serving the guest ------------------------------
say "booting (timeout ${TIMEOUT}s, ${MEM} MiB boot RAM, sizes $SIZES)"
vmem_boot --kernel "$VMLINUZ" --initrd "$OUT/initramfs.cpio.gz" \
	--log "$SERIAL" --rundir "$OUT" --mem "$MEM" --nvme 0 \
	--trace 'virtio_mem_*' --trace-log "$TRACE" --timeout "$TIMEOUT" \
	--append "${NO_PM_TEST:+pm_test=0 }${VMEM_SET:+vmem_set=$VMEM_SET }vmem_sizes=$SIZES_B vmem_hold_mb=$HOLD_MB vmem_wl_mb=$WL_MB vmem_to=$TO vmem_conv_to=$CONV_TO vmem_stall_min=$STALL_MIN${VMEM_FAULT_CASES:+ vmem_fault_cases=$VMEM_FAULT_CASES}${VMEM_S3_FORCE:+ vmem_s3_force=$VMEM_S3_FORCE}${VMEM_FAULTS:+ vmem_faults=$VMEM_FAULTS}$KUNIT_APPEND" \
	-- -chardev "socket,id=ctl,path=$CTLSOCK,server=on,wait=off" -serial chardev:ctl
TOTAL_SECS=$(elapsed)

# --- results -------------------------------------------------------------------
say "checking results"
results_begin "$SERIAL"

[ "${VMEM_KUNIT:-0}" = 1 ] && kunit_report "$CLEAN"
guest_results "$CLEAN" >"$OUT/guest-results.txt"
# names unique next to the pmem scenarios' in make check
sed -i 's/^RESULT kmemleak /RESULT vmem-kmemleak /' "$OUT/guest-results.txt"

emit_boot vmem-boot "$rc" "total ${TOTAL_SECS}s"

EXPECTED="vmem-probe grow-mid online-movable vmem-lsmem vmem-chmem grow-mid-requests grow-big grow-big-requests shrink-small shrink-small-requests shrink-zero shrink-zero-requests dmesg-size-lines"
REDUCED_OUT="hold-unplug unplug-hold unplug-pagecache pc-unplug-requests idle-quiet"
case ${VMEM_SET:-full} in
full) EXPECTED="$EXPECTED $REDUCED_OUT" ;;
basic) ;;
*) die "VMEM_SET=$VMEM_SET: full or basic" ;;
esac
[ "$DRV" = ours ] && EXPECTED="$EXPECTED sysfs-attrs sysfs-qmp sysfs-stats"
[ "$DRV" = ours ] && [ -z "$NO_PM_TEST" ] && EXPECTED="$EXPECTED vmem-pm-hibernate vmem-pm-after"
# s2idle and S3 exist where the kernel has CONFIG_SUSPEND (the stock
# kernels; the test kernels have hibernation only)
if [ "$DRV" = ours ] && [ -z "$NO_PM_TEST" ] && kconfig_has "$ID" SUSPEND; then
	EXPECTED="$EXPECTED vmem-pm-s2idle vmem-pm-s3"
	# a real S3 where the device keeps its memory across QEMU's wakeup
	if grep -aq ' features vm0 persistent_suspend=1 ' "$CTLLOG" || [ "${VMEM_S3_FORCE:-}" = 1 ]; then
		S3_EXPECTED=1
		EXPECTED="$EXPECTED vmem-pm-s3-resume"
	fi
fi
[ "$KIND" = test ] && EXPECTED="$EXPECTED vmem-kmemleak"
# hostile-device cases at the end of the boot (debugfs injector, ours only)
FAULT_EXPECTED="vmem-fault-short vmem-fault-unknown-type vmem-fault-nack-storm vmem-fault-error-storm vmem-fault-busy-storm vmem-fault-cfg-plugged vmem-fault-cfg-requested vmem-fault-cfg-usable vmem-fault-timeout vmem-fault-silent-remove vmem-fault-data-intact"
[ "$DRV" = ours ] && [ "${VMEM_FAULTS:-1}" = 1 ] && EXPECTED="$EXPECTED $FAULT_EXPECTED"
[ "${VMEM_KUNIT:-0}" = 1 ] && EXPECTED="$EXPECTED $KUNIT_LOADS"
# expected results (a missing one fails), then any further ones
expect_guest_results "$OUT/guest-results.txt" "$OUT/results.txt" $EXPECTED
[ -z "$NO_PM_TEST" ] || expect_skip "$CLEAN" vmem-pm "$NO_PM_TEST"
if [ "${VMEM_SET:-full}" = basic ]; then
	for n in $REDUCED_OUT; do
		expect_skip "$CLEAN" "$n" "VMEM_SET=basic"
	done
fi
grep -a '^SKIP ' "$CLEAN" || true

# vmem-pm-s3-host: the real S3 cycle as QEMU saw it (vmem-host.py's "s3:"
# line): suspended, woken by system_wakeup, and the device's size after
# the wakeup what it was when the guest armed the host half.  Host-side,
# so it reports even when the guest dies of memory lost under it (QEMU
# 7.2 unplugs everything in its wakeup reset: seen with a driver build
# that let S3 through without PERSISTENT_SUSPEND).
s3=$(grep -a ' s3: S3 ' "$CTLLOG" | tail -n1 || true)
s3kv() { printf '%s\n' $s3 | sed -n "s/^$1=//p"; }
if [ -n "$s3" ]; then
	if [ "$(s3kv suspended)" != 1 ] || [ "$(s3kv woken)" != 1 ]; then
		emit "vmem-pm-s3-host FAIL no complete S3 cycle: ${s3#* s3: }"
	elif [ "$(s3kv size_before)" != "$(s3kv size_after)" ]; then
		emit "vmem-pm-s3-host FAIL virtio-mem vm0 size $(s3kv size_before) before the suspend, $(s3kv size_after) after QEMU's wakeup: the plugged memory was lost"
	else
		emit "vmem-pm-s3-host PASS QEMU suspended $(s3kv to_suspend)s after the guest armed the host half, in S3 for $(s3kv asleep)s (SUSPEND to WAKEUP), woken by system_wakeup; virtio-mem vm0 size $(s3kv size_before) before and after"
	fi
elif [ -n "$S3_EXPECTED" ]; then
	emit "vmem-pm-s3-host FAIL no S3 cycle in the host half's log ($CTLLOG)"
fi

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
emit "$(dmesg_clean vmem-dmesg-clean "$CLEAN" "$CLEAN" 'RESULT|STAT|PHASE|SCENARIO|VMEMINFO|VMEMFINAL|CONVERGE|S3CYCLE|SKIP|INIT:' 'marking device broken|unknown error' \
	"no BUG/WARNING/KASAN/lockdep/kmemleak reports, device never marked broken" "$OUT/dmesg-reports.txt")"

# step timings from the host's log, for the report
grep -a -E '^(CONVERGE|STAT pc-|S3CYCLE) ' "$CLEAN" || true
grep -a -E ' (features|s3:) ' "$CTLLOG" || true
awk '$2 == "<" && $3 == "WAIT" {w = $4} $2 == ">" && ($3 == "DONE" || $3 == "TIMEOUT" || $3 == "STALLED") {print "STEP WAIT", w, $3, $4, $5, $6, $7}' "$CTLLOG" || true

results_summary "$ID vmem $DRV" "total ${TOTAL_SECS}s"
