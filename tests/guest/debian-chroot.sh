#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Package steps of the DKMS test, run inside the Debian image by
# scripts/debian-image.sh chroot (DKMS builds natively there; the guest
# boots only to check).  Prints RESULT lines like the guest agent.
#
#   debian-chroot.sh setup SHARE          install the agent and its unit
#   debian-chroot.sh install SHARE DEB V  our package, then the headers of
#                                         a kernel that arrives later
#   debian-chroot.sh upgrade SHARE DEB V OLDV
#   debian-chroot.sh purge SHARE          dpkg --purge, then what every
#                                         kernel's modprobe resolves and
#                                         that nothing was left behind
set -u
export DEBIAN_FRONTEND=noninteractive
LIB=/usr/local/lib/guestmem-test
result() { echo "RESULT $1 $2 ${*:3}"; }

kvers() { ls /lib/modules; }

# installed_as KVER MOD: "VERSION FILE" of what modprobe would load
installed_as() {
	echo "$(modinfo -k "$1" -F version "$2" 2>/dev/null) $(modinfo -k "$1" -F filename "$2" 2>/dev/null)"
}

# check_installed NAME V: DKMS has V installed for every kernel and
# modprobe resolves every module to it
check_installed() {
	local name=$1 v=$2 k m bad= got signer
	for k in $(kvers); do
		dkms status -m guestmem -v "$v" -k "$k" | grep -q ': installed' ||
			bad="$bad $k: dkms status '$(dkms status -m guestmem -k "$k" | tr '\n' ' ')';"
		for m in nd_virtio virtio_pmem virtio_mem; do
			got=$(installed_as "$k" "$m")
			case "$got" in
			"$v "*/updates/dkms/*) ;;
			*) bad="$bad $k $m -> '$got';" ;;
			esac
			# DKMS signs with its MOK key (/var/lib/dkms/mok.pub, for
			# mokutil --import on Secure Boot machines)
			signer=$(modinfo -k "$k" -F signer "$m" 2>/dev/null)
			[ -n "$signer" ] || bad="$bad $k $m not signed;"
		done
	done
	if [ -z "$bad" ]; then
		result "$name" PASS "DKMS $v installed for $(kvers | xargs), modinfo -k resolves all three to updates/dkms, signed by '$signer'"
	else
		result "$name" FAIL "$bad"
	fi
}

# check_resolution_after_purge: for every installed kernel (dkms remove
# runs depmod for each), modprobe's choice is the kernel's own module again,
# and p2pmem_pci (never in-tree) resolves to nothing
check_resolution_after_purge() {
	local k m file bad='' seen=''
	for k in $(kvers); do
		[ -f "/lib/modules/$k/modules.dep" ] || continue
		for m in nd_virtio virtio_pmem virtio_mem; do
			file=$(modinfo -k "$k" -F filename "$m" 2>/dev/null)
			case "$file" in
			*/kernel/drivers/*) ;;
			*) bad="$bad $k:$m=${file:-none}" ;;
			esac
		done
		file=$(modinfo -k "$k" -F filename p2pmem_pci 2>/dev/null)
		[ -n "$file" ] && bad="$bad $k:p2pmem_pci=$file"
		seen="$seen $k"
	done
	if [ -z "$seen" ]; then
		result purge-resolution FAIL "no kernel with a modules.dep under /lib/modules"
	elif [ -n "$bad" ]; then
		result purge-resolution FAIL "after the purge, not the in-tree module:$bad"
	else
		result purge-resolution PASS "in-tree nd_virtio virtio_pmem virtio_mem for every kernel:$seen; no p2pmem_pci"
	fi
}

# check_purge_clean: nothing of the package left behind (sources, DKMS
# tree, built modules of any kernel, udev rules) and dpkg forgot it
check_purge_clean() {
	local left st
	left=$(ls -d /usr/src/guestmem-* /var/lib/dkms/guestmem /lib/udev/rules.d/70-guestmem-* \
		/lib/modules/*/updates/dkms/virtio_pmem.ko* /lib/modules/*/updates/dkms/virtio_mem.ko* \
		/lib/modules/*/updates/dkms/nd_virtio.ko* /lib/modules/*/updates/dkms/p2pmem_pci.ko* \
		2>/dev/null | tr '\n' ' ')
	st=$(dpkg-query -W -f='${Status}' guestmem-dkms 2>/dev/null)
	if [ -z "$left" ] && { [ -z "$st" ] || [ "$st" = "unknown ok not-installed" ]; }; then
		result purge-clean PASS "no sources, DKMS tree, modules or udev rules left; dpkg: ${st:-unknown package}"
	else
		result purge-clean FAIL "left: ${left:-none}; dpkg status: $st"
	fi
}

case "$1" in
setup)
	install -D -m 755 "$2/debian-agent.sh" "$LIB/debian-agent.sh"
	install -D -m 644 "$2/common.sh" "$LIB/common.sh"
	install -D -m 644 "$2/guestmem-agent.service" /etc/systemd/system/guestmem-agent.service
	systemctl enable guestmem-agent.service 2>&1
	;;
install)
	deb=$3 v=$4
	if dpkg -i "$deb" >/tmp/dpkg.log 2>&1; then
		result pkg-install PASS "dpkg -i $(basename "$deb")"
	else
		result pkg-install FAIL "dpkg -i failed: $(tail -n3 /tmp/dpkg.log | tr '\n' ' ')"
	fi
	sed 's/^/DPKG: /' /tmp/dpkg.log
	# a kernel whose headers arrive after the package: DKMS' autoinstall
	# hook (/etc/kernel/header_postinst.d/dkms) must build for it
	later=$(ls /root/debs/later/*.deb)
	k=$(dpkg-deb -f "$later" Package | sed 's/^linux-headers-//')
	before=$(dkms status -m guestmem -v "$v" -k "$k")
	if dpkg -i "$later" >/tmp/dpkg-hdr.log 2>&1; then
		after=$(dkms status -m guestmem -v "$v" -k "$k")
		case "$before|$after" in
		*installed*\|*) result dkms-autoinstall FAIL "already installed for $k before its headers came: $before" ;;
		*\|*installed*) result dkms-autoinstall PASS "headers for $k installed later: autoinstall built and installed $v" ;;
		*) result dkms-autoinstall FAIL "after installing $(basename "$later"): '$after'" ;;
		esac
	else
		result dkms-autoinstall FAIL "dpkg -i $(basename "$later") failed: $(tail -n3 /tmp/dpkg-hdr.log | tr '\n' ' ')"
	fi
	sed 's/^/DPKG: /' /tmp/dpkg-hdr.log
	check_installed dkms-installed "$v"
	# Debian's initramfs carries none of these drivers (the in-tree ones
	# would otherwise load before ours): record it
	for k in $(kvers); do
		n=$(lsinitramfs "/boot/initrd.img-$k" | grep -cE '/(nd_virtio|virtio_pmem|virtio_mem)\.ko')
		echo "INITRD: $k carries $n of the shadowed modules"
	done
	;;
upgrade)
	deb=$3 v=$4 old=$5
	if dpkg -i "$deb" >/tmp/dpkg.log 2>&1; then
		result pkg-upgrade PASS "dpkg -i $(basename "$deb") over $old"
	else
		result pkg-upgrade FAIL "dpkg -i failed: $(tail -n3 /tmp/dpkg.log | tr '\n' ' ')"
	fi
	sed 's/^/DPKG: /' /tmp/dpkg.log
	if [ -e "/var/lib/dkms/guestmem/$old" ] || [ -d "/usr/src/guestmem-$old" ]; then
		result upgrade-old-gone FAIL "$old still in DKMS: $(ls -d /var/lib/dkms/guestmem/* /usr/src/guestmem-* | xargs)"
	else
		result upgrade-old-gone PASS "$old removed from DKMS and /usr/src"
	fi
	check_installed dkms-upgraded "$v"
	;;
purge)
	if dpkg --purge guestmem-dkms >/tmp/purge.log 2>&1; then
		result purge PASS "dpkg --purge guestmem-dkms: $(grep -c 'Deleting from: /lib/modules' /tmp/purge.log) modules deleted by dkms remove"
	else
		result purge FAIL "dpkg --purge failed: $(tail -n2 /tmp/purge.log | tr '\n' ' ')"
	fi
	sed 's/^/PURGE: /' /tmp/purge.log
	check_resolution_after_purge
	check_purge_clean
	;;
*)
	echo "usage: $0 setup|install|upgrade|purge ..." >&2
	exit 2
	;;
esac
