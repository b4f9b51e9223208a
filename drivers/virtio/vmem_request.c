// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mem: the guest-request virtqueue (one request in flight) and the
 * kdump support that answers "is this pfn RAM?" with STATE requests.
 *
 * Nothing the device returns is trusted: the response buffer is reset
 * before each request, the used length and the type (and state) are
 * checked, a request waits at most request_timeout_ms and never past a
 * broken queue or the device's removal, ranges beyond 65535 blocks are
 * split, and the plugged count cannot wrap (Documentation/hardening.md).
 */
#include <linux/crash_dump.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/string.h>
#include <linux/virtio_config.h>

#include "vmem.h"

#define CREATE_TRACE_POINTS
#include "vmem_trace.h"

static unsigned int request_timeout_ms = 60000;
module_param(request_timeout_ms, uint, 0644);
MODULE_PARM_DESC(request_timeout_ms,
		 "Give up on a request the device does not answer after this many ms (0: wait for ever)");

static void vmem_handle_response(struct virtqueue *vq)
{
	struct vmem *vm = vq->vdev->priv;

	wake_up(&vm->host_resp);
	/* the answer to an abandoned request: requests may resume */
	if (READ_ONCE(vm->req_stuck) && !vm->in_kdump)
		vmem_retry(vm);
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

/**
 * vmem_abort_requests() - make waiting and new requests fail (removal)
 * @vm: device
 *
 * A request waiting for a silent device returns -ESHUTDOWN at once, so
 * removal never waits for the device.  The buffers stay the device's
 * until the reset that follows.
 */
void vmem_abort_requests(struct vmem *vm)
{
	WRITE_ONCE(vm->req_abort, true);
	wake_up(&vm->host_resp);
}

static void vmem_count_resp(struct vmem *vm, u16 type, int resp)
{
	if (resp == VIRTIO_MEM_RESP_NACK)
		vmem_count(&vm->stats.nack);
	else if (resp == VIRTIO_MEM_RESP_BUSY)
		vmem_count(&vm->stats.busy);
	else if (resp == VIRTIO_MEM_RESP_ERROR)
		vmem_count(&vm->stats.error);
}

/* The device gave the buffers back (the injector may keep them). */
static bool vmem_answered(struct vmem *vm, unsigned int *len)
{
	return vmem_inject_answer(vm, virtqueue_get_buf(vm->vq, len), len);
}

/* Wait condition: answered (0), queue broken (-EIO) or removal (-ESHUTDOWN). */
static bool vmem_wait_done(struct vmem *vm, unsigned int *len, int *rc)
{
	if (vmem_answered(vm, len))
		*rc = 0;
	else if (virtqueue_is_broken(vm->vq))
		*rc = -EIO;
	else if (READ_ONCE(vm->req_abort))
		*rc = -ESHUTDOWN;
	else
		return false;
	return true;
}

/*
 * Wait for the answer, re-checking every second: a queue broken by
 * surprise removal (virtio_break_device()) wakes nobody.  After
 * request_timeout_ms the request is abandoned: the device still owns the
 * buffers, so nothing is sent until they come back (vmem_reclaim()).
 */
static int vmem_wait_answer(struct vmem *vm, u16 type, unsigned int *len)
{
	unsigned int timeout = READ_ONCE(request_timeout_ms);
	unsigned long start = jiffies;
	int rc = 0;

	while (!wait_event_timeout(vm->host_resp, vmem_wait_done(vm, len, &rc),
				   HZ)) {
		if (timeout && time_after(jiffies,
					  start + msecs_to_jiffies(timeout))) {
			rc = -ETIMEDOUT;
			break;
		}
	}
	if (rc == -EIO) {
		dev_err(vmem_dev(vm), "%s request failed: virtqueue broken\n",
			vmem_req_name(type));
		return rc;
	}
	if (!rc)
		return 0;
	WRITE_ONCE(vm->req_stuck, true);
	/* pairs with the callback's read: an answer from now on resumes */
	smp_mb();
	if (rc == -ETIMEDOUT && vmem_answered(vm, len)) {
		WRITE_ONCE(vm->req_stuck, false);
		return 0;
	}
	if (rc == -ETIMEDOUT) {
		vmem_count(&vm->stats.timeouts);
		dev_err(vmem_dev(vm),
			"%s request not answered within %u ms: no more requests until the device answers\n",
			vmem_req_name(type), timeout);
	}
	return rc;
}

/* An abandoned request must be answered before the buffers are reused. */
static int vmem_reclaim(struct vmem *vm)
{
	unsigned int len;

	if (READ_ONCE(vm->req_abort))
		return -ESHUTDOWN;
	if (!vm->req_stuck)
		return 0;
	if (!vmem_answered(vm, &len))
		return virtqueue_is_broken(vm->vq) ? -EIO : -ETIMEDOUT;
	WRITE_ONCE(vm->req_stuck, false);
	dev_warn(vmem_dev(vm),
		 "device answered an abandoned request late: requests resume\n");
	return 0;
}

/*
 * Send the request in vm->req and wait for the answer.  The response
 * buffer is reset first: whatever the device does not write cannot be
 * taken for an answer.
 */
static int vmem_xfer(struct vmem *vm, u16 type, unsigned int *len)
{
	struct scatterlist sg_req, sg_resp, *sgs[2] = { &sg_req, &sg_resp };
	int rc;

	memset(&vm->resp, 0xff, sizeof(vm->resp));
	vmem_inject_sending(vm);
	sg_init_one(&sg_req, &vm->req, sizeof(vm->req));
	sg_init_one(&sg_resp, &vm->resp, sizeof(vm->resp));
	rc = virtqueue_add_sgs(vm->vq, sgs, 1, 1, vm, GFP_KERNEL);
	if (rc)
		return rc == -ENOSPC ? -EIO : rc;
	vmem_count(&vm->stats.req[type]);
	WRITE_ONCE(vm->req_in_flight, true);
	virtqueue_kick(vm->vq);
	rc = vmem_wait_answer(vm, type, len);
	WRITE_ONCE(vm->req_in_flight, false);
	return rc;
}

/* Validate the answer in vm->resp and map it to an errno. */
static int vmem_answer(struct vmem *vm, u16 type, u64 addr, u64 size,
		       unsigned int len, u16 *resp, u16 *state)
{
	const char *why = NULL;
	int rc;

	rc = vmem_resp_parse(type, &vm->resp, len, resp, state, &why);
	if (rc) {
		vmem_count(&vm->stats.invalid);
		dev_warn_ratelimited(vmem_dev(vm),
				     "invalid answer to %s request 0x%llx+0x%llx: %s (used length %u, type %u)\n",
				     vmem_req_name(type), addr, size, why, len,
				     le16_to_cpu((__force __le16)vm->resp.type));
		return rc;
	}
	vmem_count_resp(vm, type, *resp);
	rc = vmem_resp_errno(type, *resp);
	if (rc == -EBADMSG) {
		vmem_count(&vm->stats.invalid);
		dev_warn_ratelimited(vmem_dev(vm),
				     "invalid answer to %s request 0x%llx+0x%llx: %s is not an answer to it\n",
				     vmem_req_name(type), addr, size,
				     vmem_resp_name(*resp));
	}
	return rc;
}

static int vmem_request(struct vmem *vm, u16 type, u64 addr, u64 size,
			u16 *state)
{
	u64 nb = div64_u64(size, vm->cfg.block_size);
	u16 resp = U16_MAX;
	unsigned int len = 0;
	int rc;

	mutex_lock(&vm->req_mutex);
	rc = vmem_req_encode(&vm->req, type, addr, nb);
	if (!rc)
		rc = vmem_reclaim(vm);
	if (!rc)
		rc = vmem_xfer(vm, type, &len);
	if (!rc)
		rc = vmem_answer(vm, type, addr, size, len, &resp, state);
	mutex_unlock(&vm->req_mutex);
	trace_vmem_request(vm->vdev->index, type, addr, size, resp, rc);
	dev_dbg(vmem_dev(vm), "%s 0x%llx+0x%llx: %s (%d)\n", vmem_req_name(type),
		addr, size, vmem_resp_name(resp), rc);
	return rc;
}

/*
 * One PLUG or UNPLUG request.  After a NACK, an ERROR or an invalid
 * answer the range's STATE decides: if the device already has it the way
 * the request asked (a lost ACK, a retry of a request that did happen),
 * it is taken as done.  NACK is included because QEMU checks
 * requested_size before the block states: a re-plug of a block whose ACK
 * was lost is NACKed once the device is at its requested size.
 */
static int vmem_request_checked(struct vmem *vm, u16 type, u64 addr,
				u64 size)
{
	int rc = vmem_request(vm, type, addr, size, NULL), st;

	if (rc != -EAGAIN && rc != -EREMOTEIO && rc != -EBADMSG)
		return rc;
	st = vmem_state(vm, addr, size);
	if (!vmem_state_shows_done(type, st))
		return rc;
	vmem_count(&vm->stats.adopted);
	dev_warn_ratelimited(vmem_dev(vm),
			     "%s 0x%llx+0x%llx: the device's STATE shows it done despite its answer: taken as done\n",
			     vmem_req_name(type), addr, size);
	return 0;
}

static void vmem_account(struct vmem *vm, u16 type, u64 size)
{
	bool bad;
	u64 plugged = vmem_plugged_after(vm->cfg.plugged_size, type, size,
					 vm->cfg.region_size, &bad);

	if (bad)
		dev_warn_ratelimited(vmem_dev(vm),
				     "%s of 0x%llx does not fit the plugged size 0x%llx: clamped\n",
				     vmem_req_name(type), size,
				     vm->cfg.plugged_size);
	WRITE_ONCE(vm->cfg.plugged_size, plugged);
}

/* Send a range as requests of at most 65535 blocks; *done: bytes sent. */
static int vmem_send_range(struct vmem *vm, u16 type, u64 addr, u64 size,
			   u64 *done)
{
	u64 chunk;
	int rc;

	for (*done = 0; *done < size; *done += chunk) {
		chunk = vmem_req_chunk(size - *done, vm->cfg.block_size);
		if (!chunk)
			return -EINVAL;
		rc = vmem_request_checked(vm, type, addr + *done, chunk);
		if (rc)
			return rc;
	}
	return 0;
}

/**
 * vmem_send() - send a PLUG, UNPLUG or UNPLUG_ALL request and account it
 * @vm: device
 * @type: VIRTIO_MEM_REQ_PLUG, _UNPLUG or _UNPLUG_ALL
 * @addr: start of the range (device block aligned)
 * @size: bytes (multiple of the device block size)
 *
 * A range of more than 65535 device blocks goes out as several requests;
 * when a later one of a plug fails, the part already plugged is unplugged
 * again, so the caller sees all or nothing (if that fails too, the next
 * plug of the range finds it plugged through STATE).  Updates the
 * plugged size the driver counts on success.
 *
 * Return: 0, or the errno of vmem_resp_errno() or of the transport.
 */
int vmem_send(struct vmem *vm, u16 type, u64 addr, u64 size)
{
	u64 done = 0, undone;
	int rc;

	if (type == VIRTIO_MEM_REQ_UNPLUG_ALL)
		rc = vmem_request(vm, type, 0, 0, NULL);
	else
		rc = vmem_send_range(vm, type, addr, size, &done);
	if (!rc) {
		vmem_account(vm, type, size);
		return 0;
	}
	if (type == VIRTIO_MEM_REQ_PLUG && done &&
	    vmem_send_range(vm, VIRTIO_MEM_REQ_UNPLUG, addr, done, &undone))
		dev_warn(vmem_dev(vm),
			 "could not unplug 0x%llx+0x%llx after a failed split plug\n",
			 addr, done);
	return rc;
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
