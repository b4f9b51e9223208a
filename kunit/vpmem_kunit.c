// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the virtio-pmem flush logic: generation bookkeeping
 * (alone and under concurrency against a simulated device), response
 * decoding, feature and range validation, latency statistics.
 *
 * The logic lives in nd_virtio.ko, which exports it to this module only
 * when the kernel has KUnit (EXPORT_SYMBOL_IF_KUNIT); no device needed.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include <linux/blkdev.h>
#include <linux/sizes.h>
#include <guestmem/compat.h>
#include <guestmem/virtio_pmem_defs.h>
#include "../drivers/nvdimm/vpmem_logic.h"

/* ---- generation bookkeeping, single-threaded ---- */

static void vpmem_co_idle_caller_sends(struct kunit *test)
{
	struct bio_list done;
	struct vpmem_co co;
	struct vpmem_waiter w;
	unsigned int served;

	bio_list_init(&done);
	vpmem_co_init(&co);
	KUNIT_EXPECT_TRUE(test, vpmem_co_idle(&co));
	KUNIT_EXPECT_TRUE(test, vpmem_co_join(&co, &w));
	KUNIT_EXPECT_EQ(test, w.gen, 1ULL);
	KUNIT_EXPECT_FALSE(test, vpmem_waiter_done(&w));
	KUNIT_EXPECT_FALSE(test, vpmem_co_idle(&co));

	KUNIT_EXPECT_FALSE(test, vpmem_co_complete(&co, 0, &done, &served));
	KUNIT_EXPECT_EQ(test, served, 1U);
	KUNIT_EXPECT_TRUE(test, vpmem_waiter_done(&w));
	KUNIT_EXPECT_EQ(test, w.err, 0);
	KUNIT_EXPECT_TRUE(test, vpmem_co_idle(&co));
	KUNIT_EXPECT_TRUE(test, bio_list_empty(&done));
}

/* 16 callers while one request is in flight cost one more request. */
static void vpmem_co_batches_late_callers(struct kunit *test)
{
	struct vpmem_waiter first, w[15];
	struct bio_list done;
	struct vpmem_co co;
	unsigned int served, i;

	bio_list_init(&done);
	vpmem_co_init(&co);
	KUNIT_ASSERT_TRUE(test, vpmem_co_join(&co, &first));
	for (i = 0; i < ARRAY_SIZE(w); i++) {
		KUNIT_EXPECT_FALSE(test, vpmem_co_join(&co, &w[i]));
		KUNIT_EXPECT_EQ(test, w[i].gen, 2ULL);
	}
	/* Gen 1 cannot serve them: they arrived after it was sent. */
	KUNIT_EXPECT_TRUE(test, vpmem_co_complete(&co, 0, &done, &served));
	KUNIT_EXPECT_EQ(test, served, 1U);
	KUNIT_EXPECT_TRUE(test, vpmem_waiter_done(&first));
	for (i = 0; i < ARRAY_SIZE(w); i++)
		KUNIT_EXPECT_FALSE(test, vpmem_waiter_done(&w[i]));
	KUNIT_EXPECT_EQ(test, co.gen, 2ULL);

	KUNIT_EXPECT_FALSE(test, vpmem_co_complete(&co, 0, &done, &served));
	KUNIT_EXPECT_EQ(test, served, 15U);
	for (i = 0; i < ARRAY_SIZE(w); i++) {
		KUNIT_EXPECT_TRUE(test, vpmem_waiter_done(&w[i]));
		KUNIT_EXPECT_EQ(test, w[i].err, 0);
	}
	KUNIT_EXPECT_TRUE(test, vpmem_co_idle(&co));
}

