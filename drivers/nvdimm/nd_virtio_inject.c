// SPDX-License-Identifier: GPL-2.0
/*
 * Queue-level fault injection for the virtio-pmem flush transport.
 *
 * Every buffer the transport takes off the used ring goes through
 * vpmem_vq_get_buf() and every device status read through
 * vpmem_inject_status(): this is the one place between the transport and
 * the device where an answer can be rewritten, invented or dropped, so a
 * test can play a buggy or hostile host without patching the VMM.
 * Armed from debugfs (nd_virtio_debugfs.c); when nothing is armed the
 * cost is one branch per used buffer.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include "virtio_pmem.h"

/* Stands for a buffer the driver never queued. */
static u8 vpmem_bogus_token;

static const char * const vpmem_fault_names[] = {
	[VPMEM_FAULT_NONE] = "none",
	[VPMEM_FAULT_LEN] = "len",
	[VPMEM_FAULT_RET] = "ret",
	[VPMEM_FAULT_TOKEN] = "token",
	[VPMEM_FAULT_DUP] = "dup",
	[VPMEM_FAULT_DROP] = "drop",
};

/**
 * vpmem_fault_name() - name of a fault, as written to debugfs "inject"
 * @fault: the fault
 *
 * Return: a static string.
 */
const char *vpmem_fault_name(enum vpmem_fault fault)
{
	if (fault >= ARRAY_SIZE(vpmem_fault_names))
		return "?";
	return vpmem_fault_names[fault];
}

/* Apply the armed fault to a buffer just read from the used ring. */
static void *vpmem_inject_apply(struct vpmem_flusher *f, void *token,
				unsigned int *len)
{
	struct vpmem_inject *in = &f->inject;
	enum vpmem_fault fault = in->fault;

	in->fault = VPMEM_FAULT_NONE;
	in->hits++;
	dev_info(&f->vdev->dev, "fault injection: %s %#x (used length %u)\n",
		 vpmem_fault_name(fault), in->value, *len);
	switch (fault) {
	case VPMEM_FAULT_NONE:
		break;
	case VPMEM_FAULT_LEN:
		*len = in->value;
		break;
	case VPMEM_FAULT_RET:
		if (token == f->wire)
			f->wire->resp.ret = cpu_to_le32(in->value);
		break;
	case VPMEM_FAULT_TOKEN:
		in->pending = token;
		in->pending_len = *len;
		token = &vpmem_bogus_token;
		break;
	case VPMEM_FAULT_DUP:
		in->pending = token;
		in->pending_len = *len;
		break;
	case VPMEM_FAULT_DROP:
		token = virtqueue_get_buf(f->vq, len);
		break;
	}
	return token;
}

/**
 * vpmem_vq_get_buf() - take the next answered buffer off the used ring
 * @f: flusher, lock held, @f->vq set
 * @len: set to the used length the device reported
 *
 * virtqueue_get_buf() with the armed fault, if any, applied.
 *
 * Return: the buffer's token, NULL when the ring is empty.
 */
void *vpmem_vq_get_buf(struct vpmem_flusher *f, unsigned int *len)
{
	struct vpmem_inject *in = &f->inject;
	void *token;

	lockdep_assert_held(&f->lock);
	if (in->pending) {
		token = in->pending;
		*len = in->pending_len;
		in->pending = NULL;
		return token;
	}
	token = virtqueue_get_buf(f->vq, len);
	if (token && in->fault != VPMEM_FAULT_NONE)
		token = vpmem_inject_apply(f, token, len);
	return token;
}

/**
 * vpmem_inject_status() - the device status as the transport sees it
 * @f: the flusher
 * @status: what get_status() returned
 *
 * Return: @status, with VIRTIO_CONFIG_S_NEEDS_RESET if injected.
 */
u8 vpmem_inject_status(struct vpmem_flusher *f, u8 status)
{
	if (READ_ONCE(f->inject.needs_reset))
		status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	return status;
}

/**
 * vpmem_inject_forget() - drop buffers held back, the queue is going
 * @f: flusher, lock held
 */
void vpmem_inject_forget(struct vpmem_flusher *f)
{
	lockdep_assert_held(&f->lock);
	f->inject.pending = NULL;
	f->inject.fault = VPMEM_FAULT_NONE;
}

/**
 * vpmem_inject_parse() - arm a fault from a debugfs command
 * @f: the flusher
 * @cmd: "len N", "ret V", "token", "dup", "drop", "needs_reset 0|1"
 *	or "clear"; numbers in C notation (0x... for hex)
 *
 * The buffer faults apply to the next buffer the device returns.
 *
 * Return: 0 or -EINVAL.
 */
int vpmem_inject_parse(struct vpmem_flusher *f, const char *cmd)
{
	enum vpmem_fault fault = VPMEM_FAULT_NONE;
	char word[16], arg[16];
	unsigned long flags;
	unsigned int i;
	u32 value = 0;
	int n;

	n = sscanf(cmd, "%15s %15s", word, arg);
	if (n < 1)
		return -EINVAL;
	if (n == 2 && kstrtou32(arg, 0, &value))
		return -EINVAL;
	if (!strcmp(word, "needs_reset")) {
		if (n != 2 || value > 1)
			return -EINVAL;
		WRITE_ONCE(f->inject.needs_reset, value);
		return 0;
	}
	if (!strcmp(word, "clear")) {
		spin_lock_irqsave(&f->lock, flags);
		f->inject.fault = VPMEM_FAULT_NONE;
		WRITE_ONCE(f->inject.needs_reset, false);
		spin_unlock_irqrestore(&f->lock, flags);
		return 0;
	}
	for (i = VPMEM_FAULT_LEN; i < ARRAY_SIZE(vpmem_fault_names); i++)
		if (!strcmp(word, vpmem_fault_names[i]))
			fault = i;
	if (fault == VPMEM_FAULT_NONE)
		return -EINVAL;
	spin_lock_irqsave(&f->lock, flags);
	f->inject.fault = fault;
	f->inject.value = value;
	spin_unlock_irqrestore(&f->lock, flags);
	return 0;
}
