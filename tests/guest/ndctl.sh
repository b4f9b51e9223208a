#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Debian's ndctl/daxctl against the virtio-pmem region (issue 16).
#
# Sourced by pmem.sh at its end (kernel command line ndctl=1), or run as
# /scenario on its own (the short in-tree boot of tests/ndctl-scenarios.sh).
# Each step prints one RESULT ndctl-<step> line and one
#   NDOUT <step> <key=value ...>
# line: the outcome the host compares between our driver and the in-tree
# one (tests/ndctl-lib.sh).  Steps, in order, on the first region's
# label-less namespace:
#   list          ndctl list -RNu: raw namespace covering the whole device
#   sector        create-namespace -m sector (BTT), 4 KiB read through
#                 /dev/pmemNs
#   sector-write  (ndctl_btt_write=1 only) 4 KiB written and read back
#                 through the BTT, no kernel report
#   fsdax-mem     create-namespace -m fsdax -M mem: /dev/pmemN with DAX
#   devdax        create-namespace -m devdax, daxctl list; warn=yes|no: did
#                 the provider log its device-dax warning (ours must, see
#                 drivers/nvdimm/virtio_pmem_devdax.c; in-tree has none)
#   raw           create-namespace -m raw: the whole device back, the bytes
#                 at 512 MiB unchanged by the reconfigurations
#   region-cycle  disable-region, enable-region: the block device goes and
#                 comes back, still raw
#   restore       (pmem.sh only) the first 20 MiB saved before the steps
#                 written back:
#                 the info blocks overwrite ext4's superblock and group
#                 descriptors, devdax's memmap (map=dev: 18 MiB for the
#                 1 GiB device, its data starts there) its first block
#                 groups; the host checks the image after the boot
# Reconfiguring destroys the namespace's contents at its start, hence the
# save/restore and the place of these steps after pmem.sh's data checks.

[ -n "${ND_SOURCED:-}" ] || . /guest/common.sh

ND_HEAD_MB=20
ND_DATA_MB=512
ND_WARN='device-dax on an asynchronous virtio-pmem region'

nd_have() { command -v ndctl >/dev/null && command -v daxctl >/dev/null; }

# nd_fields: the outcome fields of ndctl/daxctl JSON on stdin as
# key=value words (sizes with -u contain blanks: joined with '_'); the
# region/namespace numbers become R (a reload renumbers them), the
# instance numbers of btt/pfn/dax devices N (the kernel's next seed)
nd_fields() {
	tr -d '\n' |
		grep -oE '"(dev|mode|map|size|align|sector_size|blockdev|chardev|type|persistence_domain|state|numa_node)":("[^"]*"|[0-9-]+|true|false)' |
		sed -e 's/"//g' -e 's/:/=/' -e 's/ /_/g' \
			-e "s/region$ND_R\$/regionR/" -e "s/namespace$ND_R\./namespaceR./" \
			-E -e "s/(btt|pfn|dax)$ND_R\.[0-9]+/\1R.N/" |
		tr '\n' ' ' | sed 's/ $//'
}

nd_out() { # nd_out STEP FIELDS...
	local s=$1
	shift
	echo "NDOUT $s $*"
}

# nd_claim: the device claiming the namespace (bttR.N, pfnR.N or daxR.N,
# numbers replaced as in nd_fields) or none
nd_claim() {
	local d c=none
	for d in /sys/bus/nd/devices/btt$ND_R.* /sys/bus/nd/devices/pfn$ND_R.* /sys/bus/nd/devices/dax$ND_R.*; do
		[ "$(cat "$d/namespace" 2>/dev/null)" = "$ND_NS" ] || continue
		c=${d##*/}
		c=$(echo "$c" | sed -E "s/$ND_R\.[0-9]+\$/R.N/")
	done
	echo "$c"
}

# nd_is_raw: ND_F describes an unclaimed namespace: ndctl 76 shows a raw
# pmem namespace whose block device supports DAX as "fsdax", map "mem"
nd_is_raw() {
	[ "$(nd_claim)" = none ] || return 1
	case " $ND_F " in
	*" mode=raw "* | *" mode=fsdax map=mem "*) return 0 ;;
	esac
	return 1
}

nd_warns() { dmesg | grep -c "$ND_WARN"; }

nd_data_md5() {
	dd if="/dev/$ND_BLK" bs=1048576 skip=$ND_DATA_MB count=1 iflag=direct 2>/dev/null | md5
}

