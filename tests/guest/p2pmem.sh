#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest-side p2pmem_pci scenarios (run as /scenario by the initramfs /init).
# One RESULT line per scenario; see common.sh for the output protocol and
# tests/p2pmem-scenarios.sh for the host side.
#
# Machine (scripts/vm.sh): three NVMe controllers with a 64 MiB CMB behind
# one PCIe switch, serials d00d0001 (A), d00d0002 (B), d00d0003 (C), all
# bound to the built-in nvme driver at boot.  Data is copied from A's
# namespace to B's.  C is rebound to p2pmem_pci for the CMB-binding mode,
# then back to nvme, and last removed and re-added by the host (QMP
# device_del / device_add) under the stress.
. /guest/common.sh

KO=/bin/p2pmem_pci.ko
CLASS=/sys/class/p2pmem_guestmem
PCI=/sys/bus/pci
CMB_BYTES=67108864
COPY=4m
GO=/tmp/go
DBG=/sys/kernel/debug/p2pmem_pci
TRACE=/sys/kernel/tracing
# unbind+bind rounds of the stress runs on nvme's CMB and on our CMB
# binding (p2pmem_stress_iters=N sets both)
STRESS_NVME=$(cmdline_arg p2pmem_stress_iters)
STRESS_CMB=${STRESS_NVME:-8}
STRESS_NVME=${STRESS_NVME:-4}
STRESS_HANG_SECS=30
# host hot-removal + re-plug rounds of C under the stress (p2pmem_qmp_rounds=N)
QMP_ROUNDS=$(cmdline_arg p2pmem_qmp_rounds)
QMP_ROUNDS=${QMP_ROUNDS:-3}
# maps of the live export before each unbind (p2pmem_round_maps=N)
STRESS_ROUND_MAPS=$(cmdline_arg p2pmem_round_maps)
STRESS_ROUND_MAPS=${STRESS_ROUND_MAPS:-25}

has_p2p() { p2pmem_dev "$1" >/dev/null; }
no_p2p() { ! p2pmem_dev "$1" >/dev/null; }
nr_p2p() { ls -d "$CLASS"/p2pmem* 2>/dev/null | wc -l; }
attr() { cat "$CLASS/${1#/dev/}/$2" 2>/dev/null; }
driver_of() { basename "$(readlink "$PCI/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }

# sysfs_write_timed FILE VALUE SECONDS: write in the background; 0 if it
# completed in time, 1 if it failed, 2 if it is still blocked (hang)
sysfs_write_timed() {
	local pid n=$(($3 * 10))
	( echo "$2" >"$1" ) 2>/tmp/sysfs.err &
	pid=$!
	while [ $n -gt 0 ] && kill -0 $pid 2>/dev/null; do
		sleep 0.1
		n=$((n - 1))
	done
	kill -0 $pid 2>/dev/null && return 2
	wait $pid
}

# hold_start DEV TAG: a process mapping 1 MiB of DEV, waiting for $GO
hold_start() {
	rm -f "$GO"
	p2pcopy hold --buf "$1" --len 1m --go "$GO" >"/tmp/hold.$2" 2>&1 &
	HOLD_PID=$!
	wait_for 100 grep -q 'HOLD ready' "/tmp/hold.$2"
}

# hold_finish TAG: release the holder; prints its last line, 0 iff SIGBUS
hold_finish() {
	local n=100
	touch "$GO"
	while [ $n -gt 0 ] && kill -0 "$HOLD_PID" 2>/dev/null; do
		sleep 0.1
		n=$((n - 1))
	done
	kill -9 "$HOLD_PID" 2>/dev/null
	wait "$HOLD_PID" 2>/dev/null
	tail -n1 "/tmp/hold.$1"
	grep -q 'HOLD sigbus' "/tmp/hold.$1"
}

# copy_check NAME BUF [args]: A -> B through BUF with data check
copy_check() {
	local name=$1 buf=$2 out
	shift 2
	out=$(p2pcopy copy --src "$NS_A" --dst "$NS_B" --buf "$buf" --threads 4 \
		--chunk 64k --size "$COPY" --check "$@" 2>&1)
	if echo "$out" | grep -q '^check: MATCH'; then
		pass "$name" "$(echo "$out" | sed -n 's/^p2pcopy: //p' | head -n1)"
		echo "$out" | grep '^p2pcopy:' | sed "s/^/COPY $name /"
		return 0
	fi
	fail "$name" "$(echo "$out" | tr '\n' ' ' | cut -c1-240)"
	return 1
}

# --- setup ---------------------------------------------------------------
setup() {
	nvme_lab_controllers
	echo "SCENARIO p2pmem: A=$A ($NS_A) B=$B ($NS_B) C=$C"
}

