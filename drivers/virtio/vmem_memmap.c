// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mem: memmap on memory (Big Block Mode and Sub Block Mode).
 *
 * Every memory block needs a memmap (one struct page per page: 2 MiB per
 * 128 MiB on x86-64).  Upstream's driver adds memory without
 * MHP_MEMMAP_ON_MEMORY, so the memmap comes from the memory the guest
 * already has, and a guest that boots small cannot grow far.  With the
 * flag the memmap lives in the first pages of each added memory block;
 * those pages are never given to the buddy, so MemTotal grows by the
 * block minus its memmap and boot memory pays nothing for it.
 *
 * Where the kernel offers it (vmem_mhp_memmap_offered()):
 *  - cores with an exported mhp_supports_memmap_on_memory() (6.8+) split
 *    an add of any number of memory blocks and self-host each one; when
 *    the function says no (memory_hotplug.memmap_on_memory off, a memory
 *    block that does not qualify) the flag would be ignored, so it is
 *    not passed;
 *  - older cores (Debian 6.1) self-host only an add of exactly one memory
 *    block, accept the flag only when memory_hotplug.memmap_on_memory is
 *    on, and otherwise fail the add with -EINVAL.  Big blocks of one
 *    memory block whose memmap layout the core accepts
 *    (vmem_memmap_single_block_ok()) pass the flag until the first add
 *    answers: success settles "in the block", -EINVAL settles "boot
 *    memory" and that add is repeated without the flag.  Bigger big
 *    blocks keep their memmap in boot memory there (adding and removing
 *    them a memory block at a time would split a big block's state).
 *
 * Sub Block Mode adds one memory block at a time, so the same choice
 * applies (on older cores every add qualifies once the layout does).  The
 * memmap is written by the add itself, so the sub-blocks holding it
 * (vmem_memmap_pinned_sbs(): one 2 MiB sub-block per 128 MiB block) are
 * plugged before the add and stay plugged while the block is added;
 * vmem_sbm.c never offers them for unplug and gives them back after the
 * block's removal.
 *
 * The choice is made at probe and holds for the device's lifetime: the
 * pages to skip when a big block is unplugged (vmem_memmap_skip()), the
 * offline accounting and the plug reserve (vmem_memmap_costs_boot()) all
 * depend on it.  The module parameter memmap_on_memory=N keeps upstream's
 * behaviour for devices probed afterwards.
 */
#include <linux/device.h>
#include <linux/memory.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sysfs.h>

#include <guestmem/vmem_compat.h>
#include "vmem.h"

static bool memmap_on_memory = true;
module_param(memmap_on_memory, bool, 0644);
MODULE_PARM_DESC(memmap_on_memory,
		 "Put the memmap of added memory blocks into the blocks themselves where the kernel allows it (memory_hotplug.memmap_on_memory=1), read at device probe (default Y; N: boot memory, like upstream)");

static void vmem_memmap_geo(struct vmem_memmap_geo *g)
{
	g->mb_size = memory_block_size_bytes();
	g->page_size = PAGE_SIZE;
	g->struct_page_size = sizeof(struct page);
	g->pageblock_size = PAGE_SIZE << pageblock_order;
	g->pmd_size = PMD_SIZE;
}

#define VMEM_SBM_PINNED_NOTE \
	" (its sub-blocks stay plugged while the block is added)"

/* Decide where the memmaps go; returns why not in the blocks, or NULL. */
static const char *vmem_memmap_choose(struct vmem *vm,
				      const struct vmem_memmap_geo *g)
{
	if (!READ_ONCE(memmap_on_memory))
		return "module parameter memmap_on_memory=N";
	/* vmem_memmap_skip() expects it within a memory block's first section */
	if (!vmem_memmap_block_bytes(g) ||
	    vmem_memmap_block_bytes(g) >= PFN_PHYS(PAGES_PER_SECTION))
		return "no room for it in the first section of a memory block";
	if (vm->geo.sbm && vm->memmap_sbs >= vm->geo.sbs_per_block)
		return "its sub-blocks would fill the memory block";
	switch (vmem_mhp_memmap_offered()) {
	case VMEM_MHP_MEMMAP_SPLIT:
		vm->memmap_mode = VMEM_MEMMAP_BLOCK;
		return NULL;
	case VMEM_MHP_MEMMAP_SINGLE:
		if (vm->geo.block_size != g->mb_size)
			return "this kernel self-hosts memmaps only for adds of one memory block";
		if (!vmem_memmap_single_block_ok(g))
			return "the memory block layout does not qualify";
		vm->memmap_mode = VMEM_MEMMAP_TRY;
		return NULL;
	case VMEM_MHP_MEMMAP_NONE:
		break;
	}
	return "not offered by the kernel (memory_hotplug.memmap_on_memory=0, or not built in)";
}

/**
 * vmem_memmap_init() - choose where the memmaps of the device's memory go
 * @vm: device (geometry known)
 *
 * Logs the choice.
 */
void vmem_memmap_init(struct vmem *vm)
{
	struct vmem_memmap_geo g;
	const char *why;

	vmem_memmap_geo(&g);
	vm->memmap_mode = VMEM_MEMMAP_BOOT;
	vm->memmap_block_bytes = vmem_memmap_block_bytes(&g);
	vm->memmap_boot_bytes = vmem_memmap_boot_bytes(&g);
	vm->memmap_sbs = vm->geo.sbm ?
			 vmem_sbm_memmap_sbs(vm->memmap_block_bytes,
					     vm->geo.sb_size,
					     vm->geo.sbs_per_block) : 0;
	why = vmem_memmap_choose(vm, &g);
	if (why)
		dev_info(vmem_dev(vm), "memmap on memory: no (%s)\n", why);
	else
		dev_info(vmem_dev(vm), "memmap on memory: %s, %llu KiB per memory block%s\n",
			 vm->memmap_mode == VMEM_MEMMAP_TRY ?
			 "asked for at the first add" : "yes",
			 vm->memmap_block_bytes >> 10,
			 vm->geo.sbm ? VMEM_SBM_PINNED_NOTE : "");
}

/**
 * vmem_memmap_pinned_sbs() - Sub Block Mode: sub-blocks at the start of a
 * memory block that hold its memmap
 * @vm: device
 *
 * While memmaps go (or may go: an older core answers at the first add)
 * into the blocks, they are plugged before a block is added and stay
 * plugged until it is removed.
 *
 * Return: their number, 0 when memmaps go to boot memory (or in BBM).
 */
unsigned int vmem_memmap_pinned_sbs(struct vmem *vm)
{
	return READ_ONCE(vm->memmap_mode) == VMEM_MEMMAP_BOOT ? 0 :
	       vm->memmap_sbs;
}

/**
 * vmem_memmap_mhp_flags() - the add_memory_driver_managed() flag to pass
 * @vm: device
 *
 * Return: MHP_MEMMAP_ON_MEMORY while memmaps go (or may go) into the
 * blocks, else none.
 */
mhp_t vmem_memmap_mhp_flags(struct vmem *vm)
{
	return vm->memmap_mode == VMEM_MEMMAP_BOOT ? MHP_NONE :
	       VMEM_MHP_MEMMAP_ON_MEMORY;
}

/**
 * vmem_memmap_add_refused() - did an add fail because of the flag?
 * @vm: device
 * @rc: errno of add_memory_driver_managed() with vmem_memmap_mhp_flags()
 *
 * An older core answers -EINVAL when memory_hotplug.memmap_on_memory is
 * off: from then on memmaps go to boot memory.
 *
 * Return: true if the add is to be repeated without the flag.
 */
bool vmem_memmap_add_refused(struct vmem *vm, int rc)
{
	if (vm->memmap_mode != VMEM_MEMMAP_TRY || rc != -EINVAL)
		return false;
	vm->memmap_mode = VMEM_MEMMAP_BOOT;
	dev_info(vmem_dev(vm),
		 "memmap on memory: no (the kernel refused it: memory_hotplug.memmap_on_memory is off)\n");
	return true;
}

static u64 vmem_memmap_blocks(u64 size)
{
	return div64_u64(size, memory_block_size_bytes());
}

/**
 * vmem_memmap_added() - @size bytes were added with vmem_memmap_mhp_flags()
 * @vm: device
 * @size: bytes (whole memory blocks)
 */
void vmem_memmap_added(struct vmem *vm, u64 size)
{
	if (vm->memmap_mode == VMEM_MEMMAP_TRY) {
		WRITE_ONCE(vm->memmap_mode, VMEM_MEMMAP_BLOCK);
		dev_info(vmem_dev(vm), "memmap on memory: yes\n");
	}
	atomic64_add(vmem_memmap_blocks(size) * vmem_memmap_per_block(vm),
		     &vm->memmap_size);
}

/**
 * vmem_memmap_removed() - @size bytes of added memory were removed
 * @vm: device
 * @size: bytes (whole memory blocks)
 */
void vmem_memmap_removed(struct vmem *vm, u64 size)
{
	atomic64_sub(vmem_memmap_blocks(size) * vmem_memmap_per_block(vm),
		     &vm->memmap_size);
}

/**
 * vmem_memmap_per_block() - memmap bytes of one added memory block
 * @vm: device
 *
 * Return: the bytes at its start (memmap in the block) or elsewhere.
 */
u64 vmem_memmap_per_block(struct vmem *vm)
{
	return vm->memmap_mode == VMEM_MEMMAP_BOOT ? vm->memmap_boot_bytes :
	       vm->memmap_block_bytes;
}

/**
 * vmem_memmap_in_block() - bytes of @size that hold memmaps after an add
 * with vmem_memmap_mhp_flags()
 * @vm: device
 * @size: bytes (whole memory blocks)
 *
 * Those bytes never go online: the memory notifier never reports them.
 *
 * Return: the bytes, 0 when memmaps go to boot memory.
 */
u64 vmem_memmap_in_block(struct vmem *vm, u64 size)
{
	if (vm->memmap_mode == VMEM_MEMMAP_BOOT)
		return 0;
	return vmem_memmap_blocks(size) * vm->memmap_block_bytes;
}

/**
 * vmem_memmap_costs_boot() - does adding memory take its memmap from the
 * memory the guest has?
 * @vm: device
 *
 * Until an older core has answered the first add, assume it does.
 *
 * Return: true unless memmaps are known to go into the blocks.
 */
bool vmem_memmap_costs_boot(struct vmem *vm)
{
	return READ_ONCE(vm->memmap_mode) != VMEM_MEMMAP_BLOCK;
}

/**
 * vmem_memmap_skip() - pages at @pfn that hold a memmap
 * @vm: device
 * @pfn: a page of added memory, section aligned
 *
 * Those pages are not the buddy's: unplugging a big block leaves them to
 * the removal, which frees them with the memory block.
 *
 * Return: the memmap pages starting at @pfn (at a memory block's start),
 * else 0.
 */
unsigned long vmem_memmap_skip(struct vmem *vm, unsigned long pfn)
{
	if (vm->memmap_mode != VMEM_MEMMAP_BLOCK ||
	    !IS_ALIGNED(PFN_PHYS(pfn), memory_block_size_bytes()))
		return 0;
	return PFN_DOWN(vm->memmap_block_bytes);
}

/**
 * vmem_memmap_online_ok() - does the kernel's layout match ours?
 * @vm: device
 * @start_pfn: first page of a memory block being onlined (the memory
 *	       notifier's range starts after the block's memmap)
 *
 * The pages vmem_memmap_skip() leaves out must be exactly the ones the
 * kernel keeps for the memmap, or unplugging would take pages it owns.
 *
 * Return: true if they match; else warns once.
 */
bool vmem_memmap_online_ok(struct vmem *vm, unsigned long start_pfn)
{
	unsigned long mb_pages = PFN_DOWN(memory_block_size_bytes());
	unsigned long got = start_pfn & (mb_pages - 1), want = 0;

	if (vm->memmap_mode != VMEM_MEMMAP_BOOT)
		want = PFN_DOWN(vm->memmap_block_bytes);
	if (got == want)
		return true;
	dev_warn_once(vmem_dev(vm),
		      "memory block at 0x%llx onlines from page %lu, expected %lu (memmap on memory layout): refusing to online it\n",
		      PFN_PHYS(start_pfn - got), got, want);
	return false;
}

static ssize_t memmap_on_memory_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	struct vmem *vm = dev_to_virtio(dev)->priv;

	return sysfs_emit(buf, "%d\n",
			  READ_ONCE(vm->memmap_mode) != VMEM_MEMMAP_BOOT);
}
DEVICE_ATTR_RO(memmap_on_memory);

static ssize_t memmap_size_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct vmem *vm = dev_to_virtio(dev)->priv;

	return sysfs_emit(buf, "%lld\n", atomic64_read(&vm->memmap_size));
}
DEVICE_ATTR_RO(memmap_size);
