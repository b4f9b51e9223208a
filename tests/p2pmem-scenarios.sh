#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# p2pmem_pci scenarios, host side: boot kernel ID (a kernel with
# CONFIG_PCI_P2PDMA: the test kernels, sid's stock-7.2) once with tests/guest/p2pmem.sh, collect the guest's
# RESULT lines, fail on missing ones and on kernel reports.  During the
# boot it answers the guest's QMPDEL-REQUEST / QMPADD-REQUEST lines with a
# QMP device_del / device_add (hot-removal and re-plug of a mapped
# controller through pciehp: the rounds of the hotplug stress, the last
# scenario) and reports p2pmem-qmp-replug itself.
#
#   tests/p2pmem-scenarios.sh ID MODDIR OUTDIR
#
# MODDIR holds p2pmem_pci.ko (scripts/build.sh ID).  Environment: TIMEOUT
# (guest seconds, default 3000), P2PCOPY (static tools/p2pcopy; built into
# the cache if unset), ACCEL (see scripts/vm.sh), P2PMEM_ONLY (development
# runs: comma-separated scenario names of tests/guest/p2pmem.sh to run
# alone; the others are then reported missing unless P2PMEM_EXPECT names
# the expected results instead), P2PMEM_STRESS_ITERS (unbind+bind rounds
# of both stress runs; the guest's default is 4 on nvme's CMB and 8 on our
# binding, make check passes 2: each round races 3 map/touch/unmap threads
# (at least 25 maps of the live export per round) and an O_DIRECT copy;
# make bench runs 20 each), P2PMEM_ROUND_MAPS (those maps per round),
# P2PMEM_QMP_ROUNDS (device_del + device_add rounds of the hotplug stress,
# after its idle round; guest default 3).
#
# Prints RESULT <name> PASS|FAIL <detail> (also OUTDIR/results.txt), the
# guest's COPY lines and a summary.  Exit 0 iff every expected result is
# there and all results are PASS.
. "$(dirname "$0")/../scripts/lib.sh"
. "$TOP/tests/scenario-lib.sh"
set -eu

