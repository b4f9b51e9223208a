// SPDX-License-Identifier: GPL-2.0
/*
 * p2pmem_pci: the /dev/p2pmemN character device.
 *
 * Every open file of a device gets the device's pseudo inode mapping as
 * f_mapping, so every user mapping of the device hangs off one address
 * space and the provider's teardown can zap them all at once, whatever
 * device node (or hard link) was opened.
 */
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/slab.h>
#include <guestmem/compat.h>
#include <guestmem/p2pmem_compat.h>
#include "p2pmem.h"
#include "p2pmem_logic.h"
#include "p2pmem_trace.h"

#define P2PMEM_FS_MAGIC	0x70327066	/* "p2pf" */

static atomic_t p2pmem_next_id = ATOMIC_INIT(0);

static struct vfsmount *p2pmem_mnt;

static int p2pmem_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, P2PMEM_FS_MAGIC) ? 0 : -ENOMEM;
}

/*
 * No .owner: the kernel mount would pin the module forever.  It is only
 * mounted between module init and exit.
 */
static struct file_system_type p2pmem_fs_type = {
	.name = "p2pmem_guestmem",
	.init_fs_context = p2pmem_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

/**
 * p2pmem_fs_init() - mount the pseudo filesystem of the mapping inodes
 *
 * Return: 0 or a negative errno.
 */
int p2pmem_fs_init(void)
{
	p2pmem_mnt = kern_mount(&p2pmem_fs_type);
	return PTR_ERR_OR_ZERO(p2pmem_mnt);
}

/**
 * p2pmem_fs_exit() - unmount it; every device is gone by now
 */
void p2pmem_fs_exit(void)
{
	kern_unmount(p2pmem_mnt);
}

static int p2pmem_open(struct inode *inode, struct file *filp)
{
	struct p2pmem_dev *p = container_of(inode->i_cdev, struct p2pmem_dev, cdev);

	get_device(&p->dev);
	filp->private_data = p;
	filp->f_mapping = p->inode->i_mapping;
	return 0;
}

static int p2pmem_release(struct inode *inode, struct file *filp)
{
	struct p2pmem_dev *p = filp->private_data;

	put_device(&p->dev);
	return 0;
}

static const struct file_operations p2pmem_fops = {
	.owner = THIS_MODULE,
	.open = p2pmem_open,
	.release = p2pmem_release,
	.mmap = p2pmem_mmap,
};

static void p2pmem_dev_release(struct device *dev)
{
	struct p2pmem_dev *p = to_p2pmem_dev(dev);

	iput(p->inode);
	ida_free(&p2pmem_minors, MINOR(dev->devt));
	pci_dev_put(p->pdev);
	kfree(p);
}

/*
 * May the window at @off of BAR @bar of @pdev reach user space?  Not if
 * it lies on an NVMe controller's registers or doorbells in BAR 0.  The
 * exporter does not own the device and reads none of its registers, so
 * it assumes the largest doorbell stride (CAP.DSTRD = 15): an NVMe CMB in
 * BAR 0 is exported only past 16 GiB + 4 KiB.  (The in-tree nvme driver
 * does not check this before registering a CMB.)
 */
static bool p2pmem_window_exportable(struct pci_dev *pdev, int bar,
				     resource_size_t off)
{
	u64 end = p2pmem_nvme_regs_end(P2PMEM_NVME_CAP_DSTRD);

	if (pdev->class != PCI_CLASS_STORAGE_EXPRESS || bar != 0 || off >= end)
		return true;
	pci_warn(pdev, "not exporting the P2P memory at BAR 0 offset %#llx: it may overlap the NVMe registers and doorbells (up to %#llx)\n",
		 (u64)off, end);
	return false;
}

/*
 * Find the P2P windows registered for @pdev: the P2PDMA core keeps them
 * private, but each is a ZONE_DEVICE pgmap of type PCI_P2PDMA inside one
 * of the device's memory BARs, at 2 MiB granularity.
 */
static void p2pmem_dev_find_windows(struct p2pmem_dev *p)
{
	struct pci_dev *pdev = p->pdev;
	struct dev_pagemap *pgmap;
	resource_size_t start, len, off;
	int bar;

	p->bar = -1;
	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM))
			continue;
		start = pci_resource_start(pdev, bar);
		len = pci_resource_len(pdev, bar);
		for (off = 0; off < len; off += P2PMEM_MIN_ALIGN) {
			pgmap = guestmem_get_dev_pagemap(PHYS_PFN(start + off));
			if (!pgmap)
				continue;
			if (pgmap->type == MEMORY_DEVICE_PCI_P2PDMA &&
			    pgmap->range.start == start + off &&
			    p2pmem_window_exportable(pdev, bar, off)) {
				if (p->bar < 0) {
					p->bar = bar;
					p->phys = pgmap->range.start;
					p->bus = pci_bus_address(pdev, bar) + off;
				}
				p->size += range_len(&pgmap->range);
			}
			put_dev_pagemap(pgmap);
		}
	}
}

