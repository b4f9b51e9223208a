# SPDX-License-Identifier: GPL-2.0
# User-facing wrapper; the kbuild side is in Kbuild and drivers/*/Kbuild.
#
#   make [KDIR=...]        build the modules for KDIR (default: running kernel)
#   make install           install them (updates/) and run depmod
#   make clean
#   make check [KERNELS="stock-6.12 ..."]   whole test suite (README.md)
#   make lint  [KERNELS=...]                checkpatch --strict, sparse C=2, W=1
#   make demo  [KERNEL=stock-6.12]          the three drivers beside the in-tree
#                                           ones on stock kernels, results/demo-*/
#   make vm    [KERNEL=stock-6.12]          interactive guest shell
#   make vm-resize SIZE=2G                  resize the vm's virtio-mem over QMP
#   make deb   [DEB_VERSION=V]          dist/guestmem-dkms_<V>_all.deb (DKMS)
#   make bench [BENCH=all|pmem|vmem|vscale|p2pmem|durability|longevity]  ours vs
#                   in-tree / alternatives, results/ + PNG (all: every one;
#                   durability: 50 power cuts per driver; longevity: 500
#                   load/unload cycles of every module on LONGEVITY_KERNEL)

KDIR ?= /lib/modules/$(shell uname -r)/build
KERNEL ?= stock-6.12
KERNELS ?=
BENCH ?= all
LONGEVITY_KERNEL ?= test-6.12
PROBES := include/generated/guestmem_probes.h

all: modules

# Re-run the probes whenever the target tree changes.
$(PROBES): FORCE
	@mkdir -p include/generated
	@if [ "$$(cat include/generated/.kdir 2>/dev/null)" != "$(abspath $(KDIR))" ] || \
	    [ ! -f $(PROBES) ] || [ -n "$$(find include/probes -newer $(PROBES))" ]; then \
		echo "  PROBE   $(KDIR)"; \
		scripts/compat-probe.sh $(KDIR) $(PROBES) && \
		echo "$(abspath $(KDIR))" > include/generated/.kdir; \
	fi

modules: $(PROBES)
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates modules_install
	depmod -a $(shell $(MAKE) -s -C $(KDIR) kernelrelease 2>/dev/null)

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	rm -rf include/generated
	-[ ! -f tools/Makefile ] || $(MAKE) -C tools clean

deb:
	scripts/mkdeb.sh $(if $(DEB_VERSION),--version $(DEB_VERSION))

check:
	scripts/check.sh $(KERNELS)

lint:
	scripts/lint.sh $(KERNELS)

demo:
	scripts/demo.sh $(KERNEL)

vm:
	scripts/demo.sh --shell $(KERNEL)

vm-resize:
	@[ -n "$(SIZE)" ] || { echo "usage: make vm-resize SIZE=2G (the virtio-mem size of the running make vm)" >&2; exit 2; }
	scripts/vm-resize.sh $(SIZE)

bench:
	@case "$(BENCH)" in all|pmem|vmem|vscale|p2pmem|durability|longevity) ;; *) echo "BENCH must be all, pmem, vmem, vscale, p2pmem, durability or longevity" >&2; exit 2 ;; esac
	@rc=0; \
	if [ "$(BENCH)" = all ] || [ "$(BENCH)" = pmem ]; then scripts/bench.sh || rc=1; fi; \
	if [ "$(BENCH)" = all ] || [ "$(BENCH)" = vmem ]; then scripts/bench-vmem.sh || rc=1; fi; \
	if [ "$(BENCH)" = all ] || [ "$(BENCH)" = vscale ]; then scripts/bench-vscale.sh || rc=1; fi; \
	if [ "$(BENCH)" = all ] || [ "$(BENCH)" = p2pmem ]; then scripts/bench-p2pmem.sh || rc=1; fi; \
	if [ "$(BENCH)" = all ] || [ "$(BENCH)" = durability ]; then scripts/bench-durability.sh || rc=1; fi; \
	if [ "$(BENCH)" = all ] || [ "$(BENCH)" = longevity ]; then \
		m=$$(scripts/build.sh $(LONGEVITY_KERNEL)) && tests/longevity.sh $(LONGEVITY_KERNEL) "$$m" \
			results/longevity-$$(date +%Y%m%d-%H%M%S) 500 || rc=1; fi; \
	exit $$rc

.PHONY: all modules install clean deb check lint demo vm vm-resize bench FORCE