[ $# -eq 3 ] || die "usage: $0 ID MODDIR OUTDIR"
ID=$1
MODS=$(realpath "$2")
scenario_out "$3"
[ -f "$MODS/p2pmem_pci.ko" ] || die "no p2pmem_pci.ko in $MODS (kernel without CONFIG_PCI_P2PDMA?)"
if [ -z "${P2PCOPY:-}" ]; then
	make -s -C "$TOP/tools" O="$CACHE/tools" >"$OUT/tools.log" 2>&1 || die "building tools failed ($OUT/tools.log)"
	P2PCOPY=$CACHE/tools/p2pcopy
fi
T0=$(date +%s.%N)

# Debian's nvme-cli (show-regs against our CMB decode)
NVMEROOT=$("$TOP/scripts/debian-tools.sh" nvme nvme-cli:/usr/sbin/nvme) ||
	die "scripts/debian-tools.sh nvme-cli failed"
"$TOP/scripts/initramfs.sh" "$ID" "$OUT/initramfs.cpio.gz" \
	--scenario "$TOP/tests/guest/p2pmem.sh" --sysroot "$NVMEROOT" \
	--extra "$P2PCOPY" "$MODS/p2pmem_pci.ko" "$NVMEROOT/usr/sbin/nvme"
. "$OUT/initramfs.env"
# test kernels, and the stock kernels with CONFIG_PCI_P2PDMA (sid's 7.2;
# Debian 12's have it off): the build made p2pmem_pci.ko only there
[ -f "$MODS/p2pmem_pci.ko" ] || die "$ID has no CONFIG_PCI_P2PDMA: no p2pmem_pci.ko in $MODS"
TIMEOUT=${TIMEOUT:-1500}

SERIAL=$OUT/serial.log
QMPSOCK=$OUT/qmp.sock
QMPLOG=$OUT/qmp-requests.txt
rm -f "$OUT"/nvme*.img "$OUT/results.txt" "$QMPLOG"
: >"$SERIAL"
: >"$QMPLOG"

# --- QMP device_del / device_add on the guest's request --------------------
# The guest prints "QMPDEL-REQUEST <serial> <bdf> round" while
# processes map (and copy through) that controller's /dev/p2pmemN; the host
# sends device_del for the QEMU id of that serial (scripts/vm.sh: d00d000N
# is nvmeN) and waits for its DEVICE_DELETED, which QEMU only emits once
# the guest's pciehp has powered the slot off.  "QMPADD-REQUEST <serial>
# <bdf> round" is answered with a device_add of the same controller
# (vm.sh's RUNDIR/nvmeN.qdev; its -blockdev node outlives the device).
# Requests are answered one by one in the order the guest made them; one
# line each in QMPLOG: "DEL|ADD round ok|fail SECONDS detail".  The
# guest checks the rest (SIGBUS, node gone, export back).
qdev_json() { # qdev_json "nvme,id=...,k=v": device_add's arguments
	python3 -c 'import json, sys
p = sys.argv[1].split(",")
d = {"driver": p[0]}
for kv in p[1:]:
    k, v = kv.split("=", 1)
    d[k] = int(v) if v.isdigit() else v
print(json.dumps(d))' "$1"
}
qmp_answer() { # qmp_answer KIND SERIAL TAG
	local kind=$1 serial=$2 tag=$3 id t0 out rc=0
	id=nvme${serial#d00d000}
	t0=$(date +%s.%N)
	if [ "$kind" = QMPDEL-REQUEST ]; then
		out=$("$TOP/scripts/qmp.py" "$QMPSOCK" device-del "$id" 150 2>&1) || rc=$?
		kind=DEL
	else
		out=$("$TOP/scripts/qmp.py" "$QMPSOCK" device_add "$(qdev_json "$(cat "$OUT/$id.qdev")")" 2>&1) || rc=$?
		kind=ADD
	fi
	echo "$kind $tag $([ $rc = 0 ] && echo ok || echo fail) $(elapsed_since "$t0") $id ($serial) $(echo "$out" | tr '\n' ' ' | cut -c1-160)" >>"$QMPLOG"
}
qmp_watch() {
	local n=0 req
	while :; do
		req=$(tr -d '\r' <"$SERIAL" | grep -aoE 'QMP(DEL|ADD)-REQUEST d00d000[1-3] [0-9a-f:.]+ round' |
			sed -n "$((n + 1))p" || true)
		if [ -z "$req" ]; then
			sleep 0.5
			continue
		fi
		n=$((n + 1))
		# shellcheck disable=SC2086 # the request's four words
		set -- $req
		qmp_answer "$1" "$2" "$4"
	done
}
elapsed_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}'; }
qmp_watch &
WATCHER=$!
trap 'kill $WATCHER 2>/dev/null || true' EXIT

# PCIe native hotplug for this boot only: QEMU's q35 ACPI PCI hotplug off
# (with it, the root port's slot reports no card present and the guest's
# pciehp powers the whole switch off), and pcie_ports=native because the
# guest (no MMCONFIG) does not ask _OSC for hotplug control.
# pciehp_poll_mode: pciehp polls the slot status instead of its interrupt.
# iomem=relaxed: nvme-cli's show-regs maps BAR 0 through sysfs while nvme
# owns it; Debian's kernels (CONFIG_IO_STRICT_DEVMEM=y) revoke that
# mapping, and show-regs reads garbage ("get-property: Invalid argument",
# seen on stock-7.2): the setting a Debian user needs for show-regs too.
say "p2pmem-scenarios: booting $ID (timeout ${TIMEOUT}s), output in $OUT"
rc=0
"$TOP/scripts/vm.sh" --kernel "$VMLINUZ" --initrd "$OUT/initramfs.cpio.gz" \
	--log "$SERIAL" --rundir "$OUT" --qmp "$QMPSOCK" --pmem-size 64M --retry-early \
	--append "pcie_ports=native pciehp.pciehp_poll_mode=1 iomem=relaxed${P2PMEM_ONLY:+ p2pmem_only=$P2PMEM_ONLY}${P2PMEM_QMP_ROUNDS:+ p2pmem_qmp_rounds=$P2PMEM_QMP_ROUNDS}${P2PMEM_STRESS_ITERS:+ p2pmem_stress_iters=$P2PMEM_STRESS_ITERS}${P2PMEM_ROUND_MAPS:+ p2pmem_round_maps=$P2PMEM_ROUND_MAPS}" --timeout "$TIMEOUT" \
	-- -global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off || rc=$?
TOTAL=$(elapsed)
# QEMU is gone: a request being answered fails at once (connection closed)
sleep 1
kill $WATCHER 2>/dev/null || true
wait $WATCHER 2>/dev/null || true

results_begin "$SERIAL"

guest_results "$CLEAN" >"$OUT/guest-results.txt"

emit_boot p2pmem-boot "$rc" "total ${TOTAL}s" "INIT: SCENARIO-START"

# Expected results; the kernel's p2pmem/allocate file exists from 6.2 on.
EXPECTED="p2pmem-load p2pmem-sysfs p2pmem-copy p2pmem-copy-freed p2pmem-copy-own-cmb
	p2pmem-copy-sysmem p2pmem-private-refused p2pmem-bad-bar p2pmem-unbind-nvme p2pmem-rebind-nvme
	p2pmem-mmap-race p2pmem-stress-nvme p2pmem-nvme-cli-regs p2pmem-cmb-bind p2pmem-stress-cmb p2pmem-unbind-busy
	p2pmem-teardown-order p2pmem-remove p2pmem-rescan p2pmem-reload
	p2pmem-stress-hotplug"
if printf '%s\n6.2\n' "$KVER" | sort -V -C; then
	echo "NOTE p2pmem-allocate not expected: $KVER has no p2pmem/allocate (6.2+)"
else
	EXPECTED="$EXPECTED p2pmem-allocate"
fi
[ -n "${P2PMEM_EXPECT:-}" ] && EXPECTED=$P2PMEM_EXPECT
# the host's half of the QMP removals and re-plugs (qmp_watch)
qmp_only_skips() { # qmp_only_skips SCENARIO: 0 iff P2PMEM_ONLY leaves it out
	[ -n "${P2PMEM_ONLY:-}" ] && ! echo ",$P2PMEM_ONLY," | grep -q ",$1,"
}
if qmp_only_skips qmp_replug; then
	echo "NOTE p2pmem-qmp-replug not run (P2PMEM_ONLY=$P2PMEM_ONLY)"
else
	emit "$(awk -v want=$((1 + ${P2PMEM_QMP_ROUNDS:-3})) '
	$2 == "round" { n[$1]++; if ($3 != "ok") { bad++; if (!why) why = $0 } else t[$1] = t[$1] " " $4 }
	function stats(k,   a, m, i, j, x, s) {
		m = split(t[k], a, " ")
		for (i = 2; i <= m; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > x + 0; j--) a[j + 1] = a[j]; a[j + 1] = x }
		return m ? sprintf("p50 %s s, max %s s", a[int((m + 1) / 2)], a[m]) : "none"
	}
	END {
		if (bad) print "p2pmem-qmp-replug FAIL " bad " QMP request(s) failed, first: " why
		else if (n["DEL"] < want || n["ADD"] < want)
			printf "p2pmem-qmp-replug FAIL %d device_del and %d device_add answered, %d rounds (with the idle one) expected\n", n["DEL"], n["ADD"], want
		else printf "p2pmem-qmp-replug PASS %d device_del + device_add rounds: DEVICE_DELETED %s; device_add %s\n", n["DEL"], stats("DEL"), stats("ADD")
	}' "$QMPLOG")"