# nd_reconfigure STEP MODE [ARGS...]: reconfigure the namespace; ND_JSON
# is ndctl's output, ND_F its fields.  When ndctl fails, the step's
# outcome line and its FAIL are printed here and the return is 1.
nd_reconfigure() {
	local step=$1 mode=$2 rc
	shift 2
	ND_JSON=$(ndctl create-namespace -f -e "$ND_NS" -m "$mode" "$@" 2>&1)
	rc=$?
	echo "$ND_JSON" | sed "s/^/NDLOG $step: /"
	ND_F=$(echo "$ND_JSON" | nd_fields)
	[ $rc -eq 0 ] && return 0
	nd_out "$step" "rc=fail $ND_F"
	fail "ndctl-$step" "create-namespace -m $mode${*:+ $*} failed: $(echo "$ND_JSON" | tail -n1)"
	return 1
}

nd_step_list() {
	local j sz
	j=$(ndctl list -RNu -r "$ND_REG" 2>&1)
	echo "$j" | sed 's/^/NDLOG list: /'
	ND_F=$(echo "$j" | nd_fields)
	nd_out list "$ND_F claim=$(nd_claim)"
	sz=$(ndctl list -N -r "$ND_REG" 2>/dev/null | tr -d '\n' | grep -o '"size":[0-9]*' | head -n1)
	case " $ND_F " in
	*" dev=regionR "*" type=pmem "*) ;;
	*) fail ndctl-list "no pmem region in: $ND_F"; return ;;
	esac
	if [ "${sz#\"size\":}" != "$PMEM_SIZE" ]; then
		fail ndctl-list "namespace size '${sz#\"size\":}', device has $PMEM_SIZE: $ND_F"
	elif ! nd_is_raw; then
		fail ndctl-list "namespace not raw: $ND_F, claim $(nd_claim)"
	else
		pass ndctl-list "$ND_F, claim $(nd_claim)"
	fi
}

nd_step_sector() {
	local dev rd
	nd_reconfigure sector sector || return
	dev=/dev/${ND_BLK}s
	rd=bad
	wait_for 50 test -b "$dev" &&
		[ "$(dd if="$dev" bs=4096 count=1 iflag=direct 2>/dev/null | wc -c)" = 4096 ] && rd=ok
	nd_out sector "rc=0 $ND_F claim=$(nd_claim) read=$rd"
	case " $ND_F " in
	*" mode=sector "*) ;;
	*) fail ndctl-sector "not in sector mode: $ND_F"; return ;;
	esac
	if [ $rd != ok ]; then
		fail ndctl-sector "no 4 KiB read from $dev: $ND_F"
	else
		pass ndctl-sector "$ND_F, claim $(nd_claim), 4 KiB read through $dev"
	fi
}

# nd_step_sector_write: 4 KiB written (fsync) and read back through the
# BTT; the kernel must report nothing.  The BTT writes its log and map
# entries under a spinlock and nsio_rw_bytes() flushes after each: with
# the in-tree driver, whose flush sleeps, that is "BUG: scheduling while
# atomic" on every Debian kernel and a damaged guest, so the step runs
# only when asked (ndctl_btt_write=1: the host asks with our driver).
# Our driver polls for those flushes instead (flush_stats/atomic_callers):
# where it has the counter, it must have grown, or the write did not
# take the path this step is about.
nd_step_sector_write() {
	local dev got want b0 b1 st a0 a1=
	dev=/dev/${ND_BLK}s
	b0=$(dmesg | grep -cE 'BUG:|WARNING:')
	st=$(flush_stats_dir)
	a0=$(cat "$st/atomic_callers" 2>/dev/null)
	pattern sector 4096 >/tmp/sector.pat
	want=$(md5 /tmp/sector.pat)
	if dd if=/tmp/sector.pat of="$dev" bs=4096 count=1 conv=fsync 2>/dev/null; then
		got=$(dd if="$dev" bs=4096 count=1 iflag=direct 2>/dev/null | md5)
	else
		got=none
	fi
	b1=$(dmesg | grep -cE 'BUG:|WARNING:')
	[ -n "$a0" ] && a1=$(cat "$st/atomic_callers" 2>/dev/null)
	nd_out sector-write "io=$([ "$got" = "$want" ] && echo ok || echo bad) kernel_reports=$((b1 - b0))"
	if [ "$b1" -gt "$b0" ]; then
		fail ndctl-sector-write "kernel report: $(dmesg | grep -E 'BUG:|WARNING:' | tail -n1 | cut -c1-100)"
	elif [ "$got" != "$want" ]; then
		fail ndctl-sector-write "4 KiB through $dev: read $got, wrote $want"
	elif [ -n "$a0" ] && [ "${a1:-0}" -le "$a0" ]; then
		fail ndctl-sector-write "4 KiB through $dev, but flush_stats/atomic_callers stayed $a0: no flush came from the BTT's atomic section"
	else
		pass ndctl-sector-write "4 KiB written (fsync) and read back through $dev${a0:+, $((a1 - a0)) flushes polled from atomic sections of the BTT}"
	fi
}

