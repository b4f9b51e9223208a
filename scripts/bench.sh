#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make bench` (BENCH=pmem): fsync-heavy fio workloads on virtio-pmem with
# the in-tree driver, with ours, and on virtio-blk, same stock kernel, same
# QEMU, same host file system, in one run.  One guest boot per column
# (one at a time); each boot has one device per backing-file shape and
# runs tests/guest/bench.sh, which runs every case on every device between
# PHASE markers.  A watcher notes the trace log's length, the time and the
# host load when each marker appears; scripts/bench-collect.py turns the
# boot's logs into JSON lines, scripts/bench-report.py into the report.
#
#   scripts/bench.sh
#
# Columns (BENCH_COLUMNS, in this order):
#   intree     virtio-pmem, the stock kernel's virtio_pmem + nd_virtio
#   ours       virtio-pmem, our modules (scripts/build.sh)
#   blk        virtio-blk-pci, -drive cache=writeback,aio=threads
#              (QEMU's default cache mode; BENCH_BLK_OPTS)
#   blk-tuned  virtio-blk-pci with an iothread, -drive cache=none,
#              aio=native (what a careful user sets; BENCH_TUNED_OPTS;
#              with aio=io_uring QEMU sends its flushes through io_uring,
#              which the fsync/fdatasync syscall count cannot see),
#              on BENCH_TUNED_SHAPES only
# Shapes (BENCH_SHAPES): the backing file of each device, on the host
# file system of results/ unless tmpfs:
#   sparse  created with truncate for every boot
#   full    written once with data (dd, conv=fsync) and read into the page
#           cache before every boot; shared by the columns
#   tmpfs   created with truncate in BENCH_TMPFS (/dev/shm) for every boot,
#           removed after it (fsync costs nothing there: the guest side's
#           own limit)
# Cases (BENCH_CASES, WL:REG:JOBS, see tests/guest/bench.sh): raw =
# O_DIRECT 4 KiB + fdatasync on the device; fs = 4 KiB + fsync on ext4
# (pmem -o dax, blk plain); uring = io_uring, iodepth BENCH_QD, fsync=1,
# O_DIRECT, on that ext4.  REG L = BENCH_REG_L MiB per job, fresh blocks;
# S = BENCH_REG_S MiB per job, written once before, rewritten.
#
# Environment (all optional; defaults: ~35 min under TCG on 2 cores):
#   BENCH_KERNEL       kernel id of scripts/matrix.conf       (stock-6.12)
#   BENCH_COLUMNS      subset of the columns            ("intree ours blk blk-tuned")
#   BENCH_SHAPES       subset of "sparse full tmpfs"    ("sparse full tmpfs")
#   BENCH_TUNED_SHAPES shapes of the blk-tuned column   ("sparse")
#   BENCH_CASES        cases, in order (default below; the full grid:
#                      every WL x {L,S} x {1,4,16})
#   BENCH_RUNTIME      seconds per fio run              (4)
#   BENCH_QD           io_uring depth                   (32)
#   BENCH_REG_L/_S     MiB per job                      (64 / 1)
#   BENCH_FS_MB        ext4 size at the start of each device (512)
#   BENCH_ROUNDS       boots per column, alternating    (3)
#   BENCH_TIMEOUT      seconds per guest boot           (computed)
#   BENCH_TMPFS        tmpfs directory for the tmpfs shape (/dev/shm)
#   BENCH_BLK_OPTS     -drive options of blk            (cache=writeback,aio=threads)
#   BENCH_TUNED_OPTS   -drive options of blk-tuned      (cache=none,aio=native)
#   BENCH_HOST_BATCHES host limit, see below ("1 4 16 64"; "" skips it)
#   ACCEL              kvm|tcg, see scripts/vm.sh
#
# Host limit (after the guests, no guest): fio on the host, one job, on a
# backing file of every shape (sparse: a new one per run), BENCH_RUNTIME s
# per run: 4 KiB stores into a MAP_SHARED mapping + msync every B writes
# (engine mmap: the virtio-pmem path, where QEMU fsyncs the file the
# guest's stores dirtied) and 4 KiB pwrite + fdatasync every B writes
# (psync: virtio-blk cache=writeback), B from BENCH_HOST_BATCHES: the
# host's cost per flush against the dirty pages it writes back.
#
# Output, TS the start time: results/bench-TS.jsonl (one line per run, see
# scripts/bench-collect.py), results/bench-TS.{txt,md,png} from
# scripts/bench-report.py, logs in results/bench-TS/.  Timings are reported,
# never asserted; the exit status is non-zero only when a run failed.
. "$(dirname "$0")/lib.sh"
set -eu

