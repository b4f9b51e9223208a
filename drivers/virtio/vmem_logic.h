/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device-independent logic of the virtio-mem driver: request encoding,
 * response mapping, config validation, SBM/BBM geometry, sub-block
 * bookkeeping, plug/unplug selection order and the retry backoff.
 * Nothing here touches a device or the memory hotplug core, so KUnit
 * tests it directly (kunit/vmem_kunit.c).
 */
#ifndef _VMEM_LOGIC_H
#define _VMEM_LOGIC_H

#include <linux/types.h>
#include <guestmem/virtio_mem_defs.h>

/**
 * struct vmem_cfg - the device config space, in CPU byte order
 * @block_size: device block size (power of two)
 * @addr: start of the device region
 * @region_size: size of the device region
 * @usable_region_size: part of the region that may be plugged now
 * @plugged_size: bytes plugged
 * @requested_size: bytes the device wants plugged
 */
struct vmem_cfg {
	u64 block_size;
	u64 addr;
	u64 region_size;
	u64 usable_region_size;
	u64 plugged_size;
	u64 requested_size;
};

int vmem_cfg_validate(const struct vmem_cfg *cfg, const char **why);

/**
 * struct vmem_geo - how the device region maps onto Linux memory blocks
 * @sbm: Sub Block Mode (else Big Block Mode)
 * @block_size: unit of add/remove: a memory block (SBM) or a big block
 * @sb_size: unit of plug/unplug in SBM (== @block_size in BBM)
 * @sbs_per_block: sub-blocks per memory block (1 in BBM)
 * @first_id: first usable block id (id = physical address / @block_size)
 * @nr_ids: number of block ids covering the region from @first_id
 */
struct vmem_geo {
	bool sbm;
	u64 block_size;
	u64 sb_size;
	unsigned int sbs_per_block;
	unsigned long first_id;
	unsigned long nr_ids;
};

/**
 * struct vmem_geo_in - inputs of vmem_geo_init()
 * @cfg: validated device config
 * @memory_block_size: Linux memory block size
 * @pageblock_size: bytes of a pageblock (minimum sub-block)
 * @plug_start: first address the kernel can hot-add (mhp_get_pluggable_range)
 * @plug_end: last address the kernel can hot-add (inclusive)
 * @force_bbm: module parameter force_bbm
 * @bbm_block_size: module parameter bbm_block_size (0: automatic)
 */
struct vmem_geo_in {
	const struct vmem_cfg *cfg;
	u64 memory_block_size;
	u64 pageblock_size;
	u64 plug_start;
	u64 plug_end;
	bool force_bbm;
	u64 bbm_block_size;
};

int vmem_geo_init(struct vmem_geo *geo, const struct vmem_geo_in *in,
		  const char **why);
unsigned long vmem_geo_usable_ids(const struct vmem_geo *geo,
				  const struct vmem_cfg *cfg, u64 plug_end);

static inline u64 vmem_id_to_phys(const struct vmem_geo *geo, unsigned long id)
{
	return (u64)id * geo->block_size;
}

static inline unsigned long vmem_phys_to_id(const struct vmem_geo *geo, u64 addr)
{
	return addr / geo->block_size;
}

/* ---- memmap on memory ---- */

/**
 * struct vmem_memmap_geo - what sizes a memory block's own memmap
 * @mb_size: Linux memory block size
 * @page_size: PAGE_SIZE
 * @struct_page_size: sizeof(struct page)
 * @pageblock_size: bytes of a pageblock
 * @pmd_size: bytes one PMD maps
 */
struct vmem_memmap_geo {
	u64 mb_size;
	u64 page_size;
	u64 struct_page_size;
	u64 pageblock_size;
	u64 pmd_size;
};

u64 vmem_memmap_block_bytes(const struct vmem_memmap_geo *g);
u64 vmem_memmap_boot_bytes(const struct vmem_memmap_geo *g);
bool vmem_memmap_single_block_ok(const struct vmem_memmap_geo *g);

