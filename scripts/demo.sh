#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# demo.sh [ID]: `make demo`, the three drivers on stock Debian kernels,
# each beside the in-tree driver, in one short report.
# demo.sh --shell [ID]: `make vm`, an interactive guest with them loaded.
#
# ID (default stock-6.12, `make demo KERNEL=...`) is the kernel of the
# virtio-pmem and virtio-mem parts; it must be a stock kernel of
# scripts/matrix.conf.  The p2pmem_pci part runs on the first stock kernel
# of the matrix with CONFIG_PCI_P2PDMA (ID itself if it has it); without
# one it is skipped with a line saying so.  Three guest boots, one at a
# time (scripts/vm.sh: every boot has the pmem, mem and NVMe devices):
#   ours    ID, our virtio_pmem/nd_virtio/virtio_mem: the pmem tour, the
#           virtio-mem resizes and the blocked unplug, the flush benchmark
#   intree  ID, the kernel's own modules: the blocked unplug and the
#           flush benchmark (tests/guest/demo.sh)
#   p2pmem  the P2PDMA kernel, p2pmem_pci (tests/guest/demo-p2pmem.sh)
# The host side of the virtio-mem steps and the QEMU trace counts is
# scripts/vmem-host.py on a second serial port.
#
# Output: the report on stdout and in results/demo-<time>/report.md, the
# flush comparison as pmem-ratio.png next to it, logs per boot in
# results/demo-<time>/<boot>/.  Exit status 1 when a part did not work
# (its PROBLEM lines are in the report).
#
# Environment: DEMO_THREADS (16), DEMO_COUNT (writes + fdatasync per writer,
# 100), DEMO_HOLD (seconds the unplug stays blocked, 4), ACCEL (scripts/vm.sh).
. "$(dirname "$0")/lib.sh"

SHELL_ONLY=0
[ "$1" = --shell ] && { SHELL_ONLY=1; shift; }
ID=${1:-stock-6.12}
THREADS=${DEMO_THREADS:-16}
COUNT=${DEMO_COUNT:-100}
HOLD_S=${DEMO_HOLD:-4}
VMEM_BIG=$((2 << 30))
VMEM_SMALL=$((512 << 20))
BOOT_TIMEOUT=600
T0=$(date +%s.%N)
step() { say "[$(elapsed)s] $*"; }

# the kind from matrix.conf first: "env" of a test kernel would build it
kind=$(grep -v '^#' "$TOP/scripts/matrix.conf" | awk -v id="$ID" '$1 == id {print $2}')
if [ "$kind" != stock ]; then
	what="not in scripts/matrix.conf"
	[ -z "$kind" ] || what="a '$kind' kernel"
	die "make demo and make vm run stock Debian kernels only; '$ID' is $what (stock: $(grep -v '^#' "$TOP/scripts/matrix.conf" | awk '$2 == "stock" {printf "%s%s", n++ ? " " : "", $1}'))"
fi
if [ $SHELL_ONLY = 1 ]; then
	RUN=$TOP/results/vm
	rm -rf "$RUN"
else
	RUN=$TOP/results/demo-$(date +%Y%m%d-%H%M%S)
fi
mkdir -p "$RUN"

# --- preparation ---------------------------------------------------------------
step "host packages (scripts/deps.sh; apt-get install only what is missing)"
"$TOP/scripts/deps.sh" || exit 1
step "tools: pmemtool, vmemhold, p2pcopy (static)"
make -s -C "$TOP/tools" O="$CACHE/tools" >"$RUN/tools.log" 2>&1 ||
	die "building the tools failed ($RUN/tools.log)"
TOOLS=$CACHE/tools

# kenv ID: the kernel's environment into K_* (downloads and unpacks a
# stock kernel the first time: scripts/kernels.sh)
kenv() {
	local out
	out=$("$TOP/scripts/kernels.sh" env "$1") || die "provisioning $1 failed"
	eval "$(echo "$out" | sed 's/^/K_/')"
}

