/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device-independent logic of p2pmem_pci: NVMe CMB register decoding and
 * enable sequencing, P2P window validation, mmap request checks and
 * minor number bounds.  Nothing here touches a device, so KUnit tests it
 * with a simulated register file (kunit/p2pmem_kunit.c).
 */
#ifndef _P2PMEM_LOGIC_H
#define _P2PMEM_LOGIC_H

#include <linux/bits.h>
#include <linux/idr.h>
#include <linux/types.h>

/* NVMe controller registers (BAR 0) used for the CMB. */
#define P2PMEM_NVME_REG_CAP	0x00
#define P2PMEM_NVME_REG_CMBLOC	0x38
#define P2PMEM_NVME_REG_CMBSZ	0x3c
#define P2PMEM_NVME_REG_CMBMSC	0x50
#define P2PMEM_NVME_REG_CMBSTS	0x58
#define P2PMEM_NVME_REGS_LEN	0x1000

#define P2PMEM_NVME_CAP_CMBS	BIT_ULL(57)
#define P2PMEM_NVME_CAP_DSTRD	GENMASK_ULL(35, 32)
#define P2PMEM_NVME_MAX_QUEUES	65536ULL	/* queue identifiers are 16 bits */
#define P2PMEM_CMBMSC_CRE	BIT_ULL(0)
#define P2PMEM_CMBMSC_CMSE	BIT_ULL(1)
#define P2PMEM_CMBMSC_CBA_MASK	GENMASK_ULL(63, 12)
#define P2PMEM_CMBSTS_CBAI	BIT(0)

#define P2PMEM_CMBLOC_BIR	GENMASK(2, 0)
#define P2PMEM_CMBLOC_OFST	GENMASK(31, 12)
#define P2PMEM_CMBSZ_SQS	BIT(0)
#define P2PMEM_CMBSZ_CQS	BIT(1)
#define P2PMEM_CMBSZ_LISTS	BIT(2)
#define P2PMEM_CMBSZ_RDS	BIT(3)
#define P2PMEM_CMBSZ_WDS	BIT(4)
#define P2PMEM_CMBSZ_SZU	GENMASK(11, 8)
#define P2PMEM_CMBSZ_SZ		GENMASK(31, 12)
#define P2PMEM_CMBSZ_SZU_MAX	6

/* Smallest P2P window: one memory-hotplug subsection (x86-64). */
#define P2PMEM_MIN_ALIGN	(2ULL << 20)

/* Bounds of the max_devices module parameter (the chrdev region). */
#define P2PMEM_MINORS_MIN	1U
#define P2PMEM_MINORS_MAX	256U

/**
 * struct p2pmem_cmb - a decoded Controller Memory Buffer
 * @bir: BAR holding the CMB
 * @offset: byte offset of the CMB in that BAR
 * @size: usable size in bytes (clamped to the BAR)
 * @cmbsz: the raw CMBSZ value (capability bits)
 * @clamped: the controller announced more than the BAR holds
 */
struct p2pmem_cmb {
	unsigned int bir;
	u64 offset;
	u64 size;
	u32 cmbsz;
	bool clamped;
};

/**
 * struct p2pmem_nvme_regs - access to an NVMe register file
 * @read32: read a 32-bit register
 * @read64: read a 64-bit register
 * @write64: write a 64-bit register
 * @ctx: passed to the callbacks
 *
 * The driver passes MMIO accessors, the KUnit suite a simulated controller.
 */
struct p2pmem_nvme_regs {
	u32 (*read32)(void *ctx, unsigned int off);
	u64 (*read64)(void *ctx, unsigned int off);
	void (*write64)(void *ctx, unsigned int off, u64 val);
	void *ctx;
};

/**
 * enum p2pmem_win_err - why a BAR window cannot hold P2P memory
 * @P2PMEM_WIN_OK: usable
 * @P2PMEM_WIN_NOT_MEM: I/O port or unimplemented BAR
 * @P2PMEM_WIN_OFFSET: the window starts past the end of the BAR
 * @P2PMEM_WIN_TOO_LONG: the window ends past the end of the BAR
 * @P2PMEM_WIN_TOO_SMALL: smaller than %P2PMEM_MIN_ALIGN
 * @P2PMEM_WIN_START_ALIGN: start not aligned to %P2PMEM_MIN_ALIGN
 * @P2PMEM_WIN_SIZE_ALIGN: size not a multiple of %P2PMEM_MIN_ALIGN
 */
enum p2pmem_win_err {
	P2PMEM_WIN_OK,
	P2PMEM_WIN_NOT_MEM,
	P2PMEM_WIN_OFFSET,
	P2PMEM_WIN_TOO_LONG,
	P2PMEM_WIN_TOO_SMALL,
	P2PMEM_WIN_START_ALIGN,
	P2PMEM_WIN_SIZE_ALIGN,
};

u64 p2pmem_cmb_unit(unsigned int szu);
int p2pmem_cmb_decode(u32 cmbloc, u32 cmbsz, const u64 *bar_len,
		      struct p2pmem_cmb *cmb);
int p2pmem_cmb_probe(const struct p2pmem_nvme_regs *regs, const u64 *bar_len,
		     struct p2pmem_cmb *cmb, u64 *cap);
u64 p2pmem_nvme_regs_end(u64 cap);
int p2pmem_cmb_usable(const struct p2pmem_cmb *cmb, u64 cap);
int p2pmem_cmb_activate(const struct p2pmem_nvme_regs *regs, bool cmbs,
			u64 cba);
void p2pmem_cmb_deactivate(const struct p2pmem_nvme_regs *regs, bool cmbs);

enum p2pmem_win_err p2pmem_window_check(u64 bar_start, u64 bar_len,
					bool is_mem, u64 offset, u64 *size);
const char *p2pmem_window_str(enum p2pmem_win_err err);
int p2pmem_window_errno(enum p2pmem_win_err err);

int p2pmem_mmap_check(bool shared, unsigned long pgoff, u64 len, u64 size,
		      unsigned long page_size);

unsigned int p2pmem_minor_count(int requested);
int p2pmem_minor_get(struct ida *ida, unsigned int count);

#endif /* _P2PMEM_LOGIC_H */
