// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-pmem response decoding, range validation and flush statistics.
 */
#include <linux/errno.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <guestmem/virtio_pmem_defs.h>
#include <kunit/visibility.h>
#include <linux/module.h>
#include "vpmem_logic.h"

/**
 * vpmem_resp_check() - judge a flush response
 * @ret: the device's le32 ret field, already in CPU order
 * @used_len: bytes the device reports having written into the response
 *
 * The spec says 0 is success and -1 failure; QEMU, Cloud Hypervisor and
 * crosvm answer 1 on failure, Firecracker -1.  Anything but 0 is a failed
 * flush, and so is a response the device did not fill in (used length
 * below the 4 bytes of the response: ret is then our own poison value or
 * a mix of it).  A used length above the buffer size is a device bug
 * the ring does not catch; ret was still written, so it is accepted.
 *
 * Return: the verdict, see &enum vpmem_resp_verdict.
 */
enum vpmem_resp_verdict vpmem_resp_check(u32 ret, unsigned int used_len)
{
	if (used_len < VPMEM_RESP_LEN)
		return VPMEM_RESP_SHORT;
	if (ret)
		return VPMEM_RESP_FAILED;
	if (used_len > VPMEM_RESP_LEN)
		return VPMEM_RESP_OK_LONG;
	return VPMEM_RESP_OK;
}
EXPORT_SYMBOL_IF_KUNIT(vpmem_resp_check);

/**
 * vpmem_resp_to_errno() - decode a flush response
 * @ret: as for vpmem_resp_check()
 * @used_len: as for vpmem_resp_check()
 *
 * Return: 0 or -EIO.
 */
int vpmem_resp_to_errno(u32 ret, unsigned int used_len)
{
	switch (vpmem_resp_check(ret, used_len)) {
	case VPMEM_RESP_OK:
	case VPMEM_RESP_OK_LONG:
		return 0;
	case VPMEM_RESP_SHORT:
	case VPMEM_RESP_FAILED:
		break;
	}
	return -EIO;
}
EXPORT_SYMBOL_IF_KUNIT(vpmem_resp_to_errno);

/**
 * vpmem_watchdog_period_ms() - how often the watchdog looks at a request
 * @warn_ms: the flush_warn_ms parameter (0: never warn)
 * @timeout_ms: the flush_timeout_ms parameter (0: never time out)
 *
 * Return: the period in ms: %VPMEM_POLL_MS, or less when a warning or
 * timeout is due sooner.  Never 0, so a broken queue is always noticed.
 */
unsigned int vpmem_watchdog_period_ms(unsigned int warn_ms,
				      unsigned int timeout_ms)
{
	unsigned int ms = VPMEM_POLL_MS;

	if (warn_ms && warn_ms < ms)
		ms = warn_ms;
	if (timeout_ms && timeout_ms < ms)
		ms = timeout_ms;
	return ms;
}
EXPORT_SYMBOL_IF_KUNIT(vpmem_watchdog_period_ms);

/**
 * vpmem_abandon_after_ms() - age at which an unanswered request fails
 * @timeout_ms: the flush_timeout_ms parameter (0: wait for ever)
 * @removing: the device is being removed
 *
 * Removal must not wait for ever for a host that does not answer: the
 * last flushes of nd_pmem run inside nvdimm_bus_unregister().
 *
 * Return: the age in ms, 0 for never.
 */
unsigned int vpmem_abandon_after_ms(unsigned int timeout_ms, bool removing)
{
	if (!removing)
		return timeout_ms;
	if (!timeout_ms || timeout_ms > VPMEM_REMOVE_WAIT_MS)
		return VPMEM_REMOVE_WAIT_MS;
	return timeout_ms;
}
EXPORT_SYMBOL_IF_KUNIT(vpmem_abandon_after_ms);

/**
 * vpmem_atomic_wait_ms() - how long a caller that cannot sleep polls
 * @timeout_ms: the flush_timeout_ms parameter (0: wait for ever)
 *
 * Such a caller holds its CPU: it never waits for ever, nor longer than
 * a sleeping caller would.
 *
 * Return: the time in ms after which its request is abandoned.
 */