# ours_for ID: our modules for ID, built once per state of the sources
# (scripts/build.sh builds from scratch, ~25 s of CPU per kernel): kept in
# $CACHE/demo-modules/ID-HASH, HASH over the kernel and every source file
# scripts/build.sh compiles.
ours_for() {
	local id=$1 h d out m try
	kenv "$id"
	h=$( (cd "$TOP" && echo "$K_KVER $K_KDIR" &&
		find Kbuild Makefile dkms.conf drivers include kunit scripts/compat-probe.sh \
			-path include/generated -prune -o -type f \
			\( -name '*.[ch]' -o -name Kbuild -o -name Makefile -o -name '*.sh' -o -name dkms.conf \) \
			! -name '*.mod.c' -print | LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -c1-12)
	d=$CACHE/demo-modules/$id-$h
	if [ ! -e "$d/.done" ]; then
		for try in 1 2; do
			out=$("$TOP/scripts/build.sh" "$id" 2>"$RUN/build-$id.log") ||
				die "building our modules for $id failed ($RUN/build-$id.log)"
			rm -rf "$d"
			mkdir -p "$d"
			cp "$out"/*.ko "$d/" 2>>"$RUN/build-$id.log"
			for m in "$d"/*.ko; do
				[ "$(modinfo -F vermagic "$m" 2>/dev/null | awk '{print $1}')" = "$K_KVER" ] ||
					{ rm -rf "$d"; break; }
			done
			# a concurrent build of the same kernel (make check) shares $out
			[ -d "$d" ] && break
			[ $try = 2 ] && die "our modules for $id: $out changed under us twice"
		done
		touch "$d/.done"
	fi
	echo "$d"
}

has_p2pdma() { grep -q '^CONFIG_PCI_P2PDMA=y' "$1/.config" 2>/dev/null; }

step "kernel $ID (scripts/kernels.sh: the stock Debian image, downloaded and unpacked into $CACHE the first time)"
kenv "$ID"
KVER=$K_KVER VMLINUZ=$K_VMLINUZ KDIR=$K_KDIR
step "our modules for $ID"
MODS=$(ours_for "$ID") || exit 1

# the P2PDMA kernel: ID, else the first stock kernel of the matrix with it
P2P_ID='' P2P_NOTE=''
if has_p2pdma "$KDIR"; then
	P2P_ID=$ID
elif [ $SHELL_ONLY = 1 ]; then
	P2P_NOTE="$ID: no CONFIG_PCI_P2PDMA"
else
	P2P_NOTE="$ID: no CONFIG_PCI_P2PDMA"
	for id in $("$TOP/scripts/kernels.sh" list); do
		[ "$id" = "$ID" ] && continue
		grep -v '^#' "$TOP/scripts/matrix.conf" | awk -v id="$id" '$1 == id && $2 == "stock" {f = 1} END {exit !f}' || continue
		step "p2pmem_pci needs CONFIG_PCI_P2PDMA: checking $id (provisioned the first time)"
		kenv "$id"
		if has_p2pdma "$K_KDIR"; then
			P2P_ID=$id
			break
		fi
		P2P_NOTE="$P2P_NOTE, $id: neither"
	done
fi
if [ -n "$P2P_ID" ]; then
	kenv "$P2P_ID"
	P2P_KVER=$K_KVER P2P_VMLINUZ=$K_VMLINUZ
	step "our p2pmem_pci for $P2P_ID ($P2P_KVER has CONFIG_PCI_P2PDMA=y)"
	P2P_MODS=$(ours_for "$P2P_ID") || exit 1
	[ -f "$P2P_MODS/p2pmem_pci.ko" ] || die "no p2pmem_pci.ko built for $P2P_ID"
fi

# --- make vm ----------------------------------------------------------------------
if [ $SHELL_ONLY = 1 ]; then
	SHELL_ID=$ID
	EXTRA=("$TOOLS/pmemtool" "$TOOLS/vmemhold" "$TOOLS/p2pcopy")
	if [ "$P2P_ID" = "$ID" ]; then
		EXTRA+=("$MODS/p2pmem_pci.ko")
	fi
	"$TOP/scripts/initramfs.sh" "$ID" "$RUN/initramfs.cpio.gz" --ours "$MODS" --vmem ours "$MODS" \
		--scenario "$TOP/tests/guest/vm-shell.sh" --extra "${EXTRA[@]}" >"$RUN/initramfs.log" 2>&1 ||
		{ tail -n 20 "$RUN/initramfs.log" >&2; die "initramfs failed ($RUN/initramfs.log)"; }
	cat >&2 <<EOF

==> interactive guest: $SHELL_ID ($KVER), our virtio_pmem, nd_virtio and virtio_mem loaded
    virtio-pmem  /dev/pmem0 (mkfs.ext4 /dev/pmem0; mount -o dax /dev/pmem0 /mnt);
                 flush stats: /sys/bus/virtio/devices/virtio*/flush_stats/
    virtio-mem   0 plugged; resize from the host, in another terminal:
                     make vm-resize SIZE=2G      (scripts/vm-resize.sh, QMP $RUN/qmp.sock)
                 guest: /sys/bus/virtio/devices/virtio*/virtio_mem/, MemTotal in /proc/meminfo
    p2pmem_pci   $(if [ "$P2P_ID" = "$ID" ]; then echo "/dev/p2pmem*, /sys/class/p2pmem_guestmem/p2pmem*/ (3 NVMe CMBs); p2pcopy in /bin"; else echo "not on $ID (no CONFIG_PCI_P2PDMA; sid's kernel has it: make vm KERNEL=stock-7.2)"; fi)
    tools        pmemtool, vmemhold, p2pcopy; leave with 'poweroff -f'

EOF
	exec "$TOP/scripts/vm.sh" --kernel "$VMLINUZ" --initrd "$RUN/initramfs.cpio.gz" \
		--log "$RUN/serial.log" --rundir "$RUN" --interactive
fi

# --- boots --------------------------------------------------------------------------
PROBLEMS=()
NOTES=()
problem() { PROBLEMS+=("$*"); warn "$*"; }

# intree_alloc_warnings DIR: page allocation failure warnings logged by
# the in-tree virtio_mem's worker in the guest's dmesg
intree_alloc_warnings() {
	sed -n '/^===DMESG-BEGIN===/,/^===DMESG-END===/p' "$1/serial.txt" |
		grep -a -c 'page allocation failure'
}

# intree_alloc_warnings_only DIR: every report is the backtrace of such a
# warning (one "Call Trace:" per warning, no BUG/WARNING/Oops/hung task)
intree_alloc_warnings_only() {
	local n
	n=$(intree_alloc_warnings "$1")
	[ "$n" -gt 0 ] && ! grep -a -v -q 'Call Trace:' "$1/dmesg-reports.txt" &&
		[ "$(grep -a -c 'Call Trace:' "$1/dmesg-reports.txt")" -eq "$n" ]
}
declare -A BOOT_WALL BOOT_CPU

# child_cpu: CHILD_CPU = user+sys seconds of this shell's reaped children
# so far (`times` in this shell, not in a $(...) subshell)
child_cpu() {
	times >"$RUN/.times"
	CHILD_CPU=$(awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); t += a[1] * 60 + a[2] }
		printf "%.1f", t }' "$RUN/.times")
}