/* Each caller gets the result of its own generation. */
static void vpmem_co_error_reaches_its_generation(struct kunit *test)
{
	struct vpmem_waiter a, b, c;
	struct bio_list done;
	struct vpmem_co co;

	bio_list_init(&done);
	vpmem_co_init(&co);
	vpmem_co_join(&co, &a);
	vpmem_co_join(&co, &b);
	vpmem_co_join(&co, &c);
	KUNIT_EXPECT_TRUE(test, vpmem_co_complete(&co, -EIO, &done, NULL));
	KUNIT_EXPECT_EQ(test, a.err, -EIO);
	KUNIT_EXPECT_FALSE(test, vpmem_waiter_done(&b));
	KUNIT_EXPECT_FALSE(test, vpmem_co_complete(&co, 0, &done, NULL));
	KUNIT_EXPECT_EQ(test, b.err, 0);
	KUNIT_EXPECT_EQ(test, c.err, 0);

	/* And the other way round. */
	vpmem_co_join(&co, &a);
	vpmem_co_join(&co, &b);
	KUNIT_EXPECT_TRUE(test, vpmem_co_complete(&co, 0, &done, NULL));
	KUNIT_EXPECT_FALSE(test, vpmem_co_complete(&co, -EIO, &done, NULL));
	KUNIT_EXPECT_EQ(test, a.err, 0);
	KUNIT_EXPECT_EQ(test, b.err, -EIO);
}

static struct bio *vpmem_test_bio(struct kunit *test)
{
	struct bio *bio = kunit_kzalloc(test, sizeof(*bio), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, bio);
	return bio;
}

/* Asynchronous (FUA) bios follow the same generations as waiters. */
static void vpmem_co_bios_complete_with_status(struct kunit *test)
{
	struct bio *b1 = vpmem_test_bio(test), *b2 = vpmem_test_bio(test);
	struct bio *b3 = vpmem_test_bio(test);
	struct bio_list done;
	struct vpmem_waiter w;
	struct vpmem_co co;
	unsigned int served;

	bio_list_init(&done);
	vpmem_co_init(&co);
	KUNIT_EXPECT_TRUE(test, vpmem_co_join_bio(&co, b1));
	KUNIT_EXPECT_FALSE(test, vpmem_co_join_bio(&co, b2));
	KUNIT_EXPECT_FALSE(test, vpmem_co_join(&co, &w));
	KUNIT_EXPECT_FALSE(test, vpmem_co_join_bio(&co, b3));

	KUNIT_EXPECT_TRUE(test, vpmem_co_complete(&co, 0, &done, &served));
	KUNIT_EXPECT_EQ(test, served, 1U);
	KUNIT_EXPECT_PTR_EQ(test, bio_list_pop(&done), b1);
	KUNIT_EXPECT_TRUE(test, bio_list_empty(&done));
	KUNIT_EXPECT_EQ(test, blk_status_to_errno(b1->bi_status), 0);

	KUNIT_EXPECT_FALSE(test, vpmem_co_complete(&co, -EIO, &done, &served));
	KUNIT_EXPECT_EQ(test, served, 3U);
	KUNIT_EXPECT_PTR_EQ(test, bio_list_pop(&done), b2);
	KUNIT_EXPECT_PTR_EQ(test, bio_list_pop(&done), b3);
	KUNIT_EXPECT_EQ(test, blk_status_to_errno(b2->bi_status), -EIO);
	KUNIT_EXPECT_EQ(test, blk_status_to_errno(b3->bi_status), -EIO);
	KUNIT_EXPECT_EQ(test, w.err, -EIO);
}

