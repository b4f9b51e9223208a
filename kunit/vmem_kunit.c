// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the device-independent virtio-mem logic: request
 * encoding and splitting, response validation and mapping, config
 * validation and refresh clamps, the worker's retry policy, SBM/BBM geometry,
 * sub-block bookkeeping, block states, plug/unplug selection order and
 * the retry backoff.
 *
 * The logic lives in virtio_mem.ko, which exports it to this module only
 * when the kernel has KUnit (EXPORT_SYMBOL_IF_KUNIT); no device needed.
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/kernel.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/string.h>

#include <guestmem/compat.h>
#include <guestmem/virtio_mem_defs.h>
#include "../drivers/virtio/vmem_logic.h"

/* ==== vmem_protocol: requests, responses, config, backoff ==== */

/* Byte offsets of struct virtio_mem_req on the wire (virtio spec 5.15.6). */
#define REQ_TYPE	0
#define REQ_ADDR	8
#define REQ_NB		16
#define REQ_SIZE	24

/* Little-endian field of @len bytes at @off of a request, byte by byte. */
static u64 req_field(const struct virtio_mem_req *req, size_t off, size_t len)
{
	const u8 *b = (const u8 *)req + off;
	u64 v = 0;

	while (len--)
		v = (v << 8) | b[len];
	return v;
}

static u16 req_type(const struct virtio_mem_req *req)
{
	return req_field(req, REQ_TYPE, 2);
}

static u64 req_addr(const struct virtio_mem_req *req)
{
	return req_field(req, REQ_ADDR, 8);
}

static u16 req_nb(const struct virtio_mem_req *req)
{
	return req_field(req, REQ_NB, 2);
}

/* KUNIT_EXPECT_MEMEQ() appeared in 6.2: compare and dump both (<= 64 B). */
static void vmem_expect_bytes(struct kunit *test, const char *what,
			      const void *got, const void *want, size_t len)
{
	KUNIT_EXPECT_EQ_MSG(test, memcmp(got, want, len), 0,
			    "%s: got %*ph want %*ph", what, (int)len, got,
			    (int)len, want);
}

/* The structure has the wire layout the encoder relies on. */
static void vmem_req_struct_layout(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, sizeof(struct virtio_mem_req), (size_t)REQ_SIZE);
	KUNIT_EXPECT_EQ(test, offsetof(struct virtio_mem_req, type),
			(size_t)REQ_TYPE);
	KUNIT_EXPECT_EQ(test, offsetof(struct virtio_mem_req, u.plug.addr),
			(size_t)REQ_ADDR);
	KUNIT_EXPECT_EQ(test, offsetof(struct virtio_mem_req, u.plug.nb_blocks),
			(size_t)REQ_NB);
	KUNIT_EXPECT_EQ(test, offsetof(struct virtio_mem_req, u.unplug.addr),
			(size_t)REQ_ADDR);
	KUNIT_EXPECT_EQ(test, offsetof(struct virtio_mem_req, u.state.nb_blocks),
			(size_t)REQ_NB);
}

/* Every byte of an encoded request: little endian, padding zeroed. */
static void vmem_req_encode_bytes(struct kunit *test)
{
	static const u8 want[REQ_SIZE] = {
		0x03, 0x00, 0, 0, 0, 0, 0, 0,			/* type STATE */
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,	/* addr */
		0x34, 0x12, 0, 0, 0, 0, 0, 0,			/* nb_blocks */
	};
	struct virtio_mem_req req;

	memset(&req, 0xff, sizeof(req));	/* stale bytes must be cleared */
	KUNIT_ASSERT_EQ(test, vmem_req_encode(&req, VIRTIO_MEM_REQ_STATE,
					      0x0102030405060708ULL, 0x1234), 0);
	vmem_expect_bytes(test, "request", &req, want, sizeof(want));
}

/* PLUG, UNPLUG and STATE carry type, addr and nb_blocks. */
static void vmem_req_encode_ranged_types(struct kunit *test)
{
	static const u16 types[] = {
		VIRTIO_MEM_REQ_PLUG, VIRTIO_MEM_REQ_UNPLUG, VIRTIO_MEM_REQ_STATE,
	};
	struct virtio_mem_req req;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		memset(&req, 0xaa, sizeof(req));
		KUNIT_EXPECT_EQ(test, vmem_req_encode(&req, types[i],
						      0x140200000ULL, 64), 0);
		KUNIT_EXPECT_EQ(test, req_type(&req), types[i]);
		KUNIT_EXPECT_EQ(test, req_addr(&req), 0x140200000ULL);
		KUNIT_EXPECT_EQ(test, req_nb(&req), (u16)64);
		/* the largest range one request can carry */
		KUNIT_EXPECT_EQ(test, vmem_req_encode(&req, types[i], 0,
						      VMEM_MAX_NB_BLOCKS), 0);
		KUNIT_EXPECT_EQ(test, req_nb(&req), (u16)65535);
	}
}

/* UNPLUG_ALL has no range: addr and nb_blocks are ignored and zero. */
static void vmem_req_encode_unplug_all(struct kunit *test)
{
	static const u8 zero[REQ_SIZE - 2];
	struct virtio_mem_req req;

	memset(&req, 0xff, sizeof(req));
	KUNIT_EXPECT_EQ(test, vmem_req_encode(&req, VIRTIO_MEM_REQ_UNPLUG_ALL,
					      0x140200000ULL, 0), 0);
	KUNIT_EXPECT_EQ(test, req_type(&req), (u16)VIRTIO_MEM_REQ_UNPLUG_ALL);
	vmem_expect_bytes(test, "after type", (u8 *)&req + 2, zero,
			  sizeof(zero));

	memset(&req, 0xff, sizeof(req));
	KUNIT_EXPECT_EQ(test, vmem_req_encode(&req, VIRTIO_MEM_REQ_UNPLUG_ALL,
					      0x1000, 1000000), 0);
	vmem_expect_bytes(test, "after type", (u8 *)&req + 2, zero,
			  sizeof(zero));
}

/* Empty ranges, ranges too long for le16 and unknown types are refused. */
static void vmem_req_encode_errors(struct kunit *test)
{
	static const u16 types[] = {
		VIRTIO_MEM_REQ_PLUG, VIRTIO_MEM_REQ_UNPLUG, VIRTIO_MEM_REQ_STATE,
	};
	struct virtio_mem_req req;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		KUNIT_EXPECT_EQ(test, vmem_req_encode(&req, types[i], 0, 0),
				-EINVAL);
		KUNIT_EXPECT_EQ(test, vmem_req_encode(&req, types[i], 0, 65536),
				-E2BIG);
		KUNIT_EXPECT_EQ(test, vmem_req_encode(&req, types[i], 0,
						      U64_MAX), -E2BIG);
		/* 0x10001 must not be truncated to a valid 1 */
		KUNIT_EXPECT_EQ(test, vmem_req_encode(&req, types[i], 0,
						      0x10001), -E2BIG);
	}
	KUNIT_EXPECT_EQ(test, vmem_req_encode(&req, 4, 0, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, vmem_req_encode(&req, U16_MAX, 0, 1), -EINVAL);
}

/*
 * 4 requests x 4 responses, plus a response the spec does not define:
 * an answer the protocol does not have for a request is -EBADMSG
 * (handled like ERROR), never the -EIO that marked the device broken.
 */
static void vmem_resp_errno_table(struct kunit *test)
{
	static const struct {
		u16 req, resp;
		int err;
	} t[] = {
		{ VIRTIO_MEM_REQ_PLUG, VIRTIO_MEM_RESP_ACK, 0 },
		{ VIRTIO_MEM_REQ_PLUG, VIRTIO_MEM_RESP_NACK, -EAGAIN },
		{ VIRTIO_MEM_REQ_PLUG, VIRTIO_MEM_RESP_BUSY, -ETXTBSY },
		{ VIRTIO_MEM_REQ_PLUG, VIRTIO_MEM_RESP_ERROR, -EREMOTEIO },
		{ VIRTIO_MEM_REQ_PLUG, 4, -EBADMSG },
		{ VIRTIO_MEM_REQ_UNPLUG, VIRTIO_MEM_RESP_ACK, 0 },
		{ VIRTIO_MEM_REQ_UNPLUG, VIRTIO_MEM_RESP_NACK, -EBADMSG },
		{ VIRTIO_MEM_REQ_UNPLUG, VIRTIO_MEM_RESP_BUSY, -ETXTBSY },
		{ VIRTIO_MEM_REQ_UNPLUG, VIRTIO_MEM_RESP_ERROR, -EREMOTEIO },
		{ VIRTIO_MEM_REQ_UNPLUG, U16_MAX, -EBADMSG },
		{ VIRTIO_MEM_REQ_UNPLUG_ALL, VIRTIO_MEM_RESP_ACK, 0 },
		{ VIRTIO_MEM_REQ_UNPLUG_ALL, VIRTIO_MEM_RESP_NACK, -EBADMSG },
		{ VIRTIO_MEM_REQ_UNPLUG_ALL, VIRTIO_MEM_RESP_BUSY, -ETXTBSY },
		{ VIRTIO_MEM_REQ_UNPLUG_ALL, VIRTIO_MEM_RESP_ERROR, -EREMOTEIO },
		{ VIRTIO_MEM_REQ_UNPLUG_ALL, 4, -EBADMSG },
		{ VIRTIO_MEM_REQ_STATE, VIRTIO_MEM_RESP_ACK, 0 },
		{ VIRTIO_MEM_REQ_STATE, VIRTIO_MEM_RESP_NACK, -EBADMSG },
		{ VIRTIO_MEM_REQ_STATE, VIRTIO_MEM_RESP_BUSY, -ETXTBSY },
		{ VIRTIO_MEM_REQ_STATE, VIRTIO_MEM_RESP_ERROR, -EREMOTEIO },
		{ VIRTIO_MEM_REQ_STATE, 4, -EBADMSG },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t); i++)
		KUNIT_EXPECT_EQ_MSG(test, vmem_resp_errno(t[i].req, t[i].resp),
				    t[i].err, "request %u response %u",
				    t[i].req, t[i].resp);
}

/* Names for traces and logs, "unknown" outside the spec. */
static void vmem_req_resp_names(struct kunit *test)
{
	KUNIT_EXPECT_STREQ(test, vmem_req_name(VIRTIO_MEM_REQ_PLUG), "plug");
	KUNIT_EXPECT_STREQ(test, vmem_req_name(VIRTIO_MEM_REQ_UNPLUG), "unplug");
	KUNIT_EXPECT_STREQ(test, vmem_req_name(VIRTIO_MEM_REQ_UNPLUG_ALL),
			   "unplug_all");
	KUNIT_EXPECT_STREQ(test, vmem_req_name(VIRTIO_MEM_REQ_STATE), "state");
	KUNIT_EXPECT_STREQ(test, vmem_req_name(4), "unknown");
	KUNIT_EXPECT_STREQ(test, vmem_req_name(U16_MAX), "unknown");

	KUNIT_EXPECT_STREQ(test, vmem_resp_name(VIRTIO_MEM_RESP_ACK), "ack");
	KUNIT_EXPECT_STREQ(test, vmem_resp_name(VIRTIO_MEM_RESP_NACK), "nack");
	KUNIT_EXPECT_STREQ(test, vmem_resp_name(VIRTIO_MEM_RESP_BUSY), "busy");
	KUNIT_EXPECT_STREQ(test, vmem_resp_name(VIRTIO_MEM_RESP_ERROR), "error");
	KUNIT_EXPECT_STREQ(test, vmem_resp_name(4), "unknown");
	KUNIT_EXPECT_STREQ(test, vmem_resp_name(U16_MAX), "unknown");
}

/* What QEMU offers for -device virtio-mem-pci,block-size=2M (8 GiB). */
static const struct vmem_cfg vmem_qemu_cfg = {
	.block_size = SZ_2M,
	.addr = 5ULL * SZ_1G,
	.region_size = 8ULL * SZ_1G,
	.usable_region_size = SZ_1G + SZ_256M,
	.plugged_size = 0,
	.requested_size = SZ_1G,
};