# --- load: one /dev/p2pmemN per CMB the nvme driver published -------------
scn_load() {
	local out
	if ! out=$(insmod "$KO" 2>&1); then
		fail p2pmem-load "insmod failed: $out"
		return
	fi
	wait_for 100 has_p2p "$A"
	wait_for 100 has_p2p "$B"
	wait_for 100 has_p2p "$C"
	if [ -z "$A" ] || [ -z "$B" ] || [ -z "$C" ]; then
		fail p2pmem-load "controllers not found (A=$A B=$B C=$C)"
	elif has_p2p "$A" && has_p2p "$B" && has_p2p "$C" && [ -c "$(p2pmem_dev "$A")" ]; then
		pass p2pmem-load "$(nr_p2p) devices: A $(p2pmem_dev "$A"), B $(p2pmem_dev "$B"), C $(p2pmem_dev "$C")"
	else
		fail p2pmem-load "missing exports: A=$(p2pmem_dev "$A") B=$(p2pmem_dev "$B") C=$(p2pmem_dev "$C"); $(dmesg | grep -i p2p | tail -n3 | tr '\n' ' ')"
	fi
}

# --- sizes and attributes ----------------------------------------------------
scn_sysfs() {
	local bdf d bad='' res2 dist
	for bdf in "$A" "$B" "$C"; do
		d=$(p2pmem_dev "$bdf") || { bad="$bad $bdf:no-device"; continue; }
		[ "$(attr "$d" size)" = $CMB_BYTES ] || bad="$bad $d:size=$(attr "$d" size)"
		[ "$(attr "$d" available)" = $CMB_BYTES ] || bad="$bad $d:available=$(attr "$d" available)"
		[ "$(attr "$d" bar)" = 2 ] || bad="$bad $d:bar=$(attr "$d" bar)"
		res2=$(sed -n 3p "$PCI/devices/$bdf/resource" | awk '{print $1}')
		[ "$(printf '%d' "$(attr "$d" bus_address)")" = "$(printf '%d' "$res2")" ] ||
			bad="$bad $d:bus_address=$(attr "$d" bus_address),BAR2=$res2"
		dist=$(cat "$DBG/${d#/dev/}/nvme_distance" 2>/dev/null | tr '\n' ';')
		for peer in "$A" "$B" "$C"; do
			want=4
			[ "$peer" = "$bdf" ] && want=0
			echo ";$dist" | grep -q ";$peer $want;" || bad="$bad $d:distance($peer)=[$dist]"
		done
	done
	if [ -z "$bad" ]; then
		pass p2pmem-sysfs "3 x size=available=$CMB_BYTES, bar 2, bus_address = BAR 2, debugfs nvme_distance 4 to peers, 0 to self"
	else
		fail p2pmem-sysfs "$bad"
	fi
}

