// SPDX-License-Identifier: GPL-2.0
/*
 * GUESTMEM_HAVE_CC_PLATFORM_HAS: <linux/cc_platform.h> declares
 * cc_platform_has() and CC_ATTR_GUEST_MEM_ENCRYPT (5.16); it is a stub
 * returning false when the kernel has no CC platform support.
 */
#include <linux/cc_platform.h>

bool guestmem_probe(void);
bool guestmem_probe(void)
{
	return cc_platform_has(CC_ATTR_GUEST_MEM_ENCRYPT);
}
