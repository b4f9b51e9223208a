#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest-side virtio-pmem scenarios (run as /scenario by the initramfs /init).
# One RESULT line per scenario; see common.sh for the output protocol and
# tests/pmem-scenarios.sh for the host-side half.
#
# Order: probe, size, dax-mount, mapsync, fsync, concurrent-fs, (umount),
# raw-write, concurrent-raw, reload (remounts), kmemleak.
# Layout of /dev/pmem0 (the host knows these offsets):
#   0 .. 256 MiB         ext4 (mkfs limited to 256 MiB)
#   512 MiB              raw-write pattern, 1 MiB ("raw")
#   640 MiB + k MiB      concurrent raw writer k (k = 0..15), 8 x 64 KiB
. /guest/common.sh

DEV=/dev/pmem0
MNT=/mnt/pmem
FS_SIZE_MB=256
RAW_OFF_MB=512
RAW_BYTES=1048576
CW_OFF_MB=640
CW_WRITERS=16
CW_ROUNDS=8
CW_CHUNK=65536
FILE_BYTES=1048576
PMEM_SIZE=$(cmdline_arg pmem_size)
# pmem_faults=0: no hung-host and no fault cases (tests/pmem-scenarios.sh)
FAULTS=$(cmdline_arg pmem_faults)
FAULTS=${FAULTS:-1}
mkdir -p "$MNT"

have_dev() { [ -b "$DEV" ]; }
mounted() { grep -q " $MNT " /proc/mounts; }

# pmem_mods: the two modules of the set in use, load order
pmem_mods() { cat /etc/pmem.mods 2>/dev/null; }

# --- probe ---------------------------------------------------------------
scn_probe() {
	local bound
	wait_for 100 have_dev
	bound=$(ls -d /sys/bus/virtio/drivers/virtio_pmem/virtio* 2>/dev/null | head -n1)
	if [ -z "$bound" ]; then
		fail probe "no device bound to virtio_pmem (modules: $(cat /etc/modset), insmod failures: $(cat /tmp/modfail 2>/dev/null | tr '\n' ' '))"
	elif ! have_dev; then
		fail probe "${bound##*/} bound but no $DEV after 10 s"
	else
		pass probe "${bound##*/} bound, $DEV present"
	fi
}

# --- size ----------------------------------------------------------------
scn_size() {
	local sz
	have_dev || { fail size "no $DEV"; return; }
	sz=$(blockdev --getsize64 "$DEV")
	if [ -z "$PMEM_SIZE" ]; then
		fail size "no pmem_size= on the kernel command line (device has $sz)"
	elif [ "$sz" = "$PMEM_SIZE" ]; then
		pass size "$sz bytes"
	else
		fail size "device $sz bytes, expected $PMEM_SIZE"
	fi
}

# --- ext4 -o dax ---------------------------------------------------------
mount_dax() {
	mount -t ext4 -o dax "$DEV" "$MNT"
}

scn_dax_mount() {
	local opts qdax out
	have_dev || { fail dax-mount "no $DEV"; return; }
	if ! out=$(mkfs.ext4 -F -q -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 \
			"$DEV" "${FS_SIZE_MB}M" 2>&1); then
		fail dax-mount "mkfs.ext4 failed: $out"
		return
	fi
	if ! out=$(mount_dax 2>&1); then
		fail dax-mount "mount -o dax failed: $out"
		return
	fi
	opts=$(awk -v m="$MNT" '$2 == m {print $4}' /proc/mounts)
	qdax=$(cat /sys/block/pmem0/queue/dax 2>/dev/null)
	if dmesg | grep -q -i -e 'DAX unsupported' -e 'turning off DAX'; then
		fail dax-mount "kernel refused DAX: $(dmesg | grep -i -m1 dax)"
	elif ! echo ",$opts," | grep -q ',dax[,=]'; then
		fail dax-mount "mounted without dax: $opts"
	elif [ -n "$qdax" ] && [ "$qdax" != 1 ]; then
		fail dax-mount "queue/dax=$qdax"
	else
		pass dax-mount "options $opts, queue/dax=${qdax:-n/a}"
	fi
}

# --- MAP_SYNC must be refused (async flush device) -----------------------
# `pmemtool mapsync FILE --require-dax` tries mmap(MAP_SHARED_VALIDATE |
# MAP_SYNC); it prints "mapsync: EOPNOTSUPP" and exits 0 when the kernel
# refuses and the file is DAX.
scn_mapsync() {
	local out rc
	mounted || { fail mapsync "fs not mounted"; return; }
	if ! command -v pmemtool >/dev/null; then
		fail mapsync "no pmemtool"
		return
	fi
	pattern mapsync 65536 >"$MNT/mapsync.dat"
	out=$(pmemtool mapsync "$MNT/mapsync.dat" --require-dax 2>&1)
	rc=$?
	case "$rc:$out" in
	0:*EOPNOTSUPP*) pass mapsync "MAP_SYNC refused with EOPNOTSUPP on a DAX file" ;;
	*) fail mapsync "rc=$rc: $(echo "$out" | tail -n1)" ;;
	esac
}

