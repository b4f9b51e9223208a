// SPDX-License-Identifier: GPL-2.0
/*
 * p2pmem_pci: debugfs, /sys/kernel/debug/p2pmem_pci/
 *
 *   mmap_delay_ms   test only: ->mmap() sleeps this long just before it
 *                   returns, with no lock held, i.e. inside the window in
 *                   which the core has not yet linked the new VMA into the
 *                   file's address space.  Widens that window so a test
 *                   can run a teardown inside it (tests/guest/p2pmem.sh,
 *                   p2pmem-mmap-race).  0 (default): no delay.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include "p2pmem.h"

static struct dentry *p2pmem_debugfs_root;
static u32 p2pmem_mmap_delay_ms;

/**
 * p2pmem_debugfs_mmap_delay() - the test-only delay at the end of ->mmap()
 *
 * Context: process, no lock held; only when debugfs set a delay.
 */
void p2pmem_debugfs_mmap_delay(void)
{
	u32 ms = READ_ONCE(p2pmem_mmap_delay_ms);

	if (ms)
		msleep(ms);
}

/**
 * p2pmem_debugfs_init() - create /sys/kernel/debug/p2pmem_pci/
 *
 * Failures are ignored: debugfs is optional.
 */
void p2pmem_debugfs_init(void)
{
	p2pmem_debugfs_root = debugfs_create_dir(P2PMEM_NAME, NULL);
	debugfs_create_u32("mmap_delay_ms", 0600, p2pmem_debugfs_root,
			   &p2pmem_mmap_delay_ms);
}

/**
 * p2pmem_debugfs_exit() - remove it
 */
void p2pmem_debugfs_exit(void)
{
	debugfs_remove_recursive(p2pmem_debugfs_root);
}
