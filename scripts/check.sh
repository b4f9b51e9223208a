#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check.sh [ID...]: the whole test suite (`make check`).
#
#   1. host packages (scripts/deps.sh), pmemtool, p2pcopy
#   2. lint: checkpatch --strict, W=1 + sparse build on every kernel
#   3. dkms (the pseudo-id "dkms"; part of the default set): the Debian
#      package installed, upgraded and removed in a real Debian 12 guest
#      with systemd and udev, booted with the stock kernels
#      (tests/dkms-scenarios.sh)
#   4. per kernel of the matrix (scripts/matrix.conf, or the given ids),
#      where the variables below place each boot (one kernel per set of
#      feature probes our code is built with; README "Kernel matrix"):
#      the virtio-pmem scenarios (stock kernels and PMEM_TEST_KERNELS;
#      hung-host and fault cases on PMEM_FAULT_KERNELS; stock kernels end
#      with Debian's ndctl/daxctl steps, then the same steps with the
#      in-tree driver in a short boot and their parity,
#      tests/ndctl-scenarios.sh), the power-cut durability oracle
#      (DUR_KERNELS; tests/durability-scenarios.sh: 3 cuts with our driver;
#      on DUR_BROKEN_KERNELS 1 more with its ack_early knob, which must be
#      caught; on DUR_INTREE_KERNELS 3 cuts with the in-tree driver), the
#      virtio-mem scenarios (VMEM_STOCK_KERNELS, VMEM_TEST_KERNELS), the
#      virtio-mem scale scenario (VSCALE_KERNELS: a small guest asked for
#      32 GiB must stop at its reserve), KUnit (KUNIT_KERNELS), the
#      p2pmem_pci scenarios (P2PMEM_KERNELS; teardown stress:
#      P2PMEM_STRESS_ITERS rounds, default 2, on nvme and on our binding);
#      KASAN, lockdep and kmemleak reports fail the run; on
#      LONGEVITY_KERNEL (default none: make bench BENCH=longevity runs 500
#      on test-6.12) LONGEVITY_CYCLES load/unload cycles of every module
#      (tests/longevity.sh)
#   2-4 run as groups (lint, dkms, one per kernel) taken by CHECK_WORKERS
#   (default 2) workers from one queue.
#
# Every check prints one RESULT line; results are reported per kernel and
# the last line is "N passed, N failed".  Logs: results/check-<time>/.
. "$(dirname "$0")/lib.sh"
IDS=${*:-$("$TOP/scripts/kernels.sh" list) dkms}
# load/unload cycles: make bench BENCH=longevity (500 on test-6.12); in
# make check only when LONGEVITY_KERNEL names a kernel (CI budget: the
# issue's rule, "in make check if it fits, else in make bench")
LONGEVITY_KERNEL=${LONGEVITY_KERNEL:-}
LONGEVITY_CYCLES=${LONGEVITY_CYCLES:-5}
DKMS=0
KIDS=
for id in $IDS; do
	if [ "$id" = dkms ]; then DKMS=1; else KIDS="$KIDS $id"; fi
done
RUN="$TOP/results/check-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RUN"
ALL="$RUN/all-results.txt"
: >"$ALL"
T0=$SECONDS

# record GROUP < lines: keep RESULT lines, prefixed with the group
record() {
	grep '^RESULT ' | sed "s/^RESULT /RESULT $1:/" | tee -a "$ALL"
}
# step GROUP NAME CMD...: run CMD, a non-zero exit without any FAIL line
# is itself a failure (a crashed step must not look green)
step() {
	local group=$1 name=$2 log rc
	shift 2
	log="$RUN/$group-$name.log"
	say "[$group] $name (log: $log)"
	"$@" >"$log" 2>&1
	rc=$?
	record "$group" <"$log"
	if [ $rc -ne 0 ] && ! grep -q '^RESULT [^ ]* FAIL' "$log"; then
		echo "RESULT $group:$name FAIL exited $rc without a result, see $log" | tee -a "$ALL"
	fi
	if ! grep -q '^RESULT ' "$log"; then
		[ $rc -eq 0 ] && echo "RESULT $group:$name FAIL produced no result, see $log" | tee -a "$ALL"
	fi
}

"$TOP/scripts/deps.sh" || die "dependencies"
declare -A SECS
say "provisioning kernels: $(echo $KIDS)"
for id in $KIDS; do
	t=$SECONDS
	"$TOP/scripts/kernels.sh" env "$id" >/dev/null || die "provisioning $id failed"
	SECS[prov-$id]=$((SECONDS - t))
