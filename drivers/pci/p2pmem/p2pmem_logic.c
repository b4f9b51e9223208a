// SPDX-License-Identifier: GPL-2.0
/*
 * p2pmem_pci: NVMe CMB decoding and enable sequencing, P2P window and
 * mmap request validation, minor number bounds.  No device access except
 * through struct p2pmem_nvme_regs, so KUnit covers all of it.
 */
#include <linux/bitfield.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <kunit/visibility.h>
#include "p2pmem_logic.h"

/**
 * p2pmem_cmb_unit() - bytes per CMBSZ.SZU unit
 * @szu: the SZU field
 *
 * Return: 4 KiB * 16^@szu, or 0 for a reserved encoding (> 6).
 */
u64 p2pmem_cmb_unit(unsigned int szu)
{
	if (szu > P2PMEM_CMBSZ_SZU_MAX)
		return 0;
	return 4096ULL << (4 * szu);
}
EXPORT_SYMBOL_IF_KUNIT(p2pmem_cmb_unit);

/**
 * p2pmem_cmb_decode() - locate the CMB from CMBLOC and CMBSZ
 * @cmbloc: CMBLOC register value
 * @cmbsz: CMBSZ register value
 * @bar_len: lengths of BARs 0-5
 * @cmb: filled in on success
 *
 * Size and offset are both counted in SZU units.  A CMB running past the
 * end of its BAR is clamped (as the in-tree nvme driver does).
 *
 * Return: 0; -ENODEV when the controller has no CMB (CMBSZ.SZ == 0);
 * -EINVAL for a reserved SZU or BIR; -ERANGE when the CMB starts past
 * the end of the BAR.
 */
int p2pmem_cmb_decode(u32 cmbloc, u32 cmbsz, const u64 *bar_len,
		      struct p2pmem_cmb *cmb)
{
	u64 unit, offset, size, len;
	unsigned int bir;

