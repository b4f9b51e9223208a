// SPDX-License-Identifier: GPL-2.0
/*
 * Flush generation bookkeeping for the virtio-pmem flush transport.
 *
 * The virtio spec promises that "all writes completed before a flush
 * request" are persistent when the request completes.  A caller may
 * therefore share a request only if that request was sent after the
 * caller's writes completed, i.e. after the caller arrived.  Callers
 * arriving while a request is in flight are batched into the next one.
 */
#include <linux/blkdev.h>
#include <kunit/visibility.h>
#include <linux/module.h>
#include "vpmem_logic.h"

/**
 * vpmem_co_init() - reset coalescing state to idle
 * @co: state to initialise
 */
void vpmem_co_init(struct vpmem_co *co)
{
	co->gen = 0;
	co->inflight = false;
	INIT_LIST_HEAD(&co->cur_waiters);
	INIT_LIST_HEAD(&co->next_waiters);
	bio_list_init(&co->cur_bios);
	bio_list_init(&co->next_bios);
	co->cur_callers = 0;
	co->next_callers = 0;
}
EXPORT_SYMBOL_IF_KUNIT(vpmem_co_init);

/* Start the next generation when idle; true if a request must be sent. */
static bool vpmem_co_start(struct vpmem_co *co)
{
	if (co->inflight)
		return false;
	co->gen++;
	co->inflight = true;
	return true;
}

/**
 * vpmem_co_join() - add a synchronous caller
 * @co: coalescing state (lock held)
 * @w: the caller's waiter, on its stack
 *
 * Return: true if the caller must send a request for @w->gen now (the
 * device was idle); false if @w rides on a later request that the
 * completion path will send.
 */
bool vpmem_co_join(struct vpmem_co *co, struct vpmem_waiter *w)
{
	w->err = 0;
	w->done = false;
	if (vpmem_co_start(co)) {
		w->gen = co->gen;
		list_add_tail(&w->node, &co->cur_waiters);
		co->cur_callers++;
		return true;
	}
	w->gen = co->gen + 1;
	list_add_tail(&w->node, &co->next_waiters);
	co->next_callers++;
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(vpmem_co_join);

/**
 * vpmem_co_join_bio() - add an asynchronous caller
 * @co: coalescing state (lock held)
 * @bio: bio to complete once a covering request has completed; its
 *	 bi_next link is used for queueing while the transport owns it
 *
 * Return: as for vpmem_co_join().
 */
bool vpmem_co_join_bio(struct vpmem_co *co, struct bio *bio)
{
	if (vpmem_co_start(co)) {
		bio_list_add(&co->cur_bios, bio);
		co->cur_callers++;
		return true;
	}
	bio_list_add(&co->next_bios, bio);
	co->next_callers++;
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(vpmem_co_join_bio);

/* Hand @err to every waiter on @list; the waiters may return at once. */
static void vpmem_co_wake_list(struct list_head *list, int err)
{
	struct vpmem_waiter *w, *tmp;

	list_for_each_entry_safe(w, tmp, list, node) {
		list_del(&w->node);
		w->err = err;
		/* After this store @w may vanish from its owner's stack. */
		smp_store_release(&w->done, true);
	}
}

/* Give @err to every bio of @list and move them to @done. */
static void vpmem_co_end_list(struct bio_list *list, int err,
			      struct bio_list *done)
{
	struct bio *bio;

	if (err)
		bio_list_for_each(bio, list)
			bio->bi_status = errno_to_blk_status(err);
	if (!bio_list_empty(list))
		bio_list_merge(done, list);
	bio_list_init(list);
}

/* Move the next batch into the current slot and start it. */
static bool vpmem_co_promote(struct vpmem_co *co)
{
	list_splice_init(&co->next_waiters, &co->cur_waiters);
	bio_list_merge(&co->cur_bios, &co->next_bios);
	bio_list_init(&co->next_bios);
	co->cur_callers = co->next_callers;
	co->next_callers = 0;
	if (!co->cur_callers)
		return false;
	return vpmem_co_start(co);
}

/**
 * vpmem_co_complete() - the request in flight finished
 * @co: coalescing state (lock held)
 * @err: its result, 0 or a negative errno, given to all of its callers
 * @done: bios of the finished generation are appended here, their
 *	  status set from @err; the caller ends them after dropping the
 *	  lock.  May be NULL if no bio ever joined.
 * @served: if not NULL, the number of callers the request served
 *
 * Waiters of the finished generation are released.  If callers joined
 * while it was in flight, the next generation starts.
 *
 * Return: true if a request for the (new) current generation must be
 * sent now.
 */
bool vpmem_co_complete(struct vpmem_co *co, int err, struct bio_list *done,
		       unsigned int *served)
{
	if (served)
		*served = co->inflight ? co->cur_callers : 0;
	if (!co->inflight)
		return false;
	co->inflight = false;
	vpmem_co_wake_list(&co->cur_waiters, err);
	vpmem_co_end_list(&co->cur_bios, err, done);
	co->cur_callers = 0;
	return vpmem_co_promote(co);
}
EXPORT_SYMBOL_IF_KUNIT(vpmem_co_complete);

/**
 * vpmem_co_fail_all() - fail every caller, in flight or queued
 * @co: coalescing state (lock held)
 * @err: negative errno for all callers
 * @done: all queued bios are appended here, their status set from @err
 *
 * Used when the device is gone or stuck.  The generation counter is
 * kept; the state becomes idle.
 */
void vpmem_co_fail_all(struct vpmem_co *co, int err, struct bio_list *done)
{
	vpmem_co_wake_list(&co->cur_waiters, err);
	vpmem_co_wake_list(&co->next_waiters, err);
	vpmem_co_end_list(&co->cur_bios, err, done);
	vpmem_co_end_list(&co->next_bios, err, done);
	co->cur_callers = 0;
	co->next_callers = 0;
	co->inflight = false;
}
EXPORT_SYMBOL_IF_KUNIT(vpmem_co_fail_all);

/**
 * vpmem_co_idle() - no request in flight and nobody waiting
 * @co: coalescing state (lock held)
 *
 * Return: true when idle.
 */
bool vpmem_co_idle(const struct vpmem_co *co)
{
	return !co->inflight && !co->next_callers;
}
EXPORT_SYMBOL_IF_KUNIT(vpmem_co_idle);
