// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mem: the unmovable-memory reserve of the plug path.
 *
 * Adding memory costs memory the added block cannot provide itself: its
 * memmap (one struct page per page: 2 MiB per 128 MiB on x86-64), on
 * KASAN kernels its shadow (1/8 of it, allocated when it goes online), and
 * a little per-block metadata (memory block device, sysfs nodes, resource,
 * page tables of the direct map and the vmemmap).  All of that is kernel
 * memory and comes from the zones that hold kernel allocations (DMA,
 * DMA32, NORMAL), while the memory added goes to ZONE_MOVABLE and cannot
 * hold it.  A guest that boots small and is asked for many times its size
 * runs out of kernel memory while it grows: upstream's driver keeps adding
 * until the kernel panics ("System is deadlocked on memory"; a 512 MiB
 * guest asked for 32 GiB dies at ~24 GiB).
 *
 * So before a block is plugged (the plug path allocates nothing else: the
 * request buffers and block states are allocated at probe)
 * vmem_reserve_allows() checks that the free memory of those zones, after
 * paying for the block, stays at or above the reserve:
 *
 *   reserve = sum over the zones of (high watermark + the zone's
 *             lowmem_reserve against GFP_KERNEL allocations)
 *           + max(64 MiB, RAM / 256) for the kernel to use the RAM it has:
 *             page tables mapping all of it with 4 KiB pages take RAM / 512,
 *             the page cache's xarray nodes about as much
 *           + on generic KASAN kernels RAM / 32, the most its quarantine
 *             of freed slab objects holds: the quarantine's limit follows
 *             totalram_pages(), so every block added lets it keep 1/32 of
 *             the block more of unmovable memory (without this a test
 *             kernel that stopped at its reserve ran out of kernel memory
 *             minutes later, the quarantine filling up behind the stop)
 *
 * (RAM counted with the memory to be added; vmem_reserve_bytes().)
 *
 * Otherwise plugging stops with -ENOMEM (the worker retries with its
 * backoff, so freed memory lets it go on), the stop is reported once, and
 * sysfs shows the reserve and the state.  Plugging resumes when a block
 * fits with a quarter of the reserve to spare (free memory fluctuates by
 * a few MiB: short-lived processes, per-cpu lists; without the margin it
 * would start and stop, warning each time), and the state clears when the
 * request no longer asks for more memory.
 * page_ext (page_owner=on and the like) is not estimated: the headroom
 * covers it for small guests.
 */
#include <linux/device.h>
#include <linux/kasan.h>
#include <linux/memory.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/sizes.h>
#include <linux/sysfs.h>
#include <linux/vmstat.h>

#include "vmem.h"

static bool plug_reserve = true;
module_param(plug_reserve, bool, 0644);
MODULE_PARM_DESC(plug_reserve,
		 "Stop plugging before memmaps use up the unmovable memory the kernel needs (default Y; N: add until the kernel runs out, like upstream)");

/* Resume after a stop only with reserve >> VMEM_RESUME_SHIFT more free. */
#define VMEM_RESUME_SHIFT	2
/* Per memory block metadata besides the memmap (generous estimate). */
#define VMEM_BLOCK_META		SZ_64K

/* Shadow that KASAN allocates for @size bytes of memory when onlined. */
static u64 vmem_shadow_size(u64 size)
{
#ifdef CONFIG_KASAN_GENERIC
	return size >> KASAN_SHADOW_SCALE_SHIFT;
#else
	return 0;
#endif
}

/*
 * Unmovable memory that adding @size bytes (whole memory blocks) takes:
 * the memmap unless it goes into the blocks themselves (memmap on memory,
 * vmem_memmap.c), the KASAN shadow (also of the device's memory that is
 * added but not yet online: its shadow is still to be paid) and per
 * memory block metadata.
 */
static u64 vmem_memmap_cost(struct vmem *vm, u64 size)
{
	return vmem_memmap_costs_boot(vm) ? PFN_DOWN(size) * sizeof(struct page) : 0;
}

static u64 vmem_add_cost(struct vmem *vm, u64 size)
{
	u64 blocks = div64_u64(size, memory_block_size_bytes());

	return vmem_memmap_cost(vm, size) + blocks * VMEM_BLOCK_META +
	       vmem_shadow_size(size + atomic64_read(&vm->offline_size));
}

static const char *vmem_cost_name(struct vmem *vm, u64 size)
{
	if (!vmem_shadow_size(size))
		return vmem_memmap_cost(vm, size) ? "its memmap" : "block metadata";
	return vmem_memmap_cost(vm, size) ? "memmap and sanitizer shadow" :
					    "sanitizer shadow";
}

/* Free and kept-back pages of the zones that hold kernel allocations. */
struct vmem_unmovable {
	unsigned long free;
	unsigned long kept;
};

