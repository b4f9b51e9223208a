// SPDX-License-Identifier: GPL-2.0
/*
 * GUESTMEM_HAVE_GET_DEV_PAGEMAP_ONE_ARG: get_dev_pagemap() takes only the
 * pfn; older kernels also take a cached pgmap to try first.
 */
#include <linux/memremap.h>

struct dev_pagemap *guestmem_probe(unsigned long pfn);
struct dev_pagemap *guestmem_probe(unsigned long pfn)
{
	return get_dev_pagemap(pfn);
}
