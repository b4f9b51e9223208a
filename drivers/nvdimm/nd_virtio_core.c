// SPDX-License-Identifier: GPL-2.0
/*
 * nd_virtio: the virtio-pmem flush transport.
 *
 * A flush is one 4-byte request and one 4-byte response on the device's
 * only virtqueue; the host makes every write that completed before the
 * request durable (QEMU: fsync of the backing file).
 *
 * Unlike upstream, a device never has more than one request in flight
 * and concurrent callers share requests (vpmem_coalesce.c): N callers
 * arriving together cost at most two host flushes.  The single request
 * buffer is allocated at probe, so the flush path never allocates and
 * cannot fail for lack of memory.  A request the host does not answer
 * is reported every flush_warn_ms and, after flush_timeout_ms, failed
 * with -EIO for all its callers instead of leaving them in D state for
 * ever; later flushes fail fast until the host answers it.  A broken
 * virtqueue or a device asking for a reset (NEEDS_RESET) fails every
 * caller at once: noticed in the completion path, by the watchdog while
 * a request is in flight, and after a configuration change notification.
 * The device status is only read in process context (it may sleep on
 * some transports), never under the flusher lock.
 */
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/virtio_config.h>
#include "virtio_pmem.h"

#define CREATE_TRACE_POINTS
#include "nd_virtio_trace.h"

static unsigned int flush_timeout_ms = 60000;
module_param(flush_timeout_ms, uint, 0644);
MODULE_PARM_DESC(flush_timeout_ms,
		 "Fail a flush the host has not answered after this many ms with -EIO (0: wait for ever; default 60000)");

static unsigned int flush_warn_ms = 10000;
module_param(flush_warn_ms, uint, 0644);
MODULE_PARM_DESC(flush_warn_ms,
		 "Warn every this many ms while a flush is unanswered (0: never; default 10000)");

/*
 * Work collected under the lock and done after dropping it: bios to end
 * and the waitqueues to wake.  Waiters of generation g sleep on
 * wq[g & 1], so a completion wakes only its own callers, not the batch
 * that is waiting for the next request.
 */
struct vpmem_after {
	struct bio_list bios;
	unsigned int wake;
};

#define VPMEM_WAKE_ALL	3U

static void vpmem_after_init(struct vpmem_after *a)
{
	bio_list_init(&a->bios);
	a->wake = 0;
}

static void vpmem_after_run(struct vpmem_flusher *f, struct vpmem_after *a)
{
	struct bio *bio;

	while ((bio = bio_list_pop(&a->bios)))
		bio_endio(bio);
	if (a->wake & 1)
		wake_up_all(&f->wq[0]);
	if (a->wake & 2)
		wake_up_all(&f->wq[1]);
	wake_up_all(&f->idle_wq);
}

static void vpmem_mark_broken(struct vpmem_flusher *f, const char *why)
{
	if (f->state == VPMEM_OK)
		dev_err(&f->vdev->dev, "%s: failing flushes with -EIO\n", why);
	if (f->state != VPMEM_DEAD)
		f->state = VPMEM_BROKEN;
}

/*
 * The device can no longer answer (broken virtqueue, NEEDS_RESET): fail
 * the request in flight and everyone queued now, refuse later callers.
 */
static void vpmem_break_locked(struct vpmem_flusher *f, const char *why,
			       struct vpmem_after *done)
{
	unsigned int waiting = f->co.cur_callers + f->co.next_callers;

	if (f->state == VPMEM_DEAD || f->state == VPMEM_BROKEN)
		return;
	dev_err(&f->vdev->dev, "%s: failing %u waiting callers and later flushes with -EIO\n",
		why, waiting);
	f->state = VPMEM_BROKEN;
	if (f->co.inflight && !f->unsent)
		f->stats.errors++;
	vpmem_co_fail_all(&f->co, -EIO, &done->bios);
	done->wake = VPMEM_WAKE_ALL;
	f->unsent = false;
}

