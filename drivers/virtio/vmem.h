/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-mem guest driver: state shared by its files.
 *
 *   vmem_main.c     probe/remove, config changes, the worker, PM
 *   vmem_request.c  the guest-request virtqueue, kdump (vmcore) support
 *   vmem_hotplug.c  add/remove memory, fake-offline, online_page callback,
 *                   memory notifier
 *   vmem_sbm.c      Sub Block Mode plug/unplug
 *   vmem_bbm.c      Big Block Mode plug/unplug
 *   vmem_sysfs.c    sysfs attributes (Documentation/ABI/...)
 *   vmem_debugfs.c  debugfs: worker counters, block table
 *   vmem_inject.c   fault injection at the virtqueue and the config reads
 *   vmem_reserve.c  the unmovable-memory reserve of the plug path
 *   vmem_memmap.c   memmap on memory: where memmaps go, their pages
 *   vmem_logic.c    device-independent logic (KUnit)
 *
 * Locking: @hotplug_mutex protects block states against the memory
 * notifier; it is taken in MEM_GOING_ONLINE/OFFLINE and released in the
 * matching MEM_ONLINE/OFFLINE/CANCEL event, so it must never be held
 * across add_memory_driver_managed() or offline_and_remove_memory().
 * Requests are sent by the worker only (and by kdump's vmcore callback,
 * where there is no worker), serialised by @req_mutex.
 */
#ifndef _VMEM_H
#define _VMEM_H

#include <linux/atomic.h>
#include <linux/crash_dump.h>
#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/spinlock.h>
#include <linux/virtio.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "vmem_logic.h"

/**
 * struct vmem_stats - counters shown in sysfs (written by one thread)
 * @req: requests sent, by type
 * @nack: NACK replies
 * @busy: BUSY replies
 * @error: ERROR replies
 * @fake_offline_fail: ranges alloc_contig_range() could not take
 * @add_fail: add_memory_driver_managed() failures
 * @remove_fail: offline_and_remove_memory() failures
 * @retries: scheduled retries (backoff)
 * @low_memory: unplugs deferred because the guest could not spare the memory
 * @invalid: answers refused (used length, unknown type or state)
 * @adopted: ERROR or invalid answers taken as done because STATE said so
 * @timeouts: requests the device did not answer within request_timeout_ms
 * @worker_runs: runs of the worker (debugfs)
 * @worker_cpu_ns: CPU time the worker used (debugfs)
 */
struct vmem_stats {
	u64 req[4];
	u64 nack;
	u64 busy;
	u64 error;
	u64 invalid;
	u64 adopted;
	u64 timeouts;
	u64 worker_runs;
	u64 worker_cpu_ns;
	u64 fake_offline_fail;
	u64 add_fail;
	u64 remove_fail;
	u64 retries;
	u64 low_memory;
};

/**
 * enum vmem_memmap_mode - where the memmaps of added memory go
 * @VMEM_MEMMAP_BOOT: into memory the guest has (upstream's behaviour)
 * @VMEM_MEMMAP_TRY: asked for in the blocks; an older core answers at
 *		     the first add (success: BLOCK, -EINVAL: BOOT)
 * @VMEM_MEMMAP_BLOCK: into the first pages of each added memory block
 */
enum vmem_memmap_mode {
	VMEM_MEMMAP_BOOT,
	VMEM_MEMMAP_TRY,
	VMEM_MEMMAP_BLOCK,
};

/* Config fields the injector can fake (enum order = debugfs names). */
enum vmem_inject_field {
	VMEM_INJECT_PLUGGED,
	VMEM_INJECT_REQUESTED,
	VMEM_INJECT_USABLE,
	VMEM_INJECT_NR_FIELDS,
};

/**
 * struct vmem_inject - fault injection state (vmem_inject.c, debugfs)
 * @lock: protects the fields; taken from the request wait condition
 * @resp: response type written over the device's answer
 * @resp_count: answers left to rewrite with @resp
 * @len: used length reported instead of the device's
 * @len_count: answers left to shorten to @len
 * @hold: answers are kept from the driver (the device "stops answering")
 * @held: an answer is being kept
 * @held_len: its used length
 * @before: the response buffer as it was before the request was sent:
 *	    bytes a shortened answer did not cover are restored from it
 * @fake: config field faked on every read
 * @fake_val: the value read instead
 */
struct vmem_inject {
	spinlock_t lock;	/* see @lock */
	u16 resp;
	unsigned int resp_count;
	u32 len;
	unsigned int len_count;
	bool hold;
	bool held;
	u32 held_len;
	u8 before[sizeof(struct virtio_mem_resp)];
	bool fake[VMEM_INJECT_NR_FIELDS];
	u64 fake_val[VMEM_INJECT_NR_FIELDS];
};

