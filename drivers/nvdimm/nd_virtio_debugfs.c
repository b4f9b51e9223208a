// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs of the virtio-pmem flush transport, one directory per device:
 *
 *   /sys/kernel/debug/nd_virtio/virtioN/
 *	hold_completions   while 1, answers from the device stay in the
 *			   used ring unprocessed, as if the host had not
 *			   answered (the watchdog warns and times out as it
 *			   would); writing 0 processes them: the host
 *			   "answers late"
 *	inject		   queue-level fault for the next answer, see
 *			   vpmem_inject_parse(); reads back the armed fault,
 *			   the fake NEEDS_RESET bit and the hit count
 *	config_changed	   write 1: act as if the device had sent a
 *			   configuration change notification
 *	break		   write 1: virtio_break_device(), what a transport
 *			   does on surprise removal
 *	latency_histogram  "<upper bound in us> <count>" per line, log2
 *			   buckets from 16 us, last line "inf"
 *	ack_early	   broken on purpose, for the power-cut durability
 *			   oracle (tests/durability-scenarios.sh): while 1,
 *			   every flush generation completes with success at
 *			   once and no request reaches the device, so callers
 *			   are told their data is durable when the host never
 *			   flushed it; the oracle must report lost records
 *
 * Root only; nothing here is needed in production, but it is the same
 * module binary that runs in production, so what the tests break is
 * what ships.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
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
static int vpmem_config_changed_set(void *data, u64 val)
{
	if (val != 1)
		return -EINVAL;
	vpmem_flusher_config_changed(data);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(vpmem_config_changed_fops, NULL,
			 vpmem_config_changed_set, "%llu\n");

static int vpmem_break_set(void *data, u64 val)
{
	struct vpmem_flusher *f = data;

	if (val != 1)
		return -EINVAL;
	dev_warn(&f->vdev->dev, "fault injection: breaking the device\n");
	virtio_break_device(f->vdev);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(vpmem_break_fops, NULL, vpmem_break_set, "%llu\n");

static int vpmem_inject_show(struct seq_file *m, void *v)
{
	struct vpmem_flusher *f = m->private;
	unsigned long flags;
	struct vpmem_inject in;

	spin_lock_irqsave(&f->lock, flags);
	in = f->inject;
	spin_unlock_irqrestore(&f->lock, flags);
	seq_printf(m, "%s %#x needs_reset=%d hits=%llu\n",
		   vpmem_fault_name(in.fault), in.value, in.needs_reset,
		   in.hits);
	return 0;
}

static int vpmem_inject_open(struct inode *inode, struct file *file)
{
	return single_open(file, vpmem_inject_show, inode->i_private);
}

static ssize_t vpmem_inject_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	char cmd[48];
	int err;

	if (!count || count >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, count))
		return -EFAULT;
	cmd[count] = '\0';
	err = vpmem_inject_parse(m->private, cmd);
	return err ? err : count;
}

static const struct file_operations vpmem_inject_fops = {
	.owner = THIS_MODULE,
	.open = vpmem_inject_open,
	.read = seq_read,
	.write = vpmem_inject_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static int vpmem_hist_show(struct seq_file *m, void *v)
{
	struct vpmem_flusher *f = m->private;
	u64 hist[VPMEM_HIST_BUCKETS];
	unsigned long flags;
	unsigned int i;
	u64 lim;

	spin_lock_irqsave(&f->lock, flags);
	memcpy(hist, f->stats.hist, sizeof(hist));
	spin_unlock_irqrestore(&f->lock, flags);
	for (i = 0; i < VPMEM_HIST_BUCKETS; i++) {
		lim = vpmem_hist_bucket_limit_us(i);
		if (lim)
			seq_printf(m, "%llu %llu\n", lim, hist[i]);
		else
			seq_printf(m, "inf %llu\n", hist[i]);
	}
	return 0;
}

DEFINE_SHOW_ATTRIBUTE(vpmem_hist);

/**
 * vpmem_debugfs_add() - create the debugfs files of a device
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
	debugfs_create_file("inject", 0600, f->debugfs, f, &vpmem_inject_fops);
	debugfs_create_file_unsafe("config_changed", 0200, f->debugfs, f,
				   &vpmem_config_changed_fops);
	debugfs_create_file_unsafe("break", 0200, f->debugfs, f,
				   &vpmem_break_fops);
	debugfs_create_file("latency_histogram", 0400, f->debugfs, f,
			    &vpmem_hist_fops);
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
