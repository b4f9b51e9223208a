#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dkms-scenarios.sh OUT: the Debian package, installed for real.
#
# A Debian 12 guest image (scripts/debian-image.sh: debootstrap, systemd,
# udev, dkms, the stock 6.1 and 6.12 kernels of the matrix, and sid's
# stock 7.2 for CONFIG_PCI_P2PDMA) gets our .deb
# (`make deb`); DKMS builds inside the image (chroot: native speed), the
# guest then boots under QEMU with each stock kernel and its own Debian
# initrd, and an agent started by systemd checks, without loading
# anything itself, that udev loaded OUR modules (updates/dkms, our
# MODULE_VERSION in /sys/module/*/version) for the virtio-pmem and
# virtio-mem devices, that /dev/pmem0 mounts with DAX and that virtio-mem
# reaches a size set over QMP, in ZONE_MOVABLE (the package's udev rule),
# while memory that is not virtio-mem's (a pc-dimm hot-added over QMP)
# stays offline, and the rule's opt-outs keep virtio-mem's offline too.
# The .deb itself must be lintian-clean (scripts/lint-deb.sh).
#
#   lintian   the package V1: 0 errors, 0 warnings
#   install   package V1 (built for 6.1, 6.1-cloud and 7.2); then 6.12's
#             headers arrive: DKMS autoinstall; boot 6.1, 6.1-cloud (the
#             kernel of Debian 12's cloud images) and 7.2: ours,
#             version V1; on 7.2 also p2pmem_pci, loaded by the package's
#             udev rule for the NVMe controllers, /dev/p2pmemN group disk;
#             on 6.1 (hot-added memory offline by default) a pc-dimm left
#             offline and the opt-out file honoured
#   upgrade   package V2 (same sources, --version V1+upgradetest): V1 gone
#             and V2 built for every kernel (checked in the image); boot
#             6.12 with memhp_default_state=offline: version V2, plugged
#             virtio-mem memory left offline (the explicit choice honoured)
#   removed   dpkg --purge in the image, then every installed kernel's
#             modprobe resolves the in-tree drivers (and no p2pmem_pci),
#             nothing of the package is left for any kernel; with
#             DKMS_REMOVED_BOOT=1 also boot 6.1: the in-tree drivers, and
#             the same virtio-mem plug lands outside ZONE_MOVABLE
#             (control for the package's udev rule)
# Each kernel is booted once: 6.1, 6.1-cloud and 7.2 in the install phase, 6.12 in
# the upgrade phase (and 6.1 again with the package purged on request); the others'
# state is checked from the image (CI budget: a boot of
# this image costs ~60 s under TCG, and a purge inside the guest ~7 min:
# dkms remove's depmod of three kernels under TCG; the version and depmod
# state of the kernels not booted are what DKMS changed, and those are
# checked)
#
# Results: RESULT dkms-<phase>[-<kernel>]-<check> lines.  Each boot's
# serial log is also checked for kernel reports (lib.sh dmesg_clean).
. "$(dirname "$0")/../scripts/lib.sh"
. "$TOP/tests/scenario-lib.sh"
set -u

