// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_pmem: discover the persistent memory range of a virtio-pmem
 * device and register it as an asynchronous-flush pmem region with
 * libnvdimm.  Flushes go through nd_virtio (nd_virtio_core.c).
 */
#include <linux/ioport.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/numa.h>
#include <linux/virtio_config.h>
#include <uapi/linux/virtio_ids.h>
#include "virtio_pmem.h"

static bool allow_cc_guest;
module_param(allow_cc_guest, bool, 0444);
MODULE_PARM_DESC(allow_cc_guest,
		 "Probe in a confidential-computing guest with encrypted memory, where the pmem range is not mapped shared with the host (default: refuse)");

static const struct virtio_device_id id_table[] = {
	{ VIRTIO_ID_PMEM, VIRTIO_DEV_ANY_ID },
	{ 0 },
};

static unsigned int features[] = {
	VIRTIO_PMEM_F_SHMEM_REGION,
};

static void virtio_pmem_vq_done(struct virtqueue *vq)
{
	struct virtio_pmem *vpmem = vq->vdev->priv;

	vpmem_flusher_vq_done(&vpmem->flusher);
}

static void virtio_pmem_config_changed(struct virtio_device *vdev)
{
	struct virtio_pmem *vpmem = vdev->priv;

	vpmem_flusher_config_changed(&vpmem->flusher);
}

static struct virtqueue *virtio_pmem_find_vq(struct virtio_device *vdev)
{
	return virtio_find_single_vq(vdev, virtio_pmem_vq_done, "flush_queue");
}

/*
 * A device may offer SHMEM_REGION (Hyper-V describes the range by a BAR)
 * without exposing region 0: fall back to the config space range then.
 */
static int virtio_pmem_validate(struct virtio_device *vdev)
{
	struct virtio_shm_region shm;
	bool present;

	if (!virtio_has_feature(vdev, VIRTIO_PMEM_F_SHMEM_REGION))
		return 0;
	present = virtio_get_shm_region(vdev, &shm,
					(u8)VIRTIO_PMEM_SHMEM_REGION_ID);
	if (vpmem_validate_features(vdev->features, present) != vdev->features) {
		dev_notice(&vdev->dev,
			   "SHMEM_REGION offered without region %d, using the config space range\n",
			   VIRTIO_PMEM_SHMEM_REGION_ID);
		__virtio_clear_bit(vdev, VIRTIO_PMEM_F_SHMEM_REGION);
	}
	return 0;
}