/**
 * struct vmem - one virtio-mem device
 * @vdev: the virtio device
 * @vq: the guest-request queue
 * @host_resp: the worker waits here for the device's answer
 * @req_mutex: one request in flight
 * @req_in_flight: the device owns the request buffers (a request waits)
 * @req_stuck: a request was abandoned unanswered; the device still owns
 *	       the buffers, no request is sent until they come back
 * @req_abort: the device goes away: waiting and new requests fail
 * @req: request buffer (DMA, not on the stack)
 * @resp: response buffer
 * @cfg: config as last read
 * @nid: NUMA node of the memory
 * @mgid: dynamic memory group id
 * @geo: block geometry
 * @usable_ids: block ids from @geo.first_id that are usable now
 * @plug_end: last address the kernel can hot-add
 * @states: one state per block (enum vmem_sbm_state or vmem_bbm_state)
 * @sb: sub-block map (SBM)
 * @parent: exclusive parent resource over the region
 * @resource_name: name of the added System RAM resources
 * @hotplug_mutex: see above
 * @hotplug_active: the mutex is held by a notifier sequence
 * @offline_size: bytes added but offline
 * @offline_threshold: stop adding memory beyond this much offline memory
 * @have_unplugged_mb: SBM blocks with everything unplugged wait for removal
 * @work: the worker
 * @wq_active: the worker runs
 * @config_changed: re-read the config in the next worker run
 * @unplug_all_required: memory was plugged at probe
 * @removal_lock: protects @removing against new work
 * @removing: the device goes away: no new work, notifiers refuse
 * @broken: unrecoverable error: stop working (until restore/reload)
 * @last_err: result of the last worker run
 * @retry_ms: current backoff (0: none scheduled)
 * @errors_in_row: ERROR replies since the config last changed
 * @reserve_stopped: plugging stopped at the unmovable-memory reserve
 * @memmap_mode: enum vmem_memmap_mode, chosen at probe (vmem_memmap.c)
 * @memmap_block_bytes: memmap at the start of a memory block (BLOCK mode)
 * @memmap_boot_bytes: memmap of a memory block elsewhere (BOOT mode)
 * @memmap_sbs: SBM: sub-blocks holding @memmap_block_bytes (not BOOT mode)
 * @memmap_size: memmap bytes of the memory added now
 * @stats: counters
 * @memory_notifier: memory hotplug notifier
 * @pm_notifier: refuses hibernation
 * @next: entry in the device list used by the online_page callback
 * @in_kdump: running in a kdump kernel: no plugging, vmcore callback
 * @vmcore_cb: vmcore pfn_is_ram callback (kdump)
 * @last_state_addr: device block of the cached STATE answer
 * @last_state_plugged: the cached answer
 * @debugfs: per-device debugfs directory
 * @inject: fault injection (debugfs)
 */
struct vmem {
	struct virtio_device *vdev;
	struct virtqueue *vq;
	wait_queue_head_t host_resp;
	struct mutex req_mutex;		/* see @req_mutex */
	bool req_in_flight;
	bool req_stuck;
	bool req_abort;
	struct virtio_mem_req req;
	struct virtio_mem_resp resp;

	struct vmem_cfg cfg;
	int nid;
	int mgid;
	struct vmem_geo geo;
	const struct vmem_mode_ops *ops;	/* SBM or BBM */
	unsigned long usable_ids;
	u64 plug_end;
	u8 *states;
	struct vmem_sb_map sb;
	struct resource *parent;
	const char *resource_name;

	struct mutex hotplug_mutex;	/* see @hotplug_mutex */
	bool hotplug_active;
	atomic64_t offline_size;
	u64 offline_threshold;
	bool have_unplugged_mb;

	struct delayed_work work;
	atomic_t wq_active;
	atomic_t config_changed;
	bool unplug_all_required;
	spinlock_t removal_lock;	/* see @removing */
	bool removing;
	bool broken;
	int last_err;
	unsigned int retry_ms;
	unsigned int errors_in_row;
	bool reserve_stopped;
	u8 memmap_mode;
	u64 memmap_block_bytes;
	u64 memmap_boot_bytes;
	unsigned int memmap_sbs;
	atomic64_t memmap_size;
	struct vmem_stats stats;

	struct notifier_block memory_notifier;
	struct notifier_block pm_notifier;
	struct list_head next;

	bool in_kdump;
#ifdef CONFIG_PROC_VMCORE
	struct vmcore_cb vmcore_cb;
#endif
	u64 last_state_addr;
	bool last_state_plugged;

	struct dentry *debugfs;
	struct vmem_inject inject;
};

extern bool vmem_unplug_online;

static inline struct device *vmem_dev(struct vmem *vm)
{
	return &vm->vdev->dev;
}

static inline void vmem_count(u64 *counter)
{
	WRITE_ONCE(*counter, READ_ONCE(*counter) + 1);
}

static inline unsigned long vmem_idx(struct vmem *vm, unsigned long id)
{
	return id - vm->geo.first_id;
}

static inline u64 vmem_idx_to_phys(struct vmem *vm, unsigned long idx)
{
	return vmem_id_to_phys(&vm->geo, vm->geo.first_id + idx);
}

/* vmem_main.c */
void vmem_retry(struct vmem *vm);

