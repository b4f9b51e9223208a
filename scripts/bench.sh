#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: flush throughput of our virtio-pmem driver vs the in-tree one
# on the same stock kernel and the same QEMU machine (scripts/vm.sh), in one
# run.  Two guest boots (in-tree modules, then ours), one at a time; each
# runs tests/guest/bench.sh, which for every workload (raw, fs) and writer
# count runs `pmemtool writers ... --json` between PHASE markers.  A watcher
# notes how many virtio_pmem_flush_request trace events QEMU has logged when
# each marker appears, which gives the host flushes of every run.
#
#   scripts/bench.sh
#
# Environment (all optional):
#   BENCH_KERNEL     kernel id of scripts/matrix.conf     (stock-6.12)
#   BENCH_THREADS    writer counts                         ("1 4 16")
#   BENCH_WORKLOADS  subset of "raw fs"                    ("raw fs")
#   BENCH_COUNT      writes+syncs per writer, every run    (per-run default:
#                    raw ceil(2400/threads), fs min(300, ceil(2400/threads)))
#   BENCH_TIMEOUT    seconds per guest boot                (1800)
#   BENCH_ROUNDS     boots per driver, alternating in-tree and ours; the
#                    report averages the rounds (3: single TCG runs vary by ±25 %)
#   ACCEL            kvm|tcg, see scripts/vm.sh
#
# Output, with TS the start time: results/bench-TS.jsonl (one line per run:
# pmemtool's JSON plus driver, workload, threads, host_flushes and, for our
# driver, guest_requests/guest_callers/guest_coalesced), results/bench-TS.txt
# and .png from scripts/bench-report.py, logs in results/bench-TS/.
# Timings are reported, never asserted; the exit status is non-zero only
# when a run failed (guest timeout or crash, setup error, pmemtool error,
# missing markers).
. "$(dirname "$0")/lib.sh"
set -eu

KERNEL_ID=${BENCH_KERNEL:-stock-6.12}
THREADS=${BENCH_THREADS:-1 4 16}
WORKLOADS=${BENCH_WORKLOADS:-raw fs}
COUNT=${BENCH_COUNT:-}
TIMEOUT=${BENCH_TIMEOUT:-1800}
ROUNDS=${BENCH_ROUNDS:-3}
DRIVERS="intree ours"
PMEM_SIZE=1G
# default run sizes: about 3-5 s per run with the in-tree driver under TCG
RAW_SYNCS=2400
FS_SYNCS=2400
FS_MAX_COUNT=300

T0=$(date +%s.%N)

# --- arguments -------------------------------------------------------------
[ $# -eq 0 ] || die "usage: $0 (no arguments; see the header for the BENCH_* variables)"
for t in $THREADS; do
	[[ "$t" =~ ^[0-9]+$ ]] && [ "$t" -ge 1 ] && [ "$t" -le 1024 ] ||
		die "BENCH_THREADS: '$t' is not a writer count (1..1024)"
done
[ -z "$COUNT" ] || [[ "$COUNT" =~ ^[1-9][0-9]*$ ]] || die "BENCH_COUNT: '$COUNT' is not a positive number"
[[ "$TIMEOUT" =~ ^[1-9][0-9]*$ ]] || die "BENCH_TIMEOUT: '$TIMEOUT' is not a number of seconds"
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS: '$ROUNDS' is not a positive number"
# raw runs first: they write over the start of the device, where the guest
# makes the file system for the fs runs
WL_ORDER=
for w in raw fs; do
	case " $WORKLOADS " in *" $w "*) WL_ORDER="$WL_ORDER $w" ;; esac
done
for w in $WORKLOADS; do
	case "$w" in raw|fs) ;; *) die "BENCH_WORKLOADS: unknown workload '$w' (raw, fs)" ;; esac
done
[ -n "$WL_ORDER" ] || die "BENCH_WORKLOADS is empty"
[ -n "$THREADS" ] || die "BENCH_THREADS is empty"

count_for() { # count_for WORKLOAD THREADS: writes+syncs per writer
	local wl=$1 t=$2 c
	if [ -n "$COUNT" ]; then
		echo "$COUNT"
		return
	fi
	case "$wl" in
	raw) c=$(((RAW_SYNCS + t - 1) / t)) ;;
	fs)
		c=$(((FS_SYNCS + t - 1) / t))
		[ "$c" -le "$FS_MAX_COUNT" ] || c=$FS_MAX_COUNT
		;;
	esac
	echo "$c"
}

# the plan: "wl:threads:count" items, in run order
PLAN=()
for w in $WL_ORDER; do
	for t in $THREADS; do
		PLAN+=("$w:$t:$(count_for "$w" "$t")")
	done
done
PLAN_ARG=$(IFS=,; echo "${PLAN[*]}")

