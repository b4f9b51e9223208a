#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The one QEMU launcher of the lab (demo, tests, benchmarks).
#
#   vm.sh --kernel VMLINUZ --initrd CPIO --log SERIAL.LOG
#         [--rundir DIR] [--qmp SOCK]
#         [--trace PATTERN]... [--trace-log FILE] [--trace-time]
#         [--pmem-img FILE] [--pmem-size 1G] [--vmem-size 0] [--mem MB]
#         [--pmem-more IMG@SLOT]... [--syscall-counts FILE]
#         [--vmem-region MB] [--vmem-bbm MB:BLOCK] [--dimm-room MB]
#         [--disk IMG] [--nvme N] [--retry-early | --stop-early] [--host ID]
#         [--append "ARGS"] [--timeout SEC] [--interactive] [-- QEMU-ARGS...]
#
# Every boot has the same machine: q35, 1 GiB RAM (--mem MB: more boot RAM,
# e.g. for KASAN kernels, which take 1/8 of hot-added memory as shadow
# from the RAM already there), virtio-pmem on a shared file backend,
# virtio-mem (8 GiB backend, id vm0), three NVMe with a 64 MiB CMB behind
# a PCIe switch (serials d00d0001-3, ids nvme1-3, each on its own
# hotplug-capable xio3130 downstream port; the third one is for the p2pmem
# tests, which bind it to p2pmem_pci and finally remove and re-add it over
# QMP under stress).
# --vmem-region MB: a larger virtio-mem backend (reserve=off: the host
# only backs what the guest touches, so the region may exceed host RAM).
# --vmem-bbm MB:BLOCK: a second virtio-mem device (id vm1, nothing
# requested) of MB MiB (reserve=off) with device block size BLOCK, e.g.
# 512M: bigger than a memory block, so the driver uses Big Block Mode.
# --dimm-room MB: MB more maxmem, room for pc-dimms hot-added over QMP
# (vmem-host.py DIMM; the DKMS test's non-virtio-mem memory block).
# --nvme N: only the first N (0-3) NVMe drives (default 3); with fewer
# than 3 there is no switch, each one sits on a root port of its own.  The
# boots that do not test p2pmem take 0 (1 for a disk): under TCG the
# kernel spends ~40 s of a KASAN boot enumerating the switch and probing
# the three controllers.
# --disk adds IMG as a virtio-blk disk (/dev/vda: the Debian guest of the
# DKMS test boots from it with its own initrd).
# --pmem-more IMG@SLOT: one more virtio-pmem device on the existing file
# IMG (its size), at PCI slot SLOT (hex, 0x10-0x1e) of pcie.0, so the guest
# can tell the devices apart by PCI address (namespaces probe
# asynchronously: /dev/pmemN numbers follow no order).
# --trace-time: wall-clock timestamps in the trace log (-msg timestamp=on:
# "PID@SECONDS.USEC:event ...").
# --syscall-counts FILE: QEMU runs under `perf stat -I 100` counting its
# fsync and fdatasync system calls (all threads) per 100 ms into FILE
# (CSV, times relative to the start) and the start's epoch time into
# FILE.t0; without a working perf a warning, and QEMU runs bare.
# Image files are created sparse under --rundir (default: the log's
# directory).  The kernel command line gets pmem_size=BYTES for the guest
# scenarios.
#
# --host ID: the QEMU to run (scripts/qemu-host.sh; default $QEMU_HOST,
# else qemu-7.2, the machine's own: its command line is the one vm.sh has
# always built).  qemu-10.0 is Debian bookworm-backports' QEMU 10.0,
# unpacked into the cache on first use: its binary, with -L and its own
# firmware directory right after the binary's name (and LD_LIBRARY_PATH
# through `env` if the host lacked a library).  The same command line
# runs on both: QEMU 10.0 takes every option as 7.2 does and prints no
# deprecation warning for any (compared 2026-12-06).
#
# Accelerator: $ACCEL (kvm|tcg) if set; else KVM when a cached probe says a
# guest really boots with it (kvm_works), else TCG.
# Exit status: QEMU's; 124 when --timeout killed it.
. "$(dirname "$0")/lib.sh"
set -eu

usage() { die "usage: $0 --kernel VMLINUZ --initrd CPIO --log FILE [options] (see header)"; }

