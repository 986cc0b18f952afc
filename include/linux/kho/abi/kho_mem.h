/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KHO preserved-memory map: the format one kernel writes and the next one
 * parses.  Changing anything here is an ABI change between kernels: bump
 * KHO_MEM_CHUNK_VERSION.
 *
 * The map is a singly linked list of chunk pages, grouped by ascending
 * order and, within one order, by ascending leaf base:
 *
 *   chunk page (PAGE_SIZE bytes)
 *   +--------+---------+---------+-----+ - - - +--------+--------+
 *   | header | entry 0 | entry 1 | ... |  free  | data 1 | data 0 |
 *   +--------+---------+---------+-----+ - - - +--------+--------+
 *   entries grow up from the header;  inline data grows down from the end
 *
 * Each entry describes one leaf of the tracker: 2^KHO_MEM_LEAF_SHIFT units
 * of the chunk's order, starting at @base.  A KHO_MEM_LEAF_BITMAP entry
 * points to a bitmap page (bit N set: unit N of the leaf is preserved).  A
 * KHO_MEM_LEAF_SPARSE entry holds @count ascending __le16 unit offsets
 * inline, @data bytes from the start of its own chunk.
 *
 * Neither the chunk pages nor the bitmap pages are themselves preserved:
 * the next kernel parses the whole map while it still allocates only from
 * the scratch areas, and then never looks at those pages again.
 *
 * Bitmaps use the kernel's native unsigned long layout; both kernels must
 * run on the same architecture with the same page size (recorded in every
 * chunk header).
 */
#ifndef _LINUX_KHO_ABI_KHO_MEM_H
#define _LINUX_KHO_ABI_KHO_MEM_H

#include <linux/bits.h>
#include <linux/types.h>
#include <asm/page.h>

#define KHO_MEM_CHUNK_MAGIC	0x4d4f484b	/* "KHOM" in little endian */
#define KHO_MEM_CHUNK_VERSION	1

/* A leaf spans as many units as a page has bits: 32768 with 4 KiB pages. */
#define KHO_MEM_LEAF_SHIFT	(PAGE_SHIFT + 3)
#define KHO_MEM_LEAF_UNITS	BIT(KHO_MEM_LEAF_SHIFT)

/**
 * struct kho_mem_chunk_hdr - header at the start of every chunk page
 * @magic: KHO_MEM_CHUNK_MAGIC.
 * @version: KHO_MEM_CHUNK_VERSION.
 * @order: order of every unit described by this chunk.
 * @page_shift: PAGE_SHIFT of the kernel that wrote the chunk.
 * @nr_entries: entries that follow the header.
 * @reserved: zero.
 * @next: physical address of the next chunk page, or 0 for the last one.
 */
struct kho_mem_chunk_hdr {
	__le32 magic;
	__le16 version;
	u8 order;
	u8 page_shift;
	__le32 nr_entries;
	__le32 reserved;
	__le64 next;
};

/**
 * enum kho_mem_leaf_kind - how a leaf stores its units
 * @KHO_MEM_LEAF_BITMAP: a whole page, one bit per unit.
 * @KHO_MEM_LEAF_SPARSE: a sorted array of unit offsets.
 */
enum kho_mem_leaf_kind {
	KHO_MEM_LEAF_BITMAP = 1,
	KHO_MEM_LEAF_SPARSE = 2,
};

/**
 * struct kho_mem_chunk_entry - one leaf
 * @base: physical address of the first unit the leaf spans, aligned to
 *	the leaf span (KHO_MEM_LEAF_UNITS << (order + PAGE_SHIFT) bytes).
 * @data: KHO_MEM_LEAF_BITMAP: physical address of the bitmap page.
 *	KHO_MEM_LEAF_SPARSE: byte offset of the __le16 offsets in this chunk.
 * @kind: an enum kho_mem_leaf_kind.
 * @reserved: zero.
 * @count: number of preserved units in the leaf, at least one.
 */
struct kho_mem_chunk_entry {
	__le64 base;
	__le64 data;
	__le16 kind;
	__le16 reserved;
	__le32 count;
};

#define KHO_MEM_CHUNK_ENTRIES_MAX \
	((PAGE_SIZE - sizeof(struct kho_mem_chunk_hdr)) / \
	 sizeof(struct kho_mem_chunk_entry))

/*
 * Largest sparse leaf: one that still fits inline in an otherwise empty
 * chunk (2024 offsets with 4 KiB pages, 4048 bytes).  A leaf with more
 * units is a bitmap page, which is then no larger than the offsets.
 */
#define KHO_MEM_SPARSE_MAX \
	((PAGE_SIZE - sizeof(struct kho_mem_chunk_hdr) - \
	  sizeof(struct kho_mem_chunk_entry)) / sizeof(__le16))

#endif /* _LINUX_KHO_ABI_KHO_MEM_H */
