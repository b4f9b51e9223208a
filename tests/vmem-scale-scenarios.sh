#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# virtio-mem scale scenario, host side: a guest booted small (512 MiB on
# stock kernels) with a 48 GiB virtio-mem region (memory-backend-ram,
# reserve=off: the host backs only what the guest touches, i.e. little
# more than the memmaps) is asked for 32 GiB in one step over QMP.  Each
# hot-added 128 MiB block takes a 2 MiB memmap (plus 16 MiB of KASAN
# shadow on the test kernels) from boot memory; without a reserve the
# guest panics ("System is deadlocked on memory").  Guest steps and checks:
# tests/guest/vmem-scale.sh.
#
#   tests/vmem-scale-scenarios.sh ID [--intree | --ours DIR] OUTDIR
#
#   --intree    the stock kernel's virtio_mem: records its outcome (the
#               size reached, or the panic); not part of make check
#   --ours DIR  DIR/virtio_mem.ko (make check)
#
# Host checks: boot, the guest did not panic (vscale-survive, with the
# MemTotal of the last PROGRESS line when it did), no ERROR responses in
# QEMU's trace, kernel reports in the serial log.
#
# Memmap on memory (ours): a second device vm1 of VSCALE_BBM_REGION MiB
# (default 2048) in Big Block Mode gets VSCALE_BBM_PLUG bytes (default
# 512 MiB: an unplug of online memory costs ~1 s per 128 MiB under TCG) and back, with and without memmap_on_memory (vscale-memmap*).
# Its device block is 512 MiB where the kernel core self-hosts adds of
# several memory blocks (probe MHP_SUPPORTS_MEMMAP_ON_MEMORY of the build),
# else one 128 MiB memory block (the older core self-hosts only those).
# Memmap on memory in Sub Block Mode (ours): vm0 (2 MiB device blocks)
# gets VSCALE_SBM_BLOCKS memory blocks (default 3) and back with a
# checksummed buffer, then the same with memmap_on_memory=N
# (vscale-sbm-memmap*; 0: none); the scale steps then run on vm0 with
# memmap_on_memory=N.  Test kernels 6.12+ boot with
# memory_hotplug.memmap_on_memory=force: their 4 MiB pageblocks (no
# HUGETLB_PAGE) make the core refuse a 2 MiB memmap with =1; force rounds
# it up to a pageblock.  A test kernel with neither force nor HUGETLB_PAGE (2 MiB
# pageblocks) cannot keep a memmap in a 128 MiB block at all (test-6.1): the
# host says so (vscale_memmap_can=0), vscale-memmap and vscale-sbm-memmap
# must be SKIPped and their -fallback checks run instead (the driver's
# documented fallback, under KASAN).  VSCALE_SBM_STOP_MEMMAP=1 measures instead: the scale steps
# run on vm0 with memmap on memory (vscale-stop shows how far it got;
# VSCALE_REQ=BYTES asks for more than the default 32 GiB).
# VSCALE_MHP_MEMMAP=0 boots without memory_hotplug.memmap_on_memory=1 (the
# vscale-memmap check must then fail).  VSCALE_BBM_GROW=BYTES measures
# instead: vm1 (VSCALE_BBM_REGION, e.g. 49152) is asked for BYTES in one
# step and the size reached is reported (VSCALE_MEMMAP=0: with
# memmap_on_memory=N); nothing else runs.
#
# Environment: VSCALE_GUARD=0 turns our driver's reserve off
# (plug_reserve=N) to show that the checks fail without it; TIMEOUT (QEMU
# seconds; default 300, 1200 on test kernels); VMEMHOLD, ACCEL as for tests/vmem-scenarios.sh.
. "$(dirname "$0")/../scripts/lib.sh"
. "$TOP/tests/scenario-lib.sh"
set -eu

usage() { die "usage: $0 ID [--intree | --ours DIR] OUTDIR"; }
vmem_scenario_args "$@"
T0=$(date +%s.%N)

vmemhold_tool
say "vmem-scale: kernel $ID, virtio-mem driver $DRV, output in $OUT"
"$TOP/scripts/initramfs.sh" "$ID" "$OUT/initramfs.cpio.gz" "${VMEMARGS[@]}" \
	--scenario "$TOP/tests/guest/vmem-scale.sh" --extra "$VMEMHOLD"
. "$OUT/initramfs.env"

