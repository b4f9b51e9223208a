// SPDX-License-Identifier: GPL-2.0
/*
 * p2pmem_pci: PCI peer-to-peer memory (NVMe CMBs, BARs) as /dev/p2pmemN.
 * Module parameters, the device class and the order of setup/teardown.
 */
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/workqueue.h>
#include "p2pmem.h"
#include "p2pmem_logic.h"

#define CREATE_TRACE_POINTS
#include "p2pmem_trace.h"

static int max_devices = 16;
module_param(max_devices, int, 0444);
MODULE_PARM_DESC(max_devices, "number of /dev/p2pmemN minors (1-256, default 16)");

int p2pmem_bar = -1;
module_param_named(bar, p2pmem_bar, int, 0644);
MODULE_PARM_DESC(bar, "BAR to register for non-NVMe devices bound through new_id or driver_override (default: none)");

/* buffer release work: drained at exit, after the last buffer's release */
struct workqueue_struct *p2pmem_wq;
dev_t p2pmem_devt;
unsigned int p2pmem_nr_minors;
DEFINE_IDA(p2pmem_minors);

struct class p2pmem_class = {
	.name = "p2pmem_guestmem",
};

static int __init p2pmem_init(void)
{
	int err;

	p2pmem_nr_minors = p2pmem_minor_count(max_devices);
	p2pmem_wq = alloc_workqueue("p2pmem_pci", WQ_UNBOUND, 0);
	if (!p2pmem_wq)
		return -ENOMEM;
	err = p2pmem_fs_init();
	if (err)
		goto destroy_wq;
	err = class_register(&p2pmem_class);
	if (err)
		goto fs_exit;
	err = alloc_chrdev_region(&p2pmem_devt, 0, p2pmem_nr_minors, "p2pmem");
	if (err)
		goto unregister_class;
	p2pmem_debugfs_init();
	err = p2pmem_exporter_start();
	if (err)
		goto remove_debugfs;
	err = p2pmem_provider_register();
	if (err)
		goto stop_exporter;
	return 0;

stop_exporter:
	p2pmem_exporter_stop();
	p2pmem_wait_allocs();
remove_debugfs:
	p2pmem_debugfs_exit();
	unregister_chrdev_region(p2pmem_devt, p2pmem_nr_minors);
unregister_class:
	class_unregister(&p2pmem_class);
fs_exit:
	p2pmem_fs_exit();
destroy_wq:
	destroy_workqueue(p2pmem_wq);
	return err;
}
module_init(p2pmem_init);

static void __exit p2pmem_exit(void)
{
	p2pmem_provider_unregister();
	p2pmem_exporter_stop();
	p2pmem_wait_allocs();
	p2pmem_debugfs_exit();
	unregister_chrdev_region(p2pmem_devt, p2pmem_nr_minors);
	class_unregister(&p2pmem_class);
	p2pmem_fs_exit();
	destroy_workqueue(p2pmem_wq);
	ida_destroy(&p2pmem_minors);
}
module_exit(p2pmem_exit);

MODULE_DESCRIPTION("PCI peer-to-peer memory (NVMe CMB) as /dev/p2pmemN");
MODULE_AUTHOR("guestmem project");
MODULE_VERSION(P2PMEM_VERSION);
MODULE_LICENSE("GPL");