static void vmem_cfg_valid_qemu(struct kunit *test)
{
	const char *why = NULL;

	KUNIT_EXPECT_EQ(test, vmem_cfg_validate(&vmem_qemu_cfg, &why), 0);
}

/*
 * Firecracker answers UNPLUG_ALL by shrinking usable_region_size to 0
 * while requested_size may still be positive: that is a state to wait
 * out, not a broken device.
 */
static void vmem_cfg_requested_above_usable_ok(struct kunit *test)
{
	struct vmem_cfg cfg = vmem_qemu_cfg;
	const char *why = NULL;

	cfg.usable_region_size = 0;
	cfg.requested_size = SZ_1G;
	KUNIT_EXPECT_EQ(test, vmem_cfg_validate(&cfg, &why), 0);

	cfg.usable_region_size = SZ_512M;
	cfg.requested_size = 2ULL * SZ_1G;
	cfg.plugged_size = SZ_512M;
	KUNIT_EXPECT_EQ(test, vmem_cfg_validate(&cfg, &why), 0);

	/* everything at the region size is still valid */
	cfg.usable_region_size = cfg.region_size;
	cfg.plugged_size = cfg.region_size;
	cfg.requested_size = cfg.region_size;
	KUNIT_EXPECT_EQ(test, vmem_cfg_validate(&cfg, &why), 0);
}

/* One defect each on top of vmem_qemu_cfg: refused with a reason. */
struct vmem_cfg_defect {
	const char *name;
	void (*apply)(struct vmem_cfg *cfg);
};

static void bs_zero(struct vmem_cfg *c)
{
	c->block_size = 0;
}

static void bs_3m(struct vmem_cfg *c)
{
	c->block_size = 3 * SZ_1M;
}

static void bs_below_page(struct vmem_cfg *c)
{
	c->block_size = PAGE_SIZE / 2;
}

static void addr_misaligned(struct vmem_cfg *c)
{
	c->addr += SZ_1M;
}

static void region_zero(struct vmem_cfg *c)
{
	c->region_size = 0;
}

static void region_misaligned(struct vmem_cfg *c)
{
	c->region_size += SZ_1M;
}

static void region_wraps(struct vmem_cfg *c)
{
	c->addr = 0ULL - SZ_4M;
}

static void usable_above_region(struct vmem_cfg *c)
{
	c->usable_region_size = c->region_size + SZ_2M;
}

static void plugged_above_region(struct vmem_cfg *c)
{
	c->usable_region_size = c->region_size;
	c->plugged_size = c->region_size + SZ_2M;
}

static void requested_above_region(struct vmem_cfg *c)
{
	c->requested_size = c->region_size + SZ_2M;
}

static void usable_misaligned(struct vmem_cfg *c)
{
	c->usable_region_size += SZ_4K;
}

static void plugged_misaligned(struct vmem_cfg *c)
{
	c->plugged_size = SZ_1M;
}

static void requested_misaligned(struct vmem_cfg *c)
{
	c->requested_size += SZ_1M;
}

static const struct vmem_cfg_defect vmem_cfg_defects[] = {
	{ "block size 0", bs_zero },
	{ "block size 3 MiB", bs_3m },
	{ "block size below PAGE_SIZE", bs_below_page },
	{ "addr not block aligned", addr_misaligned },
	{ "region size 0", region_zero },
	{ "region size not block aligned", region_misaligned },
	{ "region wraps around", region_wraps },
	{ "usable > region", usable_above_region },
	{ "plugged > region", plugged_above_region },
	{ "requested > region", requested_above_region },
	{ "usable not block aligned", usable_misaligned },
	{ "plugged not block aligned", plugged_misaligned },
	{ "requested not block aligned", requested_misaligned },
};

static void vmem_cfg_defect_desc(const struct vmem_cfg_defect *d, char *desc)
{
	strscpy(desc, d->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vmem_cfg_defect, vmem_cfg_defects, vmem_cfg_defect_desc);

static void vmem_cfg_defect_refused(struct kunit *test)
{
	const struct vmem_cfg_defect *d = test->param_value;
	struct vmem_cfg cfg = vmem_qemu_cfg;
	const char *why = NULL;

	d->apply(&cfg);
	KUNIT_EXPECT_EQ(test, vmem_cfg_validate(&cfg, &why), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, why);
	if (why)
		kunit_info(test, "%s: %s\n", d->name, why);
}

/* ---- hostile answers: split, response validation, STATE adoption ---- */

/* More than 65535 device blocks go out as several requests, no overflow. */
static void vmem_req_chunk_split(struct kunit *test)
{
	static const u64 bss[] = { SZ_4K, SZ_2M, SZ_1G, BIT_ULL(50) };
	u64 bs, nb, size, left, chunk, sum;
	unsigned int i, n;

	for (i = 0; i < ARRAY_SIZE(bss); i++) {
		bs = bss[i];
		KUNIT_EXPECT_EQ(test, vmem_req_chunk(bs, bs), bs);
		if (bs <= div64_u64(U64_MAX, 65536)) {
			KUNIT_EXPECT_EQ(test, vmem_req_chunk(65535 * bs, bs),
					65535 * bs);
			KUNIT_EXPECT_EQ(test, vmem_req_chunk(65536 * bs, bs),
					65535 * bs);
		}
		KUNIT_EXPECT_EQ(test, vmem_req_chunk(bs - 1, bs), 0ULL);
		/* 3 full requests and one of 7 blocks; never over 65535 */
		nb = min_t(u64, 3ULL * 65535 + 7, div64_u64(U64_MAX, bs));
		size = nb * bs;
		for (left = size, sum = 0, n = 0; left; left -= chunk, n++) {
			chunk = vmem_req_chunk(left, bs);
			KUNIT_ASSERT_GT(test, chunk, 0ULL);
			KUNIT_EXPECT_LE(test, div64_u64(chunk, bs), 65535ULL);
			sum += chunk;
			if (n > 70000)
				break;
		}
		KUNIT_EXPECT_EQ(test, sum, size);
		KUNIT_EXPECT_EQ(test, n, (unsigned int)DIV_ROUND_UP_ULL(nb, 65535));
	}
	/* a whole region of 2^50-byte blocks: the product must not wrap */
	KUNIT_EXPECT_EQ(test, vmem_req_chunk(U64_MAX, BIT_ULL(50)),
			div64_u64(U64_MAX, BIT_ULL(50)) * BIT_ULL(50));
}

/* A response buffer with one answer; the rest as @fill left it. */
static void vmem_fill_resp(struct virtio_mem_resp *r, u8 fill, u16 type,
			   u16 state)
{
	memset(r, fill, sizeof(*r));
	r->type = (__force __virtio16)cpu_to_le16(type);
	r->u.state.state = (__force __virtio16)cpu_to_le16(state);
}

struct vmem_parse_case {
	const char *name;
	u16 req, type, state;
	u32 len;
	int rc;
	u16 want_state;
};

static const struct vmem_parse_case vmem_parse_cases[] = {
	{ "plug ack, full length", VIRTIO_MEM_REQ_PLUG, VIRTIO_MEM_RESP_ACK, 0, 10, 0 },
	{ "plug ack, type only", VIRTIO_MEM_REQ_PLUG, VIRTIO_MEM_RESP_ACK, 0, 2, 0 },
	{ "plug, used length 0", VIRTIO_MEM_REQ_PLUG, VIRTIO_MEM_RESP_ACK, 0, 0, -EBADMSG },
	{ "plug, used length 1", VIRTIO_MEM_REQ_PLUG, VIRTIO_MEM_RESP_ACK, 0, 1, -EBADMSG },
	{ "plug, used length 11", VIRTIO_MEM_REQ_PLUG, VIRTIO_MEM_RESP_ACK, 0, 11, -EBADMSG },
	{ "plug, used length 4096", VIRTIO_MEM_REQ_PLUG, VIRTIO_MEM_RESP_ACK, 0, 4096, -EBADMSG },
	{ "plug, type 4", VIRTIO_MEM_REQ_PLUG, 4, 0, 10, -EBADMSG },
	{ "unplug, type 0xffff", VIRTIO_MEM_REQ_UNPLUG, U16_MAX, 0, 10, -EBADMSG },
	{ "unplug nack (errno decides)", VIRTIO_MEM_REQ_UNPLUG, VIRTIO_MEM_RESP_NACK, 0, 2, 0 },
	{ "unplug_all busy", VIRTIO_MEM_REQ_UNPLUG_ALL, VIRTIO_MEM_RESP_BUSY, 0, 10, 0 },
	{ "state ack plugged", VIRTIO_MEM_REQ_STATE, VIRTIO_MEM_RESP_ACK,
	  VIRTIO_MEM_STATE_PLUGGED, 10, 0, VIRTIO_MEM_STATE_PLUGGED },
	{ "state ack mixed", VIRTIO_MEM_REQ_STATE, VIRTIO_MEM_RESP_ACK,
	  VIRTIO_MEM_STATE_MIXED, 10, 0, VIRTIO_MEM_STATE_MIXED },
	{ "state ack, length without state", VIRTIO_MEM_REQ_STATE,
	  VIRTIO_MEM_RESP_ACK, VIRTIO_MEM_STATE_PLUGGED, 9, -EBADMSG },
	{ "state ack, type only", VIRTIO_MEM_REQ_STATE, VIRTIO_MEM_RESP_ACK,
	  VIRTIO_MEM_STATE_PLUGGED, 2, -EBADMSG },
	{ "state ack, state 3", VIRTIO_MEM_REQ_STATE, VIRTIO_MEM_RESP_ACK, 3, 10, -EBADMSG },
	{ "state error, no state needed", VIRTIO_MEM_REQ_STATE,
	  VIRTIO_MEM_RESP_ERROR, 0xdead, 2, 0 },
};

static void vmem_parse_case_desc(const struct vmem_parse_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vmem_parse, vmem_parse_cases, vmem_parse_case_desc);

/* Used length, type and state are checked before anything is used. */
static void vmem_resp_parse_checks(struct kunit *test)
{
	const struct vmem_parse_case *c = test->param_value;
	struct virtio_mem_resp r;
	const char *why = NULL;
	u16 type = 0x5555, state = 0x5555;
	int rc;

	vmem_fill_resp(&r, 0, c->type, c->state);
	rc = vmem_resp_parse(c->req, &r, c->len, &type, &state, &why);
	KUNIT_EXPECT_EQ(test, rc, c->rc);
	if (rc) {
		KUNIT_EXPECT_NOT_NULL(test, why);
		return;
	}
	KUNIT_EXPECT_EQ(test, type, c->type);
	if (c->req == VIRTIO_MEM_REQ_STATE && c->type == VIRTIO_MEM_RESP_ACK)
		KUNIT_EXPECT_EQ(test, state, c->want_state);
	else
		KUNIT_EXPECT_EQ(test, state, (u16)0x5555);
}

/*
 * A short reply must never replay the previous answer: the buffer still
 * holds an ACK (an old plug) or a PLUGGED state (kdump) and the device
 * writes nothing or one byte.
 */
static void vmem_resp_parse_no_replay(struct kunit *test)
{
	struct virtio_mem_resp r;
	const char *why;
	u16 type, state;
	u32 len;

	for (len = 0; len < 2; len++) {
		vmem_fill_resp(&r, 0, VIRTIO_MEM_RESP_ACK,
			       VIRTIO_MEM_STATE_PLUGGED);
		KUNIT_EXPECT_EQ(test, vmem_resp_parse(VIRTIO_MEM_REQ_PLUG, &r,
						      len, &type, NULL, &why),
				-EBADMSG);
		KUNIT_EXPECT_EQ(test, vmem_resp_parse(VIRTIO_MEM_REQ_STATE, &r,
						      len, &type, &state, &why),
				-EBADMSG);
	}
	/* the reset pattern is no answer either, whatever the length says */
	memset(&r, 0xff, sizeof(r));
	KUNIT_EXPECT_EQ(test, vmem_resp_parse(VIRTIO_MEM_REQ_PLUG, &r,
					      sizeof(r), &type, NULL, &why),
			-EBADMSG);
}

/* Only a STATE in the requested direction turns a bad answer into done. */
static void vmem_state_adoption(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, vmem_state_shows_done(VIRTIO_MEM_REQ_PLUG,
						      VIRTIO_MEM_STATE_PLUGGED));
	KUNIT_EXPECT_FALSE(test, vmem_state_shows_done(VIRTIO_MEM_REQ_PLUG,
						       VIRTIO_MEM_STATE_UNPLUGGED));
	KUNIT_EXPECT_FALSE(test, vmem_state_shows_done(VIRTIO_MEM_REQ_PLUG,
						       VIRTIO_MEM_STATE_MIXED));
	KUNIT_EXPECT_TRUE(test, vmem_state_shows_done(VIRTIO_MEM_REQ_UNPLUG,
						      VIRTIO_MEM_STATE_UNPLUGGED));
	KUNIT_EXPECT_FALSE(test, vmem_state_shows_done(VIRTIO_MEM_REQ_UNPLUG,
						       VIRTIO_MEM_STATE_PLUGGED));
	KUNIT_EXPECT_FALSE(test, vmem_state_shows_done(VIRTIO_MEM_REQ_UNPLUG,
						       -EBADMSG));
	KUNIT_EXPECT_FALSE(test, vmem_state_shows_done(VIRTIO_MEM_REQ_UNPLUG_ALL,
						       VIRTIO_MEM_STATE_UNPLUGGED));
	KUNIT_EXPECT_FALSE(test, vmem_state_shows_done(VIRTIO_MEM_REQ_STATE,
						       VIRTIO_MEM_STATE_PLUGGED));
}

