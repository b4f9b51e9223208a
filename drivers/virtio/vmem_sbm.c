// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mem Sub Block Mode: memory is added and removed per Linux memory
 * block, plugged and unplugged per sub-block (max of device block and
 * pageblock).  Unplugged parts of online blocks stay fake-offline.
 *
 * Memmap on memory (vmem_memmap.c): the memmap of a memory block lives in
 * its first sub-blocks ("pinned", vmem_memmap_pinned_sbs()).  The add
 * writes it, so they are plugged before the add (a fresh block is plugged
 * from its lowest sub-block, and never with fewer sub-blocks than that);
 * they are never unplug candidates while the block is added; a block with
 * nothing else plugged is offlined and removed, then they are unplugged
 * (counted in what the unplug gives back, and only when all of them are
 * still to be given back: vmem_sbm_removable()).
 */
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/sched.h>

#include "vmem.h"

static u64 vmem_sb_phys(struct vmem *vm, unsigned long idx, unsigned int sb)
{
	return vmem_idx_to_phys(vm, idx) + (u64)sb * vm->geo.sb_size;
}

static unsigned long vmem_sb_pfn(struct vmem *vm, unsigned long idx,
				 unsigned int sb)
{
	return PFN_DOWN(vmem_sb_phys(vm, idx, sb));
}

static unsigned long vmem_sb_pages(struct vmem *vm, unsigned int count)
{
	return PFN_DOWN((u64)count * vm->geo.sb_size);
}

/* Plug or unplug sub-blocks at the device and record the new state. */
static int vmem_sbm_request(struct vmem *vm, unsigned long idx,
			    unsigned int sb, unsigned int count, bool plug)
{
	int rc;

	rc = vmem_send(vm, plug ? VIRTIO_MEM_REQ_PLUG : VIRTIO_MEM_REQ_UNPLUG,
		       vmem_sb_phys(vm, idx, sb), (u64)count * vm->geo.sb_size);
	if (!rc)
		vmem_sb_set(&vm->sb, idx, sb, count, plug);
	return rc;
}

/*
 * Unplug plugged runs of a block (offline or not added) at or above
 * sub-block @lo, from the top, up to @nb_sb sub-blocks.
 */
static int vmem_sbm_unplug_runs(struct vmem *vm, unsigned long idx,
				unsigned int lo, u64 *nb_sb)
{
	unsigned int count;
	int sb, rc;

	while (*nb_sb) {
		sb = vmem_sb_find_run_above(&vm->sb, idx, lo, true, true,
					    min_t(u64, *nb_sb,
						  vm->geo.sbs_per_block),
					    &count);
		if (sb < 0)
			break;
		rc = vmem_sbm_request(vm, idx, sb, count, false);
		if (rc)
			return rc;
		*nb_sb -= count;
	}
	return 0;
}

/*
 * Offline and remove a block with nothing plugged but its memmap's
 * sub-blocks (vmem_sbm_removable()), then unplug those; they are taken
 * from @nb_sb.  Called and returns with @hotplug_mutex held; drops it
 * around the removal.  A failed unplug leaves the block PLUGGED: cleanup
 * unplugs it.
 */
static int vmem_sbm_try_remove(struct vmem *vm, unsigned long idx, u64 *nb_sb)
{
	unsigned int pinned = vmem_memmap_pinned_sbs(vm), left;
	u64 all = vm->geo.sbs_per_block;
	int rc;

	if (!vmem_sbm_removable(&vm->sb, idx, pinned, *nb_sb))
		return 0;
	left = vmem_sb_count(&vm->sb, idx);
	mutex_unlock(&vm->hotplug_mutex);
	rc = vmem_offline_and_remove(vm, vmem_idx_to_phys(vm, idx),
				     vm->geo.block_size);
	mutex_lock(&vm->hotplug_mutex);
	if (rc) {
		vm->have_unplugged_mb = true;
		return rc;
	}
	*nb_sb -= left;
	vm->states[idx] = VMEM_SBM_PLUGGED;
	rc = vmem_sbm_unplug_runs(vm, idx, 0, &all);
	if (!rc)
		vm->states[idx] = VMEM_SBM_UNUSED;
	return rc;
}

