// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection for the virtio-pmem flush transport, for tests of what
 * happens when the host stops answering:
 *
 *   /sys/kernel/debug/nd_virtio/virtioN/hold_completions
 *
 * While 1, answers from the device stay in the used ring unprocessed, as
 * if the host had not answered (the watchdog warns and times out as it
 * would).  Writing 0 processes them: the host "answers late".
 *
 *   /sys/kernel/debug/nd_virtio/virtioN/ack_early
 *
 * A deliberately broken driver, for the power-cut durability oracle
 * (tests/durability-scenarios.sh): while 1, every flush generation is
 * completed with success at once and no request reaches the device, so
 * callers are told their data is durable when the host never flushed it.
 * The oracle must report lost records with it set.
 */
#include <linux/debugfs.h>
#include <linux/virtio.h>
#include "virtio_pmem.h"

static struct dentry *vpmem_debugfs_root;

static int vpmem_hold_get(void *data, u64 *val)
{
	struct vpmem_flusher *f = data;

	*val = READ_ONCE(f->hold);
	return 0;
}

static int vpmem_hold_set(void *data, u64 val)
{
	struct vpmem_flusher *f = data;
	unsigned long flags;

	spin_lock_irqsave(&f->lock, flags);
	f->hold = !!val;
	spin_unlock_irqrestore(&f->lock, flags);
	if (!val)
		vpmem_flusher_vq_done(f);	/* what arrived meanwhile */
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(vpmem_hold_fops, vpmem_hold_get, vpmem_hold_set,
			 "%llu\n");

static int vpmem_ack_early_get(void *data, u64 *val)
{
	struct vpmem_flusher *f = data;

	*val = READ_ONCE(f->ack_early);
	return 0;
}

static int vpmem_ack_early_set(void *data, u64 val)
{
	struct vpmem_flusher *f = data;
	unsigned long flags;

	spin_lock_irqsave(&f->lock, flags);
	if (val && !f->ack_early)
		dev_warn(&f->vdev->dev,
			 "ack_early set: flushes succeed without reaching the host, data is NOT durable\n");
	f->ack_early = !!val;
	spin_unlock_irqrestore(&f->lock, flags);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(vpmem_ack_early_fops, vpmem_ack_early_get,
			 vpmem_ack_early_set, "%llu\n");

/**
 * vpmem_debugfs_add() - create the fault injection files of a device
 * @f: its flusher
 *
 * Failures are ignored: debugfs is optional.
 */
void vpmem_debugfs_add(struct vpmem_flusher *f)
{
	f->debugfs = NULL;
	if (IS_ERR_OR_NULL(vpmem_debugfs_root))
		return;
	f->debugfs = debugfs_create_dir(dev_name(&f->vdev->dev),
					vpmem_debugfs_root);
	debugfs_create_file_unsafe("hold_completions", 0600, f->debugfs, f,
				   &vpmem_hold_fops);
	debugfs_create_file_unsafe("ack_early", 0600, f->debugfs, f,
				   &vpmem_ack_early_fops);
}

/**
 * vpmem_debugfs_remove() - remove the files of a device
 * @f: its flusher
 */
void vpmem_debugfs_remove(struct vpmem_flusher *f)
{
	debugfs_remove_recursive(f->debugfs);
	f->debugfs = NULL;
}

/**
 * vpmem_debugfs_init() - create /sys/kernel/debug/nd_virtio
 *
 * Return: 0 (debugfs is optional).
 */
int vpmem_debugfs_init(void)
{
	vpmem_debugfs_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
	return 0;
}

/**
 * vpmem_debugfs_exit() - remove /sys/kernel/debug/nd_virtio
 */
void vpmem_debugfs_exit(void)
{
	debugfs_remove_recursive(vpmem_debugfs_root);
}