nd_step_fsdax() {
	local qdax
	nd_reconfigure fsdax-mem fsdax -M mem || return
	wait_for 50 test -b "/dev/$ND_BLK"
	qdax=$(cat "/sys/block/$ND_BLK/queue/dax" 2>/dev/null || echo none)
	nd_out fsdax-mem "rc=0 $ND_F claim=$(nd_claim) queue_dax=$qdax"
	case " $ND_F " in
	*" mode=fsdax map=mem "*) ;;
	*) fail ndctl-fsdax-mem "not fsdax with map=mem: $ND_F"; return ;;
	esac
	if [ "$qdax" != 1 ]; then
		fail ndctl-fsdax-mem "/sys/block/$ND_BLK/queue/dax is $qdax: $ND_F"
	else
		pass ndctl-fsdax-mem "$ND_F, claim $(nd_claim), /dev/$ND_BLK DAX capable"
	fi
}

nd_step_devdax() {
	local w0 w1 warn dl df cdev
	# the host found no CONFIG_DEV_DAX in the kernel (tests/ndctl-lib.sh)
	if [ "$(cmdline_arg ndctl_devdax)" = 0 ]; then
		echo "SKIP ndctl-devdax: kernel without CONFIG_DEV_DAX, no devdax namespace possible (not counted)"
		return
	fi
	w0=$(nd_warns)
	nd_reconfigure devdax devdax || return
	# ours: the warning comes with the bind, before ndctl returns; 1 s of
	# slack (the in-tree driver has no such warning to wait for)
	[ "$(cat /etc/modset)" = ours ] && wait_for 10 eval '[ "$(nd_warns)" -gt "$w0" ]'
	w1=$(nd_warns)
	warn=no
	[ "$w1" -gt "$w0" ] && warn=yes
	dl=$(daxctl list 2>&1)
	echo "$dl" | sed 's/^/NDLOG daxctl: /'
	df=$(echo "$dl" | nd_fields)
	cdev=$(echo "$dl" | tr -d '\n' | grep -oE '"chardev":"[^"]*"' | head -n1 | cut -d'"' -f4)
	nd_out devdax "rc=0 $ND_F claim=$(nd_claim) daxctl: $df warn=$warn"
	case " $ND_F " in
	*" mode=devdax "*) ;;
	*) fail ndctl-devdax "not devdax: $ND_F"; return ;;
	esac
	case " $df " in
	*" chardev=daxR.N "*" mode=devdax"*) ;;
	*) fail ndctl-devdax "daxctl list shows no devdax device: $df"; return ;;
	esac
	if [ ! -c "/dev/$cdev" ]; then
		fail ndctl-devdax "daxctl lists '$cdev', no such /dev/$cdev"
	elif [ "$(cat /etc/modset)" = ours ] && [ $warn = no ]; then
		fail ndctl-devdax "accepted without our device-dax warning: $ND_F"
	elif [ "$(cat /etc/modset)" = ours ]; then
		pass ndctl-devdax "accepted with the warning ($(dmesg | grep "$ND_WARN" | tail -n1 | cut -c1-80)...): $ND_F; daxctl: $df"
	else
		pass ndctl-devdax "accepted (in-tree: warn=$warn): $ND_F; daxctl: $df"
	fi
}

nd_step_raw() {
	local sz md
	nd_reconfigure raw raw || return
	wait_for 50 test -b "/dev/$ND_BLK"
	sz=$(blockdev --getsize64 "/dev/$ND_BLK" 2>/dev/null)
	md=$(nd_data_md5)
	nd_out raw "rc=0 $ND_F claim=$(nd_claim) bytes=$sz data=$([ "$md" = "$ND_DATA0" ] && echo same || echo changed)"
	if ! nd_is_raw; then
		fail ndctl-raw "not raw: $ND_F, claim $(nd_claim)"
		return
	fi
	if [ "$sz" != "$PMEM_SIZE" ]; then
		fail ndctl-raw "/dev/$ND_BLK has ${sz:-no} bytes, device $PMEM_SIZE"
	elif [ "$md" != "$ND_DATA0" ]; then
		fail ndctl-raw "the MiB at $ND_DATA_MB MiB changed: $md, was $ND_DATA0"
	else
		pass ndctl-raw "$ND_F, $sz bytes, data at $ND_DATA_MB MiB unchanged"
	fi
}

