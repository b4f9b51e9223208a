// SPDX-License-Identifier: GPL-2.0
/*
 * p2pmem_pci: a /dev/p2pmemN for every published P2P memory provider,
 * ours or another driver's (the in-tree nvme driver publishes CMBs).
 *
 * A provider's P2P memory is devres of its driver binding, so an export
 * lives from "bound and published" to the unbind: a PCI bus notifier
 * removes the export at BUS_NOTIFY_UNBIND_DRIVER, before the driver's
 * remove() and before the P2PDMA core frees the pool.  Exports are
 * created by one scan of all PCI devices at load, and after that only for
 * the device that just bound: at BUS_NOTIFY_BOUND_DRIVER and, because
 * nvme registers its CMB from an asynchronous reset on some kernels
 * (after the bind notification), by re-checking that one device with a
 * backoff (100 ms doubling to 2 s) for 30 s or until it is exported.
 * Nothing else is looked at: on kernels where "published" costs a walk
 * over all PCI devices (guestmem_pci_has_p2pmem()), a check is O(N) and
 * a bind costs about a dozen of them, instead of a scan of every device
 * (each O(N), each taking its device_lock) every 500 ms.  Checks and
 * changes happen with the device lock held, which the driver core also
 * holds around the notifications, so a check cannot export a provider
 * that is unbinding.
 */
#include <linux/jiffies.h>
#include <linux/lockdep.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <guestmem/compat.h>
#include <guestmem/p2pmem_compat.h>
#include "p2pmem.h"

#define P2PMEM_WATCH_FIRST_MS	100
#define P2PMEM_WATCH_MAX_MS	2000
#define P2PMEM_WATCH_FOR_MS	30000

/**
 * struct p2pmem_watch - a just-bound device not exported yet
 * @node: entry in p2pmem_watches
 * @pdev: the device (reference held)
 * @until: give up after this (jiffies)
 * @next: check again at this time (jiffies)
 * @delay: current backoff (ms)
 */
struct p2pmem_watch {
	struct list_head node;
	struct pci_dev *pdev;
	unsigned long until;
	unsigned long next;
	unsigned int delay;
};

static LIST_HEAD(p2pmem_exports);
static LIST_HEAD(p2pmem_watches);
/* p2pmem_exports, p2pmem_watches, p2pmem_stopping */
static DEFINE_MUTEX(p2pmem_exports_lock);
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
	if (!pdev->dev.driver || !guestmem_pci_bars_mappable(pdev) ||
	    !guestmem_pci_has_p2pmem(pdev))
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

static bool p2pmem_is_exported(struct pci_dev *pdev)
{
	bool found;

	mutex_lock(&p2pmem_exports_lock);
	found = p2pmem_find_export(pdev);
	mutex_unlock(&p2pmem_exports_lock);
	return found;
}

static void p2pmem_watch_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(p2pmem_watch_work, p2pmem_watch_fn);

/* Arm the work for the earliest watch; p2pmem_exports_lock held. */
static void p2pmem_watch_arm_locked(void)
{
	struct p2pmem_watch *w;
	unsigned long next = 0;
	bool any = false;

	lockdep_assert_held(&p2pmem_exports_lock);
	if (p2pmem_stopping)
		return;
	list_for_each_entry(w, &p2pmem_watches, node) {
		if (!any || time_before(w->next, next))
			next = w->next;
		any = true;
	}
	if (any)
		mod_delayed_work(p2pmem_wq, &p2pmem_watch_work,
				 time_after(next, jiffies) ? next - jiffies : 0);
}

/* Check the devices whose time has come; keep the unfinished ones. */
static void p2pmem_watch_fn(struct work_struct *work)
{
	struct p2pmem_watch *w, *tmp;
	LIST_HEAD(due);
	bool done;

	mutex_lock(&p2pmem_exports_lock);
	list_for_each_entry_safe(w, tmp, &p2pmem_watches, node)
		if (!time_before(jiffies, w->next))
			list_move_tail(&w->node, &due);
	mutex_unlock(&p2pmem_exports_lock);

	list_for_each_entry_safe(w, tmp, &due, node) {
		device_lock(&w->pdev->dev);
		p2pmem_export_locked(w->pdev);
		/* unbound meanwhile: a new bind starts a new watch */
		done = !w->pdev->dev.driver || p2pmem_is_exported(w->pdev) ||
		       !time_before(jiffies, w->until);
		device_unlock(&w->pdev->dev);
		if (done) {
			list_del(&w->node);
			pci_dev_put(w->pdev);
			kfree(w);
			continue;
		}
		w->delay = min(2 * w->delay, P2PMEM_WATCH_MAX_MS);
		w->next = jiffies + msecs_to_jiffies(w->delay);
	}

	mutex_lock(&p2pmem_exports_lock);
	list_splice_tail(&due, &p2pmem_watches);
	p2pmem_watch_arm_locked();
	mutex_unlock(&p2pmem_exports_lock);
}

/* Watch @pdev (just bound, not exported) for a late registration. */
static void p2pmem_watch(struct pci_dev *pdev)
{
	struct p2pmem_watch *w, *found = NULL;

	mutex_lock(&p2pmem_exports_lock);
	list_for_each_entry(w, &p2pmem_watches, node)
		if (w->pdev == pdev)
			found = w;
	if (!found && !p2pmem_stopping) {
		found = kzalloc_obj(*found, GFP_KERNEL);
		if (found) {
			found->pdev = pci_dev_get(pdev);
			list_add_tail(&found->node, &p2pmem_watches);
		}
	}
	if (found) {
		found->delay = P2PMEM_WATCH_FIRST_MS;
		found->next = jiffies + msecs_to_jiffies(found->delay);
		found->until = jiffies + msecs_to_jiffies(P2PMEM_WATCH_FOR_MS);
		p2pmem_watch_arm_locked();
	}
	mutex_unlock(&p2pmem_exports_lock);
}

static int p2pmem_pci_notify(struct notifier_block *nb, unsigned long action,
			     void *data)
{
	struct pci_dev *pdev = to_pci_dev(data);

	switch (action) {
	case BUS_NOTIFY_BOUND_DRIVER:
		p2pmem_export_locked(pdev);
		if (!p2pmem_is_exported(pdev))
			p2pmem_watch(pdev);
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
	struct p2pmem_watch *w, *tmp;
	struct pci_dev *pdev;
	struct p2pmem_dev *p;

	bus_unregister_notifier(&pci_bus_type, &p2pmem_pci_nb);
	mutex_lock(&p2pmem_exports_lock);
	p2pmem_stopping = true;
	mutex_unlock(&p2pmem_exports_lock);
	cancel_delayed_work_sync(&p2pmem_watch_work);
	list_for_each_entry_safe(w, tmp, &p2pmem_watches, node) {
		list_del(&w->node);
		pci_dev_put(w->pdev);
		kfree(w);
	}
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
