// SPDX-License-Identifier: GPL-2.0
/*
 * device-dax on a virtio-pmem region: warn loudly.
 *
 * A virtio-pmem region is asynchronous: data is durable only after a
 * flush request, which the kernel sends for fsync/fdatasync/msync of a
 * block device or fs-dax file (REQ_PREFLUSH/REQ_FUA reach the region's
 * flush callback).  A device-dax instance (/dev/daxX.Y, "ndctl
 * create-namespace -m devdax") has no such path: its users map the
 * memory and have nothing to call that reaches the host, so nothing
 * they write is ever made durable by the host.
 *
 * A provider cannot refuse it: nd_region_desc has no flag against
 * device-dax, the nd_dax seed is created by libnvdimm, and the bus
 * notifier cannot veto a bind.  Unbinding behind the user's back would
 * make "ndctl create-namespace" fail in confusing ways, so we warn at
 * every bind instead (and at probe, for a namespace configured earlier).
 */
#include <linux/device.h>
#include <linux/libnvdimm.h>
#include <linux/notifier.h>
#include <linux/string.h>
#include "virtio_pmem.h"

/* A device-dax instance (nd_dax "daxR.N") of our region, with a driver. */
static bool virtio_pmem_is_devdax(struct virtio_pmem *vpmem,
				  struct device *dev)
{
	return vpmem->nd_region && dev->parent == nd_region_dev(vpmem->nd_region) &&
	       dev->driver && !strncmp(dev_name(dev), "dax", 3);
}

static void virtio_pmem_devdax_warn(struct virtio_pmem *vpmem,
				    struct device *dev)
{
	dev_warn(&vpmem->vdev->dev,
		 "%s: device-dax on an asynchronous virtio-pmem region: no flush path reaches the host, writes through it are NEVER made durable; use fsdax or sector mode\n",
		 dev_name(dev));
}

static int virtio_pmem_nd_notify(struct notifier_block *nb,
				 unsigned long action, void *data)
{
	struct virtio_pmem *vpmem = container_of(nb, struct virtio_pmem, nd_nb);
	struct device *dev = data;

	if (action == BUS_NOTIFY_BOUND_DRIVER && virtio_pmem_is_devdax(vpmem, dev))
		virtio_pmem_devdax_warn(vpmem, dev);
	return NOTIFY_DONE;
}

static int virtio_pmem_devdax_scan(struct device *dev, void *data)
{
	struct virtio_pmem *vpmem = data;

	if (virtio_pmem_is_devdax(vpmem, dev))
		virtio_pmem_devdax_warn(vpmem, dev);
	return 0;
}

/**
 * virtio_pmem_devdax_watch() - warn whenever device-dax binds on the region
 * @vpmem: the device, its region created
 *
 * Return: 0 or a negative errno.
 */
int virtio_pmem_devdax_watch(struct virtio_pmem *vpmem)
{
	struct device *rdev = nd_region_dev(vpmem->nd_region);
	int err;

	vpmem->nd_nb.notifier_call = virtio_pmem_nd_notify;
	err = bus_register_notifier(rdev->bus, &vpmem->nd_nb);
	if (err)
		return err;
	/* Bound between region creation and the notifier: seen here. */
	device_for_each_child(rdev, vpmem, virtio_pmem_devdax_scan);
	return 0;
}

/**
 * virtio_pmem_devdax_unwatch() - undo virtio_pmem_devdax_watch()
 * @vpmem: the device
 */
void virtio_pmem_devdax_unwatch(struct virtio_pmem *vpmem)
{
	bus_unregister_notifier(nd_region_dev(vpmem->nd_region)->bus,
				&vpmem->nd_nb);
}