/* ---- the unmovable-memory reserve of the plug path (vmem_reserve.c) ---- */

/* Kernel headroom: at least this much, and RAM >> VMEM_HEADROOM_SHIFT. */
#define VMEM_HEADROOM_MIN	(64ULL << 20)
#define VMEM_HEADROOM_SHIFT	8
/*
 * Generic KASAN keeps freed slab objects in a quarantine of up to RAM / 32
 * (mm/kasan/quarantine.c, QUARANTINE_FRACTION), recomputed from
 * totalram_pages() when it fills up: hot-added memory raises it.
 */
#define VMEM_QUARANTINE_SHIFT	5

u64 vmem_reserve_bytes(u64 kept, u64 ram, bool quarantine);

/* ---- requests and responses ---- */

int vmem_req_encode(struct virtio_mem_req *req, u16 type, u64 addr,
		    u64 nb_blocks);
u64 vmem_req_chunk(u64 size, u64 block_size);
int vmem_resp_parse(u16 req_type, const struct virtio_mem_resp *resp,
		    u32 len, u16 *type, u16 *state, const char **why);
int vmem_resp_errno(u16 req_type, u16 resp_type);
bool vmem_state_shows_done(u16 req_type, int state);
const char *vmem_req_name(u16 type);
const char *vmem_resp_name(u16 resp);

/* ---- config refresh and the driver's plugged count ---- */

/* What vmem_cfg_refresh() found wrong in a config read (bit mask). */
#define VMEM_CFG_PLUGGED_INVALID	0x01	/* > region or misaligned: ignored */
#define VMEM_CFG_PLUGGED_MISMATCH	0x02	/* differs from the driver's count */
#define VMEM_CFG_USABLE_INVALID		0x04	/* > region or misaligned: clamped */
#define VMEM_CFG_USABLE_BELOW_PLUGGED	0x08	/* shrank below what is plugged */
#define VMEM_CFG_REQUESTED_INVALID	0x10	/* > region or misaligned: clamped */
#define VMEM_CFG_REQUESTED_ABOVE_USABLE	0x20	/* target limited to the usable part */

unsigned int vmem_cfg_refresh(struct vmem_cfg *cur, const struct vmem_cfg *dev);
u64 vmem_plugged_after(u64 plugged, u16 type, u64 size, u64 region_size,
		       bool *bad);

/* ---- sub-block bitmap: one bit per sub-block, set = plugged ---- */

/**
 * struct vmem_sb_map - sub-block states of the device region
 * @bits: bitmap, bit (idx * sbs + sb) for block index idx
 * @sbs: sub-blocks per block
 */
struct vmem_sb_map {
	unsigned long *bits;
	unsigned int sbs;
};

void vmem_sb_set(struct vmem_sb_map *m, unsigned long idx, unsigned int sb,
		 unsigned int count, bool plugged);
bool vmem_sb_all(const struct vmem_sb_map *m, unsigned long idx,
		 unsigned int sb, unsigned int count, bool plugged);
unsigned int vmem_sb_count(const struct vmem_sb_map *m, unsigned long idx);
int vmem_sb_find_run(const struct vmem_sb_map *m, unsigned long idx,
		     bool plugged, bool from_top, unsigned int max,
		     unsigned int *count);
int vmem_sb_find_run_above(const struct vmem_sb_map *m, unsigned long idx,
			   unsigned int lo, bool plugged, bool from_top,
			   unsigned int max, unsigned int *count);

/* ---- memmap on memory in SBM: the sub-blocks holding the memmap ---- */

unsigned int vmem_sbm_memmap_sbs(u64 memmap_bytes, u64 sb_size,
				 unsigned int sbs);
unsigned int vmem_sbm_fresh_sbs(u64 nb_sb, unsigned int sbs,
				unsigned int pinned);
