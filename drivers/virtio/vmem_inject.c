// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mem fault injection at the virtqueue and on the config reads,
 * for the lab's hostile-host cases (tests/guest/vmem.sh).  Requests really
 * go to the device; what comes back is changed after the device answered,
 * exactly where a buggy or hostile device would differ:
 *
 *   debugfs virtio_mem_guestmem/virtioN/inject (write one command):
 *     resp <ack|nack|busy|error|N> <count>   the next <count> answers get
 *                                            that type
 *     len <bytes> <count>   the next <count> answers report that used
 *                           length, and bytes beyond it read as they were
 *                           before the request (the device wrote only
 *                           <bytes>)
 *     hold                  answers are kept from the driver: the device
 *                           "stops answering"
 *     release               hand a kept answer over (a late answer)
 *     break                 virtio_break_device(), as a surprise removal
 *     off                   all of the above off (a kept answer is handed
 *                           over)
 *   debugfs .../config: "<plugged_size|requested_size|usable_region_size>
 *     <value>" makes every config read return <value> for that field,
 *     "<field> off" or "off" ends it; each write acts as a config change
 *     notification.
 *
 * Always built: the stock kernels under test are the users' kernels.
 * debugfs is root only (files 0600); nothing changes while no command is
 * active (one spinlock round trip per answer).
 */
#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/virtio.h>

#include "vmem.h"

static const char * const vmem_inject_field_names[VMEM_INJECT_NR_FIELDS] = {
	[VMEM_INJECT_PLUGGED] = "plugged_size",
	[VMEM_INJECT_REQUESTED] = "requested_size",
	[VMEM_INJECT_USABLE] = "usable_region_size",
};

/**
 * vmem_inject_init() - no injection
 * @vm: device
 */
void vmem_inject_init(struct vmem *vm)
{
	spin_lock_init(&vm->inject.lock);
}

/**
 * vmem_inject_sending() - remember the response buffer before a request
 * @vm: device (@req_mutex held)
 */
void vmem_inject_sending(struct vmem *vm)
{
	struct vmem_inject *in = &vm->inject;
	unsigned long flags;

	spin_lock_irqsave(&in->lock, flags);
	memcpy(in->before, &vm->resp, sizeof(in->before));
	spin_unlock_irqrestore(&in->lock, flags);
}

/* Change an answer the driver is about to see (lock held). */
static void vmem_inject_rewrite(struct vmem *vm, unsigned int *len)
{
	struct vmem_inject *in = &vm->inject;
	u8 *resp = (u8 *)&vm->resp;

	if (in->len_count) {
		in->len_count--;
		if (in->len < sizeof(vm->resp))
			memcpy(resp + in->len, in->before + in->len,
			       sizeof(vm->resp) - in->len);
		*len = in->len;
	}
	if (in->resp_count) {
		in->resp_count--;
		vm->resp.type = (__force __virtio16)cpu_to_le16(in->resp);
	}
}

/**
 * vmem_inject_answer() - filter the device's answer
 * @vm: device
 * @answered: virtqueue_get_buf() just returned the request
 * @len: its used length (in/out)
 *
 * Called from the wait condition of a request (task state set: no
 * sleeping).
 *
 * Return: true if the driver sees an answer now.
 */
bool vmem_inject_answer(struct vmem *vm, bool answered, unsigned int *len)
{
	struct vmem_inject *in = &vm->inject;
	unsigned long flags;

	spin_lock_irqsave(&in->lock, flags);
	if (answered && in->hold) {
		in->held = true;
		in->held_len = *len;
		answered = false;
	} else if (!answered && in->held && !in->hold) {
		in->held = false;
		*len = in->held_len;
		answered = true;
	}
	if (answered)
		vmem_inject_rewrite(vm, len);
	spin_unlock_irqrestore(&in->lock, flags);
	return answered;
}

/**
 * vmem_inject_config() - fake config fields on a read
 * @vm: device
 * @cfg: config as read from the device, changed in place
 */