nd_step_cycle() {
	local out gone=no back=no mode
	out=$(ndctl disable-region "$ND_REG" 2>&1) || {
		nd_out region-cycle "disable=fail"
		fail ndctl-region-cycle "disable-region: $out"
		return
	}
	wait_for 50 eval "! test -b /dev/$ND_BLK" && gone=yes
	out=$(ndctl enable-region "$ND_REG" 2>&1) || {
		nd_out region-cycle "disable=ok gone=$gone enable=fail"
		fail ndctl-region-cycle "enable-region: $out"
		return
	}
	wait_for 50 test -b "/dev/$ND_BLK" && back=yes
	ND_F=$(ndctl list -N -r "$ND_REG" 2>/dev/null | nd_fields)
	mode="$(echo "$ND_F" | grep -oE 'mode=[a-z]+( map=[a-z]+)?') claim=$(nd_claim)"
	nd_out region-cycle "disable=ok gone=$gone enable=ok back=$back $mode"
	if [ $gone = no ] || [ $back = no ] || ! nd_is_raw; then
		fail ndctl-region-cycle "/dev/$ND_BLK gone=$gone back=$back, $mode"
	else
		pass ndctl-region-cycle "/dev/$ND_BLK gone after disable-region, back after enable-region, $mode"
	fi
}

nd_step_restore() {
	local got
	dd if=/tmp/nd-head.bin of="/dev/$ND_BLK" bs=1048576 oflag=direct conv=notrunc,fsync 2>/dev/null
	got=$(dd if="/dev/$ND_BLK" bs=1048576 count=$ND_HEAD_MB iflag=direct 2>/dev/null | md5)
	nd_out restore "head=$([ "$got" = "$ND_HEAD0" ] && echo same || echo differs)"
	if [ "$got" = "$ND_HEAD0" ]; then
		pass ndctl-restore "first $ND_HEAD_MB MiB written back"
	else
		fail ndctl-restore "first $ND_HEAD_MB MiB read back $got, saved $ND_HEAD0"
	fi
}

ND_STEPS="list sector fsdax-mem devdax raw region-cycle"
[ "$(cmdline_arg ndctl_btt_write)" = 1 ] &&
	ND_STEPS="list sector sector-write fsdax-mem devdax raw region-cycle"
[ "$(cmdline_arg ndctl_devdax)" = 0 ] && ND_STEPS=$(echo "$ND_STEPS" | sed 's/ devdax//')
# the image matters after the boot only in pmem.sh's
[ -n "${ND_SOURCED:-}" ] && ND_STEPS="$ND_STEPS restore"

# ndctl_steps: every step; without the tools or the region each one FAILs
ndctl_steps() {
	local s why=
	nd_have || why="ndctl/daxctl not in the initramfs"
	ND_REG=$(ls /sys/bus/nd/devices 2>/dev/null | grep -m1 '^region[0-9]*$')
	[ -n "$why" ] || [ -n "$ND_REG" ] || why="no nd region"
	ND_R=${ND_REG#region}
	ND_NS=namespace$ND_R.0
	ND_BLK=$(ls "/sys/bus/nd/devices/$ND_NS/block" 2>/dev/null | head -n1)
	[ -n "$why" ] || [ -n "$ND_BLK" ] || why="$ND_NS has no block device"
	if [ -n "$why" ]; then
		for s in $ND_STEPS; do
			fail "ndctl-$s" "$why"
		done
		return
	fi
	echo "SCENARIO ndctl: $(ndctl --version), $ND_REG $ND_NS /dev/$ND_BLK"
	ND_T0=$(cut -d' ' -f1 /proc/uptime)
	sync
	case " $ND_STEPS " in
	*" restore "*)
		dd if="/dev/$ND_BLK" of=/tmp/nd-head.bin bs=1048576 count=$ND_HEAD_MB iflag=direct 2>/dev/null
		ND_HEAD0=$(md5 /tmp/nd-head.bin) ;;
	esac
	ND_DATA0=$(nd_data_md5)
	nd_step_list
	nd_step_sector
	case " $ND_STEPS " in *" sector-write "*) nd_step_sector_write ;; esac
	nd_step_fsdax
	nd_step_devdax
	nd_step_raw
	nd_step_cycle
	case " $ND_STEPS " in *" restore "*) nd_step_restore ;; esac
	echo "NDTIME $(awk -v a="$ND_T0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN {printf "%.1f", b - a}')"
}

# run on its own (pmem.sh sets ND_SOURCED): the short in-tree boot
if [ -z "${ND_SOURCED:-}" ]; then
	PMEM_SIZE=$(cmdline_arg pmem_size)
	echo "SCENARIO ndctl: kernel $(uname -r), modules $(cat /etc/modset), pmem_size=$PMEM_SIZE"
	wait_for 100 test -b /dev/pmem0
	ndctl_steps
	kmemleak_check
	finish
fi
