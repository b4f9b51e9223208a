// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mem guest driver: probe/remove, config changes, the worker that
 * plugs or unplugs towards requested_size, and power management.
 *
 * Beyond upstream: ERROR replies (Firecracker's answer to a plug beyond
 * requested_size) re-read the config instead of breaking the device,
 * BUSY and busy memory are retried with a short backoff (VMEM_RETRY_MIN_MS
 * doubling up to retry_max_ms) and at once on memory events, and the
 * state is visible in sysfs and tracepoints.
 */
#include <linux/acpi.h>
#include <linux/crash_dump.h>
#include <linux/ioport.h>
#include <linux/memory_hotplug.h>
#include <linux/module.h>
#include <linux/pageblock-flags.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/suspend.h>
#include <linux/vmalloc.h>
#include <linux/virtio_config.h>

#include <guestmem/version.h>
#include <guestmem/vmem_compat.h>
#include "vmem.h"

bool vmem_unplug_online = true;
module_param_named(unplug_online, vmem_unplug_online, bool, 0644);
MODULE_PARM_DESC(unplug_online, "Try to unplug online memory");

static bool force_bbm;
module_param(force_bbm, bool, 0444);
MODULE_PARM_DESC(force_bbm, "Force Big Block Mode (default: auto-selection)");

static unsigned long bbm_block_size;
module_param(bbm_block_size, ulong, 0444);
MODULE_PARM_DESC(bbm_block_size,
		 "Big Block size in bytes (power of two, >= memory block size; default: auto)");

static bool allow_cc_guest;
module_param(allow_cc_guest, bool, 0444);
MODULE_PARM_DESC(allow_cc_guest,
		 "Probe in a confidential-computing guest (memory encryption active) although hot-plugged memory is not accepted or shared (default: refuse)");

static unsigned int retry_max_ms = VMEM_RETRY_MAX_MS;
module_param(retry_max_ms, uint, 0644);
MODULE_PARM_DESC(retry_max_ms,
		 "Longest delay between retries of a blocked plug/unplug, ms (min 500)");

/* Offline memory allowed before plugging waits for onlining. */
#define VMEM_OFFLINE_THRESHOLD	SZ_1G

/**
 * vmem_retry() - run the worker now (unless the device is going away)
 * @vm: device
 */
void vmem_retry(struct vmem *vm)
{
	unsigned long flags;

	spin_lock_irqsave(&vm->removal_lock, flags);
	if (!vm->removing)
		mod_delayed_work(system_freezable_wq, &vm->work, 0);
	spin_unlock_irqrestore(&vm->removal_lock, flags);
}

static void vmem_retry_later(struct vmem *vm)
{
	unsigned long flags;

	vm->retry_ms = vmem_backoff_next(vm->retry_ms, READ_ONCE(retry_max_ms));
	vmem_count(&vm->stats.retries);
	spin_lock_irqsave(&vm->removal_lock, flags);
	if (!vm->removing)
		queue_delayed_work(system_freezable_wq, &vm->work,
				   msecs_to_jiffies(vm->retry_ms));
	spin_unlock_irqrestore(&vm->removal_lock, flags);
}

static void vmem_read_config(struct vmem *vm, struct vmem_cfg *cfg)
{
	struct virtio_device *vdev = vm->vdev;

	virtio_cread_le(vdev, struct virtio_mem_config, block_size,
			&cfg->block_size);
	virtio_cread_le(vdev, struct virtio_mem_config, addr, &cfg->addr);
	virtio_cread_le(vdev, struct virtio_mem_config, region_size,
			&cfg->region_size);
	virtio_cread_le(vdev, struct virtio_mem_config, usable_region_size,
			&cfg->usable_region_size);
	virtio_cread_le(vdev, struct virtio_mem_config, plugged_size,
			&cfg->plugged_size);
	virtio_cread_le(vdev, struct virtio_mem_config, requested_size,
			&cfg->requested_size);
	vmem_inject_config(vm, cfg);
}

