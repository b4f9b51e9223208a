// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mem Big Block Mode: device blocks (or bbm_block_size) at least
 * as large as a Linux memory block are plugged, added, removed and
 * unplugged as a whole.  Unplugging online memory fake-offlines every
 * online section first, so offlining cannot loop on busy pages.
 */
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/sched.h>

#include "vmem.h"

static unsigned long vmem_bb_pfn(struct vmem *vm, unsigned long idx)
{
	return PFN_DOWN(vmem_idx_to_phys(vm, idx));
}

static unsigned long vmem_bb_pages(struct vmem *vm)
{
	return PFN_DOWN(vm->geo.block_size);
}

static int vmem_bbm_plug_and_add(struct vmem *vm, unsigned long idx)
{
	u64 addr = vmem_idx_to_phys(vm, idx);
	int rc;

	rc = vmem_send(vm, VIRTIO_MEM_REQ_PLUG, addr, vm->geo.block_size);
	if (rc)
		return rc;
	mutex_lock(&vm->hotplug_mutex);
	vm->states[idx] = VMEM_BBM_ADDED;
	mutex_unlock(&vm->hotplug_mutex);

	rc = vmem_add_memory(vm, addr, vm->geo.block_size);
	if (!rc)
		return 0;
	mutex_lock(&vm->hotplug_mutex);
	vm->states[idx] = vmem_send(vm, VIRTIO_MEM_REQ_UNPLUG, addr,
				    vm->geo.block_size) ?
			  VMEM_BBM_PLUGGED : VMEM_BBM_UNUSED;
	mutex_unlock(&vm->hotplug_mutex);
	return rc;
}

/**
 * vmem_bbm_plug() - plug @diff more bytes, a big block at a time
 * @vm: device
 * @diff: bytes wanted
 *
 * Return: 0, -ENOSPC when nothing more can be plugged now, -ENOMEM when
 * the unmovable-memory reserve stopped it (vmem_reserve_allows()), or the
 * error of a request or of adding memory.
 */
static int vmem_bbm_plug(struct vmem *vm, u64 diff)
{
	u64 nb = div64_u64(diff, vm->geo.block_size);
	unsigned long idx;
	int rc;

	if (!nb)
		return -ENOSPC;
	for (idx = 0; idx < vm->usable_ids && nb; idx++) {
		if (READ_ONCE(vm->states[idx]) != VMEM_BBM_UNUSED)
			continue;
		if (!vmem_could_add(vm, vm->geo.block_size))
			return -ENOSPC;
		if (!vmem_reserve_allows(vm, vm->geo.block_size))
			return -ENOMEM;
		rc = vmem_bbm_plug_and_add(vm, idx);
		if (rc)
			return rc;
		nb--;
		cond_resched();
	}
	return nb ? -ENOSPC : 0;
}

static bool vmem_bbm_all_sections(struct vmem *vm, unsigned long idx,
				  bool movable_ok)
{
	unsigned long pfn = vmem_bb_pfn(vm, idx);
	unsigned long end = pfn + vmem_bb_pages(vm);
	struct page *page;

	for (; pfn < end; pfn += PAGES_PER_SECTION) {
		page = pfn_to_online_page(pfn);
		if (!page)
			continue;
		if (!movable_ok || !is_zone_movable_page(page))
			return false;
	}
	return true;
}

static void vmem_bbm_rollback(struct vmem *vm, unsigned long idx,
			      unsigned long end_pfn)
{
	unsigned long pfn, skip;

	for (pfn = vmem_bb_pfn(vm, idx); pfn < end_pfn; pfn += PAGES_PER_SECTION) {
		if (!pfn_to_online_page(pfn))
			continue;
		skip = vmem_memmap_skip(vm, pfn);
		vmem_fake_online(pfn + skip, PAGES_PER_SECTION - skip);
	}
	vm->states[idx] = VMEM_BBM_ADDED;
}

/*
 * Fake-offline all online sections (newly onlined ones stay offline in
 * FAKE_OFFLINE state), offline and remove, then unplug.  The memmap at the
 * start of each memory block (memmap on memory) is not the buddy's: the
 * removal frees it.
 */
static int vmem_bbm_unplug_bb(struct vmem *vm, unsigned long idx)
{
	unsigned long pfn = vmem_bb_pfn(vm, idx);
	unsigned long end = pfn + vmem_bb_pages(vm);
	u64 addr = vmem_idx_to_phys(vm, idx);
	unsigned long skip;
	int rc = 0;

	mutex_lock(&vm->hotplug_mutex);
	vm->states[idx] = VMEM_BBM_FAKE_OFFLINE;
	for (; pfn < end; pfn += PAGES_PER_SECTION) {
		if (!pfn_to_online_page(pfn))
			continue;
		skip = vmem_memmap_skip(vm, pfn);
		rc = vmem_fake_offline(vm, pfn + skip, PAGES_PER_SECTION - skip);
		if (rc)
			goto rollback;
	}
	mutex_unlock(&vm->hotplug_mutex);

	rc = vmem_offline_and_remove(vm, addr, vm->geo.block_size);
	if (rc) {
		mutex_lock(&vm->hotplug_mutex);
		goto rollback;
	}
	rc = vmem_send(vm, VIRTIO_MEM_REQ_UNPLUG, addr, vm->geo.block_size);
	mutex_lock(&vm->hotplug_mutex);
	/* removed but still plugged: cleanup unplugs it later */
	vm->states[idx] = rc ? VMEM_BBM_PLUGGED : VMEM_BBM_UNUSED;
	mutex_unlock(&vm->hotplug_mutex);
	return rc;

rollback:
	vmem_bbm_rollback(vm, idx, pfn);
	mutex_unlock(&vm->hotplug_mutex);
	return rc;
}

