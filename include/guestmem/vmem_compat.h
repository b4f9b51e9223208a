/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory hot(un)plug API differences for the virtio-mem driver, decided
 * by compile-time probes (include/probes/), never by version numbers.
 */
#ifndef _GUESTMEM_VMEM_COMPAT_H
#define _GUESTMEM_VMEM_COMPAT_H

#include <linux/gfp.h>
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