[ $# -eq 1 ] || die "usage: $0 OUT"
scenario_out "$1"
SHARE=$OUT/share
mkdir -p "$SHARE"
IMGTOOL=$TOP/scripts/debian-image.sh
: >"$OUT/results.txt"
T0=$SECONDS

# --- image and packages ---------------------------------------------------------
eval "$("$IMGTOOL" build)" || die "building the Debian image failed"
[ -n "${IMG:-}" ] && [ -f "$IMG" ] || die "no Debian image"
DEB1=$("$TOP/scripts/mkdeb.sh" --out "$SHARE") || die "make deb failed"
# the package as Debian would judge it: lintian, no error or warning
"$TOP/scripts/lint-deb.sh" dkms-lintian "$DEB1" >"$OUT/lintian.log" 2>&1
grep '^RESULT ' "$OUT/lintian.log" | tee -a "$OUT/results.txt"
V1=$(dpkg-deb -f "$DEB1" Version)
V2="$V1+upgradetest"
DEB2=$("$TOP/scripts/mkdeb.sh" --version "$V2" --out "$SHARE") || die "make deb ($V2) failed"
cp "$TOP/tests/guest/debian-agent.sh" "$TOP/tests/guest/common.sh" \
	"$TOP/tests/guest/guestmem-agent.service" "$TOP/tests/guest/debian-chroot.sh" "$SHARE/"
DISK=$OUT/disk.img
say "copying the base image ($IMG)"
cp --sparse=always "$IMG" "$DISK"
say "image ready after $((SECONDS - T0)) s; kernels: $KVERS"

# in_image PHASE ARGS...: debian-chroot.sh inside the image, results
# prefixed with dkms-PHASE
in_image() {
	local phase=$1 log="$OUT/chroot-$1.log"
	shift
	say "[$phase] chroot: debian-chroot.sh $*"
	"$IMGTOOL" chroot "$DISK" --bind "$SHARE" "${BINDS[@]}" -- \
		"$SHARE/debian-chroot.sh" "$@" >"$log" 2>&1
	grep '^RESULT ' "$log" | sed "s/^RESULT /RESULT dkms-$phase-/" | tee -a "$OUT/results.txt"
}
# the 7.2 kernel's build tree is the lab's, under $CACHE; in a cache whose
# entries are symlinks (a session's own cache sharing the kernels: stock/,
# src/) the links' targets are bound too, or the tree (its Makefile
# includes the source's by absolute path) dangles in the chroot
BINDS=(--bind "$CACHE")
for l in "$CACHE"/*; do
	[ -L "$l" ] && [ -d "$l" ] && BINDS+=(--bind "$(readlink -f "$l")")
done

# boot_once DIR KVER EXPECT APPEND: one boot, serial log in DIR; QEMU's
# status in BOOT_RC
boot_once() {
	local dir=$1 kver=$2 expect=$3 append=$4 hostpid
	BOOT_RC=0
	: >"$dir/ctl.log"
	python3 "$TOP/scripts/vmem-host.py" --ctl "$dir/ctl.sock" --qmp "$dir/qmp.sock" \
		--trace "$dir/trace.log" --log "$dir/ctl.log" &
	hostpid=$!
	"$TOP/scripts/vm.sh" --kernel "$dir/vmlinuz-$kver" --initrd "$dir/initrd.img-$kver" \
		--disk "$DISK" --log "$dir/serial.log" --rundir "$dir" --timeout 600 --dimm-room 256 \
		--trace 'virtio_mem_*' --trace-log "$dir/trace.log" \
		--append "root=/dev/vda rw quiet gm_expect=$expect $append" \
		-- -chardev "socket,id=ctl,path=$dir/ctl.sock,server=on,wait=off" \
		-serial chardev:ctl >"$dir/vm.log" 2>&1 || BOOT_RC=$?
	kill "$hostpid" 2>/dev/null
	wait "$hostpid" 2>/dev/null
	rm -f "$dir"/*.img "$dir/ctl.sock"
}

# boot PHASE KVER EXPECT [APPEND]: boot the image with KVER, the agent
# checks for EXPECT (a version or "intree").  A guest whose kernel crashed
# before the agent started, with none of our module names anywhere in its
# log (seen once: an int3 Oops in enqueue_timer 1.3 s into a stock 6.12
# boot under TCG, no module loaded yet), is booted once more; the retry and
# the first crash are named in the dmesg result, and a second early death
# fails as usual.  A crash that names one of our modules is never retried.
# kshort KVER: 6.1, 6.12, 7.2; a flavour other than amd64 is added
# (6.1.0-57-cloud-amd64: 6.1-cloud)
kshort() {
	local f
	f=$(echo "$1" | sed -nE 's/.*-([a-z]+)-amd64$/\1/p')
	echo "$(echo "$1" | cut -d. -f1,2)${f:+-$f}"
}

boot() {
	local phase=$1 kver=$2 expect=$3 append=${4:-} short dir retry=
	short=$(kshort "$kver")
	dir=$OUT/boot-$phase-$short
	mkdir -p "$dir"
	"$IMGTOOL" boot-files "$DISK" "$kver" "$dir" || die "no boot files for $kver"
	say "[$phase] boot $kver, expecting ${expect}"
	boot_once "$dir" "$kver" "$expect" "$append"
	if ! tr -d '\r' <"$dir/serial.log" | grep -q '^AGENT: START' &&
		grep -aqE "$KERNEL_REPORT_RE" "$dir/serial.log" &&
		! grep -aqE 'nd_virtio|virtio_pmem|virtio_mem|p2pmem_pci' "$dir/serial.log"; then
		mv "$dir/serial.log" "$dir/serial.try1.log"
		retry="; retried: the first boot died before userspace ($(tr -d '\r' <"$dir/serial.try1.log" |
			grep -a -m1 -E "$KERNEL_REPORT_RE" | cut -c1-100), $dir/serial.try1.log)"
		warn "[$phase] $kver died before userspace, booting once more"
		boot_once "$dir" "$kver" "$expect" "$append"
	fi
	rm -f "$dir/vmlinuz-$kver" "$dir/initrd.img-$kver"
	tr -d '\r' <"$dir/serial.log" >"$dir/serial.clean.log"
	local name="dkms-$phase-$short"
	guest_results "$dir/serial.clean.log" | sed "s/^RESULT /RESULT $name-/" |
		tee -a "$OUT/results.txt"
	if ! grep -q '^===RESULTS-END===' "$dir/serial.clean.log"; then
		emit "$name-boot FAIL the agent did not finish (QEMU rc=$BOOT_RC, $(grep -c . "$dir/serial.clean.log") log lines; see $dir/serial.log)"
	fi
	echo "RESULT $(dmesg_clean "$name-dmesg" "$dir/serial.log" "$dir/serial.clean.log" \
		'RESULT|AGENT:|PURGE:' '' "no kernel report, booted and powered off (QEMU rc=$BOOT_RC)$retry" \
		"$dir/reports.txt")" | tee -a "$OUT/results.txt"
}

# expect_results PHASE-PREFIX NAME...: a missing check is a failure
expect_results() {
	local p=$1 n
	shift
	for n in "$@"; do
		grep -q "^RESULT $p-$n " "$OUT/results.txt" ||
			emit "$p-$n FAIL no result (step crashed? see $OUT)"
	done
}

VMEM=$((512 << 20))
GUEST_CHECKS="mod-nd_virtio mod-virtio_pmem mod-virtio_mem devices-bound p2pmem-module pmem-dax"
read -r K1 K2 <<<"$KVERS"
K3=${P2P_KVER:-}
S1=$(kshort "$K1")
S2=$(kshort "$K2")
S3=$(kshort "$K3")

# --- install ------------------------------------------------------------------------------
expect_results dkms lintian
in_image setup setup "$SHARE" >/dev/null
in_image install install "$SHARE" "$DEB1" "$V1"
expect_results dkms-install pkg-install dkms-autoinstall dkms-installed
# 6.1 leaves hot-added memory offline, so the package's rule 2 decides
# there: a pc-dimm's blocks must stay offline, and with the opt-out file
# virtio-mem's too
boot install "$K1" "$V1" "gm_vmem=$VMEM gm_dimm=$((128 << 20)) gm_optout=file"
expect_results "dkms-install-$S1" $GUEST_CHECKS vmem-grow vmem-movable vmem-shrink \
	vmem-dimm-offline vmem-optout-file
# 6.12 is booted by the upgrade phase (its autoinstall-built modules are
# checked in the image here; what a boot of them checks, the upgrade boot
# checks with the same sources); the udev rule's online_movable default
# path is 7.2's as well (CI budget: a boot is ~2 min)

# the cloud images' kernel (stock-6.1-cloud: NVMe, ext4 built in,
# virtio_pci a module, hot-added memory offline by default): DKMS built
# for it at install, udev loads ours from Debian's own initrd and system,
# the package's rule onlines virtio-mem's memory movable
for KC in ${CLOUD_KVERS:-}; do
	boot install "$KC" "$V1" "gm_vmem=$VMEM"
	expect_results "dkms-install-$(kshort "$KC")" $GUEST_CHECKS vmem-grow vmem-movable vmem-shrink
done

if [ -n "$K3" ]; then
	boot install "$K3" "$V1" "gm_vmem=$VMEM"
	expect_results "dkms-install-$S3" $GUEST_CHECKS p2pmem-udev vmem-grow vmem-movable vmem-shrink
fi

# --- upgrade ----------------------------------------------------------------------------------
in_image upgrade upgrade "$SHARE" "$DEB2" "$V2" "$V1"
expect_results dkms-upgrade pkg-upgrade upgrade-old-gone dkms-upgraded
# an admin's explicit memhp_default_state=offline: rule 2 keeps out
boot upgrade "$K2" "$V2" "memhp_default_state=offline gm_optout=cmdline"
expect_results "dkms-upgrade-$S2" $GUEST_CHECKS vmem-optout-cmdline

# --- removed ------------------------------------------------------------------------------
in_image purge purge "$SHARE"
expect_results dkms-purge purge purge-resolution purge-clean
# a boot of the purged image (DKMS_REMOVED_BOOT=1): the in-tree drivers
# bind, and without the package's udev rule the same plug lands outside
# ZONE_MOVABLE (the control that shows vmem-movable is the rule's doing).
# Not in make check (CI budget: ~2 min of TCG): what the package changes
# on removal, modprobe's resolution for every kernel and nothing left
# behind, is checked in the image above; the control only tells again
# what the kernel does without the rule
if [ "${DKMS_REMOVED_BOOT:-0}" = 1 ]; then
	boot removed "$K1" intree "gm_vmem_control=$VMEM"
	expect_results "dkms-removed-$S1" $GUEST_CHECKS vmem-control
fi

rm -f "$DISK"
say "dkms scenarios: $((SECONDS - T0)) s"
np=$(grep -c '^RESULT [^ ]* PASS' "$OUT/results.txt")
nf=$(grep -c '^RESULT [^ ]* FAIL' "$OUT/results.txt")
echo "dkms: $np passed, $nf failed"
[ "$nf" -eq 0 ]