# watch_guest SERIAL T0: print the guest's report lines as they appear
watch_guest() {
	local n=0 total
	while sleep 1; do
		total=$(tr -d '\r' <"$1" 2>/dev/null | grep -a -c -E '^(DEMO |INIT: SCENARIO-START)' || true)
		[ "$total" -gt "$n" ] || continue
		tr -d '\r' <"$1" | grep -a -E '^(DEMO |INIT: SCENARIO-START)' | sed -n "$((n + 1)),${total}p" |
			sed -e 's/^INIT: SCENARIO-START/guest up, scenario running/' -e 's/^DEMO [a-z0-9]* //' |
			while IFS= read -r l; do printf '    [%5.1fs] %s\n' "$(elapsed "$2")" "$l" >&2; done
		n=$total
	done
}

# boot_once NAME KERNEL-ID VMLINUZ VM-ARGS...: one QEMU run into $RUN/NAME
# (with the vmem-host.py channel except for p2pmem); sets BOOT_CPU,
# BOOT_WALL and rc, writes serial.txt
boot_once() {
	local name=$1 id=$2 vmlinuz=$3 d=$RUN/$1 host=0 watcher cpu0 t
	shift 3
	local va=("$@")
	: >"$d/serial.log"
	: >"$d/trace.log"
	if [ "$name" != p2pmem ]; then
		python3 "$TOP/scripts/vmem-host.py" --ctl "$d/ctl.sock" --qmp "$d/qmp.sock" \
			--trace "$d/trace.log" --log "$d/ctl.log" &
		host=$!
		va+=(--trace virtio_pmem_flush_request --trace 'virtio_mem_*' --trace-log "$d/trace.log"
			-- -chardev "socket,id=ctl,path=$d/ctl.sock,server=on,wait=off" -serial chardev:ctl)
	fi
	t=$(date +%s.%N)
	watch_guest "$d/serial.log" "$t" &
	watcher=$!
	step "$name: booting $id in QEMU (TCG; serial log $d/serial.log)"
	child_cpu
	cpu0=$CHILD_CPU
	rc=0
	"$TOP/scripts/vm.sh" --kernel "$vmlinuz" --initrd "$d/initramfs.cpio.gz" \
		--log "$d/serial.log" --rundir "$d" --qmp "$d/qmp.sock" --timeout "$BOOT_TIMEOUT" \
		"${va[@]}" >"$d/vm.log" 2>&1 || rc=$?
	child_cpu
	BOOT_CPU[$name]=$(awk -v a="$cpu0" -v b="$CHILD_CPU" -v c="${BOOT_CPU[$name]:-0}" 'BEGIN {printf "%.1f", c + b - a}')
	BOOT_WALL[$name]=$(awk -v a="$(elapsed "$t")" -v c="${BOOT_WALL[$name]:-0}" 'BEGIN {printf "%.1f", c + a}')
	sleep 1
	kill "$watcher" 2>/dev/null
	wait "$watcher" 2>/dev/null
	if [ "$host" != 0 ]; then
		kill "$host" 2>/dev/null
		wait "$host" 2>/dev/null
	fi
	tr -d '\r' <"$d/serial.log" >"$d/serial.txt"
}