# --- write + fsync of a file ---------------------------------------------
scn_fsync() {
	local want got
	mounted || { fail fsync "fs not mounted"; return; }
	pattern file "$FILE_BYTES" >/tmp/file.pat
	want=$(md5 /tmp/file.pat)
	echo "PATTERN file $FILE_BYTES $want /fsync.dat"
	phase fsync-begin
	dd if=/tmp/file.pat of="$MNT/fsync.dat" bs=65536 conv=fsync 2>/tmp/dd.err
	local rc=$?
	phase fsync-end
	echo "FSYNCS fsync 1"
	got=$(md5 "$MNT/fsync.dat")
	if [ $rc -ne 0 ]; then
		fail fsync "dd conv=fsync failed: $(tail -n1 /tmp/dd.err)"
	elif [ "$got" != "$want" ]; then
		fail fsync "read back $got, wrote $want"
	else
		pass fsync "$FILE_BYTES bytes, md5 $want"
	fi
}

# --- raw write at a known offset -----------------------------------------
scn_raw() {
	local want got rc
	have_dev || { fail raw-write "no $DEV"; return; }
	pattern raw "$RAW_BYTES" >/tmp/raw.pat
	want=$(md5 /tmp/raw.pat)
	echo "PATTERN raw $RAW_BYTES $want @$((RAW_OFF_MB * 1048576))"
	dd if=/tmp/raw.pat of="$DEV" bs=65536 seek=$((RAW_OFF_MB * 16)) \
		oflag=direct conv=notrunc,fsync 2>/tmp/dd.err
	rc=$?
	got=$(dd if="$DEV" bs=65536 skip=$((RAW_OFF_MB * 16)) count=$((RAW_BYTES / 65536)) \
		iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
	if [ $rc -ne 0 ]; then
		fail raw-write "dd oflag=direct failed: $(tail -n1 /tmp/dd.err)"
	elif [ "$got" != "$want" ]; then
		fail raw-write "read back $got, wrote $want"
	else
		pass raw-write "$RAW_BYTES bytes at $RAW_OFF_MB MiB"
	fi
}

# --- 16 concurrent fsync writers -----------------------------------------
# cw_writer K TARGET: CW_ROUNDS chunks of pattern cwK, fsync after each
cw_writer() {
	local k=$1 target=$2 i=0 seek extra=
	while [ $i -lt $CW_ROUNDS ]; do
		if [ "$target" = "$DEV" ]; then
			seek=$((CW_OFF_MB * 16 + k * 16 + i))
			extra=oflag=direct
		else
			seek=$i
		fi
		dd if=/tmp/cw.$k of="$target" bs=$CW_CHUNK seek=$seek count=1 \
			conv=notrunc,fsync $extra 2>>/tmp/cw.err ||
			echo "writer $k round $i" >>/tmp/cwfail
		i=$((i + 1))
	done
}

# cw_patterns KIND: /tmp/cw.K, writer K's chunk (what `pattern cwKINDK
# CW_CHUNK` gives), and /tmp/cwx.K, CW_ROUNDS copies of it, for every
# writer in one awk (a process costs ~0.25 s on a KASAN kernel under TCG:
# the shell loops of 16 x 14 processes took a minute there)
cw_patterns() {
	awk -v kind="$1" -v n=$CW_WRITERS -v len=$CW_CHUNK -v rounds=$CW_ROUNDS 'BEGIN {
		for (k = 0; k < n; k++) {
			s = "vpmem-cw" kind k "\n"
			while (length(s) < len)
				s = s s
			s = substr(s, 1, len)
			printf "%s", s >"/tmp/cw." k
			close("/tmp/cw." k)
			for (i = 0; i < rounds; i++)
				printf "%s", s >"/tmp/cwx." k
			close("/tmp/cwx." k)
		}
	}'
}

# cw_files PREFIX: PREFIX0 .. PREFIX15, the writers' files in order
cw_files() {
	local k=0
	while [ $k -lt $CW_WRITERS ]; do
		printf '%s%s ' "$1" $k
		k=$((k + 1))
	done
}

# cw_md5 FILE...: the md5 of each FILE, in order, on one line
cw_md5() { md5sum "$@" | awk '{printf "%s%s", (NR > 1 ? " " : ""), $1}'; }

scn_concurrent() { # scn_concurrent fs|raw
	local kind=$1 name=concurrent-$1 k bad=0 got want before after target
	if [ "$kind" = fs ]; then
		mounted || { fail $name "fs not mounted"; return; }
		mkdir -p "$MNT/cw"
	else
		have_dev || { fail $name "no $DEV"; return; }
	fi
	cw_patterns "$kind"
	: >/tmp/cwfail
	: >/tmp/cw.err
	before=$(stat_value requests)
	print_stats $name-begin
	phase $name-begin
	k=0
	while [ $k -lt $CW_WRITERS ]; do
		if [ "$kind" = fs ]; then target=$MNT/cw/$k; else target=$DEV; fi
		cw_writer $k "$target" &
		k=$((k + 1))
	done
	wait
	phase $name-end
	after=$(stat_value requests)
	print_stats $name-end
	echo "FSYNCS $name $((CW_WRITERS * CW_ROUNDS))"
	[ -n "$before" ] && [ -n "$after" ] && echo "GUESTFLUSH $name $((after - before))"
	want=$(cd /tmp && cw_md5 $(cw_files cwx.))
	if [ "$kind" = fs ]; then
		got=$(cd "$MNT/cw" && cw_md5 $(cw_files ""))
	else
		got=
		k=0
		while [ $k -lt $CW_WRITERS ]; do
			dd if="$DEV" bs=$CW_CHUNK skip=$((CW_OFF_MB * 16 + k * 16)) \
				count=$CW_ROUNDS iflag=direct of=/tmp/cwr.$k 2>/dev/null
			k=$((k + 1))
		done
		got=$(cd /tmp && cw_md5 $(cw_files cwr.))
		rm -f /tmp/cwr.*
	fi
	# regions whose md5 differs from the expected one (a missing file: all)
	bad=$(awk -v w="$want" -v g="$got" -v n=$CW_WRITERS 'BEGIN {
		if (split(w, a, " ") != n || split(g, b, " ") != n) {
			print n
			exit
		}
		for (i = 1; i <= n; i++)
			if (a[i] != b[i])
				bad++
		print bad + 0
	}')
	if [ -s /tmp/cwfail ]; then
		fail $name "$(wc -l </tmp/cwfail) dd failures, e.g. $(tail -n1 /tmp/cw.err)"
	elif [ $bad -ne 0 ]; then
		fail $name "$bad of $CW_WRITERS regions have wrong data"
	else
		pass $name "$CW_WRITERS writers x $CW_ROUNDS fsyncs, data verified"
	fi
}