TS=$(date +%Y%m%d-%H%M%S)
RES=$TOP/results
RUN=$RES/bench-$TS
JSONL=$RES/bench-$TS.jsonl
mkdir -p "$RUN"
FAILURES=()
failure() { # failure MESSAGE: remember and show a failed step
	FAILURES+=("$*")
	printf 'BENCH FAILURE: %s\n' "$*" >&2
}

say "bench: kernel $KERNEL_ID, drivers: $DRIVERS, plan: ${PLAN[*]}"
say "bench: results $JSONL, logs in $RUN/"

# --- preparation -----------------------------------------------------------
say "step 1/4: host packages"
"$TOP/scripts/deps.sh"

say "step 2/4: static pmemtool (log: $RUN/pmemtool-build.log)"
make -C "$TOP/tools" O="$RUN/tools" >"$RUN/pmemtool-build.log" 2>&1 ||
	{ tail -n 20 "$RUN/pmemtool-build.log" >&2; die "building tools/pmemtool failed"; }
PMEMTOOL=$RUN/tools/pmemtool

say "step 3/4: kernel $KERNEL_ID and our modules (scripts/build.sh)"
eval "$("$TOP/scripts/kernels.sh" env "$KERNEL_ID")"
[ "$KIND" = stock ] || die "BENCH_KERNEL=$KERNEL_ID is a '$KIND' kernel: the in-tree driver needs a stock one"
# scripts/build.sh builds in $CACHE/build/ID, which a concurrent build of
# the same kernel (make check, make lint) shares: copy the modules out at
# once, check them, and retry when a concurrent build got in the way.
OURS=$RUN/modules
ours_ok() {
	local m vm
	for m in nd_virtio virtio_pmem; do
		vm=$(modinfo -F vermagic "$OURS/$m.ko" 2>/dev/null | awk '{print $1}')
		[ "$vm" = "$KVER" ] || return 1
	done
}
for try in 1 2 3; do
	if out=$("$TOP/scripts/build.sh" "$KERNEL_ID" 2>"$RUN/build-ours.log"); then
		rm -rf "$OURS"
		mkdir -p "$OURS"
		cp "$out/nd_virtio.ko" "$out/virtio_pmem.ko" "$OURS/" 2>>"$RUN/build-ours.log" &&
			ours_ok && break
		echo "modules from $out missing or not for $KVER" >>"$RUN/build-ours.log"
	fi
	[ "$try" -lt 3 ] || { tail -n 20 "$RUN/build-ours.log" >&2; die "building our modules for $KERNEL_ID failed 3 times (log: $RUN/build-ours.log)"; }
	warn "building our modules failed (try $try/3; a concurrent scripts/build.sh $KERNEL_ID, e.g. from make check or make lint, shares $CACHE/build/$KERNEL_ID): retrying in 30 s"
	sleep 30
done
say "kernel $KVER, our modules copied to $OURS (sha256 $(cat "$OURS"/*.ko | sha256sum | cut -c1-12))"

{
	printf '# bench %s: kernel %s (%s), %s, plan %s\n' "$TS" "$KERNEL_ID" "$KVER" \
		"$(qemu-system-x86_64 --version | head -n1)" "$PLAN_ARG"
	dirty=
	[ -z "$(git -C "$TOP" status --porcelain 2>/dev/null)" ] || dirty=", dirty"
	printf '# ours: %s (git %s%s)\n' "$OURS" \
		"$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo '?')" "$dirty"
} >"$JSONL"

# --- marker watcher ----------------------------------------------------------
# When a PHASE marker (or the scenario start) appears in the serial log,
# note how many flush requests the trace log holds at that moment:
#   MARKER COUNT SECONDS-SINCE-BOOT [late]
# The guest sleeps 2 s after each marker (common.sh phase), which leaves the
# watcher (polling every 0.1 s) the time to sample before the run starts.
scan_markers() { # scan_markers SERIAL TRACE MARKERS VM_T0 [late]
	local serial=$1 trace=$2 markers=$3 vm_t0=$4 late=${5:-} m n
	for m in $(tr -d '\r' <"$serial" |
		grep -aoE 'PHASE [a-z0-9-]+-(begin|end)|INIT: SCENARIO-START' |
		sed -e 's/^PHASE //' -e 's/^INIT: SCENARIO-START$/scenario-start/'); do
		grep -q "^$m " "$markers" && continue
		n=$(grep -c virtio_pmem_flush_request "$trace" || true)
		echo "$m $n $(elapsed "$vm_t0")${late:+ $late}" >>"$markers"
		[ -n "$late" ] || printf '    [%6.1fs] %-18s host flushes so far %s\n' \
			"$(elapsed "$vm_t0")" "$m" "$n" >&2
	done
}

watch_markers() {
	while :; do
		scan_markers "$@"
		sleep 0.1
	done
}

