// SPDX-License-Identifier: GPL-2.0
/*
 * p2pmem_pci: mmap() buffers and the lifetime of their pages.
 *
 * Each mmap() allocates one contiguous buffer from the provider's P2PDMA
 * pool (pci_alloc_p2pmem(), which holds a pgmap reference).  Its pages
 * are inserted by the fault handler, page by page, with vm_insert_page():
 * ordinary struct-page PTEs that get_user_pages() can pin, so O_DIRECT
 * to an NVMe namespace works.  ->mmap itself maps nothing.
 *
 * Why from ->fault: teardown vs. mmap().  p2pmem_dev_destroy() sets
 * p->dead under p->lock, then zaps every user mapping with
 * unmap_mapping_range(), which finds VMAs through the file's i_mmap tree.
 * The core links a new VMA into i_mmap only after ->mmap returns, so a
 * PTE made inside ->mmap can escape that zap (it did: issue 14, hole 1;
 * the buffer then stayed busy, and memunmap_pages() blocked the unbind
 * until the process unmapped).  Now every PTE is made by
 * p2pmem_vm_fault(), which holds p->lock and checks p->dead (and the
 * buffer's @retired) first.  A fault needs mmap_lock or the VMA's own
 * lock, and on every kernel of the matrix (6.1: mmap_region(), 6.12/7.x:
 * __mmap_region() with vma_start_write() on the new VMA) the new VMA is
 * linked into i_mmap before either becomes available to a fault; so a
 * fault runs only on a VMA that unmap_mapping_range() can see.  Either
 * the fault took p->lock before destroy set @dead: its PTE exists when
 * destroy, which takes p->lock after it, zaps, and is zapped; or it
 * takes p->lock afterwards, sees @dead and returns SIGBUS.  A VMA still
 * inside ->mmap during the teardown has no PTE at all and faults SIGBUS
 * later; its buffer is retired by p2pmem_retire_all() like every other.
 *
 * Page lifetime.  The driver keeps one reference on every page of a
 * buffer for as long as the buffer exists, so a page's count never drops
 * to zero and the P2PDMA core's free callback never runs:
 *   6.1         no page_free op at all (count 0 would WARN and leak),
 *   6.2-6.12    page_free would return the page behind our back,
 *   newest      folio_free, and free pages sit at count 0.
 * Up to 6.12 the count of a free pool page (1) is that reference; where
 * free pages are at 0 the driver sets 1 itself and 0 again before giving
 * the buffer back (GUESTMEM_P2PDMA_FREE_REFCOUNT).  A buffer is handed
 * back with pci_free_p2pmem() once its last VMA is gone (or the provider
 * is going away and the mappings were zapped) *and* every page is back at
 * our single reference, i.e. no O_DIRECT request still pins it; until
 * then a work item polls.  Only then is the pgmap reference dropped, so
 * the provider's memunmap_pages() waits for in-flight I/O, never for
 * user mappings, and never forever.
 *
 * Upstream fixes of the kernel's own p2pmem/allocate mmap (after 6.2),
 * and why this design does not need them:
 * - "percpu_ref leak when vm_insert_page() fails": upstream takes one
 *   pgmap reference per inserted page and leaked the rest on a failed
 *   insertion, so memunmap_pages() hung device removal.  Here the pgmap
 *   reference is the allocation's one (pci_alloc_p2pmem() /
 *   pci_free_p2pmem()), never per page, and the buffer is retired on
 *   every path (VMA close, teardown); a failed vm_insert_page() in the
 *   fault handler just returns its error, nothing was taken.
 * - "reset page refcount on vm_insert_page failure": upstream sets a
 *   free page's count to 1 just before inserting it and left it at 1 on
 *   failure.  Here the counts are set once per buffer (1 at allocation, 0
 *   again just before pci_free_p2pmem() where free pages are at 0) and a
 *   failed insertion does not touch them.
 * - "avoid returning a provider for non-mappable BARs": see
 *   guestmem_pci_bars_mappable(); such providers are neither bound nor
 *   exported (their BARs must not reach user space).
 */
#include <linux/atomic.h>
#include <linux/mm.h>
#include <linux/pci-p2pdma.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <guestmem/compat.h>
#include <guestmem/p2pmem_compat.h>
#include "p2pmem.h"
#include "p2pmem_logic.h"
#include "p2pmem_trace.h"

#define P2PMEM_PIN_POLL_MS	20
#define P2PMEM_PIN_WARN_POLLS	500	/* 10 s */