# Sizes: stock: 512 MiB boot, 48 GiB region, 32 GiB request (stops at
# ~15 GiB).  Test kernels: every block also takes 1/8 of itself as KASAN
# shadow (19 MiB per 128 MiB block) and lets KASAN's quarantine keep 1/32
# of it more (4 MiB; the driver's reserve keeps the quarantine's whole
# limit free), and KASAN + kmemleak need more boot memory: 768 MiB boot,
# stops after ~0.5-1 GiB; a 128 MiB ballast, since resuming needs a block's
# cost and a quarter of the (larger) reserve.  No kmemleak scan here: the
# plug path's reserve allocates nothing, the vmem scenarios scan the
# driver's allocations, and a scan walks the memmap of all hot-added
# memory (minutes under KASAN and TCG).
REGION_MB=49152 REQ=${VSCALE_REQ:-$((32 << 30))} BALLAST_MB=48
if [ "$KIND" = test ]; then
	MEM=768 TO=240 HOLD_MB=32 BALLAST_MB=128
	TIMEOUT=${TIMEOUT:-1200}
else
	MEM=512 TO=90 HOLD_MB=64
	TIMEOUT=${TIMEOUT:-300}
fi
GUARD=${VSCALE_GUARD:-1}
BBM_REGION=${VSCALE_BBM_REGION:-2048}
BBM_PLUG=${VSCALE_BBM_PLUG:-$((512 << 20))}
BBM_GROW=${VSCALE_BBM_GROW:-}
MHP_MEMMAP=${VSCALE_MHP_MEMMAP:-1}
SBM_BLOCKS=${VSCALE_SBM_BLOCKS:-3}
# the test kernels (4 MiB pageblocks) where the core knows "force"
# (mm/memory_hotplug.c's MEMMAP_ON_MEMORY_FORCE: 6.12 and later)
MHP_MEMMAP_ON=1
if [ "$KIND" = test ]; then
	eval "$("$TOP/scripts/kernels.sh" ready "$ID" | grep '^KDIR=')"
	grep -qs MEMMAP_ON_MEMORY_FORCE "$KDIR/source/mm/memory_hotplug.c" "$KDIR/mm/memory_hotplug.c" &&
		MHP_MEMMAP_ON=force
fi
MEMMAP_CAN=1
[ "$KIND" != test ] || [ "$MHP_MEMMAP_ON" = force ] || kconfig_has "$ID" HUGETLB_PAGE ||
	MEMMAP_CAN=0
BBM_BLOCK=128M
if [ "$DRV" = ours ]; then
	# the probes of the build (scripts/build.sh: DIR/../src), else run them
	probes=$(dirname "${VMEMARGS[2]}")/src/include/generated/guestmem_probes.h
	if [ ! -f "$probes" ]; then
		probes=$OUT/guestmem_probes.h
		eval "$("$TOP/scripts/kernels.sh" ready "$ID" | grep '^KDIR=')"
		"$TOP/scripts/compat-probe.sh" "$KDIR" "$probes"
	fi
	grep -q '^#define GUESTMEM_HAVE_MHP_SUPPORTS_MEMMAP_ON_MEMORY 1' "$probes" && BBM_BLOCK=512M
else
	BBM_PLUG=0 SBM_BLOCKS=0
fi
# a measurement may take minutes to grow under TCG
[ -z "$BBM_GROW" ] || TO=600
MHP_APPEND="memhp_default_state=online_movable"
[ "$MHP_MEMMAP" = 0 ] || MHP_APPEND="$MHP_APPEND memory_hotplug.memmap_on_memory=$MHP_MEMMAP_ON"
BBM_APPEND="vscale_sbm_blocks=$SBM_BLOCKS vscale_sbm_stop_memmap=${VSCALE_SBM_STOP_MEMMAP:-0} vscale_bbm_plug=$BBM_PLUG vscale_memmap_can=$MEMMAP_CAN${BBM_GROW:+ vscale_bbm_grow=$BBM_GROW vscale_memmap=${VSCALE_MEMMAP:-1}}"