static void vpmem_co_fail_all_releases_everyone(struct kunit *test)
{
	struct bio *b1 = vpmem_test_bio(test), *b2 = vpmem_test_bio(test);
	struct vpmem_waiter a, b;
	struct bio_list done;
	struct vpmem_co co;
	u64 gen;

	bio_list_init(&done);
	vpmem_co_init(&co);
	vpmem_co_join(&co, &a);
	vpmem_co_join_bio(&co, b1);
	vpmem_co_join(&co, &b);
	vpmem_co_join_bio(&co, b2);
	gen = co.gen;
	vpmem_co_fail_all(&co, -EIO, &done);
	KUNIT_EXPECT_TRUE(test, vpmem_waiter_done(&a));
	KUNIT_EXPECT_TRUE(test, vpmem_waiter_done(&b));
	KUNIT_EXPECT_EQ(test, a.err, -EIO);
	KUNIT_EXPECT_EQ(test, b.err, -EIO);
	KUNIT_EXPECT_PTR_EQ(test, bio_list_pop(&done), b1);
	KUNIT_EXPECT_PTR_EQ(test, bio_list_pop(&done), b2);
	KUNIT_EXPECT_EQ(test, blk_status_to_errno(b1->bi_status), -EIO);
	KUNIT_EXPECT_TRUE(test, vpmem_co_idle(&co));
	/* A stale completion after fail_all changes nothing. */
	KUNIT_EXPECT_FALSE(test, vpmem_co_complete(&co, 0, &done, NULL));
	/* The next caller starts a fresh generation. */
	KUNIT_EXPECT_TRUE(test, vpmem_co_join(&co, &a));
	KUNIT_EXPECT_EQ(test, a.gen, gen + 1);
}

/* ---- generation bookkeeping under concurrency ---- */

#define SIM_THREADS	8
#define SIM_FLUSHES	150

/*
 * Callers on SIM_THREADS kthreads against a simulated device that
 * answers after a short delay.  Checks: never two requests in flight,
 * every caller is served by a request sent after it joined, every
 * caller returns, requests never outnumber callers.
 */
struct vpmem_sim {
	spinlock_t lock;	/* the device lock of the real driver */
	struct vpmem_co co;
	wait_queue_head_t wq;
	u64 clock;
	u64 *sent_at;		/* per generation */
	bool outstanding;
	unsigned int requests;
	unsigned int served;
	unsigned int violations;
	atomic_t running;
	struct completion callers_done;
};

static void vpmem_sim_send(struct vpmem_sim *s)
{
	if (s->outstanding)
		s->violations++;
	s->outstanding = true;
	s->sent_at[s->co.gen] = ++s->clock;
	s->requests++;
}

static int vpmem_sim_caller(void *data)
{
	struct vpmem_sim *s = data;
	struct vpmem_waiter w;
	u64 joined;
	int i;

	for (i = 0; i < SIM_FLUSHES; i++) {
		spin_lock_irq(&s->lock);
		joined = ++s->clock;
		if (vpmem_co_join(&s->co, &w))
			vpmem_sim_send(s);
		spin_unlock_irq(&s->lock);
		wait_event(s->wq, vpmem_waiter_done(&w));
		spin_lock_irq(&s->lock);
		/* The request that served us was sent after we joined. */
		if (w.err || s->sent_at[w.gen] <= joined)
			s->violations++;
		spin_unlock_irq(&s->lock);
		if (i % 16 == 0)
			usleep_range(10, 50);
	}
	if (atomic_dec_and_test(&s->running))
		complete(&s->callers_done);
	return 0;
}

static int vpmem_sim_device(void *data)
{
	struct vpmem_sim *s = data;
	unsigned int served;

	while (!kthread_should_stop()) {
		usleep_range(100, 200);
		spin_lock_irq(&s->lock);
		if (s->outstanding) {
			s->outstanding = false;
			if (vpmem_co_complete(&s->co, 0, NULL, &served))
				vpmem_sim_send(s);
			s->served += served;
		}
		spin_unlock_irq(&s->lock);
		wake_up_all(&s->wq);
	}
	return 0;
}