KERNEL='' INITRD='' LOG='' RUNDIR='' QMP='' TRACE_LOG='' PMEM_IMG='' PMEM_SIZE=1G VMEM_SIZE=0
APPEND='' TIMEOUT='' INTERACTIVE=0 MEM_MB=1024 DISK='' VMEM_REGION_MB='' VMEM_BBM=''
DIMM_ROOM_MB=0 NVME=3 EARLY= HOST=${QEMU_HOST:-qemu-7.2}
TRACE_TIME=0 SYSCALL_COUNTS=''
TRACES=()
PMEM_MORE=()
EXTRA_QEMU=()
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) KERNEL=$2; shift ;;
	--initrd) INITRD=$2; shift ;;
	--log) LOG=$2; shift ;;
	--rundir) RUNDIR=$2; shift ;;
	--qmp) QMP=$2; shift ;;
	--trace) TRACES+=("$2"); shift ;;
	--trace-log) TRACE_LOG=$2; shift ;;
	--trace-time) TRACE_TIME=1 ;;
	--pmem-more) PMEM_MORE+=("$2"); shift ;;
	--syscall-counts) SYSCALL_COUNTS=$2; shift ;;
	--pmem-img) PMEM_IMG=$2; shift ;;
	--pmem-size) PMEM_SIZE=$2; shift ;;
	--vmem-size) VMEM_SIZE=$2; shift ;;
	--mem) MEM_MB=$2; shift ;;
	--vmem-region) VMEM_REGION_MB=$2; shift ;;
	--vmem-bbm) VMEM_BBM=$2; shift ;;
	--dimm-room) DIMM_ROOM_MB=$2; shift ;;
	--disk) DISK=$2; shift ;;
	--retry-early) EARLY=retry ;;
	--stop-early) EARLY=stop ;;
	--host) HOST=$2; shift ;;
	--nvme) NVME=$2; shift ;;
	--append) APPEND="$APPEND $2"; shift ;;
	--timeout) TIMEOUT=$2; shift ;;
	--interactive) INTERACTIVE=1 ;;
	--) shift; EXTRA_QEMU=("$@"); break ;;
	*) usage ;;
	esac
	shift
done
[ -n "$KERNEL" ] && [ -n "$INITRD" ] && [ -n "$LOG" ] || usage
[ -f "$KERNEL" ] || die "kernel $KERNEL not found"
[ -f "$INITRD" ] || die "initrd $INITRD not found"
# a KASAN kernel whose shadow bounds follow the LA57 flag boots with
# 4-level paging (lib.sh kasan_follows_la57: an early-boot KASAN flake)
if kasan_follows_la57 "$KERNEL"; then
	APPEND="$APPEND no5lvl"
fi

# the QEMU host: QEMU_BIN, QEMU_FIRMWARE, QEMU_LIBPATH, QEMU_VERSION
host_env=$("$TOP/scripts/qemu-host.sh" "$HOST") || die "vm: QEMU host '$HOST' is not available"
eval "$host_env"
QEMU=("$QEMU_BIN")
[ -z "$QEMU_LIBPATH" ] || QEMU=(env "LD_LIBRARY_PATH=$QEMU_LIBPATH" "$QEMU_BIN")
[ -z "$QEMU_FIRMWARE" ] || QEMU+=(-L "$QEMU_FIRMWARE")

# kvm_works KERNEL: can this machine boot a guest with KVM?  Boots KERNEL
# with a tiny initramfs that prints a token and powers off; the answer is
# cached in $CACHE/kvm-works (delete it to probe again).
kvm_works() {
	local cache=$CACHE/kvm-works dir out
	if [ -f "$cache" ]; then
		[ "$(cat "$cache")" = yes ]
		return
	fi
	if [ ! -w /dev/kvm ]; then
		echo no >"$cache"
		return 1
	fi
	say "probing KVM (once; cached in $cache)"
	dir=$(mktemp -d)
	mkdir -p "$dir/root/bin"
	cp /bin/busybox "$dir/root/bin/busybox"
	printf '#!/bin/busybox sh\n/bin/busybox echo KVMPROBE-OK\n/bin/busybox poweroff -f\n' >"$dir/root/init"
	chmod 755 "$dir/root/init"
	(cd "$dir/root" && find . | cpio -o -H newc --quiet -R 0:0 | gzip -1) >"$dir/probe.cpio.gz"
	out=$(timeout 15 "${QEMU[@]}" -accel kvm -cpu host -M q35 -m 512M \
		-nographic -no-reboot -kernel "$1" -initrd "$dir/probe.cpio.gz" \
		-append 'console=ttyS0 panic=-1 rdinit=/init' </dev/null 2>&1 || true)
	rm -rf "$dir"
	if printf '%s' "$out" | grep -q KVMPROBE-OK; then
		echo yes >"$cache"
		say "KVM works"
		return 0
	fi
	echo no >"$cache"
	say "KVM does not boot a guest here: using TCG"
	return 1
}

