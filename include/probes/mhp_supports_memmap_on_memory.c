// SPDX-License-Identifier: GPL-2.0
/*
 * GUESTMEM_HAVE_MHP_SUPPORTS_MEMMAP_ON_MEMORY: a module can call
 * bool mhp_supports_memmap_on_memory(void): declared without an argument
 * and exported (6.8, with the series that let dax/kmem use the flag).
 * The same series made add_memory_resource() give every memory block of
 * a larger range its own memmap and ignore MHP_MEMMAP_ON_MEMORY when this
 * function says no.  Older cores (Debian 6.1) declare it with a size
 * argument, do not export it, accept the flag only for a range of exactly
 * one memory block and fail the add with -EINVAL when the feature is off.
 *
 * guestmem-probe-exports: mhp_supports_memmap_on_memory
 */
#include <linux/memory_hotplug.h>

bool guestmem_probe(void);
bool guestmem_probe(void)
{
	return mhp_supports_memmap_on_memory();
}
