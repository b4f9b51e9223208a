// SPDX-License-Identifier: GPL-2.0
/*
 * p2pmem_pci: NVMe Controller Memory Buffer as a pure P2P buffer.
 *
 * For an NVMe controller bound to p2pmem_pci (instead of nvme), find the
 * CMB from CAP.CMBS/CMBLOC/CMBSZ and enable it at its bus address
 * (CMBMSC.CRE, then CMSE + CBA).  The controller itself is never enabled:
 * the CMB is only a target of other devices' DMA.
 */
#include <linux/io.h>
#include <linux/io-64-nonatomic-hi-lo.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <guestmem/compat.h>
#include "p2pmem.h"
#include "p2pmem_logic.h"

/**
 * struct p2pmem_cmb_ctx - state of an enabled CMB
 * @regs: register access for p2pmem_logic.c
 * @mmio: the controller's register BAR 0
 * @cmbs: CAP.CMBS: the CMB is enabled through CMBMSC
 */
struct p2pmem_cmb_ctx {
	struct p2pmem_nvme_regs regs;
	void __iomem *mmio;
	bool cmbs;
};

static u32 p2pmem_cmb_read32(void *ctx, unsigned int off)
{
	struct p2pmem_cmb_ctx *c = ctx;

	return readl(c->mmio + off);
}

static u64 p2pmem_cmb_read64(void *ctx, unsigned int off)
{
	struct p2pmem_cmb_ctx *c = ctx;

	return lo_hi_readq(c->mmio + off);
}

static void p2pmem_cmb_write64(void *ctx, unsigned int off, u64 val)
{
	struct p2pmem_cmb_ctx *c = ctx;

	hi_lo_writeq(val, c->mmio + off);
}

static int p2pmem_cmb_locate(struct pci_dev *pdev, struct p2pmem_cmb_ctx *c,
			     struct p2pmem_cmb *cmb)
{
	u64 bar_len[PCI_STD_NUM_BARS], cap;
	int bar, err;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++)
		bar_len[bar] = pci_resource_len(pdev, bar);
	err = p2pmem_cmb_probe(&c->regs, bar_len, cmb, &cap);
	c->cmbs = cap & P2PMEM_NVME_CAP_CMBS;
	switch (err) {
	case 0:
		break;
	case -ENODEV:
		pci_err(pdev, "NVMe controller has no CMB (CMBSZ.SZ = 0)\n");
		return err;
	case -ERANGE:
		pci_err(pdev, "CMB starts past the end of its BAR\n");
		return err;
	case -EOPNOTSUPP:
		pci_err(pdev, "CMB cannot hold read and write data (CMBSZ %#x: RDS/WDS not both set), not usable as P2P memory\n",
			cmb->cmbsz);
		return err;
	case -EADDRINUSE:
		pci_err(pdev, "CMB in BAR 0 at offset %#llx overlaps the controller registers and doorbells (up to %#llx), refused\n",
			cmb->offset, p2pmem_nvme_regs_end(cap));
		return err;
	default:
		pci_err(pdev, "CMB registers invalid (reserved SZU or BIR): %d\n", err);
		return err;
	}
	if (cmb->clamped)
		pci_warn(pdev, "CMB larger than BAR %u: clamped to %llu bytes\n",
			 cmb->bir, cmb->size);
	pci_info(pdev, "CMB: BAR %u offset %#llx size %llu (CMBSZ %#x%s)\n",
		 cmb->bir, cmb->offset, cmb->size, cmb->cmbsz,
		 c->cmbs ? ", CMBMSC managed" : "");
	return 0;
}

/**
 * p2pmem_cmb_enable() - locate and enable the CMB of an NVMe controller
 * @pdev: the controller, bound to p2pmem_pci and enabled
 * @bar: set to the CMB's BAR
 * @offset: set to the CMB's offset in the BAR
 * @size: set to the CMB's size
 *
 * Return: context for p2pmem_cmb_disable(), or an ERR_PTR().
 */
struct p2pmem_cmb_ctx *p2pmem_cmb_enable(struct pci_dev *pdev, int *bar,
					 u64 *offset, u64 *size)
{
	struct p2pmem_cmb_ctx *c;
	struct p2pmem_cmb cmb;
	int err;

	if (pci_resource_len(pdev, 0) < P2PMEM_NVME_REGS_LEN) {
		pci_err(pdev, "BAR 0 too small for NVMe registers\n");
		return ERR_PTR(-ENODEV);
	}
	c = kzalloc_obj(*c, GFP_KERNEL);
	if (!c)
		return ERR_PTR(-ENOMEM);
	c->mmio = pci_iomap(pdev, 0, P2PMEM_NVME_REGS_LEN);
	if (!c->mmio) {
		err = -ENOMEM;
		goto free_ctx;
	}
	c->regs = (struct p2pmem_nvme_regs) {
		.read32 = p2pmem_cmb_read32,
		.read64 = p2pmem_cmb_read64,
		.write64 = p2pmem_cmb_write64,
		.ctx = c,
	};
	err = p2pmem_cmb_locate(pdev, c, &cmb);
	if (err)
		goto disable_cre;
	err = p2pmem_cmb_activate(&c->regs, c->cmbs,
				  pci_bus_address(pdev, cmb.bir) + cmb.offset);
	if (err) {
		pci_err(pdev, "controller refused the CMB base address: %d\n", err);
		goto disable_cre;
	}
	*bar = cmb.bir;
	*offset = cmb.offset;
	*size = cmb.size;
	return c;

disable_cre:
	p2pmem_cmb_deactivate(&c->regs, c->cmbs);
	pci_iounmap(pdev, c->mmio);
free_ctx:
	kfree(c);
	return ERR_PTR(err);
}

/**
 * p2pmem_cmb_disable() - disable the CMB memory space again
 * @pdev: the controller
 * @c: from p2pmem_cmb_enable()
 */
void p2pmem_cmb_disable(struct pci_dev *pdev, struct p2pmem_cmb_ctx *c)
{
	p2pmem_cmb_deactivate(&c->regs, c->cmbs);
	pci_iounmap(pdev, c->mmio);
	kfree(c);
}