# boot NAME KERNEL-ID VMLINUZ INITRAMFS-ARGS... -- VM-ARGS...: one guest
# boot into $RUN/NAME, with the vmem-host.py channel; CLEAN_NAME is the
# carriage-return free serial log
boot() {
	local name=$1 id=$2 vmlinuz=$3 d=$RUN/$1 ia=() va=() try rc
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do ia+=("$1"); shift; done
	[ "${1:-}" = -- ] && shift
	va=("$@")
	mkdir -p "$d"
	step "$name: initramfs for $id"
	if ! "$TOP/scripts/initramfs.sh" "$id" "$d/initramfs.cpio.gz" "${ia[@]}" >"$d/initramfs.log" 2>&1; then
		tail -n 20 "$d/initramfs.log" >&2
		problem "$name: building the initramfs failed ($d/initramfs.log)"
		return 1
	fi
	for try in 1 2; do
		boot_once "$name" "$id" "$vmlinuz" "${va[@]}"
		grep -aq '^INIT: SCENARIO-START' "$d/serial.txt" && break
		grep -aq 'Kernel panic' "$d/serial.txt" || break
		# a crash before any of our code ran (TCG, QEMU 7.2: int3 Oopses
		# in patched kernel text, seen on stock 6.12 with the in-tree
		# modules): boot once more and say so
		[ $try = 2 ] && break
		NOTES+=("$name: the first boot crashed before the demo started ($(grep -a -m1 -E 'Oops|BUG:|Kernel panic' "$d/serial.txt" | sed 's/^\[[^]]*\] //' | cut -c1-80)); booted once more, log kept in $d/serial.crash.log")
		mv "$d/serial.log" "$d/serial.crash.log"
		rm -f "$d"/*.img
		step "$name: the guest crashed before the demo started: booting once more"
	done
	step "$name: guest ran ${BOOT_WALL[$name]} s, QEMU CPU ${BOOT_CPU[$name]} s (user+sys)"
	if [ $rc -ne 0 ]; then
		problem "$name: QEMU exited with status $rc$([ $rc = 124 ] && echo " (killed after ${BOOT_TIMEOUT} s)"); serial log $d/serial.log"
	fi
	if ! grep -aq "^DEMO-DONE " "$d/serial.txt"; then
		problem "$name: the guest did not finish its part (serial log $d/serial.log)"
	fi
	while IFS= read -r l; do
		PROBLEMS+=("$name: ${l#PROBLEM }")
	done < <(grep -a '^PROBLEM ' "$d/serial.txt" || true)
	sed -n '/^===DMESG-BEGIN===/,/^===DMESG-END===/p' "$d/serial.txt" |
		grep -a -E 'BUG:|WARNING:|Oops|Call Trace:|blocked for more than|rcu: INFO: .*stall' \
		>"$d/dmesg-reports.txt" || true
	# RCU stall reports alone (with their backtraces): the guest's vCPUs
	# did not run for seconds, the host was starved (TCG, loaded machine)
	if [ ! -s "$d/dmesg-reports.txt" ]; then
		:
	elif [ "$name" = intree ] && intree_alloc_warnings_only "$d"; then
		NOTES+=("intree: the kernel logged $(intree_alloc_warnings "$d") 'page allocation failure' warnings while the in-tree virtio_mem migrated pages for the blocked unplug (its alloc_contig_range() call does not pass __GFP_NOWARN; ours does): the in-tree driver's behaviour, not a fault ($d/dmesg-reports.txt)")
	elif grep -q 'rcu: INFO: .*stall' "$d/dmesg-reports.txt" &&
	     ! grep -v -E 'Call Trace:|rcu: INFO: .*stall' "$d/dmesg-reports.txt" | grep -q .; then
		NOTES+=("$name: RCU stall warnings in the guest, its vCPUs did not run for seconds: the host was starved ($d/dmesg-reports.txt)")
	else
		problem "$name: kernel reports in the guest ($d/dmesg-reports.txt): $(head -n1 "$d/dmesg-reports.txt" | cut -c1-120)"
	fi
	rm -f "$d"/nvme*.img
}

GUEST_ARGS="demo_bench=$THREADS:$COUNT demo_vmem=$VMEM_BIG,$VMEM_SMALL demo_hold=$HOLD_S"
boot ours "$ID" "$VMLINUZ" --ours "$MODS" --vmem ours "$MODS" --scenario "$TOP/tests/guest/demo.sh" \
	--extra "$TOOLS/pmemtool" "$TOOLS/vmemhold" -- --append "demo_role=ours $GUEST_ARGS"
# the file the guest wrote, read back from the host's backing file
HELLO=
want=$(awk '/^PATTERN hello / {print $4; exit}' "$RUN/ours/serial.txt" 2>/dev/null)
if [ -n "$want" ] && debugfs -R "dump /hello.txt $RUN/ours/hello.host" "$RUN/ours/pmem.img" >/dev/null 2>&1; then
	got=$(md5sum <"$RUN/ours/hello.host" | cut -d' ' -f1)
	if [ "$got" = "$want" ]; then
		HELLO="host: /hello.txt read back from the backing file (results/${RUN##*/}/ours/pmem.img, debugfs): md5 $got, the guest's"
	else
		HELLO="host: /hello.txt in the backing file has md5 $got, the guest wrote $want: MISMATCH"
		problem "pmem: $HELLO"
	fi