# --- coalescing: 16 threads released together, fdatasync each write ----
# pmemtool's writers start on a barrier, so their fdatasyncs really are
# concurrent; the host compares its flush count with COAL_SYNCS.
COAL_THREADS=16
COAL_COUNT=16
COAL_OFF=768M
scn_coalesce() {
	local before after out
	have_dev || { fail coalesce-data "no $DEV"; return; }
	command -v pmemtool >/dev/null || { fail coalesce-data "no pmemtool"; return; }
	before=$(stat_value requests)
	phase coalesce-begin
	out=$(pmemtool writers --mode raw --path $DEV --threads $COAL_THREADS \
		--count $COAL_COUNT --offset $COAL_OFF --seed 7 --json 2>&1)
	phase coalesce-end
	after=$(stat_value requests)
	echo "BENCHLINE coalesce $out"
	echo "FSYNCS coalesce $((COAL_THREADS * COAL_COUNT))"
	[ -n "$before" ] && [ -n "$after" ] && echo "GUESTFLUSH coalesce $((after - before))"
	if ! out=$(pmemtool verify --mode raw --path $DEV --threads $COAL_THREADS \
		--count $COAL_COUNT --offset $COAL_OFF --seed 7 2>&1); then
		fail coalesce-data "verify: $(echo "$out" | grep -m1 -i 'fail\|mismatch')"
	else
		pass coalesce-data "$COAL_THREADS x $COAL_COUNT O_DIRECT writes + fdatasync verified"
	fi
}

# --- freeze/restore: a hibernation cycle in test mode ---------------------
# pm_test=devices runs the drivers' freeze and restore (thaw) callbacks
# without writing an image.  Afterwards a flush must reach the device.
scn_freeze() {
	local before after st out racing
	# the host found no CONFIG_PM_DEBUG (Debian's cloud kernels): no
	# pm_test, and a real hibernation is no test step
	if [ "$(cmdline_arg pm_test)" = 0 ]; then
		echo "SKIP freeze-restore: kernel without CONFIG_PM_DEBUG, no pm_test=devices cycle (not counted)"
		[ "$FAULTS" = 1 ] && echo "SKIP fault-freeze-racing: kernel without CONFIG_PM_DEBUG (not counted)"
		return
	fi
	have_dev || { fail freeze-restore "no $DEV"; return; }
	[ -w /sys/power/pm_test ] || { fail freeze-restore "no /sys/power/pm_test (CONFIG_PM_DEBUG)"; return; }
	command -v pmemtool >/dev/null || { fail freeze-restore "no pmemtool"; return; }
	# The in-tree nvme driver of 6.12 trips lockdep when frozen for
	# hibernation (q_usage_counter held across async work in
	# nvme_start_freeze); not ours, so keep NVMe out of this cycle.
	for d in /sys/bus/pci/drivers/nvme/0000:*; do
		[ -e "$d" ] && echo "${d##*/}" >/sys/bus/pci/drivers/nvme/unbind
	done
	# our driver: flushes racing the cycle (fault-freeze-racing)
	racing=
	[ "$FAULTS" = 1 ] && [ -n "$(flush_stats_dir)" ] && { racing_start; racing=1; }
	echo devices >/sys/power/pm_test
	if ! echo disk >/sys/power/state; then
		echo none >/sys/power/pm_test
		[ -z "$racing" ] || racing_check 0
		fail freeze-restore "echo disk > /sys/power/state failed"
		return
	fi
	echo none >/sys/power/pm_test
	[ -z "$racing" ] || racing_check 1
	before=$(stat_value requests)
	if ! out=$(pmemtool pattern --path $DEV --offset 896M --len 1M --seed 9 --write 2>&1); then
		fail freeze-restore "write+fdatasync after restore failed: $out"
		return
	fi
	after=$(stat_value requests)
	st=$(stat_value state)
	if ! pmemtool pattern --path $DEV --offset 896M --len 1M --seed 9 --check >/dev/null 2>&1; then
		fail freeze-restore "data written after restore reads back wrong"
	elif [ -n "$before" ] && [ "$after" -le "$before" ]; then
		fail freeze-restore "no flush request reached the device after restore ($before -> $after)"
	elif [ -n "$st" ] && [ "$st" != ok ]; then
		fail freeze-restore "flush state '$st' after restore"
	else
		pass freeze-restore "hibernation test cycle (pm_test=devices), then write+fdatasync ok${before:+, requests $before -> $after}"
	fi
}

