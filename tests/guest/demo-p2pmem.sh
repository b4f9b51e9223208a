#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of the p2pmem_pci part of `make demo` (scripts/demo.sh), on a
# stock kernel with CONFIG_PCI_P2PDMA.  The machine (scripts/vm.sh) has
# three NVMe controllers with a 64 MiB CMB each behind one PCIe switch,
# serials d00d0001 (A), d00d0002 (B), d00d0003 (C); the in-tree nvme
# driver publishes their CMBs as P2P memory, p2pmem_pci exports each as
# /dev/p2pmemN.  Shown: the nodes and their sysfs; a copy A -> C's CMB ->
# B with O_DIRECT and a data check, beside the kernel's own
# p2pmem/allocate buffer of the same CMB and a system-memory buffer; A
# unbound from nvme while a process maps A's export: the unbind returns,
# the node goes, the process gets SIGBUS.  Report lines: common.sh
# (report/datum/problem); tests/guest/p2pmem.sh has the full checks.
. /guest/common.sh

KO=/bin/p2pmem_pci.ko
COPY=${DEMO_P2P_COPY:-8m}
GO=/tmp/go
say() { report p2pmem "$@"; }
dmesg -n 1

# copy_mbs NAME CHECK BUFARGS...: A -> B through the buffer (CHECK=1: data
# checked, a mismatch is a problem); MBS is the MB/s (empty on failure)
copy_mbs() {
	local name=$1 check=$2 out
	shift 2
	MBS=
	out=$(p2pcopy copy --src "$NS_A" --dst "$NS_B" "$@" --threads 4 --chunk 64k \
		--size "$COPY" ${check:+--check} 2>&1)
	MBS=$(echo "$out" | sed -n 's/^p2pcopy: .* = \([0-9.]*\) MB\/s.*/\1/p' | head -n1)
	if { [ -n "$check" ] && ! echo "$out" | grep -q '^check: MATCH'; } || [ -z "$MBS" ]; then
		problem p2pmem "copy through $name: $(echo "$out" | tr '\n' ' ' | cut -c1-200)"
		MBS=
		return 1
	fi
}

# median of three numbers
median3() { printf '%s\n' "$@" | sort -n | sed -n 2p; }

# exports_line DEV: one line of sysfs for an export (the P2P distance to
# each controller is a table: debugfs, p2pmem_pci/p2pmemN/nvme_distance)
exports_line() {
	local d=${1#/dev/} a=$P2P_CLASS/${1#/dev/} dist
	dist=$(awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2}' \
		"/sys/kernel/debug/p2pmem_pci/$d/nvme_distance" 2>/dev/null)
	[ -n "$dist" ] || dist="(no debugfs table)"
	echo "$1: provider $(cat "$a/provider") (driver $(basename "$(readlink "/sys/bus/pci/devices/$(cat "$a/provider")/driver")")), size $(($(cat "$a/size") >> 20)) MiB, bar $(cat "$a/bar"), bus address $(cat "$a/bus_address"), distance to $dist"
}

nvme_lab_controllers
if [ -z "$A" ] || [ -z "$B" ] || [ -z "$C" ] || [ -z "$NS_A" ] || [ -z "$NS_B" ]; then
	problem p2pmem "NVMe controllers not found (A=$A $NS_A, B=$B $NS_B, C=$C)"
	finish
	exit 1
fi
say "kernel $(uname -r): CONFIG_PCI_P2PDMA=y, in-tree nvme published the CMBs of $(ls -d /sys/bus/pci/devices/*/p2pmem 2>/dev/null | wc -l) controllers (A $A $NS_A, B $B $NS_B, C $C)"

if ! out=$(insmod "$KO" 2>&1); then
	problem p2pmem "insmod p2pmem_pci: $out"
	finish
	exit 1
fi
wait_for 100 p2pmem_exported "$A"
wait_for 100 p2pmem_exported "$B"
wait_for 100 p2pmem_exported "$C"
n=$(ls -d "$P2P_CLASS"/p2pmem* 2>/dev/null | wc -l)
datum p2p_nodes "$n"
say "p2pmem_pci $(cat /sys/module/p2pmem_pci/version 2>/dev/null) loaded: $n nodes $(ls /dev/p2pmem* 2>/dev/null | tr '\n' ' ')(class $P2P_CLASS)"
for c in "$P2P_CLASS"/p2pmem*; do
	[ -e "$c/provider" ] && say "  $(exports_line "/dev/${c##*/}")"
done
if [ "$n" -lt 3 ]; then
	problem p2pmem "$n exports, want 3 (A=$(p2pmem_dev "$A") B=$(p2pmem_dev "$B") C=$(p2pmem_dev "$C"))"
fi

# --- the copy: three buffers, three rounds alternating (single TCG copies
# vary a lot); the first round checks the data; medians reported -----------
DC=$(p2pmem_dev "$C")
ALLOC=/sys/bus/pci/devices/$C/p2pmem/allocate
KINDS="sysmem"
[ -e "$ALLOC" ] && KINDS="allocate $KINDS"
[ -n "$DC" ] && KINDS="ours $KINDS"
M_ours='' M_allocate='' M_sysmem=''
for r in 1 2 3; do
	chk=
	[ $r = 1 ] && chk=1
	for k in $KINDS; do
		case $k in
		ours) copy_mbs ours "$chk" --buf "$DC" ;;
		allocate) copy_mbs allocate "$chk" --buf "$ALLOC" ;;
		sysmem) copy_mbs sysmem "$chk" --sysmem ;;
		esac || continue
		eval "M_$k=\"\$M_$k $MBS\""
	done
