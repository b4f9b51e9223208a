/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the virtio-pmem flush transport:
 *   /sys/kernel/tracing/events/nd_virtio/
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM nd_virtio

#if !defined(_ND_VIRTIO_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _ND_VIRTIO_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(vpmem_flush_submit,
	TP_PROTO(u32 dev, u64 gen, u32 callers),
	TP_ARGS(dev, gen, callers),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u64, gen)
		__field(u32, callers)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->gen = gen;
		__entry->callers = callers;
	),
	TP_printk("virtio%u gen=%llu callers=%u",
		  __entry->dev, __entry->gen, __entry->callers)
);

TRACE_EVENT(vpmem_flush_complete,
	TP_PROTO(u32 dev, u64 gen, int err, u64 latency_ns, u32 callers),
	TP_ARGS(dev, gen, err, latency_ns, callers),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u64, gen)
		__field(int, err)
		__field(u64, latency_ns)
		__field(u32, callers)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->gen = gen;
		__entry->err = err;
		__entry->latency_ns = latency_ns;
		__entry->callers = callers;
	),
	TP_printk("virtio%u gen=%llu err=%d latency_ns=%llu callers=%u",
		  __entry->dev, __entry->gen, __entry->err,
		  __entry->latency_ns, __entry->callers)
);

TRACE_EVENT(vpmem_flush_timeout,
	TP_PROTO(u32 dev, u64 gen, u64 age_ms, u32 callers),
	TP_ARGS(dev, gen, age_ms, callers),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u64, gen)
		__field(u64, age_ms)
		__field(u32, callers)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->gen = gen;
		__entry->age_ms = age_ms;
		__entry->callers = callers;
	),
	TP_printk("virtio%u gen=%llu age_ms=%llu callers=%u",
		  __entry->dev, __entry->gen, __entry->age_ms,
		  __entry->callers)
);

#endif /* _ND_VIRTIO_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE nd_virtio_trace
#include <trace/define_trace.h>
