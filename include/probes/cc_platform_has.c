// SPDX-License-Identifier: GPL-2.0
/*
 * GUESTMEM_HAVE_CC_PLATFORM_HAS: <linux/cc_platform.h> with
 * cc_platform_has(CC_ATTR_GUEST_MEM_ENCRYPT) (5.16; a stub returning
 * false on kernels without CONFIG_ARCH_HAS_CC_PLATFORM).
 */
#include <linux/cc_platform.h>

bool guestmem_probe(void);
bool guestmem_probe(void)
{
	return cc_platform_has(CC_ATTR_GUEST_MEM_ENCRYPT);
}
