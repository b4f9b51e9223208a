// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the p2pmem_pci logic: NVMe CMB decoding (every SZU
 * unit, offsets, clamping), the CRE/CMSE enable sequence against a
 * simulated NVMe 1.4 controller, BAR window validation, mmap request
 * checks and minor number bounds.  The logic lives in p2pmem_pci.ko,
 * exported to this module only on KUnit kernels; no device needed.
 */
#include <kunit/test.h>
#include <linux/bitfield.h>
#include <linux/idr.h>
#include <linux/sizes.h>
#include <guestmem/compat.h>
#include "../drivers/pci/p2pmem/p2pmem_logic.h"

#define RDS_WDS (P2PMEM_CMBSZ_RDS | P2PMEM_CMBSZ_WDS)

/* register values (functions: FIELD_PREP() nested in KUNIT_* is too much for sparse) */
static u32 cmbsz_val(u32 sz, u32 szu, u32 caps)
{
	return FIELD_PREP(P2PMEM_CMBSZ_SZ, sz) | FIELD_PREP(P2PMEM_CMBSZ_SZU, szu) | caps;
}

static u32 cmbloc_val(u32 ofst, u32 bir)
{
	return FIELD_PREP(P2PMEM_CMBLOC_OFST, ofst) | bir;
}

/* decode a CMBLOC/CMBSZ pair against @bars */
static int decode(u32 ofst, u32 bir, u32 sz, u32 szu, u32 caps, const u64 *bars,
		  struct p2pmem_cmb *cmb)
{
	return p2pmem_cmb_decode(cmbloc_val(ofst, bir), cmbsz_val(sz, szu, caps), bars, cmb);
}

static const u64 bars_64m[6] = { SZ_16K, 0, SZ_64M, 0, 0, 0 };
static const u64 bars_bar0[6] = { SZ_64M, 0, 0, 0, 0, 0 };

/* ---- CMB decoding ---- */

static void p2pmem_cmb_units(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, p2pmem_cmb_unit(0), (u64)SZ_4K);
	KUNIT_EXPECT_EQ(test, p2pmem_cmb_unit(1), (u64)SZ_64K);
	KUNIT_EXPECT_EQ(test, p2pmem_cmb_unit(2), (u64)SZ_1M);
	KUNIT_EXPECT_EQ(test, p2pmem_cmb_unit(3), (u64)SZ_16M);
	KUNIT_EXPECT_EQ(test, p2pmem_cmb_unit(4), (u64)SZ_256M);
	KUNIT_EXPECT_EQ(test, p2pmem_cmb_unit(5), 4ULL << 30);
	KUNIT_EXPECT_EQ(test, p2pmem_cmb_unit(6), 64ULL << 30);
	KUNIT_EXPECT_EQ(test, p2pmem_cmb_unit(7), 0ULL);
	KUNIT_EXPECT_EQ(test, p2pmem_cmb_unit(15), 0ULL);
}

static void p2pmem_cmb_decode_every_unit(struct kunit *test)
{
	u64 bars[6] = { SZ_16K, 0, 0, 0, 0, 0 };
	struct p2pmem_cmb cmb;
	unsigned int szu;

	for (szu = 0; szu <= P2PMEM_CMBSZ_SZU_MAX; szu++) {
		u64 unit = p2pmem_cmb_unit(szu);

		/* 3 units at offset 2 units, in a BAR of 8 units */
		bars[4] = 8 * unit;
		KUNIT_ASSERT_EQ(test, decode(2, 4, 3, szu, RDS_WDS, bars, &cmb), 0);
		KUNIT_EXPECT_EQ(test, cmb.bir, 4U);
		KUNIT_EXPECT_EQ(test, cmb.offset, 2 * unit);
		KUNIT_EXPECT_EQ(test, cmb.size, 3 * unit);
		KUNIT_EXPECT_FALSE(test, cmb.clamped);
		KUNIT_EXPECT_EQ(test, cmb.cmbsz, cmbsz_val(3, szu, RDS_WDS));
	}
}