done
T_PROV=$((SECONDS - T0))
make -s -C "$TOP/tools" O="$CACHE/tools" >"$RUN/tools.log" 2>&1 ||
	die "building tools/ (pmemtool, vmemhold, p2pcopy, durwriter, pmemfuse) failed ($RUN/tools.log)"
export PMEMTOOL="$CACHE/tools/pmemtool" P2PCOPY="$CACHE/tools/p2pcopy"
export VMEMHOLD="$CACHE/tools/vmemhold"
export DURWRITER="$CACHE/tools/durwriter" PMEMFUSE="$CACHE/tools/pmemfuse"
# the oracle with the in-tree driver: make bench BENCH=durability (50
# cuts); DUR_INTREE_KERNELS=stock-6.12 puts 3 cuts back (CI budget: the
# in-tree driver is Debian's, it changes with the kernel package, not
# with our tree)
DUR_INTREE_KERNELS=${DUR_INTREE_KERNELS:-}
# the oracle with our driver: stock-6.1 and stock-6.12, one kernel per
# set of nd_virtio feature probes (6.1's; 6.12's, which 7.2's equals:
# NVDIMM_FLUSH_ASYNC, CC_PLATFORM_HAS), at ~15 s a cut (CI budget:
# DUR_KERNELS adds stock-7.2).  Not on the KASAN kernels by default: their flush path is
# the stock one of the same version, a cut there costs minutes under TCG
# (test-6.12: 888 s for 3 cuts in CI), and the pmem scenario boot already
# runs our flush path (faults included) under KASAN/lockdep/kmemleak;
# DUR_KERNELS=test-6.12 adds it (CI budget)
DUR_KERNELS=${DUR_KERNELS:-stock-6.1 stock-6.12}
# the ack_early cut (the oracle must catch the broken build): the
# oracle's sensitivity does not depend on the kernel, one stock kernel
DUR_BROKEN_KERNELS=${DUR_BROKEN_KERNELS:-stock-6.12}
# the p2pmem teardown stress: P2PMEM_STRESS_ITERS unbind+bind rounds on
# nvme's CMB and on our binding, on every test kernel; each round waits
# for 25 maps of the live export by the 3 mapper threads (p2pcopy
# --round-maps), so 2 + 2 rounds are >= 100 map/touch/unmap iterations
# racing the unbinds per kernel (make bench BENCH=p2pmem: 20 + 20 rounds, >= 1000 maps)
export P2PMEM_STRESS_ITERS=${P2PMEM_STRESS_ITERS:-2}
# and the same stress while the host removes the controller (QMP
# device_del, pciehp) and adds it back: P2PMEM_QMP_ROUNDS rounds after an
# idle one (make bench BENCH=p2pmem: 10).  One: a removal costs ~9 s
# (pciehp's 5 s attention-button wait), and the defect it catches, a
# mapping that pins the pool, hangs the very first removal (CI budget)
export P2PMEM_QMP_ROUNDS=${P2PMEM_QMP_ROUNDS:-1}
# the virtio-mem scale scenario, every kernel of the matrix (issue 17:
# "section 0 on every kernel"): the stock kernels (the zones and memmap
# costs users have on 6.1, 6.12, 7.2, the cloud and rt flavours' own
# configs; ~20-30 s each) and the test kernels (~120-150 s each: the
# reserve with the KASAN shadow and quarantine terms, memmap on memory in
# 4 MiB pageblocks with force on 6.12 and 7.2, the documented fallback on
# 6.1 whose core cannot)
VSCALE_KERNELS=${VSCALE_KERNELS:-stock-6.1 stock-6.12 stock-7.2 stock-6.1-cloud stock-6.12-cloud stock-6.12-rt test-6.1 test-6.12 test-7.2}
# the ndctl/daxctl steps with the in-tree driver (a short boot, 16-33 s,
# 36-60 s at load 6-9) and their parity with ours: every stock kernel (issue 16)
NDCTL_INTREE_KERNELS=${NDCTL_INTREE_KERNELS:-stock-6.1 stock-6.12 stock-7.2}
# the pmem and the vmem scenario boot (each with its queue-level fault
# cases) under KASAN, lockdep and kmemleak: one test kernel each, ~8-9 min
# per boot in CI under TCG (CI budget: a boot on a second test kernel is
# repetition where our code compiles the same way there).  pmem on
# test-6.12: the probes nd_virtio's code paths depend on (NVDIMM_FLUSH_ASYNC,
# CC_PLATFORM_HAS) come out the same on 6.12 and 7.2 (MODULE_IMPORT_NS_IDENT
# only changes how the module is built, lint builds both); vmem on test-7.2, the newest memory
# hotplug API (its probes differ from 6.12's: the stock-6.12 vmem boot
# runs that path and every fault case without KASAN).  Both boots on every
# stock kernel; PMEM_TEST_KERNELS / VMEM_TEST_KERNELS add test kernels
# (e.g. "test-6.1 test-6.12 test-7.2")
# test-6.12-rt (scripts/matrix-extra.conf: PREEMPT_RT under lockdep,
# KASAN, kmemleak) runs both boots, with their fault cases, and the
# p2pmem boot when named: make check KERNELS=test-6.12-rt
PMEM_TEST_KERNELS=${PMEM_TEST_KERNELS:-test-6.12 test-6.12-rt}
VMEM_TEST_KERNELS=${VMEM_TEST_KERNELS:-test-7.2 test-6.12-rt}
# the KUnit suites: one test kernel.  They test the pure-logic files
# (vpmem_logic.c, vpmem_coalesce.c, vmem_logic.c, p2pmem_logic.c: no
# kernel-version-dependent code, built W=1 + sparse clean for every kernel
# by lint); test-7.2, the newest KUnit framework, where they run at the
# start of the vmem boot (VMEM_KUNIT: a KASAN boot of their own cost
# ~100 s under TCG; CI budget); a KUnit kernel without a vmem boot gets
# its own (tests/kunit.sh)
KUNIT_KERNELS=${KUNIT_KERNELS:-test-7.2}
# the p2pmem_pci boot (with its teardown stress) on the two API sets
# p2pmem_pci is built against: 6.1's pgmap and BAR helpers
# (PCI_HAS_P2PMEM) on test-6.1, under KASAN, lockdep and kmemleak, and
# 7.2's (GET_DEV_PAGEMAP_ONE_ARG, PGMAP_FOLIO_FREE, PCI_NON_MAPPABLE_BARS)
# on stock-7.2, Debian sid's own kernel (it has CONFIG_PCI_P2PDMA; ~4x
# faster than the KASAN boot).  6.12's probes come out as 6.1's plus
# VM_FLAGS_SET (the same VMA flags set through the new setter).  CI
# budget: P2PMEM_KERNELS="test-6.1 test-6.12 test-7.2 stock-7.2" runs all.
P2PMEM_KERNELS=${P2PMEM_KERNELS:-test-6.1 stock-7.2 test-6.12-rt}
# the pmem boot's hung-host and queue-level fault cases: one kernel per
# nd_virtio probe set, 6.1's on stock-6.1, 6.12's (= 7.2's) on test-6.12
# under KASAN (stock-6.12 is the same version and code); the vmem
# scenario boot: every version once, 7.2 on the KASAN kernel (stock-7.2
# is the same version and code without KASAN)
# Debian's PREEMPT_RT kernel (stock-6.12-rt) runs them too: its
# spinlocks sleep and its interrupt handlers are threads, so the locking
# of every error path differs there (~25 s of its boot)
PMEM_FAULT_KERNELS=${PMEM_FAULT_KERNELS:-stock-6.1 test-6.12 stock-6.12-rt test-6.12-rt}
VMEM_STOCK_KERNELS=${VMEM_STOCK_KERNELS:-stock-6.1 stock-6.12 stock-6.1-cloud stock-6.12-cloud stock-6.12-rt}
# the vmem boot's hostile-device cases (~40 s of a stock boot): they
# drive vmem_request.c and vmem_inject.c, whose code is the same on every
# kernel, through the debugfs injector; on stock-6.12-rt (their locking
# under PREEMPT_RT; moved there from stock-6.12, the same version and
# code) and test-7.2 under KASAN, not again on stock-6.1 or stock-6.12
# (CI budget)
VMEM_FAULT_KERNELS=${VMEM_FAULT_KERNELS:-stock-6.12-rt test-7.2 test-6.12-rt}
# Debian's cloud flavours (stock-6.1-cloud, stock-6.12-cloud: the kernels
# of Debian's cloud images) differ from stock-6.1 / stock-6.12 in their
# config only: NVMe, ext4 (and on 6.1 virtio_pci stays a module) built in,
# no PM_DEBUG, fewer modules; libnvdimm, DAX, memory hotplug and our
# feature probes are the same.  Their pmem boot runs a reduced set
# (PMEM_SET=basic: no concurrent writers, no coalescing run; no ndctl
# steps) and their vmem boot one (VMEM_SET=basic: no unplug under a held
# buffer or page cache, no idle wait): what a different config can break
# (our modules loading and binding beside built-in drivers, DAX mount,
# fsync, reload, plug/online/unplug) runs, the rest runs on the
# generic flavour of the same version (CI budget)
# stock-6.12's vmem boot too (QEMU 10.0: PM and the real S3 cycle still
# run there): 6.12's unplugs under a held buffer and page cache and the
# idle wait run on stock-6.12-rt, the same version and code (~60 s; CI
# budget, README "CI budget of the new kernels")
PMEM_REDUCED_KERNELS=${PMEM_REDUCED_KERNELS:-stock-6.1-cloud stock-6.12-cloud}
VMEM_REDUCED_KERNELS=${VMEM_REDUCED_KERNELS:-stock-6.1-cloud stock-6.12-cloud stock-6.12}