ACCEL=${ACCEL:-}
if [ -z "$ACCEL" ]; then
	if kvm_works "$KERNEL"; then ACCEL=kvm; else ACCEL=tcg; fi
fi
case "$ACCEL" in
kvm) ACCEL_ARGS=(-accel kvm -cpu host -smp 2) ;;
tcg) ACCEL_ARGS=(-accel tcg -cpu max -smp 2) ;;
*) die "ACCEL must be kvm or tcg" ;;
esac

bytes() { numfmt --from=iec "${1%B}" 2>/dev/null || die "bad size '$1'"; }

RUNDIR=${RUNDIR:-$(dirname "$LOG")}
mkdir -p "$RUNDIR" "$(dirname "$LOG")"
QMP=${QMP:-$RUNDIR/qmp.sock}
PMEM_IMG=${PMEM_IMG:-$RUNDIR/pmem.img}
PMEM_BYTES=$(bytes "$PMEM_SIZE")
VMEM_BYTES=$(bytes "$VMEM_SIZE")
[[ "$MEM_MB" =~ ^[1-9][0-9]*$ ]] || die "--mem: '$MEM_MB' is not a size in MiB"
VMEM_BACKEND_MB=8192
VMEM_BACKEND_OPTS=
if [ -n "$VMEM_REGION_MB" ]; then
	[[ "$VMEM_REGION_MB" =~ ^[1-9][0-9]*$ ]] || die "--vmem-region: '$VMEM_REGION_MB' is not a size in MiB"
	VMEM_BACKEND_MB=$VMEM_REGION_MB
	VMEM_BACKEND_OPTS=,reserve=off
fi
VMEM_BBM_MB=0
VMEM_BBM_ARGS=()
if [ -n "$VMEM_BBM" ]; then
	[[ "$VMEM_BBM" =~ ^([1-9][0-9]*):([1-9][0-9]*[MG])$ ]] ||
		die "--vmem-bbm: '$VMEM_BBM' is not MB:BLOCK (e.g. 2048:512M)"
	VMEM_BBM_MB=${BASH_REMATCH[1]}
	VMEM_BBM_ARGS=(-object "memory-backend-ram,id=vmem1,size=${VMEM_BBM_MB}M,reserve=off"
		-device "virtio-mem-pci,id=vm1,memdev=vmem1,requested-size=0,block-size=${BASH_REMATCH[2]}")
