// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mem: adding and removing memory, fake-offline/online of parts of
 * online memory blocks, the online_page callback and the memory notifier.
 *
 * Page states:
 *  - unplugged parts of an online block are PageOffline with one
 *    reference; PageDirty marks pages that never went through
 *    generic_online_page() (they must go there when plugged later);
 *  - pages taken with alloc_contig_range() to be unplugged are
 *    PageOffline without PageDirty and are not counted as managed;
 *  - when such a block goes offline the references are dropped so that
 *    offline_pages() can skip the pages, and taken back on cancel.
 */
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/page-flags.h>
#include <linux/rculist.h>
#include <linux/sizes.h>
#include <linux/vmstat.h>

#include <guestmem/vmem_compat.h>
#include "vmem.h"
#include "vmem_trace.h"

static DEFINE_MUTEX(vmem_devices_mutex);
static LIST_HEAD(vmem_devices);

static bool vmem_contains(struct vmem *vm, u64 start, u64 size)
{
	return start >= vm->cfg.addr &&
	       start + size <= vm->cfg.addr + vm->cfg.region_size;
}

static bool vmem_overlaps(struct vmem *vm, u64 start, u64 size)
{
	return start < vm->cfg.addr + vm->cfg.region_size &&
	       vm->cfg.addr < start + size;
}

static void vmem_online_page_cb(struct page *page, unsigned int order)
{
	u64 addr = page_to_phys(page);
	struct vmem *vm;

	rcu_read_lock();
	list_for_each_entry_rcu(vm, &vmem_devices, next) {
		if (!vmem_contains(vm, addr, PFN_PHYS(1UL << order)))
			continue;
		/*
		 * The device cannot go away while one of its blocks is being
		 * onlined: removal waits for @hotplug_mutex, held from
		 * MEM_GOING_ONLINE to MEM_ONLINE.
		 */
		rcu_read_unlock();
		vm->ops->online_page(vm, page, order);
		return;
	}
	rcu_read_unlock();
	/* somebody else's memory (a DIMM) */
	generic_online_page(page, order);
}

/**
 * vmem_register_device() - make the online_page callback see a device
 * @vm: device
 *
 * The first device installs the callback.  Only one driver in the system
 * can own it; when another one (the in-tree virtio_mem, hv_balloon) does,
 * the device is refused.
 *
 * Return: 0 or -EBUSY.
 */
int vmem_register_device(struct vmem *vm)
{
	int rc = 0;

	mutex_lock(&vmem_devices_mutex);
	if (list_empty(&vmem_devices))
		rc = set_online_page_callback(&vmem_online_page_cb);
	if (!rc)
		list_add_rcu(&vm->next, &vmem_devices);
	mutex_unlock(&vmem_devices_mutex);
	return rc;
}

/**
 * vmem_unregister_device() - undo vmem_register_device()
 * @vm: device
 */
void vmem_unregister_device(struct vmem *vm)
{
	mutex_lock(&vmem_devices_mutex);
	list_del_rcu(&vm->next);
	if (list_empty(&vmem_devices))
		restore_online_page_callback(&vmem_online_page_cb);
	mutex_unlock(&vmem_devices_mutex);
	synchronize_rcu();
}

/**
 * vmem_could_add() - may more memory be added without onlining?
 * @vm: device
 * @size: bytes to add
 *
 * The memmap of offline memory comes from existing RAM: cap it.
 *
 * Return: true if @size more offline bytes stay under the threshold.
 */
bool vmem_could_add(struct vmem *vm, u64 size)
{
	return atomic64_read(&vm->offline_size) + size <= vm->offline_threshold;
}