# --- a host that stops answering ------------------------------------------
# Our driver only: debugfs hold_completions leaves the device's answers in
# the used ring as if the host never answered.  The flush must fail with
# EIO after flush_timeout_ms (not hang), the device must warn, later
# flushes must fail fast while it is stuck, and flushing must resume once
# the held answer is processed ("the host answers late").
scn_hung_host() {
	local sd knob P ow ot r0 t0 r1 t1 rc1 rc2 rc3 s1 s2 el start
	sd=$(flush_stats_dir)
	[ -n "$sd" ] || return 0	# in-tree driver: nothing to test
	have_dev || { fail hung-host "no $DEV"; return; }
	sd=${sd%/flush_stats}
	knob=/sys/kernel/debug/nd_virtio/${sd##*/}/hold_completions
	P=/sys/module/nd_virtio/parameters
	[ -w "$knob" ] || { fail hung-host "no $knob"; return; }
	ow=$(cat $P/flush_warn_ms)
	ot=$(cat $P/flush_timeout_ms)
	echo 1000 >$P/flush_warn_ms
	echo 4000 >$P/flush_timeout_ms
	r0=$(stat_value refused)
	t0=$(stat_value timeouts)
	dmesg -c >/dev/null
	echo 1 >"$knob"
	start=$(cut -d. -f1 /proc/uptime)
	pmemtool pattern --path $DEV --offset 900M --len 64k --seed 11 --write >/tmp/hang1 2>&1
	rc1=$?
	el=$(($(cut -d. -f1 /proc/uptime) - start))
	s1=$(stat_value state)
	pmemtool pattern --path $DEV --offset 901M --len 64k --seed 11 --write >/tmp/hang2 2>&1
	rc2=$?
	echo 0 >"$knob"
	wait_for 50 sh -c "[ \"\$(cat $sd/flush_stats/state)\" = ok ]"
	s2=$(stat_value state)
	pmemtool pattern --path $DEV --offset 902M --len 64k --seed 11 --write >/tmp/hang3 2>&1
	rc3=$?
	r1=$(stat_value refused)
	t1=$(stat_value timeouts)
	echo "$ow" >$P/flush_warn_ms
	echo "$ot" >$P/flush_timeout_ms
	dmesg >/tmp/hang.dmesg
	if [ $rc1 -eq 0 ]; then
		fail hung-host "fdatasync succeeded although the host never answered"
	elif [ $el -lt 3 ] || [ $el -gt 30 ]; then
		fail hung-host "first flush failed after ${el}s, expected ~4s (timeout)"
	elif [ "$s1" != stuck ] || [ "$t1" -ne $((t0 + 1)) ]; then
		fail hung-host "state '$s1', timeouts $t0 -> $t1 after the timeout"
	elif [ $rc2 -eq 0 ] || [ "$r1" -le "$r0" ]; then
		fail hung-host "second flush was not refused while stuck (rc $rc2, refused $r0 -> $r1)"
	elif ! grep -q 'outstanding for' /tmp/hang.dmesg || ! grep -q 'unanswered for' /tmp/hang.dmesg; then
		fail hung-host "missing warning/timeout messages in dmesg"
	elif [ "$s2" != ok ] || ! grep -q 'host answered the abandoned flush' /tmp/hang.dmesg; then
		fail hung-host "did not recover when the answer arrived (state '$s2')"
	elif [ $rc3 -ne 0 ]; then
		fail hung-host "flush after recovery failed: $(cat /tmp/hang3)"
	else
		pass hung-host "EIO after ${el}s with warnings, fast-fail while stuck, resumed after the late answer"
	fi
	grep -E 'nd_virtio|virtio_pmem|virtio[0-9]' /tmp/hang.dmesg | sed 's/^/HANG: /'
}

# --- queue-level fault injection (our driver only) --------------------------
# debugfs nd_virtio/virtioN/inject rewrites, invents or drops what the
# device returns on the used ring (nd_virtio_inject.c); "break" calls
# virtio_break_device(); "config_changed" plays the device's configuration
# change notification.  Every case: a clear kernel message, the expected
# errno for the flush, no busy loop (kworker + irq CPU time over the fault
# window at most a quarter of one CPU), unbind returns (10 s hang bound)
# where the device is given up, and the data acknowledged before the case
# intact.
F_DBG=
F_SD=
F_VDEV=
F_P=/sys/module/nd_virtio/parameters
F_DRV=/sys/bus/virtio/drivers/virtio_pmem

now() { cut -d' ' -f1 /proc/uptime; }
# secs_since T: seconds (2 decimals) since uptime T
secs_since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.2f", b - a}'; }
# cpu_ticks: USER_HZ ticks spent by kworkers plus in irq/softirq
cpu_ticks() {
	local k i
	k=$(cat /proc/[0-9]*/stat 2>/dev/null | awk '$2 ~ /^\(kworker/ {t += $14 + $15} END {print t + 0}')
	i=$(awk '$1 == "cpu" {print $7 + $8}' /proc/stat)
	echo $((k + i))
}
F_T0=
F_C0=
cpu_begin() { F_T0=$(now); F_C0=$(cpu_ticks); }
# cpu_end: "ok <detail>" or "busy <detail>" for the window since cpu_begin
cpu_end() {
	local c1 t1
	c1=$(cpu_ticks)
	t1=$(now)
	awk -v c=$((c1 - F_C0)) -v a="$F_T0" -v b="$t1" 'BEGIN {
		w = (b - a) * 100; v = (c * 4 > w + 20) ? "busy" : "ok";
		printf "%s cpu %d ticks in %.2fs", v, c, b - a }'
}