/* Say what vmem_cfg_refresh() refused or clamped in a config read. */
static void vmem_report_config(struct vmem *vm, const struct vmem_cfg *dev,
			       const struct vmem_cfg *next, unsigned int bad)
{
	struct device *d = vmem_dev(vm);

	if (bad & VMEM_CFG_PLUGGED_INVALID)
		dev_warn_ratelimited(d, "device reports plugged size 0x%llx, beyond the region or not block aligned: ignored, driver counts 0x%llx\n",
				     dev->plugged_size, next->plugged_size);
	if (bad & VMEM_CFG_PLUGGED_MISMATCH)
		dev_warn_ratelimited(d, "device reports plugged size 0x%llx, driver counts 0x%llx: keeping the driver's count\n",
				     dev->plugged_size, next->plugged_size);
	if (bad & VMEM_CFG_USABLE_INVALID)
		dev_warn_ratelimited(d, "usable region size 0x%llx beyond the region or not block aligned: using 0x%llx\n",
				     dev->usable_region_size,
				     next->usable_region_size);
	if (bad & VMEM_CFG_USABLE_BELOW_PLUGGED)
		dev_warn_ratelimited(d, "usable region size 0x%llx is below the plugged size 0x%llx: no more plugging, nothing unplugged for it\n",
				     next->usable_region_size,
				     next->plugged_size);
	if (bad & VMEM_CFG_REQUESTED_INVALID)
		dev_warn_ratelimited(d, "requested size 0x%llx beyond the region or not block aligned: using 0x%llx\n",
				     dev->requested_size, next->requested_size);
	if (bad & VMEM_CFG_REQUESTED_ABOVE_USABLE)
		dev_dbg(d, "requested size 0x%llx beyond the usable region: working towards 0x%llx\n",
			dev->requested_size, next->requested_size);
}

/*
 * Re-read the changing fields.  Nothing the device says is taken as is
 * (vmem_cfg_refresh()): the plugged size stays the driver's own count.
 */
static void vmem_refresh_config(struct vmem *vm)
{
	struct vmem_cfg dev, next = vm->cfg;
	unsigned int bad;

	vmem_read_config(vm, &dev);
	bad = vmem_cfg_refresh(&next, &dev);
	vmem_report_config(vm, &dev, &next, bad);
	WRITE_ONCE(vm->cfg.usable_region_size, next.usable_region_size);
	WRITE_ONCE(vm->cfg.requested_size, next.requested_size);
	WRITE_ONCE(vm->usable_ids,
		   vmem_geo_usable_ids(&vm->geo, &vm->cfg, vm->plug_end));
	dev_info(vmem_dev(vm), "plugged size: 0x%llx\n", vm->cfg.plugged_size);
	dev_info(vmem_dev(vm), "requested size: 0x%llx\n", vm->cfg.requested_size);
}

static int vmem_step(struct vmem *vm)
{
	u64 plugged, requested;
	int rc;

	if (vm->unplug_all_required) {
		rc = vmem_send(vm, VIRTIO_MEM_REQ_UNPLUG_ALL, 0, 0);
		if (rc)
			return rc;
		vm->unplug_all_required = false;
		atomic_set(&vm->config_changed, 1);
	}
	if (atomic_xchg(&vm->config_changed, 0))
		vmem_refresh_config(vm);

	rc = vm->ops->cleanup(vm);
	if (rc)
		return rc;
	plugged = READ_ONCE(vm->cfg.plugged_size);
	requested = READ_ONCE(vm->cfg.requested_size);
	if (requested <= plugged)
		vmem_reserve_settled(vm);
	if (requested > plugged)
		return vm->ops->plug(vm, requested - plugged);
	if (requested < plugged)
		return vm->ops->unplug(vm, plugged - requested);
	return 0;
}

static void vmem_schedule(struct vmem *vm, enum vmem_next next, int rc)
{
	switch (next) {
	case VMEM_NEXT_IDLE:
		vm->retry_ms = 0;
		vm->errors_in_row = 0;
		break;
	case VMEM_NEXT_NOW:
		if (rc == -EBUSY)
			vm->retry_ms = 0;	/* progress */
		vmem_retry(vm);
		break;
	case VMEM_NEXT_REFRESH_LATER:
		atomic_set(&vm->config_changed, 1);
		vmem_retry_later(vm);
		break;
	case VMEM_NEXT_LATER:
		vmem_retry_later(vm);
		break;
	case VMEM_NEXT_STUCK:
	case VMEM_NEXT_STOP:
		/* the device's late answer (or nothing: removal) resumes */
		break;
	case VMEM_NEXT_BROKEN:
		if (rc == -EREMOTEIO || rc == -EBADMSG)
			dev_err(vmem_dev(vm),
				"device answered ERROR or invalid %u times in a row, marking device broken\n",
				vm->errors_in_row);
		else
			dev_err(vmem_dev(vm),
				"unknown error %d, marking device broken\n", rc);
		vm->broken = true;
		break;
	}
}