static void vmem_sbm_update_state(struct vmem *vm, unsigned long idx)
{
	vm->states[idx] = vmem_sbm_state_after(vm->states[idx],
					       vmem_sb_count(&vm->sb, idx),
					       vm->geo.sbs_per_block);
}

/* ---- plug ---- */

/* Plug unplugged sub-blocks of an added block; @hotplug_mutex held. */
static int vmem_sbm_plug_partial(struct vmem *vm, unsigned long idx,
				 u64 *nb_sb)
{
	bool online = vmem_sbm_state_online_p(vm->states[idx]);
	unsigned int count;
	int sb, rc = 0;

	while (*nb_sb) {
		sb = vmem_sb_find_run(&vm->sb, idx, false, false,
				      min_t(u64, *nb_sb, vm->geo.sbs_per_block),
				      &count);
		if (sb < 0)
			break;
		rc = vmem_sbm_request(vm, idx, sb, count, true);
		if (rc)
			break;
		*nb_sb -= count;
		if (online)
			vmem_fake_online(vmem_sb_pfn(vm, idx, sb),
					 vmem_sb_pages(vm, count));
	}
	vmem_sbm_update_state(vm, idx);
	return rc;
}

/*
 * Plug the first sub-blocks of an unused block (those of its memmap
 * among them), then add it.
 */
static int vmem_sbm_plug_and_add(struct vmem *vm, unsigned long idx,
				 u64 *nb_sb)
{
	unsigned int count = vmem_sbm_fresh_sbs(*nb_sb, vm->geo.sbs_per_block,
						vmem_memmap_pinned_sbs(vm));
	u64 rest = count;
	int rc;

	if (!count)
		return -ENOSPC;
	rc = vmem_sbm_request(vm, idx, 0, count, true);
	if (rc)
		return rc;
	/* the block may be onlined from inside add: state first */
	mutex_lock(&vm->hotplug_mutex);
	vm->states[idx] = count == vm->geo.sbs_per_block ?
			  VMEM_SBM_OFFLINE : VMEM_SBM_OFFLINE_PARTIAL;
	mutex_unlock(&vm->hotplug_mutex);

	rc = vmem_add_memory(vm, vmem_idx_to_phys(vm, idx), vm->geo.block_size);
	if (!rc) {
		*nb_sb -= count;
		return 0;
	}
	/* give the sub-blocks back; if that fails too, cleanup retries */
	mutex_lock(&vm->hotplug_mutex);
	vm->states[idx] = VMEM_SBM_PLUGGED;
	if (!vmem_sbm_unplug_runs(vm, idx, 0, &rest))
		vm->states[idx] = VMEM_SBM_UNUSED;
	mutex_unlock(&vm->hotplug_mutex);
	return rc;
}

/**
 * vmem_sbm_plug() - plug @diff more bytes
 * @vm: device
 * @diff: bytes wanted
 *
 * Fills partially plugged blocks first, then adds unused blocks from the
 * lowest address, as long as offline memory stays under the threshold and
 * the guest can afford the block (vmem_reserve_allows()).
 *
 * Return: 0 when done, -ENOSPC when nothing more can be plugged now,
 * -ENOMEM when the unmovable-memory reserve stopped it, or the error of a
 * request or of adding memory.
 */