/* ---- config refresh clamps and the plugged count ---- */

/* The driver's view after probe: 1 GiB plugged of QEMU's region. */
static struct vmem_cfg vmem_cur_cfg(void)
{
	struct vmem_cfg c = vmem_qemu_cfg;

	c.plugged_size = SZ_1G;
	c.requested_size = SZ_1G;
	c.usable_region_size = SZ_1G + SZ_256M;
	return c;
}

static void vmem_cfg_refresh_clean(struct kunit *test)
{
	struct vmem_cfg cur = vmem_cur_cfg(), dev = cur;

	dev.requested_size = SZ_1G + SZ_128M;
	KUNIT_EXPECT_EQ(test, vmem_cfg_refresh(&cur, &dev), 0U);
	KUNIT_EXPECT_EQ(test, cur.requested_size, (u64)SZ_1G + SZ_128M);
	KUNIT_EXPECT_EQ(test, cur.plugged_size, (u64)SZ_1G);
}

/* plugged_size beyond the region or misaligned is ignored. */
static void vmem_cfg_refresh_plugged(struct kunit *test)
{
	struct vmem_cfg cur = vmem_cur_cfg(), dev = cur;

	dev.plugged_size = cur.region_size + SZ_2M;
	KUNIT_EXPECT_EQ(test, vmem_cfg_refresh(&cur, &dev),
			(unsigned int)VMEM_CFG_PLUGGED_INVALID);
	KUNIT_EXPECT_EQ(test, cur.plugged_size, (u64)SZ_1G);

	dev.plugged_size = U64_MAX;
	KUNIT_EXPECT_EQ(test, vmem_cfg_refresh(&cur, &dev),
			(unsigned int)VMEM_CFG_PLUGGED_INVALID);
	dev.plugged_size = SZ_1M;
	KUNIT_EXPECT_EQ(test, vmem_cfg_refresh(&cur, &dev),
			(unsigned int)VMEM_CFG_PLUGGED_INVALID);
	/* plausible but different: reported, the driver's count stays */
	dev.plugged_size = SZ_512M;
	KUNIT_EXPECT_EQ(test, vmem_cfg_refresh(&cur, &dev),
			(unsigned int)VMEM_CFG_PLUGGED_MISMATCH);
	KUNIT_EXPECT_EQ(test, cur.plugged_size, (u64)SZ_1G);
}

/* requested_size is capped at the region and at the usable region. */
static void vmem_cfg_refresh_requested(struct kunit *test)
{
	struct vmem_cfg cur = vmem_cur_cfg(), dev = cur;

	dev.requested_size = cur.region_size + SZ_1G;
	KUNIT_EXPECT_EQ(test, vmem_cfg_refresh(&cur, &dev),
			(unsigned int)(VMEM_CFG_REQUESTED_INVALID |
				       VMEM_CFG_REQUESTED_ABOVE_USABLE));
	KUNIT_EXPECT_EQ(test, cur.requested_size, cur.usable_region_size);

	cur = vmem_cur_cfg();
	dev = cur;
	dev.requested_size = U64_MAX;
	vmem_cfg_refresh(&cur, &dev);
	KUNIT_EXPECT_LE(test, cur.requested_size, cur.region_size);

	cur = vmem_cur_cfg();
	dev = cur;
	dev.requested_size = SZ_512M + SZ_1M;
	KUNIT_EXPECT_EQ(test, vmem_cfg_refresh(&cur, &dev),
			(unsigned int)VMEM_CFG_REQUESTED_INVALID);
	KUNIT_EXPECT_EQ(test, cur.requested_size, (u64)SZ_512M);

	/* Firecracker after UNPLUG_ALL: usable 0, requested > 0: wait */
	cur = vmem_cur_cfg();
	cur.plugged_size = 0;
	dev = cur;
	dev.usable_region_size = 0;
	KUNIT_EXPECT_EQ(test, vmem_cfg_refresh(&cur, &dev),
			(unsigned int)VMEM_CFG_REQUESTED_ABOVE_USABLE);
	KUNIT_EXPECT_EQ(test, cur.requested_size, 0ULL);
}

/* usable_region_size: clamped; shrinking below plugged never unplugs. */
static void vmem_cfg_refresh_usable(struct kunit *test)
{
	struct vmem_cfg cur = vmem_cur_cfg(), dev = cur;

	dev.usable_region_size = cur.region_size + SZ_2M;
	KUNIT_EXPECT_EQ(test, vmem_cfg_refresh(&cur, &dev),
			(unsigned int)VMEM_CFG_USABLE_INVALID);
	KUNIT_EXPECT_EQ(test, cur.usable_region_size, cur.region_size);

	cur = vmem_cur_cfg();
	dev = cur;
	dev.usable_region_size += SZ_4K;
	KUNIT_EXPECT_EQ(test, vmem_cfg_refresh(&cur, &dev),
			(unsigned int)VMEM_CFG_USABLE_INVALID);
	KUNIT_EXPECT_EQ(test, cur.usable_region_size, (u64)SZ_1G + SZ_256M);

	/* usable 0 with 1 GiB plugged and requested: keep the 1 GiB */
	cur = vmem_cur_cfg();
	dev = cur;
	dev.usable_region_size = 0;
	KUNIT_EXPECT_EQ(test, vmem_cfg_refresh(&cur, &dev),
			(unsigned int)VMEM_CFG_USABLE_BELOW_PLUGGED);
	KUNIT_EXPECT_EQ(test, cur.requested_size, (u64)SZ_1G);
	KUNIT_EXPECT_EQ(test, cur.usable_region_size, 0ULL);
	/* ... and no growth beyond what is plugged */
	dev.requested_size = 2ULL * SZ_1G;
	vmem_cfg_refresh(&cur, &dev);
	KUNIT_EXPECT_EQ(test, cur.requested_size, (u64)SZ_1G);
	/* ... but the device may still ask for memory back */
	dev.requested_size = SZ_256M;
	vmem_cfg_refresh(&cur, &dev);
	KUNIT_EXPECT_EQ(test, cur.requested_size, (u64)SZ_256M);
}

/* The plugged count can neither wrap below 0 nor pass the region. */
static void vmem_plugged_count_clamps(struct kunit *test)
{
	const u64 region = 8ULL * SZ_1G;
	bool bad;

	KUNIT_EXPECT_EQ(test, vmem_plugged_after(SZ_1G, VIRTIO_MEM_REQ_PLUG,
						 SZ_128M, region, &bad),
			(u64)SZ_1G + SZ_128M);
	KUNIT_EXPECT_FALSE(test, bad);
	KUNIT_EXPECT_EQ(test, vmem_plugged_after(SZ_128M, VIRTIO_MEM_REQ_UNPLUG,
						 SZ_128M, region, &bad), 0ULL);
	KUNIT_EXPECT_FALSE(test, bad);
	KUNIT_EXPECT_EQ(test, vmem_plugged_after(SZ_2M, VIRTIO_MEM_REQ_UNPLUG,
						 SZ_128M, region, &bad), 0ULL);
	KUNIT_EXPECT_TRUE(test, bad);
	KUNIT_EXPECT_EQ(test, vmem_plugged_after(region - SZ_2M,
						 VIRTIO_MEM_REQ_PLUG, SZ_128M,
						 region, &bad), region);
	KUNIT_EXPECT_TRUE(test, bad);
	KUNIT_EXPECT_EQ(test, vmem_plugged_after(SZ_1G, VIRTIO_MEM_REQ_PLUG,
						 U64_MAX, region, &bad), region);
	KUNIT_EXPECT_TRUE(test, bad);
	KUNIT_EXPECT_EQ(test, vmem_plugged_after(SZ_1G,
						 VIRTIO_MEM_REQ_UNPLUG_ALL, 0,
						 region, &bad), 0ULL);
	KUNIT_EXPECT_FALSE(test, bad);
	KUNIT_EXPECT_EQ(test, vmem_plugged_after(SZ_1G, VIRTIO_MEM_REQ_STATE,
						 SZ_2M, region, &bad),
			(u64)SZ_1G);
}

/* What the worker does after a run: no spinning on NACK, bounded errors. */
static void vmem_next_step_policy(struct kunit *test)
{
	static const struct {
		int rc;
		bool cfg, progress;
		unsigned int errors;
		enum vmem_next next;
	} t[] = {
		{ 0, false, false, 0, VMEM_NEXT_IDLE },
		{ -ENOSPC, true, false, 0, VMEM_NEXT_IDLE },
		/* NACK: at once only when the config changed meanwhile */
		{ -EAGAIN, false, false, 0, VMEM_NEXT_REFRESH_LATER },
		{ -EAGAIN, true, false, 0, VMEM_NEXT_NOW },
		{ -EREMOTEIO, false, false, 1, VMEM_NEXT_REFRESH_LATER },
		{ -EREMOTEIO, false, false, VMEM_MAX_ERRORS_IN_ROW,
		  VMEM_NEXT_REFRESH_LATER },
		{ -EREMOTEIO, false, false, VMEM_MAX_ERRORS_IN_ROW + 1,
		  VMEM_NEXT_BROKEN },
		{ -EBADMSG, false, false, 1, VMEM_NEXT_REFRESH_LATER },
		{ -EBADMSG, true, false, VMEM_MAX_ERRORS_IN_ROW + 1,
		  VMEM_NEXT_BROKEN },
		{ -EBUSY, false, true, 0, VMEM_NEXT_NOW },
		{ -EBUSY, false, false, 0, VMEM_NEXT_LATER },
		{ -ETXTBSY, false, false, 0, VMEM_NEXT_LATER },
		{ -ENOMEM, false, false, 0, VMEM_NEXT_LATER },
		{ -ETIMEDOUT, false, false, 0, VMEM_NEXT_STUCK },
		{ -ETIMEDOUT, true, false, 0, VMEM_NEXT_STUCK },
		{ -ESHUTDOWN, true, false, 0, VMEM_NEXT_STOP },
		{ -EIO, false, false, 0, VMEM_NEXT_BROKEN },
		{ -EINVAL, false, false, 0, VMEM_NEXT_BROKEN },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t); i++)
		KUNIT_EXPECT_EQ_MSG(test, vmem_next_step(t[i].rc, t[i].cfg,
							 t[i].progress,
							 t[i].errors),
				    t[i].next, "rc %d config_changed %d",
				    t[i].rc, t[i].cfg);
}