/*
 * Does the device ask for a reset?  get_status() may sleep (virtio-ccw
 * revision 2 and later do channel I/O): process context, no lock held.
 */
static bool vpmem_device_needs_reset(struct vpmem_flusher *f)
{
	u8 status;

	might_sleep();
	status = vpmem_inject_status(f, f->vdev->config->get_status(f->vdev));
	return status & VIRTIO_CONFIG_S_NEEDS_RESET;
}

/*
 * Process context: fail everything if the device needs a reset or its
 * queue broke.  Called by the watchdog, after a configuration change,
 * before each synchronous flush and at removal.
 */
static void vpmem_check_device(struct vpmem_flusher *f)
{
	bool reset = vpmem_device_needs_reset(f);
	struct vpmem_after done;
	unsigned long flags;

	vpmem_after_init(&done);
	spin_lock_irqsave(&f->lock, flags);
	if (reset)
		vpmem_break_locked(f, "virtio pmem device needs a reset", &done);
	else if (f->vq && virtqueue_is_broken(f->vq))
		vpmem_break_locked(f, "virtqueue broken", &done);
	spin_unlock_irqrestore(&f->lock, flags);
	vpmem_after_run(f, &done);
}

/* Put the request on the virtqueue and notify the device. */
static int vpmem_submit_locked(struct vpmem_flusher *f)
{
	struct scatterlist req_sg, resp_sg, *sgs[2];
	int err;

	if (f->state != VPMEM_OK || !f->vq)
		return -EIO;
	f->wire->req.type = cpu_to_le32(VIRTIO_PMEM_REQ_TYPE_FLUSH);
	f->wire->resp.ret = cpu_to_le32(U32_MAX);
	sg_init_one(&req_sg, &f->wire->req, sizeof(f->wire->req));
	sg_init_one(&resp_sg, &f->wire->resp, sizeof(f->wire->resp));
	sgs[0] = &req_sg;
	sgs[1] = &resp_sg;
	/* One request in flight: the ring always has room unless broken. */
	err = virtqueue_add_sgs(f->vq, sgs, 1, 1, f->wire, GFP_ATOMIC);
	if (err) {
		vpmem_mark_broken(f, "cannot queue a flush request");
		return -EIO;
	}
	if (!virtqueue_kick(f->vq)) {
		vpmem_mark_broken(f, "cannot notify the device");
		return -EIO;
	}
	return 0;
}

static void vpmem_watchdog_arm(struct vpmem_flusher *f)
{
	unsigned int ms = vpmem_watchdog_period_ms(READ_ONCE(flush_warn_ms),
						   READ_ONCE(flush_timeout_ms));

	mod_delayed_work(system_wq, &f->watchdog, msecs_to_jiffies(ms));
}

/*
 * Complete the current generation with @err.  Returns true when callers
 * joined meanwhile and the next generation has to be sent.
 */
static bool vpmem_finish_locked(struct vpmem_flusher *f, int err,
				struct vpmem_after *done)
{
	u64 ns = 0, gen = f->co.gen;
	unsigned int served;
	bool again;

	if (!f->unsent)
		ns = ktime_to_ns(ktime_sub(ktime_get(), f->sent_at)) ?: 1;
	f->unsent = false;
	again = vpmem_co_complete(&f->co, err, &done->bios, &served);
	done->wake |= BIT(gen & 1);
	vpmem_stats_account(&f->stats, ns, served, err);
	trace_vpmem_flush_complete(f->vdev->index, gen, err, ns, served);
	return again;
}