bool vmem_sbm_removable(const struct vmem_sb_map *m, unsigned long idx,
			unsigned int pinned, u64 nb_sb);

/* ---- block states and selection order ---- */

/* SBM memory block states (u8 per block). */
enum vmem_sbm_state {
	VMEM_SBM_UNUSED = 0,	/* nothing plugged, not added */
	VMEM_SBM_PLUGGED,	/* plugged but adding failed: unplug pending */
	VMEM_SBM_OFFLINE,	/* added, offline, all sub-blocks plugged */
	VMEM_SBM_OFFLINE_PARTIAL,
	VMEM_SBM_KERNEL,	/* online, not ZONE_MOVABLE */
	VMEM_SBM_KERNEL_PARTIAL,
	VMEM_SBM_MOVABLE,	/* online, ZONE_MOVABLE */
	VMEM_SBM_MOVABLE_PARTIAL,
	VMEM_SBM_NR_STATES,
};

/* BBM big block states (u8 per block). */
enum vmem_bbm_state {
	VMEM_BBM_UNUSED = 0,
	VMEM_BBM_PLUGGED,	/* plugged but adding failed: unplug pending */
	VMEM_BBM_ADDED,
	VMEM_BBM_FAKE_OFFLINE,	/* being unplugged: onlining keeps it offline */
	VMEM_BBM_NR_STATES,
};

extern const u8 vmem_sbm_plug_order[];
extern const unsigned int vmem_sbm_plug_order_len;
extern const u8 vmem_sbm_unplug_order[];
extern const unsigned int vmem_sbm_unplug_order_len;

const char *vmem_sbm_state_name(u8 state);
const char *vmem_bbm_state_name(u8 state);
u8 vmem_sbm_state_after(u8 state, unsigned int plugged, unsigned int sbs);
u8 vmem_sbm_state_online(u8 state, bool movable);
u8 vmem_sbm_state_offline(u8 state);
bool vmem_sbm_state_online_p(u8 state);

/**
 * struct vmem_pick - iterator over block indexes in selection order
 * @rank: index into the order array being scanned
 * @pos: next index to look at (descending: one above it)
 */
struct vmem_pick {
	unsigned int rank;
	long pos;
};

void vmem_pick_start(struct vmem_pick *it, unsigned long n, bool descending);
long vmem_pick_next(const u8 *states, unsigned long n, const u8 *order,
		    unsigned int norder, struct vmem_pick *it, bool descending);

/* ---- retry backoff ---- */

#define VMEM_RETRY_MIN_MS	500
#define VMEM_RETRY_MAX_MS	8000
/* Consecutive ERROR or invalid answers before the device is given up. */
#define VMEM_MAX_ERRORS_IN_ROW	16

unsigned int vmem_backoff_next(unsigned int cur_ms, unsigned int max_ms);

/**
 * enum vmem_next - what the worker does after a run
 * @VMEM_NEXT_IDLE: done, or wait for an event (config change, onlining)
 * @VMEM_NEXT_NOW: run again at once
 * @VMEM_NEXT_LATER: run again after the backoff delay
 * @VMEM_NEXT_REFRESH_LATER: re-read the config, then run after the backoff
 * @VMEM_NEXT_STUCK: a request is unanswered: wait until the device answers
 * @VMEM_NEXT_STOP: the device is being removed
 * @VMEM_NEXT_BROKEN: give up on the device
 */
enum vmem_next {
	VMEM_NEXT_IDLE,
	VMEM_NEXT_NOW,
	VMEM_NEXT_LATER,
	VMEM_NEXT_REFRESH_LATER,
	VMEM_NEXT_STUCK,
	VMEM_NEXT_STOP,
	VMEM_NEXT_BROKEN,
};

enum vmem_next vmem_next_step(int rc, bool config_changed, bool progress,
			      unsigned int errors_in_row);

#endif /* _VMEM_LOGIC_H */