static int vmem_add_memory_once(struct vmem *vm, u64 addr, u64 size)
{
	/* memmap pages at the blocks' starts never go online */
	u64 onlinable = size - vmem_memmap_in_block(vm, size);
	int rc;

	atomic64_add(onlinable, &vm->offline_size);
	rc = add_memory_driver_managed(vm->mgid, addr, size, vm->resource_name,
				       MHP_MERGE_RESOURCE | MHP_NID_IS_MGID |
				       vmem_memmap_mhp_flags(vm));
	trace_vmem_add_memory(vm->vdev->index, addr, size, rc);
	if (rc)
		atomic64_sub(onlinable, &vm->offline_size);
	return rc;
}

/**
 * vmem_add_memory() - add a range as driver-managed System RAM
 * @vm: device
 * @addr: start (block aligned)
 * @size: bytes (whole blocks)
 *
 * With memmap on memory where the device uses it (vmem_memmap.c); an add
 * the kernel refuses because of it is repeated without.
 * Must not be called with @hotplug_mutex held: the memory may be onlined
 * from inside this call.
 *
 * Return: 0 or the errno of add_memory_driver_managed().
 */
int vmem_add_memory(struct vmem *vm, u64 addr, u64 size)
{
	int rc = vmem_add_memory_once(vm, addr, size);

	if (rc && vmem_memmap_add_refused(vm, rc))
		rc = vmem_add_memory_once(vm, addr, size);
	if (rc) {
		vmem_count(&vm->stats.add_fail);
		dev_warn(vmem_dev(vm), "adding memory 0x%llx-0x%llx failed: %d\n",
			 addr, addr + size - 1, rc);
		return rc;
	}
	vmem_memmap_added(vm, size);
	return 0;
}

/* @size bytes of added memory are gone */
static void vmem_removed(struct vmem *vm, u64 size)
{
	atomic64_sub(size - vmem_memmap_in_block(vm, size), &vm->offline_size);
	vmem_memmap_removed(vm, size);
}

/**
 * vmem_remove_memory() - remove an offline range
 * @vm: device
 * @addr: start
 * @size: bytes
 *
 * Return: 0 or the errno of remove_memory().
 */
int vmem_remove_memory(struct vmem *vm, u64 addr, u64 size)
{
	int rc = remove_memory(addr, size);

	trace_vmem_remove_memory(vm->vdev->index, addr, size, rc);
	if (rc) {
		vmem_count(&vm->stats.remove_fail);
		return rc;
	}
	vmem_removed(vm, size);
	return 0;
}

/**
 * vmem_offline_and_remove() - offline (if needed) and remove a range
 * @vm: device
 * @addr: start
 * @size: bytes
 *
 * Errors become -ENOMEM or -EBUSY (retry later), never a fatal error:
 * the memory is fake-offline already, so failures are transient.
 *
 * Return: 0, -ENOMEM or -EBUSY.
 */
int vmem_offline_and_remove(struct vmem *vm, u64 addr, u64 size)
{
	int rc = offline_and_remove_memory(addr, size);

	trace_vmem_remove_memory(vm->vdev->index, addr, size, rc);
	if (!rc) {
		vmem_removed(vm, size);
		return 0;
	}
	vmem_count(&vm->stats.remove_fail);
	dev_dbg(vmem_dev(vm), "offline+remove 0x%llx-0x%llx failed: %d\n",
		addr, addr + size - 1, rc);
	return rc == -ENOMEM ? -ENOMEM : -EBUSY;
}

static void vmem_set_fake_offline(unsigned long pfn, unsigned long nr,
				  bool onlined)
{
	struct page *page;

	page_offline_begin();
	for (; nr--; pfn++) {
		page = pfn_to_page(pfn);
		if (onlined) {
			__SetPageOffline(page);
			continue;
		}
#ifndef GUESTMEM_HAVE_MEMMAP_OFFLINE_INIT
		/* the memmap starts PageReserved on these kernels */
		__SetPageOffline(page);
		ClearPageReserved(page);
#endif
		SetPageDirty(page);
	}
	page_offline_end();
}

