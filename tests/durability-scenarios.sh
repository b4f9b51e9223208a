#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Power-cut durability oracle for virtio-pmem, host side.
#
#   tests/durability-scenarios.sh ID (--intree | --ours DIR) OUTDIR
#                                 [--cuts N] [--ack-early-cuts K] [--seed S]
#                                 [--verify-kernel ID2]
#
# The pmem backing file lives on tools/pmemfuse, a FUSE file system that
# behaves like a disk with a volatile write cache: what QEMU writes (the
# write-back of its share=on mapping) stays volatile until QEMU fsyncs the
# file, which is what its virtio-pmem flush handler does; a power cut
# drops everything not synced and SIGKILLs QEMU (see tools/pmemfuse.c for
# why that ordering models a power cut).  Each cut is one guest boot
# (tests/guest/durability.sh): raw writers (O_DIRECT + fdatasync on
# /dev/pmem0) and ext4 -o dax writers (append + fsync) run at once, every
# sync that returned success is acknowledged on a second serial port that
# QEMU writes to a host file as it goes; the host cuts the power at a
# random moment after both writer sets acknowledged their first record
# (seeded: --seed, DUR_SEED, else from the clock; printed)
# and checks every acknowledged record in the durable image:
#   raw:  the record blocks, on the host (durwriter check);
#   ext4: the next boot gets the file system (a copy of the durable image's
#         first 128 MiB, as an NVMe namespace), mounts it, i.e. the guest
#         kernel replays the journal as after a real power loss, checks the
#         acknowledged records of every file and unmounts; then e2fsck -fn
#         on the host must find the replayed image clean.  A last boot
#         only checks (with --verify-kernel, that boot runs kernel ID2, no
#         virtio-pmem driver: a stock kernel instead of a slow KASAN one;
#         the replay is ext4's, not ours).
# Writers per cut cycle through (raw, ext4) = (1,1) (16,16) (1,16) (16,1).
# --ack-early-cuts K adds K cuts with our driver's debugfs ack_early set
# (flushes acknowledged without reaching the host): those must lose
# acknowledged raw records, or the oracle could not fail.
#
# Environment: TIMEOUT (per boot; 300, test kernels 900), DUR_DELAY_MIN_MS /
# DUR_DELAY_SPAN_MS (cut DELAY after both writer sets' first ack, default
# 500 / 2500), DURWRITER, PMEMFUSE (default: $CACHE/tools, else tools/).
#
# Before the boots the file system's model is checked on its own (result
# -fuse-model, see fuse_model).
# Prints RESULT lines (durability-raw, -ext4, -fsck, [-ack-early],
# -fuse-model, -dmesg-clean; durability-intree-* with --intree), a CUT line per cut and
# a DURABILITY summary line; exit 0 iff all results PASS.  A cut boot ends
# with QEMU killed, which scripts/vm.sh reports as rc 124 ("TIMEOUT"): that
# is the cut, not a timeout (TIMEOUT is enforced here as well).
. "$(dirname "$0")/../scripts/lib.sh"
. "$TOP/tests/scenario-lib.sh"
set -eu

usage() { die "usage: $0 ID (--intree | --ours DIR) OUTDIR [--cuts N] [--ack-early-cuts K] [--seed S] [--verify-kernel ID2]"; }
[ $# -ge 3 ] || usage
ID=$1
shift
driver_args "$@"
shift "$DRV_ARGC"
case "$DRV" in
intree) NAME=durability-intree ;;
ours) NAME=durability ;;
*) usage ;;
esac
OUT=$1
shift
CUTS=3 BROKEN=0 SEED=${DUR_SEED:-} VERIFY_ID=''
while [ $# -gt 0 ]; do
	case "$1" in
	--verify-kernel) VERIFY_ID=$2; shift ;;
	--cuts) CUTS=$2; shift ;;
	--ack-early-cuts) BROKEN=$2; shift ;;
	--seed) SEED=$2; shift ;;
	*) usage ;;
	esac
	shift