/* Send the current generation; fails it (and any successor) on error. */
static void vpmem_send_locked(struct vpmem_flusher *f, struct vpmem_after *done)
{
	int err;

	for (;;) {
		if (f->state == VPMEM_QUIESCED) {
			f->unsent = true;
			return;
		}
		if (unlikely(f->ack_early)) {
			/* debugfs: success without asking the device */
			f->unsent = true;
			if (!vpmem_finish_locked(f, 0, done))
				return;
			continue;
		}
		err = vpmem_submit_locked(f);
		if (!err) {
			f->unsent = false;
			f->sent_at = ktime_get();
			f->warned_at = jiffies;
			f->stats.requests++;
			trace_vpmem_flush_submit(f->vdev->index, f->co.gen,
						 f->co.cur_callers);
			vpmem_watchdog_arm(f);
			return;
		}
		f->unsent = true;
		if (!vpmem_finish_locked(f, err, done))
			return;
	}
}

/* Callers are refused while the device cannot answer them. */
static bool vpmem_refuses(struct vpmem_flusher *f)
{
	if (f->state == VPMEM_OK || f->state == VPMEM_QUIESCED)
		return false;
	f->stats.refused++;
	return true;
}

static int vpmem_flush_sync(struct vpmem_flusher *f)
{
	struct vpmem_waiter w;
	struct vpmem_after done;
	unsigned long flags;

	/* NEEDS_RESET before each request (CVE-2024-50184), unlocked. */
	vpmem_check_device(f);
	vpmem_after_init(&done);
	spin_lock_irqsave(&f->lock, flags);
	if (vpmem_refuses(f)) {
		spin_unlock_irqrestore(&f->lock, flags);
		return -EIO;
	}
	if (vpmem_co_join(&f->co, &w))
		vpmem_send_locked(f, &done);
	spin_unlock_irqrestore(&f->lock, flags);

	if (vpmem_waiter_done(&w)) {
		/* Sending failed: others of this generation were failed too. */
		vpmem_after_run(f, &done);
		return w.err;
	}
	wait_event(f->wq[w.gen & 1], vpmem_waiter_done(&w));
	return w.err;
}

/* Give up on the request in flight: every caller gets -EIO. */
static void vpmem_abandon_locked(struct vpmem_flusher *f, s64 age_ms,
				 struct vpmem_after *done)
{
	dev_err(&f->vdev->dev,
		"flush %llu unanswered for %lld ms: failing %u callers with -EIO, later flushes fail until the host answers\n",
		f->co.gen, age_ms, f->co.cur_callers + f->co.next_callers);
	trace_vpmem_flush_timeout(f->vdev->index, f->co.gen, age_ms,
				  f->co.cur_callers + f->co.next_callers);
	f->stats.timeouts++;
	f->stats.errors++;
	vpmem_co_fail_all(&f->co, -EIO, &done->bios);
	done->wake = VPMEM_WAKE_ALL;
	f->state = VPMEM_STUCK;
}

/*
 * A synchronous flush from a caller that must not sleep: the BTT (sector
 * mode) writes its log and map entries under a spinlock, and
 * nsio_rw_bytes() flushes after each of them.  The caller joins the
 * generation like any other, then polls the queue itself instead of
 * sleeping (the interrupt it waits for may be held off on its own CPU).
 * After vpmem_atomic_wait_ms() the request is abandoned as the watchdog
 * would (every caller of it gets -EIO): the write fails instead of being
 * acknowledged before it is durable.  The device status may sleep on
 * some transports: it is read from the status work item.  On PREEMPT_RT
 * the BTT's spinlock_t does not disable preemption, but its holder must
 * not sleep either (guestmem_can_sleep()): it polls here too, and may
 * take our spinlock_t (an rtlock wait is allowed there).
 */