static void vmem_clear_fake_offline(unsigned long pfn, unsigned long nr,
				    bool onlined)
{
	struct page *page;

	for (; nr--; pfn++) {
		page = pfn_to_page(pfn);
		if (onlined) {
			__ClearPageOffline(page);
			continue;
		}
		ClearPageDirty(page);
#ifndef GUESTMEM_HAVE_MEMMAP_OFFLINE_INIT
		__ClearPageOffline(page);
#endif
		/* generic_online_page() clears PageOffline on newer kernels */
	}
}

/**
 * vmem_keep_fake_offline() - keep pages of an onlining block from the buddy
 * @pfn: first page
 * @nr: number of pages
 *
 * For the online_page callback: unplugged parts (SBM) and big blocks
 * being unplugged (BBM) stay fake-offline instead of going to the buddy.
 */
void vmem_keep_fake_offline(unsigned long pfn, unsigned long nr)
{
	vmem_set_fake_offline(pfn, nr, false);
}

/**
 * vmem_fake_online() - give fake-offline pages to the buddy
 * @pfn: first page (sub-block aligned)
 * @nr_pages: number of pages
 *
 * Pages kept offline while onlining go through generic_online_page();
 * pages taken by alloc_contig_range() are freed and counted as managed
 * again.
 */
void vmem_fake_online(unsigned long pfn, unsigned long nr_pages)
{
	unsigned int order = VMEM_MAX_ORDER;
	unsigned long i;
	struct page *page;

	while (!IS_ALIGNED(pfn | nr_pages, 1UL << order))
		order--;
	for (i = 0; i < nr_pages; i += 1UL << order) {
		page = pfn_to_page(pfn + i);
		if (PageDirty(page)) {
			vmem_clear_fake_offline(pfn + i, 1UL << order, false);
			generic_online_page(page, order);
		} else {
			vmem_clear_fake_offline(pfn + i, 1UL << order, true);
			free_contig_range(pfn + i, 1UL << order);
			adjust_managed_page_count(page, 1UL << order);
		}
	}
}

/*
 * Unplugging N online pages lowers the system's free memory by N (used
 * pages migrate into free memory elsewhere, free ones leave).  Refuse
 * when that would leave less than a reserve of max(128 MiB, 1/32 of RAM):
 * the host asking for memory the guest is using must not OOM-kill its
 * processes.  The worker retries with backoff, and converges once memory
 * is freed.
 */
static bool vmem_can_spare(unsigned long nr_pages)
{
	unsigned long free = global_zone_page_state(NR_FREE_PAGES);
	unsigned long reserve = max(totalram_pages() / 32,
				    (unsigned long)(SZ_128M >> PAGE_SHIFT));

	return free > nr_pages && free - nr_pages >= reserve;
}

/**
 * vmem_fake_offline() - take an online range away from the buddy
 * @vm: device
 * @pfn: first page
 * @nr_pages: number of pages
 *
 * Retried a few times in ZONE_MOVABLE (migration may fail transiently),
 * once elsewhere.  Gives up at once when the config changed: the device
 * may not want the memory any more, and when the guest cannot spare the
 * memory (vmem_can_spare()).
 *
 * Return: 0, -EAGAIN (config changed), -ENOMEM or -EBUSY.
 */
int vmem_fake_offline(struct vmem *vm, unsigned long pfn,
		      unsigned long nr_pages)
{
	bool movable = is_zone_movable_page(pfn_to_page(pfn));
	int rc = -EBUSY, tries;

	if (!vmem_can_spare(nr_pages)) {
		vmem_count(&vm->stats.low_memory);
		return -EBUSY;
	}
	for (tries = 0; tries < (movable ? 5 : 1); tries++) {
		if (atomic_read(&vm->config_changed))
			return -EAGAIN;
		rc = vmem_alloc_contig(pfn, nr_pages);
		if (!rc || rc == -ENOMEM)
			break;
	}
	trace_vmem_fake_offline(vm->vdev->index, PFN_PHYS(pfn),
				PFN_PHYS(nr_pages), rc);
	if (rc) {
		vmem_count(&vm->stats.fake_offline_fail);
		return rc == -ENOMEM ? -ENOMEM : -EBUSY;
	}
	vmem_set_fake_offline(pfn, nr_pages, true);
	adjust_managed_page_count(pfn_to_page(pfn), -(long)nr_pages);
	return 0;
}

