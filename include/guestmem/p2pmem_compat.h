/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences met by p2pmem_pci, decided by the feature probes
 * of include/probes/ (scripts/compat-probe.sh), never by version numbers.
 */
#ifndef _GUESTMEM_P2PMEM_COMPAT_H
#define _GUESTMEM_P2PMEM_COMPAT_H

#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/page_ref.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <guestmem_probes.h>	/* generated: GUESTMEM_HAVE_* */

/* Set VMA flags: a plain store before 6.3. */
static inline void guestmem_vm_flags_set(struct vm_area_struct *vma,
					 unsigned long flags)
{
#ifdef GUESTMEM_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/* The ZONE_DEVICE pgmap covering @pfn, with a reference, or NULL. */
static inline struct dev_pagemap *guestmem_get_dev_pagemap(unsigned long pfn)
{
#ifdef GUESTMEM_HAVE_GET_DEV_PAGEMAP_ONE_ARG
	return get_dev_pagemap(pfn);
#else
	return get_dev_pagemap(pfn, NULL);
#endif
}

/*
 * Has @pdev registered and published P2P memory?  Where pci_has_p2pmem()
 * is no longer exported, ask the P2PDMA core for the published provider
 * closest to @pdev itself: that is @pdev (distance 0) iff it publishes.
 */
static inline bool guestmem_pci_has_p2pmem(struct pci_dev *pdev)
{
#ifdef GUESTMEM_HAVE_PCI_HAS_P2PMEM
	return pci_has_p2pmem(pdev);
#else
	struct device *client = &pdev->dev;
	struct pci_dev *found = pci_p2pmem_find_many(&client, 1);

	pci_dev_put(found);
	return found == pdev;
#endif
}

/*
 * May @pdev's BARs be mapped by the CPU and by peers?  Newer kernels flag
 * devices whose BARs must not be (pdev->non_mappable_bars) and then give
 * them no P2PDMA provider; where the flag does not exist, every BAR may.
 */
static inline bool guestmem_pci_bars_mappable(struct pci_dev *pdev)
{
#ifdef GUESTMEM_HAVE_PCI_NON_MAPPABLE_BARS
	return !pdev->non_mappable_bars;
#else
	return true;
#endif
}

/*
 * Reference count of a free page of a P2PDMA pool: 1 up to 6.12, 0 once
 * dev_pagemap_ops.folio_free exists (see include/probes/pgmap_folio_free.c).
 */
#ifdef GUESTMEM_HAVE_PGMAP_FOLIO_FREE
#define GUESTMEM_P2PDMA_FREE_REFCOUNT	0
#else
#define GUESTMEM_P2PDMA_FREE_REFCOUNT	1
#endif

#endif /* _GUESTMEM_P2PMEM_COMPAT_H */
