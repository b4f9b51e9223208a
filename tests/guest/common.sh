#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Helpers for the guest scenarios (busybox sh, sourced from /guest).
#
# Output protocol (parsed by the host side, tests/*.sh):
#   RESULT <name> PASS|FAIL <detail>   one line per scenario
#   PHASE <name>-begin / <name>-end    the host samples its trace log there
#   FSYNCS <phase> <n>                 fsync calls the guest made in a phase
#   STAT <counter> <value>             driver counters at the end
#   STATP <phase> <counter> <value>    driver counters at a phase marker
#   PATTERN <name> <bytes> <md5>       data the host checks in the image
# At the end a block ===RESULTS-BEGIN=== ... ===RESULTS-END=== repeats the
# RESULT lines (with the kernel console quiet) and the dmesg follows between
# ===DMESG-BEGIN=== and ===DMESG-END===.

RESULTS=/tmp/results
: >"$RESULTS"

result() { # result NAME PASS|FAIL DETAIL...
	local name=$1 st=$2
	shift 2
	echo "RESULT $name $st $*" | tee -a "$RESULTS"
}
pass() { local n=$1; shift; result "$n" PASS "$@"; }
fail() { local n=$1; shift; result "$n" FAIL "$@"; }
# verdict NAME PROBLEMS DETAIL: FAIL naming the PROBLEMS a check collected,
# PASS with DETAIL when there are none
verdict() {
	if [ -n "$2" ]; then fail "$1" "$2"; else pass "$1" "$3"; fi
}

# cmdline_arg NAME: value of NAME=... on the kernel command line
cmdline_arg() {
	local w
	for w in $(cat /proc/cmdline); do
		case "$w" in
		"$1"=*) echo "${w#*=}" ;;
		esac
	done
}

# pattern NAME BYTES: deterministic data; the host makes the same bytes
# with `yes "vpmem-NAME" | head -c BYTES`
pattern() { yes "vpmem-$1" | head -c "$2"; }

# wait_for TENTHS CMD...: poll CMD every 0.1 s, up to TENTHS tries
wait_for() {
	local n=$1
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

md5() { md5sum "$@" | cut -d' ' -f1; }

# phase NAME-begin|NAME-end: marker for the host, which samples its trace
# log when it sees it; the pause leaves it time to do so
phase() {
	echo "PHASE $1"
	sleep 2
}

# flush_stats_dir: the flush_stats directory of the first virtio device
# that has one (our driver), empty if none
flush_stats_dir() {
	local d
	for d in /sys/bus/virtio/devices/*/flush_stats; do
		[ -d "$d" ] && { echo "$d"; return 0; }
	done
	return 0
}

# print_stats [PHASE]: driver counters as STAT (or STATP PHASE) lines;
# multi-line files (the histogram) are joined with ','
print_stats() {
	local d f v
	d=$(flush_stats_dir)
	[ -n "$d" ] || return 0
	for f in "$d"/*; do
		[ -f "$f" ] || continue
		v=$(tr -s ' \n' ' ,' <"$f" | sed 's/[ ,]*$//')
		if [ -n "${1:-}" ]; then
			echo "STATP $1 ${f##*/} $v"
		else
			echo "STAT ${f##*/} $v"
		fi
	done
}

# stat_value NAME: one counter, empty if absent
stat_value() {
	local d
	d=$(flush_stats_dir)
	[ -n "$d" ] && [ -f "$d/$1" ] && cat "$d/$1"
	return 0
}

# vmemhold_start OUT MB: a checksummed MB MiB vmemhold buffer, placed in
# the virtio-mem region ($ADDR:$MAXSZ) where it can be, output in OUT;
# waits (60 s) for its "ready" line.  Sets HOLD_PID and HOLD_READY (that
# line); 1 if it did not come (the process is left to the caller)
vmemhold_start() {
	vmemhold --mb "$2" --region "$ADDR:$MAXSZ" >"$1" 2>&1 &
	HOLD_PID=$!
	wait_for 600 grep -q ready "$1"
	HOLD_READY=$(grep ready "$1")
	[ -n "$HOLD_READY" ]
}

# vmemhold_stop PID: the buffer verifies itself and exits (in the shell
# that started it: wait needs its own child)
vmemhold_stop() {
	kill -USR1 "$1" 2>/dev/null
	wait "$1"
}

# vmemhold_verdict OUT MB IN0 (after vmemhold_stop): prints nothing when
# the buffer verified and IN0 of its pages were in device memory at the
# start, else why not (an intact buffer that was not there proves nothing)
vmemhold_verdict() {
	local out
	out=$(grep verify "$1")
	if [ -z "$out" ]; then
		echo "vmemhold gave no verdict: $(tr '\n' ' ' <"$1")"
	elif [ "$(kv mismatches "$out")" != 0 ] || [ "$(kv sum "$out")" != "$(kv expected "$out")" ]; then
		echo "$2 MiB buffer corrupted: $out"
	elif [ "${3:-0}" -eq 0 ]; then
		echo "buffer intact, but none of its pages were in device memory (proves nothing): $out"
	fi
}