fault_setup() {
	F_SD=$(flush_stats_dir)
	[ -n "$F_SD" ] || return 1
	F_VDEV=${F_SD%/flush_stats}
	F_VDEV=${F_VDEV##*/}
	F_DBG=/sys/kernel/debug/nd_virtio/$F_VDEV
	[ -w "$F_DBG/inject" ]
}
# flush_once OFF: write 64 KiB at OFF MiB and fdatasync; exit status of pmemtool
flush_once() {
	pmemtool pattern --path $DEV --offset "$1"M --len 64k --seed 21 --write >/tmp/flush.out 2>&1
}
# flush_bg TAG OFF: flush_once in the background; rc and end time in
# /tmp/TAG.rc and /tmp/TAG.t
flush_bg() {
	rm -f /tmp/$1.rc /tmp/$1.t
	(flush_once "$2"; echo $? >/tmp/$1.rc.tmp; now >/tmp/$1.t; mv /tmp/$1.rc.tmp /tmp/$1.rc) &
}
bg_done() { [ -e /tmp/$1.rc ]; }
# unhang TAG...: a broken build leaves callers waiting for ever; give the
# watchdog a timeout and the answers back so the boot goes on
unhang() {
	local t
	for t in "$@"; do
		bg_done $t && continue
		fault_params 1000 1000
		echo 0 >"$F_DBG/hold_completions" 2>/dev/null
		wait_for 100 bg_done $t
	done
}
# acked_write / acked_check: data written and acknowledged before a case
acked_write() { pmemtool pattern --path $DEV --offset 928M --len 1M --seed "$1" --write >/dev/null 2>&1; }
acked_check() { pmemtool pattern --path $DEV --offset 928M --len 1M --seed "$1" --check >/dev/null 2>&1; }
# unbind_timed: unbind the device; prints seconds, fails past 10 s (a
# hang detector: the driver bounds its own part to 2 s, the teardown of a
# 1 GiB region took up to 5.1 s on a KASAN test kernel with the host at
# load 15)
unbind_timed() {
	local t0
	rm -f /tmp/unbind.done
	t0=$(now)
	(echo "$F_VDEV" >$F_DRV/unbind; touch /tmp/unbind.done) &
	if ! wait_for 100 test -e /tmp/unbind.done; then
		echo "stuck"
		# let a hung removal finish, whatever it waits for
		echo 0 >"$F_DBG/hold_completions" 2>/dev/null
		wait_for 600 test -e /tmp/unbind.done
		return 1
	fi
	secs_since "$t0"
}
rebind() {
	echo "$F_VDEV" >$F_DRV/bind 2>/dev/null
	wait_for 300 have_dev && fault_setup
}
fault_params() { echo "$1" >$F_P/flush_warn_ms; echo "$2" >$F_P/flush_timeout_ms; }
dmesg_has() { grep -q -- "$1" /tmp/case.dmesg; }
# kmsg_mark TEXT: a line in the kernel log, timestamped like the driver's
kmsg_mark() { echo "pmem-test: $1" >/dev/kmsg; }
# kmsg_latency MARK MSG: seconds from the kmsg_mark line MARK to the first
# later line with MSG in the case's log, or "never"
kmsg_latency() {
	awk -v m="pmem-test: $1" -v s="$2" '
		function ts(l) { sub(/^\[ */, "", l); sub(/\].*/, "", l); return l + 0 }
		t0 == "" && index($0, m) { t0 = ts($0); next }
		t0 != "" && index($0, s) { printf "%.2f", ts($0) - t0; found = 1; exit }
		END { if (!found) printf "never" }' /tmp/case.dmesg
}
case_begin() { dmesg -c >/dev/null; }
case_end() { dmesg >/tmp/case.dmesg; grep -E 'nd_virtio|virtio_pmem|virtio[0-9]' /tmp/case.dmesg | sed "s/^/FAULT $1: /"; }

# used length 0..3 (short), and a long one (accepted with a warning)
scn_fault_short() {
	local n bad= cpu
	case_begin
	acked_write 31
	cpu_begin
	for n in 0 1 2 3; do
		echo "len $n" >"$F_DBG/inject"
		flush_once 904 && bad="$bad len$n-succeeded"
	done
	echo "len 4096" >"$F_DBG/inject"
	flush_once 904 || bad="$bad long-failed"
	flush_once 904 || bad="$bad next-failed"
	cpu=$(cpu_end)
	case_end fault-short-reply
	for n in 0 1 2 3; do
		dmesg_has "short flush response ($n of 4 bytes)" || bad="$bad no-msg-len$n"
	done
	dmesg_has "reports 4096 bytes written" || bad="$bad no-msg-long"
	[ "$(stat_value state)" = ok ] || bad="$bad state-$(stat_value state)"
	acked_check 31 || bad="$bad acked-data"
	case "$cpu" in busy*) bad="$bad $cpu" ;; esac
	verdict fault-short-reply "$bad" "used length 0..3 -> EIO with message, 4096 accepted with warning, next flush ok, $cpu"
}