static void vpmem_co_concurrent_callers(struct kunit *test)
{
	struct task_struct *dev, *callers[SIM_THREADS];
	unsigned int total = SIM_THREADS * SIM_FLUSHES, i;
	struct vpmem_sim *s;

	s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, s);
	s->sent_at = kunit_kcalloc(test, total + 2, sizeof(u64), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, s->sent_at);
	spin_lock_init(&s->lock);
	vpmem_co_init(&s->co);
	init_waitqueue_head(&s->wq);
	init_completion(&s->callers_done);
	atomic_set(&s->running, SIM_THREADS);

	dev = kthread_run(vpmem_sim_device, s, "vpmem_sim_dev");
	KUNIT_ASSERT_FALSE(test, IS_ERR(dev));
	for (i = 0; i < SIM_THREADS; i++) {
		callers[i] = kthread_run(vpmem_sim_caller, s, "vpmem_sim%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(callers[i]));
	}
	KUNIT_EXPECT_NE(test, wait_for_completion_timeout(&s->callers_done,
							  60 * HZ), 0UL);
	kthread_stop(dev);

	KUNIT_EXPECT_EQ(test, s->violations, 0U);
	KUNIT_EXPECT_EQ(test, s->served, total);
	KUNIT_EXPECT_LE(test, s->requests, total);
	KUNIT_EXPECT_TRUE(test, vpmem_co_idle(&s->co));
	kunit_info(test, "%u callers served by %u requests\n", total,
		   s->requests);
}

/* ---- response decoding ---- */

static void vpmem_resp_decoding(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vpmem_resp_to_errno(0, 4), 0);
	KUNIT_EXPECT_EQ(test, vpmem_resp_to_errno(0, 8), 0);
	/* QEMU, Cloud Hypervisor, crosvm: 1; Firecracker and the spec: -1 */
	KUNIT_EXPECT_EQ(test, vpmem_resp_to_errno(1, 4), -EIO);
	KUNIT_EXPECT_EQ(test, vpmem_resp_to_errno(U32_MAX, 4), -EIO);
	KUNIT_EXPECT_EQ(test, vpmem_resp_to_errno(2, 4), -EIO);
	/* The device did not fill in the response. */
	KUNIT_EXPECT_EQ(test, vpmem_resp_to_errno(0, 0), -EIO);
	KUNIT_EXPECT_EQ(test, vpmem_resp_to_errno(0, 3), -EIO);
}

/* Every used length and a few ret values a hostile device may return. */
static void vpmem_resp_verdicts(struct kunit *test)
{
	unsigned int len;

	for (len = 0; len < VPMEM_RESP_LEN; len++) {
		/* Whatever ret says: the device did not write all of it. */
		KUNIT_EXPECT_EQ(test, vpmem_resp_check(0, len), VPMEM_RESP_SHORT);
		KUNIT_EXPECT_EQ(test, vpmem_resp_check(1, len), VPMEM_RESP_SHORT);
		KUNIT_EXPECT_EQ(test, vpmem_resp_check(U32_MAX, len),
				VPMEM_RESP_SHORT);
	}
	KUNIT_EXPECT_EQ(test, vpmem_resp_check(0, 4), VPMEM_RESP_OK);
	KUNIT_EXPECT_EQ(test, vpmem_resp_check(0, 5), VPMEM_RESP_OK_LONG);
	KUNIT_EXPECT_EQ(test, vpmem_resp_check(0, U32_MAX), VPMEM_RESP_OK_LONG);
	KUNIT_EXPECT_EQ(test, vpmem_resp_check(0xdeadbeef, 4), VPMEM_RESP_FAILED);
	KUNIT_EXPECT_EQ(test, vpmem_resp_check(1, U32_MAX), VPMEM_RESP_FAILED);
	/* A long answer is accepted, a failed one never. */
	KUNIT_EXPECT_EQ(test, vpmem_resp_to_errno(0, 4096), 0);
	KUNIT_EXPECT_EQ(test, vpmem_resp_to_errno(0xdeadbeef, 4096), -EIO);
}

/* ---- watchdog timing ---- */

static void vpmem_watchdog_periods(struct kunit *test)
{
	/* Never 0: a broken queue must be noticed even with 0/0. */
	KUNIT_EXPECT_EQ(test, vpmem_watchdog_period_ms(0, 0), VPMEM_POLL_MS);
	KUNIT_EXPECT_EQ(test, vpmem_watchdog_period_ms(10000, 60000),
			VPMEM_POLL_MS);
	KUNIT_EXPECT_EQ(test, vpmem_watchdog_period_ms(100, 0), 100U);
	KUNIT_EXPECT_EQ(test, vpmem_watchdog_period_ms(0, 50), 50U);
	KUNIT_EXPECT_EQ(test, vpmem_watchdog_period_ms(100, 50), 50U);
	KUNIT_EXPECT_LE(test, vpmem_watchdog_period_ms(0, 0), 1000U);
}

