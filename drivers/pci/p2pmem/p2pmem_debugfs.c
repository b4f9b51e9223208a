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
 *   p2pmemN/nvme_distance
 *                   table, one line "<BDF> <distance>" per NVMe controller
 *                   (class 0x010802) in the system: pci_p2pdma_distance_many()
 *                   between the export's provider and that controller, -1
 *                   when P2P DMA between them is not supported.  A table,
 *                   so debugfs and not sysfs (one value per file there).
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/seq_file.h>
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

static int p2pmem_distance_show(struct seq_file *m, void *unused)
{
	struct p2pmem_dev *p = m->private;
	struct pci_dev *nvme = NULL;
	struct device *client;

	while ((nvme = pci_get_class(PCI_CLASS_STORAGE_EXPRESS, nvme))) {
		client = &nvme->dev;
		seq_printf(m, "%s %d\n", pci_name(nvme),
			   pci_p2pdma_distance_many(p->pdev, &client, 1, false));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(p2pmem_distance);

/**
 * p2pmem_debugfs_add() - create the directory of an export
 * @p: the export, registered
 */
void p2pmem_debugfs_add(struct p2pmem_dev *p)
{
	p->debugfs = debugfs_create_dir(dev_name(&p->dev), p2pmem_debugfs_root);
	debugfs_create_file("nvme_distance", 0400, p->debugfs, p,
			    &p2pmem_distance_fops);
}

/**
 * p2pmem_debugfs_remove() - remove it; waits for readers of its files
 * @p: the export
 */
void p2pmem_debugfs_remove(struct p2pmem_dev *p)
{
	debugfs_remove_recursive(p->debugfs);
	p->debugfs = NULL;
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
