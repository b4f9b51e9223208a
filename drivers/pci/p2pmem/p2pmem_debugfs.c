// SPDX-License-Identifier: GPL-2.0
/*
 * p2pmem_pci: debugfs, /sys/kernel/debug/p2pmem_pci/
 *
 *   mmap_hold       test only: while 1, every ->mmap() waits just before it
 *                   returns, with no lock held, i.e. inside the window in
 *                   which the core has not yet linked the new VMA into the
 *                   file's address space, until it is written 0 again (or
 *                   P2PMEM_MMAP_HOLD_MAX has passed: then with a warning).
 *                   A test runs a teardown inside that window however slow
 *                   the machine is (tests/guest/p2pmem.sh, p2pmem-mmap-race).
 *                   0 (default): no wait.
 *   mmap_held       read only: how many ->mmap() calls are waiting now.
 *   p2pmemN/nvme_distance
 *                   table, one line "<BDF> <distance>" per NVMe controller
 *                   (class 0x010802) in the system: pci_p2pdma_distance_many()
 *                   between the export's provider and that controller, -1
 *                   when P2P DMA between them is not supported.  A table,
 *                   so debugfs and not sysfs (one value per file there).
 */
#include <linux/debugfs.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/wait.h>
#include "p2pmem.h"

/* the longest a test may hold an mmap() call */
#define P2PMEM_MMAP_HOLD_MAX	(300 * HZ)

static struct dentry *p2pmem_debugfs_root;
static u32 p2pmem_mmap_hold;
static atomic_t p2pmem_mmap_held = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(p2pmem_mmap_wq);

/**
 * p2pmem_debugfs_mmap_hold() - the test-only wait at the end of ->mmap()
 * @p: the export being mapped (the open file holds a reference)
 *
 * Context: process, no lock held; waits only while debugfs mmap_hold is 1.
 */
void p2pmem_debugfs_mmap_hold(struct p2pmem_dev *p)
{
	long left;

	if (!READ_ONCE(p2pmem_mmap_hold))
		return;
	atomic_inc(&p2pmem_mmap_held);
	left = wait_event_killable_timeout(p2pmem_mmap_wq,
					   !READ_ONCE(p2pmem_mmap_hold),
					   P2PMEM_MMAP_HOLD_MAX);
	atomic_dec(&p2pmem_mmap_held);
	if (!left)
		dev_warn(&p->dev, "mmap_hold: %s let go after %d s, the knob still set\n",
			 current->comm, P2PMEM_MMAP_HOLD_MAX / HZ);
}

static int p2pmem_mmap_hold_get(void *data, u64 *val)
{
	*val = READ_ONCE(p2pmem_mmap_hold);
	return 0;
}

static int p2pmem_mmap_hold_set(void *data, u64 val)
{
	if (val > 1)
		return -EINVAL;
	WRITE_ONCE(p2pmem_mmap_hold, val);
	if (!val)
		wake_up_all(&p2pmem_mmap_wq);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(p2pmem_mmap_hold_fops, p2pmem_mmap_hold_get,
			 p2pmem_mmap_hold_set, "%llu\n");

static int p2pmem_mmap_held_get(void *data, u64 *val)
{
	*val = atomic_read(&p2pmem_mmap_held);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(p2pmem_mmap_held_fops, p2pmem_mmap_held_get, NULL,
			 "%llu\n");

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
	debugfs_create_file_unsafe("mmap_hold", 0600, p2pmem_debugfs_root, NULL,
				   &p2pmem_mmap_hold_fops);
	debugfs_create_file_unsafe("mmap_held", 0400, p2pmem_debugfs_root, NULL,
				   &p2pmem_mmap_held_fops);
}

/**
 * p2pmem_debugfs_exit() - remove it
 */
void p2pmem_debugfs_exit(void)
{
	debugfs_remove_recursive(p2pmem_debugfs_root);
}
