#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Test agent of the real Debian guest (tests/dkms-scenarios.sh): started by
# systemd (guestmem-agent.service) once udev's coldplug is done, it checks
# what the boot gave us without loading anything itself, prints RESULT
# lines on the serial console and powers the guest off.
#
# Kernel command line:
#   gm_expect=VERSION   our modules, this MODULE_VERSION, must be bound
#   gm_expect=intree    the package is gone: the kernel's own drivers
#   gm_vmem=BYTES       grow virtio-mem to BYTES over QMP (vmem-host.py on
#                       ttyS1) and shrink it back to 0
#   gm_vmem_control=BYTES  the package is gone: grow virtio-mem to BYTES and
#                       check that no block lands in ZONE_MOVABLE (the
#                       package's udev rule is what made the difference)
#   gm_dimm=BYTES       hot-add a pc-dimm of BYTES over QMP: its blocks are
#                       not virtio-mem memory and must stay offline (the
#                       rule onlines only blocks in virtio-mem's ranges)
#   gm_optout=file|cmdline  plug virtio-mem memory with the rule's opt-out in
#                       force (file: /etc/guestmem/no-auto-online, created
#                       here; cmdline: memhp_default_state=offline on the
#                       kernel command line): every block must stay offline
. /usr/local/lib/guestmem-test/common.sh

EXPECT=$(cmdline_arg gm_expect)
VMEM=$(cmdline_arg gm_vmem)
VMEM_CONTROL=$(cmdline_arg gm_vmem_control)
DIMM=$(cmdline_arg gm_dimm)
OPTOUT=$(cmdline_arg gm_optout)
KVER=$(uname -r)
MODS="nd_virtio virtio_pmem virtio_mem"

echo "AGENT: START kernel $KVER expect ${EXPECT:-?}"
udevadm settle -t 60 || fail udev-settle "udevadm settle timed out"