/* buffers not yet back in their pool (module exit waits for zero) */
static atomic_t p2pmem_nr_allocs = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(p2pmem_allocs_wq);

static struct page *p2pmem_alloc_page(struct p2pmem_alloc *a, size_t i)
{
	return virt_to_page(a->kaddr + i * PAGE_SIZE);
}

static void p2pmem_alloc_release(struct kref *kref)
{
	struct p2pmem_alloc *a = container_of(kref, struct p2pmem_alloc, kref);

	put_device(&a->p->dev);
	kfree(a);
	if (atomic_dec_and_test(&p2pmem_nr_allocs))
		wake_up_all(&p2pmem_allocs_wq);
}

/* Number of pages somebody besides us still references. */
static size_t p2pmem_alloc_busy_pages(struct p2pmem_alloc *a)
{
	size_t i, busy = 0;

	for (i = 0; i < a->len >> PAGE_SHIFT; i++)
		if (page_ref_count(p2pmem_alloc_page(a, i)) != 1)
			busy++;
	return busy;
}

static void p2pmem_alloc_give_back(struct p2pmem_alloc *a)
{
	size_t i;

	if (!GUESTMEM_P2PDMA_FREE_REFCOUNT)
		for (i = 0; i < a->len >> PAGE_SHIFT; i++)
			set_page_count(p2pmem_alloc_page(a, i), 0);
	pci_free_p2pmem(a->p->pdev, a->kaddr, a->len);
	trace_p2pmem_buffer_free(a->p->pdev, a->p->id, a->len, a->waited);
}

static void p2pmem_alloc_work(struct work_struct *work)
{
	struct p2pmem_alloc *a = container_of(to_delayed_work(work),
					      struct p2pmem_alloc, work);
	size_t busy = p2pmem_alloc_busy_pages(a);

	if (busy) {
		if (++a->waited == P2PMEM_PIN_WARN_POLLS)
			dev_warn(&a->p->dev, "buffer of %zu bytes: %zu pages still pinned after %d s, waiting\n",
				 a->len, busy, P2PMEM_PIN_POLL_MS * P2PMEM_PIN_WARN_POLLS / 1000);
		queue_delayed_work(p2pmem_wq, &a->work, msecs_to_jiffies(P2PMEM_PIN_POLL_MS));
		return;
	}
	p2pmem_alloc_give_back(a);
	kref_put(&a->kref, p2pmem_alloc_release);
}

/* Take @a off its device's list and start handing it back; p->lock held. */
static void p2pmem_alloc_retire_locked(struct p2pmem_alloc *a)
{
	lockdep_assert_held(&a->p->lock);
	if (a->retired)
		return;
	a->retired = true;
	list_del(&a->node);
	a->p->allocated -= a->len;
	queue_delayed_work(p2pmem_wq, &a->work, 0);
}

/**
 * p2pmem_retire_all() - hand every buffer of a dying device back
 * @p: the device, already marked dead with its mappings zapped
 */
void p2pmem_retire_all(struct p2pmem_dev *p)
{
	struct p2pmem_alloc *a, *tmp;

	mutex_lock(&p->lock);
	list_for_each_entry_safe(a, tmp, &p->allocs, node)
		p2pmem_alloc_retire_locked(a);
	mutex_unlock(&p->lock);
}

/**
 * p2pmem_wait_allocs() - wait until every buffer is back in its pool
 *
 * Context: module exit, after every device was destroyed.
 */
void p2pmem_wait_allocs(void)
{
	wait_event(p2pmem_allocs_wq, !atomic_read(&p2pmem_nr_allocs));
}

static void p2pmem_vm_open(struct vm_area_struct *vma)
{
	struct p2pmem_alloc *a = vma->vm_private_data;

	atomic_inc(&a->vmas);
	kref_get(&a->kref);
}

static void p2pmem_vm_close(struct vm_area_struct *vma)
{
	struct p2pmem_alloc *a = vma->vm_private_data;

	if (atomic_dec_and_test(&a->vmas)) {
		mutex_lock(&a->p->lock);
		p2pmem_alloc_retire_locked(a);
		mutex_unlock(&a->p->lock);
	}
	kref_put(&a->kref, p2pmem_alloc_release);
}

/*
 * Insert the page at vmf->pgoff of the VMA's buffer (a split or moved VMA
 * keeps its pgoff, so the index is right whatever happened to vm_start).
 * See the comment at the top for why this is the only place PTEs are made.
 */