void vmem_inject_config(struct vmem *vm, struct vmem_cfg *cfg)
{
	struct vmem_inject *in = &vm->inject;
	u64 *field[VMEM_INJECT_NR_FIELDS] = {
		[VMEM_INJECT_PLUGGED] = &cfg->plugged_size,
		[VMEM_INJECT_REQUESTED] = &cfg->requested_size,
		[VMEM_INJECT_USABLE] = &cfg->usable_region_size,
	};
	unsigned long flags;
	int f;

	spin_lock_irqsave(&in->lock, flags);
	for (f = 0; f < VMEM_INJECT_NR_FIELDS; f++)
		if (in->fake[f])
			*field[f] = in->fake_val[f];
	spin_unlock_irqrestore(&in->lock, flags);
}

/* A kept answer may be taken now; an abandoned request may resume. */
static void vmem_inject_kick(struct vmem *vm)
{
	wake_up(&vm->host_resp);
	if (READ_ONCE(vm->req_stuck) && !vm->in_kdump)
		vmem_retry(vm);
}

static int vmem_inject_parse_resp(const char *arg, u16 *resp)
{
	if (!strcmp(arg, "ack"))
		*resp = VIRTIO_MEM_RESP_ACK;
	else if (!strcmp(arg, "nack"))
		*resp = VIRTIO_MEM_RESP_NACK;
	else if (!strcmp(arg, "busy"))
		*resp = VIRTIO_MEM_RESP_BUSY;
	else if (!strcmp(arg, "error"))
		*resp = VIRTIO_MEM_RESP_ERROR;
	else
		return kstrtou16(arg, 0, resp);
	return 0;
}

/* One command of the inject file; returns 0 or -EINVAL. */
static int vmem_inject_command(struct vmem *vm, const char *cmd,
			       const char *arg, unsigned int count, int nargs)
{
	struct vmem_inject *in = &vm->inject;
	unsigned long flags;
	u16 resp;
	u32 len;

	if (nargs == 1 && !strcmp(cmd, "break")) {
		dev_warn(vmem_dev(vm), "fault injection: breaking the device\n");
		virtio_break_device(vm->vdev);
		wake_up(&vm->host_resp);
		return 0;
	}
	if (nargs == 3 && !strcmp(cmd, "resp")) {
		if (vmem_inject_parse_resp(arg, &resp))
			return -EINVAL;
	} else if (nargs == 3 && !strcmp(cmd, "len")) {
		if (kstrtou32(arg, 0, &len))
			return -EINVAL;
	} else if (nargs != 1 || (strcmp(cmd, "hold") &&
				  strcmp(cmd, "release") &&
				  strcmp(cmd, "off"))) {
		return -EINVAL;
	}

	spin_lock_irqsave(&in->lock, flags);
	if (!strcmp(cmd, "resp")) {
		in->resp = resp;
		in->resp_count = count;
	} else if (!strcmp(cmd, "len")) {
		in->len = len;
		in->len_count = count;
	} else if (!strcmp(cmd, "hold")) {
		in->hold = true;
	} else if (!strcmp(cmd, "release")) {
		in->hold = false;
	} else {
		in->hold = false;
		in->resp_count = 0;
		in->len_count = 0;
	}
	spin_unlock_irqrestore(&in->lock, flags);
	vmem_inject_kick(vm);
	return 0;
}

/* Copy a command from user space; the device is the seq_file's. */
static struct vmem *vmem_inject_get(struct file *file, char *buf, size_t size,
				    const char __user *ubuf, size_t len,
				    int *rc)
{
	*rc = -EINVAL;
	if (len >= size)
		return NULL;
	*rc = -EFAULT;
	if (copy_from_user(buf, ubuf, len))
		return NULL;
	buf[len] = '\0';
	*rc = 0;
	return ((struct seq_file *)file->private_data)->private;
}

static ssize_t vmem_inject_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	char buf[64], cmd[16], arg[24];
	unsigned int count = 0;
	struct vmem *vm;
	int nargs, rc;

	vm = vmem_inject_get(file, buf, sizeof(buf), ubuf, len, &rc);
	if (!vm)
		return rc;
	nargs = sscanf(buf, "%15s %23s %u", cmd, arg, &count);
	if (nargs < 1)
		return -EINVAL;
	rc = vmem_inject_command(vm, cmd, arg, count, nargs);
	return rc ? rc : len;
}

