#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# KUnit suites of kunit/ on a test kernel of the matrix, host side.
#
#   tests/kunit.sh ID OUTDIR
#
# Boots kernel ID (which must have CONFIG_KUNIT) with our modules and the
# KUnit modules (vpmem_kunit.ko; virtio_mem.ko, then vmem_kunit.ko; on
# P2PDMA kernels p2pmem_pci.ko, then p2pmem_kunit.ko), takes each suite's
# KTAP from debugfs and parses it with the kernel's own `kunit.py parse`.
# Prints RESULT lines; exit 0 iff all pass and at least one suite ran.
. "$(dirname "$0")/../scripts/lib.sh"
set -eu
[ $# -eq 2 ] || die "usage: $0 ID OUTDIR"
ID=$1
OUT=$2
mkdir -p "$OUT"
OUT=$(realpath "$OUT")

MODS=$("$TOP/scripts/build.sh" "$ID")
[ -f "$MODS/vpmem_kunit.ko" ] || die "$ID has no KUnit: no vpmem_kunit.ko in $MODS"
[ -f "$MODS/vmem_kunit.ko" ] || die "no vmem_kunit.ko in $MODS"
KSRC=$("$TOP/scripts/kernels.sh" source)
KUNIT_PY=$KSRC/tools/testing/kunit/kunit.py

# p2pmem_kunit.ko (kernels with PCI P2PDMA) needs p2pmem_pci.ko loaded first.
EXTRA=("$MODS/vpmem_kunit.ko" "$MODS/virtio_mem.ko" "$MODS/vmem_kunit.ko")
[ -f "$MODS/p2pmem_kunit.ko" ] && EXTRA+=("$MODS/p2pmem_pci.ko" "$MODS/p2pmem_kunit.ko")
"$TOP/scripts/initramfs.sh" "$ID" "$OUT/initramfs.cpio.gz" --ours "$MODS" \
	--scenario "$TOP/tests/guest/kunit.sh" --extra "${EXTRA[@]}" >&2
. "$OUT/initramfs.env"
rc=0
# allnoconfig leaves KUnit disabled (6.x: KUNIT_DEFAULT_ENABLED) and, from
# 6.16 on, not running suites at module load (KUNIT_AUTORUN_ENABLED): turn
# both on from the command line (older kernels ignore kunit.autorun).
"$TOP/scripts/vm.sh" --kernel "$VMLINUZ" --initrd "$OUT/initramfs.cpio.gz" \
	--log "$OUT/serial.log" --rundir "$OUT" --timeout "${TIMEOUT:-600}" \
	--append "kunit.enable=1 kunit.autorun=1" >&2 || rc=$?
tr -d '\r' <"$OUT/serial.log" >"$OUT/serial.txt"

results=()
suites=0
# One KTAP document per suite, parsed by kunit.py (exit 1 on failure).
for s in $(sed -n 's/^===KTAP-BEGIN \(.*\)===$/\1/p' "$OUT/serial.txt" | sort -u); do
	suites=$((suites + 1))
	awk -v s="$s" '$0 == "===KTAP-BEGIN " s "===" {on = 1; next}
		/^===KTAP-END===/ {on = 0} on' "$OUT/serial.txt" >"$OUT/$s.ktap"
	if python3 "$KUNIT_PY" parse "$OUT/$s.ktap" >"$OUT/$s.parse" 2>&1; then
		results+=("RESULT kunit-$s PASS $(grep -o 'Ran [0-9]* tests.*' "$OUT/$s.parse" | tail -n1)")
	else
		results+=("RESULT kunit-$s FAIL $(grep -E 'FAILED|Ran [0-9]* tests' "$OUT/$s.parse" | tr '\n' ' ' | cut -c1-200)")
	fi
done
[ "$suites" -gt 0 ] || results+=("RESULT kunit-suites FAIL no KTAP found (QEMU rc=$rc, log $OUT/serial.log)")
# Guest-side results (module load, kmemleak).
while read -r line; do
	results+=("$line")
done < <(awk '/^===RESULTS-BEGIN===/ {on = 1; next} /^===RESULTS-END===/ {on = 0} on && /^RESULT /' "$OUT/serial.txt")
if grep -qE 'BUG:|WARNING:|KASAN|possible circular locking|possible recursive locking|INFO: task .* blocked|Call Trace:' "$OUT/serial.txt"; then
	results+=("RESULT kunit-dmesg-clean FAIL kernel report in $OUT/serial.log: $(grep -m1 -E 'BUG:|WARNING:|KASAN|possible .* locking|INFO: task|Call Trace:' "$OUT/serial.txt" | cut -c1-160)")
else
	results+=("RESULT kunit-dmesg-clean PASS no BUG/WARNING/KASAN/lockdep report")
fi
printf '%s\n' "${results[@]}" | tee "$OUT/results.txt"
! grep -q ' FAIL' "$OUT/results.txt"