static void p2pmem_cmb_decode_qemu(struct kunit *test)
{
	struct p2pmem_cmb cmb;

	/* QEMU cmb_size_mb=64: BAR 2, SZU=MiB, SZ=64, SQS|LISTS|RDS|WDS */
	KUNIT_ASSERT_EQ(test, decode(0, 2, 64, 2, 0x1d, bars_64m, &cmb), 0);
	KUNIT_EXPECT_EQ(test, cmb.bir, 2U);
	KUNIT_EXPECT_EQ(test, cmb.offset, 0ULL);
	KUNIT_EXPECT_EQ(test, cmb.size, (u64)SZ_64M);
}

static void p2pmem_cmb_decode_errors(struct kunit *test)
{
	struct p2pmem_cmb cmb;

	/* no CMB */
	KUNIT_EXPECT_EQ(test, p2pmem_cmb_decode(0, 0, bars_64m, &cmb), -ENODEV);
	KUNIT_EXPECT_EQ(test, decode(0, 2, 0, 2, RDS_WDS, bars_64m, &cmb), -ENODEV);
	/* reserved SZU, reserved BIR */
	KUNIT_EXPECT_EQ(test, decode(0, 2, 1, 7, 0, bars_64m, &cmb), -EINVAL);
	KUNIT_EXPECT_EQ(test, decode(0, 6, 1, 2, 0, bars_64m, &cmb), -EINVAL);
	/* offset at and past the end of the BAR; unimplemented BAR */
	KUNIT_EXPECT_EQ(test, decode(64, 2, 1, 2, 0, bars_64m, &cmb), -ERANGE);
	KUNIT_EXPECT_EQ(test, decode(0xfffff, 2, 1, 6, 0, bars_64m, &cmb), -ERANGE);
	KUNIT_EXPECT_EQ(test, decode(0, 3, 1, 2, 0, bars_64m, &cmb), -ERANGE);
}

static void p2pmem_cmb_decode_clamps(struct kunit *test)
{
	struct p2pmem_cmb cmb;

	/* 128 MiB announced in a 64 MiB BAR; 60 MiB at offset 8 MiB */
	KUNIT_ASSERT_EQ(test, decode(0, 2, 128, 2, 0, bars_64m, &cmb), 0);
	KUNIT_EXPECT_EQ(test, cmb.size, (u64)SZ_64M);
	KUNIT_EXPECT_TRUE(test, cmb.clamped);
	KUNIT_ASSERT_EQ(test, decode(8, 2, 60, 2, 0, bars_64m, &cmb), 0);
	KUNIT_EXPECT_EQ(test, cmb.offset, (u64)SZ_8M);
	KUNIT_EXPECT_EQ(test, cmb.size, 56ULL << 20);
	KUNIT_EXPECT_TRUE(test, cmb.clamped);
	/* the largest encodable values do not overflow */
	{
		u64 huge[6] = { 0, 0, U64_MAX, 0, 0, 0 };

		KUNIT_ASSERT_EQ(test, decode(0xfffff, 2, 0xfffff, 6, 0, huge, &cmb), 0);
		KUNIT_EXPECT_EQ(test, cmb.offset, 0xfffffULL << 36);
		KUNIT_EXPECT_EQ(test, cmb.size, 0xfffffULL << 36);
	}
}

/* ---- enable sequencing against a simulated controller ---- */

struct fake_nvme {
	bool cmbs;		/* CAP.CMBS: NVMe 1.4 CMB management */
	u32 cmbloc, cmbsz;	/* what the controller implements */
	u64 cmbmsc;
	u64 max_cba;		/* CBA above this sets CMBSTS.CBAI */
	unsigned int nwrites;
	u64 writes[8];
	bool read_before_cre;	/* CMBLOC/CMBSZ read while CRE was clear */
	unsigned int dstrd;	/* CAP.DSTRD */
};

static u32 fake_read32(void *ctx, unsigned int off)
{
	struct fake_nvme *f = ctx;
	bool cre = !f->cmbs || (f->cmbmsc & P2PMEM_CMBMSC_CRE);

	switch (off) {
	case P2PMEM_NVME_REG_CMBLOC:
	case P2PMEM_NVME_REG_CMBSZ:
		if (!cre) {
			f->read_before_cre = true;
			return 0;
		}
		return off == P2PMEM_NVME_REG_CMBLOC ? f->cmbloc : f->cmbsz;
	case P2PMEM_NVME_REG_CMBSTS:
		return (f->cmbmsc & P2PMEM_CMBMSC_CMSE) &&
		       (f->cmbmsc & P2PMEM_CMBMSC_CBA_MASK) > f->max_cba;
	}
	return 0;
}

