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
 * vmem_resp_errno() - map a device response to an errno
 * @req_type: the request it answers
 * @resp_type: VIRTIO_MEM_RESP_*
 *
 * ACK is 0.  NACK to a plug means the request exceeded requested_size:
 * -EAGAIN, re-read the config.  BUSY is -ETXTBSY (retry later).  ERROR is
 * -EREMOTEIO: the caller re-reads the config and retries with backoff
 * instead of giving up (Firecracker answers ERROR where QEMU says NACK).
 *
 * Return: 0 or a negative errno.
 */
int vmem_resp_errno(u16 req_type, u16 resp_type)
{
	switch (resp_type) {
	case VIRTIO_MEM_RESP_ACK:
		return 0;
	case VIRTIO_MEM_RESP_NACK:
		return req_type == VIRTIO_MEM_REQ_PLUG ? -EAGAIN : -EIO;
	case VIRTIO_MEM_RESP_BUSY:
		return -ETXTBSY;
	case VIRTIO_MEM_RESP_ERROR:
		return -EREMOTEIO;
	default:
		return -EIO;
	}
}
EXPORT_SYMBOL_IF_KUNIT(vmem_resp_errno);

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
	int sb, first;

	if (!max)
		return -ENOENT;
	if (!from_top) {
		for (sb = 0; sb < m->sbs; sb++)
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
	for (sb = m->sbs - 1; sb >= 0; sb--)
		if (vmem_sb_all(m, idx, sb, 1, plugged))
			break;
	if (sb < 0)
		return -ENOENT;
	first = sb;
	while (first > 0 && sb - first + 1 < max &&
	       vmem_sb_all(m, idx, first - 1, 1, plugged))
		first--;
	*count = sb - first + 1;
	return first;
}
EXPORT_SYMBOL_IF_KUNIT(vmem_sb_find_run);

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

static bool vmem_sbm_partial(u8 state)
{
	return state == VMEM_SBM_OFFLINE_PARTIAL ||
	       state == VMEM_SBM_KERNEL_PARTIAL ||
	       state == VMEM_SBM_MOVABLE_PARTIAL;
}

/**
 * vmem_sbm_state_online_p() - is a block in one of the online states?
 * @state: enum vmem_sbm_state
 *
 * Return: true for the kernel and movable states.
 */
bool vmem_sbm_state_online_p(u8 state)
{
	return state >= VMEM_SBM_KERNEL && state <= VMEM_SBM_MOVABLE_PARTIAL;
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
 * Return: the new state.
 */
u8 vmem_sbm_state_after(u8 state, unsigned int plugged, unsigned int sbs)
{
	bool full = plugged == sbs;
	u8 base = vmem_sbm_partial(state) ? state - 1 : state;

	if (base != VMEM_SBM_OFFLINE && base != VMEM_SBM_KERNEL &&
	    base != VMEM_SBM_MOVABLE)
		return state;
	return full ? base : base + 1;
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
	u8 base = movable ? VMEM_SBM_MOVABLE : VMEM_SBM_KERNEL;

	if (state == VMEM_SBM_OFFLINE)
		return base;
	if (state == VMEM_SBM_OFFLINE_PARTIAL)
		return base + 1;
	return state;
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
	if (!vmem_sbm_state_online_p(state))
		return state;
	return vmem_sbm_partial(state) ? VMEM_SBM_OFFLINE_PARTIAL :
					 VMEM_SBM_OFFLINE;
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