/* 0 starts at VMEM_RETRY_MIN_MS, then doubles up to the cap. */
static void vmem_backoff_doubles_to_cap(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vmem_backoff_next(0, VMEM_RETRY_MAX_MS), 500U);
	KUNIT_EXPECT_EQ(test, vmem_backoff_next(500, VMEM_RETRY_MAX_MS), 1000U);
	KUNIT_EXPECT_EQ(test, vmem_backoff_next(1000, VMEM_RETRY_MAX_MS), 2000U);
	KUNIT_EXPECT_EQ(test, vmem_backoff_next(4000, VMEM_RETRY_MAX_MS), 8000U);
	KUNIT_EXPECT_EQ(test, vmem_backoff_next(6000, VMEM_RETRY_MAX_MS), 8000U);
	KUNIT_EXPECT_EQ(test, vmem_backoff_next(8000, VMEM_RETRY_MAX_MS), 8000U);
	KUNIT_EXPECT_EQ(test, vmem_backoff_next(8000, 60000), 16000U);
	/* a current delay above a lowered cap comes down to the cap */
	KUNIT_EXPECT_EQ(test, vmem_backoff_next(8000, 1000), 1000U);
}

/* A cap below the minimum is raised to it; the delay is never 0. */
static void vmem_backoff_min_and_never_zero(struct kunit *test)
{
	unsigned int max, cur, i;

	KUNIT_EXPECT_EQ(test, vmem_backoff_next(0, 0), 500U);
	KUNIT_EXPECT_EQ(test, vmem_backoff_next(0, 100), 500U);
	KUNIT_EXPECT_EQ(test, vmem_backoff_next(500, 100), 500U);
	KUNIT_EXPECT_EQ(test, vmem_backoff_next(1, VMEM_RETRY_MAX_MS), 500U);

	for (max = 0; max <= 20000; max += 2500) {
		cur = 0;
		for (i = 0; i < 40; i++) {
			cur = vmem_backoff_next(cur, max);
			KUNIT_EXPECT_GE(test, cur, (unsigned int)VMEM_RETRY_MIN_MS);
			KUNIT_EXPECT_LE(test, cur, max_t(unsigned int, max,
							 VMEM_RETRY_MIN_MS));
		}
	}
}

/*
 * retry_max_ms is a writable uint parameter: with a large cap, doubling
 * must saturate at the cap, never wrap and come back down.
 */
static void vmem_backoff_large_cap_saturates(struct kunit *test)
{
	unsigned int cur = 0, prev = 0, i;

	for (i = 0; i < 40; i++) {
		cur = vmem_backoff_next(cur, UINT_MAX);
		if (cur < prev)
			break;
		prev = cur;
	}
	KUNIT_EXPECT_EQ_MSG(test, i, 40U, "delay went down from %u to %u ms",
			    prev, cur);
	KUNIT_EXPECT_EQ(test, cur, UINT_MAX);
	KUNIT_EXPECT_EQ(test, vmem_backoff_next(0x80000000U, UINT_MAX), UINT_MAX);
}

/* ==== vmem_geometry: SBM/BBM choice, block ids, usable blocks ==== */

/* x86-64 defaults: 128 MiB memory blocks, 2 MiB pageblocks, 46-bit MAXPHYS */
static struct vmem_geo_in vmem_x86_in(const struct vmem_cfg *cfg)
{
	return (struct vmem_geo_in) {
		.cfg = cfg,
		.memory_block_size = SZ_128M,
		.pageblock_size = SZ_2M,
		.plug_start = 0,
		.plug_end = BIT_ULL(46) - 1,
	};
}

/* QEMU's 2 MiB blocks: SBM, 64 sub-blocks of 2 MiB per memory block. */
static void vmem_geo_sbm_qemu(struct kunit *test)
{
	struct vmem_geo_in in = vmem_x86_in(&vmem_qemu_cfg);
	struct vmem_geo geo;
	const char *why = NULL;

	KUNIT_ASSERT_EQ(test, vmem_geo_init(&geo, &in, &why), 0);
	KUNIT_EXPECT_TRUE(test, geo.sbm);
	KUNIT_EXPECT_EQ(test, geo.block_size, (u64)SZ_128M);
	KUNIT_EXPECT_EQ(test, geo.sb_size, (u64)SZ_2M);
	KUNIT_EXPECT_EQ(test, geo.sbs_per_block, 64U);
	KUNIT_EXPECT_EQ(test, geo.first_id, 40UL);	/* 5 GiB / 128 MiB */
	KUNIT_EXPECT_EQ(test, geo.nr_ids, 64UL);	/* 8 GiB / 128 MiB */
	KUNIT_EXPECT_EQ(test, vmem_id_to_phys(&geo, 40), 5ULL * SZ_1G);
	KUNIT_EXPECT_EQ(test, vmem_phys_to_id(&geo, 5ULL * SZ_1G + SZ_64M), 40UL);
}

/* The sub-block is never smaller than a pageblock, nor than a device block. */
static void vmem_geo_sbm_sub_block_size(struct kunit *test)
{
	struct vmem_cfg cfg = vmem_qemu_cfg;
	struct vmem_geo_in in = vmem_x86_in(&cfg);
	struct vmem_geo geo;
	const char *why = NULL;

	cfg.block_size = SZ_1M;
	KUNIT_ASSERT_EQ(test, vmem_geo_init(&geo, &in, &why), 0);
	KUNIT_EXPECT_TRUE(test, geo.sbm);
	KUNIT_EXPECT_EQ(test, geo.sb_size, (u64)SZ_2M);
	KUNIT_EXPECT_EQ(test, geo.sbs_per_block, 64U);

	cfg.block_size = SZ_4M;
	KUNIT_ASSERT_EQ(test, vmem_geo_init(&geo, &in, &why), 0);
	KUNIT_EXPECT_TRUE(test, geo.sbm);
	KUNIT_EXPECT_EQ(test, geo.sb_size, (u64)SZ_4M);
	KUNIT_EXPECT_EQ(test, geo.sbs_per_block, 32U);
	KUNIT_EXPECT_EQ(test, geo.block_size, (u64)SZ_128M);

	/* arm64 with 64K pages: 512 MiB pageblocks, 1 GiB memory blocks */
	cfg.block_size = SZ_2M;
	in.pageblock_size = SZ_512M;
	in.memory_block_size = SZ_1G;
	KUNIT_ASSERT_EQ(test, vmem_geo_init(&geo, &in, &why), 0);
	KUNIT_EXPECT_TRUE(test, geo.sbm);
	KUNIT_EXPECT_EQ(test, geo.sb_size, (u64)SZ_512M);
	KUNIT_EXPECT_EQ(test, geo.sbs_per_block, 2U);
}

/* Device blocks at least a memory block: BBM, one "sub-block" per block. */
static void vmem_geo_bbm_big_device_block(struct kunit *test)
{
	struct vmem_cfg cfg = vmem_qemu_cfg;
	struct vmem_geo_in in = vmem_x86_in(&cfg);
	struct vmem_geo geo;
	const char *why = NULL;

	cfg.block_size = SZ_1G;
	cfg.usable_region_size = 2ULL * SZ_1G;
	KUNIT_ASSERT_EQ(test, vmem_geo_init(&geo, &in, &why), 0);
	KUNIT_EXPECT_FALSE(test, geo.sbm);
	KUNIT_EXPECT_EQ(test, geo.block_size, (u64)SZ_1G);
	KUNIT_EXPECT_EQ(test, geo.sb_size, (u64)SZ_1G);
	KUNIT_EXPECT_EQ(test, geo.sbs_per_block, 1U);
	KUNIT_EXPECT_EQ(test, geo.first_id, 5UL);
	KUNIT_EXPECT_EQ(test, geo.nr_ids, 8UL);

	/* exactly one memory block is BBM too (no sub-blocks to track) */
	cfg.block_size = SZ_128M;
	KUNIT_ASSERT_EQ(test, vmem_geo_init(&geo, &in, &why), 0);
	KUNIT_EXPECT_FALSE(test, geo.sbm);
	KUNIT_EXPECT_EQ(test, geo.block_size, (u64)SZ_128M);
	KUNIT_EXPECT_EQ(test, geo.nr_ids, 64UL);
}

/* force_bbm: memory-block sized big blocks even for 2 MiB device blocks. */
static void vmem_geo_force_bbm(struct kunit *test)
{
	struct vmem_geo_in in = vmem_x86_in(&vmem_qemu_cfg);
	struct vmem_geo geo;
	const char *why = NULL;

	in.force_bbm = true;
	KUNIT_ASSERT_EQ(test, vmem_geo_init(&geo, &in, &why), 0);
	KUNIT_EXPECT_FALSE(test, geo.sbm);
	KUNIT_EXPECT_EQ(test, geo.block_size, (u64)SZ_128M);
	KUNIT_EXPECT_EQ(test, geo.sb_size, (u64)SZ_128M);
	KUNIT_EXPECT_EQ(test, geo.sbs_per_block, 1U);
	KUNIT_EXPECT_EQ(test, geo.first_id, 40UL);
	KUNIT_EXPECT_EQ(test, geo.nr_ids, 64UL);
}

/* A valid bbm_block_size (power of two >= both blocks) is used as is. */
static void vmem_geo_bbm_block_size_valid(struct kunit *test)
{
	struct vmem_cfg cfg = vmem_qemu_cfg;
	struct vmem_geo_in in = vmem_x86_in(&cfg);
	struct vmem_geo geo;
	const char *why = NULL;

	in.force_bbm = true;
	in.bbm_block_size = SZ_512M;
	KUNIT_ASSERT_EQ(test, vmem_geo_init(&geo, &in, &why), 0);
	KUNIT_EXPECT_FALSE(test, geo.sbm);
	KUNIT_EXPECT_EQ(test, geo.block_size, (u64)SZ_512M);
	KUNIT_EXPECT_EQ(test, geo.sb_size, (u64)SZ_512M);
	KUNIT_EXPECT_EQ(test, geo.first_id, 10UL);	/* 5 GiB / 512 MiB */
	KUNIT_EXPECT_EQ(test, geo.nr_ids, 16UL);

	/* equal to the memory block size is fine too */
	in.bbm_block_size = SZ_128M;
	KUNIT_ASSERT_EQ(test, vmem_geo_init(&geo, &in, &why), 0);
	KUNIT_EXPECT_EQ(test, geo.block_size, (u64)SZ_128M);

	/* and with a 1 GiB device block, no force_bbm needed */
	in.force_bbm = false;
	cfg.block_size = SZ_1G;
	cfg.usable_region_size = 0;
	in.bbm_block_size = 2ULL * SZ_1G;
	KUNIT_ASSERT_EQ(test, vmem_geo_init(&geo, &in, &why), 0);
	KUNIT_EXPECT_EQ(test, geo.block_size, 2ULL * SZ_1G);
	KUNIT_EXPECT_EQ(test, geo.first_id, 3UL);	/* 6 GiB */
	KUNIT_EXPECT_EQ(test, geo.nr_ids, 3UL);		/* 6..12 GiB */
}

/* An invalid bbm_block_size is an error with a reason, not a fallback. */
static void vmem_geo_bbm_block_size_invalid(struct kunit *test)
{
	struct vmem_cfg cfg = vmem_qemu_cfg;
	struct vmem_geo_in in = vmem_x86_in(&cfg);
	struct vmem_geo geo;
	const char *why;

	in.force_bbm = true;
	in.bbm_block_size = 384ULL * SZ_1M;	/* not a power of two */
	why = NULL;
	KUNIT_EXPECT_EQ(test, vmem_geo_init(&geo, &in, &why), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, why);

	in.bbm_block_size = SZ_64M;		/* below the memory block */
	why = NULL;
	KUNIT_EXPECT_EQ(test, vmem_geo_init(&geo, &in, &why), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, why);

	in.force_bbm = false;			/* below the device block */
	cfg.block_size = SZ_1G;
	cfg.usable_region_size = 0;
	in.bbm_block_size = SZ_512M;
	why = NULL;
	KUNIT_EXPECT_EQ(test, vmem_geo_init(&geo, &in, &why), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, why);
}

