// SPDX-License-Identifier: GPL-2.0
/*
 * GUESTMEM_HAVE_PCI_NON_MAPPABLE_BARS: struct pci_dev has non_mappable_bars
 * (BARs that neither the CPU nor peers may map; newer kernels, which then
 * refuse P2PDMA for the device).
 */
#include <linux/pci.h>

bool guestmem_probe(struct pci_dev *pdev);
bool guestmem_probe(struct pci_dev *pdev)
{
	return pdev->non_mappable_bars;
}