else
	HELLO="host: could not read /hello.txt back from $RUN/ours/pmem.img"
	problem "pmem: $HELLO"
fi
rm -f "$RUN/ours/pmem.img"

boot intree "$ID" "$VMLINUZ" --intree --vmem intree --scenario "$TOP/tests/guest/demo.sh" \
	--extra "$TOOLS/pmemtool" "$TOOLS/vmemhold" -- --append "demo_role=intree $GUEST_ARGS"
rm -f "$RUN/intree/pmem.img"

if [ -n "$P2P_ID" ]; then
	boot p2pmem "$P2P_ID" "$P2P_VMLINUZ" --scenario "$TOP/tests/guest/demo-p2pmem.sh" \
		--extra "$TOOLS/p2pcopy" "$P2P_MODS/p2pmem_pci.ko" -- --pmem-size 64M
	rm -f "$RUN/p2pmem/pmem.img"
fi

# --- report -------------------------------------------------------------------------
# lines PART BOOT: the guest's report lines of PART
lines() { grep -a "^DEMO $1 " "$RUN/$2/serial.txt" 2>/dev/null | sed "s/^DEMO $1 /- /"; }
# bench BOOT FIELD: a number of the flush benchmark of BOOT
bench() {
	grep -a -m1 "^BENCH $1 " "$RUN/$1/serial.txt" 2>/dev/null | python3 -c '
import json, sys
line = sys.stdin.read().split(None, 3)
if len(line) < 4:
    sys.exit(0)
rec = json.loads(line[3])
rec["host_flushes"] = int(line[2].split("=")[1])
rec["per_sync"] = rec["host_flushes"] / rec["syncs"] if rec["syncs"] else 0
v = rec.get(sys.argv[1])
print(("%.3f" if isinstance(v, float) else "%s") % v if v is not None else "")' "$2"
}
datum() { awk -v k="$2" '$1 == "DATA" && $2 == k {print $3; exit}' "$RUN/$1/serial.txt" 2>/dev/null; }