static void vmem_unmovable_read(struct vmem_unmovable *u)
{
	struct zone *zone;
	unsigned long free;
	int nid, i;

	u->free = 0;
	u->kept = 0;
	for_each_online_node(nid) {
		for (i = 0; i <= ZONE_NORMAL; i++) {
			zone = &NODE_DATA(nid)->node_zones[i];
			if (!populated_zone(zone))
				continue;
			/* CMA pages only take movable allocations */
			free = zone_page_state_snapshot(zone, NR_FREE_PAGES);
			free -= min(free, zone_page_state_snapshot(zone,
							NR_FREE_CMA_PAGES));
			u->free += free;
			u->kept += high_wmark_pages(zone) +
				   max(zone->lowmem_reserve[ZONE_NORMAL], 0L);
		}
	}
}

/* The reserve with @size bytes more RAM, given the zones' kept pages. */
static u64 vmem_reserve_with(unsigned long kept, u64 size)
{
	return vmem_reserve_bytes(PFN_PHYS((u64)kept),
				  PFN_PHYS((u64)totalram_pages()) + size,
				  IS_ENABLED(CONFIG_KASAN_GENERIC));
}

/* Bytes plugging keeps free: watermarks, lowmem reserves, headroom. */
static u64 vmem_unmovable_reserve(struct vmem *vm)
{
	struct vmem_unmovable u;

	vmem_unmovable_read(&u);
	return vmem_reserve_with(u.kept, vm->geo.block_size);
}

static void vmem_reserve_stop(struct vmem *vm, u64 size, u64 cost, u64 free,
			      u64 reserve)
{
	if (vm->reserve_stopped)
		return;
	WRITE_ONCE(vm->reserve_stopped, true);
	dev_warn(vmem_dev(vm),
		 "stopped plugging at %llu MiB of %llu MiB requested: adding %llu MiB more needs %llu MiB of unmovable memory (%s), %llu MiB is free and %llu MiB must stay free for the kernel; freeing kernel memory, booting with more memory or a lower requested size lets it go on (retrying)\n",
		 READ_ONCE(vm->cfg.plugged_size) >> 20,
		 READ_ONCE(vm->cfg.requested_size) >> 20, size >> 20,
		 DIV_ROUND_UP_ULL(cost, SZ_1M),
		 vmem_cost_name(vm, size),
		 free >> 20, reserve >> 20);
}

/**
 * vmem_reserve_allows() - may @size bytes be plugged and added now?
 * @vm: device
 * @size: bytes (whole memory blocks)
 *
 * Call before the PLUG request of memory that is to be added.  Warns once
 * when plugging stops, logs when it resumes.
 *
 * Return: true if the unmovable zones stay at or above the reserve after
 * paying for @size (once stopped: with a quarter of the reserve to spare).
 */
bool vmem_reserve_allows(struct vmem *vm, u64 size)
{
	struct vmem_unmovable u;
	u64 cost, free, reserve;

	if (!READ_ONCE(plug_reserve))
		return true;
	vmem_unmovable_read(&u);
	cost = vmem_add_cost(vm, size);
	free = PFN_PHYS((u64)u.free);
	reserve = vmem_reserve_with(u.kept, size);
	/* once stopped, resume only with room to spare: no start-stop */
	if (free >= cost + reserve +
		    (vm->reserve_stopped ? reserve >> VMEM_RESUME_SHIFT : 0)) {
		if (vm->reserve_stopped) {
			WRITE_ONCE(vm->reserve_stopped, false);
			dev_info(vmem_dev(vm),
				 "unmovable memory available again (%llu MiB free): plugging resumes at %llu MiB\n",
				 free >> 20,
				 READ_ONCE(vm->cfg.plugged_size) >> 20);
		}
		return true;
	}
	vmem_reserve_stop(vm, size, cost, free, reserve);
	return false;
}

/**
 * vmem_reserve_settled() - the request asks for no more memory
 * @vm: device
 *
 * Clears the stopped state without a message (the request was lowered).
 */
void vmem_reserve_settled(struct vmem *vm)
{
	if (vm->reserve_stopped)
		WRITE_ONCE(vm->reserve_stopped, false);
}

static ssize_t unmovable_reserve_show(struct device *dev,
				      struct device_attribute *attr, char *buf)
{
	struct vmem *vm = dev_to_virtio(dev)->priv;

	return sysfs_emit(buf, "%llu\n", vmem_unmovable_reserve(vm));
}
DEVICE_ATTR_RO(unmovable_reserve);

static ssize_t plug_stopped_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct vmem *vm = dev_to_virtio(dev)->priv;

	return sysfs_emit(buf, "%d\n", READ_ONCE(vm->reserve_stopped));
}
DEVICE_ATTR_RO(plug_stopped);