KERNEL_ID=${BENCH_KERNEL:-stock-6.12}
COLUMNS=${BENCH_COLUMNS:-intree ours blk blk-tuned}
SHAPES=${BENCH_SHAPES:-sparse full tmpfs}
TUNED_SHAPES=${BENCH_TUNED_SHAPES:-sparse}
CASES=${BENCH_CASES:-raw:L:1 raw:L:16 raw:S:16 fs:L:16 uring:L:16}
RUNTIME=${BENCH_RUNTIME:-4}
QD=${BENCH_QD:-32}
REG_L=${BENCH_REG_L:-64}
REG_S=${BENCH_REG_S:-1}
FS_MB=${BENCH_FS_MB:-512}
HOST_BATCHES=${BENCH_HOST_BATCHES-1 4 16 64}
ROUNDS=${BENCH_ROUNDS:-3}
TIMEOUT=${BENCH_TIMEOUT:-}
TMPFS=${BENCH_TMPFS:-/dev/shm}
BLK_OPTS=${BENCH_BLK_OPTS:-cache=writeback,aio=threads}
TUNED_OPTS=${BENCH_TUNED_OPTS:-cache=none,aio=native}
# first PCI slot of the bench devices on pcie.0 (vm.sh's own devices take
# the low ones)
SLOT0=16

T0=$(date +%s.%N)

# --- arguments -------------------------------------------------------------
[ $# -eq 0 ] || die "usage: $0 (no arguments; see the header for the BENCH_* variables)"
isnum() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1: '$2' is not a positive number"; }
isnum BENCH_RUNTIME "$RUNTIME"
isnum BENCH_QD "$QD"
isnum BENCH_REG_L "$REG_L"
isnum BENCH_REG_S "$REG_S"
isnum BENCH_FS_MB "$FS_MB"
isnum BENCH_ROUNDS "$ROUNDS"
for b in $HOST_BATCHES; do isnum BENCH_HOST_BATCHES "$b"; done
[ -z "$TIMEOUT" ] || isnum BENCH_TIMEOUT "$TIMEOUT"
for c in $COLUMNS; do
	case "$c" in intree|ours|blk|blk-tuned) ;; *) die "BENCH_COLUMNS: unknown column '$c'" ;; esac
done
for s in $SHAPES $TUNED_SHAPES; do
	case "$s" in sparse|full|tmpfs) ;; *) die "BENCH_SHAPES: unknown shape '$s'" ;; esac
done
CASES=$(echo "$CASES" | tr ',' ' ')
RAW_MB=0
for c in $CASES; do
	IFS=: read -r wl reg j <<<"$c"
	case "$wl:$reg" in raw:[LS]|fs:[LS]|uring:[LS]) ;; *) die "BENCH_CASES: '$c' is not WL:REG:JOBS (raw|fs|uring, L|S)" ;; esac
	[[ "$j" =~ ^[0-9]+$ ]] && [ "$j" -ge 1 ] && [ "$j" -le 256 ] || die "BENCH_CASES: '$c': jobs must be 1..256"
	if [ "$wl" = raw ]; then
		if [ "$reg" = L ]; then RAW_MB=$((RAW_MB + j * REG_L)); else RAW_MB=$((RAW_MB + j * REG_S)); fi
	fi
done
[ -n "$COLUMNS" ] && [ -n "$SHAPES" ] && [ -n "$CASES" ] || die "BENCH_COLUMNS, BENCH_SHAPES and BENCH_CASES must not be empty"
# device size: the file system, the raw areas, rounded up to 256 MiB
DEV_MB=$(((FS_MB + RAW_MB + 255) / 256 * 256))
CASES_ARG=$(echo "$CASES" | tr ' ' ',')