/**
 * vmem_fake_offline_drop_refs() - a block with fake-offline pages goes offline
 * @pfn: first fake-offline page
 * @nr: number of pages
 *
 * Drops the references so that offline_pages() can skip the pages.
 */
void vmem_fake_offline_drop_refs(unsigned long pfn, unsigned long nr)
{
	struct page *page;
	unsigned long i;

#ifndef GUESTMEM_HAVE_MEMMAP_OFFLINE_INIT
	/* offline_pages() will subtract these pages from managed again */
	adjust_managed_page_count(pfn_to_page(pfn), nr);
#endif
	for (i = 0; i < nr; i++) {
		page = pfn_to_page(pfn + i);
		if (WARN_ON(!page_ref_dec_and_test(page)))
			dump_page(page, "fake-offline page referenced");
	}
}

/**
 * vmem_fake_offline_take_refs() - offlining was cancelled: take refs back
 * @pfn: first fake-offline page
 * @nr: number of pages
 */
void vmem_fake_offline_take_refs(unsigned long pfn, unsigned long nr)
{
	unsigned long i;

	for (i = 0; i < nr; i++)
		page_ref_inc(pfn_to_page(pfn + i));
#ifndef GUESTMEM_HAVE_MEMMAP_OFFLINE_INIT
	adjust_managed_page_count(pfn_to_page(pfn), -(long)nr);
#endif
}

/*
 * The notifier takes @hotplug_mutex in MEM_GOING_* and releases it in the
 * matching completion or cancel event.  lockdep cannot follow a lock held
 * across two notifier calls (the chain's own rwsem is dropped between
 * them): silence it for this sequence only.
 */
static int vmem_notify_begin(struct vmem *vm)
{
	mutex_lock(&vm->hotplug_mutex);
	if (vm->removing) {
		mutex_unlock(&vm->hotplug_mutex);
		return notifier_from_errno(-EBUSY);
	}
	vm->hotplug_active = true;
	return NOTIFY_OK;
}

static void vmem_notify_end(struct vmem *vm)
{
	vm->hotplug_active = false;
	mutex_unlock(&vm->hotplug_mutex);
}

/*
 * SBM: one memory block; with memmap on memory the notifier's range
 * starts after the memmap at the block's start.
 */
static bool vmem_sbm_range_ok(struct vmem *vm, u64 start, u64 size,
			      unsigned long idx)
{
	u64 base = vmem_idx_to_phys(vm, idx);

	return start + size == base + vm->geo.block_size &&
	       start - base == vmem_memmap_in_block(vm, vm->geo.block_size);
}

static bool vmem_notify_range_ok(struct vmem *vm, u64 start, u64 size,
				 unsigned long *idx)
{
	unsigned long id = vmem_phys_to_id(&vm->geo, start);

	*idx = vmem_idx(vm, id);
	if (start < vmem_idx_to_phys(vm, 0) || *idx >= vm->geo.nr_ids)
		return false;
	if (vm->geo.sbm)
		return vmem_sbm_range_ok(vm, start, size, *idx);
	return id == vmem_phys_to_id(&vm->geo, start + size - 1);
}

/*
 * The kernel reports a range of the device's memory that is not the part
 * of one block the driver expects (memmap on memory layout mismatch):
 * refused with a one-time warning, as BBM's vmem_memmap_online_ok() does.
 * No WARN splat: the layout follows from the kernel's configuration and
 * the device's block size, not from a driver bug.
 */