# --- which driver did udev load? ---------------------------------------------
check_module() {
	local m=$1 file ver
	if [ ! -d "/sys/module/$m" ]; then
		fail "mod-$m" "not loaded after udev coldplug"
		return
	fi
	file=$(modinfo -F filename "$m" 2>/dev/null)
	ver=$(cat "/sys/module/$m/version" 2>/dev/null)
	if [ "$EXPECT" = intree ]; then
		case "$file" in
		*/kernel/drivers/*)
			if [ -z "$ver" ]; then
				pass "mod-$m" "in-tree $file (no version)"
			else
				fail "mod-$m" "loaded module has version '$ver', the in-tree one has none"
			fi ;;
		*) fail "mod-$m" "resolves to $file, not the in-tree driver" ;;
		esac
		return
	fi
	case "$file" in
	*/updates/dkms/*)
		if [ "$ver" = "$EXPECT" ]; then
			pass "mod-$m" "version $ver from $file"
		else
			fail "mod-$m" "loaded version '$ver', expected $EXPECT ($file)"
		fi ;;
	*) fail "mod-$m" "resolves to '$file', not updates/dkms (version '$ver')" ;;
	esac
}

for m in $MODS; do
	check_module "$m"
done

# check_p2pmem_nodes: udev loaded p2pmem_pci, nodes with the rule's owner
check_p2pmem_nodes() {
	local n=0 bad= f st
	wait_for 300 test -e /dev/p2pmem2
	if [ ! -d /sys/module/p2pmem_pci ]; then
		fail p2pmem-udev "p2pmem_pci not loaded by udev"
		return
	fi
	for f in /dev/p2pmem*; do
		[ -c "$f" ] || continue
		n=$((n + 1))
		st=$(stat -c '%G %a' "$f")
		[ "$st" = "disk 660" ] || bad="$bad $f:$st"
	done
	if [ "$n" -lt 3 ]; then
		fail p2pmem-udev "$n /dev/p2pmem nodes for the 3 NVMe CMBs"
	elif [ -n "$bad" ]; then
		fail p2pmem-udev "permissions:$bad (want group disk, 0660)"
	else
		pass p2pmem-udev "udev loaded p2pmem_pci $(cat /sys/module/p2pmem_pci/version) for the NVMe controllers: $n nodes, group disk, mode 0660"
	fi
}

bound() { ls -d /sys/bus/virtio/drivers/"$1"/virtio* >/dev/null 2>&1; }
if bound virtio_pmem && bound virtio_mem; then
	pass devices-bound "virtio_pmem and virtio_mem bound to their devices"
else
	fail devices-bound "virtio_pmem bound: $(bound virtio_pmem && echo yes || echo no), virtio_mem: $(bound virtio_mem && echo yes || echo no)"
fi

# p2pmem_pci: only on kernels with CONFIG_PCI_P2PDMA (Debian 12's are not);
# there the package's udev rule loads it for the NVMe controllers and its
# /dev/p2pmemN (one per CMB: the lab has three) belong to the disk group
p2p=$(modinfo -F filename p2pmem_pci 2>/dev/null)
if grep -qs '^CONFIG_PCI_P2PDMA=y' "/boot/config-$KVER"; then
	case "$EXPECT:$p2p" in
	intree:) pass p2pmem-module "absent after removal" ;;
	intree:*) fail p2pmem-module "still installed: $p2p" ;;
	*:*/updates/dkms/*) pass p2pmem-module "$p2p (CONFIG_PCI_P2PDMA=y)" ;;
	*) fail p2pmem-module "kernel has CONFIG_PCI_P2PDMA but p2pmem_pci is '$p2p'" ;;
	esac
	[ "$EXPECT" != intree ] && check_p2pmem_nodes
elif [ -z "$p2p" ]; then
	pass p2pmem-module "not built: $KVER has no CONFIG_PCI_P2PDMA, the package installed without it"
else
	fail p2pmem-module "installed on a kernel without CONFIG_PCI_P2PDMA: $p2p"
fi

# --- /dev/pmem0 with DAX -------------------------------------------------------
check_pmem() {
	local mnt=/mnt/pmem opts qdax sum
	if ! wait_for 300 test -b /dev/pmem0; then
		fail pmem-dax "no /dev/pmem0"
		return
	fi
	mkdir -p "$mnt"
	if ! mkfs.ext4 -F -q -b 4096 /dev/pmem0 >/tmp/mkfs.log 2>&1; then
		fail pmem-dax "mkfs.ext4 failed: $(tail -n1 /tmp/mkfs.log)"
		return
	fi
	if ! mount -o dax /dev/pmem0 "$mnt" 2>/tmp/mount.log; then
		fail pmem-dax "mount -o dax failed: $(cat /tmp/mount.log)"
		return
	fi
	opts=$(awk -v m="$mnt" '$2 == m {print $4}' /proc/mounts)
	qdax=$(cat /sys/block/pmem0/queue/dax 2>/dev/null)
	pattern dkms 4194304 >"$mnt/f" && sync
	sum=$(md5 "$mnt/f")
	umount "$mnt"
	mount -o dax /dev/pmem0 "$mnt" 2>/dev/null
	if ! echo ",$opts," | grep -q ',dax[,=]'; then
		fail pmem-dax "mounted without dax: $opts"
	elif [ "$qdax" != 1 ]; then
		fail pmem-dax "queue/dax=$qdax"
	elif [ "$(md5 "$mnt/f" 2>/dev/null)" != "$sum" ]; then
		fail pmem-dax "4 MiB file differs after a remount"
	else
		pass pmem-dax "ext4 options $opts, queue/dax=1, 4 MiB file intact after remount"
	fi
	umount "$mnt" 2>/dev/null
}
check_pmem

# --- virtio-mem to a size set over QMP, ZONE_MOVABLE by the udev rule -----------
movable_blocks() {
	local b n=0
	for b in /sys/devices/system/memory/memory*; do
		[ "$(cat "$b/state" 2>/dev/null)" = online ] || continue
		[ "$(cat "$b/valid_zones" 2>/dev/null)" = Movable ] && n=$((n + 1))
	done
	echo $n
}

# (base and want are check_vmem's locals, seen here: bash scopes dynamically)
mem_grown() { [ "$(memtotal_kb)" -ge $((base + VMEM / 1024 * 9 / 10)) ]; }
enough_movable() { [ "$(movable_blocks)" -ge "$want" ]; }

check_vmem() {
	local base grown blk want
	if ! ctl_open; then
		fail vmem-grow "no answer from the host on $CTL_DEV"
		return
	fi
	base=$(memtotal_kb)
	blk=$(cat /sys/devices/system/memory/block_size_bytes)
	want=$((VMEM / (0x$blk)))
	if ! ctl SET "$VMEM" || ! ctl WAIT "$VMEM" 120; then
		fail vmem-grow "host: $CTL_REPLY"
		return
	fi
	wait_for 300 mem_grown
	grown=$(memtotal_kb)
	if [ $((grown - base)) -lt $((VMEM / 1024 * 9 / 10)) ]; then
		fail vmem-grow "device reached $VMEM bytes but MemTotal grew by $((grown - base)) kB only"
	else
		pass vmem-grow "host size $(kv size) after $(kv set) s, MemTotal +$(((grown - base) / 1024)) MiB"
	fi
	wait_for 100 enough_movable
	if [ "$(movable_blocks)" -ge "$want" ]; then
		pass vmem-movable "$(movable_blocks) online blocks in ZONE_MOVABLE (udev rule; auto_online_blocks=$(cat /sys/devices/system/memory/auto_online_blocks))"
	else
		fail vmem-movable "$(movable_blocks) of $want blocks in ZONE_MOVABLE (auto_online_blocks=$(cat /sys/devices/system/memory/auto_online_blocks))"
	fi
	if ctl SET 0 && ctl WAIT 0 120; then
		pass vmem-shrink "back to 0 in $(kv set) s, MemTotal $(($(memtotal_kb) / 1024)) MiB"
	else
		fail vmem-shrink "host: $CTL_REPLY"
	fi
}
[ -n "$VMEM" ] && [ "$VMEM" != 0 ] && check_vmem

# the same plug without the package: the kernel's default policy decides
check_vmem_control() {
	local n
	if ! ctl_open || ! ctl SET "$VMEM_CONTROL" || ! ctl WAIT "$VMEM_CONTROL" 120; then
		fail vmem-control "host: ${CTL_REPLY:-no answer on $CTL_DEV}"
		return
	fi
	sleep 2
	n=$(movable_blocks)
	if [ "$n" -eq 0 ]; then
		pass vmem-control "without the package's rule: $(kv size) bytes plugged, 0 blocks in ZONE_MOVABLE (auto_online_blocks=$(cat /sys/devices/system/memory/auto_online_blocks), $(grep -l offline /sys/devices/system/memory/memory*/state | wc -l) blocks offline)"
	else
		fail vmem-control "$n blocks in ZONE_MOVABLE without the package's rule: is the rule still installed?"
	fi
	ctl SET 0
}
[ -n "$VMEM_CONTROL" ] && check_vmem_control