static void vmem_work(struct work_struct *work)
{
	struct vmem *vm = container_of(to_delayed_work(work), struct vmem,
				       work);
	u64 before = READ_ONCE(vm->cfg.plugged_size);
	u64 cpu = current->se.sum_exec_runtime;
	enum vmem_next next;
	int rc;

	if (vm->broken)
		return;
	vmem_count(&vm->stats.worker_runs);
	atomic_set(&vm->wq_active, 1);
	rc = vmem_step(vm);
	WRITE_ONCE(vm->last_err, rc);
	if (rc == -EREMOTEIO || rc == -EBADMSG)
		vm->errors_in_row++;
	next = vmem_next_step(rc, atomic_read(&vm->config_changed),
			      READ_ONCE(vm->cfg.plugged_size) < before,
			      vm->errors_in_row);
	vmem_schedule(vm, next, rc);
	WRITE_ONCE(vm->stats.worker_cpu_ns, vm->stats.worker_cpu_ns +
		   current->se.sum_exec_runtime - cpu);
	/* after the accounting: debugfs worker_active 0 means it is done */
	atomic_set(&vm->wq_active, 0);
}

static int vmem_pm_notifier_cb(struct notifier_block *nb, unsigned long action,
			       void *arg)
{
	struct vmem *vm = container_of(nb, struct vmem, pm_notifier);

	if (action != PM_HIBERNATION_PREPARE && action != PM_RESTORE_PREPARE)
		return NOTIFY_OK;
	/* a restarted VM has nothing plugged: an image cannot be restored */
	dev_err(vmem_dev(vm), "hibernation is not supported.\n");
	return NOTIFY_BAD;
}

static int vmem_node(struct vmem *vm)
{
	int nid = NUMA_NO_NODE;
#if defined(CONFIG_NUMA) && defined(CONFIG_ACPI_NUMA)
	u16 pxm;

	if (virtio_has_feature(vm->vdev, VIRTIO_MEM_F_ACPI_PXM)) {
		virtio_cread_le(vm->vdev, struct virtio_mem_config, node_id,
				&pxm);
		nid = pxm_to_node(pxm);
	}
#endif
	if (nid == NUMA_NO_NODE)
		nid = memory_add_physaddr_to_nid(vm->cfg.addr);
	return nid;
}

static int vmem_init_geometry(struct vmem *vm)
{
	struct range pluggable = mhp_get_pluggable_range(true);
	struct vmem_geo_in in = {
		.cfg = &vm->cfg,
		.memory_block_size = memory_block_size_bytes(),
		.pageblock_size = PAGE_SIZE << pageblock_order,
		.plug_start = pluggable.start,
		.plug_end = pluggable.end,
		.force_bbm = force_bbm,
		.bbm_block_size = bbm_block_size,
	};
	const char *why = NULL;
	int rc;

	rc = vmem_geo_init(&vm->geo, &in, &why);
	if (rc) {
		dev_err(vmem_dev(vm), "unusable device region: %s\n", why);
		return rc;
	}
	vm->plug_end = pluggable.end;
	if (!IS_ALIGNED(vm->cfg.addr, vm->geo.block_size))
		dev_warn(vmem_dev(vm),
			 "the start address is not aligned to a memory block: some memory stays unusable\n");
	if (!IS_ALIGNED(vm->cfg.addr + vm->cfg.region_size, vm->geo.block_size))
		dev_warn(vmem_dev(vm),
			 "the end address is not aligned to a memory block: some memory stays unusable\n");
	vm->offline_threshold = max_t(u64, VMEM_OFFLINE_THRESHOLD,
				      2 * vm->geo.block_size);
	vm->usable_ids = vmem_geo_usable_ids(&vm->geo, &vm->cfg, vm->plug_end);
	vm->ops = vm->geo.sbm ? &vmem_sbm_ops : &vmem_bbm_ops;
	return 0;
}

static void vmem_log_geometry(struct vmem *vm)
{
	struct device *dev = vmem_dev(vm);

	dev_info(dev, "start address: 0x%llx\n", vm->cfg.addr);
	dev_info(dev, "region size: 0x%llx\n", vm->cfg.region_size);
	dev_info(dev, "device block size: 0x%llx\n", vm->cfg.block_size);
	dev_info(dev, "memory block size: 0x%lx\n", memory_block_size_bytes());
	if (vm->geo.sbm)
		dev_info(dev, "subblock size: 0x%llx\n", vm->geo.sb_size);
	else
		dev_info(dev, "big block size: 0x%llx\n", vm->geo.block_size);
	if (vm->nid != NUMA_NO_NODE && IS_ENABLED(CONFIG_NUMA))
		dev_info(dev, "nid: %d\n", vm->nid);
}