static vm_fault_t p2pmem_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct p2pmem_alloc *a = vma->vm_private_data;
	struct p2pmem_dev *p = a->p;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	mutex_lock(&p->lock);
	if (!p->dead && !a->retired && vmf->pgoff < a->len >> PAGE_SHIFT)
		ret = vmf_insert_page(vma, vmf->address,
				      p2pmem_alloc_page(a, vmf->pgoff));
	mutex_unlock(&p->lock);
	return ret;
}

static const struct vm_operations_struct p2pmem_vm_ops = {
	.open = p2pmem_vm_open,
	.close = p2pmem_vm_close,
	.fault = p2pmem_vm_fault,
};

/* A new buffer of @len bytes, on @p's list; p->lock held. */
static struct p2pmem_alloc *p2pmem_alloc_create(struct p2pmem_dev *p, size_t len)
{
	struct p2pmem_alloc *a;
	size_t i;

	a = kzalloc_obj(*a, GFP_KERNEL);
	if (!a)
		return NULL;
	a->kaddr = pci_alloc_p2pmem(p->pdev, len);
	if (!a->kaddr) {
		kfree(a);
		return NULL;
	}
	for (i = 0; i < len >> PAGE_SHIFT; i++) {
		struct page *page = virt_to_page(a->kaddr + i * PAGE_SIZE);

		/* refuse to run on a kernel whose convention we mistook */
		if (WARN_ON_ONCE(page_ref_count(page) != GUESTMEM_P2PDMA_FREE_REFCOUNT)) {
			pci_free_p2pmem(p->pdev, a->kaddr, len);
			kfree(a);
			return NULL;
		}
	}
	if (!GUESTMEM_P2PDMA_FREE_REFCOUNT)
		for (i = 0; i < len >> PAGE_SHIFT; i++)
			set_page_count(virt_to_page(a->kaddr + i * PAGE_SIZE), 1);
	kref_init(&a->kref);
	atomic_set(&a->vmas, 1);
	kref_get(&a->kref);	/* the VMA's */
	a->p = p;
	get_device(&p->dev);
	a->len = len;
	INIT_DELAYED_WORK(&a->work, p2pmem_alloc_work);
	list_add_tail(&a->node, &p->allocs);
	p->allocated += len;
	atomic_inc(&p2pmem_nr_allocs);
	return a;
}

/**
 * p2pmem_mmap() - map a new buffer of the provider's P2P memory
 * @filp: an open /dev/p2pmemN
 * @vma: the new mapping: MAP_SHARED, offset 0, any multiple of PAGE_SIZE
 *	up to the provider's size
 *
 * The buffer is allocated here, its pages are mapped by the fault handler.
 * VM_MIXEDMAP is set now, under mmap_lock held for writing, so that
 * vm_insert_page() never has to change vm_flags from a fault.
 *
 * Return: 0 or a negative errno (-EINVAL bad request, -ENOMEM pool
 * exhausted, -ENODEV provider gone).
 */
int p2pmem_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct p2pmem_dev *p = filp->private_data;
	size_t len = vma->vm_end - vma->vm_start;
	struct p2pmem_alloc *a;
	int err;

	err = p2pmem_mmap_check(vma->vm_flags & VM_MAYSHARE, vma->vm_pgoff, len,
				p->size, PAGE_SIZE);
	if (err) {
		dev_info_ratelimited(&p->dev, "%s: refused %s mapping of %zu bytes at page offset %lu: %d\n",
				     current->comm,
				     vma->vm_flags & VM_MAYSHARE ? "shared" : "private",
				     len, vma->vm_pgoff, err);
		return err;
	}
	mutex_lock(&p->lock);
	if (p->dead) {
		err = -ENODEV;
		goto unlock;
	}
	a = p2pmem_alloc_create(p, len);
	if (!a) {
		err = -ENOMEM;
		goto unlock;
	}
	guestmem_vm_flags_set(vma, VM_MIXEDMAP | VM_DONTCOPY | VM_DONTEXPAND |
			      VM_DONTDUMP);
	vma->vm_ops = &p2pmem_vm_ops;
	vma->vm_private_data = a;
	mutex_unlock(&p->lock);
	/* from here on the VMA's share of @a is dropped by ->close() */
	p2pmem_debugfs_mmap_hold(p);
	return 0;

unlock:
	mutex_unlock(&p->lock);
	return err;
}