# non-zero ret: QEMU's 1, Firecracker's -1, garbage
scn_fault_ret() {
	local v bad= cpu
	case_begin
	acked_write 32
	cpu_begin
	for v in 0x1 0xffffffff 0xdeadbeef; do
		echo "ret $v" >"$F_DBG/inject"
		flush_once 905 && bad="$bad ret$v-succeeded"
	done
	flush_once 905 || bad="$bad next-failed"
	cpu=$(cpu_end)
	case_end fault-bad-ret
	for v in 0x1 0xffffffff 0xdeadbeef; do
		dmesg_has "host failed a flush (ret $v)" || bad="$bad no-msg-$v"
	done
	[ "$(stat_value state)" = ok ] || bad="$bad state-$(stat_value state)"
	acked_check 32 || bad="$bad acked-data"
	case "$cpu" in busy*) bad="$bad $cpu" ;; esac
	verdict fault-bad-ret "$bad" "ret 1, -1, 0xdeadbeef -> EIO with message, next flush ok, $cpu"
}

# an unknown token before the real answer, and a duplicate answer
scn_fault_token_dup() {
	local name=$1 what=$2 msg=$3 bad= cpu
	case_begin
	acked_write 33
	cpu_begin
	echo "$what" >"$F_DBG/inject"
	flush_once 906 || bad="$bad flush-failed"
	flush_once 906 || bad="$bad next-failed"
	cpu=$(cpu_end)
	case_end $name
	dmesg_has "fault injection: $what" || bad="$bad not-injected"
	dmesg_has "$msg" || bad="$bad no-msg"
	[ "$(stat_value state)" = ok ] || bad="$bad state-$(stat_value state)"
	acked_check 33 || bad="$bad acked-data"
	case "$cpu" in busy*) bad="$bad $cpu" ;; esac
	verdict $name "$bad" "'$msg' warned, flush and next flush ok, $cpu"
}

# the device never answers (answer dropped): EIO after the timeout, stuck,
# refused; unbind within 5 s, rebind, data intact
scn_fault_noreply() {
	local bad= cpu el t0 u st
	case_begin
	acked_write 34
	fault_params 1000 2000
	cpu_begin
	echo drop >"$F_DBG/inject"
	t0=$(now)
	flush_once 907 && bad="$bad flush-succeeded"
	el=$(secs_since "$t0")
	st=$(stat_value state)
	flush_once 907 && bad="$bad stuck-flush-succeeded"
	cpu=$(cpu_end)
	[ "$st" = stuck ] || bad="$bad state-$st"
	awk -v e="$el" 'BEGIN {exit !(e >= 1.5 && e < 10)}' || bad="$bad eio-after-${el}s"
	u=$(unbind_timed) || bad="$bad unbind-$u"
	rebind || bad="$bad rebind-failed"
	case_end fault-no-reply
	dmesg_has "unanswered for" || bad="$bad no-timeout-msg"
	flush_once 907 || bad="$bad flush-after-rebind"
	acked_check 34 || bad="$bad acked-data"
	case "$cpu" in busy*) bad="$bad $cpu" ;; esac
	verdict fault-no-reply "$bad" "EIO after ${el}s, state stuck, refused; unbind ${u}s, rebind ok, data intact, $cpu"
}

# broken queue / NEEDS_RESET with a caller waiting and flush_timeout_ms=0:
# only noticing the breakage can release it; EIO within 1 s, state broken,
# new callers refused, unbind returns
scn_fault_broken() { # scn_fault_broken NAME how MSG
	local name=$1 how=$2 msg=$3 bad= cpu el t0 u st rc kl
	case_begin
	acked_write 35
	fault_params 10000 0
	echo 1 >"$F_DBG/hold_completions"
	flush_bg w1 908
	sleep 0.5
	bg_done w1 && bad="$bad not-in-flight"
	cpu_begin
	kmsg_mark "$name trigger"
	t0=$(now)
	case "$how" in
	break) echo 1 >"$F_DBG/break" ;;
	needs_reset) echo "needs_reset 1" >"$F_DBG/inject"; echo 1 >"$F_DBG/config_changed" ;;
	esac
	wait_for 50 bg_done w1
	if bg_done w1; then
		el=$(awk -v a="$t0" -v b="$(cat /tmp/w1.t)" 'BEGIN {printf "%.2f", b - a}')
		rc=$(cat /tmp/w1.rc)
	else
		el=never rc=none
	fi
	st=$(stat_value state)
	flush_bg w2 909
	wait_for 20 bg_done w2
	if ! bg_done w2; then
		bad="$bad new-caller-waits"
	elif [ "$(cat /tmp/w2.rc)" = 0 ]; then
		bad="$bad new-flush-succeeded"
	fi
	cpu=$(cpu_end)
	unhang w1 w2
	[ "$rc" != 0 ] || bad="$bad waiter-succeeded"
	# the waiter saw EIO (a hang would be "never": flush_timeout_ms=0)
	awk -v e="$el" 'BEGIN {exit !(e + 0 == e && e < 10)}' || bad="$bad eio-after-${el}s"
	[ "$st" = broken ] || bad="$bad state-$st"
	u=$(unbind_timed) || bad="$bad unbind-$u"
	fault_params 10000 60000
	rebind || bad="$bad rebind-failed"
	case_end $name
	dmesg_has "$msg" || bad="$bad no-msg"
	# within 1 s the driver failed its callers: kernel timestamps of the
	# trigger and of the driver's message, so the guest's userspace
	# scheduling on a loaded TCG host (1.0-1.3 s seen at load 12, 0.6 s
	# idle) does not count
	kl=$(kmsg_latency "$name trigger" "$msg")
	awk -v e="$kl" 'BEGIN {exit !(e + 0 == e && e < 1.0)}' || bad="$bad driver-eio-after-${kl}s"
	flush_once 909 || bad="$bad flush-after-rebind"
	[ "$(stat_value state)" = ok ] || bad="$bad state-after-rebind-$(stat_value state)"
	acked_check 35 || bad="$bad acked-data"
	case "$cpu" in busy*) bad="$bad $cpu" ;; esac
	verdict $name "$bad" "callers failed ${kl}s after the trigger (kernel log), the waiter saw EIO after ${el}s (flush_timeout_ms=0), state broken, new caller refused; unbind ${u}s, rebind ok, data intact, $cpu"
}