static void p2pmem_dev_init(struct p2pmem_dev *p, struct pci_dev *pdev,
			    int minor)
{
	device_initialize(&p->dev);
	p->dev.class = &p2pmem_class;
	p->dev.parent = &pdev->dev;
	p->dev.devt = MKDEV(MAJOR(p2pmem_devt), minor);
	p->dev.groups = p2pmem_groups;
	p->dev.release = p2pmem_dev_release;
	p->pdev = pci_dev_get(pdev);
	p->id = atomic_inc_return(&p2pmem_next_id);
}

/**
 * p2pmem_dev_create() - create /dev/p2pmemN for a published provider
 * @pdev: the provider, bound to its driver
 *
 * Context: process, with @pdev's device lock held.
 * Return: the new device or an ERR_PTR().
 */
struct p2pmem_dev *p2pmem_dev_create(struct pci_dev *pdev)
{
	struct p2pmem_dev *p;
	int minor, err;

	p = kzalloc_obj(*p, GFP_KERNEL);
	if (!p)
		return ERR_PTR(-ENOMEM);
	mutex_init(&p->lock);
	INIT_LIST_HEAD(&p->allocs);
	p->inode = alloc_anon_inode(p2pmem_mnt->mnt_sb);
	if (IS_ERR(p->inode)) {
		err = PTR_ERR(p->inode);
		kfree(p);
		return ERR_PTR(err);
	}
	minor = p2pmem_minor_get(&p2pmem_minors, p2pmem_nr_minors);
	if (minor < 0) {
		pci_err(pdev, "no free p2pmem minor (max_devices=%u)\n",
			p2pmem_nr_minors);
		err = minor;
		goto free_inode;
	}
	/* from here on, the release callback frees everything */
	p2pmem_dev_init(p, pdev, minor);
	err = dev_set_name(&p->dev, "p2pmem%d", minor);
	if (err)
		goto put_dev;
	p2pmem_dev_find_windows(p);
	if (!p->size) {
		pci_err(pdev, "published as P2P memory provider, but no P2PDMA window found\n");
		err = -ENODEV;
		goto put_dev;
	}
	cdev_init(&p->cdev, &p2pmem_fops);
	p->cdev.owner = THIS_MODULE;
	err = cdev_device_add(&p->cdev, &p->dev);
	if (err) {
		pci_err(pdev, "adding %s failed: %d\n", dev_name(&p->dev), err);
		goto put_dev;
	}
	p2pmem_debugfs_add(p);
	dev_info(&p->dev, "%llu bytes of P2P memory of %s (BAR %d, bus address %#llx)\n",
		 p->size, pci_name(pdev), p->bar, (u64)p->bus);
	return p;

put_dev:
	put_device(&p->dev);
	return ERR_PTR(err);
free_inode:
	iput(p->inode);
	kfree(p);
	return ERR_PTR(err);
}

/**
 * p2pmem_dev_destroy() - remove /dev/p2pmemN, its provider goes away
 * @p: the device
 *
 * No new mapping can be made, every existing user mapping is zapped (a
 * later access gets SIGBUS) and every buffer is handed back to the
 * provider's pool as soon as no page of it is pinned any more.  The
 * structure itself lives on while files are open.
 *
 * Race-free against mmap() and faults (see the top of p2pmem_mmap.c):
 * after @dead is set under p->lock no PTE can be made any more, and
 * every PTE made before belongs to a VMA already in i_mmap, which
 * unmap_mapping_range() reaches.
 *
 * Context: process, with the provider's device lock held.
 */
void p2pmem_dev_destroy(struct p2pmem_dev *p)
{
	mutex_lock(&p->lock);
	p->dead = true;
	trace_p2pmem_dev_destroy(p->pdev, p->id, p->allocated);
	mutex_unlock(&p->lock);
	unmap_mapping_range(p->inode->i_mapping, 0, 0, 1);
	p2pmem_retire_all(p);
	p2pmem_debugfs_remove(p);
	cdev_device_del(&p->cdev, &p->dev);
	dev_info(&p->dev, "removed (provider %s going away)\n", pci_name(p->pdev));
	put_device(&p->dev);
}
