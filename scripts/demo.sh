#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# demo.sh [--shell] [ID]: `make demo` / `make vm`.
# Builds our modules for kernel ID (default stock-6.12: the stock Debian
# kernel users run, nothing to compile but our modules), boots it in QEMU
# with a virtio-pmem device and shows /dev/pmem0, an ext4 -o dax mount, a
# file written with fsync and read back from the host's backing file, and
# the driver's flush counters.  --shell: an interactive guest shell instead.
. "$(dirname "$0")/lib.sh"
SHELL_ONLY=0
[ "$1" = --shell ] && { SHELL_ONLY=1; shift; }
ID=${1:-stock-6.12}
RUN="$TOP/results/demo-$ID"
rm -rf "$RUN"
mkdir -p "$RUN"

"$TOP/scripts/deps.sh" || exit 1
say "kernel $ID"
"$TOP/scripts/kernels.sh" env "$ID" >/dev/null || exit 1
say "building our modules for $ID"
MODS=$("$TOP/scripts/build.sh" "$ID") || exit 1
make -s -C "$TOP/tools" O="$CACHE/tools" >"$RUN/tools.log" 2>&1 ||
	die "building pmemtool failed ($RUN/tools.log)"
ARGS=(--ours "$MODS" --extra "$CACHE/tools/pmemtool")
if [ $SHELL_ONLY = 1 ]; then
	"$TOP/scripts/initramfs.sh" "$ID" "$RUN/initramfs.cpio.gz" "${ARGS[@]}" || exit 1
else
	"$TOP/scripts/initramfs.sh" "$ID" "$RUN/initramfs.cpio.gz" "${ARGS[@]}" \
		--scenario "$TOP/tests/guest/demo.sh" || exit 1
fi
. "$RUN/initramfs.env"
if [ $SHELL_ONLY = 1 ]; then
	say "interactive guest: /dev/pmem0, flush stats in /sys/bus/virtio/devices/*/flush_stats; 'poweroff -f' to leave"
	exec "$TOP/scripts/vm.sh" --kernel "$VMLINUZ" --initrd "$RUN/initramfs.cpio.gz" \
		--log "$RUN/serial.log" --rundir "$RUN" --interactive
fi
"$TOP/scripts/vm.sh" --kernel "$VMLINUZ" --initrd "$RUN/initramfs.cpio.gz" \
	--log "$RUN/serial.log" --rundir "$RUN" --timeout 600 \
	--trace virtio_pmem_flush_request --trace-log "$RUN/trace.log" ||
	die "guest failed, serial log: $RUN/serial.log"

tr -d '\r' <"$RUN/serial.log" >"$RUN/serial.txt"
echo
echo "=== virtio-pmem demo on $ID ($KVER) ==="
grep '^DEMO: ' "$RUN/serial.txt" | sed 's/^DEMO: /  /'
want=$(awk '/^PATTERN hello / {print $4; exit}' "$RUN/serial.txt")
IMG="$RUN/pmem.img"
if [ -n "$want" ] && debugfs -R "dump /hello.txt $RUN/hello.host" "$IMG" >/dev/null 2>&1; then
	got=$(md5sum <"$RUN/hello.host" | cut -d' ' -f1)
	if [ "$got" = "$want" ]; then
		echo "  host: /hello.txt read back from the backing file $IMG: md5 $got (matches the guest)"
	else
		echo "  host: /hello.txt in the backing file has md5 $got, guest wrote $want: MISMATCH"
	fi
else
	echo "  host: could not read /hello.txt from $IMG"
fi
echo "  host: QEMU saw $(grep -c virtio_pmem_flush_request "$RUN/trace.log" 2>/dev/null || echo 0) flush requests (trace virtio_pmem_flush_request)"
echo "  logs: $RUN"