# --- copies ----------------------------------------------------------------
scn_copy() {
	local dc n=50
	dc=$(p2pmem_dev "$C")
	copy_check p2pmem-copy "$dc" || return
	# the buffer goes back to the pool once unmapped
	while [ $n -gt 0 ] && [ "$(attr "$dc" allocated)" != 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	[ "$(attr "$dc" allocated)" = 0 ] ||
		fail p2pmem-copy-freed "allocated=$(attr "$dc" allocated) 5 s after the copy"
	[ "$(attr "$dc" allocated)" = 0 ] && pass p2pmem-copy-freed "allocated back to 0"
	copy_check p2pmem-copy-own-cmb "$(p2pmem_dev "$A")"
}

scn_sysmem() {
	local out
	out=$(p2pcopy copy --src "$NS_A" --dst "$NS_B" --sysmem --threads 4 --chunk 64k \
		--size "$COPY" --check 2>&1)
	if echo "$out" | grep -q '^check: MATCH'; then
		pass p2pmem-copy-sysmem "$(echo "$out" | sed -n 's/^p2pcopy: //p')"
	else
		fail p2pmem-copy-sysmem "$(echo "$out" | tr '\n' ' ' | cut -c1-200)"
	fi
}

scn_refuse() {
	local out
	if out=$(p2pcopy refuse --buf "$(p2pmem_dev "$A")" 2>&1); then
		pass p2pmem-private-refused "$out"
	else
		fail p2pmem-private-refused "$out"
	fi
}

# the kernel's own interface (6.2+), with our module loaded alongside
scn_allocate() {
	local f="$PCI/devices/$C/p2pmem/allocate"
	if [ ! -e "$f" ]; then
		echo "NOTE p2pmem-allocate: no $f on $(uname -r) (added in 6.2)"
		return
	fi
	copy_check p2pmem-allocate "$f"
}

# --- provider unbound from nvme while mapped --------------------------------
scn_unbind_nvme() {
	local da rc t0 t1
	da=$(p2pmem_dev "$A")
	hold_start "$da" unbind || { fail p2pmem-unbind-nvme "holder not ready: $(cat /tmp/hold.unbind)"; return; }
	t0=$(date +%s)
	sysfs_write_timed "$PCI/drivers/nvme/unbind" "$A" 120
	rc=$?
	t1=$(date +%s)
	if [ $rc = 2 ]; then
		fail p2pmem-unbind-nvme "unbind of $A still blocked after 120 s (hang)"
		return
	elif [ $rc != 0 ]; then
		fail p2pmem-unbind-nvme "unbind failed: $(cat /tmp/sysfs.err)"
	elif has_p2p "$A"; then
		fail p2pmem-unbind-nvme "$da still there after unbind"
	elif ! hold_finish unbind >/tmp/hold.last; then
		fail p2pmem-unbind-nvme "mapping still usable after unbind: $(cat /tmp/hold.last)"
	else
		pass p2pmem-unbind-nvme "unbind with $da mapped took $((t1 - t0)) s, device gone, access got SIGBUS"
	fi
	kill -9 "$HOLD_PID" 2>/dev/null
	if ! sysfs_write_timed "$PCI/drivers/nvme/bind" "$A" 60; then
		fail p2pmem-rebind-nvme "bind failed: $(cat /tmp/sysfs.err)"
	elif wait_for 300 has_p2p "$A" && wait_for 100 nvme_ns "$A" >/dev/null; then
		NS_A=$(nvme_ns "$A")
		pass p2pmem-rebind-nvme "nvme rebound, $(p2pmem_dev "$A") exported again, namespace $NS_A"
	else
		fail p2pmem-rebind-nvme "after bind: driver=$(driver_of "$A") export=$(p2pmem_dev "$A") ns=$(nvme_ns "$A")"
	fi
}

# --- hole 1: a teardown while mmap() is still inside ->mmap ---------------
# The test-only debugfs knob mmap_hold holds ->mmap() at its very end
# (no lock held), where the core has not yet linked the new VMA into the
# file's address space, until the knob is written 0 (mmap_held counts the
# calls held).  The unbind of the provider runs inside that window (its
# export goes away while mmap() is still held): the unbind must return at
# most 10 s after that, and the mapping, once mmap() returns, must be dead
# (SIGBUS at the first touch).  With pages inserted inside ->mmap (the
# design before the fault handler), unmap_mapping_range() missed them: the
# unbind blocked in memunmap_pages() until the process unmapped, and the
# mapping stayed usable after the teardown.
MMAP_KNOB=/sys/kernel/debug/p2pmem_pci/mmap_hold
MMAP_HELD=/sys/kernel/debug/p2pmem_pci/mmap_held
mmap_held_is() { [ "$(cat "$MMAP_HELD" 2>/dev/null)" = "$1" ]; }
scn_mmap_race() {
	local dv tpid upid n t0 t1 out bound missed blocked
	dv=$(p2pmem_dev "$A")
	[ -n "$dv" ] || { fail p2pmem-mmap-race "A not exported"; return; }
	[ -w "$MMAP_KNOB" ] || { fail p2pmem-mmap-race "no $MMAP_KNOB"; return; }
	# ->mmap() waits at its end until the knob goes back to 0 (a gate, not
	# a delay: the window cannot close early on a slow machine)
	echo 1 >"$MMAP_KNOB"
	rm -f "$GO"
	p2pcopy touch --buf "$dv" --len 1m --go "$GO" >/tmp/touch.race 2>&1 &
	tpid=$!
	if ! wait_for 600 mmap_held_is 1; then
		echo 0 >"$MMAP_KNOB"
		wait $tpid 2>/dev/null
		fail p2pmem-mmap-race "mmap() of $dv never reached the hold (mmap_held $(cat "$MMAP_HELD")): $(cat /tmp/touch.race | tr '\n' ' ')"
		return
	fi
	t0=$(date +%s)
	( echo "$A" >"$PCI/drivers/nvme/unbind" ) 2>/tmp/sysfs.err &
	upid=$!
	# the export goes first thing in the unbind (p2pmem_dev_destroy)
	wait_for 600 no_p2p "$A"
	missed=0
	mmap_held_is 1 && kill -0 $tpid 2>/dev/null || missed=1
	# the unbind must not wait for the process still inside mmap()
	bound=$(( $(date +%s) - t0 + 10 ))
	while [ $(( $(date +%s) - t0 )) -lt $bound ] && kill -0 $upid 2>/dev/null; do
		sleep 0.2
	done
	t1=$(date +%s)
	blocked=0
	kill -0 $upid 2>/dev/null && blocked=1
	# let mmap() return; then release the mapping
	echo 0 >"$MMAP_KNOB"
	wait_for 300 [ -s /tmp/touch.race ]
	touch "$GO"
	n=600
	while [ $n -gt 0 ] && kill -0 $upid 2>/dev/null; do
		sleep 0.1
		n=$((n - 1))
	done
	wait $tpid 2>/dev/null
	out=$(cat /tmp/touch.race | tr '\n' ' ')
	if kill -0 $upid 2>/dev/null; then
		fail p2pmem-mmap-race "unbind of $A blocked for good (mapping released); touch: $out"
		return
	elif [ $missed = 1 ]; then
		fail p2pmem-mmap-race "mmap() returned before the teardown ran (the hold let go: see dmesg); touch: $out"
	elif [ $blocked = 1 ]; then
		fail p2pmem-mmap-race "unbind of $A blocked > 10 s after its teardown while a process was inside mmap(), returned $(( $(date +%s) - t0 )) s after it started, once the mapping went; touch: $out"
	elif ! grep -q '^TOUCH sigbus$' /tmp/touch.race; then
		fail p2pmem-mmap-race "mapping made across the teardown is live: $out"
	else
		pass p2pmem-mmap-race "teardown while mmap() was held inside ->mmap: unbind returned after $((t1 - t0)) s, the mapping is dead: $out"
	fi
	if ! sysfs_write_timed "$PCI/drivers/nvme/bind" "$A" 60 ||
	   ! wait_for 300 has_p2p "$A" || ! wait_for 100 nvme_ns "$A" >/dev/null; then
		fail p2pmem-mmap-race "rebind of $A to nvme failed: driver=$(driver_of "$A") export=$(p2pmem_dev "$A")"
		return
	fi
	NS_A=$(nvme_ns "$A")
}

# --- stress: map/touch/unmap + O_DIRECT against unbind/rebind --------------
# p2pcopy stress (tools/p2pcopy.c): 3 threads map, touch and unmap 64 KiB
# of C's /dev/p2pmemN in a loop, one thread copies A -> B with O_DIRECT
# through a mapping of it, while C is unbound from DRIVER and bound again
# ROUNDS times (default 4 on nvme, 8 on our binding; make check passes 2
# for both), each unbind after at least 25 maps of the live export.  The tool fails on an
# unbind slower than STRESS_HANG_SECS (30 s, or 3 x the boot's idle
# unbind if longer: on an otherwise idle host, KASAN test-7.2 under TCG,
# nvme unbinds under the stress took p50 9.5 s, max 10.8 s; the defect
# this catches, a mapping that pins the pool, blocks the unbind until
# the process exits, i.e. without bound), an export left after an unbind, a touch that succeeds after the unbind of
# its mapping's provider returned, a bind that does not return and bring
# the export back within 60 s (3 x the idle bind if longer), or, at the end, allocated != 0 or p2pmem/available
# not back at its value before.  The guest bounds the whole run.
scn_stress() { # scn_stress NAME DRIVER ROUNDS [p2pcopy options]
	local name=$1 drv=$2 iters=$3 pid n limit out
	shift 3
	limit=$((iters * 60 + 300))
	p2pcopy stress --bdf "$C" --driver "$drv" --iters "$iters" --threads 3 \
		--len 64k --chunk 64k --src "$NS_A" --dst "$NS_B" \
		--hang-secs "$STRESS_HANG_SECS" --round-maps "$STRESS_ROUND_MAPS" "$@" \
		>/tmp/stress.$name 2>&1 &
	pid=$!
	n=$((limit * 10))
	while [ $n -gt 0 ] && kill -0 $pid 2>/dev/null; do
		sleep 0.1
		n=$((n - 1))
	done
	if kill -0 $pid 2>/dev/null; then
		kill -9 $pid
		fail "$name" "stress still running after $limit s (hang): $(tail -n3 /tmp/stress.$name | tr '\n' ' ')"
		return 1
	fi
	wait $pid
	rc=$?
	grep '^STRESS' /tmp/stress.$name | grep -v '^STRESS progress'
	out=$(grep '^STRESS [a-zA-Z]*:' /tmp/stress.$name | tail -n1 | sed 's/^STRESS //')
	if [ $rc = 0 ]; then
		pass "$name" "$out"
	else
		fail "$name" "rc=$rc $out $(grep -m3 -E '^STRESS (violation|hang|error)' /tmp/stress.$name | tr '\n' ' ' | cut -c1-300)"
	fi
}

# --- teardown order (hole 2): the CMB is disabled after its pool is gone ---
# Traced from the stress run on our CMB binding through the unbind during
# an O_DIRECT copy: every p2pmem_buffer_free of an export of C precedes
# the p2pmem_cmb_disable of the unbind that destroyed the export, and that
# event finds no P2P memory registered (pool_live=0).  QEMU does not gate
# peer access on CMSE, so only the order itself can be checked.
trace_start() {
	[ -d "$TRACE/events/p2pmem_pci" ] || return 0
	echo 8192 >"$TRACE/buffer_size_kb"
	echo >"$TRACE/trace"
	echo 1 >"$TRACE/events/p2pmem_pci/enable"
}
scn_teardown_order() {
	local out
	if [ ! -d "$TRACE/events/p2pmem_pci" ]; then
		fail p2pmem-teardown-order "no tracepoints in $TRACE/events/p2pmem_pci"
		return
	fi
	echo 0 >"$TRACE/events/p2pmem_pci/enable"
	cat "$TRACE/trace" >/tmp/trace.order
	out=$(awk -v bdf="$C" '
	{
		for (i = 1; i <= NF; i++) if ($i ~ /^p2pmem_[a-z_]+:$/) break
		if (i > NF || $(i + 1) != bdf) next
		ev = $i; id = ""
		for (j = i + 2; j <= NF; j++) if ($j ~ /^export=/) id = substr($j, 8)
		if (ev == "p2pmem_dev_destroy:") { destroyed[id] = 1; nd++ }
		else if (ev == "p2pmem_buffer_free:") {
			nf++
			if (id in closed) { bad++; if (bad < 4) print "buffer of export " id " freed after the CMB was disabled;" }
			else if (id in destroyed) late++
		} else if (ev == "p2pmem_cmb_disable:") {
			nc++
			if ($0 ~ /pool_live=1/) { bad++; if (bad < 4) print "CMB disabled with P2P memory registered;" }
			for (k in destroyed) closed[k] = 1
		}
	}
	END {
		printf "%d unbinds of %s: %d exports destroyed, %d buffers freed (%d after their export was destroyed), %d CMB disables, %d out of order\n", nc, bdf, nd, nf, late, nc, bad
		exit (bad > 0 || nc == 0 || late == 0)
	}' /tmp/trace.order)
	if [ $? = 0 ]; then
		pass p2pmem-teardown-order "$out"
	else
		fail p2pmem-teardown-order "$(echo "$out" | tr '\n' ' ')"
	fi
}

# --- nvme-cli's view of the CMB registers ----------------------------------
# nvme_cli_cmb BDF: "bar=N offset=N size=N rds=N wds=N" decoded (NVMe 1.4
# 3.1.11 CMBLOC, 3.1.12 CMBSZ: size and offset in units of 4 KiB * 16^SZU)
# from the CMBLOC and CMBSZ that Debian's nvme-cli reads with show-regs
# from the controller at BDF (bound to nvme); its -H decode goes to
# /tmp/show-regs.txt, the two raw values to /tmp/show-regs.cmb.  Empty
# when nvme-cli reads nothing.
nvme_cli_cmb() {
	local ctl loc sz unit
	ctl=$(ls "$PCI/devices/$1/nvme" 2>/dev/null | head -n1)
	[ -n "$ctl" ] || return 0
	nvme show-regs "/dev/$ctl" -H >/tmp/show-regs.txt 2>&1
	nvme show-regs "/dev/$ctl" >/tmp/show-regs.raw 2>&1
	loc=$(sed -n 's/^cmbloc *: *\([0-9a-fA-F]*\)$/\1/p' /tmp/show-regs.raw)
	sz=$(sed -n 's/^cmbsz *: *\([0-9a-fA-F]*\)$/\1/p' /tmp/show-regs.raw)
	[ -n "$loc" ] && [ -n "$sz" ] || return 0
	echo "cmbloc 0x$loc cmbsz 0x$sz" >/tmp/show-regs.cmb
	loc=$((0x$loc)) sz=$((0x$sz))
	unit=$((4096 << (4 * ((sz >> 8) & 0xf))))
	echo "bar=$((loc & 7)) offset=$(((loc >> 12) * unit)) size=$(((sz >> 12) * unit)) rds=$(((sz >> 3) & 1)) wds=$(((sz >> 4) & 1))"
}

# --- CMB-binding mode: C bound to p2pmem_pci ------------------------------
# Before C leaves nvme, nvme-cli reads its CMB registers; p2pmem_pci's
# decode of the same registers, once bound, must agree (result
# p2pmem-nvme-cli-regs): BAR, offset and size as its dmesg line gives
# them, and both RDS and WDS set (it publishes nothing without them).
scn_cmb_bind() {
	local dc cli ours
	cli=$(nvme_cli_cmb "$C")
	if ! sysfs_write_timed "$PCI/drivers/nvme/unbind" "$C" 60; then
		fail p2pmem-cmb-bind "unbind of $C from nvme failed: $(cat /tmp/sysfs.err)"
		return
	fi
	wait_for 50 no_p2p "$C"
	echo p2pmem_pci >"$PCI/devices/$C/driver_override"
	sysfs_write_timed "$PCI/drivers_probe" "$C" 60
	wait_for 50 has_p2p "$C"
	dc=$(p2pmem_dev "$C")
	if [ "$(driver_of "$C")" != p2pmem_pci ]; then
		fail p2pmem-cmb-bind "$C bound to '$(driver_of "$C")': $(dmesg | grep "$C" | tail -n2 | tr '\n' ' ')"
	elif [ -z "$dc" ]; then
		fail p2pmem-cmb-bind "bound to p2pmem_pci but not exported"
	elif [ "$(attr "$dc" size)" != $CMB_BYTES ]; then
		fail p2pmem-cmb-bind "$dc size $(attr "$dc" size)"
	elif ! dmesg | grep "$C" | grep -q 'CMB: BAR 2 offset 0x0 size 67108864'; then
		fail p2pmem-cmb-bind "no CMB decode message: $(dmesg | grep "$C" | tail -n3 | tr '\n' ' ')"
	else
		ours=$(dmesg | grep "$C" | sed -n 's/.*CMB: BAR \([0-9]*\) offset \(0x[0-9a-f]*\) size \([0-9]*\).*/bar=\1 offset=\2 size=\3/p' | tail -n1)
		ours="bar=$(kv bar "$ours") offset=$(($(kv offset "$ours"))) size=$(kv size "$ours") rds=1 wds=1"
		if [ -z "$cli" ]; then
			fail p2pmem-nvme-cli-regs "nvme show-regs read no cmbloc/cmbsz from $C: $(head -c 200 /tmp/show-regs.raw | tr '\n' ' ')"
		elif [ "$cli" != "$ours" ]; then
			fail p2pmem-nvme-cli-regs "nvme-cli show-regs ($(cat /tmp/show-regs.cmb)): $cli; p2pmem_pci: $ours"
		else
			pass p2pmem-nvme-cli-regs "nvme-cli show-regs of $C (nvme): $(cat /tmp/show-regs.cmb) = $cli, as p2pmem_pci decodes it"
		fi
		copy_check p2pmem-cmb-bind "$dc" && return 0
	fi
	return 1
}

# --- own provider unbound while mapped and while O_DIRECT is in flight ----
scn_unbind_busy() {
	local dc cpid rc t0 t1 n hold
	dc=$(p2pmem_dev "$C")
	[ -n "$dc" ] || { fail p2pmem-unbind-busy "C not exported"; return; }
	hold_start "$dc" busy || { fail p2pmem-unbind-busy "holder not ready"; return; }
	p2pcopy copy --src "$NS_A" --dst "$NS_B" --buf "$dc" --threads 4 --chunk 64k \
		--size 48m >/tmp/busy.out 2>&1 &
	cpid=$!
	sleep 3
	t0=$(date +%s)
	sysfs_write_timed "$PCI/drivers/p2pmem_pci/unbind" "$C" 120
	rc=$?
	t1=$(date +%s)
	if [ $rc = 2 ]; then
		fail p2pmem-unbind-busy "unbind of $C still blocked after 120 s (hang)"
		return
	fi
	hold=$(hold_finish busy)
	hrc=$?
	n=300
	while [ $n -gt 0 ] && kill -0 $cpid 2>/dev/null; do
		sleep 0.1
		n=$((n - 1))
	done
	if kill -0 $cpid 2>/dev/null; then
		kill -9 $cpid
		fail p2pmem-unbind-busy "copy still running 30 s after the unbind"
	elif [ $rc != 0 ]; then
		fail p2pmem-unbind-busy "unbind failed: $(cat /tmp/sysfs.err)"
	elif has_p2p "$C"; then
		fail p2pmem-unbind-busy "$dc still exported"
	elif [ $hrc != 0 ]; then
		fail p2pmem-unbind-busy "mapping still usable: $hold"
	else
		wait $cpid
		pass p2pmem-unbind-busy "unbind during a copy took $((t1 - t0)) s; copy rc=$? ($(tail -n1 /tmp/busy.out | cut -c1-80)); holder: $hold"
	fi
	echo >"$PCI/devices/$C/driver_override"
}

# --- provider removed (pci_stop_and_remove_bus_device) while mapped -------
scn_remove() {
	local db rc t0 t1
	db=$(p2pmem_dev "$B")
	hold_start "$db" remove || { fail p2pmem-remove "holder not ready"; return; }
	t0=$(date +%s)
	sysfs_write_timed "$PCI/devices/$B/remove" 1 120
	rc=$?
	t1=$(date +%s)
	if [ $rc = 2 ]; then
		fail p2pmem-remove "removal of $B still blocked after 120 s (hang)"
		return
	elif [ $rc != 0 ]; then
		fail p2pmem-remove "remove failed: $(cat /tmp/sysfs.err)"
	elif [ -e "$PCI/devices/$B" ] || has_p2p "$B"; then
		fail p2pmem-remove "$B or its export still present"
	elif ! hold_finish remove >/tmp/hold.last; then
		fail p2pmem-remove "mapping still usable: $(cat /tmp/hold.last)"
	else
		pass p2pmem-remove "removal with $db mapped took $((t1 - t0)) s, access got SIGBUS"
	fi
	kill -9 "$HOLD_PID" 2>/dev/null
	echo 1 >"$PCI/rescan"
	if wait_for 300 has_p2p "$B" && wait_for 100 nvme_ns "$B" >/dev/null; then
		NS_B=$(nvme_ns "$B")
		pass p2pmem-rescan "$B back after rescan, exported as $(p2pmem_dev "$B")"
	else
		fail p2pmem-rescan "after rescan: dev=$(ls -d "$PCI/devices/$B" 2>/dev/null) export=$(p2pmem_dev "$B")"
	fi
}

# --- module unload (refused while mapped) and reload -----------------------
scn_reload() {
	local out n
	hold_start "$(p2pmem_dev "$A")" reload || { fail p2pmem-reload "holder not ready"; return; }
	if rmmod p2pmem_pci 2>/dev/null; then
		fail p2pmem-reload "rmmod succeeded while a mapping existed"
		return
	fi
	hold_finish reload >/dev/null
	if ! out=$(rmmod p2pmem_pci 2>&1); then
		fail p2pmem-reload "rmmod failed after the holder exited: $out"
		return
	fi
	n=$(ls /dev/p2pmem* 2>/dev/null | wc -l)
	if [ "$n" != 0 ] || [ -e "$CLASS" ]; then
		fail p2pmem-reload "$n device nodes / class left after rmmod"
		return
	fi
	if ! out=$(insmod "$KO" 2>&1); then
		fail p2pmem-reload "insmod again failed: $out"
		return
	fi
	if wait_for 100 has_p2p "$A" && wait_for 100 has_p2p "$B"; then
		copy_check p2pmem-reload "$(p2pmem_dev "$B")" --size 1m
	else
		fail p2pmem-reload "after reload: A=$(p2pmem_dev "$A") B=$(p2pmem_dev "$B")"
	fi
}

# --- clear refusals: I/O BAR, BAR < 2 MiB (an unbound chipset device) -----
# bar_of BDF FLAGBIT: index of the first BAR with that resource flag
# (0x100 I/O, 0x200 memory) and a non-zero size
bar_of() {
	local i=0 start end flags
	while read -r start end flags; do
		[ $i -lt 6 ] || break
		if [ $((start)) -ne 0 ] && [ $((flags & $2)) -ne 0 ]; then
			echo $i
			return 0
		fi
		i=$((i + 1))
	done <"$PCI/devices/$1/resource"
	return 1
}

# try_bar BDF BAR: bind BDF to p2pmem_pci with bar=BAR; 0 iff refused
try_bar() {
	echo "$2" >/sys/module/p2pmem_pci/parameters/bar
	echo p2pmem_pci >"$PCI/devices/$1/driver_override"
	echo "$1" >"$PCI/drivers_probe" 2>/dev/null
	echo >"$PCI/devices/$1/driver_override"
	[ "$(driver_of "$1")" != p2pmem_pci ] && return 0
	echo "$1" >"$PCI/drivers/p2pmem_pci/unbind"
	return 1
}

scn_bad_bar() {
	local d bdf='' iob memb msg1 msg2
	for d in "$PCI"/devices/*; do
		[ -e "$d/driver" ] && continue
		case "$(cat "$d/class")" in 0x0106*|0x0c05*) ;; *) continue ;; esac
		iob=$(bar_of "${d##*/}" 0x100)
		memb=$(bar_of "${d##*/}" 0x200)
		[ -n "$iob" ] && [ -n "$memb" ] && { bdf=${d##*/}; break; }
	done
	if [ -z "$bdf" ]; then
		fail p2pmem-bad-bar "no unbound AHCI/SMBus device with an I/O and a memory BAR"
		return
	fi
	if ! try_bar "$bdf" "$iob"; then
		fail p2pmem-bad-bar "$bdf bound with I/O BAR $iob"
	elif ! try_bar "$bdf" "$memb"; then
		fail p2pmem-bad-bar "$bdf bound with small memory BAR $memb"
	else
		msg1=$(dmesg | grep "$bdf" | grep -c 'not a memory BAR')
		msg2=$(dmesg | grep "$bdf" | grep -c 'window smaller than 2 MiB')
		if [ "$msg1" -ge 1 ] && [ "$msg2" -ge 1 ]; then
			pass p2pmem-bad-bar "$bdf: BAR $iob 'not a memory BAR', BAR $memb 'window smaller than 2 MiB', not bound"
		else
			fail p2pmem-bad-bar "$bdf refused without the messages: $(dmesg | grep "$bdf" | tail -n2 | tr '\n' ' ')"
		fi
	fi
	echo -1 >/sys/module/p2pmem_pci/parameters/bar
}

# c_on_nvme: C back to the nvme driver (the CMB-binding scenarios leave it
# on p2pmem_pci or unbound); 0 iff nvme exports its CMB
c_on_nvme() {
	if [ "$(driver_of "$C")" != nvme ]; then
		[ -n "$(driver_of "$C")" ] && echo "$C" >"$PCI/devices/$C/driver/unbind"
		echo >"$PCI/devices/$C/driver_override"
		sysfs_write_timed "$PCI/drivers/nvme/bind" "$C" 60
		wait_for 300 has_p2p "$C"
	fi
	has_p2p "$C"
}

# --- the stress against host hot-removal and re-plug (pciehp) -------------
# p2pcopy stress as above, but each round the host takes C away with a QMP
# device_del and brings it back with device_add (tests/p2pmem-scenarios.sh
# answers the "QMPDEL-REQUEST ... round" / "QMPADD-REQUEST ... round" lines
# on the console): pciehp removes the controller with its export mapped
# and copied through, then re-enumerates it, nvme probes it and publishes
# its CMB again.  Each command returns when C is gone / back (at most
# 180 s); the checks are the stress's own (SIGBUS after the removal, no
# hang, pool back, export back).  QMP_ROUNDS rounds after an idle one.
# (It replaced a single device_del of C with one process mapping its
# export: the same checks, once, with nothing racing the removal.)
scn_stress_hotplug() {
	local w
	if ! c_on_nvme; then
		fail p2pmem-stress-hotplug "$C not exported by nvme (driver '$(driver_of "$C")')"
		return
	fi
	w='n=1800; while [ $n -gt 0 ] && '
	scn_stress p2pmem-stress-hotplug nvme "$QMP_ROUNDS" \
		--remove-cmd "echo QMPDEL-REQUEST d00d0003 $C round >/dev/console; $w[ -e $PCI/devices/$C ]; do sleep 0.1; n=\$((n - 1)); done; [ ! -e $PCI/devices/$C ]" \
		--add-cmd "echo QMPADD-REQUEST d00d0003 $C round >/dev/console; $w[ ! -e $PCI/devices/$C ]; do sleep 0.1; n=\$((n - 1)); done; [ -e $PCI/devices/$C ]"
}

# p2pmem_only=name,name (kernel command line, development runs only): run
# just those scenarios after setup and load
ONLY=$(cmdline_arg p2pmem_only)
want() { [ -z "$ONLY" ] || echo ",$ONLY," | grep -q ",$1,"; }

setup
scn_load
want sysfs && scn_sysfs
want copy && scn_copy
want sysmem && scn_sysmem
want refuse && scn_refuse
want bad_bar && scn_bad_bar
want allocate && scn_allocate
want unbind_nvme && scn_unbind_nvme
want mmap_race && scn_mmap_race
want stress_nvme && scn_stress p2pmem-stress-nvme nvme "$STRESS_NVME"
if want cmb_bind && scn_cmb_bind; then
	trace_start
	want stress_cmb && scn_stress p2pmem-stress-cmb p2pmem_pci "$STRESS_CMB"
	want unbind_busy && scn_unbind_busy
	scn_teardown_order
fi
want remove && scn_remove
want reload && scn_reload
want qmp_replug && scn_stress_hotplug
kmemleak_check
finish
