#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# virtio-mem with a 1 TiB device region, host side (make bench BENCH=vscale;
# guest steps: tests/guest/vmem-tib.sh): a 1 GiB guest, a 1 TiB
# memory-backend-ram with reserve=off (the host backs only what the guest
# touches), 2 MiB device blocks, nothing plugged at boot, a CPU with 46
# physical address bits (-cpu max,phys-bits=46: the region sits above
# 1 TiB).  The guest times the driver's probe and measures its memory, then
# 4 GiB are plugged, 16 GiB more while a 10 ms waker measures its lateness,
# and everything is unplugged with a checksummed buffer in device memory.
# No kernel parameter for memmap on memory: Debian's default (off), the same
# work for both drivers; hot-added memory goes online_movable.
#
#   tests/vmem-tib-scenarios.sh ID [--intree | --ours DIR] OUTDIR
#
# Environment: TIMEOUT (QEMU seconds, default 1800), VTIB_HOLD_MB (buffer,
# default 256), VTIB_TO (guest seconds per step, default 600), VTIB_SHRINK=0
# (no vtib-shrink: the guest must print its SKIP line instead), VMEMHOLD.
# Results: OUTDIR/results.txt (vtib-boot, the guest's vtib-probe, -plug,
# -grow, -shrink; vtib-dmesg-clean) and the STAT lines on stdout.
. "$(dirname "$0")/../scripts/lib.sh"
. "$TOP/tests/scenario-lib.sh"
set -eu

usage() { die "usage: $0 ID [--intree | --ours DIR] OUTDIR"; }
vmem_scenario_args "$@"
T0=$(date +%s.%N)

vmemhold_tool
VMEMLAT=$OUT/tools/vmemlat
make -s -C "$TOP/tools" O="$OUT/tools" "$VMEMLAT" >"$OUT/tools-lat.log" 2>&1 ||
	die "building tools/vmemlat failed ($OUT/tools-lat.log)"
say "vmem-tib: kernel $ID, virtio-mem driver $DRV, output in $OUT"
"$TOP/scripts/initramfs.sh" "$ID" "$OUT/initramfs.cpio.gz" "${VMEMARGS[@]}" \
	--scenario "$TOP/tests/guest/vmem-tib.sh" --extra "$VMEMHOLD" "$VMEMLAT"
. "$OUT/initramfs.env"

REGION_MB=$((1 << 20))
TIMEOUT=${TIMEOUT:-1800}
say "booting (timeout ${TIMEOUT}s, 1024 MiB boot RAM, region $REGION_MB MiB, phys-bits 46)"
vmem_boot --kernel "$VMLINUZ" --initrd "$OUT/initramfs.cpio.gz" \
	--log "$SERIAL" --rundir "$OUT" --mem 1024 --vmem-region "$REGION_MB" --nvme 0 \
	--trace 'virtio_mem_*' --trace-log "$TRACE" --timeout "$TIMEOUT" \
	--append "memhp_default_state=online_movable vtib_hold_mb=${VTIB_HOLD_MB:-256} vtib_to=${VTIB_TO:-600} vtib_shrink=${VTIB_SHRINK:-1}" \
	-- -cpu max,phys-bits=46 \
	-chardev "socket,id=ctl,path=$CTLSOCK,server=on,wait=off" -serial chardev:ctl
TOTAL_SECS=$(elapsed)

results_begin "$SERIAL"
guest_results "$CLEAN" >"$OUT/guest-results.txt"
emit_boot vtib-boot "$rc" "total ${TOTAL_SECS}s"
if [ "${VTIB_SHRINK:-1}" = 0 ]; then
	expect_skip "$CLEAN" vtib-shrink "VTIB_SHRINK=0"
	expect_guest_results "$OUT/guest-results.txt" "$OUT/results.txt" vtib-probe vtib-plug vtib-grow
else
	expect_guest_results "$OUT/guest-results.txt" "$OUT/results.txt" vtib-probe vtib-plug vtib-grow vtib-shrink
fi
emit "$(dmesg_clean vtib-dmesg-clean "$CLEAN" "$CLEAN" 'RESULT|STAT|VMALLOC|SCENARIO|SKIP|INIT:|vtib:' 'marking device broken|unknown error' \
	"no BUG/WARNING/KASAN/lockdep reports, device never marked broken" "$OUT/dmesg-reports.txt")"
grep -a -E '^(STAT vtib|VMALLOC )' "$CLEAN" || true
results_summary "$ID vmem-tib $DRV" "total ${TOTAL_SECS}s"
