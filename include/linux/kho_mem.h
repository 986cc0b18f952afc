/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KHO memory tracker: which physical memory must survive a kexec, and the
 * chunk-list format that hands that set to the next kernel.
 *
 * The tracker knows nothing of struct page, folios or boot.  It records
 * naturally aligned units of 2^order pages, identified by (pfn, order).
 * See lib/kho_mem/tracker.c for the data structure and
 * lib/kho_mem/serialize.c for the handover format and its parser.
 */
#ifndef _LINUX_KHO_MEM_H
#define _LINUX_KHO_MEM_H

#include <linux/mutex.h>
#include <linux/pgtable.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/xarray.h>

/* Largest unit: one PUD, i.e. 1 GiB with 4 KiB pages (order 18 on x86-64). */
#define KHO_MEM_MAX_ORDER	(PUD_SHIFT - PAGE_SHIFT)

struct kho_mem_order;

/**
 * struct kho_mem_tracker - the set of preserved units
 * @lock: serialises every call but the fast path of kho_mem_preserve().
 * @fast_lock: taken by that fast path, and to set and clear @fast_off.
 * @fast_off: set while a holder of @lock works on the tracker; the fast
 *	path then steps aside and takes @lock as well.
 * @orders: order -> struct kho_mem_order, the per-order leaf xarrays.
 * @ords: the same, as a plain array, so that the hot path does not walk
 *	an xarray to find its order.
 * @populated: bit N is set while units of order N are preserved.
 * @meta_bytes: bytes of metadata (leaves, offset arrays, bitmap pages and
 *	per-order descriptors) that the tracker has allocated.
 */
struct kho_mem_tracker {
	struct mutex lock;	/* see @lock above */
	spinlock_t fast_lock;	/* see @fast_lock above */
	bool fast_off;
	struct xarray orders;
	struct kho_mem_order *ords[KHO_MEM_MAX_ORDER + 1];
	unsigned long populated;
	u64 meta_bytes;
};

/**
 * struct kho_mem_unit - one preserved unit
 * @pfn: first page frame of the unit, aligned to 2^@order pages.
 * @order: log2 of the number of pages in the unit.
 */
struct kho_mem_unit {
	unsigned long pfn;
	unsigned int order;
};

/**
 * struct kho_mem_stats - a snapshot of the tracker's counters
 * @nr_units: preserved units.
 * @nr_bytes: bytes of memory that those units cover.
 * @meta_bytes: bytes of tracker metadata in use.
 * @nr_leaves: leaf containers, of both kinds.
 * @nr_bitmap_leaves: leaf containers that are bitmap pages.
 */
struct kho_mem_stats {
	u64 nr_units;
	u64 nr_bytes;
	u64 meta_bytes;
	u64 nr_leaves;
	u64 nr_bitmap_leaves;
};

void kho_mem_init(struct kho_mem_tracker *t);
void kho_mem_destroy(struct kho_mem_tracker *t);
int kho_mem_preserve(struct kho_mem_tracker *t, unsigned long pfn,
		     unsigned int order);
int kho_mem_unpreserve(struct kho_mem_tracker *t, unsigned long pfn,
		       unsigned int order);
int kho_mem_preserve_range(struct kho_mem_tracker *t, unsigned long pfn,
			   unsigned long nr_pages);
int kho_mem_unpreserve_range(struct kho_mem_tracker *t, unsigned long pfn,
			     unsigned long nr_pages);
bool kho_mem_lookup(struct kho_mem_tracker *t, unsigned long pfn,
		    struct kho_mem_unit *unit);
int kho_mem_visit_units(struct kho_mem_tracker *t,
			int (*fn)(void *arg, const struct kho_mem_unit *unit),
			void *arg);
void kho_mem_get_stats(struct kho_mem_tracker *t, struct kho_mem_stats *st);

/* Outgoing side: the tracker as a linked list of chunk pages. */