/* The first id is the first whole block inside region and pluggable range. */
static void vmem_geo_first_id_rounds_up(struct kunit *test)
{
	struct vmem_cfg cfg = vmem_qemu_cfg;
	struct vmem_geo_in in = vmem_x86_in(&cfg);
	struct vmem_geo geo;
	const char *why = NULL;

	/* region starts in the middle of a memory block */
	cfg.addr = 5ULL * SZ_1G + SZ_64M;
	KUNIT_ASSERT_EQ(test, vmem_geo_init(&geo, &in, &why), 0);
	KUNIT_EXPECT_EQ(test, geo.first_id, 41UL);
	/* ends mid-block too: 13 GiB + 64 MiB -> last whole block id 103 */
	KUNIT_EXPECT_EQ(test, geo.nr_ids, 63UL);

	/* the kernel can hot-add only from 6 GiB + 1 MiB on */
	cfg.addr = 5ULL * SZ_1G;
	in.plug_start = 6ULL * SZ_1G + SZ_1M;
	KUNIT_ASSERT_EQ(test, vmem_geo_init(&geo, &in, &why), 0);
	KUNIT_EXPECT_EQ(test, geo.first_id, 49UL);
	KUNIT_EXPECT_EQ(test, geo.nr_ids, 104UL - 49);

	/* ... and only up to 10 GiB */
	in.plug_start = 0;
	in.plug_end = 10ULL * SZ_1G - 1;
	KUNIT_ASSERT_EQ(test, vmem_geo_init(&geo, &in, &why), 0);
	KUNIT_EXPECT_EQ(test, geo.first_id, 40UL);
	KUNIT_EXPECT_EQ(test, geo.nr_ids, 40UL);

	/* a partial block below plug_end is not counted */
	in.plug_end = 10ULL * SZ_1G + SZ_64M - 1;
	KUNIT_ASSERT_EQ(test, vmem_geo_init(&geo, &in, &why), 0);
	KUNIT_EXPECT_EQ(test, geo.nr_ids, 40UL);
}

/* No whole block in region & pluggable range: refused with a reason. */
static void vmem_geo_no_whole_block(struct kunit *test)
{
	struct vmem_cfg cfg = vmem_qemu_cfg;
	struct vmem_geo_in in = vmem_x86_in(&cfg);
	struct vmem_geo geo;
	const char *why;

	/* 128 MiB region straddling two memory blocks */
	cfg.addr = 5ULL * SZ_1G + SZ_64M;
	cfg.region_size = SZ_128M;
	cfg.usable_region_size = 0;
	cfg.requested_size = 0;
	why = NULL;
	KUNIT_EXPECT_EQ(test, vmem_geo_init(&geo, &in, &why), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, why);

	/* smaller than one memory block */
	cfg.addr = 5ULL * SZ_1G;
	cfg.region_size = SZ_64M;
	why = NULL;
	KUNIT_EXPECT_EQ(test, vmem_geo_init(&geo, &in, &why), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, why);

	/* region entirely above what the kernel can hot-add */
	cfg = vmem_qemu_cfg;
	in.plug_end = 4ULL * SZ_1G - 1;
	why = NULL;
	KUNIT_EXPECT_EQ(test, vmem_geo_init(&geo, &in, &why), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, why);

	/* ... or below it */
	in.plug_end = BIT_ULL(46) - 1;
	in.plug_start = 14ULL * SZ_1G;
	why = NULL;
	KUNIT_EXPECT_EQ(test, vmem_geo_init(&geo, &in, &why), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, why);

	/* exactly one whole block is enough */
	cfg.addr = 5ULL * SZ_1G;
	cfg.region_size = SZ_128M;
	cfg.usable_region_size = 0;
	cfg.requested_size = 0;
	in.plug_start = 0;
	KUNIT_ASSERT_EQ(test, vmem_geo_init(&geo, &in, &why), 0);
	KUNIT_EXPECT_EQ(test, geo.first_id, 40UL);
	KUNIT_EXPECT_EQ(test, geo.nr_ids, 1UL);
}

/*
 * Big blocks of 4 GiB and more (bbm_block_size=4G, or a device with
 * 4 GiB blocks, both accepted by validation) need 64-bit divisions of
 * the block size everywhere.
 */
static void vmem_geo_bbm_4g_blocks(struct kunit *test)
{
	struct vmem_cfg cfg = vmem_qemu_cfg;
	struct vmem_geo_in in = vmem_x86_in(&cfg);
	struct vmem_geo geo;
	const char *why = NULL;

	cfg.addr = 8ULL * SZ_1G;
	cfg.region_size = 16ULL * SZ_1G;
	in.force_bbm = true;
	in.bbm_block_size = 4ULL * SZ_1G;
	KUNIT_ASSERT_EQ(test, vmem_geo_init(&geo, &in, &why), 0);
	KUNIT_EXPECT_EQ(test, geo.block_size, 4ULL * SZ_1G);
	KUNIT_EXPECT_EQ(test, geo.first_id, 2UL);
	KUNIT_EXPECT_EQ(test, geo.nr_ids, 4UL);
}

/*
 * Memmap on memory: x86-64 (4 KiB pages, 64-byte struct page, 2 MiB
 * pageblocks and PMDs) puts 2 MiB of memmap at the start of a 128 MiB
 * memory block and 32 MiB into a 2 GiB one; an old core refuses memory
 * blocks whose memmap does not fill whole PMDs.
 */
static void vmem_memmap_x86_sizes(struct kunit *test)
{
	struct vmem_memmap_geo g = {
		.mb_size = SZ_128M, .page_size = SZ_4K, .struct_page_size = 64,
		.pageblock_size = SZ_2M, .pmd_size = SZ_2M,
	};

	KUNIT_EXPECT_EQ(test, vmem_memmap_boot_bytes(&g), (u64)SZ_2M);
	KUNIT_EXPECT_EQ(test, vmem_memmap_block_bytes(&g), (u64)SZ_2M);
	KUNIT_EXPECT_TRUE(test, vmem_memmap_single_block_ok(&g));
	g.mb_size = SZ_2G;
	KUNIT_EXPECT_EQ(test, vmem_memmap_block_bytes(&g), (u64)SZ_32M);
	KUNIT_EXPECT_TRUE(test, vmem_memmap_single_block_ok(&g));
	/* 64 MiB blocks: 1 MiB of memmap, rounded to a pageblock */
	g.mb_size = SZ_64M;
	KUNIT_EXPECT_EQ(test, vmem_memmap_boot_bytes(&g), (u64)SZ_1M);
	KUNIT_EXPECT_EQ(test, vmem_memmap_block_bytes(&g), (u64)SZ_2M);
	KUNIT_EXPECT_FALSE(test, vmem_memmap_single_block_ok(&g));
}

/*
 * The plug path's reserve: headroom max(64 MiB, RAM / 256) over the
 * watermarks; on generic KASAN kernels also the quarantine's limit,
 * RAM / 32 of the RAM after the add.  The measured case: a 768 MiB test
 * guest at 2816 MiB plugged (3.3 GiB RAM) kept 70 MiB free and died as
 * the quarantine grew to ~105 MiB; with it the reserve is 177 MiB.
 */
static void vmem_reserve_quarantine(struct kunit *test)
{
	u64 ram = 3354ULL << 20;

	KUNIT_EXPECT_EQ(test, vmem_reserve_bytes(0, SZ_512M, false), (u64)SZ_64M);
	KUNIT_EXPECT_EQ(test, vmem_reserve_bytes(SZ_4M, SZ_512M, false),
			(u64)SZ_64M + SZ_4M);
	/* above 16 GiB the headroom is RAM / 256 */
	KUNIT_EXPECT_EQ(test, vmem_reserve_bytes(0, 32ULL << 30, false),
			(u64)SZ_128M);
	/* the quarantine: 1/32 of the RAM after the add */
	KUNIT_EXPECT_EQ(test, vmem_reserve_bytes(0, SZ_512M, true),
			(u64)SZ_64M + SZ_16M);
	KUNIT_EXPECT_EQ(test, vmem_reserve_bytes(SZ_4M, ram, true),
			(u64)SZ_4M + SZ_64M + (ram >> 5));
	KUNIT_EXPECT_GT(test, vmem_reserve_bytes(6ULL << 20, ram, true),
			170ULL << 20);
	/* every 128 MiB added raises it by 4 MiB */
	KUNIT_EXPECT_EQ(test, vmem_reserve_bytes(0, ram + SZ_128M, true) -
			vmem_reserve_bytes(0, ram, true), (u64)SZ_4M);
}

/* A struct page of 72 bytes: memmap not page aligned, rounded up. */
static void vmem_memmap_rounding(struct kunit *test)
{
	struct vmem_memmap_geo g = {
		.mb_size = SZ_128M, .page_size = SZ_4K, .struct_page_size = 72,
		.pageblock_size = SZ_2M, .pmd_size = SZ_2M,
	};

	KUNIT_EXPECT_EQ(test, vmem_memmap_boot_bytes(&g), 32768ULL * 72);
	KUNIT_EXPECT_EQ(test, vmem_memmap_block_bytes(&g), (u64)SZ_4M);
	KUNIT_EXPECT_FALSE(test, vmem_memmap_single_block_ok(&g));
	/* a block its memmap would fill leaves nothing: never self-hosted */
	g.mb_size = SZ_2M;
	g.struct_page_size = 4096;
	KUNIT_EXPECT_EQ(test, vmem_memmap_block_bytes(&g), 0ULL);
	KUNIT_EXPECT_FALSE(test, vmem_memmap_single_block_ok(&g));
}

/* Usable blocks: whole blocks below usable_region_size and plug_end. */
static void vmem_geo_usable_ids_counts(struct kunit *test)
{
	struct vmem_cfg cfg = vmem_qemu_cfg;
	struct vmem_geo_in in = vmem_x86_in(&cfg);
	u64 pend = in.plug_end;
	struct vmem_geo geo;
	const char *why = NULL;

	KUNIT_ASSERT_EQ(test, vmem_geo_init(&geo, &in, &why), 0);
	cfg.usable_region_size = 0;
	KUNIT_EXPECT_EQ(test, vmem_geo_usable_ids(&geo, &cfg, pend), 0UL);
	cfg.usable_region_size = SZ_64M;		/* half a block */
	KUNIT_EXPECT_EQ(test, vmem_geo_usable_ids(&geo, &cfg, pend), 0UL);
	cfg.usable_region_size = SZ_1G + SZ_256M;	/* QEMU: 1.25 GiB */
	KUNIT_EXPECT_EQ(test, vmem_geo_usable_ids(&geo, &cfg, pend), 10UL);
	cfg.usable_region_size = SZ_1G + SZ_256M + SZ_64M;
	KUNIT_EXPECT_EQ(test, vmem_geo_usable_ids(&geo, &cfg, pend), 10UL);
	cfg.usable_region_size = cfg.region_size;
	KUNIT_EXPECT_EQ(test, vmem_geo_usable_ids(&geo, &cfg, pend), 64UL);

	/* plug_end below the usable end limits it */
	KUNIT_EXPECT_EQ(test, vmem_geo_usable_ids(&geo, &cfg,
						  5ULL * SZ_1G + SZ_512M - 1), 4UL);
	KUNIT_EXPECT_EQ(test, vmem_geo_usable_ids(&geo, &cfg,
						  5ULL * SZ_1G + SZ_64M), 0UL);
	KUNIT_EXPECT_EQ(test, vmem_geo_usable_ids(&geo, &cfg, SZ_1G), 0UL);
}

/* Never more usable ids than the geometry has, nor partial first blocks. */
static void vmem_geo_usable_ids_capped(struct kunit *test)
{
	struct vmem_cfg cfg = vmem_qemu_cfg;
	struct vmem_geo_in in = vmem_x86_in(&cfg);
	struct vmem_geo geo;
	const char *why = NULL;

	/* geometry limited to 40 blocks by plug_end at probe */
	in.plug_end = 10ULL * SZ_1G - 1;
	KUNIT_ASSERT_EQ(test, vmem_geo_init(&geo, &in, &why), 0);
	KUNIT_ASSERT_EQ(test, geo.nr_ids, 40UL);
	cfg.usable_region_size = cfg.region_size;
	KUNIT_EXPECT_EQ(test, vmem_geo_usable_ids(&geo, &cfg, BIT_ULL(46) - 1),
			40UL);

	/* region starting mid-block: the first 64 MiB are not a block */
	cfg.addr = 5ULL * SZ_1G + SZ_64M;
	in.plug_end = BIT_ULL(46) - 1;
	KUNIT_ASSERT_EQ(test, vmem_geo_init(&geo, &in, &why), 0);
	KUNIT_ASSERT_EQ(test, geo.first_id, 41UL);
	cfg.usable_region_size = SZ_128M;	/* 5G+64M .. 5G+192M */
	KUNIT_EXPECT_EQ(test, vmem_geo_usable_ids(&geo, &cfg, in.plug_end), 0UL);
	cfg.usable_region_size = SZ_128M + SZ_64M;
	KUNIT_EXPECT_EQ(test, vmem_geo_usable_ids(&geo, &cfg, in.plug_end), 1UL);
	cfg.usable_region_size = cfg.region_size;
	KUNIT_EXPECT_EQ(test, vmem_geo_usable_ids(&geo, &cfg, in.plug_end), 63UL);
}