WATCHER=
cleanup() {
	[ -z "$WATCHER" ] || kill "$WATCHER" 2>/dev/null || true
}
trap cleanup EXIT

# --- one boot per driver ------------------------------------------------------
# stat_delta PHASE COUNTER: our driver's counter at PHASE-end minus -begin
stat_delta() {
	local b e
	b=$(awk -v p="$1-begin" -v c="$2" '$1 == "STATP" && $2 == p && $3 == c {print $4; exit}' "$CLEAN")
	e=$(awk -v p="$1-end" -v c="$2" '$1 == "STATP" && $2 == p && $3 == c {print $4; exit}' "$CLEAN")
	[[ "$b" =~ ^[0-9]+$ ]] && [[ "$e" =~ ^[0-9]+$ ]] && echo $((e - b))
	return 0
}
marker_field() { # marker_field MARKER FIELD(2=count, 4=late)
	awk -v m="$1" -v f="$2" '$1 == m {print $f; exit}' "$MARKERS"
}

# merge JSON ROUND DRIVER WORKLOAD THREADS HOST_FLUSHES [REQ CALLERS COALESCED]:
# pmemtool's line with our fields added (python3: the tool's only check that
# the guest line is valid JSON)
merge_json() {
	python3 - "$@" <<'EOF'
import json, sys
a = sys.argv[1:]
rec = json.loads(a[0])
if not isinstance(rec, dict) or not rec.get("ok"):
    sys.exit("pmemtool reported ok=false")
rec.update(driver=a[2], workload=a[3], threads=int(a[4]), host_flushes=int(a[5]),
           round=int(a[1]))
for key, val in zip(("guest_requests", "guest_callers", "guest_coalesced"), a[6:]):
    if val != "":
        rec[key] = int(val)
print(json.dumps(rec, separators=(",", ":")))
EOF
}