static int virtio_pmem_read_range(struct virtio_pmem *vpmem)
{
	struct virtio_device *vdev = vpmem->vdev;
	struct virtio_shm_region shm;
	enum vpmem_range_err rerr;

	if (virtio_has_feature(vdev, VIRTIO_PMEM_F_SHMEM_REGION)) {
		if (!virtio_get_shm_region(vdev, &shm,
					   (u8)VIRTIO_PMEM_SHMEM_REGION_ID)) {
			dev_err(&vdev->dev, "shared memory region vanished\n");
			return -ENXIO;
		}
		vpmem->start = shm.addr;
		vpmem->size = shm.len;
	} else {
		virtio_cread_le(vdev, struct virtio_pmem_config, start,
				&vpmem->start);
		virtio_cread_le(vdev, struct virtio_pmem_config, size,
				&vpmem->size);
	}
	rerr = vpmem_range_check(vpmem->start, vpmem->size, PAGE_SIZE);
	if (rerr != VPMEM_RANGE_OK) {
		dev_err(&vdev->dev, "bad device range start %#llx size %#llx: %s\n",
			vpmem->start, vpmem->size, vpmem_range_err_str(rerr));
		return -EINVAL;
	}
	/* memremap_pages() would WARN and fail on RAM; say why instead. */
	if (region_intersects(vpmem->start, vpmem->size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		dev_err(&vdev->dev, "device range start %#llx size %#llx overlaps system RAM\n",
			vpmem->start, vpmem->size);
		return -EINVAL;
	}
	return 0;
}

static int virtio_pmem_create_region(struct virtio_pmem *vpmem)
{
	struct virtio_device *vdev = vpmem->vdev;
	struct nd_region_desc ndr_desc = {};
	struct resource res = {
		.name = "virtio_pmem",
		.start = vpmem->start,
		.end = vpmem->start + vpmem->size - 1,
		.flags = IORESOURCE_MEM,
	};

	ndr_desc.res = &res;
	ndr_desc.numa_node = memory_add_physaddr_to_nid(vpmem->start);
	ndr_desc.target_node = phys_to_target_node(vpmem->start);
	if (ndr_desc.target_node == NUMA_NO_NODE)
		ndr_desc.target_node = ndr_desc.numa_node;
	ndr_desc.flush = vpmem_region_flush;
	/* Set before creation: a flush may arrive as soon as it exists. */
	ndr_desc.provider_data = vdev;
	set_bit(ND_REGION_PAGEMAP, &ndr_desc.flags);
	set_bit(ND_REGION_ASYNC, &ndr_desc.flags);

	/*
	 * The region can be probed, and flushed, before virtio_dev_probe()
	 * would set DRIVER_OK after we return: the device must be live now.
	 */
	virtio_device_ready(vdev);
	vpmem->nd_region = nvdimm_pmem_region_create(vpmem->nvdimm_bus, &ndr_desc);
	if (!vpmem->nd_region) {
		dev_err(&vdev->dev, "failed to create the nvdimm region\n");
		return -ENXIO;
	}
	dev_info(&vdev->dev,
		 "pmem range %pR, node %d, target node %d, %s FUA completion\n",
		 &res, ndr_desc.numa_node, ndr_desc.target_node,
		 GUESTMEM_FLUSH_ASYNC ? "asynchronous" : "synchronous");
	return 0;
}

static int virtio_pmem_probe(struct virtio_device *vdev)
{
	struct virtio_pmem *vpmem;
	struct virtqueue *vq;
	int err;

	if (!vdev->config->get) {
		dev_err(&vdev->dev, "config access disabled\n");
		return -EINVAL;
	}
	if (guestmem_cc_guest_mem_encrypt() && !allow_cc_guest) {
		dev_err(&vdev->dev,
			"confidential-computing guest with encrypted memory: the pmem range would not be shared with the host; refusing (virtio_pmem.allow_cc_guest=1 overrides)\n");
		return -ENODEV;
	}
	vpmem = devm_kzalloc(&vdev->dev, sizeof(*vpmem), GFP_KERNEL);
	if (!vpmem)
		return -ENOMEM;
	vpmem->vdev = vdev;
	vdev->priv = vpmem;

	err = virtio_pmem_read_range(vpmem);
	if (err)
		return err;
	err = vpmem_flusher_init(&vpmem->flusher, vdev);
	if (err)
		return err;
	vq = virtio_pmem_find_vq(vdev);
	if (IS_ERR(vq)) {
		err = PTR_ERR(vq);
		dev_err(&vdev->dev, "failed to set up the flush queue: %d\n", err);
		goto destroy_flusher;
	}
	vpmem_flusher_start(&vpmem->flusher, vq);

	vpmem->nd_desc.provider_name = "virtio-pmem";
	vpmem->nd_desc.module = THIS_MODULE;
	vpmem->nvdimm_bus = nvdimm_bus_register(&vdev->dev, &vpmem->nd_desc);
	if (!vpmem->nvdimm_bus) {
		dev_err(&vdev->dev, "failed to register the nvdimm bus\n");
		err = -ENXIO;
		goto del_vqs;
	}
	err = virtio_pmem_create_region(vpmem);
	if (err)
		goto unregister_bus;
	/* Only a warning is lost if this fails. */
	if (virtio_pmem_devdax_watch(vpmem))
		dev_warn(&vdev->dev, "cannot watch for device-dax on the region\n");
	else
		vpmem->nd_watch = true;
	return 0;

unregister_bus:
	nvdimm_bus_unregister(vpmem->nvdimm_bus);
del_vqs:
	vpmem_flusher_kill(&vpmem->flusher);
	virtio_reset_device(vdev);
	vpmem_flusher_detach(&vpmem->flusher);
	vdev->config->del_vqs(vdev);
destroy_flusher:
	vpmem_flusher_destroy(&vpmem->flusher);
	return err;
}

static void virtio_pmem_remove(struct virtio_device *vdev)
{
	struct virtio_pmem *vpmem = vdev->priv;

	if (vpmem->nd_watch)
		virtio_pmem_devdax_unwatch(vpmem);
	/*
	 * nd_pmem's last flushes still travel over the live queue here;
	 * a broken or silent device fails them instead of hanging.
	 */
	vpmem_flusher_begin_remove(&vpmem->flusher);
	nvdimm_bus_unregister(vpmem->nvdimm_bus);
	vpmem_flusher_kill(&vpmem->flusher);
	virtio_reset_device(vdev);
	vpmem_flusher_detach(&vpmem->flusher);
	vdev->config->del_vqs(vdev);
	vpmem_flusher_destroy(&vpmem->flusher);
}

#ifdef CONFIG_PM_SLEEP
static int virtio_pmem_freeze(struct virtio_device *vdev)
{
	struct virtio_pmem *vpmem = vdev->priv;

	vpmem_flusher_quiesce(&vpmem->flusher);
	virtio_reset_device(vdev);
	vpmem_flusher_detach(&vpmem->flusher);
	vdev->config->del_vqs(vdev);
	return 0;
}

static int virtio_pmem_restore(struct virtio_device *vdev)
{
	struct virtio_pmem *vpmem = vdev->priv;
	struct virtqueue *vq;

	vq = virtio_pmem_find_vq(vdev);
	if (IS_ERR(vq)) {
		dev_err(&vdev->dev, "failed to restore the flush queue: %ld\n",
			PTR_ERR(vq));
		/* Callers queued since freeze must not wait for ever. */
		vpmem_flusher_kill(&vpmem->flusher);
		return PTR_ERR(vq);
	}
	virtio_device_ready(vdev);
	vpmem_flusher_start(&vpmem->flusher, vq);
	return 0;
}
#endif

static const struct attribute_group *virtio_pmem_groups[] = {
	&vpmem_flush_stats_group,
	NULL,
};

static struct virtio_driver virtio_pmem_driver = {
	.feature_table		= features,
	.feature_table_size	= ARRAY_SIZE(features),
	.driver.name		= KBUILD_MODNAME,
	.driver.dev_groups	= virtio_pmem_groups,
	.id_table		= id_table,
	.validate		= virtio_pmem_validate,
	.probe			= virtio_pmem_probe,
	.remove			= virtio_pmem_remove,
	.config_changed		= virtio_pmem_config_changed,
#ifdef CONFIG_PM_SLEEP
	.freeze			= virtio_pmem_freeze,
	.restore		= virtio_pmem_restore,
#endif
};

module_virtio_driver(virtio_pmem_driver);
MODULE_DEVICE_TABLE(virtio, id_table);
MODULE_DESCRIPTION("Virtio pmem driver (guestmem)");
MODULE_LICENSE("GPL");
MODULE_VERSION(GUESTMEM_VERSION);
