// SPDX-License-Identifier: GPL-2.0
/*
 * GUESTMEM_HAVE_MHP_MEMMAP_ON_MEMORY: add_memory_driver_managed() takes
 * MHP_MEMMAP_ON_MEMORY (5.12+): the memmap of the memory added is
 * allocated from that memory.  What the core then does with the flag
 * differs: see GUESTMEM_HAVE_MHP_SUPPORTS_MEMMAP_ON_MEMORY.
 *
 * guestmem-probe-exports: add_memory_driver_managed
 */
#include <linux/memory_hotplug.h>

int guestmem_probe(void);
int guestmem_probe(void)
{
	return add_memory_driver_managed(0, 0, 0, "probe",
					 MHP_MEMMAP_ON_MEMORY);
}
