/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory hot(un)plug API differences for the virtio-mem driver, decided
 * by compile-time probes (include/probes/), never by version numbers.
 */
#ifndef _GUESTMEM_VMEM_COMPAT_H
#define _GUESTMEM_VMEM_COMPAT_H

#include <linux/gfp.h>
#include <linux/memory_hotplug.h>
#include <linux/mmzone.h>
#include <linux/slab.h>
#include <guestmem_probes.h>	/* generated: GUESTMEM_HAVE_* */

/*
 * vmem_alloc_contig(): isolate and allocate [pfn, pfn + nr) of movable
 * memory.  Newer kernels take acr_flags_t instead of a migratetype.
 * Quiet: failing on busy memory is expected and retried, and a failure
 * report with a memory dump per retry would flood the log.
 */
static inline int vmem_alloc_contig(unsigned long pfn, unsigned long nr)
{
#ifdef GUESTMEM_HAVE_ACR_FLAGS
	return alloc_contig_range(pfn, pfn + nr, ACR_FLAGS_NONE,
				  GFP_KERNEL | __GFP_NOWARN);
#else
	return alloc_contig_range(pfn, pfn + nr, MIGRATE_MOVABLE,
				  GFP_KERNEL | __GFP_NOWARN);
#endif
}

/*
 * VMEM_MAX_ORDER: largest buddy order a range may be onlined with
 * (inclusive).  MAX_PAGE_ORDER appeared in 6.8; before 6.4 MAX_ORDER was
 * exclusive.  For 6.4-6.7 (inclusive MAX_ORDER, no MAX_PAGE_ORDER) this
 * is one order smaller than possible, which is safe.
 */
#ifdef MAX_PAGE_ORDER
#define VMEM_MAX_ORDER		MAX_PAGE_ORDER
#else
#define VMEM_MAX_ORDER		(MAX_ORDER - 1)
#endif

/*
 * GUESTMEM_HAVE_MEMMAP_OFFLINE_INIT (6.11 and backports): the memmap of
 * hot-added memory starts PageOffline instead of PageReserved, and
 * offlining skips the managed-page accounting of PageOffline pages.
 */

/*
 * Memmap on memory: add_memory_driver_managed() with MHP_MEMMAP_ON_MEMORY
 * places the memmap of the memory added into that memory.
 *
 * enum vmem_mhp_memmap, what the kernel offers a module:
 *  VMEM_MHP_MEMMAP_NONE    nothing: no flag, CONFIG_MHP_MEMMAP_ON_MEMORY
 *                          off, or (exported check) memory_hotplug.
 *                          memmap_on_memory off / the memory block does
 *                          not qualify
 *  VMEM_MHP_MEMMAP_SPLIT   mhp_supports_memmap_on_memory() said yes: the
 *                          core gives every memory block of an add its own
 *                          memmap (and would ignore the flag otherwise)
 *  VMEM_MHP_MEMMAP_SINGLE  an older core with the flag but no exported
 *                          check: it self-hosts only adds of exactly one
 *                          memory block and fails the add with -EINVAL
 *                          when memory_hotplug.memmap_on_memory is off,
 *                          which the caller can only learn by trying
 */
enum vmem_mhp_memmap {
	VMEM_MHP_MEMMAP_NONE,
	VMEM_MHP_MEMMAP_SPLIT,
	VMEM_MHP_MEMMAP_SINGLE,
};

static inline enum vmem_mhp_memmap vmem_mhp_memmap_offered(void)
{
#if defined(GUESTMEM_HAVE_MHP_SUPPORTS_MEMMAP_ON_MEMORY)
	return mhp_supports_memmap_on_memory() ? VMEM_MHP_MEMMAP_SPLIT :
						 VMEM_MHP_MEMMAP_NONE;
#elif defined(GUESTMEM_HAVE_MHP_MEMMAP_ON_MEMORY) && \
	IS_ENABLED(CONFIG_MHP_MEMMAP_ON_MEMORY)
	return VMEM_MHP_MEMMAP_SINGLE;
#else
	return VMEM_MHP_MEMMAP_NONE;
#endif
}

/* The flag, or nothing where the kernel lacks it. */
#ifdef GUESTMEM_HAVE_MHP_MEMMAP_ON_MEMORY
#define VMEM_MHP_MEMMAP_ON_MEMORY	MHP_MEMMAP_ON_MEMORY
#else
#define VMEM_MHP_MEMMAP_ON_MEMORY	MHP_NONE
#endif

/*
 * vmem_cc_guest(): the guest's memory is encrypted (SEV, TDX, ...):
 * hot-plugged memory would need to be accepted/shared, which the driver
 * does not do.  Kernels without cc_platform_has() predate such guests.
 */
#ifdef GUESTMEM_HAVE_CC_PLATFORM_HAS
#include <linux/cc_platform.h>
static inline bool vmem_cc_guest(void)
{
	return cc_platform_has(CC_ATTR_GUEST_MEM_ENCRYPT);
}
#else
static inline bool vmem_cc_guest(void)
{
	return false;
}
#endif

#ifndef kzalloc_obj
#define kzalloc_obj(P, GFP)	kzalloc(sizeof(P), GFP)
#endif

#endif /* _GUESTMEM_VMEM_COMPAT_H */