	if (!FIELD_GET(P2PMEM_CMBSZ_SZ, cmbsz))
		return -ENODEV;
	unit = p2pmem_cmb_unit(FIELD_GET(P2PMEM_CMBSZ_SZU, cmbsz));
	bir = FIELD_GET(P2PMEM_CMBLOC_BIR, cmbloc);
	if (!unit || bir > 5)
		return -EINVAL;
	/* both fields are 20 bits and unit <= 2^36: no overflow in u64 */
	size = unit * FIELD_GET(P2PMEM_CMBSZ_SZ, cmbsz);
	offset = unit * FIELD_GET(P2PMEM_CMBLOC_OFST, cmbloc);
	len = bar_len[bir];
	if (offset >= len)
		return -ERANGE;
	cmb->bir = bir;
	cmb->offset = offset;
	cmb->size = min(size, len - offset);
	cmb->clamped = size > len - offset;
	cmb->cmbsz = cmbsz;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(p2pmem_cmb_decode);

/**
 * p2pmem_nvme_regs_end() - end of the register file of an NVMe BAR 0
 * @cap: the CAP register (DSTRD: doorbell stride)
 *
 * 4 KiB of registers, then a submission and a completion doorbell of
 * 4 << CAP.DSTRD bytes each for every possible queue (65536: the number
 * of queues is only negotiated when the controller is enabled, which
 * never happens here, so this is the bound the spec allows).  Nothing
 * of this may become user-mappable memory: CC alone would let a process
 * enable the controller with queues anywhere in memory.
 *
 * Return: the first byte offset in BAR 0 past every register and doorbell.
 */
u64 p2pmem_nvme_regs_end(u64 cap)
{
	u64 stride = 4ULL << FIELD_GET(P2PMEM_NVME_CAP_DSTRD, cap);

	return P2PMEM_NVME_REGS_LEN + 2 * P2PMEM_NVME_MAX_QUEUES * stride;
}
EXPORT_SYMBOL_IF_KUNIT(p2pmem_nvme_regs_end);

/**
 * p2pmem_cmb_usable() - may a decoded CMB become P2P memory?
 * @cmb: from p2pmem_cmb_decode()
 * @cap: the controller's CAP register
 *
 * As the in-tree nvme driver publishes a CMB only if it can hold both
 * read and write data (CMBSZ.RDS and WDS), so does p2pmem_pci.  A CMB in
 * BAR 0 must not overlap the registers and doorbells.
 *
 * Return: 0; -EOPNOTSUPP without RDS and WDS; -EADDRINUSE when the CMB
 * overlaps the register file (p2pmem_nvme_regs_end()).
 */
int p2pmem_cmb_usable(const struct p2pmem_cmb *cmb, u64 cap)
{
	const u32 data = P2PMEM_CMBSZ_RDS | P2PMEM_CMBSZ_WDS;

	if ((cmb->cmbsz & data) != data)
		return -EOPNOTSUPP;
	if (cmb->bir == 0 && cmb->offset < p2pmem_nvme_regs_end(cap))
		return -EADDRINUSE;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(p2pmem_cmb_usable);

/**
 * p2pmem_cmb_probe() - enable the CMB capability registers and decode them
 * @regs: register access
 * @bar_len: lengths of BARs 0-5
 * @cmb: filled in on success
 * @cap: set to the CAP register
 *
 * Controllers implementing NVMe 1.4 CMB management (CAP.CMBS) report
 * CMBLOC and CMBSZ as zero until CMBMSC.CRE is set, so CRE is written
 * first; the memory space itself stays disabled (no CMSE) until
 * p2pmem_cmb_activate().
 *
 * Return: as p2pmem_cmb_decode(), then as p2pmem_cmb_usable().
 */
int p2pmem_cmb_probe(const struct p2pmem_nvme_regs *regs, const u64 *bar_len,
		     struct p2pmem_cmb *cmb, u64 *cap)
{
	int err;

	*cap = regs->read64(regs->ctx, P2PMEM_NVME_REG_CAP);
	if (*cap & P2PMEM_NVME_CAP_CMBS)
		regs->write64(regs->ctx, P2PMEM_NVME_REG_CMBMSC, P2PMEM_CMBMSC_CRE);
	err = p2pmem_cmb_decode(regs->read32(regs->ctx, P2PMEM_NVME_REG_CMBLOC),
				regs->read32(regs->ctx, P2PMEM_NVME_REG_CMBSZ),
				bar_len, cmb);
	return err ? err : p2pmem_cmb_usable(cmb, *cap);
}
EXPORT_SYMBOL_IF_KUNIT(p2pmem_cmb_probe);

/**
 * p2pmem_cmb_activate() - enable the CMB memory space at a bus address
 * @regs: register access
 * @cmbs: CAP.CMBS as returned by p2pmem_cmb_probe()
 * @cba: bus address of the first byte of the CMB
 *
 * Without CAP.CMBS (NVMe <= 1.3) the CMB is always enabled at its BAR
 * address and nothing is written.
 *
 * Return: 0; -EINVAL if @cba is not 4 KiB aligned; -EIO if the controller
 * flags the address invalid (CMBSTS.CBAI), CRE is then left set alone.
 */
int p2pmem_cmb_activate(const struct p2pmem_nvme_regs *regs, bool cmbs,
			u64 cba)
{
	if (!cmbs)
		return 0;
	if (cba & ~P2PMEM_CMBMSC_CBA_MASK)
		return -EINVAL;
	regs->write64(regs->ctx, P2PMEM_NVME_REG_CMBMSC,
		      cba | P2PMEM_CMBMSC_CMSE | P2PMEM_CMBMSC_CRE);
	if (regs->read32(regs->ctx, P2PMEM_NVME_REG_CMBSTS) & P2PMEM_CMBSTS_CBAI) {
		regs->write64(regs->ctx, P2PMEM_NVME_REG_CMBMSC, P2PMEM_CMBMSC_CRE);
		return -EIO;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(p2pmem_cmb_activate);

/**
 * p2pmem_cmb_deactivate() - disable the CMB memory space again
 * @regs: register access
 * @cmbs: CAP.CMBS as returned by p2pmem_cmb_probe()
 */
void p2pmem_cmb_deactivate(const struct p2pmem_nvme_regs *regs, bool cmbs)
{
	if (cmbs)
		regs->write64(regs->ctx, P2PMEM_NVME_REG_CMBMSC, 0);
}
EXPORT_SYMBOL_IF_KUNIT(p2pmem_cmb_deactivate);

/**
 * p2pmem_window_check() - can a BAR window become P2P memory?
 * @bar_start: CPU address of the BAR
 * @bar_len: length of the BAR (0: not implemented)
 * @is_mem: the BAR decodes memory (not I/O ports)
 * @offset: start of the window in the BAR
 * @size: window length; 0 means "to the end of the BAR" and is replaced
 *
 * ZONE_DEVICE pages are created per memory-hotplug subsection, so start
 * and size must be multiples of %P2PMEM_MIN_ALIGN.
 *
 * Return: %P2PMEM_WIN_OK or the first problem found.
 */
enum p2pmem_win_err p2pmem_window_check(u64 bar_start, u64 bar_len,
					bool is_mem, u64 offset, u64 *size)
{
	if (!is_mem || !bar_len)
		return P2PMEM_WIN_NOT_MEM;
	if (offset >= bar_len)
		return P2PMEM_WIN_OFFSET;
	if (!*size)
		*size = bar_len - offset;
	if (*size > bar_len - offset)
		return P2PMEM_WIN_TOO_LONG;
	if (*size < P2PMEM_MIN_ALIGN)
		return P2PMEM_WIN_TOO_SMALL;
	if ((bar_start + offset) & (P2PMEM_MIN_ALIGN - 1))
		return P2PMEM_WIN_START_ALIGN;
	if (*size & (P2PMEM_MIN_ALIGN - 1))
		return P2PMEM_WIN_SIZE_ALIGN;
	return P2PMEM_WIN_OK;
}
EXPORT_SYMBOL_IF_KUNIT(p2pmem_window_check);

/**
 * p2pmem_window_str() - human-readable reason for a window error
 * @err: result of p2pmem_window_check()
 *
 * Return: a constant string.
 */
const char *p2pmem_window_str(enum p2pmem_win_err err)
{
	switch (err) {
	case P2PMEM_WIN_OK:
		return "usable";
	case P2PMEM_WIN_NOT_MEM:
		return "not a memory BAR";
	case P2PMEM_WIN_OFFSET:
		return "window starts past the end of the BAR";
	case P2PMEM_WIN_TOO_LONG:
		return "window ends past the end of the BAR";
	case P2PMEM_WIN_TOO_SMALL:
		return "window smaller than 2 MiB";
	case P2PMEM_WIN_START_ALIGN:
		return "window start not 2 MiB aligned";
	case P2PMEM_WIN_SIZE_ALIGN:
		return "window size not a multiple of 2 MiB";
	}
	return "unknown";
}
EXPORT_SYMBOL_IF_KUNIT(p2pmem_window_str);

/**
 * p2pmem_window_errno() - errno for a window error
 * @err: result of p2pmem_window_check()
 *
 * Return: 0, -ENODEV (not a memory BAR), -ERANGE (outside the BAR) or
 * -EINVAL (size or alignment).
 */
int p2pmem_window_errno(enum p2pmem_win_err err)
{
	switch (err) {
	case P2PMEM_WIN_OK:
		return 0;
	case P2PMEM_WIN_NOT_MEM:
		return -ENODEV;
	case P2PMEM_WIN_OFFSET:
	case P2PMEM_WIN_TOO_LONG:
		return -ERANGE;
	default:
		return -EINVAL;
	}
}
EXPORT_SYMBOL_IF_KUNIT(p2pmem_window_errno);

/**
 * p2pmem_mmap_check() - validate an mmap() request on /dev/p2pmemN
 * @shared: the mapping is MAP_SHARED (VM_MAYSHARE)
 * @pgoff: the mmap offset in pages
 * @len: length of the mapping in bytes
 * @size: size of the provider's P2P memory
 * @page_size: PAGE_SIZE
 *
 * Every mmap() allocates a new buffer, so the offset carries no meaning
 * and must be 0 (as for the kernel's p2pmem/allocate file).
 *
 * Return: 0; -EINVAL for a private mapping, a non-zero offset or a bad
 * length; -ENOMEM when @len exceeds the provider's memory.
 */
int p2pmem_mmap_check(bool shared, unsigned long pgoff, u64 len, u64 size,
		      unsigned long page_size)
{
	if (!shared || pgoff)
		return -EINVAL;
	if (!len || len & (page_size - 1))
		return -EINVAL;
	if (len > size)
		return -ENOMEM;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(p2pmem_mmap_check);

/**
 * p2pmem_minor_count() - size of the chrdev region for max_devices
 * @requested: the module parameter
 *
 * Return: @requested clamped to [%P2PMEM_MINORS_MIN, %P2PMEM_MINORS_MAX].
 */
unsigned int p2pmem_minor_count(int requested)
{
	return clamp_t(int, requested, P2PMEM_MINORS_MIN, P2PMEM_MINORS_MAX);
}
EXPORT_SYMBOL_IF_KUNIT(p2pmem_minor_count);

/**
 * p2pmem_minor_get() - allocate a minor inside the chrdev region
 * @ida: the allocator
 * @count: size of the region (from p2pmem_minor_count())
 *
 * Return: a minor in [0, @count), or -ENOSPC / -ENOMEM.
 */
int p2pmem_minor_get(struct ida *ida, unsigned int count)
{
	if (!count)
		return -ENOSPC;
	return ida_alloc_max(ida, count - 1, GFP_KERNEL);
}
EXPORT_SYMBOL_IF_KUNIT(p2pmem_minor_get);
