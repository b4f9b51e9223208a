// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mem fault injection for the lab: debugfs
 * virtio_mem_guestmem/virtioN/inject takes "<ack|nack|busy|error> <count>":
 * the next <count> requests are not sent and get that answer instead, as
 * if the device had refused them (Firecracker's ERROR, BUSY during
 * migration).  Reading it shows what is left to inject.
 */
#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "vmem.h"

static struct dentry *vmem_debugfs_root;

static ssize_t vmem_inject_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	struct vmem *vm = file->private_data;
	char buf[32], name[8];
	unsigned int count;
	int resp;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (sscanf(buf, "%7s %u", name, &count) != 2)
		return -EINVAL;
	for (resp = VIRTIO_MEM_RESP_ACK; resp <= VIRTIO_MEM_RESP_ERROR; resp++)
		if (!strcmp(name, vmem_resp_name(resp)))
			break;
	if (resp > VIRTIO_MEM_RESP_ERROR)
		return -EINVAL;
	mutex_lock(&vm->req_mutex);
	vm->inject_resp = resp;
	vm->inject_count = count;
	mutex_unlock(&vm->req_mutex);
	return len;
}

static ssize_t vmem_inject_read(struct file *file, char __user *ubuf,
				size_t len, loff_t *ppos)
{
	struct vmem *vm = file->private_data;
	char buf[32];
	int n;

	mutex_lock(&vm->req_mutex);
	n = scnprintf(buf, sizeof(buf), "%s %u\n",
		      vmem_resp_name(vm->inject_resp), vm->inject_count);
	mutex_unlock(&vm->req_mutex);
	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

static const struct file_operations vmem_inject_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = vmem_inject_read,
	.write = vmem_inject_write,
	.llseek = default_llseek,
};

/**
 * vmem_take_injected() - consume one injected answer (req_mutex held)
 * @vm: device
 * @resp: the answer to use instead of sending the request
 *
 * Return: true if the request must not be sent.
 */
bool vmem_take_injected(struct vmem *vm, u16 *resp)
{
	if (!vm->inject_count)
		return false;
	vm->inject_count--;
	*resp = vm->inject_resp;
	return true;
}

/**
 * vmem_debugfs_init() - per-device debugfs directory
 * @vm: device
 */
void vmem_debugfs_init(struct vmem *vm)
{
	if (!vmem_debugfs_root)
		return;
	vm->debugfs = debugfs_create_dir(dev_name(vmem_dev(vm)),
					 vmem_debugfs_root);
	debugfs_create_file("inject", 0600, vm->debugfs, vm, &vmem_inject_fops);
}

/**
 * vmem_debugfs_exit() - remove the per-device directory
 * @vm: device
 */
void vmem_debugfs_exit(struct vmem *vm)
{
	debugfs_remove_recursive(vm->debugfs);
	vm->debugfs = NULL;
}

/**
 * vmem_debugfs_module_init() - create the driver's debugfs root
 */
void vmem_debugfs_module_init(void)
{
	vmem_debugfs_root = debugfs_create_dir("virtio_mem_guestmem", NULL);
	if (IS_ERR(vmem_debugfs_root))
		vmem_debugfs_root = NULL;
}

/**
 * vmem_debugfs_module_exit() - remove the driver's debugfs root
 */
void vmem_debugfs_module_exit(void)
{
	debugfs_remove_recursive(vmem_debugfs_root);
}