# the second QEMU host (scripts/qemu-host.sh: Debian bookworm-backports'
# QEMU 10.0, whose virtio-mem offers PERSISTENT_SUSPEND and
# UNPLUGGED_INACCESSIBLE, MSI-X; 7.2's offers neither): every boot of the
# kernels listed here runs on it, the vmem boot with a real S3 cycle
# (vmem-pm-s3-resume, vmem-pm-s3-host).  stock-6.12: its pmem (+ndctl),
# durability, vmem and vscale boots move, no boot is added (CI budget);
# 7.2's device features stay covered by every other kernel
QEMU10_KERNELS=${QEMU10_KERNELS:-stock-6.12}

# secs KEY N: a timing for the report (the groups run in worker processes)
secs() {
	echo "$1 $2" >>"$RUN/secs.txt"
}

# kernel_group ID: every check of one kernel of the matrix
kernel_group() {
	local id=$1 t t2 kind mods pscen vscen faults vfaults broken verify ndctl kunit pset vset
	t=$SECONDS
	if [[ " $QEMU10_KERNELS " == *" $id "* ]]; then
		local -x QEMU_HOST=qemu-10.0
	fi
	kind=$("$TOP/scripts/kernels.sh" env "$id" | sed -n 's/^KIND=//p')
	mods=$("$TOP/scripts/build.sh" "$id" 2>"$RUN/$id-build.err")
	if [ -z "$mods" ]; then
		echo "RESULT $id:build FAIL see $RUN/$id-build.err" | tee -a "$ALL"
		return
	fi
	# the scenario boots on the stock kernels (every version users run) and
	# on PMEM_TEST_KERNELS / VMEM_TEST_KERNELS (KASAN/lockdep/kmemleak
	# watching them); every test kernel runs the p2pmem boot, one KUnit
	pscen=1 vscen=1
	[ "$kind" = test ] && [[ " $PMEM_TEST_KERNELS " != *" $id "* ]] && pscen=0
	[ "$kind" = test ] && [[ " $VMEM_TEST_KERNELS " != *" $id "* ]] && vscen=0
	[ "$kind" = stock ] && [[ " $VMEM_STOCK_KERNELS " != *" $id "* ]] && vscen=0
	faults=0
	[[ " $PMEM_FAULT_KERNELS " == *" $id "* ]] && faults=1
	# stock kernels: Debian's ndctl/daxctl at the end of the pmem boot, then
	# the same steps with the in-tree driver in a short boot, and the parity
	ndctl=()
	pset=full
	[[ " $PMEM_REDUCED_KERNELS " == *" $id "* ]] && pset=basic
	[ "$kind" = stock ] && [ $pset = full ] && ndctl=(--ndctl)
	if [ $pscen = 1 ]; then
		step "$id" pmem env PMEM_FAULTS=$faults PMEM_SET=$pset "$TOP/tests/pmem-scenarios.sh" "$id" \
			--ours "$mods" "${ndctl[@]}" "$RUN/$id/pmem"
	fi
	if [ $pscen = 1 ] && [[ " $NDCTL_INTREE_KERNELS " == *" $id "* ]]; then
		t2=$SECONDS
		step "$id" ndctl-intree "$TOP/tests/ndctl-scenarios.sh" "$id" --intree \
			"$RUN/$id/ndctl-intree" --compare "$RUN/$id/pmem/ndctl-outcomes.txt"
		secs "ndctl-$id" $((SECONDS - t2))
	fi
	t2=$SECONDS
	broken=0
	[[ " $DUR_BROKEN_KERNELS " == *" $id "* ]] && broken=1
	# test kernels: the last check boot (no writers) on the stock kernel
	# of the same version
	verify=()
	[ "$kind" = test ] && verify=(--verify-kernel "stock-${id#test-}")
	if [[ " $DUR_KERNELS " == *" $id "* ]]; then
		step "$id" durability "$TOP/tests/durability-scenarios.sh" "$id" --ours "$mods" \
			"$RUN/$id/durability" --cuts 3 --ack-early-cuts $broken "${verify[@]}"
	fi
	if [ "$kind" = stock ] && [[ " $DUR_INTREE_KERNELS " == *" $id "* ]]; then
		step "$id" durability-intree "$TOP/tests/durability-scenarios.sh" "$id" --intree \
			"$RUN/$id/durability-intree" --cuts 3
	fi
	secs "dur-$id" $((SECONDS - t2))
	# KUnit: inside this kernel's vmem boot when it has one (saves a KASAN
	# boot), else its own boot
	kunit=0
	[[ " $KUNIT_KERNELS " == *" $id "* ]] && kunit=1
	if [ $kunit = 1 ] && [ $vscen = 0 ]; then
		step "$id" kunit "$TOP/tests/kunit.sh" "$id" "$RUN/$id/kunit"
	fi
	t2=$SECONDS
	if [ $vscen = 1 ]; then
		vfaults=0
		[[ " $VMEM_FAULT_KERNELS " == *" $id "* ]] && vfaults=1
		vset=full
		[[ " $VMEM_REDUCED_KERNELS " == *" $id "* ]] && vset=basic
		step "$id" vmem env VMEM_KUNIT=$kunit VMEM_FAULTS=$vfaults VMEM_SET=$vset \
			"$TOP/tests/vmem-scenarios.sh" "$id" --ours "$mods" "$RUN/$id/vmem"
	fi
	secs "vmem-$id" $((SECONDS - t2))
	if [[ " $VSCALE_KERNELS " == *" $id "* ]]; then
		t2=$SECONDS
		step "$id" vscale "$TOP/tests/vmem-scale-scenarios.sh" "$id" --ours "$mods" \
			"$RUN/$id/vscale"
		secs "vscale-$id" $((SECONDS - t2))
	fi
	# p2pmem_pci: P2PMEM_KERNELS (kernels with CONFIG_PCI_P2PDMA: the test
	# kernels and sid's stock-7.2; Debian 12's have it off)
	if [[ " $P2PMEM_KERNELS " == *" $id "* ]]; then
		step "$id" p2pmem "$TOP/tests/p2pmem-scenarios.sh" "$id" "$mods" "$RUN/$id/p2pmem"
	fi
	if [ "$id" = "$LONGEVITY_KERNEL" ]; then
		step "$id" longevity "$TOP/tests/longevity.sh" "$id" "$mods" \
			"$RUN/$id/longevity" "$LONGEVITY_CYCLES"
	fi
	secs "$id" $((SECONDS - t))
}

