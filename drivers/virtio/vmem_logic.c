// SPDX-License-Identifier: GPL-2.0
/*
 * Device-independent logic of the virtio-mem driver (see vmem_logic.h).
 * Exported to the KUnit module only when the kernel has KUnit.
 */
#include <kunit/visibility.h>
#include <linux/bitmap.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/stddef.h>
#include <linux/string.h>

#include "vmem_logic.h"

static bool vmem_aligned(u64 v, u64 a)
{
	return (v & (a - 1)) == 0;
}

/**
 * vmem_cfg_validate() - check a device config before using it
 * @cfg: config as read from the device
 * @why: set to a human-readable reason when the config is refused
 *
 * Return: 0 if the driver can work with @cfg, -EINVAL otherwise.
 */
int vmem_cfg_validate(const struct vmem_cfg *cfg, const char **why)
{
	u64 bs = cfg->block_size;

	if (!bs || !is_power_of_2(bs)) {
		*why = "device block size is not a power of two";
		return -EINVAL;
	}
	if (bs < PAGE_SIZE) {
		*why = "device block size is smaller than a page";
		return -EINVAL;
	}
	if (!vmem_aligned(cfg->addr, bs)) {
		*why = "region start is not aligned to the device block size";
		return -EINVAL;
	}
	if (!cfg->region_size || !vmem_aligned(cfg->region_size, bs)) {
		*why = "region size is zero or not a multiple of the device block size";
		return -EINVAL;
	}
	if (cfg->addr + cfg->region_size < cfg->addr) {
		*why = "region wraps around the physical address space";
		return -EINVAL;
	}
	if (cfg->usable_region_size > cfg->region_size) {
		*why = "usable region size exceeds the region size";
		return -EINVAL;
	}
	if (cfg->plugged_size > cfg->region_size ||
	    cfg->requested_size > cfg->region_size) {
		*why = "plugged or requested size exceeds the region size";
		return -EINVAL;
	}
	if (!vmem_aligned(cfg->usable_region_size, bs) ||
	    !vmem_aligned(cfg->plugged_size, bs) ||
	    !vmem_aligned(cfg->requested_size, bs)) {
		*why = "a size is not a multiple of the device block size";
		return -EINVAL;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vmem_cfg_validate);

/**
 * vmem_geo_init() - choose SBM or BBM and the block geometry
 * @geo: result
 * @in: validated config, kernel sizes and module parameters
 * @why: set to the reason when the region cannot be used
 *
 * Sub Block Mode when a sub-block (max of device block and pageblock) is
 * smaller than a Linux memory block and BBM is not forced; otherwise Big
 * Block Mode with the largest of device block, memory block and a valid
 * bbm_block_size.  The first block is the first whole one inside both the
 * region and the kernel's pluggable range.
 *
 * Return: 0 or -EINVAL (@why set).
 */
int vmem_geo_init(struct vmem_geo *geo, const struct vmem_geo_in *in,
		  const char **why)
{
	const struct vmem_cfg *cfg = in->cfg;
	u64 start, end;

	memset(geo, 0, sizeof(*geo));
	geo->sb_size = max(cfg->block_size, in->pageblock_size);
	geo->sbm = !in->force_bbm && geo->sb_size < in->memory_block_size;
	if (geo->sbm) {
		geo->block_size = in->memory_block_size;
		geo->sbs_per_block = geo->block_size / geo->sb_size;
	} else {
		geo->block_size = max(cfg->block_size, in->memory_block_size);
		if (in->bbm_block_size) {
			if (!is_power_of_2(in->bbm_block_size) ||
			    in->bbm_block_size < geo->block_size) {
				*why = "bbm_block_size: not a power of two, or too small";
				return -EINVAL;
			}
			geo->block_size = in->bbm_block_size;
		}
		geo->sb_size = geo->block_size;
		geo->sbs_per_block = 1;
	}

	start = max(cfg->addr, in->plug_start);
	end = min(cfg->addr + cfg->region_size - 1, in->plug_end);
	geo->first_id = DIV64_U64_ROUND_UP(start, geo->block_size);
	if (start > end ||
	    vmem_id_to_phys(geo, geo->first_id) + geo->block_size - 1 > end) {
		*why = "the region holds no whole block the kernel can hot-add";
		return -EINVAL;
	}
	geo->nr_ids = div64_u64(end + 1, geo->block_size) - geo->first_id;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vmem_geo_init);

/**
 * vmem_geo_usable_ids() - blocks that lie inside the usable region
 * @geo: geometry
 * @cfg: current config (usable_region_size)
 * @plug_end: last address the kernel can hot-add
 *
 * Return: number of block ids from @geo->first_id that are usable now.
 */
unsigned long vmem_geo_usable_ids(const struct vmem_geo *geo,
				  const struct vmem_cfg *cfg, u64 plug_end)
{
	u64 end, first = vmem_id_to_phys(geo, geo->first_id);
	unsigned long n;

	if (!cfg->usable_region_size)
		return 0;
	end = min(cfg->addr + cfg->usable_region_size - 1, plug_end);
	if (end < first + geo->block_size - 1)
		return 0;
	n = div64_u64(end + 1, geo->block_size) - geo->first_id;
	return min(n, geo->nr_ids);
}
EXPORT_SYMBOL_IF_KUNIT(vmem_geo_usable_ids);

/**
 * vmem_memmap_boot_bytes() - memmap of one memory block
 * @g: sizes
 *
 * Return: bytes of struct page for every page of the block (what the
 * block costs elsewhere when its memmap does not live in it).
 */
u64 vmem_memmap_boot_bytes(const struct vmem_memmap_geo *g)
{
	return div64_u64(g->mb_size, g->page_size) * g->struct_page_size;
}
EXPORT_SYMBOL_IF_KUNIT(vmem_memmap_boot_bytes);

/**
 * vmem_memmap_block_bytes() - bytes at the start of a memory block that
 * hold its memmap when it lives in the block (MHP_MEMMAP_ON_MEMORY)
 * @g: sizes
 *
 * Whole pages, rounded up to whole pageblocks: the first page the buddy
 * gets starts a pageblock (the core's "force" mode rounds the same way;
 * otherwise it refuses unaligned memmaps, see
 * vmem_memmap_single_block_ok()).
 *
 * Return: the bytes, or 0 when nothing of the block would be left.
 */
u64 vmem_memmap_block_bytes(const struct vmem_memmap_geo *g)
{
	u64 b = vmem_memmap_boot_bytes(g);

	b = div64_u64(b + g->page_size - 1, g->page_size) * g->page_size;
	b = div64_u64(b + g->pageblock_size - 1, g->pageblock_size) *
	    g->pageblock_size;
	return b < g->mb_size ? b : 0;
}
EXPORT_SYMBOL_IF_KUNIT(vmem_memmap_block_bytes);

/**
 * vmem_memmap_single_block_ok() - would a core that self-hosts only
 * single-memory-block adds (mhp_supports_memmap_on_memory(size), not
 * exported) accept a memory block, its runtime switch aside?
 * @g: sizes
 *
 * Its conditions: the memmap fills whole PMDs and what is left of the
 * block is whole pageblocks.
 *
 * Return: true if it would.
 */
bool vmem_memmap_single_block_ok(const struct vmem_memmap_geo *g)
{
	u64 b = vmem_memmap_boot_bytes(g);

	return b && b < g->mb_size && vmem_aligned(b, g->pmd_size) &&
	       vmem_aligned(g->mb_size - b, g->pageblock_size);
}
EXPORT_SYMBOL_IF_KUNIT(vmem_memmap_single_block_ok);

/**
 * vmem_reserve_bytes() - unmovable memory that plugging keeps free
 * @kept: the zones' high watermarks and lowmem reserves, in bytes
 * @ram: RAM once the memory to be plugged is added, in bytes
 * @quarantine: the kernel quarantines freed slab objects (generic KASAN)
 *
 * The kernel's headroom to use the RAM it has: max(64 MiB, RAM / 256)
 * (page tables mapping all of it with 4 KiB pages take RAM / 512, the page
 * cache's xarray nodes about as much).  With @quarantine, also RAM / 32:
 * generic KASAN lets its quarantine of freed slab objects, all of it
 * unmovable memory, grow to that fraction of the RAM of the moment,
 * hot-added memory included; what it holds now cannot be read from a
 * module, so its whole maximum stays free (what it holds already is
 * counted twice: such a kernel stops earlier than it would have to).
 *
 * Return: the reserve in bytes.
 */
u64 vmem_reserve_bytes(u64 kept, u64 ram, bool quarantine)
{
	u64 r = kept + max_t(u64, VMEM_HEADROOM_MIN, ram >> VMEM_HEADROOM_SHIFT);

	if (quarantine)
		r += ram >> VMEM_QUARANTINE_SHIFT;
	return r;
}
EXPORT_SYMBOL_IF_KUNIT(vmem_reserve_bytes);

/**
 * vmem_req_encode() - fill a request for the device (little endian)
 * @req: request buffer
 * @type: VIRTIO_MEM_REQ_*
 * @addr: first byte of the range (ignored for UNPLUG_ALL)
 * @nb_blocks: device blocks in the range (ignored for UNPLUG_ALL)
 *
 * Return: 0, -EINVAL for an unknown type or an empty range, -E2BIG when
 * the range needs more blocks than one request can carry.
 */
int vmem_req_encode(struct virtio_mem_req *req, u16 type, u64 addr,
		    u64 nb_blocks)
{
	memset(req, 0, sizeof(*req));
	if (type > VIRTIO_MEM_REQ_STATE)
		return -EINVAL;
	req->type = (__force __virtio16)cpu_to_le16(type);
	if (type == VIRTIO_MEM_REQ_UNPLUG_ALL)
		return 0;
	if (!nb_blocks)
		return -EINVAL;
	if (nb_blocks > VMEM_MAX_NB_BLOCKS)
		return -E2BIG;
	/* plug, unplug and state share one layout */
	req->u.plug.addr = (__force __virtio64)cpu_to_le64(addr);
	req->u.plug.nb_blocks = (__force __virtio16)cpu_to_le16(nb_blocks);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vmem_req_encode);

/**
 * vmem_req_chunk() - bytes the next request of a split range may carry
 * @size: bytes of the range still to send
 * @block_size: device block size
 *
 * nb_blocks is a le16: a range of more than 65535 device blocks (a big
 * bbm_block_size) is sent as several requests.
 *
 * Return: min(@size, 65535 blocks) rounded down to whole blocks; 0 when
 * @size is smaller than a block.
 */
u64 vmem_req_chunk(u64 size, u64 block_size)
{
	u64 nb = div64_u64(size, block_size);

	return min_t(u64, nb, VMEM_MAX_NB_BLOCKS) * block_size;
}
EXPORT_SYMBOL_IF_KUNIT(vmem_req_chunk);

/**
 * vmem_resp_parse() - check a response before anything in it is used
 * @req_type: the request it answers
 * @resp: the response buffer as the device left it (reset before sending)
 * @len: used length the device reported
 * @type: set to the response type on success
 * @state: set to the state of an ACKed STATE request (may be NULL)
 * @why: set to the reason when the response is refused
 *
 * The device must have written the type, and for an ACKed STATE request
 * also a known state; a used length beyond the buffer is a lie.  Only
 * what the length covers is looked at, so a short reply cannot replay
 * bytes of an earlier answer.
 *
 * Return: 0 or -EBADMSG.
 */
int vmem_resp_parse(u16 req_type, const struct virtio_mem_resp *resp,
		    u32 len, u16 *type, u16 *state, const char **why)
{
	u16 st;

	if (len < sizeof(resp->type)) {
		*why = "used length shorter than the response type";
		return -EBADMSG;
	}
	if (len > sizeof(*resp)) {
		*why = "used length beyond the response buffer";
		return -EBADMSG;
	}
	*type = le16_to_cpu((__force __le16)resp->type);
	switch (*type) {
	case VIRTIO_MEM_RESP_ACK:
		break;
	case VIRTIO_MEM_RESP_NACK:
	case VIRTIO_MEM_RESP_BUSY:
	case VIRTIO_MEM_RESP_ERROR:
		return 0;
	default:
		*why = "unknown response type";
		return -EBADMSG;
	}
	if (req_type != VIRTIO_MEM_REQ_STATE)
		return 0;
	if (len < offsetofend(struct virtio_mem_resp, u.state.state)) {
		*why = "used length too short for the state";
		return -EBADMSG;
	}
	st = le16_to_cpu((__force __le16)resp->u.state.state);
	switch (st) {
	case VIRTIO_MEM_STATE_PLUGGED:
	case VIRTIO_MEM_STATE_UNPLUGGED:
	case VIRTIO_MEM_STATE_MIXED:
		break;
	default:
		*why = "unknown state";
		return -EBADMSG;
	}
	if (state)
		*state = st;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vmem_resp_parse);

/**
 * vmem_resp_errno() - map a device response to an errno
 * @req_type: the request it answers
 * @resp_type: VIRTIO_MEM_RESP_*
 *
 * ACK is 0.  NACK to a plug means the request exceeded requested_size:
 * -EAGAIN, re-read the config.  BUSY is -ETXTBSY (retry later).  ERROR is
 * -EREMOTEIO: the caller re-reads the config and retries with backoff
 * instead of giving up (Firecracker answers ERROR where QEMU says NACK).
 * An answer the protocol does not have for the request (NACK to anything
 * but a plug, an unknown type) is -EBADMSG, handled like ERROR.
 *
 * Return: 0 or a negative errno.
 */
int vmem_resp_errno(u16 req_type, u16 resp_type)
{
	switch (resp_type) {
	case VIRTIO_MEM_RESP_ACK:
		return 0;
	case VIRTIO_MEM_RESP_NACK:
		return req_type == VIRTIO_MEM_REQ_PLUG ? -EAGAIN : -EBADMSG;
	case VIRTIO_MEM_RESP_BUSY:
		return -ETXTBSY;
	case VIRTIO_MEM_RESP_ERROR:
		return -EREMOTEIO;
	default:
		return -EBADMSG;
	}
}
EXPORT_SYMBOL_IF_KUNIT(vmem_resp_errno);

/**
 * vmem_state_shows_done() - does a STATE answer prove a request took effect?
 * @req_type: VIRTIO_MEM_REQ_PLUG or _UNPLUG whose answer was unusable
 * @state: VIRTIO_MEM_STATE_* of the same range, or a negative errno
 *
 * After a NACK, an ERROR or an invalid answer the driver asks the device
 * for the range's state: a plug whose range is plugged (or an unplug
 * whose range is unplugged) is taken as done, so a lost or garbled ACK
 * does not leave the driver's block states behind the device's.
 *
 * Return: true if the range is in the state the request asked for.
 */
bool vmem_state_shows_done(u16 req_type, int state)
{
	switch (req_type) {
	case VIRTIO_MEM_REQ_PLUG:
		return state == VIRTIO_MEM_STATE_PLUGGED;
	case VIRTIO_MEM_REQ_UNPLUG:
		return state == VIRTIO_MEM_STATE_UNPLUGGED;
	default:
		return false;
	}
}
EXPORT_SYMBOL_IF_KUNIT(vmem_state_shows_done);

/**
 * vmem_cfg_refresh() - take the changing fields of a new config read
 * @cur: the driver's view, updated in place (plugged_size is the driver's
 *	 own count and is never replaced)
 * @dev: the config as just read from the device
 *
 * Hostile or buggy values are contained: a plugged_size beyond the region
 * or misaligned is ignored; usable_region_size and requested_size are
 * rounded down to whole blocks and capped at the region; requested_size
 * is capped at the usable region, but a usable region that shrank below
 * what is plugged (only UNPLUG_ALL may shrink it) never makes the driver
 * unplug: only requested_size asks for memory back.
 *
 * Return: VMEM_CFG_* flags of what was wrong, for the caller to report.
 */
unsigned int vmem_cfg_refresh(struct vmem_cfg *cur, const struct vmem_cfg *dev)
{
	u64 bs = cur->block_size, region = cur->region_size;
	u64 usable = dev->usable_region_size, req = dev->requested_size;
	unsigned int flags = 0;
	u64 limit;

	if (dev->plugged_size > region || !vmem_aligned(dev->plugged_size, bs))
		flags |= VMEM_CFG_PLUGGED_INVALID;
	else if (dev->plugged_size != cur->plugged_size)
		flags |= VMEM_CFG_PLUGGED_MISMATCH;

	if (usable > region || !vmem_aligned(usable, bs)) {
		flags |= VMEM_CFG_USABLE_INVALID;
		usable = ALIGN_DOWN(min(usable, region), bs);
	}
	if (usable < cur->plugged_size)
		flags |= VMEM_CFG_USABLE_BELOW_PLUGGED;

	if (req > region || !vmem_aligned(req, bs)) {
		flags |= VMEM_CFG_REQUESTED_INVALID;
		req = ALIGN_DOWN(min(req, region), bs);
	}
	limit = max(usable, cur->plugged_size);
	if (req > limit) {
		flags |= VMEM_CFG_REQUESTED_ABOVE_USABLE;
		req = limit;
	}
	cur->usable_region_size = usable;
	cur->requested_size = req;
	return flags;
}
EXPORT_SYMBOL_IF_KUNIT(vmem_cfg_refresh);

/**
 * vmem_plugged_after() - the driver's plugged count after an ACKed request
 * @plugged: count before
 * @type: VIRTIO_MEM_REQ_*
 * @size: bytes of the request
 * @region_size: the device region
 * @bad: set when the request does not fit the count (it is clamped)
 *
 * Return: the new count, within 0..@region_size.
 */
u64 vmem_plugged_after(u64 plugged, u16 type, u64 size, u64 region_size,
		       bool *bad)
{
	*bad = false;
	switch (type) {
	case VIRTIO_MEM_REQ_PLUG:
		if (plugged > region_size || size > region_size - plugged) {
			*bad = true;
			return region_size;
		}
		return plugged + size;
	case VIRTIO_MEM_REQ_UNPLUG:
		if (size > plugged) {
			*bad = true;
			return 0;
		}
		return plugged - size;
	case VIRTIO_MEM_REQ_UNPLUG_ALL:
		return 0;
	default:
		return plugged;
	}
}
EXPORT_SYMBOL_IF_KUNIT(vmem_plugged_after);

/**
 * vmem_req_name() - name of a request type, for logs and traces
 * @type: VIRTIO_MEM_REQ_*
 *
 * Return: a static string.
 */
const char *vmem_req_name(u16 type)
{
	static const char * const names[] = {
		"plug", "unplug", "unplug_all", "state",
	};

	return type < ARRAY_SIZE(names) ? names[type] : "unknown";
}
EXPORT_SYMBOL_IF_KUNIT(vmem_req_name);

/**
 * vmem_resp_name() - name of a response type, for logs and traces
 * @resp: VIRTIO_MEM_RESP_*
 *
 * Return: a static string.
 */
const char *vmem_resp_name(u16 resp)
{
	static const char * const names[] = { "ack", "nack", "busy", "error" };

	return resp < ARRAY_SIZE(names) ? names[resp] : "unknown";
}
EXPORT_SYMBOL_IF_KUNIT(vmem_resp_name);

static unsigned long vmem_sb_bit(const struct vmem_sb_map *m,
				 unsigned long idx, unsigned int sb)
{
	return idx * m->sbs + sb;
}

/**
 * vmem_sb_set() - mark sub-blocks of one block plugged or unplugged
 * @m: map
 * @idx: block index (id - first id)
 * @sb: first sub-block
 * @count: number of sub-blocks
 * @plugged: new state
 */
void vmem_sb_set(struct vmem_sb_map *m, unsigned long idx, unsigned int sb,
		 unsigned int count, bool plugged)
{
	if (plugged)
		bitmap_set(m->bits, vmem_sb_bit(m, idx, sb), count);
	else
		bitmap_clear(m->bits, vmem_sb_bit(m, idx, sb), count);
}
EXPORT_SYMBOL_IF_KUNIT(vmem_sb_set);

/**
 * vmem_sb_all() - are all sub-blocks of a range in one state?
 * @m: map
 * @idx: block index
 * @sb: first sub-block
 * @count: number of sub-blocks
 * @plugged: state to test for
 *
 * Return: true if every sub-block in the range is in state @plugged.
 */
bool vmem_sb_all(const struct vmem_sb_map *m, unsigned long idx,
		 unsigned int sb, unsigned int count, bool plugged)
{
	unsigned long first = vmem_sb_bit(m, idx, sb), end = first + count;

	if (plugged)
		return find_next_zero_bit(m->bits, end, first) >= end;
	return find_next_bit(m->bits, end, first) >= end;
}
EXPORT_SYMBOL_IF_KUNIT(vmem_sb_all);

/**
 * vmem_sb_count() - plugged sub-blocks of one block
 * @m: map
 * @idx: block index
 *
 * Return: number of plugged sub-blocks.
 */
unsigned int vmem_sb_count(const struct vmem_sb_map *m, unsigned long idx)
{
	unsigned long bit = vmem_sb_bit(m, idx, 0), end = bit + m->sbs;
	unsigned int n = 0;

	for (bit = find_next_bit(m->bits, end, bit); bit < end;
	     bit = find_next_bit(m->bits, end, bit + 1))
		n++;
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(vmem_sb_count);

/**
 * vmem_sb_find_run_above() - find consecutive sub-blocks in one state at
 * or above a sub-block
 * @m: map
 * @idx: block index
 * @lo: lowest sub-block to consider (those below are left alone)
 * @plugged: state to look for
 * @from_top: take the highest run (unplug) instead of the lowest (plug)
 * @max: longest run wanted (>= 1)
 * @count: length of the run found
 *
 * Return: first sub-block of the run, or -ENOENT.
 */
int vmem_sb_find_run_above(const struct vmem_sb_map *m, unsigned long idx,
			   unsigned int lo, bool plugged, bool from_top,
			   unsigned int max, unsigned int *count)
{
	int sb, first;

	if (!max || lo >= m->sbs)
		return -ENOENT;
	if (!from_top) {
		for (sb = lo; sb < m->sbs; sb++)
			if (vmem_sb_all(m, idx, sb, 1, plugged))
				break;
		if (sb == m->sbs)
			return -ENOENT;
		first = sb;
		while (sb < m->sbs && sb - first < max &&
		       vmem_sb_all(m, idx, sb, 1, plugged))
			sb++;
		*count = sb - first;
		return first;
	}
	for (sb = m->sbs - 1; sb >= (int)lo; sb--)
		if (vmem_sb_all(m, idx, sb, 1, plugged))
			break;
	if (sb < (int)lo)
		return -ENOENT;
	first = sb;
	while (first > (int)lo && sb - first + 1 < max &&
	       vmem_sb_all(m, idx, first - 1, 1, plugged))
		first--;
	*count = sb - first + 1;
	return first;
}
EXPORT_SYMBOL_IF_KUNIT(vmem_sb_find_run_above);

/**
 * vmem_sb_find_run() - find consecutive sub-blocks in one state
 * @m: map
 * @idx: block index
 * @plugged: state to look for
 * @from_top: take the highest run (unplug) instead of the lowest (plug)
 * @max: longest run wanted (>= 1)
 * @count: length of the run found
 *
 * Return: first sub-block of the run, or -ENOENT.
 */
int vmem_sb_find_run(const struct vmem_sb_map *m, unsigned long idx,
		     bool plugged, bool from_top, unsigned int max,
		     unsigned int *count)
{
	return vmem_sb_find_run_above(m, idx, 0, plugged, from_top, max,
				      count);
}
EXPORT_SYMBOL_IF_KUNIT(vmem_sb_find_run);

/**
 * vmem_sbm_memmap_sbs() - sub-blocks that hold a memory block's memmap
 * when it lives in the block (memmap on memory in Sub Block Mode)
 * @memmap_bytes: memmap at the start of the block (0: elsewhere)
 * @sb_size: sub-block size
 * @sbs: sub-blocks per block
 *
 * They are plugged before the block is added and stay plugged until it
 * is removed ("pinned").
 *
 * Return: their number (rounded up), 0 for none, or @sbs when nothing of
 * the block would be left (memmap on memory is then of no use).
 */
unsigned int vmem_sbm_memmap_sbs(u64 memmap_bytes, u64 sb_size,
				 unsigned int sbs)
{
	u64 n;

	if (!memmap_bytes || !sb_size)
		return 0;
	n = div64_u64(memmap_bytes + sb_size - 1, sb_size);
	return n < sbs ? n : sbs;
}
EXPORT_SYMBOL_IF_KUNIT(vmem_sbm_memmap_sbs);

/**
 * vmem_sbm_fresh_sbs() - sub-blocks to plug in a block that is to be added
 * @nb_sb: sub-blocks still wanted
 * @sbs: sub-blocks per block
 * @pinned: sub-blocks the block's memmap needs (vmem_sbm_memmap_sbs())
 *
 * The lowest sub-blocks are plugged, so the memmap's come first.
 *
 * Return: min(@nb_sb, @sbs), or 0 when that would not cover the memmap
 * (the block cannot be added for fewer sub-blocks than it needs).
 */
unsigned int vmem_sbm_fresh_sbs(u64 nb_sb, unsigned int sbs,
				unsigned int pinned)
{
	unsigned int n = nb_sb < sbs ? nb_sb : sbs;

	return n < pinned ? 0 : n;
}
EXPORT_SYMBOL_IF_KUNIT(vmem_sbm_fresh_sbs);

/**
 * vmem_sbm_removable() - may an added block be removed now?
 * @m: map
 * @idx: block index
 * @pinned: sub-blocks at its start that hold its memmap
 * @nb_sb: sub-blocks still to be unplugged
 *
 * Everything above the pinned sub-blocks must be unplugged.  The pinned
 * ones are unplugged after the removal, so they count against @nb_sb: a
 * block is removed only when all of them are still to be given back
 * (otherwise the host would get more than it asked for, and the next
 * plug would add the block again).
 *
 * Return: true if it may.
 */
bool vmem_sbm_removable(const struct vmem_sb_map *m, unsigned long idx,
			unsigned int pinned, u64 nb_sb)
{
	unsigned int left = 0, sb;

	if (pinned < m->sbs &&
	    !vmem_sb_all(m, idx, pinned, m->sbs - pinned, false))
		return false;
	for (sb = 0; sb < pinned && sb < m->sbs; sb++)
		left += vmem_sb_all(m, idx, sb, 1, true);
	return nb_sb >= left;
}
EXPORT_SYMBOL_IF_KUNIT(vmem_sbm_removable);

/*
 * Plug fills partially plugged blocks first (online ones first, so the
 * memory is usable at once), lowest address first.  Unplug starts with
 * offline memory, then ZONE_MOVABLE (reliable, and keeps the kernel
 * zones balanced), partial blocks before full ones, highest address
 * first.
 */
const u8 vmem_sbm_plug_order[] = {
	VMEM_SBM_KERNEL_PARTIAL, VMEM_SBM_MOVABLE_PARTIAL,
	VMEM_SBM_OFFLINE_PARTIAL,
};
EXPORT_SYMBOL_IF_KUNIT(vmem_sbm_plug_order);
const unsigned int vmem_sbm_plug_order_len = ARRAY_SIZE(vmem_sbm_plug_order);
EXPORT_SYMBOL_IF_KUNIT(vmem_sbm_plug_order_len);

const u8 vmem_sbm_unplug_order[] = {
	VMEM_SBM_OFFLINE_PARTIAL, VMEM_SBM_OFFLINE,
	VMEM_SBM_MOVABLE_PARTIAL, VMEM_SBM_KERNEL_PARTIAL,
	VMEM_SBM_MOVABLE, VMEM_SBM_KERNEL,
};
EXPORT_SYMBOL_IF_KUNIT(vmem_sbm_unplug_order);
const unsigned int vmem_sbm_unplug_order_len = ARRAY_SIZE(vmem_sbm_unplug_order);
EXPORT_SYMBOL_IF_KUNIT(vmem_sbm_unplug_order_len);

/**
 * vmem_sbm_state_name() - sysfs name of an SBM block state
 * @state: enum vmem_sbm_state
 *
 * Return: a static string.
 */
const char *vmem_sbm_state_name(u8 state)
{
	static const char * const names[] = {
		"unused", "plugged", "offline", "offline_partial", "kernel",
		"kernel_partial", "movable", "movable_partial",
	};

	return state < ARRAY_SIZE(names) ? names[state] : "invalid";
}
EXPORT_SYMBOL_IF_KUNIT(vmem_sbm_state_name);

/**
 * vmem_bbm_state_name() - sysfs name of a BBM block state
 * @state: enum vmem_bbm_state
 *
 * Return: a static string.
 */
const char *vmem_bbm_state_name(u8 state)
{
	static const char * const names[] = {
		"unused", "plugged", "added", "fake_offline",
	};

	return state < ARRAY_SIZE(names) ? names[state] : "invalid";
}
EXPORT_SYMBOL_IF_KUNIT(vmem_bbm_state_name);

/**
 * vmem_sbm_state_online_p() - is a block in one of the online states?
 * @state: enum vmem_sbm_state
 *
 * Return: true for the kernel and movable states.
 */
bool vmem_sbm_state_online_p(u8 state)
{
	switch (state) {
	case VMEM_SBM_KERNEL:
	case VMEM_SBM_KERNEL_PARTIAL:
	case VMEM_SBM_MOVABLE:
	case VMEM_SBM_MOVABLE_PARTIAL:
		return true;
	default:
		return false;
	}
}
EXPORT_SYMBOL_IF_KUNIT(vmem_sbm_state_online_p);

/**
 * vmem_sbm_state_after() - state of an added block after (un)plugging
 * @state: current state (offline, kernel or movable; full or partial)
 * @plugged: plugged sub-blocks now
 * @sbs: sub-blocks per block
 *
 * Keeps the kind (offline/kernel/movable) and picks full or partial.
 *
 * Return: the new state (@state unchanged if it is not an added state).
 */
u8 vmem_sbm_state_after(u8 state, unsigned int plugged, unsigned int sbs)
{
	bool full = plugged == sbs;

	switch (state) {
	case VMEM_SBM_OFFLINE:
	case VMEM_SBM_OFFLINE_PARTIAL:
		return full ? VMEM_SBM_OFFLINE : VMEM_SBM_OFFLINE_PARTIAL;
	case VMEM_SBM_KERNEL:
	case VMEM_SBM_KERNEL_PARTIAL:
		return full ? VMEM_SBM_KERNEL : VMEM_SBM_KERNEL_PARTIAL;
	case VMEM_SBM_MOVABLE:
	case VMEM_SBM_MOVABLE_PARTIAL:
		return full ? VMEM_SBM_MOVABLE : VMEM_SBM_MOVABLE_PARTIAL;
	default:
		return state;
	}
}
EXPORT_SYMBOL_IF_KUNIT(vmem_sbm_state_after);

/**
 * vmem_sbm_state_online() - state of a block that just went online
 * @state: offline or offline_partial
 * @movable: it went to ZONE_MOVABLE
 *
 * Return: the new state (@state unchanged if it was not offline).
 */
u8 vmem_sbm_state_online(u8 state, bool movable)
{
	switch (state) {
	case VMEM_SBM_OFFLINE:
		return movable ? VMEM_SBM_MOVABLE : VMEM_SBM_KERNEL;
	case VMEM_SBM_OFFLINE_PARTIAL:
		return movable ? VMEM_SBM_MOVABLE_PARTIAL :
				 VMEM_SBM_KERNEL_PARTIAL;
	default:
		return state;
	}
}
EXPORT_SYMBOL_IF_KUNIT(vmem_sbm_state_online);

/**
 * vmem_sbm_state_offline() - state of a block that just went offline
 * @state: a kernel or movable state
 *
 * Return: offline or offline_partial (@state unchanged if not online).
 */
u8 vmem_sbm_state_offline(u8 state)
{
	switch (state) {
	case VMEM_SBM_KERNEL:
	case VMEM_SBM_MOVABLE:
		return VMEM_SBM_OFFLINE;
	case VMEM_SBM_KERNEL_PARTIAL:
	case VMEM_SBM_MOVABLE_PARTIAL:
		return VMEM_SBM_OFFLINE_PARTIAL;
	default:
		return state;
	}
}
EXPORT_SYMBOL_IF_KUNIT(vmem_sbm_state_offline);

/**
 * vmem_pick_start() - start a selection over @n blocks
 * @it: iterator
 * @n: number of blocks
 * @descending: highest index first
 */
void vmem_pick_start(struct vmem_pick *it, unsigned long n, bool descending)
{
	it->rank = 0;
	it->pos = descending ? (long)n : 0;
}
EXPORT_SYMBOL_IF_KUNIT(vmem_pick_start);

/**
 * vmem_pick_next() - next block in selection order
 * @states: block states
 * @n: number of blocks
 * @order: states to visit, in order of preference
 * @norder: length of @order
 * @it: iterator, started with vmem_pick_start()
 * @descending: scan each state from the highest index down
 *
 * States may change between calls (the caller drops its lock); each
 * call reads them afresh.
 *
 * Return: index of the next block, or -1 when all states were scanned.
 */
long vmem_pick_next(const u8 *states, unsigned long n, const u8 *order,
		    unsigned int norder, struct vmem_pick *it, bool descending)
{
	long i;

	while (it->rank < norder) {
		if (descending) {
			for (i = min_t(long, it->pos, n) - 1; i >= 0; i--)
				if (states[i] == order[it->rank])
					break;
		} else {
			for (i = it->pos; i < (long)n; i++)
				if (states[i] == order[it->rank])
					break;
			if (i >= (long)n)
				i = -1;
		}
		if (i >= 0) {
			it->pos = descending ? i : i + 1;
			return i;
		}
		it->rank++;
		it->pos = descending ? (long)n : 0;
	}
	return -1;
}
EXPORT_SYMBOL_IF_KUNIT(vmem_pick_next);

/**
 * vmem_backoff_next() - next retry delay
 * @cur_ms: current delay, 0 after a success
 * @max_ms: upper bound
 *
 * Return: VMEM_RETRY_MIN_MS after a success, else double, capped.
 */
unsigned int vmem_backoff_next(unsigned int cur_ms, unsigned int max_ms)
{
	max_ms = max_t(unsigned int, max_ms, VMEM_RETRY_MIN_MS);
	if (!cur_ms)
		return VMEM_RETRY_MIN_MS;
	if (cur_ms >= max_ms / 2)
		return max_ms;
	return max_t(unsigned int, cur_ms * 2, VMEM_RETRY_MIN_MS);
}
EXPORT_SYMBOL_IF_KUNIT(vmem_backoff_next);

/**
 * vmem_next_step() - what the worker does after a run
 * @rc: result of the run
 * @config_changed: a config change is pending
 * @progress: the run unplugged memory
 * @errors_in_row: ERROR or invalid answers in a row, including this run's
 *
 * A NACK without a config change is retried with backoff, not at once:
 * a device that keeps refusing cannot spin the worker.
 *
 * Return: enum vmem_next.
 */
enum vmem_next vmem_next_step(int rc, bool config_changed, bool progress,
			      unsigned int errors_in_row)
{
	switch (rc) {
	case 0:
	case -ENOSPC:
		return VMEM_NEXT_IDLE;
	case -EAGAIN:
		return config_changed ? VMEM_NEXT_NOW : VMEM_NEXT_REFRESH_LATER;
	case -EREMOTEIO:
	case -EBADMSG:
		return errors_in_row > VMEM_MAX_ERRORS_IN_ROW ?
		       VMEM_NEXT_BROKEN : VMEM_NEXT_REFRESH_LATER;
	case -EBUSY:
		return progress ? VMEM_NEXT_NOW : VMEM_NEXT_LATER;
	case -ETXTBSY:
	case -ENOMEM:
		return VMEM_NEXT_LATER;
	case -ETIMEDOUT:
		return VMEM_NEXT_STUCK;
	case -ESHUTDOWN:
		return VMEM_NEXT_STOP;
	default:
		return VMEM_NEXT_BROKEN;
	}
}
EXPORT_SYMBOL_IF_KUNIT(vmem_next_step);
