/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of p2pmem_pci: /sys/kernel/tracing/events/p2pmem_pci/
 *
 * The teardown order is checked with them (tests/guest/p2pmem.sh): every
 * p2pmem_buffer_free of an export precedes the p2pmem_cmb_disable of its
 * provider, and p2pmem_cmb_disable finds no P2P memory registered any more.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM p2pmem_pci

#if !defined(_P2PMEM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _P2PMEM_TRACE_H

#include <linux/pci.h>
#include <linux/tracepoint.h>

#define P2PMEM_TP_BDF_FMT	"%04x:%02x:%02x.%u"

/* An export goes away (provider unbinding or removed). */
TRACE_EVENT(p2pmem_dev_destroy,
	TP_PROTO(struct pci_dev *pdev, u32 id, u64 allocated),
	TP_ARGS(pdev, id, allocated),
	TP_STRUCT__entry(
		__field(u32, domain)
		__field(u8, bus)
		__field(u8, devfn)
		__field(u32, id)
		__field(u64, allocated)
	),
	TP_fast_assign(
		__entry->domain = pci_domain_nr(pdev->bus);
		__entry->bus = pdev->bus->number;
		__entry->devfn = pdev->devfn;
		__entry->id = id;
		__entry->allocated = allocated;
	),
	TP_printk(P2PMEM_TP_BDF_FMT " export=%u allocated=%llu",
		  __entry->domain, __entry->bus,
		  PCI_SLOT(__entry->devfn), PCI_FUNC(__entry->devfn),
		  __entry->id, __entry->allocated)
);

/* A buffer's last page came back: pci_free_p2pmem(). */
TRACE_EVENT(p2pmem_buffer_free,
	TP_PROTO(struct pci_dev *pdev, u32 id, size_t len, unsigned int polls),
	TP_ARGS(pdev, id, len, polls),
	TP_STRUCT__entry(
		__field(u32, domain)
		__field(u8, bus)
		__field(u8, devfn)
		__field(u32, id)
		__field(size_t, len)
		__field(unsigned int, polls)
	),
	TP_fast_assign(
		__entry->domain = pci_domain_nr(pdev->bus);
		__entry->bus = pdev->bus->number;
		__entry->devfn = pdev->devfn;
		__entry->id = id;
		__entry->len = len;
		__entry->polls = polls;
	),
	TP_printk(P2PMEM_TP_BDF_FMT " export=%u len=%zu polls=%u",
		  __entry->domain, __entry->bus,
		  PCI_SLOT(__entry->devfn), PCI_FUNC(__entry->devfn),
		  __entry->id, __entry->len, __entry->polls)
);

/* CMBMSC cleared; pool_live: P2P memory still registered in the CMB. */
TRACE_EVENT(p2pmem_cmb_disable,
	TP_PROTO(struct pci_dev *pdev, bool pool_live),
	TP_ARGS(pdev, pool_live),
	TP_STRUCT__entry(
		__field(u32, domain)
		__field(u8, bus)
		__field(u8, devfn)
		__field(bool, pool_live)
	),
	TP_fast_assign(
		__entry->domain = pci_domain_nr(pdev->bus);
		__entry->bus = pdev->bus->number;
		__entry->devfn = pdev->devfn;
		__entry->pool_live = pool_live;
	),
	TP_printk(P2PMEM_TP_BDF_FMT " pool_live=%d",
		  __entry->domain, __entry->bus,
		  PCI_SLOT(__entry->devfn), PCI_FUNC(__entry->devfn), __entry->pool_live)
);

#endif /* _P2PMEM_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE p2pmem_trace
#include <trace/define_trace.h>