/* ==== vmem_sb: sub-block bitmap and block states ==== */

#define SB_BLOCKS	4

static struct vmem_sb_map vmem_test_map(struct kunit *test, unsigned int sbs)
{
	struct vmem_sb_map m = { .sbs = sbs };

	/* exactly SB_BLOCKS blocks: KASAN catches accesses beyond them */
	m.bits = kunit_kcalloc(test, BITS_TO_LONGS(SB_BLOCKS * sbs),
			       sizeof(unsigned long), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, m.bits);
	return m;
}

/* Setting and clearing stays inside its block (64 sbs: word aligned). */
static void vmem_sb_set_count_all(struct kunit *test)
{
	struct vmem_sb_map m = vmem_test_map(test, 64);

	vmem_sb_set(&m, 1, 0, 64, true);
	KUNIT_EXPECT_EQ(test, vmem_sb_count(&m, 0), 0U);
	KUNIT_EXPECT_EQ(test, vmem_sb_count(&m, 1), 64U);
	KUNIT_EXPECT_EQ(test, vmem_sb_count(&m, 2), 0U);
	KUNIT_EXPECT_TRUE(test, vmem_sb_all(&m, 1, 0, 64, true));
	KUNIT_EXPECT_TRUE(test, vmem_sb_all(&m, 0, 0, 64, false));
	KUNIT_EXPECT_TRUE(test, vmem_sb_all(&m, 2, 0, 64, false));
	KUNIT_EXPECT_FALSE(test, vmem_sb_all(&m, 1, 0, 64, false));

	vmem_sb_set(&m, 1, 10, 10, false);
	KUNIT_EXPECT_EQ(test, vmem_sb_count(&m, 1), 54U);
	KUNIT_EXPECT_TRUE(test, vmem_sb_all(&m, 1, 10, 10, false));
	KUNIT_EXPECT_FALSE(test, vmem_sb_all(&m, 1, 9, 2, false));
	KUNIT_EXPECT_FALSE(test, vmem_sb_all(&m, 1, 19, 2, false));
	KUNIT_EXPECT_TRUE(test, vmem_sb_all(&m, 1, 0, 10, true));
	KUNIT_EXPECT_TRUE(test, vmem_sb_all(&m, 1, 20, 44, true));
	KUNIT_EXPECT_FALSE(test, vmem_sb_all(&m, 1, 0, 64, true));

	/* the last block, up to its last sub-block */
	vmem_sb_set(&m, 3, 60, 4, true);
	KUNIT_EXPECT_EQ(test, vmem_sb_count(&m, 3), 4U);
	KUNIT_EXPECT_EQ(test, vmem_sb_count(&m, 2), 0U);
	KUNIT_EXPECT_TRUE(test, vmem_sb_all(&m, 3, 60, 4, true));
	KUNIT_EXPECT_TRUE(test, vmem_sb_all(&m, 3, 0, 60, false));
	KUNIT_EXPECT_EQ(test, vmem_sb_count(&m, 0), 0U);
}

/* Same with 24 sub-blocks per block: blocks straddle bitmap words. */
static void vmem_sb_unaligned_blocks(struct kunit *test)
{
	struct vmem_sb_map m = vmem_test_map(test, 24);

	vmem_sb_set(&m, 2, 0, 24, true);	/* bits 48..71 */
	KUNIT_EXPECT_EQ(test, vmem_sb_count(&m, 1), 0U);
	KUNIT_EXPECT_EQ(test, vmem_sb_count(&m, 2), 24U);
	KUNIT_EXPECT_EQ(test, vmem_sb_count(&m, 3), 0U);
	KUNIT_EXPECT_TRUE(test, vmem_sb_all(&m, 2, 0, 24, true));
	KUNIT_EXPECT_TRUE(test, vmem_sb_all(&m, 1, 0, 24, false));
	KUNIT_EXPECT_TRUE(test, vmem_sb_all(&m, 3, 0, 24, false));

	vmem_sb_set(&m, 2, 14, 4, false);	/* bits 62..65 */
	KUNIT_EXPECT_EQ(test, vmem_sb_count(&m, 2), 20U);
	KUNIT_EXPECT_TRUE(test, vmem_sb_all(&m, 2, 14, 4, false));
	KUNIT_EXPECT_TRUE(test, vmem_sb_all(&m, 2, 18, 6, true));

	vmem_sb_set(&m, 1, 23, 1, true);
	vmem_sb_set(&m, 3, 0, 1, true);
	KUNIT_EXPECT_EQ(test, vmem_sb_count(&m, 1), 1U);
	KUNIT_EXPECT_EQ(test, vmem_sb_count(&m, 2), 20U);
	KUNIT_EXPECT_EQ(test, vmem_sb_count(&m, 3), 1U);
}

/* Plug takes the lowest run of unplugged sub-blocks, up to max. */
static void vmem_sb_find_run_lowest(struct kunit *test)
{
	struct vmem_sb_map m = vmem_test_map(test, 64);
	unsigned int count = 0;

	vmem_sb_set(&m, 0, 0, 64, true);	/* neighbours fully plugged */
	vmem_sb_set(&m, 2, 0, 64, true);
	vmem_sb_set(&m, 1, 0, 4, true);
	vmem_sb_set(&m, 1, 10, 3, true);

	KUNIT_EXPECT_EQ(test, vmem_sb_find_run(&m, 1, false, false, 64, &count), 4);
	KUNIT_EXPECT_EQ(test, count, 6U);
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run(&m, 1, false, false, 2, &count), 4);
	KUNIT_EXPECT_EQ(test, count, 2U);
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run(&m, 1, false, false, 1, &count), 4);
	KUNIT_EXPECT_EQ(test, count, 1U);
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run(&m, 1, true, false, 64, &count), 0);
	KUNIT_EXPECT_EQ(test, count, 4U);

	/* a run reaching the end of the block stops there */
	vmem_sb_set(&m, 1, 0, 60, true);
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run(&m, 1, false, false, 64, &count), 60);
	KUNIT_EXPECT_EQ(test, count, 4U);

	/* a whole empty block */
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run(&m, 3, false, false, 64, &count), 0);
	KUNIT_EXPECT_EQ(test, count, 64U);
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run(&m, 3, false, false, 1000, &count), 0);
	KUNIT_EXPECT_EQ(test, count, 64U);
}

/*
 * Memmap on memory in SBM: runs above the memmap's sub-blocks; the
 * memmap's share of a block; what a fresh block gets; when a block may go.
 */
static void vmem_sb_find_run_above_lo(struct kunit *test)
{
	struct vmem_sb_map m = vmem_test_map(test, 64);
	unsigned int count = 0;

	vmem_sb_set(&m, 1, 0, 64, true);
	/* from the top: never below lo */
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run_above(&m, 1, 1, true, true, 64, &count), 1);
	KUNIT_EXPECT_EQ(test, count, 63U);
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run_above(&m, 1, 1, true, true, 4, &count), 60);
	KUNIT_EXPECT_EQ(test, count, 4U);
	/* only the memmap's sub-block left: nothing to unplug */
	vmem_sb_set(&m, 1, 1, 63, false);
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run_above(&m, 1, 1, true, true, 64, &count),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run_above(&m, 1, 0, true, true, 64, &count), 0);
	KUNIT_EXPECT_EQ(test, count, 1U);
	/* lowest first, from lo */
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run_above(&m, 1, 2, false, false, 64, &count), 2);
	KUNIT_EXPECT_EQ(test, count, 62U);
	/* lo at or past the end */
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run_above(&m, 1, 64, false, false, 64, &count),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run_above(&m, 1, 64, true, true, 64, &count),
			-ENOENT);
}

static void vmem_sbm_memmap_share(struct kunit *test)
{
	/* x86-64: 2 MiB memmap per 128 MiB block, 2 MiB sub-blocks */
	KUNIT_EXPECT_EQ(test, vmem_sbm_memmap_sbs(SZ_2M, SZ_2M, 64), 1U);
	/* 4 MiB pageblocks (force mode): memmap rounded to 4 MiB */
	KUNIT_EXPECT_EQ(test, vmem_sbm_memmap_sbs(SZ_4M, SZ_4M, 32), 1U);
	/* sub-blocks larger than the memmap: one, partly usable */
	KUNIT_EXPECT_EQ(test, vmem_sbm_memmap_sbs(SZ_2M, SZ_8M, 16), 1U);
	/* smaller: rounded up */
	KUNIT_EXPECT_EQ(test, vmem_sbm_memmap_sbs(SZ_2M + 1, SZ_1M, 128), 3U);
	/* memmap elsewhere */
	KUNIT_EXPECT_EQ(test, vmem_sbm_memmap_sbs(0, SZ_2M, 64), 0U);
	/* nothing left: capped at the block */
	KUNIT_EXPECT_EQ(test, vmem_sbm_memmap_sbs(SZ_128M, SZ_2M, 64), 64U);
	KUNIT_EXPECT_EQ(test, vmem_sbm_memmap_sbs(SZ_256M, SZ_64M, 2), 2U);
}

static void vmem_sbm_fresh_block(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vmem_sbm_fresh_sbs(100, 64, 1), 64U);
	KUNIT_EXPECT_EQ(test, vmem_sbm_fresh_sbs(5, 64, 1), 5U);
	/* just the memmap's sub-block: added, nothing usable yet */
	KUNIT_EXPECT_EQ(test, vmem_sbm_fresh_sbs(1, 64, 1), 1U);
	/* fewer than the memmap needs: not added */
	KUNIT_EXPECT_EQ(test, vmem_sbm_fresh_sbs(1, 128, 3), 0U);
	KUNIT_EXPECT_EQ(test, vmem_sbm_fresh_sbs(0, 64, 0), 0U);
	KUNIT_EXPECT_EQ(test, vmem_sbm_fresh_sbs(7, 64, 0), 7U);
}

static void vmem_sbm_removable_block(struct kunit *test)
{
	struct vmem_sb_map m = vmem_test_map(test, 64);

	vmem_sb_set(&m, 1, 0, 3, true);
	/* something above the memmap is plugged */
	KUNIT_EXPECT_FALSE(test, vmem_sbm_removable(&m, 1, 1, 100));
	/* only the memmap's sub-blocks: they must all be wanted back */
	KUNIT_EXPECT_TRUE(test, vmem_sbm_removable(&m, 1, 3, 3));
	KUNIT_EXPECT_TRUE(test, vmem_sbm_removable(&m, 1, 3, 10));
	KUNIT_EXPECT_FALSE(test, vmem_sbm_removable(&m, 1, 3, 2));
	KUNIT_EXPECT_FALSE(test, vmem_sbm_removable(&m, 1, 3, 0));
	/* memmap elsewhere: an empty block goes whatever is left to do */
	vmem_sb_set(&m, 1, 0, 3, false);
	KUNIT_EXPECT_TRUE(test, vmem_sbm_removable(&m, 1, 0, 0));
	/* the neighbours do not count */
	vmem_sb_set(&m, 0, 63, 1, true);
	vmem_sb_set(&m, 2, 0, 1, true);
	KUNIT_EXPECT_TRUE(test, vmem_sbm_removable(&m, 1, 1, 0));
	KUNIT_EXPECT_FALSE(test, vmem_sbm_removable(&m, 2, 0, 0));
	KUNIT_EXPECT_TRUE(test, vmem_sbm_removable(&m, 2, 1, 1));
}

