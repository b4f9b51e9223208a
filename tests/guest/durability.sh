#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest half of the power-cut durability oracle (tests/durability-scenarios.sh).
# Everything comes from the kernel command line:
#
#   dur_chk_run=R dur_chk_fs=M dur_chk_acked=A0,...   check the ext4 image of
#       the previous cut (the host attached it as the NVMe with serial
#       d00d0001): mount it (the kernel replays the journal), every
#       acknowledged record of its M file writers must be intact
#       (durwriter check), unmount cleanly; the host runs e2fsck -fn after
#   dur_run=R dur_raw=N dur_fs=M [dur_ack_early=1]    then write until the
#       host cuts the power: ext4 on the first 128 MiB of /dev/pmem0
#       (-o dax), N raw writers (O_DIRECT + fdatasync) on [256 MiB, end),
#       M file writers (append + fsync); acknowledgements go to /dev/ttyS1,
#       which the host logs as QEMU writes it.  dur_ack_early=1 first sets
#       our driver's debugfs ack_early (flushes acknowledged without
#       reaching the host): the deliberately broken variant.
#
# Protocol lines on the console: DURCHK <what> <detail>, DURINFO <...>;
# RESULT lines for what the guest itself checks (see common.sh).
. /guest/common.sh

DEV=/dev/pmem0
ACK=/dev/ttyS1
FS_MB=128
RAW_OFF=$((256 * 1048576))
CHK_SERIAL=d00d0001
RUN=$(cmdline_arg dur_run)
NRAW=$(cmdline_arg dur_raw)
NFS=$(cmdline_arg dur_fs)
ACK_EARLY=$(cmdline_arg dur_ack_early)
CHK_RUN=$(cmdline_arg dur_chk_run)
CHK_FS=$(cmdline_arg dur_chk_fs)
CHK_ACKED=$(cmdline_arg dur_chk_acked)
PMEM_SIZE=$(cmdline_arg pmem_size)

echo "DURINFO kernel $(uname -r) modules $(cat /etc/modset) run ${RUN:-none} raw ${NRAW:-0} fs ${NFS:-0} ack_early ${ACK_EARLY:-0} check ${CHK_RUN:-none}"

# check_disk: block device of the NVMe namespace holding the image to check
check_disk() {
	local b
	# device/ is the controller, or with NVMe multipath the subsystem:
	# both have the serial.  With multipath (QEMU 10.0's controllers) a
	# hidden per-path node nvmeXcYn1 sorts first and has no /dev node:
	# only the namespace head is a block device to mount
	for b in /sys/block/nvme*n1; do
		[ -b "/dev/${b##*/}" ] || continue
		[ "$(tr -d ' ' <"$b/device/serial" 2>/dev/null)" = "$CHK_SERIAL" ] &&
			{ echo "/dev/${b##*/}"; return 0; }
	done
	return 1
}

# --- the previous cut's ext4, after journal replay by this kernel ----------
check_previous() {
	local disk out rc
	wait_for 100 check_disk >/dev/null
	disk=$(check_disk) || { echo "DURCHK mount-failed no NVMe with serial $CHK_SERIAL"; return; }
	mkdir -p /mnt/chk
	if ! out=$(mount -t ext4 "$disk" /mnt/chk 2>&1); then
		echo "DURCHK mount-failed $disk: $out"
		return
	fi
	echo "DURCHK mounted $disk"
	rc=0
	durwriter check --mode file --path /mnt/chk --threads "$CHK_FS" --run "$CHK_RUN" \
		--acked "$CHK_ACKED" >/tmp/chk.out 2>&1 || rc=$?
	sed 's/^/DURCHK /' /tmp/chk.out
	echo "DURCHK check-rc $rc"
	if out=$(umount /mnt/chk 2>&1); then
		echo "DURCHK unmounted"
	else
		echo "DURCHK umount-failed $out"
	fi
}

# --- writers until the power goes ------------------------------------------
write_until_cut() {
	local d out region rawpid filepid rawrc filerc
	wait_for 100 test -b "$DEV"
	[ -b "$DEV" ] || { fail dur-setup "no $DEV"; return; }
	if [ "$ACK_EARLY" = 1 ]; then
		d=$(ls -d /sys/kernel/debug/nd_virtio/virtio*/ack_early 2>/dev/null | head -n1)
		if [ -z "$d" ]; then
			fail dur-setup "no nd_virtio ack_early knob (modules $(cat /etc/modset))"
			return
		fi
		echo 1 >"$d"
		echo "DURINFO ack_early on: $d = $(cat "$d")"
	fi
	if ! out=$(mkfs.ext4 -F -q -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 \
			"$DEV" "${FS_MB}M" 2>&1); then
		fail dur-setup "mkfs.ext4 failed: $out"
		return
	fi
	mkdir -p /mnt/dur
	if ! out=$(mount -t ext4 -o dax "$DEV" /mnt/dur 2>&1); then
		fail dur-setup "mount -o dax failed: $out"
		return
	fi
	# the empty file system durable before the first record
	sync
	region=$(( (PMEM_SIZE - RAW_OFF) / NRAW / 4096 * 4096 ))
	echo "DURINFO writers start: raw $NRAW x $region bytes at $RAW_OFF, fs $NFS"
	durwriter write --mode raw --path "$DEV" --offset $RAW_OFF --region $region \
		--threads "$NRAW" --run "$RUN" --ack $ACK --seconds 300 2>/tmp/raw.err &
	rawpid=$!
	durwriter write --mode file --path /mnt/dur --threads "$NFS" --run "$RUN" \
		--max-records $(( 80 * 256 / NFS )) --ack $ACK --seconds 300 2>/tmp/file.err &
	filepid=$!
	rawrc=0 filerc=0
	wait $rawpid || rawrc=$?
	wait $filepid || filerc=$?
	# only reached when the host did not cut the power in time; a writer
	# that failed (the host waits for an acknowledgement of both sets) is
	# named: a kernel without CONFIG_BLK_DEV_WRITE_MOUNTED refuses the raw
	# writers' O_DIRECT open of the mounted /dev/pmem0 with EBUSY
	if [ $rawrc != 0 ] || [ $filerc != 0 ]; then
		fail dur-setup "writers failed before the power cut: raw rc $rawrc ($(tr '\n' ' ' </tmp/raw.err | cut -c1-120)), file rc $filerc ($(tr '\n' ' ' </tmp/file.err | cut -c1-120))"
	else
		fail dur-not-cut "writers finished before the power cut"
	fi
}

[ -n "$CHK_RUN" ] && check_previous
if [ -n "$RUN" ] && [ "$RUN" != 0 ]; then
	write_until_cut
else
	pass dur-verify "verification boot done"
fi
kmemleak_check
finish
