// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mem debugfs: virtio_mem_guestmem/virtioN/
 *   blocks             one "<state> <count>" line per block state
 *   worker_runs        runs of the worker since probe
 *   worker_cpu_ns      CPU time those runs used (a spinning worker shows
 *                      here and in worker_runs), added when a run ends
 *   worker_active      1 while a run is in progress (its CPU time is not
 *                      in worker_cpu_ns yet)
 *   request_in_flight  1 while a request waits for the device
 *   request_stuck      1 while an abandoned request is unanswered
 *   inject, config     fault injection (vmem_inject.c)
 */
#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/seq_file.h>

#include "vmem.h"

static struct dentry *vmem_debugfs_root;

static int vmem_blocks_show(struct seq_file *m, void *unused)
{
	struct vmem *vm = m->private;
	unsigned int count[VMEM_SBM_NR_STATES] = { 0 };
	unsigned int nstates = vm->geo.sbm ? VMEM_SBM_NR_STATES :
					     VMEM_BBM_NR_STATES;
	unsigned long idx;
	u8 st;

	if (!vm->states)
		return 0;
	for (idx = 0; idx < vm->geo.nr_ids; idx++) {
		st = READ_ONCE(vm->states[idx]);
		if (st < nstates)
			count[st]++;
	}
	for (st = 0; st < nstates; st++)
		seq_printf(m, "%s %u\n", vm->geo.sbm ? vmem_sbm_state_name(st) :
						       vmem_bbm_state_name(st),
			   count[st]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vmem_blocks);

/**
 * vmem_debugfs_init() - per-device debugfs directory
 * @vm: device
 */
void vmem_debugfs_init(struct vmem *vm)
{
	struct dentry *dir;

	if (!vmem_debugfs_root)
		return;
	dir = debugfs_create_dir(dev_name(vmem_dev(vm)), vmem_debugfs_root);
	vm->debugfs = dir;
	debugfs_create_file("blocks", 0400, dir, vm, &vmem_blocks_fops);
	debugfs_create_u64("worker_runs", 0400, dir, &vm->stats.worker_runs);
	debugfs_create_u64("worker_cpu_ns", 0400, dir,
			   &vm->stats.worker_cpu_ns);
	debugfs_create_atomic_t("worker_active", 0400, dir, &vm->wq_active);
	debugfs_create_bool("request_in_flight", 0400, dir,
			    &vm->req_in_flight);
	debugfs_create_bool("request_stuck", 0400, dir, &vm->req_stuck);
	vmem_inject_debugfs_init(vm, dir);
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