/* Unplug takes the highest run of plugged sub-blocks, its top part. */
static void vmem_sb_find_run_from_top(struct kunit *test)
{
	struct vmem_sb_map m = vmem_test_map(test, 64);
	unsigned int count = 0;

	vmem_sb_set(&m, 2, 0, 1, true);		/* neighbour's lowest sb */
	vmem_sb_set(&m, 0, 63, 1, true);	/* neighbour's highest sb */
	vmem_sb_set(&m, 1, 5, 5, true);
	vmem_sb_set(&m, 1, 20, 10, true);

	KUNIT_EXPECT_EQ(test, vmem_sb_find_run(&m, 1, true, true, 64, &count), 20);
	KUNIT_EXPECT_EQ(test, count, 10U);
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run(&m, 1, true, true, 3, &count), 27);
	KUNIT_EXPECT_EQ(test, count, 3U);
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run(&m, 1, true, true, 1, &count), 29);
	KUNIT_EXPECT_EQ(test, count, 1U);
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run(&m, 1, false, true, 64, &count), 30);
	KUNIT_EXPECT_EQ(test, count, 34U);
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run(&m, 1, false, true, 4, &count), 60);
	KUNIT_EXPECT_EQ(test, count, 4U);

	/* after the top run is gone, the next one down */
	vmem_sb_set(&m, 1, 20, 10, false);
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run(&m, 1, true, true, 64, &count), 5);
	KUNIT_EXPECT_EQ(test, count, 5U);

	/* a run starting at sub-block 0 */
	vmem_sb_set(&m, 1, 0, 5, true);
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run(&m, 1, true, true, 64, &count), 0);
	KUNIT_EXPECT_EQ(test, count, 10U);

	/* a full block */
	vmem_sb_set(&m, 3, 0, 64, true);
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run(&m, 3, true, true, 64, &count), 0);
	KUNIT_EXPECT_EQ(test, count, 64U);
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run(&m, 3, true, false, 64, &count), 0);
	KUNIT_EXPECT_EQ(test, count, 64U);
}

/* No run in the wanted state, or max 0: -ENOENT, in both directions. */
static void vmem_sb_find_run_none(struct kunit *test)
{
	struct vmem_sb_map m = vmem_test_map(test, 64);
	unsigned int count = 12345;

	vmem_sb_set(&m, 0, 0, 64, true);
	vmem_sb_set(&m, 2, 0, 64, true);
	/* block 1 is empty although both neighbours are full */
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run(&m, 1, true, false, 64, &count),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run(&m, 1, true, true, 64, &count),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run(&m, 0, false, false, 64, &count),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run(&m, 2, false, true, 64, &count),
			-ENOENT);
	/* max 0 finds nothing even where runs exist */
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run(&m, 1, false, false, 0, &count),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, vmem_sb_find_run(&m, 0, true, true, 0, &count),
			-ENOENT);
}

/* After (un)plugging: same kind, full or partial; other states unchanged. */
static void vmem_sbm_state_after_plug(struct kunit *test)
{
	static const struct {
		u8 state, full, partial;
	} t[] = {
		{ VMEM_SBM_UNUSED, VMEM_SBM_UNUSED, VMEM_SBM_UNUSED },
		{ VMEM_SBM_PLUGGED, VMEM_SBM_PLUGGED, VMEM_SBM_PLUGGED },
		{ VMEM_SBM_OFFLINE, VMEM_SBM_OFFLINE, VMEM_SBM_OFFLINE_PARTIAL },
		{ VMEM_SBM_OFFLINE_PARTIAL, VMEM_SBM_OFFLINE,
		  VMEM_SBM_OFFLINE_PARTIAL },
		{ VMEM_SBM_KERNEL, VMEM_SBM_KERNEL, VMEM_SBM_KERNEL_PARTIAL },
		{ VMEM_SBM_KERNEL_PARTIAL, VMEM_SBM_KERNEL,
		  VMEM_SBM_KERNEL_PARTIAL },
		{ VMEM_SBM_MOVABLE, VMEM_SBM_MOVABLE, VMEM_SBM_MOVABLE_PARTIAL },
		{ VMEM_SBM_MOVABLE_PARTIAL, VMEM_SBM_MOVABLE,
		  VMEM_SBM_MOVABLE_PARTIAL },
		{ VMEM_SBM_NR_STATES, VMEM_SBM_NR_STATES, VMEM_SBM_NR_STATES },
		{ 0xff, 0xff, 0xff },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		KUNIT_EXPECT_EQ_MSG(test, vmem_sbm_state_after(t[i].state, 64, 64),
				    t[i].full, "state %u full", t[i].state);
		KUNIT_EXPECT_EQ_MSG(test, vmem_sbm_state_after(t[i].state, 63, 64),
				    t[i].partial, "state %u 63/64", t[i].state);
		KUNIT_EXPECT_EQ_MSG(test, vmem_sbm_state_after(t[i].state, 1, 64),
				    t[i].partial, "state %u 1/64", t[i].state);
	}
}

/* Onlining moves offline states to kernel or movable, others unchanged. */
static void vmem_sbm_state_onlining(struct kunit *test)
{
	u8 s;

	KUNIT_EXPECT_EQ(test, vmem_sbm_state_online(VMEM_SBM_OFFLINE, false),
			(u8)VMEM_SBM_KERNEL);
	KUNIT_EXPECT_EQ(test, vmem_sbm_state_online(VMEM_SBM_OFFLINE, true),
			(u8)VMEM_SBM_MOVABLE);
	KUNIT_EXPECT_EQ(test, vmem_sbm_state_online(VMEM_SBM_OFFLINE_PARTIAL,
						    false),
			(u8)VMEM_SBM_KERNEL_PARTIAL);
	KUNIT_EXPECT_EQ(test, vmem_sbm_state_online(VMEM_SBM_OFFLINE_PARTIAL,
						    true),
			(u8)VMEM_SBM_MOVABLE_PARTIAL);
	for (s = 0; s <= VMEM_SBM_NR_STATES; s++) {
		if (s == VMEM_SBM_OFFLINE || s == VMEM_SBM_OFFLINE_PARTIAL)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, vmem_sbm_state_online(s, false), s,
				    "state %u", s);
		KUNIT_EXPECT_EQ_MSG(test, vmem_sbm_state_online(s, true), s,
				    "state %u", s);
	}
}

/* Offlining moves online states to offline(_partial), others unchanged. */
static void vmem_sbm_state_offlining(struct kunit *test)
{
	static const u8 want[] = {
		[VMEM_SBM_UNUSED] = VMEM_SBM_UNUSED,
		[VMEM_SBM_PLUGGED] = VMEM_SBM_PLUGGED,
		[VMEM_SBM_OFFLINE] = VMEM_SBM_OFFLINE,
		[VMEM_SBM_OFFLINE_PARTIAL] = VMEM_SBM_OFFLINE_PARTIAL,
		[VMEM_SBM_KERNEL] = VMEM_SBM_OFFLINE,
		[VMEM_SBM_KERNEL_PARTIAL] = VMEM_SBM_OFFLINE_PARTIAL,
		[VMEM_SBM_MOVABLE] = VMEM_SBM_OFFLINE,
		[VMEM_SBM_MOVABLE_PARTIAL] = VMEM_SBM_OFFLINE_PARTIAL,
		[VMEM_SBM_NR_STATES] = VMEM_SBM_NR_STATES,
	};
	u8 s;

	for (s = 0; s < ARRAY_SIZE(want); s++)
		KUNIT_EXPECT_EQ_MSG(test, vmem_sbm_state_offline(s), want[s],
				    "state %u", s);
}

/* Online states are exactly the kernel and movable ones. */
static void vmem_sbm_state_online_pred(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, vmem_sbm_state_online_p(VMEM_SBM_UNUSED));
	KUNIT_EXPECT_FALSE(test, vmem_sbm_state_online_p(VMEM_SBM_PLUGGED));
	KUNIT_EXPECT_FALSE(test, vmem_sbm_state_online_p(VMEM_SBM_OFFLINE));
	KUNIT_EXPECT_FALSE(test,
			   vmem_sbm_state_online_p(VMEM_SBM_OFFLINE_PARTIAL));
	KUNIT_EXPECT_TRUE(test, vmem_sbm_state_online_p(VMEM_SBM_KERNEL));
	KUNIT_EXPECT_TRUE(test, vmem_sbm_state_online_p(VMEM_SBM_KERNEL_PARTIAL));
	KUNIT_EXPECT_TRUE(test, vmem_sbm_state_online_p(VMEM_SBM_MOVABLE));
	KUNIT_EXPECT_TRUE(test,
			  vmem_sbm_state_online_p(VMEM_SBM_MOVABLE_PARTIAL));
	KUNIT_EXPECT_FALSE(test, vmem_sbm_state_online_p(VMEM_SBM_NR_STATES));
	KUNIT_EXPECT_FALSE(test, vmem_sbm_state_online_p(0xff));
}

/* sysfs names of every state, "invalid" out of range. */
static void vmem_state_names(struct kunit *test)
{
	static const char * const sbm[] = {
		"unused", "plugged", "offline", "offline_partial", "kernel",
		"kernel_partial", "movable", "movable_partial",
	};
	static const char * const bbm[] = {
		"unused", "plugged", "added", "fake_offline",
	};
	unsigned int i;

	KUNIT_ASSERT_EQ(test, ARRAY_SIZE(sbm), (size_t)VMEM_SBM_NR_STATES);
	KUNIT_ASSERT_EQ(test, ARRAY_SIZE(bbm), (size_t)VMEM_BBM_NR_STATES);
	for (i = 0; i < ARRAY_SIZE(sbm); i++)
		KUNIT_EXPECT_STREQ(test, vmem_sbm_state_name(i), sbm[i]);
	for (i = 0; i < ARRAY_SIZE(bbm); i++)
		KUNIT_EXPECT_STREQ(test, vmem_bbm_state_name(i), bbm[i]);
	KUNIT_EXPECT_STREQ(test, vmem_sbm_state_name(VMEM_SBM_NR_STATES),
			   "invalid");
	KUNIT_EXPECT_STREQ(test, vmem_sbm_state_name(0xff), "invalid");
	KUNIT_EXPECT_STREQ(test, vmem_bbm_state_name(VMEM_BBM_NR_STATES),
			   "invalid");
	KUNIT_EXPECT_STREQ(test, vmem_bbm_state_name(0xff), "invalid");
}

/* ==== vmem_select: plug/unplug selection order ==== */

/* The exported orders are the documented ones. */
static void vmem_select_orders(struct kunit *test)
{
	static const u8 unplug[] = {
		VMEM_SBM_OFFLINE_PARTIAL, VMEM_SBM_OFFLINE,
		VMEM_SBM_MOVABLE_PARTIAL, VMEM_SBM_KERNEL_PARTIAL,
		VMEM_SBM_MOVABLE, VMEM_SBM_KERNEL,
	};
	static const u8 plug[] = {
		VMEM_SBM_KERNEL_PARTIAL, VMEM_SBM_MOVABLE_PARTIAL,
		VMEM_SBM_OFFLINE_PARTIAL,
	};

	KUNIT_ASSERT_EQ(test, vmem_sbm_unplug_order_len,
			(unsigned int)ARRAY_SIZE(unplug));
	vmem_expect_bytes(test, "unplug order", vmem_sbm_unplug_order, unplug,
			  sizeof(unplug));
	KUNIT_ASSERT_EQ(test, vmem_sbm_plug_order_len,
			(unsigned int)ARRAY_SIZE(plug));
	vmem_expect_bytes(test, "plug order", vmem_sbm_plug_order, plug,
			  sizeof(plug));
}

/* Block states used by the selection tests, index: state. */
static const u8 vmem_sel_states[] = {
	VMEM_SBM_KERNEL,		/* 0 */
	VMEM_SBM_MOVABLE_PARTIAL,	/* 1 */
	VMEM_SBM_OFFLINE,		/* 2 */
	VMEM_SBM_KERNEL_PARTIAL,	/* 3 */
	VMEM_SBM_OFFLINE_PARTIAL,	/* 4 */
	VMEM_SBM_MOVABLE,		/* 5 */
	VMEM_SBM_OFFLINE,		/* 6 */
	VMEM_SBM_OFFLINE_PARTIAL,	/* 7 */
	VMEM_SBM_UNUSED,		/* 8 */
	VMEM_SBM_PLUGGED,		/* 9 */
	VMEM_SBM_KERNEL,		/* 10 */
	VMEM_SBM_MOVABLE_PARTIAL,	/* 11 */
	VMEM_SBM_KERNEL_PARTIAL,	/* 12 */
};

