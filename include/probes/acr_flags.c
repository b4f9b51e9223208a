// SPDX-License-Identifier: GPL-2.0
/*
 * GUESTMEM_HAVE_ACR_FLAGS: alloc_contig_range() takes acr_flags_t
 * (ACR_FLAGS_NONE) instead of a migratetype (6.16+).
 */
#include <linux/gfp.h>

acr_flags_t guestmem_probe(void);
acr_flags_t guestmem_probe(void)
{
	return ACR_FLAGS_NONE;
}