# --- rule 2 onlines virtio-mem's blocks only, and has an opt-out ----------------------
MEMSYS=/sys/devices/system/memory
BS=$((0x$(cat $MEMSYS/block_size_bytes)))

# vmem_block_ids: ids of the memory blocks inside the "System RAM
# (virtio_mem)" ranges of /proc/iomem (what a virtio-mem driver added),
# one per line; the test's own reading, not the package's helper
vmem_block_ids() {
	local line r s e i
	while IFS= read -r line; do
		case $line in
		*" : System RAM (virtio_mem)") ;;
		*) continue ;;
		esac
		r=${line%% : *}
		r=${r##* }
		s=$((0x${r%-*}))
		e=$((0x${r#*-}))
		for ((i = s / BS; i <= e / BS; i++)); do
			echo "$i"
		done
	done </proc/iomem
}
block_ids() { ls -d $MEMSYS/memory[0-9]* | sed 's/.*memory//' | sort -n; }
# states IDS...: "memoryN=STATE ..." of the given blocks
states() {
	local i
	for i in "$@"; do
		printf ' memory%s=%s' "$i" "$(cat $MEMSYS/memory$i/state 2>/dev/null)"
	done
}
# settled: udev has handled every uevent so far, then a second for a
# rule's write to show in sysfs
settled() { udevadm settle -t 60; sleep 1; }

# (before is check_dimm's local, seen here: bash scopes dynamically)
dimm_blocks() { [ "$(block_ids | wc -l)" -ge $(($(echo $before | wc -w) + DIMM / BS)) ]; }

# check_dimm: a hot-added ACPI DIMM (plain "System RAM") is left offline
check_dimm() {
	local before new='' i online='' n=0
	before=" $(block_ids | tr '\n' ' ') "
	if ! ctl_open || ! ctl DIMM "$DIMM" "$BS"; then
		fail vmem-dimm-offline "host: ${CTL_REPLY:-no answer on $CTL_DEV}"
		return
	fi
	wait_for 600 dimm_blocks
	settled
	for i in $(block_ids); do
		[[ "$before" == *" $i "* ]] && continue
		vmem_block_ids | grep -qx "$i" && continue
		new="$new $i"
		n=$((n + 1))
		[ "$(cat $MEMSYS/memory$i/state)" = offline ] || online="$online memory$i"
	done
	if [ "$n" -lt $((DIMM / BS)) ]; then
		fail vmem-dimm-offline "pc-dimm $(kv id) at $(kv addr) ($DIMM bytes): $n new memory blocks outside virtio-mem's ranges, expected $((DIMM / BS))"
	elif [ -n "$online" ]; then
		fail vmem-dimm-offline "blocks of pc-dimm $(kv id) (not virtio-mem) onlined:$(states $new) (auto_online_blocks=$(cat $MEMSYS/auto_online_blocks))"
	else
		pass vmem-dimm-offline "pc-dimm $(kv id) at $(printf 0x%x "$(kv addr)") hot-added, its blocks left offline:$(states $new) (auto_online_blocks=$(cat $MEMSYS/auto_online_blocks); virtio-mem blocks are onlined: vmem-movable)"
	fi
}

# check_optout: with the opt-out in force, plugged virtio-mem memory stays
# offline; then the opt-out goes and the memory is unplugged again
check_optout() {
	local plug=$((256 << 20)) ids online='' how i
	case $OPTOUT in
	file)
		mkdir -p /etc/guestmem
		touch /etc/guestmem/no-auto-online
		how="/etc/guestmem/no-auto-online" ;;
	cmdline)
		if ! grep -qw memhp_default_state=offline /proc/cmdline; then
			fail vmem-optout-cmdline "memhp_default_state=offline not on the command line"
			return
		fi
		how="memhp_default_state=offline" ;;
	*) fail "vmem-optout-$OPTOUT" "unknown gm_optout=$OPTOUT"; return ;;
	esac
	if ! ctl_open || ! ctl SET "$plug" || ! ctl WAIT "$plug" 120; then
		fail "vmem-optout-$OPTOUT" "host: ${CTL_REPLY:-no answer on $CTL_DEV}"
		rm -f /etc/guestmem/no-auto-online
		return
	fi
	settled
	ids=$(vmem_block_ids)
	for i in $ids; do
		[ "$(cat $MEMSYS/memory$i/state)" = offline ] || online="$online memory$i"
	done
	if [ "$(echo $ids | wc -w)" -lt $((plug / BS)) ]; then
		fail "vmem-optout-$OPTOUT" "$(kv size) bytes plugged but only $(echo $ids | wc -w) virtio-mem blocks added"
	elif [ -n "$online" ]; then
		fail "vmem-optout-$OPTOUT" "$how in force, yet onlined:$(states $ids)"
	else
		pass "vmem-optout-$OPTOUT" "$how: $(kv size) bytes plugged, every virtio-mem block left offline:$(states $ids) (auto_online_blocks=$(cat $MEMSYS/auto_online_blocks))"
	fi
	rm -f /etc/guestmem/no-auto-online
	ctl SET 0 && ctl WAIT 0 120 ||
		echo "AGENT: unplug after the opt-out check: $CTL_REPLY"
}
[ -n "$DIMM" ] && check_dimm
[ -n "$OPTOUT" ] && check_optout

finish
echo "AGENT: DONE"
# (the poweroff verb would first ask logind over D-Bus, which minbase lacks)
systemctl start --no-block poweroff.target
