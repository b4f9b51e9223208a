/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-pmem: state shared by virtio_pmem.ko (device probe, region) and
 * nd_virtio.ko (flush transport).
 */
#ifndef _GUESTMEM_VIRTIO_PMEM_H
#define _GUESTMEM_VIRTIO_PMEM_H

#include <linux/cache.h>
#include <linux/libnvdimm.h>
#include <linux/spinlock.h>
#include <linux/virtio.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <guestmem/compat.h>
#include <guestmem/version.h>
#include <guestmem/virtio_pmem_defs.h>
#include "vpmem_logic.h"

/*
 * The one request buffer of a device.  The response is written by the
 * device (DMA_FROM_DEVICE) and gets a cache line of its own, away from
 * the request and from anything the CPU writes while it is in flight.
 */
struct vpmem_wire {
	struct virtio_pmem_req req;
	struct virtio_pmem_resp resp ____cacheline_aligned;
};

/**
 * enum vpmem_state - why a flusher refuses to send
 * @VPMEM_OK: requests flow
 * @VPMEM_QUIESCED: suspended (freeze); callers queue until restore
 * @VPMEM_STUCK: the watchdog gave up on the request in flight; callers
 *	fail fast until the device answers it
 * @VPMEM_BROKEN: the virtqueue or device is broken (NEEDS_RESET)
 * @VPMEM_DEAD: the device is being removed
 */
enum vpmem_state {
	VPMEM_OK,
	VPMEM_QUIESCED,
	VPMEM_STUCK,
	VPMEM_BROKEN,
	VPMEM_DEAD,
};

/**
 * enum vpmem_fault - what the queue-level injector does to the next
 * buffer the device returns (debugfs "inject", nd_virtio_inject.c)
 * @VPMEM_FAULT_NONE: nothing
 * @VPMEM_FAULT_LEN: report @value as the used length
 * @VPMEM_FAULT_RET: overwrite the response's ret with @value
 * @VPMEM_FAULT_TOKEN: hand out a token that was never queued first
 * @VPMEM_FAULT_DUP: hand out the same buffer twice
 * @VPMEM_FAULT_DROP: swallow the buffer (the device never answers)
 */
enum vpmem_fault {
	VPMEM_FAULT_NONE,
	VPMEM_FAULT_LEN,
	VPMEM_FAULT_RET,
	VPMEM_FAULT_TOKEN,
	VPMEM_FAULT_DUP,
	VPMEM_FAULT_DROP,
};

/**
 * struct vpmem_inject - queue-level fault injection state (flusher lock)
 * @fault: armed for the next used buffer
 * @value: parameter of @fault
 * @needs_reset: status reads report VIRTIO_CONFIG_S_NEEDS_RESET
 * @pending: a buffer to hand out on the next used-ring read instead of
 *	reading the ring (DUP, and the real buffer behind TOKEN)
 * @pending_len: its used length
 * @hits: faults injected so far
 */
struct vpmem_inject {
	enum vpmem_fault fault;
	u32 value;
	bool needs_reset;
	void *pending;
	unsigned int pending_len;
	u64 hits;
};

/**
 * struct vpmem_flusher - flush transport of one device
 * @vdev: the virtio device
 * @vq: its request virtqueue, NULL while none exists
 * @lock: protects everything below and serialises virtqueue access
 * @co: flush generation bookkeeping
 * @stats: counters exported in sysfs
 * @wire: request/response buffer of the request in flight
 * @state: see &enum vpmem_state
 * @unsent: the current generation has callers but no request was sent
 *	(quiesced when it started)
 * @sent_at: when the request in flight was sent
 * @warned_at: last time the watchdog warned about it, in jiffies
 * @wq: synchronous callers of generation g sleep on @wq[g & 1]
 * @idle_wq: woken whenever a request completes (quiesce waits here)
 * @watchdog: warns about, and eventually fails, a request the host
 *	does not answer; notices a broken queue or NEEDS_RESET while one
 *	is in flight
 * @status_work: reads the device status after a configuration change
 *	notification (process context: the read may sleep)
 * @removing: the device is being removed; unanswered requests fail
 *	after VPMEM_REMOVE_WAIT_MS whatever flush_timeout_ms says
 * @hold: fault injection (debugfs): leave answers in the used ring, as if
 *	the host did not answer, until cleared
 * @ack_early: broken on purpose (debugfs, for the durability oracle):
 *	complete every generation at once with success, never asking the
 *	device, i.e. acknowledge flushes the host never made durable
 * @inject: queue-level fault injection (debugfs)
 * @debugfs: this device's directory under /sys/kernel/debug/nd_virtio/
 */
