// SPDX-License-Identifier: GPL-2.0
/*
 * GUESTMEM_HAVE_PGMAP_FOLIO_FREE: dev_pagemap_ops has folio_free() instead
 * of page_free().  The same rework made free ZONE_DEVICE P2PDMA pages
 * sit at refcount 0 (commit b7e282378773 "mm/mm_init: move p2pdma page
 * refcount initialisation to p2pdma"): whoever hands a page out sets
 * its count to 1 first.  Up to 6.12 free P2PDMA pages have refcount 1.
 */
#include <linux/memremap.h>

static void guestmem_free(struct folio *folio)
{
}

const struct dev_pagemap_ops guestmem_probe_ops = {
	.folio_free = guestmem_free,
};
