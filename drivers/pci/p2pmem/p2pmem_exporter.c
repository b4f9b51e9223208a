// SPDX-License-Identifier: GPL-2.0
/*
 * p2pmem_pci: a /dev/p2pmemN for every published P2P memory provider,
 * ours or another driver's (the in-tree nvme driver publishes CMBs).
 *
 * A provider's P2P memory is devres of its driver binding, so an export
 * lives from "bound and published" to the unbind: a PCI bus notifier
 * removes the export at BUS_NOTIFY_UNBIND_DRIVER, before the driver's
 * remove() and before the P2PDMA core frees the pool.  Exports are
 * created by a scan of all PCI devices: at load, and for a while after
 * every bind (nvme registers its CMB from an asynchronous reset on some
 * kernels, after the bind notification).  Checks and changes happen with
 * the device lock held, which the driver core also holds around the
 * notifications, so a scan cannot export a provider that is unbinding.
 */
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/workqueue.h>
#include <guestmem/p2pmem_compat.h>
#include "p2pmem.h"

#define P2PMEM_RESCAN_MS	500
#define P2PMEM_RESCAN_FOR_MS	30000

static LIST_HEAD(p2pmem_exports);
static DEFINE_MUTEX(p2pmem_exports_lock);	/* p2pmem_exports */
static unsigned long p2pmem_rescan_until;
static bool p2pmem_stopping;

static struct p2pmem_dev *p2pmem_find_export(struct pci_dev *pdev)
{
	struct p2pmem_dev *p;

	list_for_each_entry(p, &p2pmem_exports, node)
		if (p->pdev == pdev)
			return p;
	return NULL;
}

/* Export @pdev if it is bound, published and not exported yet. */
static void p2pmem_export_locked(struct pci_dev *pdev)
{
	struct p2pmem_dev *p;

	device_lock_assert(&pdev->dev);
	if (!pdev->dev.driver || !guestmem_pci_has_p2pmem(pdev))
		return;
	mutex_lock(&p2pmem_exports_lock);
	if (!p2pmem_stopping && !p2pmem_find_export(pdev)) {
		p = p2pmem_dev_create(pdev);
		if (!IS_ERR(p))
			list_add_tail(&p->node, &p2pmem_exports);
	}
	mutex_unlock(&p2pmem_exports_lock);
}

/* Remove the export of @pdev, if any. */
static void p2pmem_unexport(struct pci_dev *pdev)
{
	struct p2pmem_dev *p;

	mutex_lock(&p2pmem_exports_lock);
	p = p2pmem_find_export(pdev);
	if (p)
		list_del(&p->node);
	mutex_unlock(&p2pmem_exports_lock);
	if (p)
		p2pmem_dev_destroy(p);
}

static void p2pmem_scan(void)
{
	struct pci_dev *pdev = NULL;

	for_each_pci_dev(pdev) {
		device_lock(&pdev->dev);
		p2pmem_export_locked(pdev);
		device_unlock(&pdev->dev);
	}
}

static void p2pmem_rescan_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(p2pmem_rescan_work, p2pmem_rescan_fn);

static void p2pmem_rescan_fn(struct work_struct *work)
{
	p2pmem_scan();
	if (time_before(jiffies, READ_ONCE(p2pmem_rescan_until)))
		queue_delayed_work(p2pmem_wq, &p2pmem_rescan_work,
				   msecs_to_jiffies(P2PMEM_RESCAN_MS));
}

static int p2pmem_pci_notify(struct notifier_block *nb, unsigned long action,
			     void *data)
{
	struct pci_dev *pdev = to_pci_dev(data);

	switch (action) {
	case BUS_NOTIFY_BOUND_DRIVER:
		p2pmem_export_locked(pdev);
		WRITE_ONCE(p2pmem_rescan_until,
			   jiffies + msecs_to_jiffies(P2PMEM_RESCAN_FOR_MS));
		mod_delayed_work(p2pmem_wq, &p2pmem_rescan_work,
				 msecs_to_jiffies(P2PMEM_RESCAN_MS));
		break;
	case BUS_NOTIFY_UNBIND_DRIVER:
	case BUS_NOTIFY_DEL_DEVICE:
		p2pmem_unexport(pdev);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block p2pmem_pci_nb = {
	.notifier_call = p2pmem_pci_notify,
};

/**
 * p2pmem_exporter_start() - export the current providers, follow changes
 *
 * Return: 0 or a negative errno.
 */
int p2pmem_exporter_start(void)
{
	int err;

	err = bus_register_notifier(&pci_bus_type, &p2pmem_pci_nb);
	if (err)
		return err;
	p2pmem_scan();
	return 0;
}

/**
 * p2pmem_exporter_stop() - remove every export
 *
 * Existing buffers are handed back as their pages become free; the caller
 * waits for that (p2pmem_wait_allocs()).
 */
void p2pmem_exporter_stop(void)
{
	struct pci_dev *pdev;
	struct p2pmem_dev *p;

	bus_unregister_notifier(&pci_bus_type, &p2pmem_pci_nb);
	mutex_lock(&p2pmem_exports_lock);
	p2pmem_stopping = true;
	mutex_unlock(&p2pmem_exports_lock);
	cancel_delayed_work_sync(&p2pmem_rescan_work);
	for (;;) {
		mutex_lock(&p2pmem_exports_lock);
		p = list_first_entry_or_null(&p2pmem_exports, struct p2pmem_dev, node);
		if (p) {
			list_del(&p->node);
			pdev = pci_dev_get(p->pdev);
		}
		mutex_unlock(&p2pmem_exports_lock);
		if (!p)
			break;
		device_lock(&pdev->dev);
		p2pmem_dev_destroy(p);
		device_unlock(&pdev->dev);
		pci_dev_put(pdev);
	}
}