fi
[[ "$DIMM_ROOM_MB" =~ ^[0-9]+$ ]] || die "--dimm-room: '$DIMM_ROOM_MB' is not a size in MiB"
MAXMEM_MB=$((MEM_MB + VMEM_BACKEND_MB + VMEM_BBM_MB + DIMM_ROOM_MB + (PMEM_BYTES + 1048575) / 1048576))
MORE_ARGS=()
n=1
for m in "${PMEM_MORE[@]}"; do
	img=${m%@*}
	slot=${m##*@}
	[ "$img" != "$m" ] && [[ "$slot" =~ ^0x1[0-9a-e]$ ]] ||
		die "--pmem-more: '$m' is not IMG@SLOT with SLOT 0x10..0x1e"
	[ -f "$img" ] || die "--pmem-more: $img not found"
	sz=$(stat -c %s "$img")
	[ $((sz % 2097152)) -eq 0 ] && [ "$sz" -gt 0 ] || die "--pmem-more: $img: size $sz is not a multiple of 2 MiB"
	MORE_ARGS+=(-object "memory-backend-file,id=pmem$n,share=on,mem-path=$img,size=$sz"
		-device "virtio-pmem-pci,memdev=pmem$n,id=vpmem$n,bus=pcie.0,addr=$slot")
	MAXMEM_MB=$((MAXMEM_MB + sz / 1048576))
	n=$((n + 1))
done

if [ ! -e "$PMEM_IMG" ]; then
	truncate -s "$PMEM_BYTES" "$PMEM_IMG"
elif [ "$(stat -c %s "$PMEM_IMG")" -lt "$PMEM_BYTES" ]; then
	die "$PMEM_IMG is smaller than --pmem-size $PMEM_SIZE"
fi
[[ "$NVME" =~ ^[0-3]$ ]] || die "--nvme: '$NVME' is not 0-3"
for ((n = 1; n <= NVME; n++)); do
	[ -e "$RUNDIR/nvme$n.img" ] || truncate -s 1G "$RUNDIR/nvme$n.img"
done
# nvme_device N BUS: the -device of NVMe drive N.  Its block node is a
# -blockdev (nvdN), not a -drive: a -drive's backend is deleted with its
# device, a -blockdev node stays, so the host can device_add the same
# controller again after a device_del: the -device string is also kept in
# RUNDIR/nvmeN.qdev for that (tests/p2pmem-scenarios.sh).
nvme_device() {
	echo "nvme,id=nvme$1,drive=nvd$1,serial=d00d000$1,cmb_size_mb=64,bus=$2" |
		tee "$RUNDIR/nvme$1.qdev"
}
# nvme_args: the NVMe drives, behind the switch when all three are there,
# else each on a root port of its own
nvme_args() {
	local n bus
	NVME_ARGS=()
	[ "$NVME" = 3 ] && NVME_ARGS=(-device pcie-root-port,id=rp1,chassis=1,slot=1
		-device x3130-upstream,id=up1,bus=rp1)
	for ((n = 1; n <= NVME; n++)); do
		if [ "$NVME" = 3 ]; then
			bus=dn$n
			NVME_ARGS+=(-device "xio3130-downstream,id=$bus,bus=up1,chassis=$((n + 8))")
		else
			bus=rp$n
			NVME_ARGS+=(-device "pcie-root-port,id=$bus,chassis=$n,slot=$n")
		fi
		NVME_ARGS+=(-blockdev "driver=raw,node-name=nvd$n,file.driver=file,file.filename=$RUNDIR/nvme$n.img"
			-device "$(nvme_device "$n" "$bus")")
	done
}
nvme_args
rm -f "$QMP"

if [ "$INTERACTIVE" = 1 ]; then
	SERIAL=(-chardev "stdio,id=ser0,mux=on,signal=off,logfile=$LOG"
		-serial chardev:ser0 -mon chardev=ser0,mode=readline)
else
	SERIAL=(-chardev "file,id=ser0,path=$LOG" -serial chardev:ser0)
fi

DISK_ARGS=()
if [ -n "$DISK" ]; then
	[ -f "$DISK" ] || die "disk image $DISK not found"
	DISK_ARGS=(-drive "file=$DISK,if=virtio,format=raw,cache=unsafe")
fi

TRACE_ARGS=()
if [ ${#TRACES[@]} -gt 0 ]; then
	TRACE_LOG=${TRACE_LOG:-$RUNDIR/trace.log}
	: >"$TRACE_LOG"
	for t in "${TRACES[@]}"; do
		TRACE_ARGS+=(-trace "$t")
	done
	TRACE_ARGS+=(-D "$TRACE_LOG")
	[ "$TRACE_TIME" = 0 ] || TRACE_ARGS+=(-msg timestamp=on)
fi

CMD=("${QEMU[@]}" -name guestmem "${ACCEL_ARGS[@]}"
	-M q35 -m "${MEM_MB}M,slots=4,maxmem=${MAXMEM_MB}M"
	-nodefaults -display none -no-reboot
	-kernel "$KERNEL" -initrd "$INITRD"
	-append "console=ttyS0 panic=-1 rdinit=/init pmem_size=$PMEM_BYTES${APPEND}"
	"${SERIAL[@]}"
	-qmp "unix:$QMP,server=on,wait=off"
	-object "memory-backend-file,id=pmem0,share=on,mem-path=$PMEM_IMG,size=$PMEM_BYTES"
	-device virtio-pmem-pci,memdev=pmem0,id=vpmem0
	-object "memory-backend-ram,id=vmem0,size=${VMEM_BACKEND_MB}M$VMEM_BACKEND_OPTS"
	-device "virtio-mem-pci,id=vm0,memdev=vmem0,requested-size=$VMEM_BYTES,block-size=2M"
	"${VMEM_BBM_ARGS[@]}"
	"${NVME_ARGS[@]}"
	"${MORE_ARGS[@]}" "${DISK_ARGS[@]}" "${TRACE_ARGS[@]}" "${EXTRA_QEMU[@]}")

if [ -n "$SYSCALL_COUNTS" ]; then
	PERF_EV=syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync
	if perf stat -x, -e "$PERF_EV" -o /dev/null -- true >/dev/null 2>&1; then
		CMD=(perf stat -I 100 -x, -e "$PERF_EV" -o "$SYSCALL_COUNTS" -- "${CMD[@]}")
		date +%s.%N >"$SYSCALL_COUNTS.t0"
	else
		warn "vm: perf cannot count syscalls:sys_enter_fsync here: no syscall counts ($SYSCALL_COUNTS)"
		SYSCALL_COUNTS=
	fi
fi

[ "$HOST" = qemu-7.2 ] || say "vm: QEMU host $HOST ($QEMU_VERSION, $QEMU_BIN)"
say "vm: accel=$ACCEL kernel=$(basename "$KERNEL") initrd=$(basename "$INITRD") pmem=$PMEM_IMG ($PMEM_SIZE)"
say "vm: serial log $LOG, QMP $QMP${TRACE_LOG:+, trace log $TRACE_LOG}${TIMEOUT:+, timeout ${TIMEOUT}s}"
printf '%q ' "${CMD[@]}" >"$RUNDIR/qemu.cmdline"
echo >>"$RUNDIR/qemu.cmdline"
: >"$LOG"

# run_qemu: one boot; sets rc.  With --retry-early / --stop-early the log
# is watched until the guest's /init speaks: a kernel report before that
# (lib.sh boot_report) stops QEMU at once and is left in EARLY_REPORT.
run_qemu() {
	local pid
	rc=0 EARLY_REPORT=''
	if [ -n "$EARLY" ] && [ "$INTERACTIVE" = 0 ]; then
		timeout -k 5 "${TIMEOUT:-0}" "${CMD[@]}" </dev/null &
		pid=$!
		while kill -0 "$pid" 2>/dev/null; do
			if EARLY_REPORT=$(boot_report "$LOG"); then
				kill "$pid" 2>/dev/null || true
				break
			fi
			EARLY_REPORT=''
			grep -aq '^INIT: ' "$LOG" && break
			sleep 0.5
		done
		wait "$pid" || rc=$?
	elif [ -n "$TIMEOUT" ]; then
		if [ "$INTERACTIVE" = 1 ]; then
			timeout --foreground -k 5 "$TIMEOUT" "${CMD[@]}" || rc=$?
		else
			timeout -k 5 "$TIMEOUT" "${CMD[@]}" </dev/null || rc=$?
		fi
	elif [ "$INTERACTIVE" = 1 ]; then
		"${CMD[@]}" || rc=$?
	else
		"${CMD[@]}" </dev/null || rc=$?
	fi
}

start=$(date +%s.%N)
rm -f "$RUNDIR/boot-retried.txt"
run_qemu
# --retry-early: a boot that had a kernel report before the guest's /init
# ran (stopped at once, above), or that died before its scenario started
# of an int3 Oops in core kernel text (lib.sh tcg_int3_oops; a TCG flake
# seen on stock 6.12 only), is booted once more: nothing of the scenario
# ran, so the images are as they were.  The first log is kept as
# serial.try1.log and the reason in RUNDIR/boot-retried.txt, which the
# caller names in its boot result; a second such boot is not retried (its
# report fails the caller's log check, and vm.sh exits 75).  Only for callers whose host half
# survives a second QEMU.  --stop-early: the same first boot, not booted
# again: vm.sh exits with EARLY_STOP_RC (75) and the reason in
# boot-retried.txt, for callers that restart their host half and call
# vm.sh once more themselves (tests/vmem-scenarios.sh).
EARLY_STOP_RC=75
early_why=''
if [ -n "$EARLY_REPORT" ]; then
	early_why="kernel report before the guest's /init: $(echo "$EARLY_REPORT" | sed 's/^\[ *[0-9.]*\] //')"
elif [ -n "$EARLY" ] && ! grep -aq '^INIT: SCENARIO-START' "$LOG" && why=$(tcg_int3_oops "$LOG"); then
	early_why="died before the scenario: $why"
fi
if [ -n "$early_why" ]; then
	cp "$LOG" "${LOG%.log}.try1.log"
	echo "boot retried, the first: $early_why" | cut -c1-200 >"$RUNDIR/boot-retried.txt"
	if [ "$EARLY" = stop ]; then
		warn "vm: stopped the boot ($early_why)"
		exit "$EARLY_STOP_RC"
	fi
	warn "vm: the first boot failed early ($early_why): booting once more"
	rm -f "$QMP"
	: >"$LOG"
	run_qemu
	if [ -n "$EARLY_REPORT" ]; then
		warn "vm: stopped the second boot too ($EARLY_REPORT)"
		rc=$EARLY_STOP_RC
	fi
fi
secs=$(echo "$start $(date +%s.%N)" | awk '{printf "%.1f", $2 - $1}')
case $rc in
0) say "vm: QEMU exited normally after ${secs}s" ;;
124|137) warn "vm: TIMEOUT: QEMU killed after ${TIMEOUT}s (rc=$rc)"; rc=124 ;;
*) warn "vm: QEMU exited with status $rc after ${secs}s" ;;
esac
exit "$rc"