static void vmem_expect_picks(struct kunit *test, const u8 *states,
			      unsigned long n, const u8 *order,
			      unsigned int norder, bool desc,
			      const long *want, unsigned int nwant)
{
	struct vmem_pick it;
	unsigned int i;

	vmem_pick_start(&it, n, desc);
	for (i = 0; i < nwant; i++)
		KUNIT_EXPECT_EQ_MSG(test, vmem_pick_next(states, n, order, norder,
							 &it, desc),
				    want[i], "pick %u", i);
	/* exhausted, and stays so */
	KUNIT_EXPECT_EQ(test, vmem_pick_next(states, n, order, norder, &it,
					     desc), -1L);
	KUNIT_EXPECT_EQ(test, vmem_pick_next(states, n, order, norder, &it,
					     desc), -1L);
}

/* Unplug: by state in vmem_sbm_unplug_order, highest index first. */
static void vmem_select_unplug_order(struct kunit *test)
{
	static const long want[] = {
		7, 4,		/* offline_partial */
		6, 2,		/* offline */
		11, 1,		/* movable_partial */
		12, 3,		/* kernel_partial */
		5,		/* movable */
		10, 0,		/* kernel */
	};

	vmem_expect_picks(test, vmem_sel_states, ARRAY_SIZE(vmem_sel_states),
			  vmem_sbm_unplug_order, vmem_sbm_unplug_order_len,
			  true, want, ARRAY_SIZE(want));
}

/* Plug: partial blocks in vmem_sbm_plug_order, lowest index first. */
static void vmem_select_plug_order(struct kunit *test)
{
	static const long want[] = {
		3, 12,		/* kernel_partial */
		1, 11,		/* movable_partial */
		4, 7,		/* offline_partial */
	};

	vmem_expect_picks(test, vmem_sel_states, ARRAY_SIZE(vmem_sel_states),
			  vmem_sbm_plug_order, vmem_sbm_plug_order_len,
			  false, want, ARRAY_SIZE(want));
}

/* Each call reads the states afresh: a block that left is not returned. */
static void vmem_select_states_change(struct kunit *test)
{
	u8 st[ARRAY_SIZE(vmem_sel_states)];
	unsigned long n = ARRAY_SIZE(st);
	struct vmem_pick it;

	memcpy(st, vmem_sel_states, sizeof(st));
	vmem_pick_start(&it, n, true);
	KUNIT_EXPECT_EQ(test, vmem_pick_next(st, n, vmem_sbm_unplug_order,
					     vmem_sbm_unplug_order_len, &it,
					     true), 7L);
	/* block 7 fully unplugged and removed; block 4 and 2 too */
	st[7] = VMEM_SBM_UNUSED;
	st[4] = VMEM_SBM_UNUSED;
	st[2] = VMEM_SBM_UNUSED;
	KUNIT_EXPECT_EQ(test, vmem_pick_next(st, n, vmem_sbm_unplug_order,
					     vmem_sbm_unplug_order_len, &it,
					     true), 6L);
	/* block 10 (kernel) goes offline before its rank is reached */
	st[10] = VMEM_SBM_UNUSED;
	st[0] = VMEM_SBM_UNUSED;
	KUNIT_EXPECT_EQ(test, vmem_pick_next(st, n, vmem_sbm_unplug_order,
					     vmem_sbm_unplug_order_len, &it,
					     true), 11L);
	st[1] = VMEM_SBM_UNUSED;
	KUNIT_EXPECT_EQ(test, vmem_pick_next(st, n, vmem_sbm_unplug_order,
					     vmem_sbm_unplug_order_len, &it,
					     true), 12L);
	KUNIT_EXPECT_EQ(test, vmem_pick_next(st, n, vmem_sbm_unplug_order,
					     vmem_sbm_unplug_order_len, &it,
					     true), 3L);
	KUNIT_EXPECT_EQ(test, vmem_pick_next(st, n, vmem_sbm_unplug_order,
					     vmem_sbm_unplug_order_len, &it,
					     true), 5L);
	KUNIT_EXPECT_EQ(test, vmem_pick_next(st, n, vmem_sbm_unplug_order,
					     vmem_sbm_unplug_order_len, &it,
					     true), -1L);

	/* ascending: later blocks that become unused are skipped */
	memcpy(st, vmem_sel_states, sizeof(st));
	vmem_pick_start(&it, n, false);
	KUNIT_EXPECT_EQ(test, vmem_pick_next(st, n, vmem_sbm_plug_order,
					     vmem_sbm_plug_order_len, &it,
					     false), 3L);
	st[12] = VMEM_SBM_UNUSED;
	st[1] = VMEM_SBM_UNUSED;
	st[7] = VMEM_SBM_UNUSED;
	KUNIT_EXPECT_EQ(test, vmem_pick_next(st, n, vmem_sbm_plug_order,
					     vmem_sbm_plug_order_len, &it,
					     false), 11L);
	KUNIT_EXPECT_EQ(test, vmem_pick_next(st, n, vmem_sbm_plug_order,
					     vmem_sbm_plug_order_len, &it,
					     false), 4L);
	KUNIT_EXPECT_EQ(test, vmem_pick_next(st, n, vmem_sbm_plug_order,
					     vmem_sbm_plug_order_len, &it,
					     false), -1L);
}

/* Nothing to pick: no blocks, no block in a wanted state, empty order. */
static void vmem_select_empty(struct kunit *test)
{
	static const u8 unused[5] = {};
	struct vmem_pick it;

	vmem_pick_start(&it, 0, true);
	KUNIT_EXPECT_EQ(test, vmem_pick_next(unused, 0, vmem_sbm_unplug_order,
					     vmem_sbm_unplug_order_len, &it,
					     true), -1L);
	vmem_pick_start(&it, 0, false);
	KUNIT_EXPECT_EQ(test, vmem_pick_next(unused, 0, vmem_sbm_plug_order,
					     vmem_sbm_plug_order_len, &it,
					     false), -1L);
	vmem_pick_start(&it, ARRAY_SIZE(unused), true);
	KUNIT_EXPECT_EQ(test, vmem_pick_next(unused, ARRAY_SIZE(unused),
					     vmem_sbm_unplug_order,
					     vmem_sbm_unplug_order_len, &it,
					     true), -1L);
	vmem_pick_start(&it, ARRAY_SIZE(unused), false);
	KUNIT_EXPECT_EQ(test, vmem_pick_next(unused, ARRAY_SIZE(unused),
					     vmem_sbm_plug_order,
					     vmem_sbm_plug_order_len, &it,
					     false), -1L);
	vmem_pick_start(&it, ARRAY_SIZE(vmem_sel_states), true);
	KUNIT_EXPECT_EQ(test, vmem_pick_next(vmem_sel_states,
					     ARRAY_SIZE(vmem_sel_states),
					     vmem_sbm_unplug_order, 0, &it,
					     true), -1L);
}

static struct kunit_case vmem_protocol_cases[] = {
	KUNIT_CASE(vmem_req_struct_layout),
	KUNIT_CASE(vmem_req_encode_bytes),
	KUNIT_CASE(vmem_req_encode_ranged_types),
	KUNIT_CASE(vmem_req_encode_unplug_all),
	KUNIT_CASE(vmem_req_encode_errors),
	KUNIT_CASE(vmem_resp_errno_table),
	KUNIT_CASE(vmem_req_resp_names),
	KUNIT_CASE(vmem_cfg_valid_qemu),
	KUNIT_CASE(vmem_cfg_requested_above_usable_ok),
	KUNIT_CASE_PARAM(vmem_cfg_defect_refused, vmem_cfg_defect_gen_params),
	KUNIT_CASE(vmem_backoff_doubles_to_cap),
	KUNIT_CASE(vmem_backoff_min_and_never_zero),
	KUNIT_CASE(vmem_backoff_large_cap_saturates),
	KUNIT_CASE(vmem_req_chunk_split),
	KUNIT_CASE_PARAM(vmem_resp_parse_checks, vmem_parse_gen_params),
	KUNIT_CASE(vmem_resp_parse_no_replay),
	KUNIT_CASE(vmem_state_adoption),
	KUNIT_CASE(vmem_cfg_refresh_clean),
	KUNIT_CASE(vmem_cfg_refresh_plugged),
	KUNIT_CASE(vmem_cfg_refresh_requested),
	KUNIT_CASE(vmem_cfg_refresh_usable),
	KUNIT_CASE(vmem_plugged_count_clamps),
	KUNIT_CASE(vmem_next_step_policy),
	{}
};

static struct kunit_suite vmem_protocol_suite = {
	.name = "vmem_protocol",
	.test_cases = vmem_protocol_cases,
};

static struct kunit_case vmem_geometry_cases[] = {
	KUNIT_CASE(vmem_geo_sbm_qemu),
	KUNIT_CASE(vmem_geo_sbm_sub_block_size),
	KUNIT_CASE(vmem_geo_bbm_big_device_block),
	KUNIT_CASE(vmem_geo_force_bbm),
	KUNIT_CASE(vmem_geo_bbm_block_size_valid),
	KUNIT_CASE(vmem_geo_bbm_block_size_invalid),
	KUNIT_CASE(vmem_geo_first_id_rounds_up),
	KUNIT_CASE(vmem_geo_no_whole_block),
	KUNIT_CASE(vmem_geo_usable_ids_counts),
	KUNIT_CASE(vmem_geo_usable_ids_capped),
	KUNIT_CASE(vmem_geo_bbm_4g_blocks),
	KUNIT_CASE(vmem_memmap_x86_sizes),
	KUNIT_CASE(vmem_reserve_quarantine),
	KUNIT_CASE(vmem_memmap_rounding),
	{}
};

static struct kunit_suite vmem_geometry_suite = {
	.name = "vmem_geometry",
	.test_cases = vmem_geometry_cases,
};

static struct kunit_case vmem_sb_cases[] = {
	KUNIT_CASE(vmem_sb_set_count_all),
	KUNIT_CASE(vmem_sb_unaligned_blocks),
	KUNIT_CASE(vmem_sb_find_run_lowest),
	KUNIT_CASE(vmem_sb_find_run_from_top),
	KUNIT_CASE(vmem_sb_find_run_above_lo),
	KUNIT_CASE(vmem_sbm_memmap_share),
	KUNIT_CASE(vmem_sbm_fresh_block),
	KUNIT_CASE(vmem_sbm_removable_block),
	KUNIT_CASE(vmem_sb_find_run_none),
	KUNIT_CASE(vmem_sbm_state_after_plug),
	KUNIT_CASE(vmem_sbm_state_onlining),
	KUNIT_CASE(vmem_sbm_state_offlining),
	KUNIT_CASE(vmem_sbm_state_online_pred),
	KUNIT_CASE(vmem_state_names),
	{}
};

static struct kunit_suite vmem_sb_suite = {
	.name = "vmem_sb",
	.test_cases = vmem_sb_cases,
};

static struct kunit_case vmem_select_cases[] = {
	KUNIT_CASE(vmem_select_orders),
	KUNIT_CASE(vmem_select_unplug_order),
	KUNIT_CASE(vmem_select_plug_order),
	KUNIT_CASE(vmem_select_states_change),
	KUNIT_CASE(vmem_select_empty),
	{}
};

static struct kunit_suite vmem_select_suite = {
	.name = "vmem_select",
	.test_cases = vmem_select_cases,
};

kunit_test_suites(&vmem_protocol_suite, &vmem_geometry_suite, &vmem_sb_suite,
		  &vmem_select_suite);

GUESTMEM_IMPORT_KUNIT_NS();
MODULE_DESCRIPTION("KUnit tests of the virtio-mem driver logic");
MODULE_LICENSE("GPL");