# run_group G: lint, dkms or a kernel id
run_group() {
	local t=$SECONDS
	case $1 in
	lint)
		step lint lint "$TOP/scripts/lint.sh" $KIDS
		secs lint $((SECONDS - t))
		;;
	dkms)
		step dkms package "$TOP/tests/dkms-scenarios.sh" "$RUN/dkms"
		secs dkms $((SECONDS - t))
		;;
	*) kernel_group "$1" ;;
	esac
}

# The groups are independent (own guests, own directories under $RUN; the
# module builds lock per kernel): CHECK_WORKERS (default 2) workers take
# them from one queue, longest first (the KASAN scenario kernel, the
# Debian guest, the other test kernels, then the stock kernels; lint
# first, its builds are short).  The guests are TCG with 2 vCPUs each: two
# at a time keep both cores busy where one leaves ~half idle (measured:
# `make check KERNELS=stock-6.12` used 0.96 of the 2 cores' 2.0).
CHECK_WORKERS=${CHECK_WORKERS:-2}
QUEUE=()
[ -n "$KIDS" ] && QUEUE+=(lint)
[ "$DKMS" = 1 ] && QUEUE+=(dkms)
# test kernels by weight: the scenario kernel, then the KUnit / full
# stress one, then the others; stock kernels last
for pass in 2 1 0 stock; do
	for id in $KIDS; do
		kind=$("$TOP/scripts/kernels.sh" env "$id" | sed -n 's/^KIND=//p')
		w=0
		[[ " $PMEM_TEST_KERNELS $VMEM_TEST_KERNELS " == *" $id "* ]] && w=2
		[ $w = 0 ] && [[ " $KUNIT_KERNELS " == *" $id "* ]] && w=1
		case $pass:$kind in
		"$w":test | stock:stock) QUEUE+=("$id") ;;
		esac
	done