static int vpmem_flush_atomic(struct vpmem_flusher *f)
{
	unsigned int limit = vpmem_atomic_wait_ms(READ_ONCE(flush_timeout_ms));
	ktime_t start = ktime_get();
	struct vpmem_waiter w;
	struct vpmem_after done;
	unsigned long flags;
	s64 age;

	schedule_work(&f->status_work);
	vpmem_after_init(&done);
	spin_lock_irqsave(&f->lock, flags);
	if (vpmem_refuses(f)) {
		spin_unlock_irqrestore(&f->lock, flags);
		return -EIO;
	}
	f->stats.atomic_callers++;
	if (vpmem_co_join(&f->co, &w))
		vpmem_send_locked(f, &done);
	spin_unlock_irqrestore(&f->lock, flags);
	vpmem_after_run(f, &done);

	while (!vpmem_waiter_done(&w)) {
		vpmem_flusher_vq_done(f);
		age = ktime_ms_delta(ktime_get(), start);
		if (age < limit) {
			cpu_relax();
			continue;
		}
		vpmem_after_init(&done);
		spin_lock_irqsave(&f->lock, flags);
		if (!vpmem_waiter_done(&w))
			vpmem_abandon_locked(f, age, &done);
		spin_unlock_irqrestore(&f->lock, flags);
		vpmem_after_run(f, &done);
	}
	return w.err;
}

static int vpmem_flush_bio(struct vpmem_flusher *f, struct bio *bio)
{
	struct vpmem_after done;
	unsigned long flags;

	vpmem_after_init(&done);
	spin_lock_irqsave(&f->lock, flags);
	if (vpmem_refuses(f)) {
		spin_unlock_irqrestore(&f->lock, flags);
		return -EIO;
	}
	if (vpmem_co_join_bio(&f->co, bio))
		vpmem_send_locked(f, &done);
	spin_unlock_irqrestore(&f->lock, flags);

	/* From here on the bio is ours: ended here or on completion. */
	vpmem_after_run(f, &done);
	return GUESTMEM_FLUSH_ASYNC;
}

/**
 * vpmem_region_flush() - nd_region flush callback of virtio-pmem regions
 * @nd_region: the region; its provider data is the virtio device
 * @bio: NULL for a synchronous flush, else the bio asking for it
 *
 * Where the kernel lets providers complete bios themselves
 * (NVDIMM_FLUSH_ASYNC: pmem.c then only passes FUA bios here, after the
 * data), the bio is completed when its flush generation completes.
 * Otherwise the caller sleeps until the flush is done: in pmem.c the
 * REQ_PREFLUSH call happens before the data is copied, so waiting here
 * keeps the flush ahead of the data (upstream's chained child bio ran
 * it afterwards).  A synchronous caller that cannot sleep (the BTT,
 * under its map lock) polls for the answer instead, for a bounded time.
 *
 * Return: 0, a negative errno, or NVDIMM_FLUSH_ASYNC.
 */
int vpmem_region_flush(struct nd_region *nd_region, struct bio *bio)
{
	struct virtio_device *vdev = nd_region_provider_data(nd_region);
	struct virtio_pmem *vpmem = vdev->priv;

	if (bio && GUESTMEM_FLUSH_ASYNC)
		return vpmem_flush_bio(&vpmem->flusher, bio);
	if (!guestmem_can_sleep())
		return vpmem_flush_atomic(&vpmem->flusher);
	return vpmem_flush_sync(&vpmem->flusher);
}
EXPORT_SYMBOL_GPL(vpmem_region_flush);

/* One buffer the device returned: complete the request it answers. */
static void vpmem_used_locked(struct vpmem_flusher *f, void *token,
			      unsigned int len, struct vpmem_after *done)
{
	u32 ret;
	int err = 0;

	if (token != f->wire) {
		dev_warn_ratelimited(&f->vdev->dev,
				     "unknown token in used ring, ignored\n");
		return;
	}
	if (f->state == VPMEM_STUCK) {
		f->state = VPMEM_OK;
		dev_warn(&f->vdev->dev,
			 "host answered the abandoned flush after %lld ms, flushes resume\n",
			 ktime_ms_delta(ktime_get(), f->sent_at));
		return;
	}
	/* Answers to requests we already failed are expected then. */
	if (f->state == VPMEM_BROKEN || f->state == VPMEM_DEAD)
		return;
	if (!f->co.inflight || f->unsent) {
		dev_warn_ratelimited(&f->vdev->dev,
				     "completion without a flush in flight (duplicate?), ignored\n");
		return;
	}
	ret = le32_to_cpu(f->wire->resp.ret);
	switch (vpmem_resp_check(ret, len)) {
	case VPMEM_RESP_OK:
		break;
	case VPMEM_RESP_OK_LONG:
		dev_warn_once(&f->vdev->dev,
			      "device reports %u bytes written into the %u-byte flush response\n",
			      len, VPMEM_RESP_LEN);
		break;
	case VPMEM_RESP_SHORT:
		dev_err_ratelimited(&f->vdev->dev,
				    "short flush response (%u of %u bytes): flush failed\n",
				    len, VPMEM_RESP_LEN);
		err = -EIO;
		break;
	case VPMEM_RESP_FAILED:
		dev_err_ratelimited(&f->vdev->dev,
				    "host failed a flush (ret %#x)\n", ret);
		err = -EIO;
		break;
	}
	if (vpmem_finish_locked(f, err, done))
		vpmem_send_locked(f, done);
}

