# SPDX-License-Identifier: GPL-2.0
# User-facing wrapper; the kbuild side is in Kbuild and drivers/*/Kbuild.
#
#   make [KDIR=...]        build the modules for KDIR (default: running kernel)
#   make install           install them (updates/) and run depmod
#   make clean
#   make check [KERNELS="stock-6.12 ..."]   whole test suite (README.md)
#   make lint  [KERNELS=...]                checkpatch --strict, sparse C=2, W=1
#   make demo  [KERNEL=stock-6.12]          guided pmem tour in a QEMU guest
#   make vm    [KERNEL=stock-6.12]          interactive guest shell
#   make bench [BENCH=pmem|p2pmem|all]     pmem: ours vs in-tree, results/ + PNG;
#                                           p2pmem: /dev/p2pmemN vs p2pmem/allocate vs sysmem

KDIR ?= /lib/modules/$(shell uname -r)/build
KERNEL ?= stock-6.12
KERNELS ?=
BENCH ?= pmem
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

check:
	scripts/check.sh $(KERNELS)

lint:
	scripts/lint.sh $(KERNELS)

demo:
	scripts/demo.sh $(KERNEL)

vm:
	scripts/demo.sh --shell $(KERNEL)

bench:
	@case "$(BENCH)" in \
	pmem) scripts/bench.sh ;; \
	p2pmem) scripts/bench-p2pmem.sh ;; \
	all) scripts/bench.sh && scripts/bench-p2pmem.sh ;; \
	*) echo "BENCH must be pmem, p2pmem or all" >&2; exit 2 ;; \
	esac

.PHONY: all modules install clean check lint demo vm bench FORCE