static int vmem_sbm_plug(struct vmem *vm, u64 diff)
{
	u64 nb_sb = div64_u64(diff, vm->geo.sb_size);
	struct vmem_pick it;
	unsigned long idx;
	long i;
	int rc = 0;

	if (!nb_sb)
		return -ENOSPC;
	mutex_lock(&vm->hotplug_mutex);
	vmem_pick_start(&it, vm->usable_ids, false);
	while (nb_sb && !rc &&
	       (i = vmem_pick_next(vm->states, vm->usable_ids,
				   vmem_sbm_plug_order, vmem_sbm_plug_order_len,
				   &it, false)) >= 0)
		rc = vmem_sbm_plug_partial(vm, i, &nb_sb);
	mutex_unlock(&vm->hotplug_mutex);
	if (rc)
		return rc;

	for (idx = 0; idx < vm->usable_ids && nb_sb; idx++) {
		if (READ_ONCE(vm->states[idx]) != VMEM_SBM_UNUSED)
			continue;
		if (!vmem_could_add(vm, vm->geo.block_size))
			return -ENOSPC;
		if (!vmem_reserve_allows(vm, vm->geo.block_size))
			return -ENOMEM;
		rc = vmem_sbm_plug_and_add(vm, idx, &nb_sb);
		if (rc)
			return rc;
		cond_resched();
	}
	return nb_sb ? -ENOSPC : 0;
}

/* ---- unplug ---- */

/* Fake-offline and unplug sub-blocks of an online block. */
static int vmem_sbm_unplug_online_sb(struct vmem *vm, unsigned long idx,
				     unsigned int sb, unsigned int count)
{
	unsigned long pfn = vmem_sb_pfn(vm, idx, sb);
	unsigned long nr = vmem_sb_pages(vm, count);
	int rc;

	rc = vmem_fake_offline(vm, pfn, nr);
	if (rc)
		return rc;
	rc = vmem_sbm_request(vm, idx, sb, count, false);
	if (rc) {
		vmem_fake_online(pfn, nr);
		return rc;
	}
	vmem_sbm_update_state(vm, idx);
	return 0;
}

/*
 * Unplug from an online block: all of it above the memmap's sub-blocks at
 * once if wanted and fully plugged, else single sub-blocks from the top,
 * skipping busy ones; never the memmap's.
 */
static int vmem_sbm_unplug_online(struct vmem *vm, unsigned long idx,
				  u64 *nb_sb)
{
	unsigned int sbs = vm->geo.sbs_per_block;
	unsigned int lo = vmem_memmap_pinned_sbs(vm);
	int sb, rc;

	if (*nb_sb >= sbs - lo && vmem_sb_all(&vm->sb, idx, lo, sbs - lo, true)) {
		rc = vmem_sbm_unplug_online_sb(vm, idx, lo, sbs - lo);
		if (!rc)
			*nb_sb -= sbs - lo;
		else if (rc != -EBUSY)
			return rc;
	}
	for (sb = sbs - 1; sb >= (int)lo && *nb_sb; sb--) {
		if (!vmem_sb_all(&vm->sb, idx, sb, 1, true))
			continue;
		rc = vmem_sbm_unplug_online_sb(vm, idx, sb, 1);
		if (rc == -EBUSY)
			continue;
		if (rc)
			return rc;
		*nb_sb -= 1;
	}
	/* a block with nothing plugged goes; failure is retried later */
	vmem_sbm_try_remove(vm, idx, nb_sb);
	return 0;
}

static int vmem_sbm_unplug_offline(struct vmem *vm, unsigned long idx,
				   u64 *nb_sb)
{
	int rc = vmem_sbm_unplug_runs(vm, idx, vmem_memmap_pinned_sbs(vm),
				      nb_sb);

	vmem_sbm_update_state(vm, idx);
	if (!rc)
		vmem_sbm_try_remove(vm, idx, nb_sb);
	return rc;
}

/**
 * vmem_sbm_unplug() - unplug @diff bytes
 * @vm: device
 * @diff: bytes to give back
 *
 * Offline memory first, then ZONE_MOVABLE, then kernel memory (only with
 * unplug_online), partial blocks before full ones, highest address first.
 *
 * Return: 0 when done, -EBUSY when memory in use kept it from finishing,
 * or the error of a request.
 */