/**
 * struct kho_mem_chunks - a serialized tracker
 * @head: physical address of the first chunk page, 0 for an empty tracker.
 * @nr_chunks: number of chunk pages in the list.
 * @bytes: bytes of chunk pages (@nr_chunks pages).
 * @overlap: when kho_mem_serialize() fails with -EEXIST, two preserved
 *	units that overlap: the one that starts first, then the other.
 *
 * The list borrows the tracker's bitmap pages: it stays valid only while
 * the tracker is neither changed nor destroyed.
 */
struct kho_mem_chunks {
	phys_addr_t head;
	unsigned long nr_chunks;
	u64 bytes;
	struct kho_mem_unit overlap[2];
};

int kho_mem_serialize(struct kho_mem_tracker *t, struct kho_mem_chunks *out);
void kho_mem_chunks_free(struct kho_mem_chunks *chunks);

/* Incoming side: validate and walk a chunk list from the previous kernel. */

/**
 * struct kho_mem_range - a physical address range [@start, @end)
 * @start: first byte.
 * @end: one past the last byte.
 */
struct kho_mem_range {
	u64 start;
	u64 end;
};

/**
 * enum kho_mem_check - the validation checks of kho_mem_walk()
 * @KHO_MEM_CHECK_OK: every check passed.
 * @KHO_MEM_CHECK_CHUNK_ADDR: a chunk address is not page aligned, lies
 *	outside RAM or inside an excluded range.
 * @KHO_MEM_CHECK_CHUNK_COUNT: the list holds more chunks than allowed.
 * @KHO_MEM_CHECK_CYCLE: the list loops back on itself.
 * @KHO_MEM_CHECK_MAGIC: a chunk does not start with the format magic.
 * @KHO_MEM_CHECK_VERSION: a chunk has an unknown format version or page size.
 * @KHO_MEM_CHECK_ORDER: a chunk's order is out of range, or chunks are not
 *	grouped by ascending order.
 * @KHO_MEM_CHECK_COUNT: a chunk holds no entries, or more than fit.
 * @KHO_MEM_CHECK_RESERVED: a reserved field is not zero.
 * @KHO_MEM_CHECK_KIND: an entry has an unknown leaf kind.
 * @KHO_MEM_CHECK_LEAF_BASE: a leaf base is not aligned to the leaf span.
 * @KHO_MEM_CHECK_UNSORTED: leaves of one order are not strictly ascending.
 * @KHO_MEM_CHECK_DATA_BOUNDS: inline data lies outside its chunk, or
 *	overlaps the entry table or another entry's data.
 * @KHO_MEM_CHECK_BITMAP_ADDR: a bitmap page is not page aligned, lies
 *	outside RAM or inside an excluded range.
 * @KHO_MEM_CHECK_LEAF_COUNT: a leaf's unit count is zero, larger than the
 *	leaf can hold, or does not match its data.
 * @KHO_MEM_CHECK_OFFSETS: inline offsets are not strictly ascending or lie
 *	beyond the leaf.
 * @KHO_MEM_CHECK_OVERLAP: two preserved units overlap.
 * @KHO_MEM_CHECK_NOT_RAM: a preserved unit lies outside RAM.
 * @KHO_MEM_CHECK_EXCLUDED: a preserved unit lies in an excluded range.
 * @KHO_MEM_CHECK_NR: number of checks, not a check.
 */