I_SPS=$(bench intree syncs_per_s) O_SPS=$(bench ours syncs_per_s)
I_PER=$(bench intree per_sync) O_PER=$(bench ours per_sync)
RATIO=
[ -n "$I_SPS" ] && [ -n "$O_SPS" ] && RATIO=$(awk -v a="$O_SPS" -v b="$I_SPS" 'BEGIN {if (b > 0) printf "%.2f", a / b}')

# the PNG: fdatasync/s and host flushes per fdatasync, in-tree vs ours
PNG=$RUN/pmem-ratio.png
if [ -n "$RATIO" ] && command -v gnuplot >/dev/null; then
	gnuplot >"$RUN/gnuplot.log" 2>&1 <<EOF || { warn "gnuplot failed ($RUN/gnuplot.log)"; PNG=; }
set terminal pngcairo size 640,300 font 'sans,9' noenhanced
set output '$PNG'
set multiplot layout 1,2 title 'virtio-pmem, $THREADS writers O_DIRECT + fdatasync, $ID: ours = ${RATIO}x in-tree'
set style fill solid 0.8 border -1
set boxwidth 0.6
set grid ytics
unset key
set xrange [-0.6:1.6]
set yrange [0:*]
set offsets 0, 0, graph 0.15, 0
set xtics ('in-tree' 0, 'ours' 1)
set title 'fdatasync/s (higher is better)'
plot '-' using 1:2:3 with boxes lc variable, '' using 1:2:(sprintf('%.0f', \$2)) with labels offset 0,0.7
0 $I_SPS 1
1 $O_SPS 3
e
0 $I_SPS
1 $O_SPS
e
set title 'host flushes per fdatasync (lower is better)'
plot '-' using 1:2:3 with boxes lc variable, '' using 1:2:(sprintf('%.3f', \$2)) with labels offset 0,0.7
0 $I_PER 1
1 $O_PER 3
e
0 $I_PER
1 $O_PER
e
unset multiplot
EOF
else
	PNG=
fi