run_driver() { # run_driver intree|ours ROUND
	local drv=$1 round=$2 d=$RUN/$1 modargs rc how finished item wl t c line st json nb ne hf req cal coa merged note
	local t_boot
	local lbl=$drv
	[ "$ROUNDS" -eq 1 ] || { d=$RUN/$drv.$round; lbl="$drv (round $round)"; }
	mkdir -p "$d"
	case "$drv" in
	intree) modargs=(--intree) ;;
	ours) modargs=(--ours "$OURS") ;;
	esac
	say "$lbl: initramfs (log: $d/initramfs.log)"
	if ! "$TOP/scripts/initramfs.sh" "$KERNEL_ID" "$d/initramfs.cpio.gz" "${modargs[@]}" \
		--scenario "$TOP/tests/guest/bench.sh" --extra "$PMEMTOOL" >"$d/initramfs.log" 2>&1; then
		tail -n 20 "$d/initramfs.log" >&2
		failure "$lbl: building the initramfs failed ($d/initramfs.log)"
		return
	fi
	SERIAL=$d/serial.log
	TRACE=$d/trace.log
	MARKERS=$d/markers.txt
	CLEAN=$d/serial.clean.log
	: >"$SERIAL"
	: >"$TRACE"
	: >"$MARKERS"
	rm -f "$d"/*.img
	t_boot=$(date +%s.%N)
	watch_markers "$SERIAL" "$TRACE" "$MARKERS" "$t_boot" &
	WATCHER=$!
	say "$lbl: booting $KERNEL_ID (timeout ${TIMEOUT}s; serial log $SERIAL)"
	rc=0
	"$TOP/scripts/vm.sh" --kernel "$VMLINUZ" --initrd "$d/initramfs.cpio.gz" \
		--log "$SERIAL" --rundir "$d" --pmem-size "$PMEM_SIZE" \
		--trace virtio_pmem_flush_request --trace-log "$TRACE" \
		--append "bench_plan=$PLAN_ARG" --timeout "$TIMEOUT" || rc=$?
	kill "$WATCHER" 2>/dev/null || true
	wait "$WATCHER" 2>/dev/null || true
	WATCHER=
	scan_markers "$SERIAL" "$TRACE" "$MARKERS" "$t_boot" late
	# the backing files are sparse but 1 GiB each: drop them
	rm -f "$d"/*.img
	tr -d '\r' <"$SERIAL" >"$CLEAN"
	say "$lbl: guest ran $(elapsed "$t_boot")s (QEMU rc=$rc)"

	grep -a '^BENCHINFO ' "$CLEAN" | sed 's/^/    /' >&2 || true
	if [ "$rc" -eq 124 ]; then
		how="guest TIMEOUT: QEMU killed after ${TIMEOUT}s (BENCH_TIMEOUT)"
	elif [ "$rc" -ne 0 ]; then
		how="QEMU exited with status $rc"
	else
		how="QEMU exited normally"
	fi
	finished=
	if ! grep -aq '^INIT: SCENARIO-START' "$CLEAN"; then
		failure "$lbl: the guest never reached the benchmark; $how (serial log $SERIAL)"
	elif ! grep -aq '^BENCH-DONE ' "$CLEAN"; then
		failure "$lbl: the guest did not finish the benchmark; $how (serial log $SERIAL)"
	else
		finished=yes
		[ "$rc" -eq 0 ] || failure "$lbl: $how after the benchmark (serial log $SERIAL)"
	fi
	while read -r line; do
		failure "$lbl: guest: ${line#BENCHFAIL }"
	done < <(grep -a '^BENCHFAIL ' "$CLEAN" || true)

	for item in "${PLAN[@]}"; do
		IFS=: read -r wl t c <<<"$item"
		line=$(grep -a -m1 "^BENCHRUN $wl $t $c " "$CLEAN" || true)
		if [ -z "$line" ]; then
			[ -z "$finished" ] || failure "$lbl $wl x$t: no result from the guest"
			continue
		fi
		read -r _ _ _ _ st _ <<<"$line"
		if [ "$st" != ok ]; then
			failure "$lbl $wl x$t: ${line#BENCHRUN "$wl" "$t" "$c" fail }"
			continue
		fi
		json=${line#BENCHRUN "$wl" "$t" "$c" ok }
		nb=$(marker_field "$wl-t$t-begin" 2)
		ne=$(marker_field "$wl-t$t-end" 2)
		if [ -z "$nb" ] || [ -z "$ne" ]; then
			failure "$lbl $wl x$t: PHASE markers not seen in the serial log"
			continue
		fi
		hf=$((ne - nb))
		note=
		[ -z "$(marker_field "$wl-t$t-end" 4)" ] || note=" (end marker sampled after QEMU exited)"
		req=$(stat_delta "$wl-t$t" requests)
		cal=$(stat_delta "$wl-t$t" callers)
		coa=$(stat_delta "$wl-t$t" coalesced)
		if ! merged=$(merge_json "$json" "$round" "$drv" "$wl" "$t" "$hf" "$req" "$cal" "$coa" 2>&1); then
			failure "$lbl $wl x$t: bad pmemtool output ($merged): $json"
			continue
		fi
		echo "$merged" >>"$JSONL"
		printf '%s\n' "$merged" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
s = r["syncs"]
line = "    %-6s %-3s x%-2d %6d syncs %6.2fs %8.1f/s  p50 %8.1fus  p99 %8.1fus  host flushes %6d (%.3f/sync)" % (
    r["driver"], r["workload"], r["threads"], s, r["seconds"], r["syncs_per_s"],
    r["p50_us"], r["p99_us"], r["host_flushes"], r["host_flushes"] / s if s else 0)
if "guest_requests" in r:
    line += "  guest: %d requests for %d callers" % (r["guest_requests"], r.get("guest_callers", -1))
print(line)' >&2
		[ -z "$note" ] || warn "$lbl $wl x$t: host flush count$note"
	done

	if [ "$drv" = ours ] && [ -n "$finished" ]; then
		say "$lbl: flush_stats at the end of the run (/sys/bus/virtio/devices/*/flush_stats)"
		if grep -aq '^STAT ' "$CLEAN"; then
			grep -a -E '^STAT (requests|callers|coalesced|errors|timeouts|refused) ' "$CLEAN" |
				sed 's/^STAT /    /' >&2
		else
			failure "$lbl: no flush_stats counters in the guest output"
		fi
	fi
	# kernel reports in the guest's dmesg dump: not fatal, but the numbers
	# of such a run are suspect
	sed -n '/^===DMESG-BEGIN===/,/^===DMESG-END===/p' "$CLEAN" |
		grep -a -E 'BUG:|WARNING:|Oops|Call Trace:|hung_task|blocked for more than' \
		>"$d/dmesg-reports.txt" || true
	if [ -s "$d/dmesg-reports.txt" ]; then
		warn "$lbl: kernel reports in the guest dmesg ($d/dmesg-reports.txt): $(head -n1 "$d/dmesg-reports.txt" | cut -c1-160)"
	fi
}

say "step 4/4: guest runs, one boot per driver and round ($ROUNDS round(s))"
for ((round = 1; round <= ROUNDS; round++)); do
	for drv in $DRIVERS; do
		[ "$ROUNDS" -eq 1 ] || say "round $round/$ROUNDS: $drv"
		run_driver "$drv" "$round"
	done
done

# --- report --------------------------------------------------------------------
if grep -q '^{' "$JSONL"; then
	say "report: scripts/bench-report.py $JSONL"
	python3 "$TOP/scripts/bench-report.py" "$JSONL" ||
		failure "scripts/bench-report.py failed"
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