enum kho_mem_check {
	KHO_MEM_CHECK_OK,
	KHO_MEM_CHECK_CHUNK_ADDR,
	KHO_MEM_CHECK_CHUNK_COUNT,
	KHO_MEM_CHECK_CYCLE,
	KHO_MEM_CHECK_MAGIC,
	KHO_MEM_CHECK_VERSION,
	KHO_MEM_CHECK_ORDER,
	KHO_MEM_CHECK_COUNT,
	KHO_MEM_CHECK_RESERVED,
	KHO_MEM_CHECK_KIND,
	KHO_MEM_CHECK_LEAF_BASE,
	KHO_MEM_CHECK_UNSORTED,
	KHO_MEM_CHECK_DATA_BOUNDS,
	KHO_MEM_CHECK_BITMAP_ADDR,
	KHO_MEM_CHECK_LEAF_COUNT,
	KHO_MEM_CHECK_OFFSETS,
	KHO_MEM_CHECK_OVERLAP,
	KHO_MEM_CHECK_NOT_RAM,
	KHO_MEM_CHECK_EXCLUDED,
	KHO_MEM_CHECK_NR
};

/**
 * struct kho_mem_walk_args - what kho_mem_walk() parses and trusts
 * @head: physical address of the first chunk, 0 for an empty list.
 * @ram: RAM, as ascending, non-overlapping ranges.
 * @nr_ram: entries in @ram.
 * @excluded: ranges that must hold no chunk, bitmap or preserved unit
 *	(the scratch areas), ascending and non-overlapping.
 * @nr_excluded: entries in @excluded.
 * @max_chunks: upper bound on the length of the list; 0 selects
 *	KHO_MEM_DEFAULT_MAX_CHUNKS.
 */
struct kho_mem_walk_args {
	phys_addr_t head;
	const struct kho_mem_range *ram;
	unsigned int nr_ram;
	const struct kho_mem_range *excluded;
	unsigned int nr_excluded;
	unsigned long max_chunks;
};

#define KHO_MEM_DEFAULT_MAX_CHUNKS	BIT(20)

/**
 * struct kho_mem_walk_ops - callbacks of kho_mem_walk()
 * @range: called once per maximal run of contiguous preserved memory,
 *	with its first pfn, its length in pages and a mask of the orders of
 *	the units it is made of.  Optional.
 * @run: called once per maximal run of adjacent units of one order, with
 *	the first pfn, the order and the number of units.  The runs inside a
 *	range are reported before that range.  Optional.
 *
 * A callback returns 0 to go on, or a negative errno to stop the walk.
 */
struct kho_mem_walk_ops {
	int (*range)(void *arg, unsigned long pfn, unsigned long nr_pages,
		     unsigned long orders);
	int (*run)(void *arg, unsigned long pfn, unsigned int order,
		   unsigned long nr_units);
};

/**
 * struct kho_mem_walk_result - what kho_mem_walk() found
 * @check: the first check that failed, or KHO_MEM_CHECK_OK.
 * @chunk: index in the list of the chunk where @check failed.
 * @entry: index of the entry in that chunk where @check failed.
 * @nr_chunks: chunks in the list.
 * @nr_units: preserved units.
 * @nr_pages: preserved pages.
 * @nr_ranges: ranges reported to @kho_mem_walk_ops.range.
 * @nr_runs: runs reported to @kho_mem_walk_ops.run.
 * @unit: for KHO_MEM_CHECK_OVERLAP, KHO_MEM_CHECK_NOT_RAM and
 *	KHO_MEM_CHECK_EXCLUDED, the first unit of the run that failed.
 * @other: for KHO_MEM_CHECK_OVERLAP, the first unit of the earlier run
 *	that @unit overlaps.
 */
struct kho_mem_walk_result {
	enum kho_mem_check check;
	unsigned long chunk;
	unsigned int entry;
	unsigned long nr_chunks;
	u64 nr_units;
	u64 nr_pages;
	u64 nr_ranges;
	u64 nr_runs;
	struct kho_mem_unit unit;
	struct kho_mem_unit other;
};

int kho_mem_walk(const struct kho_mem_walk_args *args,
		 const struct kho_mem_walk_ops *ops, void *arg,
		 struct kho_mem_walk_result *res);
const char *kho_mem_check_name(enum kho_mem_check check);

#endif /* _LINUX_KHO_MEM_H */