static int vmem_sbm_unplug(struct vmem *vm, u64 diff)
{
	u64 nb_sb = div64_u64(diff, vm->geo.sb_size);
	unsigned int norder = vmem_sbm_unplug_order_len;
	struct vmem_pick it;
	int rc = 0;
	long i;

	if (!nb_sb)
		return 0;
	if (!READ_ONCE(vmem_unplug_online))
		norder = 2;	/* the offline states lead the order */
	mutex_lock(&vm->hotplug_mutex);
	vmem_pick_start(&it, vm->geo.nr_ids, true);
	while (nb_sb && !rc &&
	       (i = vmem_pick_next(vm->states, vm->geo.nr_ids,
				   vmem_sbm_unplug_order, norder, &it,
				   true)) >= 0) {
		if (vmem_sbm_state_online_p(vm->states[i]))
			rc = vmem_sbm_unplug_online(vm, i, &nb_sb);
		else
			rc = vmem_sbm_unplug_offline(vm, i, &nb_sb);
		mutex_unlock(&vm->hotplug_mutex);
		cond_resched();
		mutex_lock(&vm->hotplug_mutex);
	}
	mutex_unlock(&vm->hotplug_mutex);
	if (rc)
		return rc;
	return nb_sb ? -EBUSY : 0;
}

/**
 * vmem_sbm_cleanup() - finish work an earlier run could not
 * @vm: device
 *
 * Unplugs blocks whose adding failed (or whose memmap's sub-blocks could
 * not be unplugged after the removal), and removes added blocks that have
 * nothing plugged any more (their removal failed before); a block with
 * only its memmap's sub-blocks left goes only while more is plugged than
 * requested.
 *
 * Return: 0, or an error that the worker treats like any other.
 */
static int vmem_sbm_cleanup(struct vmem *vm)
{
	u64 plugged = READ_ONCE(vm->cfg.plugged_size);
	u64 requested = READ_ONCE(vm->cfg.requested_size);
	u64 all, excess = 0;
	bool again = false;
	unsigned long idx;
	int rc = 0;

	if (plugged > requested)
		excess = div64_u64(plugged - requested, vm->geo.sb_size);
	mutex_lock(&vm->hotplug_mutex);
	for (idx = 0; idx < vm->geo.nr_ids && !rc; idx++) {
		if (vm->states[idx] != VMEM_SBM_PLUGGED)
			continue;
		all = vm->geo.sbs_per_block;
		rc = vmem_sbm_unplug_runs(vm, idx, 0, &all);
		if (!rc)
			vm->states[idx] = VMEM_SBM_UNUSED;
	}
	if (!rc && vm->have_unplugged_mb) {
		vm->have_unplugged_mb = false;
		for (idx = 0; idx < vm->geo.nr_ids; idx++) {
			if (vm->states[idx] == VMEM_SBM_UNUSED ||
			    vm->states[idx] == VMEM_SBM_PLUGGED)
				continue;
			if (vmem_sbm_try_remove(vm, idx, &excess))
				again = true;
		}
		if (again) {
			vm->have_unplugged_mb = true;
			rc = -EBUSY;
		}
	}
	mutex_unlock(&vm->hotplug_mutex);
	return rc;
}

/**
 * vmem_sbm_online_page() - online_page callback for SBM memory
 * @vm: device
 * @page: first page being onlined
 * @order: its order
 *
 * Plugged sub-blocks go to the buddy, unplugged ones stay fake-offline.
 * A range mixing both is split into sub-blocks (once).
 */
