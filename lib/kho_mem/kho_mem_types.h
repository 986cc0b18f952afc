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

/**
 * struct kho_mem_leaf - one leaf container: units [base, base + 32768)
 * @kind: KHO_MEM_LEAF_SPARSE or KHO_MEM_LEAF_BITMAP.
 * @count: units set in the leaf.
 * @cap: capacity of @offs in offsets (sparse leaves only).
 * @offs: ascending unit offsets (sparse leaves), a slab allocation.
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
 * struct kho_mem_order - the units of one order
 * @leaves: leaf index (unit index >> KHO_MEM_LEAF_SHIFT) -> leaf.
 * @nr_units: units of this order.
 * @nr_leaves: leaves in @leaves.
 * @nr_bitmaps: how many of them are bitmap leaves.
 * @hint_index: index of @hint in @leaves.
 * @hint: the leaf used last, or NULL.
 */
struct kho_mem_order {
	struct xarray leaves;
	u64 nr_units;
	unsigned long nr_leaves;
	unsigned long nr_bitmaps;
	unsigned long hint_index;
	struct kho_mem_leaf *hint;
};

#endif /* _LIB_KHO_MEM_TYPES_H */
