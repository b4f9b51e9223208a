// SPDX-License-Identifier: GPL-2.0
/*
 * p2pmem_pci: the PCI driver that turns a BAR, or an NVMe controller's
 * CMB, into published P2P memory.
 *
 * Devices: the Eideticom NoLoad (BAR 0) by ID; anything else through
 * new_id or driver_override.  NVMe controllers (class 0x010802) bound
 * that way register exactly their CMB; other devices the BAR given by
 * the "bar" module parameter.
 *
 * Teardown order.  The P2PDMA core's state (pool, pgmaps, the allocate
 * file) is devres of this binding, released after remove() in reverse
 * order of registration; memunmap_pages() there waits until every page
 * of the pool is free, i.e. until no peer DMA into it can be in flight.
 * The CMB must stay enabled until then, so disabling it (CMBMSC = 0) and
 * pci_disable_device() are devres actions too, registered *before*
 * pci_p2pdma_add_resource(): they run after the pool is gone.  remove()
 * only withdraws the publication.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <guestmem/compat.h>
#include <guestmem/p2pmem_compat.h>
#include "p2pmem.h"
#include "p2pmem_logic.h"
#include "p2pmem_trace.h"

#define P2PMEM_ID_BAR(bar)	(0x100 | (bar))
#define P2PMEM_ID_HAS_BAR	0x100

/**
 * struct p2pmem_provider - a device bound to p2pmem_pci (devres)
 * @pdev: the device
 * @cmb: the enabled NVMe CMB, or NULL for a plain BAR
 * @phys: CPU address of the registered window
 */
struct p2pmem_provider {
	struct pci_dev *pdev;
	struct p2pmem_cmb_ctx *cmb;
	phys_addr_t phys;
};

static const struct pci_device_id p2pmem_pci_ids[] = {
	{ PCI_DEVICE(0x1de5, 0x1000), .driver_data = P2PMEM_ID_BAR(0) },
	{ }
};
MODULE_DEVICE_TABLE(pci, p2pmem_pci_ids);

static int p2pmem_pick_window(struct pci_dev *pdev, const struct pci_device_id *id,
			      struct p2pmem_provider *prov, int *bar,
			      u64 *offset, u64 *size)
{
	*offset = 0;
	*size = 0;
	if (id->driver_data & P2PMEM_ID_HAS_BAR) {
		*bar = id->driver_data & 0x7;
		return 0;
	}
	if (pdev->class == PCI_CLASS_STORAGE_EXPRESS) {
		prov->cmb = p2pmem_cmb_enable(pdev, bar, offset, size);
		return PTR_ERR_OR_ZERO(prov->cmb);
	}
	if (p2pmem_bar < 0 || p2pmem_bar >= PCI_STD_NUM_BARS) {
		pci_err(pdev, "no BAR to use: set module parameter bar=0..5\n");
		return -EINVAL;
	}
	*bar = p2pmem_bar;
	return 0;
}

static int p2pmem_check_window(struct pci_dev *pdev, int bar, u64 offset, u64 *size)
{
	enum p2pmem_win_err why;

	why = p2pmem_window_check(pci_resource_start(pdev, bar),
				  pci_resource_len(pdev, bar),
				  pci_resource_flags(pdev, bar) & IORESOURCE_MEM,
				  offset, size);
	if (why != P2PMEM_WIN_OK)
		pci_err(pdev, "BAR %d (%pR) offset %#llx size %#llx cannot hold P2P memory: %s\n",
			bar, &pdev->resource[bar], offset, *size,
			p2pmem_window_str(why));
	return p2pmem_window_errno(why);
}

static void p2pmem_disable_device(void *data)
{
	pci_disable_device(data);
}

/*
 * devres action, runs after the P2PDMA core released the pool (see the
 * top of this file).  The window's pgmap must be gone by now; if it is
 * not, the order is broken and peers may still be writing: say so.
 */
static void p2pmem_cmb_release(void *data)
{
	struct p2pmem_provider *prov = data;
	struct dev_pagemap *pgmap;
	bool live = false;

	pgmap = guestmem_get_dev_pagemap(PHYS_PFN(prov->phys));
	if (pgmap) {
		live = true;
		put_dev_pagemap(pgmap);
		pci_warn(prov->pdev, "disabling the CMB while its P2P memory is still registered\n");
	}
	p2pmem_cmb_disable(prov->pdev, prov->cmb);
	trace_p2pmem_cmb_disable(prov->pdev, live);
}

static int p2pmem_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct p2pmem_provider *prov;
	u64 offset, size;
	int bar, err;

	if (!guestmem_pci_bars_mappable(pdev)) {
		pci_err(pdev, "BARs of this device must not be mapped: no P2P memory\n");
		return -EOPNOTSUPP;
	}
	prov = devm_kzalloc(&pdev->dev, sizeof(*prov), GFP_KERNEL);
	if (!prov)
		return -ENOMEM;
	prov->pdev = pdev;
	err = pci_enable_device_mem(pdev);
	if (err)
		return err;
	err = devm_add_action_or_reset(&pdev->dev, p2pmem_disable_device, pdev);
	if (err)
		return err;
	err = p2pmem_pick_window(pdev, id, prov, &bar, &offset, &size);
	if (err)
		return err;
	prov->phys = pci_resource_start(pdev, bar) + offset;
	if (prov->cmb) {
		/* before pci_p2pdma_add_resource(): released after the pool */
		err = devm_add_action_or_reset(&pdev->dev, p2pmem_cmb_release, prov);
		if (err)
			return err;
	}
	err = p2pmem_check_window(pdev, bar, offset, &size);
	if (err)
		return err;
	err = pci_p2pdma_add_resource(pdev, bar, size, offset);
	if (err) {
		pci_err(pdev, "registering BAR %d offset %#llx size %#llx as P2P memory failed: %d\n",
			bar, offset, size, err);
		return err;
	}
	pci_p2pmem_publish(pdev, true);
	pci_info(pdev, "%llu bytes of BAR %d published as P2P memory\n", size, bar);
	return 0;
}

/*
 * The export was removed at BUS_NOTIFY_UNBIND_DRIVER, before this; the
 * P2PDMA core unregisters the memory after it, then the CMB and the
 * device are disabled (devres, in that order).
 */
static void p2pmem_pci_remove(struct pci_dev *pdev)
{
	pci_p2pmem_publish(pdev, false);
}

static struct pci_driver p2pmem_pci_driver = {
	.name = P2PMEM_NAME,
	.id_table = p2pmem_pci_ids,
	.probe = p2pmem_pci_probe,
	.remove = p2pmem_pci_remove,
};

/**
 * p2pmem_provider_register() - register the PCI driver
 *
 * Return: 0 or a negative errno.
 */
int p2pmem_provider_register(void)
{
	return pci_register_driver(&p2pmem_pci_driver);
}

/**
 * p2pmem_provider_unregister() - unbind every provider, unregister
 */
void p2pmem_provider_unregister(void)
{
	pci_unregister_driver(&p2pmem_pci_driver);
}