I_BLK=$(datum intree vmem_blocked_intree) O_BLK=$(datum ours vmem_blocked_ours)
WALL=$(elapsed)
child_cpu
CPU=$CHILD_CPU
QCPU=$(awk -v a="${BOOT_CPU[ours]:-0}" -v b="${BOOT_CPU[intree]:-0}" -v c="${BOOT_CPU[p2pmem]:-0}" 'BEGIN {printf "%.1f", a + b + c}')
REPORT=$RUN/report.md
{
	echo "# make demo: $(date -u '+%F %H:%M UTC')"
	echo
	echo "$ID ($KVER) for virtio-pmem and virtio-mem, ${P2P_ID:-no kernel} ${P2P_KVER:+($P2P_KVER) }for p2pmem_pci; $(qemu_version | sed 's/ (.*//'), $(grep -q 'vm: accel=kvm' "$RUN/ours/vm.log" 2>/dev/null && echo KVM || echo TCG); git $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo
	echo "## virtio-pmem (ours)"
	echo
	lines pmem ours | grep -v -E '^- (ours|intree): ' || true
	echo "- $HELLO"
	echo
	echo "## virtio-pmem: in-tree vs ours, $THREADS writers, raw O_DIRECT 4 KiB + fdatasync, one boot each"
	echo
	echo "| driver | fdatasync | seconds | fdatasync/s | host flush requests | per fdatasync |"
	echo "|---|---|---|---|---|---|"
	for b in intree ours; do
		printf '| %s | %s | %s | %s | %s | %s |\n' "$([ $b = intree ] && echo in-tree || echo ours)" \
			"$(bench $b syncs)" "$(bench $b seconds)" "$(bench $b syncs_per_s)" \
			"$(bench $b host_flushes)" "$(bench $b per_sync)"
	done
	echo
	if [ -n "$RATIO" ]; then
		echo "ours / in-tree: **${RATIO}x** the fdatasync/s, $(awk -v a="$I_PER" -v b="$O_PER" 'BEGIN {printf "%.3f -> %.3f", a, b}') host flushes per fdatasync (flush coalescing: callers that arrive while a flush is in flight share the next one)."
	else
		echo "no ratio: a benchmark run is missing (see the problems below)"
	fi
	lines pmem ours | grep -E '^- ours: flush_stats during' || true
	[ -z "$PNG" ] || { echo; echo "![fdatasync/s and host flushes per fdatasync](pmem-ratio.png)"; }
	echo
	echo "## virtio-mem (ours; the blocked unplug beside the in-tree driver)"
	echo
	lines vmem ours
	lines vmem intree
	if [ -n "$I_BLK$O_BLK" ]; then
		echo "- seconds from the holder's exit to convergence: in-tree ${I_BLK:-(not within 90 s)}, ours ${O_BLK:-(not within 150 s)} (a ${HOLD_S} s block of 512 MiB; retry after a blocked unplug: in-tree 50 s doubling to 300 s, ours 0.5 s doubling to 8 s, both at once when memory goes offline; \`make bench BENCH=vmem\` blocks 2 GiB for 15 s, 3 rounds)"
	fi
	echo
	if [ -n "$P2P_ID" ]; then
		echo "## p2pmem_pci on $P2P_ID${P2P_NOTE:+ ($P2P_NOTE)}"
		echo
		lines p2pmem p2pmem
	else
		echo "## p2pmem_pci: skipped, no stock kernel of the matrix has CONFIG_PCI_P2PDMA ($P2P_NOTE)"
	fi
	echo
	echo "## time"
	echo
	echo "- wall $WALL s (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores); boots: $(for b in ours intree p2pmem; do [ -n "${BOOT_WALL[$b]:-}" ] && printf '%s %s s, ' "$b" "${BOOT_WALL[$b]}"; done | sed 's/, $//')"
	echo "- CPU (user+sys): everything $CPU s, of which the three QEMU guests $QCPU s ($(for b in ours intree p2pmem; do [ -n "${BOOT_CPU[$b]:-}" ] && printf '%s %s s, ' "$b" "${BOOT_CPU[$b]}"; done | sed 's/, $//'))"
	if [ ${#NOTES[@]} -gt 0 ]; then
		echo
		echo "## notes"
		echo
		printf -- '- %s\n' "${NOTES[@]}"
	fi
	if [ ${#PROBLEMS[@]} -gt 0 ]; then
		echo
		echo "## problems (${#PROBLEMS[@]})"
		echo
		printf -- '- %s\n' "${PROBLEMS[@]}"
	fi
	echo
	echo "logs: results/${RUN##*/}/{ours,intree,p2pmem}/"
} >"$REPORT"
echo
cat "$REPORT"
echo
say "report: $REPORT${PNG:+, plot: $PNG}"
[ ${#PROBLEMS[@]} -eq 0 ]