done
[[ "$CUTS" =~ ^[0-9]+$ ]] && [[ "$BROKEN" =~ ^[0-9]+$ ]] || usage
[ "$BROKEN" -gt 0 ] && [ "$DRV" != ours ] && die "--ack-early-cuts needs --ours (the knob is ours)"
[ $((CUTS + BROKEN)) -ge 1 ] || die "nothing to do"
SEED=${SEED:-$(( $(date +%s%N) % 1000000007 ))}
[[ "$SEED" =~ ^[0-9]+$ ]] || die "--seed: '$SEED' is not a number"
DELAY_MIN_MS=${DUR_DELAY_MIN_MS:-500}
DELAY_SPAN_MS=${DUR_DELAY_SPAN_MS:-2500}
scenario_out "$OUT"

PMEM_SIZE=512M
PMEM_BYTES=$((512 * 1048576))
# must match tests/guest/durability.sh
FS_MB=128
RAW_OFF=$((256 * 1048576))
tool() { # tool NAME ENVVAR: the built helper
	local v=${!2:-}
	[ -n "$v" ] || { [ -x "$CACHE/tools/$1" ] && v=$CACHE/tools/$1; } || v=$TOP/tools/$1
	[ -x "$v" ] || die "$1 not built (make -C tools)"
	echo "$v"
}
DURWRITER=$(tool durwriter DURWRITER)
PMEMFUSE=$(tool pmemfuse PMEMFUSE)
command -v fusermount3 >/dev/null || die "fusermount3 missing (package fuse3, scripts/deps.sh)"
[ -c /dev/fuse ] || modprobe fuse 2>/dev/null || true
[ -c /dev/fuse ] || die "/dev/fuse missing (modprobe fuse)"
T0=$SECONDS

say "durability: kernel $ID, driver $DRV, $CUTS cuts + $BROKEN ack_early cuts, seed $SEED, output in $OUT"
echo "SEED $SEED"
"$TOP/scripts/initramfs.sh" "$ID" "$OUT/initramfs.cpio.gz" "${MODARGS[@]}" \
	--scenario "$TOP/tests/guest/durability.sh" --extra "$DURWRITER"
. "$OUT/initramfs.env"
if [ -z "${TIMEOUT:-}" ]; then
	if [ "$KIND" = test ]; then TIMEOUT=900; else TIMEOUT=300; fi
fi
WRITE_VMLINUZ=$VMLINUZ
VERIFY_VMLINUZ=$VMLINUZ VERIFY_INITRD=$OUT/initramfs.cpio.gz
if [ -n "$VERIFY_ID" ]; then
	if "$TOP/scripts/initramfs.sh" "$VERIFY_ID" "$OUT/verify.cpio.gz" \
		--scenario "$TOP/tests/guest/durability.sh" --extra "$DURWRITER"; then
		VERIFY_VMLINUZ=$(. "$OUT/verify.env" && echo "$VMLINUZ") VERIFY_INITRD=$OUT/verify.cpio.gz
		say "last check boot: $VERIFY_ID"
	else
		warn "--verify-kernel $VERIFY_ID not available: the last check boot runs $ID"
		VERIFY_ID=''
	fi
fi

