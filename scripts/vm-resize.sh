#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vm-resize.sh SIZE [QMP-SOCKET]: `make vm-resize SIZE=2G`, from the host,
# asks the virtio-mem device of a running `make vm` guest (id vm0, see
# scripts/vm.sh) for SIZE (2G, 512M, 0; a multiple of its 2 MiB block) over
# QMP, then shows the device's size until it gets there (60 s at most).
# Default socket: results/vm/qmp.sock (`make vm`).
. "$(dirname "$0")/lib.sh"
set -eu
[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: $0 SIZE [QMP-SOCKET] (e.g. make vm-resize SIZE=2G)"
SOCK=${2:-$TOP/results/vm/qmp.sock}
[ -S "$SOCK" ] || die "no QMP socket $SOCK: is 'make vm' running?"
BYTES=$(numfmt --from=iec "${1%B}" 2>/dev/null) || die "bad size '$1' (e.g. 2G, 512M, 0)"
[ $((BYTES % (2 << 20))) -eq 0 ] || die "$1 is not a multiple of the device block (2 MiB)"
QMP=("$TOP/scripts/qmp.py" "$SOCK")
size() { "${QMP[@]}" memdevs | awk '/id=vm0/ {for (i = 1; i <= NF; i++) if ($i ~ /^size=/) print substr($i, 6)}'; }
from=$(size)
[ -n "$from" ] || die "no virtio-mem device vm0 behind $SOCK"
"${QMP[@]}" qom-set /machine/peripheral/vm0 requested-size "$BYTES" >/dev/null
say "virtio-mem vm0: requested-size $BYTES ($1), plugged $from"
t0=$SECONDS
last=$from
while [ $((SECONDS - t0)) -lt 60 ]; do
	cur=$(size)
	if [ "$cur" != "$last" ]; then
		say "  $((SECONDS - t0)) s: plugged $cur"
		last=$cur
	fi
	if [ "$cur" = "$BYTES" ]; then
		say "virtio-mem vm0: plugged $cur after $((SECONDS - t0)) s (guest: MemTotal in /proc/meminfo, our sysfs in /sys/bus/virtio/devices/*/virtio_mem/)"
		exit 0
	fi
	sleep 0.5
done
warn "virtio-mem vm0: plugged $last after 60 s, requested $BYTES: the guest is still working on it (or cannot: memory in use)"
exit 1
