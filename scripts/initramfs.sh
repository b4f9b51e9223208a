#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build a busybox initramfs for one kernel of the matrix.
#
#   initramfs.sh ID OUT.cpio.gz [--intree | --ours DIR] [--vmem intree|ours DIR]
#                [--scenario FILE] [--mod NAME]... [--sysroot DIR] [--extra FILE...]
#
#   --intree        also load the stock kernel's virtio_pmem + nd_virtio
#   --ours DIR      copy DIR/nd_virtio.ko and DIR/virtio_pmem.ko to /ours and
#                   load them (nd_virtio first) after the in-tree dependencies
#   --vmem intree   load the stock kernel's virtio_mem (virtio-mem set,
#                   independent of the virtio-pmem one above)
#   --vmem ours DIR load DIR/virtio_mem.ko (after its in-tree dependencies)
#                   With either, /init first starts a netlink uevent listener
#                   (a poller without CONFIG_NET) running
#                   /guest/memhotplug.sh, the busybox stand-in for
#                   udev/70-guestmem-virtio-mem.rules (online_movable for
#                   a virtio-mem device; onlines hot-added blocks left
#                   offline as online_movable), then loads virtio_mem.
#   --scenario FILE script installed as /scenario and run by /init; without
#                   it /init starts an interactive shell
#   --mod NAME      one more in-tree module (with its dependencies)
#   --extra FILE... binaries copied to /bin (shared libraries follow via ldd)
#   --sysroot DIR   packages unpacked into DIR (scripts/fio.sh): ldd also
#                   searches DIR's library directories, and a library it
#                   finds there goes to its path below DIR in the image
#                   (DIR/usr/lib/x/libz.so -> /usr/lib/x/libz.so)
#
# Besides OUT it writes OUT's name with .env instead of .cpio.gz: KIND, KVER,
# VMLINUZ, MODSET, VMEMSET of the kernel the image was made for.
#
# Inside the image: /etc/modules.load (ordered .ko paths), /etc/pmem.mods
# (the virtio-pmem pair, load order), /etc/modset (none|intree|ours),
# /etc/vmem.mods (virtio_mem.ko), /etc/vmemset (none|intree|ours),
# tests/guest/*.sh under /guest.
. "$(dirname "$0")/lib.sh"
set -eu

usage() { die "usage: $0 ID OUT.cpio.gz [--intree|--ours DIR] [--vmem intree|ours DIR] [--scenario FILE] [--mod NAME]... [--sysroot DIR] [--extra FILE...]"; }

[ $# -ge 2 ] || usage
ID=$1
OUT=$2
shift 2
MODSET=none
OURS=
VMEMSET=none
VMEM_OURS=
SCENARIO=
EXTRA=()
MORE_MODS=()
SYSROOT=
while [ $# -gt 0 ]; do
	case "$1" in
	--intree) MODSET=intree ;;
	--ours) [ $# -ge 2 ] || usage; MODSET=ours; OURS=$2; shift ;;
	--vmem)
		[ $# -ge 2 ] || usage
		case "$2" in
		intree) VMEMSET=intree; shift ;;
		ours) [ $# -ge 3 ] || usage; VMEMSET=ours; VMEM_OURS=$3; shift 2 ;;
		*) usage ;;
		esac ;;
	--scenario) [ $# -ge 2 ] || usage; SCENARIO=$2; shift ;;
	--mod) [ $# -ge 2 ] || usage; MORE_MODS+=("$2"); shift ;;
	--sysroot)
		[ $# -ge 2 ] && [ -d "$2" ] || die "--sysroot: '${2:-}' is not a directory"
		SYSROOT=$(cd "$2" && pwd); shift ;;
	--extra)
		shift
		while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do
			EXTRA+=("$1")
			shift
		done
		continue ;;
	*) usage ;;
	esac
	shift
done
case "$OUT" in
*.cpio.gz) ENVOUT=${OUT%.cpio.gz}.env ;;
*) die "OUT must end in .cpio.gz" ;;
esac

# --- kernel --------------------------------------------------------------
# kernels.sh ready: the kernel's environment, but a test kernel that is
# not built (yet) is refused instead of started (a long build, and one
# that may be running already).
say "initramfs: kernel $ID"
KENV=$("$TOP/scripts/kernels.sh" ready "$ID") || exit 1
eval "$KENV"
[ -f "$VMLINUZ" ] || die "no kernel image for $ID"

BB=/bin/busybox
if ! file -L "$BB" 2>/dev/null | grep -q 'statically linked'; then
	say "installing busybox-static"
	apt-get install -y busybox-static >/dev/null || die "apt-get install busybox-static failed"
fi

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/initramfs.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,mnt,lib/modules,guest,ours}
cp "$BB" "$STAGE/bin/busybox"