# kunit_run: the KUnit boot's work (tests/kunit.sh, or the vmem boot of
# the KUnit kernel): load what the KUnit modules need from /bin where it
# is not loaded yet (nd_virtio for vpmem_kunit, virtio_mem for
# vmem_kunit, p2pmem_pci for p2pmem_kunit), then every /bin/*_kunit.ko
# (their suites run at load), print each suite's KTAP from debugfs
# between markers, and unload all of it again (in reverse), so the boot
# goes on with the modules it had.  kunit-load-NAME per module loaded.
kunit_run() {
	local ko m d loaded=''
	for m in nd_virtio virtio_mem p2pmem_pci; do
		[ -f "/bin/$m.ko" ] && [ ! -d "/sys/module/$m" ] || continue
		if insmod "/bin/$m.ko"; then
			pass "kunit-load-$m" "$m.ko loaded"
			loaded="$m $loaded"
		else
			fail "kunit-load-$m" "insmod $m.ko failed"
		fi
	done
	for ko in /bin/*_kunit.ko; do
		m=${ko##*/}
		m=${m%.ko}
		if insmod "$ko"; then
			pass "kunit-load-$m" "$m.ko loaded"
			loaded="$m $loaded"
		else
			fail "kunit-load-$m" "insmod $m.ko failed"
		fi
	done
	for d in /sys/kernel/debug/kunit/*; do
		[ -f "$d/results" ] || continue
		echo "===KTAP-BEGIN ${d##*/}==="
		cat "$d/results"
		echo "===KTAP-END==="
	done
	for m in $loaded; do
		rmmod "$m" || echo "KUNIT: rmmod $m failed"
	done
}

# kmemleak_check: on kernels with kmemleak, scan twice (objects must be
# older than ~5 s to be reported) and fail on any report
kmemleak_check() {
	local f=/sys/kernel/debug/kmemleak n
	[ -e "$f" ] || return 0
	echo scan >"$f" 2>/dev/null
	sleep 6
	echo scan >"$f" 2>/dev/null
	cat "$f" >/tmp/kmemleak 2>/dev/null
	n=$(grep -c '^unreferenced object' /tmp/kmemleak)
	if [ "$n" -eq 0 ]; then
		pass kmemleak "no leaks reported"
	else
		echo "===KMEMLEAK-BEGIN==="
		cat /tmp/kmemleak
		echo "===KMEMLEAK-END==="
		fail kmemleak "$n unreferenced objects"
	fi
}

# finish: quiet console, repeat the results, dump dmesg
finish() {
	dmesg -n 1
	echo "===RESULTS-BEGIN==="
	cat "$RESULTS"
	echo "===RESULTS-END==="
	echo "===DMESG-BEGIN==="
	dmesg
	echo "===DMESG-END==="
}

# --- virtio-mem: the host channel (scripts/vmem-host.py) -------------------
# The host answers one line per request on the second serial port; see
# vmem-host.py for the requests.  CTL_REPLY holds the last reply.
CTL_DEV=/dev/ttyS1
CTL_REPLY=

# ctl_open: raw tty, then HELLO until the host answers (30 tries, 2 s each);
# a late duplicate answer is drained so replies stay in step
ctl_open() {
	local n=0 junk
	[ -c "$CTL_DEV" ] || return 1
	stty -F "$CTL_DEV" raw -echo 2>/dev/null
	exec 3<>"$CTL_DEV"
	while [ $n -lt 30 ]; do
		echo HELLO >&3
		if read -t 2 CTL_REPLY <&3; then
			case "$CTL_REPLY" in
			HELLO*)
				while read -t 1 junk <&3; do :; done
				return 0 ;;
			esac
		fi
		n=$((n + 1))
	done
	return 1
}

# ctl REQUEST...: send one request, wait (up to 20 min) for its reply;
# non-zero when the host did not answer or answered ERR/TIMEOUT/STALLED
ctl() {
	CTL_REPLY=
	echo "$*" >&3
	read -t 1200 CTL_REPLY <&3 || { CTL_REPLY="ERR no reply to '$*'"; return 1; }
	case "$CTL_REPLY" in
	ERR*|TIMEOUT*|STALLED*) return 1 ;;
	esac
	return 0
}

# kv KEY [TEXT]: value of KEY=... in TEXT (default: the last reply)
kv() {
	local w
	for w in ${2-$CTL_REPLY}; do
		case "$w" in
		"$1"=*) echo "${w#*=}"; return 0 ;;
		esac
	done
	return 0
}

