#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A real Debian 12 guest for the DKMS package test (tests/dkms-scenarios.sh).
#
#   debian-image.sh build        build the base image if it is not cached;
#                                print IMG=, KVERS=, CLOUD_KVERS= (and
#                                P2P_KVER=) lines
#   debian-image.sh chroot IMG [--bind DIR]... -- CMD...
#                                run CMD inside IMG (loop mount, /proc /sys
#                                /dev bound, DIRs bound at the same path)
#   debian-image.sh boot-files IMG KVER OUTDIR
#                                copy vmlinuz and initrd.img of KVER out
#
# The base image: an ext4 file system made by debootstrap (bookworm,
# minbase) with systemd, udev, dkms and gcc, the stock kernels of the
# matrix (stock-6.1, stock-6.12, and the cloud images' stock-6.1-cloud:
# the very .debs the lab boots, so their initrds are Debian's own, made by
# initramfs-tools inside the image), the headers of the first kernel and
# of the cloud kernel installed and, for the second, everything
# but the linux-headers-<kver> package itself: its .deb waits in /root/debs
# so the test can install it after our package and watch DKMS'
# autoinstall build for a kernel that arrives later.  Plus a kernel with
# CONFIG_PCI_P2PDMA (stock-7.2, Debian sid: its packages need a newer
# userland than bookworm's, so its modules, vmlinuz and config are copied
# from the lab's unpacked image, the initrd is made by the image's
# initramfs-tools, and /lib/modules/<kver>/build points to the lab's
# prepared module build tree under $CACHE, which the chroot command binds
# at the same path).  Cached in
# $CACHE/debian/<hash of this script + the kernel .debs>/base.img; the
# network (the machine's Debian mirror, or DEBIAN_MIRROR: lib.sh
# debian_mirror) is only needed to build it.
. "$(dirname "$0")/lib.sh"
set -eu

KERNEL_IDS=${DEBIAN_IMAGE_KERNELS:-stock-6.1 stock-6.12}
# Debian 12's cloud images boot linux-image-cloud-amd64 (6.1, NVMe and ext4
# built in, no PM_DEBUG, fewer modules): installed with its headers like
# the first kernel, so the package's DKMS build covers it from the start
CLOUD_IDS=${DEBIAN_IMAGE_CLOUD_KERNELS-stock-6.1-cloud}
P2P_ID=${DEBIAN_IMAGE_P2P_KERNEL-stock-7.2}
SUITE=bookworm
IMG_SIZE=4G
# what the guest needs besides minbase: init, device manager, DKMS and its
# compiler, openssl (DKMS makes its MOK signing key with it), the tools
# the test agent uses
INCLUDE=systemd-sysv,udev,kmod,dkms,gcc,make,libc6-dev,openssl,e2fsprogs,initramfs-tools,procps,util-linux,linux-base

MOUNTS=()

cleanup_mounts() {
	local i
	for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
		umount -l "${MOUNTS[i]}" 2>/dev/null || true
	done
	MOUNTS=()
}
trap cleanup_mounts EXIT

# bind_kernel_fs ROOT: the host's /proc, /sys, /dev inside ROOT
bind_kernel_fs() {
	local fs
	for fs in proc sys dev dev/pts; do
		mkdir -p "$1/$fs"
		mount --bind "/$fs" "$1/$fs"
		MOUNTS+=("$1/$fs")
	done
}

# mount_image IMG MNT: loop-mount IMG and bind the kernel file systems
mount_image() {
	mkdir -p "$2"
	mount -o loop "$1" "$2" || die "cannot loop-mount $1 (needs root and /dev/loop*)"
	MOUNTS+=("$2")
	bind_kernel_fs "$2"
}

# kernel_debs ID: the .debs of a stock kernel of the matrix (image, arch
# headers, then the headers' common and kbuild packages), one per line
kernel_debs() {
	local kver p
	kver=$("$TOP/scripts/kernels.sh" env "$1" | sed -n 's/^KVER=//p')
	[ -n "$kver" ] || die "cannot provision $1"
	deb_of "linux-image-$kver"
	deb_of "linux-headers-$kver"
	for p in $(deps_of "linux-headers-$kver" '^linux-(headers|kbuild)-'); do
		deb_of "$p"
	done
}