# remove with a silent host and flush_timeout_ms=0 must not hang
scn_fault_remove() {
	local bad= u rc
	case_begin
	acked_write 36
	fault_params 10000 0
	echo 1 >"$F_DBG/hold_completions"
	flush_bg w3 910
	sleep 0.5
	bg_done w3 && bad="$bad not-in-flight"
	u=$(unbind_timed) || bad="$bad unbind-$u"
	wait_for 100 bg_done w3 || bad="$bad waiter-still-waiting"
	rc=$(cat /tmp/w3.rc 2>/dev/null)
	[ "$rc" != 0 ] || bad="$bad waiter-succeeded"
	fault_params 10000 60000
	rebind || bad="$bad rebind-failed"
	case_end fault-remove-silent
	dmesg_has "unanswered for" || bad="$bad no-msg"
	flush_once 910 || bad="$bad flush-after-rebind"
	acked_check 36 || bad="$bad acked-data"
	verdict fault-remove-silent "$bad" "unbind with an unanswered flush and flush_timeout_ms=0 returned in ${u}s, waiter got EIO, data intact"
}

# hibernation cycle (pm_test=devices) with an abandoned request owned by
# the device: reset reclaims it, flushing works after restore
scn_fault_freeze_stuck() {
	local bad= st
	if [ "$(cmdline_arg pm_test)" = 0 ]; then
		echo "SKIP fault-freeze-stuck: kernel without CONFIG_PM_DEBUG (not counted)"
		return
	fi
	[ -w /sys/power/pm_test ] || { fail fault-freeze-stuck "no pm_test"; return; }
	case_begin
	acked_write 37
	fault_params 1000 2000
	echo 1 >"$F_DBG/hold_completions"
	flush_once 911 && bad="$bad flush-succeeded"
	st=$(stat_value state)
	[ "$st" = stuck ] || bad="$bad state-before-$st"
	echo devices >/sys/power/pm_test
	echo disk >/sys/power/state || bad="$bad cycle-failed"
	echo none >/sys/power/pm_test
	echo 0 >"$F_DBG/hold_completions"
	st=$(stat_value state)
	[ "$st" = ok ] || bad="$bad state-after-$st"
	flush_once 911 || bad="$bad flush-after-restore"
	fault_params 10000 60000
	case_end fault-freeze-stuck
	acked_check 37 || bad="$bad acked-data"
	verdict fault-freeze-stuck "$bad" "abandoned request at freeze, state ok after restore, flush ok, data intact"
}

# hibernation cycle while writers fdatasync in a loop: none fails.  Run
# inside the freeze-restore cycle (pm_test=devices costs 5 s per cycle).
racing_start() {
	local k
	dmesg -c >/dev/null
	rm -f /tmp/stop /tmp/wr.*
	R_REQ0=$(stat_value requests)
	for k in 0 1 2 3; do
		(n=0; f=0
		 while [ ! -e /tmp/stop ]; do
			pmemtool pattern --path $DEV --offset $((912 + k))M --len 64k --seed $((40 + k)) --write >/dev/null 2>&1 || f=$((f + 1))
			n=$((n + 1))
		 done
		 echo "$n $f" >/tmp/wr.$k) &
	done
	sleep 1
}
racing_check() { # racing_check CYCLE-OK
	local bad= k n=0 fails=0 r1
	[ "$1" = 1 ] || bad=" cycle-failed"
	sleep 1
	touch /tmp/stop
	wait
	r1=$(stat_value requests)
	for k in 0 1 2 3; do
		[ -e /tmp/wr.$k ] || { bad="$bad writer$k-lost"; continue; }
		n=$((n + $(cut -d' ' -f1 /tmp/wr.$k)))
		fails=$((fails + $(cut -d' ' -f2 /tmp/wr.$k)))
		pmemtool pattern --path $DEV --offset $((912 + k))M --len 64k --seed $((40 + k)) --check >/dev/null 2>&1 || bad="$bad data$k"
	done
	[ "$fails" -eq 0 ] || bad="$bad $fails-of-$n-failed"
	case_end fault-freeze-racing
	verdict fault-freeze-racing "$bad" "$n write+fdatasync in 4 loops across a hibernation cycle, 0 failed, data ok, requests $R_REQ0 -> $r1"
}