struct vpmem_flusher {
	struct virtio_device *vdev;
	struct virtqueue *vq;
	spinlock_t lock;	/* see the kernel-doc above */
	struct vpmem_co co;
	struct vpmem_stats stats;
	struct vpmem_wire *wire;
	enum vpmem_state state;
	bool unsent;
	ktime_t sent_at;
	unsigned long warned_at;
	wait_queue_head_t wq[2];
	wait_queue_head_t idle_wq;
	struct delayed_work watchdog;
	struct work_struct status_work;
	bool removing;
	bool hold;
	bool ack_early;
	struct vpmem_inject inject;
	struct dentry *debugfs;
};

/**
 * struct virtio_pmem - one virtio-pmem device
 * @vdev: the virtio device
 * @flusher: flush transport
 * @nvdimm_bus: bus the region lives on
 * @nd_desc: its descriptor
 * @nd_region: the one region, NULL until created
 * @nd_nb: nvdimm bus notifier (device-dax warning)
 * @nd_watch: @nd_nb is registered
 * @start: guest physical address of the range
 * @size: size of the range in bytes
 */
struct virtio_pmem {
	struct virtio_device *vdev;
	struct vpmem_flusher flusher;
	struct nvdimm_bus *nvdimm_bus;
	struct nvdimm_bus_descriptor nd_desc;
	struct nd_region *nd_region;
	struct notifier_block nd_nb;
	bool nd_watch;
	u64 start;
	u64 size;
};

int vpmem_flusher_init(struct vpmem_flusher *f, struct virtio_device *vdev);
void vpmem_flusher_start(struct vpmem_flusher *f, struct virtqueue *vq);
void vpmem_flusher_quiesce(struct vpmem_flusher *f);
void vpmem_flusher_kill(struct vpmem_flusher *f);
void vpmem_flusher_detach(struct vpmem_flusher *f);
void vpmem_flusher_destroy(struct vpmem_flusher *f);
void vpmem_flusher_vq_done(struct vpmem_flusher *f);
void vpmem_flusher_config_changed(struct vpmem_flusher *f);
void vpmem_flusher_begin_remove(struct vpmem_flusher *f);
int vpmem_region_flush(struct nd_region *nd_region, struct bio *bio);

extern const struct attribute_group vpmem_flush_stats_group;

void *vpmem_vq_get_buf(struct vpmem_flusher *f, unsigned int *len);
u8 vpmem_inject_status(struct vpmem_flusher *f, u8 status);
void vpmem_inject_forget(struct vpmem_flusher *f);
int vpmem_inject_parse(struct vpmem_flusher *f, const char *cmd);
const char *vpmem_fault_name(enum vpmem_fault fault);

int virtio_pmem_devdax_watch(struct virtio_pmem *vpmem);
void virtio_pmem_devdax_unwatch(struct virtio_pmem *vpmem);

void vpmem_debugfs_add(struct vpmem_flusher *f);
void vpmem_debugfs_remove(struct vpmem_flusher *f);
int vpmem_debugfs_init(void);
void vpmem_debugfs_exit(void);

#endif /* _GUESTMEM_VIRTIO_PMEM_H */