# --- modules -------------------------------------------------------------
declare -A MPATH MDEPS MSOFT BUILTIN VISITED
ORDER=()

# modules.dep of MODROOT, generated into a hard-linked copy when the
# unpacked package has none (Debian ships it generated at install time).
moddep_dir() {
	local src=$MODROOT/lib/modules/$KVER dst
	if [ -s "$src/modules.dep" ]; then
		echo "$src"
		return
	fi
	dst=$CACHE/moddep/$KVER
	if [ ! -s "$dst/lib/modules/$KVER/modules.dep" ]; then
		say "depmod for $KVER (into $dst)"
		rm -rf "$dst"
		mkdir -p "$dst/lib/modules"
		cp -al "$src" "$dst/lib/modules/$KVER" 2>/dev/null ||
			cp -a "$src" "$dst/lib/modules/$KVER"
		depmod -b "$dst" "$KVER" || die "depmod failed"
	fi
	echo "$dst/lib/modules/$KVER"
}

# canon: "name path" lines from .ko paths on stdin (awk, no forks)
canon_awk='{ n = $1; sub(/.*\//, "", n); sub(/\.ko.*/, "", n); gsub(/-/, "_", n) }'

load_moddb() {
	local dir=$1 n p deps
	MODDIR=$dir
	while read -r n p deps; do
		MPATH[$n]=$dir/$p
		MDEPS[$n]=$deps
	done < <(awk "$canon_awk"'
		{ p = $1; sub(/:$/, "", p); d = ""
		  for (i = 2; i <= NF; i++) { m = $i; sub(/.*\//, "", m); sub(/\.ko.*/, "", m); gsub(/-/, "_", m); d = d " " m }
		  print n, p, d }' "$dir/modules.dep")
	if [ -f "$dir/modules.softdep" ]; then
		# "softdep NAME pre: A B post: C"
		while read -r _ n deps; do
			deps=${deps#*pre:}
			deps=${deps%%post:*}
			MSOFT[${n//-/_}]=$deps
		done < <(grep '^softdep ' "$dir/modules.softdep" || true)
	fi
	load_builtin "$dir/modules.builtin"
}

load_builtin() {
	local n
	[ -f "$1" ] || return 0
	while read -r n _; do
		BUILTIN[$n]=1
	done < <(awk "$canon_awk"' { print n }' "$1")
}

# alias_of NAME: module an exact alias (e.g. "crc32c") stands for
alias_of() {
	[ -n "${MODDIR:-}" ] && [ -f "$MODDIR/modules.alias" ] || return 0
	awk -v a="$1" '$1 == "alias" && $2 == a { gsub(/-/, "_", $3); print $3; exit }' \
		"$MODDIR/modules.alias"
}

# softdeps from the module itself (modules.softdep only has the
# ones from depmod.d); "pre: a b post: c" -> "a b"
softdeps_of() {
	modinfo -F softdep "$1" 2>/dev/null | sed -e 's/post:.*//' -e 's/pre://g' || true
}

resolve() { # resolve NAME REQUIRED: append NAME and its deps to ORDER
	local n=${1//-/_} required=$2 d a
	[ -n "${BUILTIN[$n]:-}" ] && return 0
	[ -n "${VISITED[$n]:-}" ] && return 0
	if [ -z "${MPATH[$n]:-}" ] && a=$(alias_of "$1") && [ -n "$a" ]; then
		n=$a
		[ -n "${BUILTIN[$n]:-}" ] && return 0
		[ -n "${VISITED[$n]:-}" ] && return 0
	fi
	if [ -z "${MPATH[$n]:-}" ]; then
		[ "$required" = 1 ] && warn "module $1: not found for $KVER (neither module nor built in)"
		return 0
	fi
	VISITED[$n]=1
	for d in ${MSOFT[$n]:-} $(softdeps_of "${MPATH[$n]}"); do
		resolve "$d" 0
	done
	for d in ${MDEPS[$n]}; do
		resolve "$d" 1
	done
	ORDER+=("$n")
}

copy_module() { # copy_module SRC DST.ko (decompressing)
	case "$1" in
	*.ko.xz) xz -dc "$1" >"$2" ;;
	*.ko.zst) zstd -qdc "$1" >"$2" ;;
	*.ko.gz) gzip -dc "$1" >"$2" ;;
	*) cp "$1" "$2" ;;
	esac
}

BASE_MODS=(virtio_pci libnvdimm nd_pmem nd_btt ext4 crc32c_generic crc32c_intel nvme)
: >"$STAGE/etc/modules.load"
: >"$STAGE/etc/pmem.mods"
: >"$STAGE/etc/vmem.mods"
echo "$MODSET" >"$STAGE/etc/modset"
echo "$VMEMSET" >"$STAGE/etc/vmemset"
if [ -n "$MODROOT" ]; then
	load_moddb "$(moddep_dir)"
	for m in "${BASE_MODS[@]}" "${MORE_MODS[@]}"; do
		resolve "$m" 1
	done
	if [ "$MODSET" = intree ]; then
		resolve nd_virtio 1
		resolve virtio_pmem 1
	fi
	[ "$VMEMSET" = intree ] && resolve virtio_mem 1
else
	# own kernel: everything needed is built in; modules.builtin of the
	# build tree tells what is there.
	load_builtin "$KDIR/modules.builtin"
	[ "$MODSET" = intree ] && die "--intree: kernel $ID has no in-tree module set"
	[ "$VMEMSET" = intree ] && die "--vmem intree: kernel $ID has no in-tree virtio_mem (VIRTIO_MEM is off in the test kernels)"
	for m in "${MORE_MODS[@]}"; do
		[ -n "${BUILTIN[${m//-/_}]:-}" ] || warn "module $m: not built into $ID"
	done
fi

if [ "$MODSET" = ours ]; then
	for m in nd_virtio virtio_pmem; do
		[ -f "$OURS/$m.ko" ] || die "--ours: $OURS/$m.ko missing"
		vm=$(modinfo -F vermagic "$OURS/$m.ko" | awk '{print $1}')
		[ "$vm" = "$KVER" ] || warn "$m.ko is built for '$vm', kernel is '$KVER'"
		# in-tree dependencies of our modules (libnvdimm, ...)
		for d in $(modinfo -F depends "$OURS/$m.ko" | tr , ' '); do
			d=${d//-/_}
			case "$d" in nd_virtio|virtio_pmem) continue ;; esac
			if [ -n "$MODROOT" ]; then
				resolve "$d" 1
			elif [ -z "${BUILTIN[$d]:-}" ]; then
				warn "$m.ko needs $d, which $ID does not have built in"
			fi
		done
		cp "$OURS/$m.ko" "$STAGE/ours/$m.ko"
		echo "/ours/$m.ko" >>"$STAGE/etc/pmem.mods"
	done
fi

if [ "$VMEMSET" = ours ]; then
	[ -f "$VMEM_OURS/virtio_mem.ko" ] || die "--vmem ours: $VMEM_OURS/virtio_mem.ko missing"
	vm=$(modinfo -F vermagic "$VMEM_OURS/virtio_mem.ko" | awk '{print $1}')
	[ "$vm" = "$KVER" ] || warn "virtio_mem.ko is built for '$vm', kernel is '$KVER'"
	for d in $(modinfo -F depends "$VMEM_OURS/virtio_mem.ko" | tr , ' '); do
		d=${d//-/_}
		if [ -n "$MODROOT" ]; then
			resolve "$d" 1
		elif [ -z "${BUILTIN[$d]:-}" ]; then
			warn "virtio_mem.ko needs $d, which $ID does not have built in"
		fi
	done
	cp "$VMEM_OURS/virtio_mem.ko" "$STAGE/ours/virtio_mem.ko"
	echo /ours/virtio_mem.ko >>"$STAGE/etc/vmem.mods"
fi

for n in "${ORDER[@]}"; do
	copy_module "${MPATH[$n]}" "$STAGE/lib/modules/$n.ko"
	# the in-tree virtio_mem is loaded by /init after the onlining helper
	if [ "$n" = virtio_mem ]; then
		echo "/lib/modules/$n.ko" >>"$STAGE/etc/vmem.mods"
		continue
	fi
	echo "/lib/modules/$n.ko" >>"$STAGE/etc/modules.load"
	case "$n" in
	nd_virtio|virtio_pmem) echo "/lib/modules/$n.ko" >>"$STAGE/etc/pmem.mods" ;;
	esac
done
say "modules ($MODSET): ${ORDER[*]:-none}${OURS:+ + ours from $OURS}; virtio-mem: $VMEMSET${VMEM_OURS:+ from $VMEM_OURS}"

# --- user space ----------------------------------------------------------
# ldd's search path for --sysroot: the directories below it with libraries
SYSROOT_LIBPATH=
if [ -n "$SYSROOT" ]; then
	SYSROOT_LIBPATH=$(find "$SYSROOT" -name '*.so*' \( -type f -o -type l \) -printf '%h\n' |
		sort -u | paste -sd:)
fi

copy_with_libs() { # copy_with_libs BIN DEST
	local bin=$1 dst=$2 lib to libs
	cp -L "$bin" "$STAGE$dst"
	chmod 755 "$STAGE$dst"
	libs=$(LD_LIBRARY_PATH=$SYSROOT_LIBPATH${SYSROOT_LIBPATH:+${LD_LIBRARY_PATH:+:}}${LD_LIBRARY_PATH:-} \
		ldd "$bin" 2>/dev/null) || true
	if printf '%s\n' "$libs" | grep -q 'not found'; then
		die "$bin: libraries not found: $(printf '%s\n' "$libs" | awk '/not found/ {print $1}' | tr '\n' ' ')"
	fi
	for lib in $(printf '%s\n' "$libs" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
		to=$lib
		[ -z "$SYSROOT" ] || [ "${lib#"$SYSROOT"/}" = "$lib" ] || to=/${lib#"$SYSROOT"/}
		[ -e "$STAGE$to" ] && continue
		mkdir -p "$STAGE$(dirname "$to")"
		cp -L "$lib" "$STAGE$to"
	done
}

copy_with_libs /sbin/mke2fs /sbin/mke2fs
ln -s mke2fs "$STAGE/sbin/mkfs.ext4"
for t in e2fsck debugfs; do
	[ -x "/sbin/$t" ] && copy_with_libs "/sbin/$t" "/sbin/$t"
done
[ -f /etc/mke2fs.conf ] && cp /etc/mke2fs.conf "$STAGE/etc/"
for f in "${EXTRA[@]}"; do
	[ -f "$f" ] || die "--extra: $f not found"
	copy_with_libs "$f" "/bin/$(basename "$f")"
done

cp "$TOP"/tests/guest/*.sh "$STAGE/guest/" 2>/dev/null || true
# the package's udev helper, for memhotplug.sh (the stand-in for its rule)
cp "$TOP/udev/guestmem-virtio-mem-block" "$STAGE/guest/"
if [ -n "$SCENARIO" ]; then
	[ -f "$SCENARIO" ] || die "--scenario: $SCENARIO not found"
	cp "$SCENARIO" "$STAGE/scenario"
	chmod 755 "$STAGE/scenario"
fi

# --- /init ---------------------------------------------------------------
cat >"$STAGE/init" <<'EOF'
#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# generated by scripts/initramfs.sh
/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
export HOME=/ TERM=linux

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
echo "INIT: kernel $(uname -r), modules: $(cat /etc/modset), virtio-mem: $(cat /etc/vmemset)"

# load_list FILE: insmod every path of FILE in order; "File exists" is
# fine (built in or already loaded), anything else is reported
: >/tmp/modfail
load_list() {
	local ko err
	while read -r ko; do
		[ -n "$ko" ] || continue
		if ! err=$(insmod "$ko" 2>&1); then
			case "$err" in
			*"File exists"*) ;;
			*) echo "INIT: insmod $ko failed: $err"
			   echo "$ko" >>/tmp/modfail ;;
			esac
		fi
	done <"$1"
}
load_list /etc/modules.load
[ "$(cat /etc/modset)" = ours ] && load_list /etc/pmem.mods
# virtio-mem: the netlink listener standing in for udev and the project's
# rules udev/70-guestmem-virtio-mem.rules must run before memory is added
# (kernels without CONFIG_NET have no uevent socket: it polls there)
if [ -s /etc/vmem.mods ]; then
	if [ -e /proc/net/netlink ]; then
		uevent /guest/memhotplug.sh >/dev/null 2>&1 &
		echo "INIT: memory onlining: uevent listener"
	else
		/guest/memhotplug.sh --poll >/dev/null 2>&1 &
		echo "INIT: memory onlining: polling /sys/devices/system/memory (no CONFIG_NET)"
	fi
	sleep 0.5
	/guest/memhotplug.sh --coldplug
	load_list /etc/vmem.mods
fi
echo "INIT: modules loaded ($(wc -l </tmp/modfail) failures)"
# kmemleak's own scan thread (every 10 min; a scan is ~15 s of a vCPU on a
# KASAN kernel under TCG): off, the scenarios scan where they check
# (common.sh kmemleak_check)
[ -w /sys/kernel/debug/kmemleak ] && echo scan=off >/sys/kernel/debug/kmemleak

if [ -x /scenario ]; then
	echo "INIT: SCENARIO-START"
	/scenario
	echo "INIT: SCENARIO-END rc=$?"
else
	echo "INIT: interactive shell (exit to power off)"
	setsid cttyhack sh
fi
echo "INIT: powering off"
sync
poweroff -f
sleep 5
reboot -f
EOF
chmod 755 "$STAGE/init"

mkdir -p "$(dirname "$OUT")"
(cd "$STAGE" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -1) >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
printf 'KIND=%q\nKVER=%q\nVMLINUZ=%q\nMODSET=%q\nVMEMSET=%q\n' "$KIND" "$KVER" "$VMLINUZ" "$MODSET" "$VMEMSET" >"$ENVOUT"
say "initramfs: $OUT ($(du -k "$OUT" | cut -f1) KiB)"