static void vpmem_abandon_ages(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vpmem_abandon_after_ms(0, false), 0U);
	KUNIT_EXPECT_EQ(test, vpmem_abandon_after_ms(60000, false), 60000U);
	/* Removal never waits for ever, nor longer than the timeout. */
	KUNIT_EXPECT_EQ(test, vpmem_abandon_after_ms(0, true),
			VPMEM_REMOVE_WAIT_MS);
	KUNIT_EXPECT_EQ(test, vpmem_abandon_after_ms(60000, true),
			VPMEM_REMOVE_WAIT_MS);
	KUNIT_EXPECT_EQ(test, vpmem_abandon_after_ms(500, true), 500U);
	KUNIT_EXPECT_LT(test, VPMEM_REMOVE_WAIT_MS, 5000U);
}

static void vpmem_atomic_waits(struct kunit *test)
{
	/* A caller holding its CPU never polls for ever ... */
	KUNIT_EXPECT_EQ(test, vpmem_atomic_wait_ms(0), VPMEM_ATOMIC_WAIT_MS);
	KUNIT_EXPECT_EQ(test, vpmem_atomic_wait_ms(60000),
			VPMEM_ATOMIC_WAIT_MS);
	/* ... nor longer than a sleeping caller waits */
	KUNIT_EXPECT_EQ(test, vpmem_atomic_wait_ms(200), 200U);
	/* and stays below the soft-lockup / RCU stall reports (20 s) */
	KUNIT_EXPECT_LT(test, VPMEM_ATOMIC_WAIT_MS, 20000U);
}

/* ---- feature and range validation ---- */

static void vpmem_feature_validation(struct kunit *test)
{
	u64 shm = BIT_ULL(VIRTIO_PMEM_F_SHMEM_REGION);
	u64 other = BIT_ULL(32);	/* VIRTIO_F_VERSION_1 */

	KUNIT_EXPECT_EQ(test, vpmem_validate_features(shm | other, true),
			shm | other);
	KUNIT_EXPECT_EQ(test, vpmem_validate_features(shm | other, false),
			other);
	KUNIT_EXPECT_EQ(test, vpmem_validate_features(other, false), other);
}

static void vpmem_range_validation(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vpmem_range_check(0x140000000ULL, SZ_1G, SZ_4K),
			VPMEM_RANGE_OK);
	KUNIT_EXPECT_EQ(test, vpmem_range_check(0x140000000ULL, 0, SZ_4K),
			VPMEM_RANGE_EMPTY);
	KUNIT_EXPECT_EQ(test, vpmem_range_check(U64_MAX - SZ_4K + 1, SZ_8K,
						SZ_4K), VPMEM_RANGE_WRAPS);
	/* Ending exactly at the top of the address space is fine. */
	KUNIT_EXPECT_EQ(test, vpmem_range_check(U64_MAX - SZ_8K + 1, SZ_8K,
						SZ_4K), VPMEM_RANGE_OK);
	KUNIT_EXPECT_EQ(test, vpmem_range_check(0x140000200ULL, SZ_1G, SZ_4K),
			VPMEM_RANGE_UNALIGNED);
	KUNIT_EXPECT_EQ(test, vpmem_range_check(0x140000000ULL, SZ_1G + 512,
						SZ_4K), VPMEM_RANGE_UNALIGNED);
	KUNIT_EXPECT_STREQ(test, vpmem_range_err_str(VPMEM_RANGE_EMPTY),
			   "empty range");
	KUNIT_EXPECT_STRNEQ(test, vpmem_range_err_str(VPMEM_RANGE_WRAPS),
			    vpmem_range_err_str(VPMEM_RANGE_UNALIGNED));
}