# shapes_of COLUMN: the shapes that column runs (BENCH_SHAPES order)
shapes_of() {
	local s out=
	for s in $SHAPES; do
		[ "$1" != blk-tuned ] || [[ " $TUNED_SHAPES " == *" $s "* ]] || continue
		out="$out $s"
	done
	echo "${out# }"
}
if [[ " $SHAPES " == *" tmpfs "* ]] || [[ " $COLUMNS " == *" blk-tuned "* && " $TUNED_SHAPES " == *" tmpfs "* ]]; then
	if [ "$(stat -f -c %T "$TMPFS" 2>/dev/null)" != tmpfs ]; then
		warn "BENCH_TMPFS=$TMPFS is not a tmpfs: the tmpfs shape is left out"
		SHAPES=$(echo " $SHAPES " | sed 's/ tmpfs / /g; s/^ *//; s/ *$//')
		TUNED_SHAPES=$(echo " $TUNED_SHAPES " | sed 's/ tmpfs / /g; s/^ *//; s/ *$//')
	fi
fi

NRUNS=0
for c in $COLUMNS; do
	n=$(shapes_of "$c" | wc -w)
	NRUNS=$((NRUNS + n * $(echo "$CASES" | wc -w)))
done
NRUNS=$((NRUNS * ROUNDS))

TS=$(date +%Y%m%d-%H%M%S)
RES=$TOP/results
RUN=$RES/bench-$TS
JSONL=$RES/bench-$TS.jsonl
mkdir -p "$RUN"
FAILURES=()
failure() {
	FAILURES+=("$*")
	printf 'BENCH FAILURE: %s\n' "$*" >&2
}

say "bench: kernel $KERNEL_ID, columns: $COLUMNS; shapes: $SHAPES (blk-tuned: $TUNED_SHAPES)"
say "bench: cases: $CASES; ${RUNTIME}s each, io_uring depth $QD, regions L ${REG_L} MiB / S ${REG_S} MiB per job"
say "bench: $NRUNS fio runs in $((ROUNDS * $(echo "$COLUMNS" | wc -w))) boots, devices of $DEV_MB MiB; results $JSONL, logs $RUN/"

# --- preparation -------------------------------------------------------------
say "step 1/5: host packages"
"$TOP/scripts/deps.sh"

say "step 2/5: Debian's fio for the guest (scripts/fio.sh)"
FIOROOT=$("$TOP/scripts/fio.sh")
FIOLIB=$("$TOP/scripts/fio.sh" --libpath)
FIOVER=$(cat "$(dirname "$FIOROOT")/ok")

say "step 3/5: kernel $KERNEL_ID and our modules (scripts/build.sh)"
eval "$("$TOP/scripts/kernels.sh" env "$KERNEL_ID")"
[ "$KIND" = stock ] || die "BENCH_KERNEL=$KERNEL_ID is a '$KIND' kernel: the in-tree driver needs a stock one"
OURS=$RUN/modules
ours_ok() {
	local m vm
	for m in nd_virtio virtio_pmem; do
		vm=$(modinfo -F vermagic "$OURS/$m.ko" 2>/dev/null | awk '{print $1}')
		[ "$vm" = "$KVER" ] || return 1
	done
}
if [[ " $COLUMNS " == *" ours "* ]]; then
	# scripts/build.sh builds in $CACHE/build/ID, which a concurrent build
	# of the same kernel shares: copy the modules out, check, retry
	for try in 1 2 3; do
		if out=$("$TOP/scripts/build.sh" "$KERNEL_ID" 2>"$RUN/build-ours.log"); then
			rm -rf "$OURS"
			mkdir -p "$OURS"
			cp "$out/nd_virtio.ko" "$out/virtio_pmem.ko" "$OURS/" 2>>"$RUN/build-ours.log" &&
				ours_ok && break
			echo "modules from $out missing or not for $KVER" >>"$RUN/build-ours.log"
		fi
		[ "$try" -lt 3 ] || { tail -n 20 "$RUN/build-ours.log" >&2; die "building our modules for $KERNEL_ID failed 3 times (log: $RUN/build-ours.log)"; }
		warn "building our modules failed (try $try/3): retrying in 30 s"
		sleep 30
	done
	say "kernel $KVER, our modules in $OURS (sha256 $(cat "$OURS"/*.ko | sha256sum | cut -c1-12))"