static int vmem_inject_show(struct seq_file *m, void *unused)
{
	struct vmem *vm = m->private;
	struct vmem_inject *in = &vm->inject;
	unsigned long flags;
	unsigned int resp_count, len, len_count;
	bool hold, held;
	u16 resp;

	spin_lock_irqsave(&in->lock, flags);
	resp = in->resp;
	resp_count = in->resp_count;
	len = in->len;
	len_count = in->len_count;
	hold = in->hold;
	held = in->held;
	spin_unlock_irqrestore(&in->lock, flags);
	seq_printf(m, "resp %s %u\nlen %u %u\nhold %d\nheld %d\n",
		   vmem_resp_name(resp), resp_count, len, len_count, hold,
		   held);
	return 0;
}

static int vmem_inject_open(struct inode *inode, struct file *file)
{
	return single_open(file, vmem_inject_show, inode->i_private);
}

static const struct file_operations vmem_inject_fops = {
	.owner = THIS_MODULE,
	.open = vmem_inject_open,
	.read = seq_read,
	.write = vmem_inject_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static int vmem_inject_field(const char *name)
{
	int f;

	for (f = 0; f < VMEM_INJECT_NR_FIELDS; f++)
		if (!strcmp(name, vmem_inject_field_names[f]))
			return f;
	return -EINVAL;
}

static ssize_t vmem_config_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	struct vmem_inject *in;
	char buf[64], name[24], arg[24];
	unsigned long flags;
	struct vmem *vm;
	int nargs, f, rc;
	u64 val = 0;

	vm = vmem_inject_get(file, buf, sizeof(buf), ubuf, len, &rc);
	if (!vm)
		return rc;
	in = &vm->inject;
	nargs = sscanf(buf, "%23s %23s", name, arg);
	if (nargs == 1 && !strcmp(name, "off")) {
		f = VMEM_INJECT_NR_FIELDS;
	} else if (nargs == 2) {
		f = vmem_inject_field(name);
		if (f < 0 || (strcmp(arg, "off") && kstrtou64(arg, 0, &val)))
			return -EINVAL;
	} else {
		return -EINVAL;
	}

	spin_lock_irqsave(&in->lock, flags);
	if (f == VMEM_INJECT_NR_FIELDS) {
		memset(in->fake, 0, sizeof(in->fake));
	} else {
		in->fake[f] = strcmp(arg, "off") != 0;
		in->fake_val[f] = val;
	}
	spin_unlock_irqrestore(&in->lock, flags);
	/* as the device's config change notification */
	if (!vm->in_kdump) {
		atomic_set(&vm->config_changed, 1);
		vmem_retry(vm);
	}
	return len;
}

static int vmem_config_show(struct seq_file *m, void *unused)
{
	struct vmem *vm = m->private;
	struct vmem_inject *in = &vm->inject;
	bool fake[VMEM_INJECT_NR_FIELDS];
	u64 val[VMEM_INJECT_NR_FIELDS];
	unsigned long flags;
	int f;

	spin_lock_irqsave(&in->lock, flags);
	memcpy(fake, in->fake, sizeof(fake));
	memcpy(val, in->fake_val, sizeof(val));
	spin_unlock_irqrestore(&in->lock, flags);
	for (f = 0; f < VMEM_INJECT_NR_FIELDS; f++) {
		if (fake[f])
			seq_printf(m, "%s 0x%llx\n", vmem_inject_field_names[f],
				   val[f]);
		else
			seq_printf(m, "%s off\n", vmem_inject_field_names[f]);
	}
	return 0;
}

static int vmem_config_open(struct inode *inode, struct file *file)
{
	return single_open(file, vmem_config_show, inode->i_private);
}

static const struct file_operations vmem_config_fops = {
	.owner = THIS_MODULE,
	.open = vmem_config_open,
	.read = seq_read,
	.write = vmem_config_write,
	.llseek = seq_lseek,
	.release = single_release,
};

/**
 * vmem_inject_debugfs_init() - the inject and config files
 * @vm: device
 * @dir: its debugfs directory
 */
void vmem_inject_debugfs_init(struct vmem *vm, struct dentry *dir)
{
	debugfs_create_file("inject", 0600, dir, vm, &vmem_inject_fops);
	debugfs_create_file("config", 0600, dir, vm, &vmem_config_fops);
}
