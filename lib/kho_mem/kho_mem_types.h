/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tracker's internal types, shared by kho_mem_internal.h and by the
 * userspace build in tools/testing/kho_mem.
 */
#ifndef _LIB_KHO_MEM_TYPES_H
#define _LIB_KHO_MEM_TYPES_H

#include <linux/kho_mem.h>
#include <linux/kho/abi/kho_mem.h>
#include <linux/types.h>
#include <linux/xarray.h>

#define KHO_MEM_LEAF_MASK	(KHO_MEM_LEAF_UNITS - 1)
#define KHO_MEM_NR_ORDERS	(KHO_MEM_MAX_ORDER + 1)

/*
 * A leaf stays sparse up to this many units: 768 with 4 KiB pages, whose
 * hash table (1024 slots, 2 KiB) and the copy of the offsets in a chunk
 * (1.5 KiB) then weigh nearly as much as a bitmap page, which also takes a
 * unit in O(1).  The format allows sparse leaves up to KHO_MEM_SPARSE_MAX.
 */
#define KHO_MEM_SPARSE_LIMIT	(PAGE_SIZE * 3 / 16)

/* An empty slot of a sparse leaf's table: no offset is that large. */
#define KHO_MEM_SPARSE_EMPTY	0xffff

/**
 * struct kho_mem_leaf - one leaf container: units [base, base + 32768)
 * @kind: KHO_MEM_LEAF_SPARSE or KHO_MEM_LEAF_BITMAP.
 * @count: units set in the leaf.
 * @cap: slots in @offs, a power of two (sparse leaves only).
 * @offs: the unit offsets of a sparse leaf, a hash table of @cap slots
 *	(empty: KHO_MEM_SPARSE_EMPTY), a slab allocation.
 * @bits: one bit per unit (bitmap leaves), a whole page.
 */
struct kho_mem_leaf {
	enum kho_mem_leaf_kind kind;
	unsigned int count;
	unsigned int cap;
	union {
		u16 *offs;
		unsigned long *bits;
	};
};

/**
 * struct kho_mem_slot - one slot of an order's leaf cache
 * @index: leaf index of @leaf.
 * @leaf: a leaf of the order, or NULL for an empty slot.
 */
struct kho_mem_slot {
	unsigned long index;
	struct kho_mem_leaf *leaf;
};

/* Largest leaf cache of one order: 1024 slots, 16 KiB. */
#define KHO_MEM_CACHE_MAX	1024

/**
 * struct kho_mem_order - the units of one order
 * @leaves: leaf index (unit index >> KHO_MEM_LEAF_SHIFT) -> leaf.
 * @nr_units: units of this order.
 * @nr_leaves: leaves in @leaves.
 * @nr_bitmaps: how many of them are bitmap leaves.
 * @cache_mask: slots in @cache, minus one.
 * @cache: direct-mapped cache in front of @leaves: leaf index & @cache_mask
 *	-> slot.  As many slots as leaves, rounded up to a power of two, at
 *	most KHO_MEM_CACHE_MAX; @one while that is one slot.
 * @one: the cache of an order with at most one leaf.
 */
struct kho_mem_order {
	struct xarray leaves;
	u64 nr_units;
	unsigned long nr_leaves;
	unsigned long nr_bitmaps;
	unsigned long cache_mask;
	struct kho_mem_slot *cache;
	struct kho_mem_slot one;
};

#endif /* _LIB_KHO_MEM_TYPES_H */