fi

{
	dirty=
	[ -z "$(git -C "$TOP" status --porcelain 2>/dev/null)" ] || dirty=", dirty"
	printf '# bench %s: kernel %s (%s), %s, %s; git %s%s\n' "$TS" "$KERNEL_ID" "$KVER" \
		"$(qemu_version)" "$FIOVER" \
		"$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo '?')" "$dirty"
	printf '# host: %s, %s cores, file system of results/: %s; blk: %s; blk-tuned: %s + iothread\n' \
		"$(uname -r)" "$(nproc)" "$(findmnt -no FSTYPE -T "$RUN" 2>/dev/null || stat -f -c %T "$RUN")" "$BLK_OPTS" "$TUNED_OPTS"
	printf '# cases %s, %ss each, QD %s, regions L %s MiB S %s MiB, devices %s MiB\n' \
		"$CASES_ARG" "$RUNTIME" "$QD" "$REG_L" "$REG_S" "$DEV_MB"
} >"$JSONL"

say "step 4/5: backing files"
FULL=$RUN/full.img
if [[ " $SHAPES " == *" full "* ]]; then
	say "full: writing $FULL ($DEV_MB MiB of data, conv=fsync)"
	dd if=/dev/zero of="$FULL" bs=1M count="$DEV_MB" conv=fsync status=none ||
		die "writing $FULL failed"
fi