scn_faults() {
	local ow ot
	[ -n "$(flush_stats_dir)" ] || return 0	# in-tree driver
	have_dev || { fail fault-setup "no $DEV"; return; }
	fault_setup || { fail fault-setup "no $F_DBG/inject"; return; }
	ow=$(cat $F_P/flush_warn_ms)
	ot=$(cat $F_P/flush_timeout_ms)
	scn_fault_short
	scn_fault_ret
	scn_fault_token_dup fault-unknown-token token "unknown token in used ring"
	scn_fault_token_dup fault-dup-completion dup "completion without a flush in flight"
	scn_fault_noreply
	scn_fault_broken fault-break break "virtqueue broken"
	scn_fault_broken fault-needs-reset needs_reset "virtio pmem device needs a reset"
	scn_fault_remove
	scn_fault_freeze_stuck
	echo "$ow" >$F_P/flush_warn_ms
	echo "$ot" >$F_P/flush_timeout_ms
}

# --- unload / reload -----------------------------------------------------
scn_reload() {
	local mods m d rev='' out want got how
	mods=$(pmem_mods)
	[ -n "$mods" ] || { fail reload "virtio_pmem is not modular here"; return; }
	have_dev || { fail reload "no $DEV to begin with"; return; }
	if mounted && ! out=$(umount "$MNT" 2>&1); then
		fail reload "umount failed: $out"
		return
	fi
	for m in $mods; do rev="${m##*/} $rev"; done
	# a bound nvdimm region holds a reference on the provider module
	# (nd_desc.module): a plain rmmod may be refused; then unbind first
	how="rmmod"
	if ! rmmod virtio_pmem 2>/dev/null; then
		how="unbind+rmmod"
		for d in /sys/bus/virtio/drivers/virtio_pmem/virtio*; do
			[ -e "$d" ] && echo "${d##*/}" >/sys/bus/virtio/drivers/virtio_pmem/unbind
		done
	fi
	for m in $rev; do
		grep -q "^${m%.ko} " /proc/modules || continue
		if ! out=$(rmmod "${m%.ko}" 2>&1); then
			fail reload "$how: rmmod ${m%.ko} failed: $out"
			return
		fi
	done
	if ! wait_for 50 eval '! have_dev'; then
		fail reload "$DEV still present after rmmod"
		return
	fi
	if lsmod | grep -q -e '^virtio_pmem ' -e '^nd_virtio '; then
		fail reload "modules still listed after rmmod"
		return
	fi
	for m in $mods; do
		if ! out=$(insmod "$m" 2>&1); then
			fail reload "insmod $m failed: $out"
			return
		fi
	done
	if ! wait_for 100 have_dev; then
		fail reload "$DEV did not come back after insmod"
		return
	fi
	if ! out=$(mount_dax 2>&1); then
		fail reload "remount failed: $out"
		return
	fi
	want=$(md5 /tmp/file.pat)
	got=$(md5 "$MNT/fsync.dat" 2>/dev/null)
	if [ "$got" != "$want" ]; then
		fail reload "fsync.dat after reload: $got, expected $want"
	else
		pass reload "$how, $DEV gone, insmod, $DEV back, fsync.dat intact"
	fi
}

echo "SCENARIO pmem: kernel $(uname -r), modules $(cat /etc/modset), pmem_size=$PMEM_SIZE"
scn_probe
scn_size
scn_dax_mount
scn_mapsync
scn_fsync
# pmem_set=basic (tests/pmem-scenarios.sh PMEM_SET=basic: a kernel whose
# libnvdimm config and our code are another matrix kernel's, which runs
# the full set): no concurrent writers and no coalescing run
PFULL=1
if [ "$(cmdline_arg pmem_set)" = basic ]; then
	PFULL=
	for n in concurrent-fs concurrent-raw coalesce-data; do
		echo "SKIP $n: reduced set (pmem_set=basic; not counted)"
	done
fi
[ -z "$PFULL" ] || scn_concurrent fs
# raw writes with the file system unmounted: kernels without
# CONFIG_BLK_DEV_WRITE_MOUNTED (our test kernel) refuse to open a mounted
# block device for writing (EBUSY)
if mounted && ! umount "$MNT"; then
	echo "SCENARIO: umount $MNT failed"
fi
scn_raw
[ -z "$PFULL" ] || scn_concurrent raw
[ -z "$PFULL" ] || scn_coalesce
scn_freeze
if [ "$FAULTS" = 1 ]; then
	scn_hung_host
	T_FAULTS=$(cut -d' ' -f1 /proc/uptime)
	scn_faults
	echo "FAULTTIME $(awk -v a="$T_FAULTS" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN {printf "%.1f", b - a}')"
fi
print_stats
scn_reload
print_stats after-reload
# leave a clean file system for the host's debugfs
if mounted; then
	sync
	umount "$MNT" || echo "SCENARIO: umount $MNT failed"
fi
# Debian's ndctl/daxctl on the region (host: tests/pmem-scenarios.sh --ndctl)
if [ "$(cmdline_arg ndctl)" = 1 ]; then
	ND_SOURCED=1
	. /guest/ndctl.sh
	ndctl_steps
fi
kmemleak_check
finish