static void vmem_sbm_online_page(struct vmem *vm, struct page *page,
				 unsigned int order)
{
	u64 addr = page_to_phys(page), end = addr + PFN_PHYS(1UL << order);
	unsigned long idx = vmem_idx(vm, vmem_phys_to_id(&vm->geo, addr));
	u64 base = vmem_idx_to_phys(vm, idx), next;
	unsigned int sb, count;
	bool online;

	while (addr < end) {
		next = addr + PFN_PHYS(1UL << order);
		sb = div64_u64(addr - base, vm->geo.sb_size);
		count = div64_u64(next - 1 - base, vm->geo.sb_size) - sb + 1;
		if (vmem_sb_all(&vm->sb, idx, sb, count, true)) {
			online = true;
		} else if (count == 1 ||
			   vmem_sb_all(&vm->sb, idx, sb, count, false)) {
			online = false;
		} else {
			order = ilog2(vm->geo.sb_size) - PAGE_SHIFT;
			continue;
		}
		if (online)
			generic_online_page(pfn_to_page(PFN_DOWN(addr)), order);
		else
			vmem_keep_fake_offline(PFN_DOWN(addr), 1UL << order);
		addr = next;
	}
}

/* The block goes offline: drop the references of its unplugged parts. */
static void vmem_sbm_drop_unplugged_refs(struct vmem *vm, unsigned long idx)
{
	unsigned int sb;

	for (sb = 0; sb < vm->geo.sbs_per_block; sb++)
		if (vmem_sb_all(&vm->sb, idx, sb, 1, false))
			vmem_fake_offline_drop_refs(vmem_sb_pfn(vm, idx, sb),
						    vmem_sb_pages(vm, 1));
}

/* Offlining was cancelled: take the references back. */
static void vmem_sbm_take_unplugged_refs(struct vmem *vm, unsigned long idx)
{
	unsigned int sb;

	for (sb = 0; sb < vm->geo.sbs_per_block; sb++)
		if (vmem_sb_all(&vm->sb, idx, sb, 1, false))
			vmem_fake_offline_take_refs(vmem_sb_pfn(vm, idx, sb),
						    vmem_sb_pages(vm, 1));
}

/*
 * MEM_GOING_ONLINE: only a block we added and left offline (all of it or
 * partly plugged) may be onlined; a block in any other state is being
 * added or removed by us right now.
 */
static int vmem_sbm_going_online(struct vmem *vm, unsigned long idx)
{
	u8 st = vm->states[idx];

	if (st == VMEM_SBM_OFFLINE || st == VMEM_SBM_OFFLINE_PARTIAL)
		return NOTIFY_OK;
	dev_warn_ratelimited(vmem_dev(vm), "memory block onlining denied\n");
	return NOTIFY_BAD;
}

/*
 * Block state bookkeeping for memory notifier events (struct
 * vmem_mode_ops.notify); @idx is one memory block, @pfn its first page.
 */
static int vmem_sbm_notify(struct vmem *vm, unsigned long action,
			   unsigned long idx, unsigned long pfn,
			   unsigned long nr_pages)
{
	bool movable;

	switch (action) {
	case MEM_GOING_ONLINE:
		return vmem_sbm_going_online(vm, idx);
	case MEM_GOING_OFFLINE:
		vmem_sbm_drop_unplugged_refs(vm, idx);
		break;
	case MEM_CANCEL_OFFLINE:
		vmem_sbm_take_unplugged_refs(vm, idx);
		break;
	case MEM_OFFLINE:
		vm->states[idx] = vmem_sbm_state_offline(vm->states[idx]);
		break;
	case MEM_ONLINE:
		movable = is_zone_movable_page(pfn_to_page(pfn));
		vm->states[idx] = vmem_sbm_state_online(vm->states[idx], movable);
		break;
	}
	return NOTIFY_OK;
}

const struct vmem_mode_ops vmem_sbm_ops = {
	.cleanup = vmem_sbm_cleanup,
	.plug = vmem_sbm_plug,
	.unplug = vmem_sbm_unplug,
	.online_page = vmem_sbm_online_page,
	.notify = vmem_sbm_notify,
};