/**
 * vpmem_flusher_vq_done() - virtqueue callback: the device answered
 * @f: flusher of the device
 *
 * Completes the generation in flight and sends the next one if callers
 * are waiting for it.  A queue found broken fails everyone at once.
 * Runs in interrupt context: nothing here reads the device status.
 */
void vpmem_flusher_vq_done(struct vpmem_flusher *f)
{
	struct vpmem_after done;
	unsigned long flags;
	unsigned int len;
	void *token;

	vpmem_after_init(&done);
	spin_lock_irqsave(&f->lock, flags);
	while (f->vq && !f->hold && (token = vpmem_vq_get_buf(f, &len)))
		vpmem_used_locked(f, token, len, &done);
	if (f->vq && virtqueue_is_broken(f->vq))
		vpmem_break_locked(f, "virtqueue broken", &done);
	spin_unlock_irqrestore(&f->lock, flags);
	vpmem_after_run(f, &done);
}
EXPORT_SYMBOL_GPL(vpmem_flusher_vq_done);

static void vpmem_status_work_fn(struct work_struct *work)
{
	struct vpmem_flusher *f = container_of(work, struct vpmem_flusher,
					       status_work);

	vpmem_check_device(f);
}

/**
 * vpmem_flusher_config_changed() - the device signalled a config change
 * @f: flusher of the device
 *
 * A device that needs a reset says so with a configuration change
 * notification; the status is read from a work item (may sleep).
 * Callable from interrupt context.
 */
void vpmem_flusher_config_changed(struct vpmem_flusher *f)
{
	schedule_work(&f->status_work);
}
EXPORT_SYMBOL_GPL(vpmem_flusher_config_changed);

static void vpmem_watchdog_fn(struct work_struct *work)
{
	struct vpmem_flusher *f = container_of(to_delayed_work(work),
					       struct vpmem_flusher, watchdog);
	unsigned int warn = READ_ONCE(flush_warn_ms);
	struct vpmem_after done;
	unsigned int limit;
	unsigned long flags;
	s64 age;

	vpmem_check_device(f);
	vpmem_after_init(&done);
	spin_lock_irqsave(&f->lock, flags);
	if (!f->co.inflight || f->unsent || f->state != VPMEM_OK) {
		spin_unlock_irqrestore(&f->lock, flags);
		return;
	}
	age = ktime_ms_delta(ktime_get(), f->sent_at);
	limit = vpmem_abandon_after_ms(READ_ONCE(flush_timeout_ms), f->removing);
	if (limit && age >= limit) {
		vpmem_abandon_locked(f, age, &done);
	} else {
		if (warn && age >= warn &&
		    time_after_eq(jiffies, f->warned_at + msecs_to_jiffies(warn))) {
			f->warned_at = jiffies;
			dev_warn(&f->vdev->dev,
				 "flush %llu outstanding for %lld ms, %u callers waiting\n",
				 f->co.gen, age,
				 f->co.cur_callers + f->co.next_callers);
		}
		vpmem_watchdog_arm(f);
	}
	spin_unlock_irqrestore(&f->lock, flags);
	vpmem_after_run(f, &done);
}