/* ---- latency statistics ---- */

static void vpmem_histogram_buckets(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vpmem_hist_bucket(0), 0U);
	KUNIT_EXPECT_EQ(test, vpmem_hist_bucket(15999), 0U);
	KUNIT_EXPECT_EQ(test, vpmem_hist_bucket(16000), 1U);
	KUNIT_EXPECT_EQ(test, vpmem_hist_bucket(31999), 1U);
	KUNIT_EXPECT_EQ(test, vpmem_hist_bucket(32000), 2U);
	KUNIT_EXPECT_EQ(test, vpmem_hist_bucket(1000000), 6U);	/* 1 ms */
	KUNIT_EXPECT_EQ(test, vpmem_hist_bucket(U64_MAX),
			(unsigned int)VPMEM_HIST_BUCKETS - 1);
	KUNIT_EXPECT_EQ(test, vpmem_hist_bucket_limit_us(0), 16ULL);
	KUNIT_EXPECT_EQ(test, vpmem_hist_bucket_limit_us(6), 1024ULL);
	KUNIT_EXPECT_EQ(test, vpmem_hist_bucket_limit_us(VPMEM_HIST_BUCKETS - 1),
			0ULL);
}

static void vpmem_stats_accounting(struct kunit *test)
{
	struct vpmem_stats st = {};

	vpmem_stats_account(&st, 50000, 3, 0);
	vpmem_stats_account(&st, 20000, 1, -EIO);
	/* A request that never reached the device has no latency. */
	vpmem_stats_account(&st, 0, 2, -EIO);
	KUNIT_EXPECT_EQ(test, st.callers, 6ULL);
	KUNIT_EXPECT_EQ(test, st.errors, 2ULL);
	KUNIT_EXPECT_EQ(test, st.last_latency_ns, 20000ULL);
	KUNIT_EXPECT_EQ(test, st.max_latency_ns, 50000ULL);
	KUNIT_EXPECT_EQ(test, st.hist[vpmem_hist_bucket(50000)], 1ULL);
	KUNIT_EXPECT_EQ(test, st.hist[vpmem_hist_bucket(20000)], 1ULL);
	KUNIT_EXPECT_EQ(test, st.hist[0], 0ULL);
}

static struct kunit_case vpmem_coalesce_cases[] = {
	KUNIT_CASE(vpmem_co_idle_caller_sends),
	KUNIT_CASE(vpmem_co_batches_late_callers),
	KUNIT_CASE(vpmem_co_error_reaches_its_generation),
	KUNIT_CASE(vpmem_co_bios_complete_with_status),
	KUNIT_CASE(vpmem_co_fail_all_releases_everyone),
	KUNIT_CASE(vpmem_co_concurrent_callers),
	{}
};

static struct kunit_suite vpmem_coalesce_suite = {
	.name = "vpmem_coalesce",
	.test_cases = vpmem_coalesce_cases,
};

static struct kunit_case vpmem_logic_cases[] = {
	KUNIT_CASE(vpmem_resp_decoding),
	KUNIT_CASE(vpmem_resp_verdicts),
	KUNIT_CASE(vpmem_watchdog_periods),
	KUNIT_CASE(vpmem_abandon_ages),
	KUNIT_CASE(vpmem_atomic_waits),
	KUNIT_CASE(vpmem_feature_validation),
	KUNIT_CASE(vpmem_range_validation),
	KUNIT_CASE(vpmem_histogram_buckets),
	KUNIT_CASE(vpmem_stats_accounting),
	{}
};

static struct kunit_suite vpmem_logic_suite = {
	.name = "vpmem_logic",
	.test_cases = vpmem_logic_cases,
};

kunit_test_suites(&vpmem_coalesce_suite, &vpmem_logic_suite);

GUESTMEM_IMPORT_KUNIT_NS();
MODULE_DESCRIPTION("KUnit tests of the virtio-pmem flush logic");
MODULE_LICENSE("GPL");