static u64 fake_read64(void *ctx, unsigned int off)
{
	struct fake_nvme *f = ctx;

	if (off != P2PMEM_NVME_REG_CAP)
		return 0;
	return (f->cmbs ? P2PMEM_NVME_CAP_CMBS : 0) | FIELD_PREP(P2PMEM_NVME_CAP_DSTRD, f->dstrd);
}

static void fake_write64(void *ctx, unsigned int off, u64 val)
{
	struct fake_nvme *f = ctx;

	if (off != P2PMEM_NVME_REG_CMBMSC)
		return;
	f->cmbmsc = val;
	if (f->nwrites < ARRAY_SIZE(f->writes))
		f->writes[f->nwrites] = val;
	f->nwrites++;
}

static void fake_init(struct fake_nvme *f, struct p2pmem_nvme_regs *r, bool cmbs)
{
	*f = (struct fake_nvme) {
		.cmbs = cmbs, .cmbloc = cmbloc_val(0, 2), .cmbsz = cmbsz_val(64, 2, 0x1d),
		.max_cba = U64_MAX,
	};
	*r = (struct p2pmem_nvme_regs) {
		.read32 = fake_read32, .read64 = fake_read64,
		.write64 = fake_write64, .ctx = f,
	};
}

/* p2pmem_cmb_probe() with CAP.CMBS returned as @cmbs */
static int probe(const struct p2pmem_nvme_regs *r, const u64 *bars,
		 struct p2pmem_cmb *cmb, bool *cmbs)
{
	u64 cap = 0;
	int err = p2pmem_cmb_probe(r, bars, cmb, &cap);

	*cmbs = cap & P2PMEM_NVME_CAP_CMBS;
	return err;
}

static void p2pmem_cmb_sequence_v14(struct kunit *test)
{
	const u64 cba = 0xfe000000ULL;
	struct p2pmem_nvme_regs r;
	struct p2pmem_cmb cmb;
	struct fake_nvme f;
	bool cmbs;

	fake_init(&f, &r, true);
	KUNIT_ASSERT_EQ(test, probe(&r, bars_64m, &cmb, &cmbs), 0);
	KUNIT_EXPECT_TRUE(test, cmbs);
	KUNIT_EXPECT_FALSE(test, f.read_before_cre);
	KUNIT_EXPECT_EQ(test, cmb.size, (u64)SZ_64M);
	/* CRE alone first: capabilities visible, memory space still off */
	KUNIT_ASSERT_EQ(test, f.nwrites, 1U);
	KUNIT_EXPECT_EQ(test, f.writes[0], P2PMEM_CMBMSC_CRE);

	KUNIT_ASSERT_EQ(test, p2pmem_cmb_activate(&r, cmbs, cba), 0);
	KUNIT_ASSERT_EQ(test, f.nwrites, 2U);
	KUNIT_EXPECT_EQ(test, f.writes[1], cba | P2PMEM_CMBMSC_CMSE | P2PMEM_CMBMSC_CRE);

	p2pmem_cmb_deactivate(&r, cmbs);
	KUNIT_EXPECT_EQ(test, f.cmbmsc, 0ULL);
}

static void p2pmem_cmb_sequence_legacy(struct kunit *test)
{
	struct p2pmem_nvme_regs r;
	struct p2pmem_cmb cmb;
	struct fake_nvme f;
	bool cmbs;

	/* NVMe <= 1.3: registers always visible, CMBMSC never written */
	fake_init(&f, &r, false);
	KUNIT_ASSERT_EQ(test, probe(&r, bars_64m, &cmb, &cmbs), 0);
	KUNIT_EXPECT_FALSE(test, cmbs);
	KUNIT_EXPECT_EQ(test, cmb.size, (u64)SZ_64M);
	KUNIT_EXPECT_EQ(test, p2pmem_cmb_activate(&r, cmbs, 0xfe000000ULL), 0);
	p2pmem_cmb_deactivate(&r, cmbs);
	KUNIT_EXPECT_EQ(test, f.nwrites, 0U);
}