/**
 * vmem_bbm_unplug() - unplug @diff bytes, a big block at a time
 * @vm: device
 * @diff: bytes to give back
 *
 * Three passes from the highest address: offline blocks, blocks whose
 * online memory is all ZONE_MOVABLE, then any block (unplug_online).
 *
 * Return: 0, -EBUSY when memory in use kept it from finishing, or the
 * error of a request.
 */
static int vmem_bbm_unplug(struct vmem *vm, u64 diff)
{
	u64 nb = div64_u64(diff, vm->geo.block_size);
	int pass, passes = READ_ONCE(vmem_unplug_online) ? 3 : 1;
	long idx;
	int rc;

	for (pass = 0; pass < passes && nb; pass++) {
		for (idx = vm->geo.nr_ids - 1; idx >= 0 && nb; idx--) {
			if (READ_ONCE(vm->states[idx]) != VMEM_BBM_ADDED)
				continue;
			if (pass < 2 && !vmem_bbm_all_sections(vm, idx, pass == 1))
				continue;
			rc = vmem_bbm_unplug_bb(vm, idx);
			if (rc == -EBUSY)
				continue;
			if (rc)
				return rc;
			nb--;
			cond_resched();
		}
	}
	return nb ? -EBUSY : 0;
}

/**
 * vmem_bbm_cleanup() - unplug big blocks left plugged by a failed add
 * @vm: device
 *
 * Return: 0 or the error of a request.
 */
static int vmem_bbm_cleanup(struct vmem *vm)
{
	unsigned long idx;
	int rc;

	for (idx = 0; idx < vm->geo.nr_ids; idx++) {
		if (READ_ONCE(vm->states[idx]) != VMEM_BBM_PLUGGED)
			continue;
		rc = vmem_send(vm, VIRTIO_MEM_REQ_UNPLUG,
			       vmem_idx_to_phys(vm, idx), vm->geo.block_size);
		if (rc)
			return rc;
		mutex_lock(&vm->hotplug_mutex);
		vm->states[idx] = VMEM_BBM_UNUSED;
		mutex_unlock(&vm->hotplug_mutex);
	}
	return 0;
}

/**
 * vmem_bbm_online_page() - online_page callback for BBM memory
 * @vm: device
 * @page: first page being onlined
 * @order: its order
 *
 * A big block being unplugged keeps newly onlined memory fake-offline.
 */
static void vmem_bbm_online_page(struct vmem *vm, struct page *page,
				 unsigned int order)
{
	unsigned long idx = vmem_idx(vm, vmem_phys_to_id(&vm->geo,
							page_to_phys(page)));

	if (vm->states[idx] == VMEM_BBM_FAKE_OFFLINE)
		vmem_keep_fake_offline(page_to_pfn(page), 1UL << order);
	else
		generic_online_page(page, order);
}

/*
 * Memory notifier events for BBM memory (struct vmem_mode_ops.notify):
 * onlining is refused only when the kernel's memmap-on-memory layout is
 * not the one the driver expects (vmem_memmap_online_ok()); in
 * FAKE_OFFLINE state all online memory of the big block @idx is ours:
 * drop (MEM_GOING_OFFLINE) or retake (MEM_CANCEL_OFFLINE) the references
 * of the range @pfn.. (@nr_pages) going offline so offlining can skip the
 * pages; other events need nothing.
 */
static int vmem_bbm_notify(struct vmem *vm, unsigned long action,
			   unsigned long idx, unsigned long pfn,
			   unsigned long nr_pages)
{
	if (action == MEM_GOING_ONLINE)
		return vmem_memmap_online_ok(vm, pfn) ? NOTIFY_OK : NOTIFY_BAD;
	if (vm->states[idx] != VMEM_BBM_FAKE_OFFLINE)
		return NOTIFY_OK;
	if (action == MEM_GOING_OFFLINE)
		vmem_fake_offline_drop_refs(pfn, nr_pages);
	else if (action == MEM_CANCEL_OFFLINE)
		vmem_fake_offline_take_refs(pfn, nr_pages);
	return NOTIFY_OK;
}

const struct vmem_mode_ops vmem_bbm_ops = {
	.cleanup = vmem_bbm_cleanup,
	.plug = vmem_bbm_plug,
	.unplug = vmem_bbm_unplug,
	.online_page = vmem_bbm_online_page,
	.notify = vmem_bbm_notify,
};