say "booting (timeout ${TIMEOUT}s, ${MEM} MiB boot RAM, region $REGION_MB MiB, request $REQ, guard $GUARD; vm1 $BBM_REGION MiB in $BBM_BLOCK blocks, plug $BBM_PLUG${BBM_GROW:+, grow to $BBM_GROW}; $MHP_APPEND)"
vmem_boot --kernel "$VMLINUZ" --initrd "$OUT/initramfs.cpio.gz" \
	--log "$SERIAL" --rundir "$OUT" --mem "$MEM" --vmem-region "$REGION_MB" --nvme 0 \
	--vmem-bbm "$BBM_REGION:$BBM_BLOCK" \
	--trace 'virtio_mem_*' --trace-log "$TRACE" --timeout "$TIMEOUT" \
	--append "$MHP_APPEND" \
	--append "vscale_req=$REQ vscale_ballast_mb=$BALLAST_MB vscale_hold_mb=$HOLD_MB vscale_to=$TO vscale_guard=$GUARD $BBM_APPEND" \
	-- -chardev "socket,id=ctl,path=$CTLSOCK,server=on,wait=off" -serial chardev:ctl
TOTAL_SECS=$(elapsed)

say "checking results"
results_begin "$SERIAL"

guest_results "$CLEAN" >"$OUT/guest-results.txt"

emit_boot vscale-boot "$rc" "total ${TOTAL_SECS}s"

# vscale-survive: the guest lived through the request
last=$(grep -a '^PROGRESS ' "$CLEAN" | tail -n1)
panic=$(grep -a -m1 'Kernel panic' "$CLEAN" | cut -c1-160 || true)
if [ -n "$panic" ]; then
	emit "vscale-survive FAIL guest died at MemTotal $(echo "$last" | sed -n 's/.*memtotal_kb=\([0-9]*\).*/\1/p') kB (last progress: ${last#PROGRESS }): $panic"
elif ! grep -aq '^===DMESG-END===' "$CLEAN"; then
	emit "vscale-survive FAIL guest did not finish (QEMU rc=$rc; last progress: ${last#PROGRESS })"
else
	emit "vscale-survive PASS guest alive to the end (last progress while growing: ${last#PROGRESS })"
fi

if [ -n "$BBM_GROW" ]; then
	EXPECTED="vscale-probe vscale-bbm-grow"
elif [ "$DRV" = ours ]; then
	mm=vscale-memmap smm=vscale-sbm-memmap
	if [ "$MEMMAP_CAN" = 0 ]; then
		mm=vscale-memmap-fallback smm=vscale-sbm-memmap-fallback
		expect_skip "$CLEAN" vscale-memmap "this kernel cannot keep a memmap in a memory block"
		[ "$SBM_BLOCKS" = 0 ] ||
			expect_skip "$CLEAN" vscale-sbm-memmap "this kernel cannot keep a memmap in a memory block"
	fi
	EXPECTED="vscale-probe $mm vscale-memmap-unplug vscale-memmap-off"
	[ "$SBM_BLOCKS" = 0 ] ||
		EXPECTED="$EXPECTED $smm vscale-sbm-memmap-unplug vscale-sbm-memmap-off"
	EXPECTED="$EXPECTED vscale-stop vscale-warn-once vscale-alive vscale-resume vscale-lower"
else
	EXPECTED="vscale-probe vscale-intree"
fi
expect_guest_results "$OUT/guest-results.txt" "$OUT/results.txt" $EXPECTED

nreq=$(grep -cE 'virtio_mem_(plug|unplug|unplug_all|state)_request' "$TRACE" || true)
nerr=$(grep -cE 'virtio_mem_send_response.*type=3\b' "$TRACE" || true)
if [ "$nreq" -eq 0 ]; then
	emit "vscale-host-trace FAIL no virtio-mem request in QEMU's trace log"
elif [ "$nerr" -ne 0 ]; then
	emit "vscale-host-trace FAIL $nerr ERROR responses among $nreq requests (see $TRACE)"
else
	emit "vscale-host-trace PASS $nreq requests, no ERROR response"
fi

emit "$(dmesg_clean vscale-dmesg-clean "$CLEAN" "$CLEAN" 'RESULT|STAT|PROGRESS|SCENARIO|SKIP|INIT:' 'marking device broken|unknown error' \
	"no BUG/WARNING/KASAN/lockdep/kmemleak reports, device never marked broken" "$OUT/dmesg-reports.txt")"

grep -a '^SKIP ' "$CLEAN" || true
grep -a '^STAT vscale' "$CLEAN" || true
results_summary "$ID vmem-scale $DRV" "total ${TOTAL_SECS}s"