# --- the FUSE mount, cleaned up whatever happens -----------------------------
MNT=$OUT/fuse
FUSEPID='' VMPID='' QPIDFILE=''
mkdir -p "$MNT"
cleanup() {
	local q
	if [ -n "$VMPID" ] && kill -0 "$VMPID" 2>/dev/null; then
		q=$(cat "$QPIDFILE" 2>/dev/null || true)
		[ -n "$q" ] && kill -9 "$q" 2>/dev/null || true
		wait "$VMPID" 2>/dev/null || true
	fi
	if mountpoint -q "$MNT"; then
		fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -u -z "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true
	fi
	if [ -n "$FUSEPID" ]; then
		kill "$FUSEPID" 2>/dev/null || true
		wait "$FUSEPID" 2>/dev/null || true
	fi
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fuse_start() { # fuse_start DIR: fresh durable image, mounted at $MNT
	local d=$1 n=0
	mountpoint -q "$MNT" && die "$MNT is still mounted"
	rm -f "$d/durable.img" "$d/volatile.img"
	truncate -s $PMEM_BYTES "$d/durable.img"
	"$PMEMFUSE" "$MNT" --durable "$d/durable.img" --volatile "$d/volatile.img" \
		--stats "$d/fuse-stats.txt" 2>"$d/fuse.log" &
	FUSEPID=$!
	until mountpoint -q "$MNT" && [ -e "$MNT/pmem.img" ]; do
		n=$((n + 1))
		[ $n -lt 100 ] && kill -0 "$FUSEPID" 2>/dev/null ||
			die "pmemfuse did not mount $MNT: $(cat "$d/fuse.log")"
		sleep 0.1
	done
}

fuse_stop() { # fuse_stop: unmount; the daemon writes its stats and exits
	local n=0
	while mountpoint -q "$MNT" && ! fusermount3 -u "$MNT" 2>/dev/null; do
		n=$((n + 1))
		[ $n -lt 50 ] || { fusermount3 -u -z "$MNT" || true; break; }
		sleep 0.1
	done
	wait "$FUSEPID" 2>/dev/null || true
	FUSEPID=''
	! mountpoint -q "$MNT"
}

# join_retries: "; " and the boots that were retried (tcg_int3_oops), if any
join_retries() {
	[ ${#retries[@]} -gt 0 ] || return 0
	local IFS=';'
	echo "; ${retries[*]}" | cut -c1-300
}
stat_of() { awk -v k="$2" '$1 == k {print $2; exit}' "$1" 2>/dev/null; }

# fuse_model: the file system itself, before any boot: through a shared
# mapping as QEMU uses it, a page written and fsynced is durable; a page
# written back to the daemon but not fsynced, and a page still dirty in the
# host page cache, are not; after the cut a write and an fsync fail and
# nothing reaches the durable image; the process named in the cut is killed
fuse_model() {
	local d=$OUT/fuse-model out got
	mkdir -p "$d"
	fuse_start "$d"
	out=$(python3 - "$MNT/pmem.img" "$MNT/ctl" 2>&1 <<'EOF'
import errno, mmap, os, signal, sys, time
img, ctl = sys.argv[1], sys.argv[2]
fd = os.open(img, os.O_RDWR)
m = mmap.mmap(fd, 1 << 20, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
m[0:8] = b"SYNCED01"
os.fsync(fd)                    # what QEMU's flush handler does
m[4096:4104] = b"WRITTEN1"
os.sync()                       # written back to the daemon, no fsync
m[8192:8200] = b"DIRTYPC1"      # dirty in the host page cache only
child = os.fork()
if child == 0:
    time.sleep(60)
    os._exit(0)
with open(ctl, "w") as c:
    c.write("cut %d" % child)
_, st = os.waitpid(child, 0)
print("child", "SIGKILL" if os.WIFSIGNALED(st) and os.WTERMSIG(st) == signal.SIGKILL else "alive")
for what, op in (("fsync", lambda: os.fsync(fd)),
                 ("write", lambda: os.pwrite(fd, b"AFTERCUT", 12288))):
    try:
        op()
        print(what, "succeeded")
    except OSError as e:
        print(what, errno.errorcode.get(e.errno, e.errno))
EOF
)
	fuse_stop || true
	got=$(for o in 0 4096 8192 12288; do dd if="$d/durable.img" bs=1 skip=$o count=8 status=none | tr -d '\0'; echo -n "|"; done)
	echo "fuse model: $(echo $out) durable: $got syncs $(stat_of "$d/fuse-stats.txt" syncs) written $(stat_of "$d/fuse-stats.txt" bytes_written)"
	if [ "$got" = "SYNCED01||||" ] && [ "$(echo $out)" = "child SIGKILL fsync EIO write EIO" ] &&
		[ "$(stat_of "$d/fuse-stats.txt" syncs)" = 1 ]; then
		MODEL="PASS fsynced page durable; written-back-unsynced, page-cache-dirty and after-cut writes not; fsync/write after the cut EIO; cut process SIGKILLed"
	else
		MODEL="FAIL durable image has '$got' at 0/4096/8192/12288 (want SYNCED01 only), after the cut: $(echo $out | cut -c1-120)"
	fi
	rm -f "$d/durable.img" "$d/volatile.img"
}
fuse_model

# --- the boots ---------------------------------------------------------------
RANDOM=$SEED
NBOOTS=$((CUTS + BROKEN + 1))
RAWN=(1 16 1 16)
FSN=(1 16 16 1)
declare -A BROKEN_CUT RUNID NRAW NFS REGION
tot_raw_checked=0 tot_raw_lost=0 tot_fs_checked=0 tot_fs_lost=0
bad_raw=() bad_fs=() bad_fsck=() bad_dmesg=() retries=()
br_raw_checked=0 br_raw_lost=0 br_fs_checked=0 br_fs_lost=0 br_bad=()
fsck_recovered=0 fsck_clean=0 tot_syncs=0
: >"$OUT/cuts.txt"

for ((k = 1; k <= NBOOTS; k++)); do
	D=$OUT/boot$k
	rm -rf "$D"
	mkdir -p "$D"
	tb=$SECONDS
	append=''
	writes=0
	if [ $k -le $((CUTS + BROKEN)) ]; then
		writes=1
		RUNID[$k]=$((SEED % 100000 * 1000 + k))
		NRAW[$k]=${RAWN[$(((k - 1) % 4))]}
		NFS[$k]=${FSN[$(((k - 1) % 4))]}
		REGION[$k]=$(((PMEM_BYTES - RAW_OFF) / NRAW[$k] / 4096 * 4096))
		BROKEN_CUT[$k]=0
		[ $k -gt "$CUTS" ] && BROKEN_CUT[$k]=1
		append="dur_run=${RUNID[$k]} dur_raw=${NRAW[$k]} dur_fs=${NFS[$k]} dur_ack_early=${BROKEN_CUT[$k]}"
		delay_ms=$((DELAY_MIN_MS + (RANDOM * 32768 + RANDOM) % (DELAY_SPAN_MS + 1)))
	fi
	p=$((k - 1))
	if [ $p -ge 1 ]; then
		append="$append dur_chk_run=${RUNID[$p]} dur_chk_fs=${NFS[$p]} dur_chk_acked=$(cat "$OUT/boot$p/fs-acked.txt")"
	fi
	# one more try when the kernel died before the scenario started and
	# before any virtio-pmem driver line (under TCG on a loaded host:
	# "IO-APIC + timer doesn't work!" panics at 0.07 s), or of an int3
	# Oops in core kernel text at any point (tcg_int3_oops); the boot
	# starts over (fresh pmem image, the previous cut's file system copied
	# again), the first attempt's log is kept as serial.try1.log and named
	# in the CUT line and the dmesg-clean result
	retried=''
	for try in 1 2; do
		[ $p -ge 1 ] && cp --sparse=always "$OUT/boot$p/chk.img" "$D/nvme1.img"
		fuse_start "$D"
		: >"$D/ack.log"
		QPIDFILE=$D/qemu.pid
		say "boot $k/$NBOOTS: ${append:-verify only}"
		kernel=$WRITE_VMLINUZ initrd=$OUT/initramfs.cpio.gz
		[ $writes = 0 ] && kernel=$VERIFY_VMLINUZ initrd=$VERIFY_INITRD
		"$TOP/scripts/vm.sh" --kernel "$kernel" --initrd "$initrd" \
			--log "$D/serial.log" --rundir "$D" --pmem-img "$MNT/pmem.img" --pmem-size $PMEM_SIZE --nvme 1 \
			--append "$append" --timeout "$TIMEOUT" \
			-- -chardev "file,id=ack,path=$D/ack.log" -serial chardev:ack -pidfile "$QPIDFILE" \
			>"$D/vm.log" 2>&1 &
		VMPID=$!
		cut=no started=no
		if [ $writes = 1 ]; then
			# both writer sets have a first acknowledged record (so neither
			# check can be empty), then the random delay, then the cut
			until grep -aq '^A r ' "$D/ack.log" && grep -aq '^A f ' "$D/ack.log"; do
				kill -0 "$VMPID" 2>/dev/null || break
				[ $((SECONDS - tb)) -lt "$TIMEOUT" ] || break
				sleep 0.1
			done
			if grep -aq '^A r ' "$D/ack.log" && grep -aq '^A f ' "$D/ack.log"; then
				started=yes
				sleep "$(awk -v ms="$delay_ms" 'BEGIN {printf "%.3f", ms / 1000}')"
				if kill -0 "$VMPID" 2>/dev/null && echo "cut $(cat "$QPIDFILE")" >"$MNT/ctl"; then
					cut=yes
				fi
			fi
		fi
		rc=0
		wait "$VMPID" || rc=$?
		VMPID=''
		unmounted=yes
		fuse_stop || unmounted=no
		tr -d '\r' <"$D/serial.log" >"$D/serial.clean.log"
		[ $try = 2 ] && break
		if int3=$(tcg_int3_oops "$D/serial.clean.log"); then
			why="the kernel died of $int3"
		elif grep -aq 'INIT: SCENARIO-START' "$D/serial.clean.log"; then
			break
		elif grep -aqE 'nd_virtio|virtio_pmem' "$D/serial.clean.log"; then
			# a crash in (or after) the driver's probe is not retried
			break
		else
			why="first boot never reached the scenario: $(grep -a -m1 -E "$KERNEL_REPORT_RE" "$D/serial.clean.log" | cut -c1-100 || true)"
		fi
		retried=" (retried: $why)"
		retries+=("boot $k retried: $why")
		mv "$D/serial.clean.log" "$D/serial.try1.log"
		say "boot $k: never reached the scenario, booting once more"
		tb=$SECONDS
	done
	syncs=$(stat_of "$D/fuse-stats.txt" syncs)
	tot_syncs=$((tot_syncs + ${syncs:-0}))
	line="boot $k: $((SECONDS - tb)) s$retried, QEMU rc $rc, fuse: syncs ${syncs:-?} written $(stat_of "$D/fuse-stats.txt" bytes_written) synced $(stat_of "$D/fuse-stats.txt" bytes_synced) discarded at the cut $(stat_of "$D/fuse-stats.txt" bytes_discarded), refused after it $(stat_of "$D/fuse-stats.txt" refused_writes) writes ($(stat_of "$D/fuse-stats.txt" bytes_refused) bytes) $(stat_of "$D/fuse-stats.txt" refused_syncs) syncs, unmounted $unmounted"

	# kernel reports (a cut boot has no final dmesg dump: its serial log is
	# searched as far as it got)
	grep -a -v -E '^(RESULT|DURCHK|DURINFO|INIT:) ' "$D/serial.clean.log" |
		grep -a -E "$KERNEL_REPORT_RE" >"$D/reports.txt" || true
	[ -s "$D/reports.txt" ] && bad_dmesg+=("boot $k: $(head -n1 "$D/reports.txt" | cut -c1-120)")
	[ "$unmounted" = yes ] || bad_dmesg+=("boot $k: FUSE mount did not go away")

	# the previous cut's ext4, checked by this boot's guest, then e2fsck -fn
	if [ $p -ge 1 ]; then
		chk=$(grep -ao 'DURCHK CHECK f .*' "$D/serial.clean.log" | head -n1 || true)
		fsc=$(sed -n 's/.*DURCHK CHECK f checked \([0-9]*\) .*/\1/p' <<<"$chk")
		fsl=$(sed -n 's/.*DURCHK CHECK f checked [0-9]* lost \([0-9]*\).*/\1/p' <<<"$chk")
		nacked=$(tr ',' '\n' <"$OUT/boot$p/fs-acked.txt" | awk '{s += $1 + 1} END {print s + 0}')
		why=
		grep -aq 'DURCHK mounted' "$D/serial.clean.log" ||
			why="not mounted: $(grep -ao 'DURCHK mount-failed.*' "$D/serial.clean.log" | head -n1 | cut -c1-120 || true)"
		[ -z "$why" ] && [ -z "$fsc" ] && why="no check result from boot $k"
		[ -z "$why" ] && [ "$fsc" != "$nacked" ] && why="guest checked $fsc records, the host has $nacked acknowledged"
		[ -z "$why" ] && [ "$fsc" = 0 ] && why="no ext4 record acknowledged before the cut"
		[ -z "$why" ] && ! grep -aq 'DURCHK unmounted' "$D/serial.clean.log" && why="not unmounted cleanly"
		# no check of its own: every acknowledged record counts as lost
		if [ -n "$why" ] && [ -z "$fsl" ]; then fsc=$nacked fsl=$nacked; fi
		fsck_out=$(e2fsck -fn "$D/nvme1.img" 2>&1) && fsck=clean || fsck="e2fsck rc $?: $(grep -v -E '^(e2fsck|Pass|/dev|.*files.*blocks)' <<<"$fsck_out" | head -n2 | tr '\n' ' ' | cut -c1-160)"
		echo "$fsck_out" >"$D/e2fsck.txt"
		grep -ao 'DURCHK LOST .*' "$D/serial.clean.log" | head -n 5 >"$D/fs-lost.txt" || true
		if [ "${BROKEN_CUT[$p]}" = 1 ]; then
			br_fs_checked=$((br_fs_checked + fsc))
			br_fs_lost=$((br_fs_lost + fsl))
		else
			tot_fs_checked=$((tot_fs_checked + fsc))
			tot_fs_lost=$((tot_fs_lost + fsl))
			[ -n "$why" ] && bad_fs+=("cut $p: $why")
			[ "$fsl" != 0 ] && bad_fs+=("cut $p: $fsl of $fsc acknowledged records lost ($(head -n1 "$D/fs-lost.txt" | sed 's/^DURCHK //'))")
			if [ "$fsck" = clean ]; then fsck_clean=$((fsck_clean + 1)); else bad_fsck+=("cut $p: $fsck"); fi
			[ "$(cat "$OUT/boot$p/needs-recovery.txt")" = yes ] && fsck_recovered=$((fsck_recovered + 1))
		fi
		echo "CUT $p ext4 (checked in boot $k after journal replay, recovery needed: $(cat "$OUT/boot$p/needs-recovery.txt")): checked ${fsc:-?} lost ${fsl:-?}${why:+ ($why)}; e2fsck -fn: $fsck" | tee -a "$OUT/cuts.txt"
		rm -f "$OUT/boot$p/chk.img"
	fi

	if [ $writes = 1 ]; then
		what="cut $k"
		[ "${BROKEN_CUT[$k]}" = 1 ] && what="cut $k (ack_early)"
		line="$line, delay ${delay_ms} ms, raw ${NRAW[$k]} fs ${NFS[$k]} writers, started $started, cut $cut"
		# raw: on the host, in the durable image
		"$DURWRITER" check --mode raw --path "$D/durable.img" --offset $RAW_OFF \
			--region "${REGION[$k]}" --threads "${NRAW[$k]}" --run "${RUNID[$k]}" \
			--acks "$D/ack.log" >"$D/raw-check.txt" 2>&1 || true
		rc_line=$(grep '^CHECK r ' "$D/raw-check.txt" || true)
		rcx=$(awk '{print $4}' <<<"$rc_line")
		rl=$(awk '{print $6}' <<<"$rc_line")
		why=
		[ "$started" = yes ] || why="writers never started (QEMU rc $rc; $(grep -ao 'RESULT dur-setup FAIL.*' "$D/serial.clean.log" | head -n1 | cut -c1-120 || true))"
		[ -z "$why" ] && [ "$cut" = no ] && why="no power cut (guest gone before the delay ran out)"
		[ -z "$why" ] && [ "$(stat_of "$D/fuse-stats.txt" cut)" != 1 ] && why="pmemfuse saw no cut"
		[ -z "$why" ] && [ -z "$rcx" ] && why="raw check failed: $(head -n1 "$D/raw-check.txt")"
		[ -z "$why" ] && [ "$rcx" = 0 ] && why="no raw record acknowledged before the cut"
		grep -aq 'RESULT dur-not-cut' "$D/serial.clean.log" && why="writers finished before the cut"
		if [ "${BROKEN_CUT[$k]}" = 1 ]; then
			br_raw_checked=$((br_raw_checked + ${rcx:-0}))
			br_raw_lost=$((br_raw_lost + ${rl:-0}))
			[ -n "$why" ] && br_bad+=("$what: $why")
			[ -z "$why" ] && [ "${rl:-0}" = 0 ] && br_bad+=("$what: 0 of $rcx acknowledged raw records lost")
		else
			tot_raw_checked=$((tot_raw_checked + ${rcx:-0}))
			tot_raw_lost=$((tot_raw_lost + ${rl:-0}))
			[ -n "$why" ] && bad_raw+=("$what: $why")
			[ "${rl:-0}" != 0 ] && bad_raw+=("$what: $rl of $rcx acknowledged records lost ($(grep -m1 '^LOST' "$D/raw-check.txt" || true))")
		fi
		echo "CUT $k raw: checked ${rcx:-?} lost ${rl:-?}${why:+ ($why)}; $line" | tee -a "$OUT/cuts.txt"
		# ext4: the durable file system goes to the next boot
		dd if="$D/durable.img" of="$D/chk.img" bs=1M count=$FS_MB conv=sparse status=none
		if dumpe2fs -h "$D/chk.img" 2>/dev/null | grep -q needs_recovery; then
			echo yes >"$D/needs-recovery.txt"
		else
			echo no >"$D/needs-recovery.txt"
		fi
		"$DURWRITER" acked --mode file --threads "${NFS[$k]}" --acks "$D/ack.log" >"$D/fs-acked.txt"
		rm -f "$D/volatile.img"
	else
		echo "VERIFY ${VERIFY_ID:-$ID} $line" | tee -a "$OUT/cuts.txt"
		emit_dmesg=$(dmesg_clean "$NAME-dmesg-clean" "$D/serial.clean.log" "$D/serial.clean.log" \
			'RESULT|DURCHK|DURINFO|INIT:' '' "no kernel reports in $NBOOTS boots$(join_retries)" "$D/dmesg-reports.txt")
	fi
	rm -f "$D/durable.img" "$D"/nvme[23].img
done

# --- results -----------------------------------------------------------------
: >"$OUT/results.txt"
join() { local IFS=';'; echo "$*" | cut -c1-300; }
W="writers (raw,ext4) per cut cycling (1,1) (16,16) (1,16) (16,1), seed $SEED"
if [ "$CUTS" -gt 0 ]; then
	if [ ${#bad_raw[@]} -eq 0 ]; then
		emit "$NAME-raw PASS $CUTS cuts, $tot_raw_checked acknowledged records checked in the durable image, 0 lost ($W)"
	else
		emit "$NAME-raw FAIL $(join "${bad_raw[@]}")"
	fi
	if [ ${#bad_fs[@]} -eq 0 ]; then
		emit "$NAME-ext4 PASS $CUTS cuts, $tot_fs_checked acknowledged records checked after journal replay by the guest kernel, 0 lost"
	else
		emit "$NAME-ext4 FAIL $(join "${bad_fs[@]}")"
	fi
	if [ ${#bad_fsck[@]} -eq 0 ] && [ "$fsck_clean" -eq "$CUTS" ]; then
		emit "$NAME-fsck PASS e2fsck -fn clean on all $CUTS replayed images ($fsck_recovered needed journal recovery)"
	else
		emit "$NAME-fsck FAIL $fsck_clean of $CUTS clean: $(join "${bad_fsck[@]}")"
	fi
fi
if [ "$BROKEN" -gt 0 ]; then
	if [ ${#br_bad[@]} -eq 0 ]; then
		emit "$NAME-ack-early PASS the oracle caught the broken driver: $br_raw_lost of $br_raw_checked acknowledged raw records lost in $BROKEN cuts (ext4: $br_fs_lost of $br_fs_checked)"
	else
		emit "$NAME-ack-early FAIL oracle did not catch ack_early: $(join "${br_bad[@]}")"
	fi
fi
emit "$NAME-fuse-model $MODEL"
if [ ${#bad_dmesg[@]} -gt 0 ]; then
	emit "$NAME-dmesg-clean FAIL $(join "${bad_dmesg[@]}")"
else
	emit "${emit_dmesg:-$NAME-dmesg-clean FAIL no verification boot}"
fi
echo "DURABILITY $ID $DRV cuts $CUTS raw_checked $tot_raw_checked raw_lost $tot_raw_lost fs_checked $tot_fs_checked fs_lost $tot_fs_lost fsck_clean $fsck_clean host_syncs $tot_syncs ack_early_cuts $BROKEN ack_early_raw_lost $br_raw_lost/$br_raw_checked ack_early_fs_lost $br_fs_lost/$br_fs_checked seconds $((SECONDS - T0)) seed $SEED"
results_summary "$ID $DRV durability" "$NBOOTS boots in $((SECONDS - T0)) s"
