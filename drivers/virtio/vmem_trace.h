/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the virtio-mem driver (events/virtio_mem_guestmem/):
 * every request with its answer, and every memory add/remove.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM virtio_mem_guestmem

#if !defined(_VMEM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VMEM_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(vmem_request,
	TP_PROTO(int index, u16 type, u64 addr, u64 size, int resp, int rc),
	TP_ARGS(index, type, addr, size, resp, rc),
	TP_STRUCT__entry(
		__field(int, index)
		__field(u16, type)
		__field(u64, addr)
		__field(u64, size)
		__field(int, resp)
		__field(int, rc)
	),
	TP_fast_assign(
		__entry->index = index;
		__entry->type = type;
		__entry->addr = addr;
		__entry->size = size;
		__entry->resp = resp;
		__entry->rc = rc;
	),
	TP_printk("virtio%d %s addr=0x%llx size=0x%llx resp=%d rc=%d",
		  __entry->index,
		  __print_symbolic(__entry->type, { 0, "plug" }, { 1, "unplug" },
				   { 2, "unplug_all" }, { 3, "state" }),
		  __entry->addr, __entry->size, __entry->resp, __entry->rc)
);

DECLARE_EVENT_CLASS(vmem_memory,
	TP_PROTO(int index, u64 addr, u64 size, int rc),
	TP_ARGS(index, addr, size, rc),
	TP_STRUCT__entry(
		__field(int, index)
		__field(u64, addr)
		__field(u64, size)
		__field(int, rc)
	),
	TP_fast_assign(
		__entry->index = index;
		__entry->addr = addr;
		__entry->size = size;
		__entry->rc = rc;
	),
	TP_printk("virtio%d addr=0x%llx size=0x%llx rc=%d", __entry->index,
		  __entry->addr, __entry->size, __entry->rc)
);

DEFINE_EVENT(vmem_memory, vmem_add_memory,
	TP_PROTO(int index, u64 addr, u64 size, int rc),
	TP_ARGS(index, addr, size, rc));

DEFINE_EVENT(vmem_memory, vmem_remove_memory,
	TP_PROTO(int index, u64 addr, u64 size, int rc),
	TP_ARGS(index, addr, size, rc));

DEFINE_EVENT(vmem_memory, vmem_fake_offline,
	TP_PROTO(int index, u64 addr, u64 size, int rc),
	TP_ARGS(index, addr, size, rc));

#endif /* _VMEM_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE vmem_trace
#include <trace/define_trace.h>