/*
 * The whole region as an exclusive, not busy parent resource: /dev/mem
 * cannot map it and added memory nests below it.
 */
static int vmem_create_resource(struct vmem *vm)
{
	const char *name = kstrdup(dev_name(vmem_dev(vm)), GFP_KERNEL);

	if (!name)
		return -ENOMEM;
	vm->parent = __request_mem_region(vm->cfg.addr, vm->cfg.region_size,
					  name, IORESOURCE_SYSTEM_RAM |
					  IORESOURCE_EXCLUSIVE);
	if (!vm->parent) {
		kfree(name);
		dev_err(vmem_dev(vm),
			"could not reserve device region 0x%llx-0x%llx (still owned by an earlier driver instance?)\n",
			vm->cfg.addr, vm->cfg.addr + vm->cfg.region_size - 1);
		return -EBUSY;
	}
	vm->parent->flags &= ~IORESOURCE_BUSY;
	return 0;
}

static void vmem_delete_resource(struct vmem *vm)
{
	const char *name = vm->parent->name;

	release_resource(vm->parent);
	kfree(vm->parent);
	kfree(name);
	vm->parent = NULL;
}

static int vmem_alloc_state(struct vmem *vm)
{
	unsigned long bits = vm->geo.nr_ids * vm->geo.sbs_per_block;

	vm->states = vzalloc(vm->geo.nr_ids);
	if (!vm->states)
		return -ENOMEM;
	vm->sb.sbs = vm->geo.sbs_per_block;
	if (!vm->geo.sbm)
		return 0;
	vm->sb.bits = vzalloc(BITS_TO_LONGS(bits) * sizeof(unsigned long));
	if (!vm->sb.bits) {
		vfree(vm->states);
		vm->states = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void vmem_free_state(struct vmem *vm)
{
	vfree(vm->sb.bits);
	vfree(vm->states);
}

static int vmem_init_hotplug(struct vmem *vm)
{
	int rc;

	rc = vmem_init_geometry(vm);
	if (rc)
		return rc;
	vm->nid = vmem_node(vm);
	vmem_log_geometry(vm);
	vmem_memmap_init(vm);

	rc = vmem_alloc_state(vm);
	if (rc)
		return rc;
	vm->resource_name = kstrdup_const("System RAM (virtio_mem)", GFP_KERNEL);
	if (!vm->resource_name) {
		rc = -ENOMEM;
		goto free_state;
	}
	rc = vmem_create_resource(vm);
	if (rc)
		goto free_name;
	rc = memory_group_register_dynamic(vm->nid,
					   PFN_DOWN(vm->geo.block_size));
	if (rc < 0)
		goto delete_resource;
	vm->mgid = rc;

	vm->memory_notifier.notifier_call = vmem_memory_notifier_cb;
	rc = register_memory_notifier(&vm->memory_notifier);
	if (rc)
		goto unregister_group;
	vm->pm_notifier.notifier_call = vmem_pm_notifier_cb;
	vm->pm_notifier.priority = INT_MAX;
	rc = register_pm_notifier(&vm->pm_notifier);
	if (rc)
		goto unregister_memory_notifier;
	rc = vmem_register_device(vm);
	if (rc) {
		dev_err(vmem_dev(vm),
			"the online_page callback is owned by another driver (in-tree virtio_mem or hv_balloon loaded?)\n");
		goto unregister_pm_notifier;
	}
	return 0;

unregister_pm_notifier:
	unregister_pm_notifier(&vm->pm_notifier);
unregister_memory_notifier:
	unregister_memory_notifier(&vm->memory_notifier);
unregister_group:
	memory_group_unregister(vm->mgid);
delete_resource:
	vmem_delete_resource(vm);
free_name:
	kfree_const(vm->resource_name);
free_state:
	vmem_free_state(vm);
	return rc;
}

/*
 * Blocks that are offline with unplugged parts must not be onlined once
 * our online_page callback is gone: remove them.
 */
static void vmem_remove_offline_partial(struct vmem *vm)
{
	unsigned long idx;

	if (!vm->geo.sbm)
		return;
	for (idx = 0; idx < vm->geo.nr_ids; idx++) {
		if (vm->states[idx] != VMEM_SBM_OFFLINE_PARTIAL)
			continue;
		if (vmem_remove_memory(vm, vmem_idx_to_phys(vm, idx),
				       vm->geo.block_size))
			dev_err(vmem_dev(vm),
				"could not remove partially plugged offline block 0x%llx\n",
				vmem_idx_to_phys(vm, idx));
		else
			vm->states[idx] = VMEM_SBM_UNUSED;
	}
}

static void vmem_deinit_hotplug(struct vmem *vm)
{
	vmem_remove_offline_partial(vm);
	vmem_unregister_device(vm);
	unregister_pm_notifier(&vm->pm_notifier);
	unregister_memory_notifier(&vm->memory_notifier);
	if (vmem_has_memory_added(vm)) {
		/*
		 * Plugged memory stays in use by the system: keep the region
		 * reserved (a new instance refuses it) and the group alive.
		 */
		dev_warn(vmem_dev(vm),
			 "device still has system memory added; it stays in use until reboot\n");
	} else {
		vmem_delete_resource(vm);
		memory_group_unregister(vm->mgid);
		kfree_const(vm->resource_name);
	}
	vmem_free_state(vm);
}

static int vmem_init(struct vmem *vm)
{
	const char *why = NULL;
	int rc;

	vmem_read_config(vm, &vm->cfg);
	rc = vmem_cfg_validate(&vm->cfg, &why);
	if (rc) {
		dev_err(vmem_dev(vm), "invalid device config: %s\n", why);
		return rc;
	}
	if (!virtio_has_feature(vm->vdev, VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE))
		dev_dbg(vmem_dev(vm), "unplugged memory is readable by the host's rules\n");
	if (is_kdump_kernel()) {
		vm->in_kdump = true;
		return vmem_init_kdump(vm);
	}
	rc = vmem_init_hotplug(vm);
	if (rc)
		return rc;
	virtio_device_ready(vm->vdev);
	/* memory still plugged (reboot, earlier driver): start clean */
	vm->unplug_all_required = vm->cfg.plugged_size > 0;
	atomic_set(&vm->config_changed, 1);
	return 0;
}

static int vmem_probe(struct virtio_device *vdev)
{
	struct vmem *vm;
	int rc;

	BUILD_BUG_ON(sizeof(struct virtio_mem_req) != 24);
	BUILD_BUG_ON(sizeof(struct virtio_mem_resp) != 10);

	if (!vdev->config->get) {
		dev_err(&vdev->dev, "transport without config space access: refusing the device\n");
		return -EINVAL;
	}
	if (!virtio_has_feature(vdev, VIRTIO_F_VERSION_1)) {
		dev_err(&vdev->dev, "virtio-mem needs a VIRTIO 1.x device\n");
		return -ENODEV;
	}
	if (vmem_cc_guest() && !allow_cc_guest) {
		dev_err(&vdev->dev, "confidential-computing guest (memory encryption active): hot-plugged memory would not be accepted or shared; refusing the device (override: virtio_mem.allow_cc_guest=1)\n");
		return -ENODEV;
	}
	vm = kzalloc_obj(*vm, GFP_KERNEL);
	if (!vm)
		return -ENOMEM;
	vdev->priv = vm;
	vm->vdev = vdev;
	init_waitqueue_head(&vm->host_resp);
	mutex_init(&vm->req_mutex);
	mutex_init(&vm->hotplug_mutex);
	spin_lock_init(&vm->removal_lock);
	vmem_inject_init(vm);
	INIT_DELAYED_WORK(&vm->work, vmem_work);
	atomic64_set(&vm->offline_size, 0);
	atomic64_set(&vm->memmap_size, 0);

	rc = vmem_init_vq(vm);
	if (rc)
		goto free_vm;
	rc = vmem_init(vm);
	if (rc)
		goto del_vqs;
	vmem_debugfs_init(vm);
	if (!vm->in_kdump)
		vmem_retry(vm);
	return 0;

del_vqs:
	vdev->config->del_vqs(vdev);
free_vm:
	mutex_destroy(&vm->hotplug_mutex);
	mutex_destroy(&vm->req_mutex);
	kfree(vm);
	vdev->priv = NULL;
	return rc;
}

static void vmem_stop_worker(struct vmem *vm)
{
	/* a request waiting for the device (maybe under hotplug_mutex) ends */
	vmem_abort_requests(vm);
	/* under hotplug_mutex: no notifier sequence is half-way */
	mutex_lock(&vm->hotplug_mutex);
	spin_lock_irq(&vm->removal_lock);
	vm->removing = true;
	spin_unlock_irq(&vm->removal_lock);
	mutex_unlock(&vm->hotplug_mutex);
	cancel_delayed_work_sync(&vm->work);
}

static void vmem_remove(struct virtio_device *vdev)
{
	struct vmem *vm = vdev->priv;

	vmem_stop_worker(vm);
	vmem_debugfs_exit(vm);
	if (vm->in_kdump)
		vmem_deinit_kdump(vm);
	else
		vmem_deinit_hotplug(vm);
	virtio_reset_device(vdev);
	vdev->config->del_vqs(vdev);
	mutex_destroy(&vm->hotplug_mutex);
	mutex_destroy(&vm->req_mutex);
	kfree(vm);
	vdev->priv = NULL;
}

static void vmem_config_changed(struct virtio_device *vdev)
{
	struct vmem *vm = vdev->priv;

	if (!vm || vm->in_kdump)
		return;
	atomic_set(&vm->config_changed, 1);
	vmem_retry(vm);
}

#ifdef CONFIG_PM_SLEEP
static int vmem_freeze(struct virtio_device *vdev)
{
	struct vmem *vm = vdev->priv;

	/*
	 * s2idle keeps the VM running.  Deeper sleep may lose plugged
	 * memory unless the device promises to keep it.
	 */
	if (pm_suspend_target_state != PM_SUSPEND_TO_IDLE &&
	    READ_ONCE(vm->cfg.plugged_size) &&
	    !virtio_has_feature(vdev, VIRTIO_MEM_F_PERSISTENT_SUSPEND)) {
		dev_err(&vdev->dev,
			"suspend with plugged memory needs VIRTIO_MEM_F_PERSISTENT_SUSPEND\n");
		return -EPERM;
	}
	cancel_delayed_work_sync(&vm->work);
	virtio_reset_device(vdev);
	vdev->config->del_vqs(vdev);
	vm->vq = NULL;
	return 0;
}

static int vmem_restore(struct virtio_device *vdev)
{
	struct vmem *vm = vdev->priv;
	int rc;

	rc = vmem_init_vq(vm);
	if (rc)
		return rc;
	/* the reset gave every buffer back */
	WRITE_ONCE(vm->req_stuck, false);
	virtio_device_ready(vdev);
	atomic_set(&vm->config_changed, 1);
	vmem_retry(vm);
	return 0;
}
#endif

static unsigned int vmem_features[] = {
#if defined(CONFIG_NUMA) && defined(CONFIG_ACPI_NUMA)
	VIRTIO_MEM_F_ACPI_PXM,
#endif
	VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE,
	VIRTIO_MEM_F_PERSISTENT_SUSPEND,
};

static const struct virtio_device_id vmem_id_table[] = {
	{ VIRTIO_ID_MEM, VIRTIO_DEV_ANY_ID },
	{ 0 },
};

static const struct attribute_group *vmem_groups[] = {
	&vmem_attr_group,
	NULL,
};

static struct virtio_driver vmem_driver = {
	.feature_table = vmem_features,
	.feature_table_size = ARRAY_SIZE(vmem_features),
	.driver.name = KBUILD_MODNAME,
	.driver.dev_groups = vmem_groups,
	.id_table = vmem_id_table,
	.probe = vmem_probe,
	.remove = vmem_remove,
	.config_changed = vmem_config_changed,
#ifdef CONFIG_PM_SLEEP
	.freeze = vmem_freeze,
	.restore = vmem_restore,
#endif
};

static int __init vmem_module_init(void)
{
	int rc;

	vmem_debugfs_module_init();
	rc = register_virtio_driver(&vmem_driver);
	if (rc)
		vmem_debugfs_module_exit();
	return rc;
}
module_init(vmem_module_init);

static void __exit vmem_module_exit(void)
{
	unregister_virtio_driver(&vmem_driver);
	vmem_debugfs_module_exit();
}
module_exit(vmem_module_exit);
MODULE_DEVICE_TABLE(virtio, vmem_id_table);
MODULE_AUTHOR("guestmem project");
MODULE_DESCRIPTION("Virtio-mem driver (guestmem: fast unplug convergence, sysfs, tracepoints)");
MODULE_LICENSE("GPL");
MODULE_VERSION(GUESTMEM_VERSION);
