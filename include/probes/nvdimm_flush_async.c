// SPDX-License-Identifier: GPL-2.0
/*
 * GUESTMEM_HAVE_NVDIMM_FLUSH_ASYNC: a region flush callback may return
 * NVDIMM_FLUSH_ASYNC and complete the bio itself; pmem.c then runs
 * REQ_PREFLUSH synchronously before the data and only hands FUA bios to
 * the provider.  Mainline 7.3 (Li Chen's virtio-pmem series), backported
 * to Debian 6.12.117.
 */
#include <linux/libnvdimm.h>

int guestmem_probe(void);
int guestmem_probe(void)
{
	return NVDIMM_FLUSH_ASYNC;
}