/**
 * vpmem_flusher_init() - set up the flush transport of a device
 * @f: flusher embedded in the device's state
 * @vdev: the virtio device
 *
 * Allocates the request buffer and creates the debugfs files.  The
 * sysfs statistics (vpmem_flush_stats_group) are attached by the
 * driver core through the driver's dev_groups.  Flushes are refused
 * until vpmem_flusher_start().
 *
 * Return: 0 or a negative errno.
 */
int vpmem_flusher_init(struct vpmem_flusher *f, struct virtio_device *vdev)
{
	f->vdev = vdev;
	f->vq = NULL;
	spin_lock_init(&f->lock);
	vpmem_co_init(&f->co);
	memset(&f->stats, 0, sizeof(f->stats));
	f->state = VPMEM_BROKEN;
	f->unsent = false;
	init_waitqueue_head(&f->wq[0]);
	init_waitqueue_head(&f->wq[1]);
	init_waitqueue_head(&f->idle_wq);
	INIT_DELAYED_WORK(&f->watchdog, vpmem_watchdog_fn);
	INIT_WORK(&f->status_work, vpmem_status_work_fn);
	f->removing = false;
	f->wire = kzalloc_obj(*f->wire, GFP_KERNEL);
	if (!f->wire)
		return -ENOMEM;
	f->hold = false;
	memset(&f->inject, 0, sizeof(f->inject));
	vpmem_debugfs_add(f);
	return 0;
}
EXPORT_SYMBOL_GPL(vpmem_flusher_init);

/**
 * vpmem_flusher_start() - start (or resume) sending requests
 * @f: the flusher
 * @vq: the device's request virtqueue, device already DRIVER_OK
 *
 * Callers queued while the device was frozen are sent now.
 */
void vpmem_flusher_start(struct vpmem_flusher *f, struct virtqueue *vq)
{
	struct vpmem_after done;
	unsigned long flags;

	vpmem_after_init(&done);
	spin_lock_irqsave(&f->lock, flags);
	f->vq = vq;
	f->state = VPMEM_OK;
	if (f->co.inflight && f->unsent)
		vpmem_send_locked(f, &done);
	spin_unlock_irqrestore(&f->lock, flags);
	vpmem_after_run(f, &done);
}
EXPORT_SYMBOL_GPL(vpmem_flusher_start);

static bool vpmem_nothing_sent(struct vpmem_flusher *f)
{
	unsigned long flags;
	bool idle;

	spin_lock_irqsave(&f->lock, flags);
	idle = !f->co.inflight || f->unsent;
	spin_unlock_irqrestore(&f->lock, flags);
	return idle;
}

/**
 * vpmem_flusher_quiesce() - stop sending before the device is reset
 * @f: the flusher
 *
 * New callers queue (they are sent by vpmem_flusher_start() after
 * restore).  Waits for the request in flight, at most flush_timeout_ms
 * (10 s if that is 0), and fails it if the host does not answer.
 */
void vpmem_flusher_quiesce(struct vpmem_flusher *f)
{
	unsigned int ms = READ_ONCE(flush_timeout_ms) ?: 10000;
	struct vpmem_after done;
	unsigned long flags;

	vpmem_after_init(&done);
	spin_lock_irqsave(&f->lock, flags);
	f->state = VPMEM_QUIESCED;
	spin_unlock_irqrestore(&f->lock, flags);

	if (!wait_event_timeout(f->idle_wq, vpmem_nothing_sent(f),
				msecs_to_jiffies(ms))) {
		spin_lock_irqsave(&f->lock, flags);
		if (f->co.inflight && !f->unsent) {
			dev_err(&f->vdev->dev,
				"flush %llu unanswered at suspend, failing it\n",
				f->co.gen);
			f->stats.timeouts++;
			/* The next generation stays queued (unsent). */
			if (vpmem_finish_locked(f, -EIO, &done))
				vpmem_send_locked(f, &done);
		}
		spin_unlock_irqrestore(&f->lock, flags);
		vpmem_after_run(f, &done);
	}
	cancel_delayed_work_sync(&f->watchdog);
	cancel_work_sync(&f->status_work);
}
EXPORT_SYMBOL_GPL(vpmem_flusher_quiesce);