build_base() {
	local dir=$1 root="$1/root" id debs first=1 log d mirror security
	mirror=$(debian_mirror archive) || exit 1
	security=$(debian_mirror security) || exit 1
	debian_mirror_check "$mirror" "$SUITE"
	rm -rf "$dir"
	mkdir -p "$root"
	truncate -s "$IMG_SIZE" "$dir/base.img.tmp"
	mkfs.ext4 -q -F -L guestmem-root "$dir/base.img.tmp"
	mount -o loop "$dir/base.img.tmp" "$root" || die "cannot loop-mount the new image"
	MOUNTS+=("$root")
	run_logged debootstrap debootstrap --variant=minbase --include="$INCLUDE" \
		"$SUITE" "$root" "$mirror"
	bind_kernel_fs "$root"
	{
		echo "deb $mirror $SUITE main"
		echo "deb $mirror $SUITE-updates main"
		if [ -n "$security" ]; then
			echo "deb $security $SUITE-security main"
		else
			say "no Debian security mirror in the machine's apt sources (DEBIAN_SECURITY_MIRROR): the image has none"
		fi
	} >"$root/etc/apt/sources.list"
	cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	# no daemon starts inside the chroot
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	run_logged debian-apt-update chroot "$root" apt-get update
	mkdir -p "$root/root/debs/later"
	for id in $KERNEL_IDS; do
		debs=$(kernel_debs "$id")
		[ "$(echo "$debs" | grep -c .)" -ge 3 ] || die "missing .debs for $id: $debs"
		if [ $first = 1 ]; then
			cp $debs "$root/root/debs/"
		else
			# the arch headers package waits for the test
			cp $(echo "$debs" | sed -n 2p) "$root/root/debs/later/"
			cp $(echo "$debs" | sed -n '1p;3,$p') "$root/root/debs/"
		fi
		first=0
	done
	for id in $CLOUD_IDS; do
		debs=$(kernel_debs "$id")
		[ "$(echo "$debs" | grep -c .)" -ge 3 ] || die "missing .debs for $id: $debs"
		cp $debs "$root/root/debs/"
	done
	# apt resolves the rest (linux-compiler-gcc-*, ...) from the mirror;
	# linux-image's postinst makes each initrd with initramfs-tools
	d=$(cd "$root/root/debs" && ls ./*.deb | sed 's#^\./#/root/debs/#')
	# the later headers' dependencies too, so installing it needs no network
	run_logged debian-kernels chroot "$root" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends $d
	log="$CACHE/logs/debian-later-deps.log"
	for d in "$root"/root/debs/later/*.deb; do
		# shellcheck disable=SC2046
		chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y \
			--no-install-recommends $(dpkg-deb -f "$d" Depends | tr ',' '\n' |
			sed -E 's/\(.*\)//; s/\|.*//; s/ //g' | grep -v '^linux-headers-\|^linux-kbuild-') \
			>"$log" 2>&1 || die "installing the dependencies of $(basename "$d") failed ($log)"
	done
	rm -f "$root"/root/debs/*.deb
	[ -z "$P2P_ID" ] || add_p2p_kernel "$root"
	chroot "$root" apt-get clean
	configure_guest "$root"
	rm -f "$root/usr/sbin/policy-rc.d"
	sync
	cleanup_mounts
	mv "$dir/base.img.tmp" "$dir/base.img"
}

# add_p2p_kernel ROOT: the P2PDMA kernel, see the header
add_p2p_kernel() {
	local root=$1 KIND KVER KDIR VMLINUZ MODROOT
	eval "$("$TOP/scripts/kernels.sh" env "$P2P_ID")" || die "cannot provision $P2P_ID"
	grep -q '^CONFIG_PCI_P2PDMA=y' "$KDIR/.config" || die "$P2P_ID has no CONFIG_PCI_P2PDMA"
	mkdir -p "$root/lib/modules/$KVER"
	cp -a "$MODROOT/lib/modules/$KVER/kernel" "$root/lib/modules/$KVER/"
	cp -a "$MODROOT/lib/modules/$KVER"/modules.* "$root/lib/modules/$KVER/" 2>/dev/null || true
	cp "$VMLINUZ" "$root/boot/vmlinuz-$KVER"
	cp "$KDIR/.config" "$root/boot/config-$KVER"
	ln -sfn "$KDIR" "$root/lib/modules/$KVER/build"
	chroot "$root" depmod -a "$KVER"
	run_logged debian-initrd-p2p chroot "$root" update-initramfs -c -k "$KVER"
}

# configure_guest ROOT: root without password, the disk in fstab, a quiet
# boot (no timers, no login prompt on the serial line the test reads).
configure_guest() {
	local root=$1
	echo guestmem >"$root/etc/hostname"
	printf '/dev/vda\t/\text4\terrors=remount-ro\t0\t1\n' >"$root/etc/fstab"
	chroot "$root" passwd -d root >/dev/null
	chroot "$root" systemctl mask apt-daily.timer apt-daily-upgrade.timer \
		e2scrub_all.timer fstrim.timer dpkg-db-backup.timer \
		serial-getty@ttyS0.service getty@tty1.service \
		systemd-timesyncd.service >/dev/null 2>&1 || true
	mkdir -p "$root/etc/systemd/journald.conf.d"
	printf '[Journal]\nStorage=volatile\n' >"$root/etc/systemd/journald.conf.d/guestmem.conf"
}

cmd_build() {
	local key dir kdebs id
	command -v debootstrap >/dev/null || die "debootstrap missing (scripts/deps.sh installs it)"
	kdebs=
	for id in $KERNEL_IDS $CLOUD_IDS; do
		kdebs="$kdebs $(kernel_debs "$id" | xargs -n1 basename)"
	done
	[ -z "$P2P_ID" ] || kdebs="$kdebs $("$TOP/scripts/kernels.sh" env "$P2P_ID" | sed -n 's/^KDIR=//p')"
	# Not keyed by the mirror: every mirror serves the same signed suite
	# (debootstrap and apt check it against the Debian keyring), and the
	# test needs no network once the image is built.
	key=$( (cat "$0"; echo "$kdebs $SUITE $INCLUDE") | sha256sum | cut -c1-12)
	dir="$CACHE/debian/$key"
	exec 9>"$CACHE/debian.lock"
	flock 9
	if [ ! -f "$dir/base.img" ]; then
		say "building the Debian $SUITE guest image (once; cached in $dir)"
		build_base "$dir"
		# one image is enough: drop those of older keys (2+ GB each)
		find "$CACHE/debian" -mindepth 1 -maxdepth 1 -type d ! -path "$dir" \
			-exec rm -rf {} +
	fi
	exec 9>&-
	echo "IMG=$dir/base.img"
	echo "KVERS=\"$(for id in $KERNEL_IDS; do "$TOP/scripts/kernels.sh" env "$id" | sed -n 's/^KVER=//p'; done | xargs)\""
	echo "CLOUD_KVERS=\"$(for id in $CLOUD_IDS; do "$TOP/scripts/kernels.sh" env "$id" | sed -n 's/^KVER=//p'; done | xargs)\""
	[ -z "$P2P_ID" ] || "$TOP/scripts/kernels.sh" env "$P2P_ID" | sed -n 's/^KVER=/P2P_KVER=/p'
}

cmd_chroot() {
	local img=$1 mnt binds=() rc=0
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		case "$1" in
		--bind) binds+=("$2"); shift ;;
		*) die "chroot: unknown option $1" ;;
		esac
		shift
	done
	[ "${1:-}" = -- ] && shift
	mnt=$(mktemp -d)
	mount_image "$img" "$mnt"
	for b in "${binds[@]}"; do
		mkdir -p "$mnt$b"
		mount --bind "$b" "$mnt$b"
		MOUNTS+=("$mnt$b")
	done
	chroot "$mnt" "$@" || rc=$?
	sync
	cleanup_mounts
	rmdir "$mnt"
	return $rc
}

cmd_boot_files() {
	local img=$1 kver=$2 out=$3 mnt
	mkdir -p "$out"
	mnt=$(mktemp -d)
	mount -o loop,ro "$img" "$mnt" || die "cannot loop-mount $img"
	MOUNTS+=("$mnt")
	cp "$mnt/boot/vmlinuz-$kver" "$mnt/boot/initrd.img-$kver" "$out/"
	cleanup_mounts
	rmdir "$mnt"
}

[ "$(id -u)" -eq 0 ] || die "debian-image.sh needs root (debootstrap, loop mounts, chroot)"
case "${1:-}" in
build) cmd_build ;;
chroot) shift; cmd_chroot "$@" ;;
boot-files) shift; cmd_boot_files "$@" ;;
*) die "usage: $0 build | chroot IMG [--bind DIR]... -- CMD... | boot-files IMG KVER OUTDIR" ;;
esac
