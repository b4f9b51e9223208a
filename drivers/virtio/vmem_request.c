// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mem: the guest-request virtqueue (one request in flight) and the
 * kdump support that answers "is this pfn RAM?" with STATE requests.
 */
#include <linux/crash_dump.h>
#include <linux/virtio_config.h>

#include "vmem.h"

#define CREATE_TRACE_POINTS
#include "vmem_trace.h"

static void vmem_handle_response(struct virtqueue *vq)
{
	struct vmem *vm = vq->vdev->priv;

	wake_up(&vm->host_resp);
}

/**
 * vmem_init_vq() - find the guest-request queue
 * @vm: device
 *
 * Return: 0 or a negative errno.
 */
int vmem_init_vq(struct vmem *vm)
{
	struct virtqueue *vq;

	vq = virtio_find_single_vq(vm->vdev, vmem_handle_response,
				   "guest-request");
	if (IS_ERR(vq))
		return PTR_ERR(vq);
	vm->vq = vq;
	return 0;
}

static void vmem_count_resp(struct vmem *vm, u16 type, int resp)
{
	vmem_count(&vm->stats.req[type]);
	if (resp == VIRTIO_MEM_RESP_NACK)
		vmem_count(&vm->stats.nack);
	else if (resp == VIRTIO_MEM_RESP_BUSY)
		vmem_count(&vm->stats.busy);
	else if (resp == VIRTIO_MEM_RESP_ERROR)
		vmem_count(&vm->stats.error);
}

/*
 * Send the request in vm->req and wait for the answer.  There is no
 * timeout: the device owns the buffers until it answers (a timeout could
 * not give them back), and the worker is freezable.
 */
static int vmem_xfer(struct vmem *vm, u16 *resp)
{
	struct scatterlist sg_req, sg_resp, *sgs[2] = { &sg_req, &sg_resp };
	unsigned int len;
	int rc;

	sg_init_one(&sg_req, &vm->req, sizeof(vm->req));
	sg_init_one(&sg_resp, &vm->resp, sizeof(vm->resp));
	rc = virtqueue_add_sgs(vm->vq, sgs, 1, 1, vm, GFP_KERNEL);
	if (rc)
		return rc;
	virtqueue_kick(vm->vq);
	wait_event(vm->host_resp,
		   virtqueue_get_buf(vm->vq, &len) || virtqueue_is_broken(vm->vq));
	if (virtqueue_is_broken(vm->vq))
		return -EIO;
	*resp = le16_to_cpu((__force __le16)vm->resp.type);
	return 0;
}

static int vmem_request(struct vmem *vm, u16 type, u64 addr, u64 size,
			u16 *state)
{
	u64 nb = size / vm->cfg.block_size;
	u16 resp = U16_MAX;
	int rc;

	mutex_lock(&vm->req_mutex);
	rc = vmem_req_encode(&vm->req, type, addr, nb);
	if (!rc && !vmem_take_injected(vm, &resp))
		rc = vmem_xfer(vm, &resp);
	if (!rc) {
		vmem_count_resp(vm, type, resp);
		rc = vmem_resp_errno(type, resp);
		if (!rc && state)
			*state = le16_to_cpu((__force __le16)vm->resp.u.state.state);
	}
	mutex_unlock(&vm->req_mutex);
	trace_vmem_request(vm->vdev->index, type, addr, size, resp, rc);
	dev_dbg(vmem_dev(vm), "%s 0x%llx+0x%llx: %s (%d)\n", vmem_req_name(type),
		addr, size, vmem_resp_name(resp), rc);
	return rc;
}

/**
 * vmem_send() - send a PLUG, UNPLUG or UNPLUG_ALL request and account it
 * @vm: device
 * @type: VIRTIO_MEM_REQ_PLUG, _UNPLUG or _UNPLUG_ALL
 * @addr: start of the range (device block aligned)
 * @size: bytes (multiple of the device block size)
 *
 * Updates the plugged size the driver tracks on success.
 *
 * Return: 0, or the errno of vmem_resp_errno() or of the transport.
 */
int vmem_send(struct vmem *vm, u16 type, u64 addr, u64 size)
{
	int rc = vmem_request(vm, type, addr, size, NULL);

	if (rc)
		return rc;
	if (type == VIRTIO_MEM_REQ_PLUG)
		WRITE_ONCE(vm->cfg.plugged_size, vm->cfg.plugged_size + size);
	else if (type == VIRTIO_MEM_REQ_UNPLUG)
		WRITE_ONCE(vm->cfg.plugged_size, vm->cfg.plugged_size - size);
	else
		WRITE_ONCE(vm->cfg.plugged_size, 0);
	return 0;
}

/**
 * vmem_state() - ask the device for the state of a range
 * @vm: device
 * @addr: start of the range
 * @size: bytes
 *
 * Return: VIRTIO_MEM_STATE_* or a negative errno.
 */
int vmem_state(struct vmem *vm, u64 addr, u64 size)
{
	u16 state;
	int rc = vmem_request(vm, VIRTIO_MEM_REQ_STATE, addr, size, &state);

	return rc ? rc : state;
}

#ifdef CONFIG_PROC_VMCORE
/*
 * Plugged device blocks are RAM, everything else in the region is not.
 * A cached answer for the last block keeps the dump from sending one
 * request per page.  Any failure means "not RAM": never touch memory
 * the device may not back.
 */
static bool vmem_pfn_is_ram(struct vmcore_cb *cb, unsigned long pfn)
{
	struct vmem *vm = container_of(cb, struct vmem, vmcore_cb);
	u64 addr = PFN_PHYS(pfn), block;
	bool ram;
	int rc;

	if (addr < vm->cfg.addr || addr >= vm->cfg.addr + vm->cfg.region_size)
		return true;
	if (addr >= vm->cfg.addr + vm->cfg.usable_region_size)
		return false;
	block = ALIGN_DOWN(addr, vm->cfg.block_size);
	mutex_lock(&vm->hotplug_mutex);
	if (vm->last_state_addr == block) {
		ram = vm->last_state_plugged;
	} else {
		rc = vmem_state(vm, block, vm->cfg.block_size);
		ram = rc == VIRTIO_MEM_STATE_PLUGGED;
		if (rc >= 0) {
			vm->last_state_addr = block;
			vm->last_state_plugged = ram;
		}
	}
	mutex_unlock(&vm->hotplug_mutex);
	return ram;
}

/**
 * vmem_init_kdump() - set up a device in a kdump kernel
 * @vm: device
 *
 * Nothing is plugged; /proc/vmcore asks the device which pages hold data.
 * The device must be ready before the callback can fire.
 *
 * Return: 0.
 */
int vmem_init_kdump(struct vmem *vm)
{
	dev_info(vmem_dev(vm), "memory hot(un)plug disabled in kdump kernel\n");
	vm->last_state_addr = U64_MAX;
	virtio_device_ready(vm->vdev);
	vm->vmcore_cb.pfn_is_ram = vmem_pfn_is_ram;
	register_vmcore_cb(&vm->vmcore_cb);
	return 0;
}

/**
 * vmem_deinit_kdump() - undo vmem_init_kdump()
 * @vm: device
 */
void vmem_deinit_kdump(struct vmem *vm)
{
	unregister_vmcore_cb(&vm->vmcore_cb);
}
#else
int vmem_init_kdump(struct vmem *vm)
{
	dev_err(vmem_dev(vm), "kdump kernel without CONFIG_PROC_VMCORE: refusing the device\n");
	return -EBUSY;
}

void vmem_deinit_kdump(struct vmem *vm)
{
}
#endif
