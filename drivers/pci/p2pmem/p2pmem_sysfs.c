// SPDX-License-Identifier: GPL-2.0
/*
 * p2pmem_pci: attributes of /sys/class/p2pmem_guestmem/p2pmemN
 * (Documentation/ABI/testing/sysfs-class-p2pmem-guestmem).
 */
#include <linux/device.h>
#include <linux/pci.h>
#include <linux/sysfs.h>
#include "p2pmem.h"

static ssize_t provider_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%s\n", pci_name(to_p2pmem_dev(dev)->pdev));
}
static DEVICE_ATTR_RO(provider);

static ssize_t bar_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%d\n", to_p2pmem_dev(dev)->bar);
}
static DEVICE_ATTR_RO(bar);

static ssize_t size_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%llu\n", to_p2pmem_dev(dev)->size);
}
static DEVICE_ATTR_RO(size);

static ssize_t allocated_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	struct p2pmem_dev *p = to_p2pmem_dev(dev);
	u64 v;

	mutex_lock(&p->lock);
	v = p->allocated;
	mutex_unlock(&p->lock);
	return sysfs_emit(buf, "%llu\n", v);
}
static DEVICE_ATTR_RO(allocated);

static ssize_t available_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	struct p2pmem_dev *p = to_p2pmem_dev(dev);
	u64 v;

	mutex_lock(&p->lock);
	v = p->dead ? 0 : p->size - p->allocated;
	mutex_unlock(&p->lock);
	return sysfs_emit(buf, "%llu\n", v);
}
static DEVICE_ATTR_RO(available);

static ssize_t bus_address_show(struct device *dev, struct device_attribute *attr,
				char *buf)
{
	return sysfs_emit(buf, "0x%llx\n", (u64)to_p2pmem_dev(dev)->bus);
}
static DEVICE_ATTR_RO(bus_address);

static struct attribute *p2pmem_attrs[] = {
	&dev_attr_provider.attr,
	&dev_attr_bar.attr,
	&dev_attr_size.attr,
	&dev_attr_allocated.attr,
	&dev_attr_available.attr,
	&dev_attr_bus_address.attr,
	NULL
};

static const struct attribute_group p2pmem_group = {
	.attrs = p2pmem_attrs,
};

const struct attribute_group *p2pmem_groups[] = {
	&p2pmem_group,
	NULL
};