/**
 * vpmem_flusher_begin_remove() - the device is about to be removed
 * @f: the flusher
 *
 * nd_pmem's last flushes still go to the device during
 * nvdimm_bus_unregister(), but removal must not hang on them: a broken
 * or resetting device fails them at once, a silent one after
 * VPMEM_REMOVE_WAIT_MS (even with flush_timeout_ms=0).
 */
void vpmem_flusher_begin_remove(struct vpmem_flusher *f)
{
	unsigned long flags;

	spin_lock_irqsave(&f->lock, flags);
	f->removing = true;
	if (f->co.inflight && !f->unsent)
		vpmem_watchdog_arm(f);
	spin_unlock_irqrestore(&f->lock, flags);
	vpmem_check_device(f);
}
EXPORT_SYMBOL_GPL(vpmem_flusher_begin_remove);

/**
 * vpmem_flusher_kill() - the device is going away: fail everything
 * @f: the flusher
 *
 * Every queued or in-flight caller gets -EIO and later callers are
 * refused.  The request buffer stays allocated until
 * vpmem_flusher_destroy(), so a device that still answers after this
 * (before its reset) writes into owned memory.
 */
void vpmem_flusher_kill(struct vpmem_flusher *f)
{
	struct vpmem_after done;
	unsigned long flags;

	vpmem_after_init(&done);
	spin_lock_irqsave(&f->lock, flags);
	f->state = VPMEM_DEAD;
	vpmem_co_fail_all(&f->co, -EIO, &done.bios);
	done.wake = VPMEM_WAKE_ALL;
	f->unsent = false;
	spin_unlock_irqrestore(&f->lock, flags);
	vpmem_after_run(f, &done);
	cancel_delayed_work_sync(&f->watchdog);
	cancel_work_sync(&f->status_work);
}
EXPORT_SYMBOL_GPL(vpmem_flusher_kill);

/**
 * vpmem_flusher_detach() - forget the virtqueue after a device reset
 * @f: the flusher
 *
 * Reclaims the request buffer from the ring.  Call after
 * virtio_reset_device() and before del_vqs().
 */
void vpmem_flusher_detach(struct vpmem_flusher *f)
{
	unsigned long flags;
	unsigned int len;

	spin_lock_irqsave(&f->lock, flags);
	if (f->vq) {
		while (virtqueue_get_buf(f->vq, &len))
			;
		while (virtqueue_detach_unused_buf(f->vq))
			;
	}
	vpmem_inject_forget(f);
	f->vq = NULL;
	spin_unlock_irqrestore(&f->lock, flags);
}
EXPORT_SYMBOL_GPL(vpmem_flusher_detach);

/**
 * vpmem_flusher_destroy() - release what vpmem_flusher_init() set up
 * @f: the flusher, killed or never started, its device reset
 */
void vpmem_flusher_destroy(struct vpmem_flusher *f)
{
	vpmem_debugfs_remove(f);
	cancel_delayed_work_sync(&f->watchdog);
	cancel_work_sync(&f->status_work);
	kfree(f->wire);
	f->wire = NULL;
}
EXPORT_SYMBOL_GPL(vpmem_flusher_destroy);

static int __init nd_virtio_init(void)
{
	return vpmem_debugfs_init();
}

static void __exit nd_virtio_exit(void)
{
	vpmem_debugfs_exit();
}

module_init(nd_virtio_init);
module_exit(nd_virtio_exit);
MODULE_DESCRIPTION("virtio-pmem flush transport with flush coalescing");
MODULE_LICENSE("GPL");
MODULE_VERSION(GUESTMEM_VERSION);