static void vmem_warn_range(struct vmem *vm, u64 start, u64 size)
{
	u64 mb = memory_block_size_bytes();
	u64 base = start & ~(mb - 1);

	dev_warn_once(vmem_dev(vm),
		      "memory range 0x%llx-0x%llx is not one %s block after its memmap (starts at page %llu of its memory block, expected %llu; memmap on memory layout): refusing it\n",
		      start, start + size - 1, vm->geo.sbm ? "memory" : "big",
		      PFN_DOWN(start - base),
		      PFN_DOWN(vmem_memmap_in_block(vm, mb)));
}

static int vmem_notify(struct vmem *vm, unsigned long action,
		       struct memory_notify *mhp, unsigned long idx)
{
	u64 size = PFN_PHYS(mhp->nr_pages);
	int rc = NOTIFY_OK;

	switch (action) {
	case MEM_GOING_OFFLINE:
	case MEM_GOING_ONLINE:
		rc = vmem_notify_begin(vm);
		if (rc != NOTIFY_OK)
			break;
		rc = vm->ops->notify(vm, action, idx, mhp->start_pfn,
				     mhp->nr_pages);
		/* a refused onlining gets MEM_CANCEL_ONLINE, which unlocks */
		break;
	case MEM_OFFLINE:
	case MEM_ONLINE:
		vm->ops->notify(vm, action, idx, mhp->start_pfn, mhp->nr_pages);
		if (action == MEM_OFFLINE) {
			atomic64_add(size, &vm->offline_size);
			/* offline memory can be unplugged: try now */
			vmem_retry(vm);
		} else {
			atomic64_sub(size, &vm->offline_size);
			/* room to add more once half the threshold is online */
			if (!atomic_read(&vm->wq_active) &&
			    vmem_could_add(vm, vm->offline_threshold / 2))
				vmem_retry(vm);
		}
		vmem_notify_end(vm);
		break;
	case MEM_CANCEL_OFFLINE:
	case MEM_CANCEL_ONLINE:
		if (!vm->hotplug_active)
			break;
		vm->ops->notify(vm, action, idx, mhp->start_pfn, mhp->nr_pages);
		vmem_notify_end(vm);
		break;
	}
	return rc;
}

/**
 * vmem_memory_notifier_cb() - memory hotplug events for the device's range
 * @nb: &vmem.memory_notifier
 * @action: MEM_*
 * @arg: struct memory_notify
 *
 * Return: NOTIFY_DONE for other ranges, else NOTIFY_OK or NOTIFY_BAD.
 */
int vmem_memory_notifier_cb(struct notifier_block *nb, unsigned long action,
			    void *arg)
{
	struct vmem *vm = container_of(nb, struct vmem, memory_notifier);
	struct memory_notify *mhp = arg;
	u64 start = PFN_PHYS(mhp->start_pfn), size = PFN_PHYS(mhp->nr_pages);
	unsigned long idx;
	int rc;

	if (!vmem_overlaps(vm, start, size))
		return NOTIFY_DONE;
	if (!vmem_notify_range_ok(vm, start, size, &idx)) {
		vmem_warn_range(vm, start, size);
		return NOTIFY_BAD;
	}
	lockdep_off();
	rc = vmem_notify(vm, action, mhp, idx);
	lockdep_on();
	return rc;
}

static int vmem_res_is_ram(struct resource *res, void *arg)
{
	return 1;
}

/**
 * vmem_has_memory_added() - is any of the region still System RAM?
 * @vm: device
 *
 * Return: true if some memory of the device is still added.
 */
bool vmem_has_memory_added(struct vmem *vm)
{
	const unsigned long flags = IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY;

	/* the end is inclusive: the next byte may be someone else's RAM */
	return walk_iomem_res_desc(IORES_DESC_NONE, flags, vm->cfg.addr,
				   vm->cfg.addr + vm->cfg.region_size - 1, NULL,
				   vmem_res_is_ram) == 1;
}
