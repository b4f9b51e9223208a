/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device-independent logic of the virtio-pmem flush transport: flush
 * generation bookkeeping (coalescing), response decoding, range checks
 * and latency statistics.  Nothing here touches a virtqueue, so KUnit
 * exercises it without a device (kunit/vpmem_kunit.c).
 *
 * Locking: every vpmem_co_*() and vpmem_stats_*() call must be made
 * with the owner's lock held; the functions never sleep and never
 * allocate.
 */
#ifndef _VPMEM_LOGIC_H
#define _VPMEM_LOGIC_H

#include <linux/bio.h>
#include <linux/list.h>
#include <linux/types.h>

/**
 * struct vpmem_waiter - a synchronous flush caller, lives on its stack
 * @node: entry in &vpmem_co.cur_waiters or &vpmem_co.next_waiters
 * @gen: generation whose completion this caller waits for
 * @err: result of that generation, valid once @done is set
 * @done: set (with release semantics) when @err is final
 */
struct vpmem_waiter {
	struct list_head node;
	u64 gen;
	int err;
	bool done;
};

/**
 * struct vpmem_co - flush coalescing state of one device
 * @gen: generation of the request in flight (or of the last one sent)
 * @inflight: a request is owned by the device
 * @cur_waiters: waiters served by the request in flight
 * @next_waiters: waiters that arrived after it was sent
 * @cur_bios: asynchronous (FUA) bios served by the request in flight
 * @next_bios: asynchronous bios that arrived after it was sent
 * @cur_callers: callers (waiters + bios) served by the request in flight
 * @next_callers: callers queued for the next request
 *
 * At most one request is in flight.  A caller that arrives while the
 * device is idle starts generation N and is served by it.  A caller
 * that arrives while generation N is in flight cannot be served by N
 * (its writes may have completed after N was sent) and joins N + 1,
 * which is sent as soon as N completes, on behalf of everyone who
 * joined it.  N concurrent callers therefore cost at most two requests.
 */
struct vpmem_co {
	u64 gen;
	bool inflight;
	struct list_head cur_waiters;
	struct list_head next_waiters;
	struct bio_list cur_bios;
	struct bio_list next_bios;
	unsigned int cur_callers;
	unsigned int next_callers;
};

void vpmem_co_init(struct vpmem_co *co);
bool vpmem_co_join(struct vpmem_co *co, struct vpmem_waiter *w);
bool vpmem_co_join_bio(struct vpmem_co *co, struct bio *bio);
bool vpmem_co_complete(struct vpmem_co *co, int err, struct bio_list *done,
		       unsigned int *served);
void vpmem_co_fail_all(struct vpmem_co *co, int err, struct bio_list *done);
bool vpmem_co_idle(const struct vpmem_co *co);

/**
 * vpmem_waiter_done() - has the generation of @w completed?
 * @w: a waiter that joined a &struct vpmem_co
 *
 * Pairs with the release store in the completion path, so @w->err is
 * valid when this returns true.
 */
static inline bool vpmem_waiter_done(struct vpmem_waiter *w)
{
	/* Pairs with smp_store_release() in vpmem_co_wake_list(). */
	return smp_load_acquire(&w->done);
}

/* Size in bytes of the device's response (struct virtio_pmem_resp). */
#define VPMEM_RESP_LEN	4

/**
 * enum vpmem_resp_verdict - what a completed flush response says
 * @VPMEM_RESP_OK: ret 0, used length exactly the response size
 * @VPMEM_RESP_OK_LONG: ret 0, but the device claims to have written
 *	more than the response buffer holds (harmless, worth a warning)
 * @VPMEM_RESP_SHORT: the device wrote less than the response: the
 *	ret field is not (fully) the device's, the flush failed
 * @VPMEM_RESP_FAILED: the device reported failure (any non-zero ret)
 */
enum vpmem_resp_verdict {
	VPMEM_RESP_OK,
	VPMEM_RESP_OK_LONG,
	VPMEM_RESP_SHORT,
	VPMEM_RESP_FAILED,
};

enum vpmem_resp_verdict vpmem_resp_check(u32 ret, unsigned int used_len);
int vpmem_resp_to_errno(u32 ret, unsigned int used_len);

/*
 * Watchdog: while a request is in flight it runs at least every
 * VPMEM_POLL_MS (broken virtqueue and NEEDS_RESET are noticed within
 * that time); during device removal a request unanswered for
 * VPMEM_REMOVE_WAIT_MS fails even when flush_timeout_ms is 0.
 */
#define VPMEM_POLL_MS		250U
#define VPMEM_REMOVE_WAIT_MS	2000U

/*
 * A caller that cannot sleep (the BTT flushes under a spinlock) polls for
 * its answer for at most VPMEM_ATOMIC_WAIT_MS, well below the 20 s after
 * which the soft-lockup detector and RCU report a CPU that does not
 * schedule.
 */
#define VPMEM_ATOMIC_WAIT_MS	5000U

unsigned int vpmem_watchdog_period_ms(unsigned int warn_ms,
				      unsigned int timeout_ms);
unsigned int vpmem_abandon_after_ms(unsigned int timeout_ms, bool removing);
unsigned int vpmem_atomic_wait_ms(unsigned int timeout_ms);

/**
 * enum vpmem_range_err - why a device range was rejected
 * @VPMEM_RANGE_OK: usable
 * @VPMEM_RANGE_EMPTY: size is zero
 * @VPMEM_RANGE_WRAPS: start + size overflows the physical address space
 * @VPMEM_RANGE_UNALIGNED: start or size not a multiple of the page size
 */
enum vpmem_range_err {
	VPMEM_RANGE_OK,
	VPMEM_RANGE_EMPTY,
	VPMEM_RANGE_WRAPS,
	VPMEM_RANGE_UNALIGNED,
};

u64 vpmem_validate_features(u64 features, bool shm_region_present);
enum vpmem_range_err vpmem_range_check(u64 start, u64 size, u64 align);
const char *vpmem_range_err_str(enum vpmem_range_err err);

/* Latency histogram: bucket i counts latencies < 2^(i + 4) us. */
#define VPMEM_HIST_BUCKETS	18

/**
 * struct vpmem_stats - flush counters of one device
 * @requests: flush requests sent to the device
 * @callers: flush callers served (sync waiters and async bios)
 * @errors: requests that completed with an error, or could not be sent
 * @timeouts: requests given up on by the watchdog
 * @refused: callers failed at once because the device is stuck or broken
 * @atomic_callers: synchronous callers that could not sleep and polled
 * @last_latency_ns: round-trip time of the last completed request
 * @max_latency_ns: worst round trip seen
 * @hist: round trips per latency bucket, see vpmem_hist_bucket()
 */
struct vpmem_stats {
	u64 requests;
	u64 callers;
	u64 errors;
	u64 timeouts;
	u64 refused;
	u64 atomic_callers;
	u64 last_latency_ns;
	u64 max_latency_ns;
	u64 hist[VPMEM_HIST_BUCKETS];
};

unsigned int vpmem_hist_bucket(u64 ns);
u64 vpmem_hist_bucket_limit_us(unsigned int bucket);
void vpmem_stats_account(struct vpmem_stats *st, u64 ns, unsigned int served,
			 int err);

#endif /* _VPMEM_LOGIC_H */
