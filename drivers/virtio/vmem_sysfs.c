// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mem sysfs: /sys/bus/virtio/devices/virtioN/virtio_mem/, read only.
 * Documented in Documentation/ABI/testing/sysfs-driver-virtio_mem-guestmem.
 */
#include <linux/device.h>
#include <linux/memory.h>
#include <linux/sysfs.h>
#include <linux/virtio.h>

#include "vmem.h"

static struct vmem *vmem_from_dev(struct device *dev)
{
	return dev_to_virtio(dev)->priv;
}

static ssize_t mode_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct vmem *vm = vmem_from_dev(dev);

	if (vm->in_kdump)
		return sysfs_emit(buf, "kdump\n");
	return sysfs_emit(buf, "%s\n", vm->geo.sbm ? "sbm" : "bbm");
}
static DEVICE_ATTR_RO(mode);

#define VMEM_U64_ATTR(name, expr)					\
static ssize_t name##_show(struct device *dev,				\
			   struct device_attribute *attr, char *buf)	\
{									\
	struct vmem *vm = vmem_from_dev(dev);				\
									\
	return sysfs_emit(buf, "%llu\n", (unsigned long long)(expr));	\
}									\
static DEVICE_ATTR_RO(name)

VMEM_U64_ATTR(device_block_size, vm->cfg.block_size);
VMEM_U64_ATTR(block_size, vm->geo.sbm ? vm->geo.sb_size : vm->geo.block_size);
VMEM_U64_ATTR(region_start, vm->cfg.addr);
VMEM_U64_ATTR(region_size, vm->cfg.region_size);
VMEM_U64_ATTR(plugged_size, READ_ONCE(vm->cfg.plugged_size));
VMEM_U64_ATTR(requested_size, READ_ONCE(vm->cfg.requested_size));
VMEM_U64_ATTR(usable_region_size, READ_ONCE(vm->cfg.usable_region_size));
VMEM_U64_ATTR(offline_size, atomic64_read(&vm->offline_size));
VMEM_U64_ATTR(retry_delay_ms, READ_ONCE(vm->retry_ms));

static ssize_t memory_block_size_show(struct device *dev,
				      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", memory_block_size_bytes());
}
static DEVICE_ATTR_RO(memory_block_size);

static ssize_t last_error_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct vmem *vm = vmem_from_dev(dev);

	return sysfs_emit(buf, "%d\n", READ_ONCE(vm->last_err));
}
static DEVICE_ATTR_RO(last_error);

static ssize_t broken_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct vmem *vm = vmem_from_dev(dev);

	return sysfs_emit(buf, "%d\n", READ_ONCE(vm->broken));
}
static DEVICE_ATTR_RO(broken);

/* Counters, one per file (the per-state block table is in debugfs). */
VMEM_U64_ATTR(plug_requests, READ_ONCE(vm->stats.req[VIRTIO_MEM_REQ_PLUG]));
VMEM_U64_ATTR(unplug_requests,
	      READ_ONCE(vm->stats.req[VIRTIO_MEM_REQ_UNPLUG]));
VMEM_U64_ATTR(unplug_all_requests,
	      READ_ONCE(vm->stats.req[VIRTIO_MEM_REQ_UNPLUG_ALL]));
VMEM_U64_ATTR(state_requests, READ_ONCE(vm->stats.req[VIRTIO_MEM_REQ_STATE]));
VMEM_U64_ATTR(nack_replies, READ_ONCE(vm->stats.nack));
VMEM_U64_ATTR(busy_replies, READ_ONCE(vm->stats.busy));
VMEM_U64_ATTR(error_replies, READ_ONCE(vm->stats.error));
VMEM_U64_ATTR(invalid_replies, READ_ONCE(vm->stats.invalid));
VMEM_U64_ATTR(state_adopted, READ_ONCE(vm->stats.adopted));
VMEM_U64_ATTR(request_timeouts, READ_ONCE(vm->stats.timeouts));
VMEM_U64_ATTR(fake_offline_failures, READ_ONCE(vm->stats.fake_offline_fail));
VMEM_U64_ATTR(add_failures, READ_ONCE(vm->stats.add_fail));
VMEM_U64_ATTR(remove_failures, READ_ONCE(vm->stats.remove_fail));
VMEM_U64_ATTR(retries, READ_ONCE(vm->stats.retries));
VMEM_U64_ATTR(low_memory, READ_ONCE(vm->stats.low_memory));

static struct attribute *vmem_attrs[] = {
	&dev_attr_mode.attr,
	&dev_attr_device_block_size.attr,
	&dev_attr_block_size.attr,
	&dev_attr_memory_block_size.attr,
	&dev_attr_region_start.attr,
	&dev_attr_region_size.attr,
	&dev_attr_plugged_size.attr,
	&dev_attr_requested_size.attr,
	&dev_attr_usable_region_size.attr,
	&dev_attr_offline_size.attr,
	&dev_attr_retry_delay_ms.attr,
	&dev_attr_last_error.attr,
	&dev_attr_broken.attr,
	&dev_attr_plug_requests.attr,
	&dev_attr_unplug_requests.attr,
	&dev_attr_unplug_all_requests.attr,
	&dev_attr_state_requests.attr,
	&dev_attr_nack_replies.attr,
	&dev_attr_busy_replies.attr,
	&dev_attr_error_replies.attr,
	&dev_attr_invalid_replies.attr,
	&dev_attr_state_adopted.attr,
	&dev_attr_request_timeouts.attr,
	&dev_attr_fake_offline_failures.attr,
	&dev_attr_add_failures.attr,
	&dev_attr_remove_failures.attr,
	&dev_attr_retries.attr,
	&dev_attr_low_memory.attr,
	&dev_attr_unmovable_reserve.attr,
	&dev_attr_plug_stopped.attr,
	&dev_attr_memmap_on_memory.attr,
	&dev_attr_memmap_size.attr,
	NULL,
};

const struct attribute_group vmem_attr_group = {
	.name = "virtio_mem",
	.attrs = vmem_attrs,
};