fi
# expected results (a missing one fails), then any further ones
expect_guest_results "$OUT/guest-results.txt" "$OUT/results.txt" $EXPECTED
grep -h -E '^(COPY|NOTE|SCENARIO|STRESS|STRESS-JSON) ' "$CLEAN" || true

# The one report tolerated: pciehp's own lock inversion on every hot-removal
# (pciehp_unconfigure_device() takes pci_rescan_remove_lock under
# ctrl->reset_lock, then drops and re-takes reset_lock around
# pci_stop_and_remove_bus_device() with pci_rescan_remove_lock held; same
# code in 6.1, 6.12 and 7.2).  It fires after the device (and our driver's
# teardown) is gone; a splat naming anything else, or any p2pmem frame, is
# kept.  Lockdep is off for the rest of the boot after it.
known_pciehp_splat() { # filter: drop exactly that splat (console + dmesg copy)
	awk '
	function flush(keep) { if (n) { if (keep) for (i = 1; i <= n; i++) print buf[i]; n = 0 } }
	/possible circular locking dependency detected/ { flush(1); inb = 1 }
	inb { buf[++n] = $0
		if (/<\/TASK>/ || n > 400) {
			ok = 0; bad = 0
			for (i = 1; i <= n; i++) {
				if (buf[i] ~ /is trying to acquire lock/ && buf[i + 1] ~ /reset_lock.*pciehp_unconfigure_device/) ok++
				if (buf[i] ~ /already holding lock/ && buf[i + 1] ~ /pci_rescan_remove_lock.*pciehp_unconfigure_device/) ok++
				if (buf[i] ~ /p2pmem/) bad = 1
			}
			if (ok == 2 && !bad) { print "KNOWN-PCIEHP-SPLAT"; n = 0 } else flush(1)
			inb = 0
		}
		next }
	{ print }
	END { flush(1) }'
}
known_pciehp_splat <"$CLEAN" >"$OUT/serial.filtered.log"
if grep -q '^KNOWN-PCIEHP-SPLAT' "$OUT/serial.filtered.log"; then
	echo "NOTE known pciehp lockdep report (reset_lock vs pci_rescan_remove_lock in pciehp_unconfigure_device) after the QMP removal, not counted; lockdep off from there on"
fi

# kernel reports anywhere in the serial log
emit "$(dmesg_clean p2pmem-dmesg-clean "$OUT/serial.filtered.log" "$CLEAN" 'RESULT|COPY|NOTE|SCENARIO|INIT:|HOLD|TOUCH|STRESS|QMPDEL-REQUEST|QMPADD-REQUEST' '' \
	"no BUG/WARNING/KASAN/lockdep/kmemleak reports" "$OUT/dmesg-reports.txt")"

results_summary "$ID p2pmem" "total ${TOTAL}s"