done
echo 0 >"$RUN/queue.next"
: >"$RUN/secs.txt"
# next_group: the next queue entry, or nothing when it is empty
next_group() {
	local n
	{
		flock 9
		n=$(cat "$RUN/queue.next")
		echo $((n + 1)) >"$RUN/queue.next"
	} 9>"$RUN/queue.lock"
	[ "$n" -lt ${#QUEUE[@]} ] && echo "${QUEUE[$n]}"
}
worker() {
	local g
	while g=$(next_group); do
		say "worker $1: $g"
		run_group "$g"
	done
}
say "groups: ${QUEUE[*]} ($CHECK_WORKERS workers)"
for ((w = 1; w <= CHECK_WORKERS; w++)); do
	worker $w &
done
wait
while read -r k v; do
	SECS[$k]=$v
done <"$RUN/secs.txt"

# ktap_check: the run's results as KTAP ($RUN/results.ktap, one subtest
# per group), parsed by the kernel's own kunit.py: every test it reads,
# with its status, must be one this run counted, and none missing
# (RESULT check:ktap)
ktap_check() {
	local py n p f
	awk -f "$TOP/scripts/results-ktap.awk" "$ALL" >"$RUN/results.ktap"
	n=$(grep -c '^RESULT [^ ]* \(PASS\|FAIL\)' "$ALL")
	p=$(grep -c '^RESULT [^ ]* PASS' "$ALL")
	f=$(grep -c '^RESULT [^ ]* FAIL' "$ALL")
	awk -v list=1 -f "$TOP/scripts/results-ktap.awk" "$ALL" | sort >"$RUN/ktap.want"
	py=$("$TOP/scripts/kernels.sh" source 2>"$RUN/ktap.err")/tools/testing/kunit/kunit.py
	python3 "$py" parse --json="$RUN/ktap.json" "$RUN/results.ktap" >"$RUN/ktap.parse" 2>&1
	python3 -c 'import json, sys
for g in json.load(open(sys.argv[1]))["sub_groups"]:
    for t in g["test_cases"]:
        print(g["name"] + ":" + t["name"], t["status"])' "$RUN/ktap.json" 2>>"$RUN/ktap.parse" |
		sort >"$RUN/ktap.got"
	if [ "$n" -gt 0 ] && cmp -s "$RUN/ktap.want" "$RUN/ktap.got"; then
		echo "RESULT check:ktap PASS $RUN/results.ktap: kunit.py parse reads the $n tests of this run, $p passed, $f failed, each with its status" | tee -a "$ALL"
	else
		echo "RESULT check:ktap FAIL kunit.py parse of $RUN/results.ktap differs from this run's $n results: $(diff "$RUN/ktap.want" "$RUN/ktap.got" | grep '^[<>]' | head -n3 | tr '\n' ' ' | cut -c1-200) (see $RUN/ktap.parse)" | tee -a "$ALL"
	fi
}
ktap_check

echo
echo "Per kernel:"
for g in ${KIDS:+lint} $IDS; do
	p=$(grep -c "^RESULT $g:[^ ]* PASS" "$ALL")
	f=$(grep -c "^RESULT $g:[^ ]* FAIL" "$ALL")
	printf '  %-12s %3d passed, %d failed  (%s s%s%s%s)\n' "$g" "$p" "$f" "${SECS[$g]:-?}" \
		"${SECS[vmem-$g]:+, of which vmem ${SECS[vmem-$g]} s}" \
		"${SECS[dur-$g]:+, durability ${SECS[dur-$g]} s}" \
		"${SECS[vscale-$g]:+, vmem-scale ${SECS[vscale-$g]} s}"
done
echo "  provisioning: $T_PROV s ($(for id in $KIDS; do printf '%s %s s; ' "$id" "${SECS[prov-$id]}"; done))"
grep "^RESULT [^ ]* FAIL" "$ALL" | sed 's/^/  /'
echo "Logs: $RUN ($((SECONDS - T0)) s)"
npass=$(grep -c '^RESULT [^ ]* PASS' "$ALL")
nfail=$(grep -c '^RESULT [^ ]* FAIL' "$ALL")
echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ] && [ "$npass" -gt 0 ]
