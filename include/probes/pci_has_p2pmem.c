// SPDX-License-Identifier: GPL-2.0
/*
 * GUESTMEM_HAVE_PCI_HAS_P2PMEM: pci_has_p2pmem() is exported (<= 6.12).
 * Newer kernels made it static to drivers/pci/p2pdma.c.
 */
#include <linux/pci-p2pdma.h>

bool guestmem_probe(struct pci_dev *pdev);
bool guestmem_probe(struct pci_dev *pdev)
{
	return pci_has_p2pmem(pdev);
}