unsigned int vpmem_atomic_wait_ms(unsigned int timeout_ms)
{
	if (!timeout_ms || timeout_ms > VPMEM_ATOMIC_WAIT_MS)
		return VPMEM_ATOMIC_WAIT_MS;
	return timeout_ms;
}
EXPORT_SYMBOL_IF_KUNIT(vpmem_atomic_wait_ms);

/**
 * vpmem_validate_features() - features to keep after validation
 * @features: feature bits negotiated so far
 * @shm_region_present: the device exposes shared memory region 0
 *
 * SHMEM_REGION without region 0 would leave us without a range: drop the
 * feature so the range is read from config space (upstream since 6.8).
 *
 * Return: @features, possibly without VIRTIO_PMEM_F_SHMEM_REGION.
 */
u64 vpmem_validate_features(u64 features, bool shm_region_present)
{
	if (!shm_region_present)
		features &= ~BIT_ULL(VIRTIO_PMEM_F_SHMEM_REGION);
	return features;
}
EXPORT_SYMBOL_GPL(vpmem_validate_features);

/**
 * vpmem_range_check() - validate the range a device describes
 * @start: guest physical address of the first byte
 * @size: length in bytes
 * @align: required alignment of @start and @size (a power of two)
 *
 * Return: %VPMEM_RANGE_OK or the first problem found.
 */
enum vpmem_range_err vpmem_range_check(u64 start, u64 size, u64 align)
{
	if (!size)
		return VPMEM_RANGE_EMPTY;
	if (start + size - 1 < start)
		return VPMEM_RANGE_WRAPS;
	if ((start | size) & (align - 1))
		return VPMEM_RANGE_UNALIGNED;
	return VPMEM_RANGE_OK;
}
EXPORT_SYMBOL_GPL(vpmem_range_check);

/**
 * vpmem_range_err_str() - human readable reason for a range error
 * @err: result of vpmem_range_check()
 *
 * Return: a static string.
 */
const char *vpmem_range_err_str(enum vpmem_range_err err)
{
	switch (err) {
	case VPMEM_RANGE_OK:
		return "ok";
	case VPMEM_RANGE_EMPTY:
		return "empty range";
	case VPMEM_RANGE_WRAPS:
		return "range wraps around the address space";
	case VPMEM_RANGE_UNALIGNED:
		return "range not page aligned";
	}
	return "unknown";
}
EXPORT_SYMBOL_GPL(vpmem_range_err_str);

/**
 * vpmem_hist_bucket() - histogram bucket of a round-trip time
 * @ns: latency in nanoseconds
 *
 * Bucket 0 holds latencies below 16 us; bucket i (0 < i < last) holds
 * [2^(i+3), 2^(i+4)) us; the last bucket holds everything slower.
 *
 * Return: bucket index, < %VPMEM_HIST_BUCKETS.
 */
unsigned int vpmem_hist_bucket(u64 ns)
{
	u64 us = div_u64(ns, NSEC_PER_USEC);
	unsigned int b;

	if (us < 16)
		return 0;
	b = ilog2(us) - 3;
	return min_t(unsigned int, b, VPMEM_HIST_BUCKETS - 1);
}
EXPORT_SYMBOL_IF_KUNIT(vpmem_hist_bucket);

/**
 * vpmem_hist_bucket_limit_us() - exclusive upper bound of a bucket
 * @bucket: bucket index
 *
 * Return: the bound in microseconds, or 0 for the open-ended last bucket.
 */
u64 vpmem_hist_bucket_limit_us(unsigned int bucket)
{
	if (bucket >= VPMEM_HIST_BUCKETS - 1)
		return 0;
	return 16ULL << bucket;
}
EXPORT_SYMBOL_IF_KUNIT(vpmem_hist_bucket_limit_us);

/**
 * vpmem_stats_account() - account one finished request
 * @st: statistics (owner's lock held)
 * @ns: its round-trip time, 0 if it never reached the device
 * @served: callers it served
 * @err: its result
 */
void vpmem_stats_account(struct vpmem_stats *st, u64 ns, unsigned int served,
			 int err)
{
	st->callers += served;
	if (err)
		st->errors++;
	if (!ns)
		return;
	st->last_latency_ns = ns;
	if (ns > st->max_latency_ns)
		st->max_latency_ns = ns;
	st->hist[vpmem_hist_bucket(ns)]++;
}
EXPORT_SYMBOL_IF_KUNIT(vpmem_stats_account);