/* vmem_request.c */
int vmem_init_vq(struct vmem *vm);
void vmem_abort_requests(struct vmem *vm);
int vmem_send(struct vmem *vm, u16 type, u64 addr, u64 size);
int vmem_state(struct vmem *vm, u64 addr, u64 size);
int vmem_init_kdump(struct vmem *vm);
void vmem_deinit_kdump(struct vmem *vm);

/* vmem_hotplug.c */
int vmem_register_device(struct vmem *vm);
void vmem_unregister_device(struct vmem *vm);
int vmem_memory_notifier_cb(struct notifier_block *nb, unsigned long action,
			    void *arg);
bool vmem_could_add(struct vmem *vm, u64 size);
int vmem_add_memory(struct vmem *vm, u64 addr, u64 size);
int vmem_remove_memory(struct vmem *vm, u64 addr, u64 size);
int vmem_offline_and_remove(struct vmem *vm, u64 addr, u64 size);
int vmem_fake_offline(struct vmem *vm, unsigned long pfn,
		      unsigned long nr_pages);
void vmem_fake_online(unsigned long pfn, unsigned long nr_pages);
void vmem_keep_fake_offline(unsigned long pfn, unsigned long nr);
void vmem_fake_offline_drop_refs(unsigned long pfn, unsigned long nr);
void vmem_fake_offline_take_refs(unsigned long pfn, unsigned long nr);
bool vmem_has_memory_added(struct vmem *vm);

/**
 * struct vmem_mode_ops - the work that depends on the block mode
 * @cleanup: the worker's first step: finish what an earlier run left
 *	(blocks to remove, fake-offline memory to release); 0 or -errno
 * @plug: the worker: plug (and add) @diff more bytes; 0 or -errno
 * @unplug: the worker: unplug (and remove) @diff bytes; 0 or -errno
 * @online_page: the online_page callback for a page of the device's range
 * @notify: a memory notifier event @action for the block at @idx, pages
 *	@pfn.. (@nr_pages), in the notifier sequence (@hotplug_mutex held
 *	from MEM_GOING_* to the matching completion or cancel event):
 *	NOTIFY_OK, or NOTIFY_BAD to refuse MEM_GOING_ONLINE
 *
 * The shared code (vmem_main.c, vmem_hotplug.c) calls the mode only
 * through &vmem.ops: Sub Block Mode (vmem_sbm.c) or Big Block Mode
 * (vmem_bbm.c), chosen once from the geometry.
 */
struct vmem_mode_ops {
	int (*cleanup)(struct vmem *vm);
	int (*plug)(struct vmem *vm, u64 diff);
	int (*unplug)(struct vmem *vm, u64 diff);
	void (*online_page)(struct vmem *vm, struct page *page,
			    unsigned int order);
	int (*notify)(struct vmem *vm, unsigned long action, unsigned long idx,
		      unsigned long pfn, unsigned long nr_pages);
};

/* vmem_sbm.c / vmem_bbm.c */
extern const struct vmem_mode_ops vmem_sbm_ops;
extern const struct vmem_mode_ops vmem_bbm_ops;

/* vmem_inject.c */
void vmem_inject_init(struct vmem *vm);
void vmem_inject_sending(struct vmem *vm);
bool vmem_inject_answer(struct vmem *vm, bool answered, unsigned int *len);
void vmem_inject_config(struct vmem *vm, struct vmem_cfg *cfg);
void vmem_inject_debugfs_init(struct vmem *vm, struct dentry *dir);
/* vmem_reserve.c */
bool vmem_reserve_allows(struct vmem *vm, u64 size);
void vmem_reserve_settled(struct vmem *vm);
extern struct device_attribute dev_attr_unmovable_reserve;
extern struct device_attribute dev_attr_plug_stopped;

/* vmem_memmap.c */
void vmem_memmap_init(struct vmem *vm);
mhp_t vmem_memmap_mhp_flags(struct vmem *vm);
bool vmem_memmap_add_refused(struct vmem *vm, int rc);
void vmem_memmap_added(struct vmem *vm, u64 size);
void vmem_memmap_removed(struct vmem *vm, u64 size);
u64 vmem_memmap_per_block(struct vmem *vm);
u64 vmem_memmap_in_block(struct vmem *vm, u64 size);
bool vmem_memmap_costs_boot(struct vmem *vm);
unsigned long vmem_memmap_skip(struct vmem *vm, unsigned long pfn);
bool vmem_memmap_online_ok(struct vmem *vm, unsigned long start_pfn);
unsigned int vmem_memmap_pinned_sbs(struct vmem *vm);
extern struct device_attribute dev_attr_memmap_on_memory;
extern struct device_attribute dev_attr_memmap_size;

/* vmem_debugfs.c */
void vmem_debugfs_init(struct vmem *vm);
void vmem_debugfs_exit(struct vmem *vm);
void vmem_debugfs_module_init(void);
void vmem_debugfs_module_exit(void);

/* vmem_sysfs.c */
extern const struct attribute_group vmem_attr_group;

#endif /* _VMEM_H */
