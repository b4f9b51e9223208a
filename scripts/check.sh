#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check.sh [ID...]: the whole test suite (`make check`).
#
#   1. host packages (scripts/deps.sh), pmemtool, p2pcopy
#   2. lint: checkpatch --strict, W=1 + sparse build on every kernel
#   3. dkms (the pseudo-id "dkms"; part of the default set): the Debian
#      package installed, upgraded and removed in a real Debian 12 guest
#      with systemd and udev, booted with the stock 6.1 and 6.12 kernels
#      (tests/dkms-scenarios.sh)
#   4. per kernel of the matrix (scripts/matrix.conf, or the given ids):
#      stock kernels: the virtio-pmem, then the virtio-mem guest scenarios
#      (and the virtio-mem scale scenario: a small guest asked for 32 GiB
#      must stop at its reserve) with our modules; test kernels: KUnit
#      suites, then the same scenarios, then the p2pmem_pci scenarios
#      (KASAN, lockdep and kmemleak reports fail the run)
#
# Every check prints one RESULT line; results are reported per kernel and
# the last line is "N passed, N failed".  Logs: results/check-<time>/.
. "$(dirname "$0")/lib.sh"
IDS=${*:-$("$TOP/scripts/kernels.sh" list) dkms}
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
	die "building tools/pmemtool, vmemhold and p2pcopy failed ($RUN/tools.log)"
export PMEMTOOL="$CACHE/tools/pmemtool" P2PCOPY="$CACHE/tools/p2pcopy"
export VMEMHOLD="$CACHE/tools/vmemhold"

if [ -n "$KIDS" ]; then
	t=$SECONDS
	step lint lint "$TOP/scripts/lint.sh" $KIDS
	SECS[lint]=$((SECONDS - t))
fi

if [ "$DKMS" = 1 ]; then
	t=$SECONDS
	step dkms package "$TOP/tests/dkms-scenarios.sh" "$RUN/dkms"
	SECS[dkms]=$((SECONDS - t))
fi

for id in $KIDS; do
	t=$SECONDS
	kind=$("$TOP/scripts/kernels.sh" env "$id" | sed -n 's/^KIND=//p')
	mods=$("$TOP/scripts/build.sh" "$id" 2>"$RUN/$id-build.err")
	if [ -z "$mods" ]; then
		echo "RESULT $id:build FAIL see $RUN/$id-build.err" | tee -a "$ALL"
		continue
	fi
	if [ "$kind" = test ]; then
		step "$id" kunit "$TOP/tests/kunit.sh" "$id" "$RUN/$id/kunit"
	fi
	step "$id" pmem "$TOP/tests/pmem-scenarios.sh" "$id" --ours "$mods" "$RUN/$id/pmem"
	t2=$SECONDS
	step "$id" vmem "$TOP/tests/vmem-scenarios.sh" "$id" --ours "$mods" "$RUN/$id/vmem"
	SECS[vmem-$id]=$((SECONDS - t2))
	t2=$SECONDS
	step "$id" vscale "$TOP/tests/vmem-scale-scenarios.sh" "$id" --ours "$mods" "$RUN/$id/vscale"
	SECS[vscale-$id]=$((SECONDS - t2))
	# p2pmem_pci: test kernels only (Debian 12's stock kernels have no
	# CONFIG_PCI_P2PDMA; CI budget: one guest boot per test kernel)
	if [ "$kind" = test ]; then
		step "$id" p2pmem "$TOP/tests/p2pmem-scenarios.sh" "$id" "$mods" "$RUN/$id/p2pmem"
	fi
	SECS[$id]=$((SECONDS - t))
done

echo
echo "Per kernel:"
for g in ${KIDS:+lint} $IDS; do
	p=$(grep -c "^RESULT $g:[^ ]* PASS" "$ALL")
	f=$(grep -c "^RESULT $g:[^ ]* FAIL" "$ALL")
	printf '  %-12s %3d passed, %d failed  (%s s%s%s)\n' "$g" "$p" "$f" "${SECS[$g]:-?}" \
		"${SECS[vmem-$g]:+, of which vmem ${SECS[vmem-$g]} s}" \
		"${SECS[vscale-$g]:+, vmem-scale ${SECS[vscale-$g]} s}"
done
echo "  provisioning: $T_PROV s ($(for id in $KIDS; do printf '%s %s s; ' "$id" "${SECS[prov-$id]}"; done))"
grep "^RESULT [^ ]* FAIL" "$ALL" | sed 's/^/  /'
echo "Logs: $RUN ($((SECONDS - T0)) s)"
npass=$(grep -c '^RESULT [^ ]* PASS' "$ALL")
nfail=$(grep -c '^RESULT [^ ]* FAIL' "$ALL")
echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ] && [ "$npass" -gt 0 ]
