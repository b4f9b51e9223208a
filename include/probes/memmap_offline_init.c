// SPDX-License-Identifier: GPL-2.0
/*
 * GUESTMEM_HAVE_MEMMAP_OFFLINE_INIT: hot-added memory is initialised
 * PageOffline (not PageReserved) and offline_pages() leaves the managed
 * page count of PageOffline pages alone (6.11, "mm/memory_hotplug:
 * initialize memmap of !ZONE_DEVICE with PageOffline()").  The same
 * series made __offline_isolated_pages() return the number of managed
 * pages it offlined, which is what this probe detects.
 */
#include <linux/memory_hotplug.h>

unsigned long guestmem_probe(void);
unsigned long guestmem_probe(void)
{
	/* a void expression here (older kernels) fails the probe */
	return __offline_isolated_pages(0, 0);
}