# --- marker watcher ------------------------------------------------------------
# When a PHASE marker appears in the serial log: its name, the trace log's
# line count, the epoch time and the 1-minute load (late: after QEMU
# exited, the time is then useless for the perf counts).
scan_markers() { # scan_markers SERIAL TRACE MARKERS [late]
	local serial=$1 trace=$2 markers=$3 late=${4:-} m n
	for m in $(tr -d '\r' <"$serial" | grep -aoE 'PHASE [A-Za-z0-9-]+-(begin|end)' |
		sed 's/^PHASE //'); do
		grep -q "^$m " "$markers" && continue
		n=$(wc -l <"$trace")
		echo "$m $n $(date +%s.%N) $(cut -d' ' -f1 /proc/loadavg)${late:+ $late}" >>"$markers"
		[ -n "$late" ] || [[ "$m" != *-end ]] ||
			printf '    [%s] %s done (load %s)\n' "$(date -u +%H:%M:%S)" "${m%-end}" \
				"$(cut -d' ' -f1 /proc/loadavg)" >&2
	done
}
watch_markers() {
	while :; do
		scan_markers "$@"
		sleep 0.1
	done
}
WATCHER=
TMPFILES=()
cleanup() {
	[ -z "$WATCHER" ] || kill "$WATCHER" 2>/dev/null || true
	[ ${#TMPFILES[@]} -eq 0 ] || rm -f "${TMPFILES[@]}"
}
trap cleanup EXIT

# --- one boot per column ---------------------------------------------------------
run_column() { # run_column COLUMN ROUND
	local col=$1 round=$2 d=$RUN/$1 kind ia=() vmargs=() shapes devs='' runs='' s slot img
	local lbl=$col rc how t_boot timeout ncases
	[ "$ROUNDS" -eq 1 ] || { d=$RUN/$col.$round; lbl="$col (round $round)"; }
	mkdir -p "$d"
	shapes=$(shapes_of "$col")
	[ -n "$shapes" ] || return 0
	case "$col" in
	intree) kind=pmem; ia=(--intree) ;;
	ours) kind=pmem; ia=(--ours "$OURS") ;;
	blk|blk-tuned) kind=blk; ia=(--mod virtio_blk) ;;
	esac
	slot=$SLOT0
	[ "$col" != blk-tuned ] || vmargs+=(-- -object iothread,id=bio0)
	[ "$col" != blk ] || vmargs+=(--)
	for s in $shapes; do
		case "$s" in
		sparse) img=$d/sparse.img; rm -f "$img"; truncate -s "${DEV_MB}M" "$img" ;;
		full) img=$FULL; cat "$img" >/dev/null ;;
		tmpfs) img=$TMPFS/guestmem-bench-$TS-$col.img; TMPFILES+=("$img")
			rm -f "$img"; truncate -s "${DEV_MB}M" "$img" ;;
		esac
		devs="$devs,$s@$(printf '%02x' "$slot")"
		case "$col" in
		intree|ours) vmargs+=(--pmem-more "$img@$(printf '0x%02x' "$slot")") ;;
		blk) vmargs+=(-drive "file=$img,if=none,id=bd$slot,format=raw,$BLK_OPTS"
			-device "virtio-blk-pci,drive=bd$slot,bus=pcie.0,addr=$(printf '0x%02x' "$slot")") ;;
		blk-tuned) vmargs+=(-drive "file=$img,if=none,id=bd$slot,format=raw,$TUNED_OPTS"
			-device "virtio-blk-pci,drive=bd$slot,iothread=bio0,bus=pcie.0,addr=$(printf '0x%02x' "$slot")") ;;
		esac
		for c in $CASES; do
			IFS=: read -r wl reg j <<<"$c"
			runs="$runs,$s-$wl-$reg-t$j"
		done
		slot=$((slot + 1))
	done
	devs=${devs#,}
	runs=${runs#,}
	ncases=$(echo "$runs" | tr ',' '\n' | wc -l)
	timeout=${TIMEOUT:-$((300 + ncases * (RUNTIME + 40)))}
	say "$lbl: initramfs (log: $d/initramfs.log)"
	if ! "$TOP/scripts/initramfs.sh" "$KERNEL_ID" "$d/initramfs.cpio.gz" "${ia[@]}" \
		--scenario "$TOP/tests/guest/bench.sh" --sysroot "$FIOROOT" \
		--extra "$FIOROOT/usr/bin/fio" >"$d/initramfs.log" 2>&1; then
		tail -n 20 "$d/initramfs.log" >&2
		failure "$lbl: building the initramfs failed ($d/initramfs.log)"
		return
	fi
	local serial=$d/serial.log trace=$d/trace.log markers=$d/markers.txt clean=$d/serial.clean.log
	local traces=() attempt
	if [ "$kind" = pmem ]; then
		traces=(--trace virtio_pmem_flush_request --trace virtio_pmem_flush_done)
	else
		traces=(--trace virtio_blk_req_complete --trace virtio_blk_handle_write
			--trace virtio_blk_handle_read)
	fi
	# a boot that never reaches the scenario (TCG on an overloaded host
	# now and then panics with "IO-APIC + timer doesn't work!") is retried
	# once; the devices are untouched then
	for attempt in 1 2; do
		: >"$serial"
		: >"$trace"
		: >"$markers"
		t_boot=$(date +%s.%N)
		watch_markers "$serial" "$trace" "$markers" &
		WATCHER=$!
		say "$lbl: booting $KERNEL_ID, devices $devs, $ncases runs (timeout ${timeout}s; serial log $serial)"
		rc=0
		nice -n 10 "$TOP/scripts/vm.sh" --kernel "$VMLINUZ" --initrd "$d/initramfs.cpio.gz" \
			--log "$serial" --rundir "$d" --pmem-size 16M \
			"${traces[@]}" --trace-log "$trace" --trace-time --syscall-counts "$d/syscalls.csv" \
			--append "bench_kind=$kind bench_devs=$devs bench_cases=$CASES_ARG bench_runtime=$RUNTIME bench_qd=$QD bench_fs_mb=$FS_MB bench_reg_l=$REG_L bench_reg_s=$REG_S" \
			--timeout "$timeout" "${vmargs[@]}" || rc=$?
		kill "$WATCHER" 2>/dev/null || true
		wait "$WATCHER" 2>/dev/null || true
		WATCHER=
		scan_markers "$serial" "$trace" "$markers" late
		grep -aq 'INIT: SCENARIO-START' "$serial" || [ "$attempt" -eq 2 ] || {
			warn "$lbl: the guest did not reach the benchmark ($(tr -d '\r' <"$serial" | grep -a -m1 -E 'panic|BUG:' | cut -c1-120)): booting once more"
			cp "$serial" "$d/serial.attempt$attempt.log"
			continue
		}
		break
	done
	rm -f "$d"/*.img
	for s in $shapes; do
		[ "$s" != tmpfs ] || rm -f "$TMPFS/guestmem-bench-$TS-$col.img"
	done
	tr -d '\r' <"$serial" >"$clean"
	say "$lbl: guest ran $(elapsed "$t_boot")s (QEMU rc=$rc)"
	grep -a '^BENCHINFO ' "$clean" | sed 's/^/    /' >&2 || true
	if [ "$rc" -eq 124 ]; then
		how="guest TIMEOUT: QEMU killed after ${timeout}s"
	elif [ "$rc" -ne 0 ]; then
		how="QEMU exited with status $rc"
	else
		how="QEMU exited normally"
	fi
	rm -f "$d/initramfs.cpio.gz"
	if ! grep -aq '^INIT: SCENARIO-START' "$clean"; then
		failure "$lbl: the guest never reached the benchmark; $how (serial log $serial)"
		return
	elif ! grep -aq '^BENCH-DONE ' "$clean"; then
		failure "$lbl: the guest did not finish the benchmark; $how (serial log $serial)"
	elif [ "$rc" -ne 0 ]; then
		failure "$lbl: $how after the benchmark (serial log $serial)"
	fi
	while read -r line; do
		failure "$lbl: guest: ${line#BENCHFAIL }"
	done < <(grep -a '^BENCHFAIL ' "$clean" || true)
	local recs=$d/records.jsonl
	python3 "$TOP/scripts/bench-collect.py" --serial "$clean" --markers "$markers" \
		--trace "$trace" --perf "$d/syscalls.csv" --column "$col" --kind "$kind" \
		--round "$round" --runs "$runs" >"$recs" 2>"$d/collect.err" || true
	while read -r line; do
		failure "$lbl: ${line#PROBLEM }"
	done < <(grep '^PROBLEM ' "$d/collect.err" || true)
	grep -v '^PROBLEM ' "$d/collect.err" >&2 || true
	cat "$recs" >>"$JSONL"
	python3 - "$recs" <<'EOF' >&2
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    hs = r.get("host_syncs")
    s = r["syncs"] or 1
    print("    %-9s %-6s %-5s %s x%-2d %8.1f syncs/s  p50 %7.0fus p99 %7.0fus  dev flushes/sync %.3f  host syncs/sync %s" % (
        r["column"], r["shape"], r["workload"], r["region"], r["jobs"], r["syncs_per_s"] or 0,
        r["sync_p50_us"] or 0, r["sync_p99_us"] or 0, r["dev_flushes"] / s,
        "n/a" if hs is None else "%.3f" % (hs / s)))
EOF
	# the trace log of a virtio-blk boot has a line per request
	gzip -f "$trace" 2>/dev/null || true
	sed -n '/^===DMESG-BEGIN===/,/^===DMESG-END===/p' "$clean" |
		grep -a -E 'BUG:|WARNING:|Oops|Call Trace:|hung_task|blocked for more than' \
		>"$d/dmesg-reports.txt" || true
	if [ -s "$d/dmesg-reports.txt" ]; then
		warn "$lbl: kernel reports in the guest dmesg ($d/dmesg-reports.txt): $(head -n1 "$d/dmesg-reports.txt" | cut -c1-160)"
	fi
}

say "step 5/5: guest runs, one boot per column and round ($ROUNDS round(s))"
for ((round = 1; round <= ROUNDS; round++)); do
	for col in $COLUMNS; do
		say "round $round/$ROUNDS: $col ($(elapsed)s so far)"
		run_column "$col" "$round"
	done
done
# --- host limit --------------------------------------------------------------------
# host_run ENGINE SHAPE BATCH FILE: one host fio run, one JSON line
host_run() {
	local eng=$1 shape=$2 b=$3 file=$4 out=$RUN/host/$1-$2-b$3.json sync=--fdatasync=$3
	[ "$eng" != mmap ] || sync=--fsync=$b
	LD_LIBRARY_PATH=$FIOLIB nice -n 10 "$FIOROOT/usr/bin/fio" \
		--name="host-$eng-$shape-b$b" --filename="$file" --ioengine="$eng" --rw=write \
		--bs=4k --size="${HOST_MB}M" --time_based --runtime="$RUNTIME" "$sync" \
		--output-format=json --output="$out" >"$out.log" 2>&1 ||
		{ failure "host fio $eng $shape batch $b failed ($out.log)"; return; }
	python3 - "$out" "$eng" "$shape" "$b" <<'EOF' >>"$JSONL" || failure "host fio $eng $shape batch $b: unreadable JSON ($out)"
import json, sys
out, eng, shape, b = sys.argv[1:]
j = json.load(open(out))["jobs"][0]
w, lat = j["write"], j["sync"]["lat_ns"]
sec = w["runtime"] / 1000.0
pc = lat.get("percentile") or {}
rec = {"column": "host-" + eng, "kind": "host", "shape": shape, "workload": "host",
       "region": "L", "jobs": 1, "batch": int(b), "syncs": lat["N"], "seconds": sec,
       "syncs_per_s": lat["N"] / sec, "writes": w["total_ios"],
       "writes_per_s": w["total_ios"] / sec,
       "sync_p50_us": pc.get("50.000000", 0) / 1000.0,
       "sync_p99_us": pc.get("99.000000", 0) / 1000.0}
print(json.dumps(rec, separators=(",", ":")))
print("    host %-5s %-6s batch %-3s %7.0f flushes/s  p50 %7.0fus p99 %7.0fus  %7.0f writes/s" % (
    eng, shape, b, rec["syncs_per_s"], rec["sync_p50_us"], rec["sync_p99_us"],
    rec["writes_per_s"]), file=sys.stderr)
EOF
}
# file size: larger than a run writes, so sparse runs never wrap
HOST_MB=1024
if [ -n "$HOST_BATCHES" ]; then
	say "host limit: fio on the host, 1 job, mmap+msync and pwrite+fdatasync every B writes (B = $HOST_BATCHES), ${RUNTIME}s each"
	mkdir -p "$RUN/host"
	for s in $SHAPES; do
		case "$s" in
		sparse) f=$RUN/host/sparse.img ;;
		full) f=$RUN/host/full.img
			dd if=/dev/zero of="$f" bs=1M count="$HOST_MB" conv=fsync status=none ;;
		tmpfs) f=$TMPFS/guestmem-bench-$TS-host.img; TMPFILES+=("$f") ;;
		esac
		for eng in mmap psync; do
			for b in $HOST_BATCHES; do
				# sparse and tmpfs: a new file, every write to a fresh block
				[ "$s" = full ] || { rm -f "$f"; truncate -s "${HOST_MB}M" "$f"; }
				host_run "$eng" "$s" "$b" "$f"
			done
		done
		rm -f "$f"
	done
fi
rm -f "$FULL"

# --- report ------------------------------------------------------------------------
if grep -q '^{' "$JSONL"; then
	say "report: scripts/bench-report.py $JSONL"
	python3 "$TOP/scripts/bench-report.py" "$JSONL" || failure "scripts/bench-report.py failed"
else
	failure "no benchmark results at all"
fi

say "bench: total wall time $(elapsed)s; results $JSONL, logs $RUN/"
if [ ${#FAILURES[@]} -gt 0 ]; then
	printf 'BENCH FAILED (%d problems):\n' "${#FAILURES[@]}" >&2
	printf '  - %s\n' "${FAILURES[@]}" >&2
	exit 1
fi
say "bench: all runs completed"
