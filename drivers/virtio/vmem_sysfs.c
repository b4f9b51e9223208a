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

	return sysfs_emit(buf, "%d%s\n", READ_ONCE(vm->last_err),
			  READ_ONCE(vm->broken) ? " broken" : "");
}
static DEVICE_ATTR_RO(last_error);

static ssize_t blocks_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct vmem *vm = vmem_from_dev(dev);
	unsigned int count[VMEM_SBM_NR_STATES] = { 0 };
	unsigned int nstates = vm->geo.sbm ? VMEM_SBM_NR_STATES :
					     VMEM_BBM_NR_STATES;
	unsigned long idx;
	ssize_t len = 0;
	u8 st;

	if (!vm->states)
		return 0;
	for (idx = 0; idx < vm->geo.nr_ids; idx++) {
		st = READ_ONCE(vm->states[idx]);
		if (st < nstates)
			count[st]++;
	}
	for (st = 0; st < nstates; st++)
		len += sysfs_emit_at(buf, len, "%s %u\n",
				     vm->geo.sbm ? vmem_sbm_state_name(st) :
						   vmem_bbm_state_name(st),
				     count[st]);
	return len;
}
static DEVICE_ATTR_RO(blocks);

static ssize_t stats_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct vmem *vm = vmem_from_dev(dev);
	const struct vmem_stats *s = &vm->stats;
	ssize_t len = 0;
	unsigned int t;

	for (t = VIRTIO_MEM_REQ_PLUG; t <= VIRTIO_MEM_REQ_STATE; t++)
		len += sysfs_emit_at(buf, len, "%s_requests %llu\n",
				     vmem_req_name(t), READ_ONCE(s->req[t]));
	len += sysfs_emit_at(buf, len, "nack %llu\nbusy %llu\nerror %llu\n",
			     READ_ONCE(s->nack), READ_ONCE(s->busy),
			     READ_ONCE(s->error));
	len += sysfs_emit_at(buf, len,
			     "fake_offline_failures %llu\nadd_failures %llu\nremove_failures %llu\nretries %llu\nlow_memory %llu\n",
			     READ_ONCE(s->fake_offline_fail),
			     READ_ONCE(s->add_fail), READ_ONCE(s->remove_fail),
			     READ_ONCE(s->retries), READ_ONCE(s->low_memory));
	return len;
}
static DEVICE_ATTR_RO(stats);

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
	&dev_attr_blocks.attr,
	&dev_attr_stats.attr,
	&dev_attr_unmovable_reserve.attr,
	&dev_attr_plug_stopped.attr,
	NULL,
};

const struct attribute_group vmem_attr_group = {
	.name = "virtio_mem",
	.attrs = vmem_attrs,
};
