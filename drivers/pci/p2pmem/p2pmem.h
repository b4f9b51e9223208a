/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pmem_pci: PCI peer-to-peer memory as /dev/p2pmemN.
 *
 * provider.c  PCI driver for devices whose BAR (or NVMe CMB) becomes P2P
 *             memory: pci_p2pdma_add_resource() + pci_p2pmem_publish()
 * cmb.c       NVMe CMB discovery and enabling for the provider driver
 * exporter.c  one /dev/p2pmemN per published provider, whoever owns it,
 *             kept in sync with a PCI bus notifier
 * cdev.c      the character device: open/release, the pseudo inode whose
 *             address space holds every user mapping
 * mmap.c      buffers allocated from the provider's pool and their page
 *             lifetime; teardown when the provider goes away
 * sysfs.c     attributes of /sys/class/p2pmem_guestmem/p2pmemN
 * debugfs.c   /sys/kernel/debug/p2pmem_pci/ (test knobs, tables)
 * logic.c     device-independent checks (KUnit: kunit/p2pmem_kunit.c)
 */
#ifndef _P2PMEM_H
#define _P2PMEM_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/workqueue.h>
#include <guestmem/version.h>

#define P2PMEM_NAME	"p2pmem_pci"
#define P2PMEM_VERSION	GUESTMEM_VERSION

/**
 * struct p2pmem_dev - one /dev/p2pmemN
 * @dev: the class device (parent: the provider's PCI device)
 * @id: number of this export, unique while the module is loaded (traces)
 * @cdev: the character device
 * @pdev: the provider (reference held)
 * @inode: pseudo inode; its i_mapping is every open file's f_mapping, so
 *	one unmap_mapping_range() reaches every user mapping
 * @node: entry in the exporter's list
 * @lock: protects @dead, @allocs and @allocated
 * @dead: the provider is going away: no new mappings
 * @allocs: buffers not yet handed back (struct p2pmem_alloc.node)
 * @allocated: bytes of @allocs
 * @bar: BAR of the first P2P window
 * @phys: CPU address of the first P2P window
 * @bus: bus address of the first P2P window
 * @size: bytes of P2P memory registered for @pdev (all windows)
 * @debugfs: its directory under /sys/kernel/debug/p2pmem_pci/
 */
struct p2pmem_dev {
	struct device dev;
	u32 id;
	struct cdev cdev;
	struct pci_dev *pdev;
	struct inode *inode;
	struct list_head node;
	struct mutex lock;	/* @dead, @allocs, @allocated */
	bool dead;
	struct list_head allocs;
	u64 allocated;
	int bar;
	phys_addr_t phys;
	pci_bus_addr_t bus;
	u64 size;
	struct dentry *debugfs;
};

/**
 * struct p2pmem_alloc - one mmap() buffer
 * @kref: one reference per VMA and one for the pool memory
 * @vmas: VMAs still pointing here
 * @p: the device (reference held)
 * @node: entry in &p2pmem_dev.allocs until retired
 * @kaddr: kernel address of the buffer
 * @len: bytes
 * @retired: taken off @p's list; the pool memory goes back once no page
 *	is referenced by anyone but us
 * @work: waits for outstanding page references (pinned pages)
 * @waited: polls of @work so far
 */
struct p2pmem_alloc {
	struct kref kref;
	atomic_t vmas;
	struct p2pmem_dev *p;
	struct list_head node;
	void *kaddr;
	size_t len;
	bool retired;
	struct delayed_work work;
	unsigned int waited;
};

#define to_p2pmem_dev(d) container_of(d, struct p2pmem_dev, dev)

/* main.c */
extern struct class p2pmem_class;
extern dev_t p2pmem_devt;
extern unsigned int p2pmem_nr_minors;
extern struct ida p2pmem_minors;
extern int p2pmem_bar;
extern struct workqueue_struct *p2pmem_wq;

/* provider.c */
int p2pmem_provider_register(void);
void p2pmem_provider_unregister(void);

/* exporter.c */
int p2pmem_exporter_start(void);
void p2pmem_exporter_stop(void);

/* cdev.c */
int p2pmem_fs_init(void);
void p2pmem_fs_exit(void);
struct p2pmem_dev *p2pmem_dev_create(struct pci_dev *pdev);
void p2pmem_dev_destroy(struct p2pmem_dev *p);

/* mmap.c */
int p2pmem_mmap(struct file *filp, struct vm_area_struct *vma);
void p2pmem_retire_all(struct p2pmem_dev *p);
void p2pmem_wait_allocs(void);

/* debugfs.c */
void p2pmem_debugfs_init(void);
void p2pmem_debugfs_exit(void);
void p2pmem_debugfs_mmap_hold(struct p2pmem_dev *p);
void p2pmem_debugfs_add(struct p2pmem_dev *p);
void p2pmem_debugfs_remove(struct p2pmem_dev *p);

/* sysfs.c */
extern const struct attribute_group *p2pmem_groups[];

/* cmb.c */
struct p2pmem_cmb_ctx;
struct p2pmem_cmb_ctx *p2pmem_cmb_enable(struct pci_dev *pdev, int *bar,
					 u64 *offset, u64 *size);
void p2pmem_cmb_disable(struct pci_dev *pdev, struct p2pmem_cmb_ctx *ctx);

#endif /* _P2PMEM_H */