static void p2pmem_cmb_sequence_errors(struct kunit *test)
{
	struct p2pmem_nvme_regs r;
	struct p2pmem_cmb cmb;
	struct fake_nvme f;
	bool cmbs;

	/* misaligned CBA: nothing written beyond CRE */
	fake_init(&f, &r, true);
	KUNIT_ASSERT_EQ(test, probe(&r, bars_64m, &cmb, &cmbs), 0);
	KUNIT_EXPECT_EQ(test, p2pmem_cmb_activate(&r, cmbs, 0xfe000800ULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, f.nwrites, 1U);

	/* controller flags the address invalid: CMSE is withdrawn */
	fake_init(&f, &r, true);
	f.max_cba = 0xffffffffULL;
	KUNIT_ASSERT_EQ(test, probe(&r, bars_64m, &cmb, &cmbs), 0);
	KUNIT_EXPECT_EQ(test, p2pmem_cmb_activate(&r, cmbs, 1ULL << 40), -EIO);
	KUNIT_EXPECT_EQ(test, f.cmbmsc, P2PMEM_CMBMSC_CRE);

	/* controller without a CMB */
	fake_init(&f, &r, true);
	f.cmbsz = 0;
	KUNIT_EXPECT_EQ(test, probe(&r, bars_64m, &cmb, &cmbs), -ENODEV);

	/* no read or no write data in the CMB: not published (as in-tree nvme) */
	fake_init(&f, &r, true);
	f.cmbsz = cmbsz_val(64, 2, P2PMEM_CMBSZ_SQS | P2PMEM_CMBSZ_WDS);
	KUNIT_EXPECT_EQ(test, probe(&r, bars_64m, &cmb, &cmbs), -EOPNOTSUPP);
	fake_init(&f, &r, true);
	f.cmbsz = cmbsz_val(64, 2, P2PMEM_CMBSZ_RDS);
	KUNIT_EXPECT_EQ(test, probe(&r, bars_64m, &cmb, &cmbs), -EOPNOTSUPP);

	/* a CMB in BAR 0 on top of the registers and doorbells */
	fake_init(&f, &r, true);
	f.cmbloc = cmbloc_val(0, 0);
	KUNIT_EXPECT_EQ(test, probe(&r, bars_bar0, &cmb, &cmbs), -EADDRINUSE);
	/* past the doorbells of every queue (DSTRD 0: 4 KiB + 512 KiB): fine */
	fake_init(&f, &r, true);
	f.cmbloc = cmbloc_val(1, 0);	/* 1 MiB units: offset 1 MiB */
	f.cmbsz = cmbsz_val(2, 2, RDS_WDS);
	KUNIT_EXPECT_EQ(test, probe(&r, bars_bar0, &cmb, &cmbs), 0);
	/* the same offset with a doorbell stride of 16 bytes is refused */
	fake_init(&f, &r, true);
	f.cmbloc = cmbloc_val(1, 0);
	f.cmbsz = cmbsz_val(2, 2, RDS_WDS);
	f.dstrd = 2;
	KUNIT_EXPECT_EQ(test, probe(&r, bars_bar0, &cmb, &cmbs), -EADDRINUSE);
}

static void p2pmem_nvme_register_file(struct kunit *test)
{
	struct p2pmem_cmb cmb = { .bir = 2, .offset = 0, .size = SZ_64M, .cmbsz = RDS_WDS };
	/* not nested in KUNIT_*, see cmbsz_val() */
	u64 dstrd1 = FIELD_PREP(P2PMEM_NVME_CAP_DSTRD, 1);

	KUNIT_EXPECT_EQ(test, p2pmem_nvme_regs_end(0), (u64)SZ_4K + SZ_512K);
	KUNIT_EXPECT_EQ(test, p2pmem_nvme_regs_end(dstrd1), (u64)SZ_4K + SZ_1M);
	/* the largest stride (15): 128 KiB per doorbell */
	KUNIT_EXPECT_EQ(test, p2pmem_nvme_regs_end(P2PMEM_NVME_CAP_DSTRD),
			(u64)SZ_4K + (16ULL << 30));
	/* other capability bits do not matter */
	KUNIT_EXPECT_EQ(test, p2pmem_nvme_regs_end(P2PMEM_NVME_CAP_CMBS | 0xffff),
			(u64)SZ_4K + SZ_512K);

	KUNIT_EXPECT_EQ(test, p2pmem_cmb_usable(&cmb, 0), 0);
	cmb.bir = 0;
	KUNIT_EXPECT_EQ(test, p2pmem_cmb_usable(&cmb, 0), -EADDRINUSE);
	cmb.offset = SZ_4K + SZ_512K - SZ_4K;
	KUNIT_EXPECT_EQ(test, p2pmem_cmb_usable(&cmb, 0), -EADDRINUSE);
	cmb.offset = SZ_4K + SZ_512K;
	KUNIT_EXPECT_EQ(test, p2pmem_cmb_usable(&cmb, 0), 0);
	cmb.cmbsz = P2PMEM_CMBSZ_RDS;
	KUNIT_EXPECT_EQ(test, p2pmem_cmb_usable(&cmb, 0), -EOPNOTSUPP);
	cmb.cmbsz = 0;
	KUNIT_EXPECT_EQ(test, p2pmem_cmb_usable(&cmb, 0), -EOPNOTSUPP);
}

/* ---- window validation ---- */

static void p2pmem_window_validation(struct kunit *test)
{
	const u64 base = 0xfe000000ULL;
	u64 size;

	size = 0;
	KUNIT_EXPECT_EQ(test, p2pmem_window_check(base, SZ_64M, true, 0, &size),
			P2PMEM_WIN_OK);
	KUNIT_EXPECT_EQ(test, size, (u64)SZ_64M);
	size = SZ_2M;
	KUNIT_EXPECT_EQ(test, p2pmem_window_check(base, SZ_64M, true, SZ_8M, &size),
			P2PMEM_WIN_OK);
	size = 0;
	KUNIT_EXPECT_EQ(test, p2pmem_window_check(base, SZ_64M, true, SZ_8M, &size),
			P2PMEM_WIN_OK);
	KUNIT_EXPECT_EQ(test, size, 56ULL << 20);

	size = 0;
	KUNIT_EXPECT_EQ(test, p2pmem_window_check(0x1000, 0x100, false, 0, &size),
			P2PMEM_WIN_NOT_MEM);
	size = 0;
	KUNIT_EXPECT_EQ(test, p2pmem_window_check(base, 0, true, 0, &size),
			P2PMEM_WIN_NOT_MEM);
	size = 0;
	KUNIT_EXPECT_EQ(test, p2pmem_window_check(base, SZ_64M, true, SZ_64M, &size),
			P2PMEM_WIN_OFFSET);
	size = SZ_64M;
	KUNIT_EXPECT_EQ(test, p2pmem_window_check(base, SZ_64M, true, SZ_2M, &size),
			P2PMEM_WIN_TOO_LONG);
	size = 0;
	KUNIT_EXPECT_EQ(test, p2pmem_window_check(base, SZ_1M, true, 0, &size),
			P2PMEM_WIN_TOO_SMALL);
	size = 0;
	KUNIT_EXPECT_EQ(test, p2pmem_window_check(base, SZ_64K, true, 0, &size),
			P2PMEM_WIN_TOO_SMALL);
	size = SZ_2M;
	KUNIT_EXPECT_EQ(test, p2pmem_window_check(base + SZ_1M, SZ_64M, true, 0, &size),
			P2PMEM_WIN_START_ALIGN);
	size = SZ_2M;
	KUNIT_EXPECT_EQ(test, p2pmem_window_check(base, SZ_64M, true, SZ_1M, &size),
			P2PMEM_WIN_START_ALIGN);
	size = SZ_4M + SZ_4K;
	KUNIT_EXPECT_EQ(test, p2pmem_window_check(base, SZ_64M, true, 0, &size),
			P2PMEM_WIN_SIZE_ALIGN);

	KUNIT_EXPECT_EQ(test, p2pmem_window_errno(P2PMEM_WIN_OK), 0);
	KUNIT_EXPECT_EQ(test, p2pmem_window_errno(P2PMEM_WIN_NOT_MEM), -ENODEV);
	KUNIT_EXPECT_EQ(test, p2pmem_window_errno(P2PMEM_WIN_OFFSET), -ERANGE);
	KUNIT_EXPECT_EQ(test, p2pmem_window_errno(P2PMEM_WIN_TOO_SMALL), -EINVAL);
	KUNIT_EXPECT_STREQ(test, p2pmem_window_str(P2PMEM_WIN_TOO_SMALL),
			   "window smaller than 2 MiB");
}

/* ---- mmap requests ---- */

static void p2pmem_mmap_requests(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, p2pmem_mmap_check(true, 0, SZ_4K, SZ_64M, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, p2pmem_mmap_check(true, 0, SZ_64M, SZ_64M, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, p2pmem_mmap_check(false, 0, SZ_4K, SZ_64M, SZ_4K), -EINVAL);
	KUNIT_EXPECT_EQ(test, p2pmem_mmap_check(true, 1, SZ_4K, SZ_64M, SZ_4K), -EINVAL);
	KUNIT_EXPECT_EQ(test, p2pmem_mmap_check(true, 0, 0, SZ_64M, SZ_4K), -EINVAL);
	KUNIT_EXPECT_EQ(test, p2pmem_mmap_check(true, 0, 100, SZ_64M, SZ_4K), -EINVAL);
	KUNIT_EXPECT_EQ(test, p2pmem_mmap_check(true, 0, SZ_128M, SZ_64M, SZ_4K), -ENOMEM);
}

/* ---- minors ---- */

static void p2pmem_minor_bounds(struct kunit *test)
{
	struct ida ida;
	unsigned int i, n;

	KUNIT_EXPECT_EQ(test, p2pmem_minor_count(-5), P2PMEM_MINORS_MIN);
	KUNIT_EXPECT_EQ(test, p2pmem_minor_count(0), P2PMEM_MINORS_MIN);
	KUNIT_EXPECT_EQ(test, p2pmem_minor_count(16), 16U);
	KUNIT_EXPECT_EQ(test, p2pmem_minor_count(100000), P2PMEM_MINORS_MAX);

	ida_init(&ida);
	n = p2pmem_minor_count(4);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, p2pmem_minor_get(&ida, n), (int)i);
	KUNIT_EXPECT_EQ(test, p2pmem_minor_get(&ida, n), -ENOSPC);
	ida_free(&ida, 2);
	KUNIT_EXPECT_EQ(test, p2pmem_minor_get(&ida, n), 2);
	KUNIT_EXPECT_EQ(test, p2pmem_minor_get(&ida, 0), -ENOSPC);
	ida_destroy(&ida);
}

static struct kunit_case p2pmem_cmb_cases[] = {
	KUNIT_CASE(p2pmem_cmb_units),
	KUNIT_CASE(p2pmem_cmb_decode_every_unit),
	KUNIT_CASE(p2pmem_cmb_decode_qemu),
	KUNIT_CASE(p2pmem_cmb_decode_errors),
	KUNIT_CASE(p2pmem_cmb_decode_clamps),
	KUNIT_CASE(p2pmem_cmb_sequence_v14),
	KUNIT_CASE(p2pmem_cmb_sequence_legacy),
	KUNIT_CASE(p2pmem_cmb_sequence_errors),
	KUNIT_CASE(p2pmem_nvme_register_file),
	{}
};

static struct kunit_suite p2pmem_cmb_suite = {
	.name = "p2pmem_cmb",
	.test_cases = p2pmem_cmb_cases,
};

static struct kunit_case p2pmem_logic_cases[] = {
	KUNIT_CASE(p2pmem_window_validation),
	KUNIT_CASE(p2pmem_mmap_requests),
	KUNIT_CASE(p2pmem_minor_bounds),
	{}
};

static struct kunit_suite p2pmem_logic_suite = {
	.name = "p2pmem_logic",
	.test_cases = p2pmem_logic_cases,
};

kunit_test_suites(&p2pmem_cmb_suite, &p2pmem_logic_suite);

GUESTMEM_IMPORT_KUNIT_NS();
MODULE_DESCRIPTION("KUnit tests of the p2pmem_pci logic");
MODULE_LICENSE("GPL");