# memtotal_kb: MemTotal from /proc/meminfo
# vmem_ctl_start NAME: open the line to the host half (failing NAME and
# ending the scenario without it), then the device's ADDR, MAXSZ and BLOCK
# (QUERY) and TOL_KB: MemTotal moves by exactly the pages onlined
# (unplugged sub-blocks of an online block are taken out of the managed
# count too); one device block of tolerance for accounting done elsewhere
# in the kernel meanwhile
vmem_ctl_start() {
	if ! ctl_open; then
		fail "$1" "no answer from the host on $CTL_DEV"
		finish
		exit 1
	fi
	ADDR=$(kv addr)
	MAXSZ=$(kv max)
	BLOCK=$(kv block)
	TOL_KB=$((BLOCK / 1024))
}
memtotal_kb() { awk '$1 == "MemTotal:" {print $2}' /proc/meminfo; }

# vmem_sysfs_dir: our driver's attribute directory, empty if none
vmem_sysfs_dir() {
	local d
	for d in /sys/bus/virtio/devices/*/virtio_mem; do
		[ -d "$d" ] && { echo "$d"; return 0; }
	done
	return 0
}

# vmem_sysfs_at ADDR: our driver's attribute directory of the device whose
# region starts at ADDR (several devices), empty if none
vmem_sysfs_at() {
	local d
	for d in /sys/bus/virtio/devices/*/virtio_mem; do
		[ "$(cat "$d/region_start" 2>/dev/null)" = "$1" ] && { echo "$d"; return 0; }
	done
	return 0
}

# --- p2pmem_pci: the lab's three NVMe controllers and their exports --------
P2P_CLASS=/sys/class/p2pmem_guestmem

# nvme_bdf SERIAL: PCI address of the nvme-bound controller with SERIAL
nvme_bdf() {
	local c
	for c in /sys/class/nvme/nvme*; do
		[ "$(tr -d ' ' <"$c/serial" 2>/dev/null)" = "$1" ] || continue
		basename "$(readlink -f "$c/device")"
		return 0
	done
	return 1
}

# nvme_ns BDF: /dev/nvmeXnY of the nvme-bound controller at BDF
nvme_ns() {
	local n
	for n in /sys/bus/pci/devices/"$1"/nvme/nvme*/nvme*n*; do
		[ -e "$n" ] && { echo "/dev/${n##*/}"; return 0; }
	done
	return 1
}

# nvme_lab_controllers: the lab's three NVMe controllers (scripts/vm.sh:
# serials d00d0001..3 behind one PCIe switch) as A, B, C (PCI addresses,
# empty if absent) and the namespaces of A and B as NS_A, NS_B; waits up
# to 20 s for the controllers and 10 s for each namespace
nvme_lab_controllers() {
	wait_for 200 nvme_bdf d00d0003 >/dev/null
	A=$(nvme_bdf d00d0001)
	B=$(nvme_bdf d00d0002)
	C=$(nvme_bdf d00d0003)
	wait_for 100 nvme_ns "$A" >/dev/null
	wait_for 100 nvme_ns "$B" >/dev/null
	NS_A=$(nvme_ns "$A")
	NS_B=$(nvme_ns "$B")
}

# p2pmem_dev BDF: the /dev/p2pmemN exported for the provider at BDF
p2pmem_dev() {
	local c
	for c in "$P2P_CLASS"/p2pmem*; do
		[ "$(cat "$c/provider" 2>/dev/null)" = "$1" ] && { echo "/dev/${c##*/}"; return 0; }
	done
	return 1
}
p2pmem_exported() { p2pmem_dev "$1" >/dev/null; }
p2pmem_gone() { ! p2pmem_dev "$1" >/dev/null; }

# write_timed FILE VALUE SECONDS: the write in the background; 0 if it
# completed in time, 1 if it failed (error in /tmp/write.err), 2 if it is
# still blocked after SECONDS (a hang)
write_timed() {
	local pid n=$(($3 * 10))
	( echo "$2" >"$1" ) 2>/tmp/write.err &
	pid=$!
	while [ $n -gt 0 ] && kill -0 $pid 2>/dev/null; do
		sleep 0.1
		n=$((n - 1))
	done
	kill -0 $pid 2>/dev/null && return 2
	wait $pid
}

# --- make demo: the lines scripts/demo.sh builds its report from ------------
#   DEMO <part> <text>       one line of the human report, in order
#   DATA <key> <value>...    a number the host tabulates
#   PROBLEM <part> <text>    something did not work (make demo fails)
report() { local p=$1; shift; echo "DEMO $p $*"; }
datum() { echo "DATA $*"; }
problem() { local p=$1; shift; echo "PROBLEM $p $*"; echo "DEMO $p PROBLEM: $*"; }