done
for k in $KINDS; do
	eval "set -- \$M_$k"
	[ $# = 3 ] || continue
	m=$(median3 "$@")
	datum "p2p_mbs_$k" "$m"
	case $k in
	ours) say "copy $NS_A -> $DC (CMB of C) -> $NS_B, O_DIRECT, 4 x 64 KiB, $COPY: data check MATCH; $m MB/s (median of $*)" ;;
	allocate) say "beside it, the kernel's own $ALLOC (same CMB): MATCH; $m MB/s (median of $*)" ;;
	sysmem) say "and a system-memory buffer: MATCH; $m MB/s (median of $*)" ;;
	esac
done
[ -e "$ALLOC" ] || say "the kernel's own p2pmem/allocate file is not there ($(uname -r))"

# --- the provider unbound under a live mapping -----------------------------
DA=$(p2pmem_dev "$A")
rm -f "$GO"
p2pcopy hold --buf "$DA" --len 1m --go "$GO" >/tmp/hold.out 2>&1 &
HOLD=$!
if ! wait_for 100 grep -q 'HOLD ready' /tmp/hold.out; then
	problem p2pmem "holder of $DA not ready: $(tr '\n' ' ' </tmp/hold.out)"
else
	t0=$(cut -d' ' -f1 /proc/uptime)
	write_timed /sys/bus/pci/drivers/nvme/unbind "$A" 60
	rc=$?
	secs=$(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN {printf "%.2f", b - a}')
	datum p2p_unbind_secs "$secs"
	if [ $rc = 2 ]; then
		problem p2pmem "unbind of $A from nvme with $DA mapped: still blocked after 60 s (hang)"
	elif [ $rc != 0 ]; then
		problem p2pmem "unbind of $A failed: $(cat /tmp/write.err)"
	else
		touch "$GO"
		wait_for 100 eval '! kill -0 $HOLD 2>/dev/null'
		kill -9 $HOLD 2>/dev/null
		wait $HOLD 2>/dev/null
		gone=yes
		p2pmem_gone "$A" && [ ! -e "$DA" ] || gone=no
		if grep -q 'HOLD sigbus' /tmp/hold.out && [ $gone = yes ]; then
			say "unbind of A ($A) from nvme while a process maps 1 MiB of $DA: returned in $secs s, $DA gone, the process's next access got SIGBUS"
		else
			problem p2pmem "after the unbind ($secs s): node gone: $gone, holder: $(tail -n1 /tmp/hold.out)"
		fi
	fi
fi
kill -9 $HOLD 2>/dev/null
if write_timed /sys/bus/pci/drivers/nvme/bind "$A" 30 && wait_for 300 p2pmem_exported "$A"; then
	say "A bound to nvme again: exported as $(p2pmem_dev "$A")"
else
	say "A bound to nvme again: not re-exported within 30 s (driver $(basename "$(readlink "/sys/bus/pci/devices/$A/driver" 2>/dev/null)"))"
fi
echo "DEMO-DONE p2pmem"
finish
