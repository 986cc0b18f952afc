/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KHO preserved-memory map: the format one kernel writes and the next one
 * parses.  Changing anything here is an ABI change between kernels: bump
 * KHO_MEM_CHUNK_VERSION.
 */

/**
 * DOC: Preserved-memory map format
 *
 * The root FDT's ``preserved-memory-map`` points to a singly linked list of
 * chunk pages.  Each chunk describes leaves of one order; a leaf covers
 * ``KHO_MEM_LEAF_UNITS`` units of that order (as many as a page has bits:
 * 32768 with 4 KiB pages), starting at a base aligned to the leaf's span
 * (128 MiB at order 0, 64 GiB at order 9, 32 TiB at order 18).  Integers
 * are little-endian.  Layout of a chunk page::
 *
 *   chunk page (PAGE_SIZE bytes)
 *   +--------+---------+---------+-----+ - - - +--------+--------+
 *   | header | entry 0 | entry 1 | ... |  free  | data 1 | data 0 |
 *   +--------+---------+---------+-----+ - - - +--------+--------+
 *   entries grow up from the header;  inline data grows down from the end
 *
 * A chunk starts with a ``struct kho_mem_chunk_hdr``, followed by
 * ``nr_entries`` entries, ``struct kho_mem_chunk_entry``, one per leaf.
 *
 * A *bitmap leaf* (``KHO_MEM_LEAF_BITMAP``) is a whole page, at the
 * physical address in the entry's ``data``: bit N set means unit N of the
 * leaf is preserved.  Bits use the kernel's native ``unsigned long``
 * layout (bit N is bit N % ``BITS_PER_LONG`` of word N / ``BITS_PER_LONG``);
 * ``count`` is the number of set bits, 1 to ``KHO_MEM_LEAF_UNITS``.
 *
 * A *sparse leaf* (``KHO_MEM_LEAF_SPARSE``) stores ``count`` ``__le16``
 * unit offsets, strictly ascending and below ``KHO_MEM_LEAF_UNITS``,
 * inline in the chunk, ``data`` bytes from the start of the chunk page.
 * ``count`` is 1 to ``KHO_MEM_SPARSE_MAX`` (2024 with 4 KiB pages, as
 * many as fit in an otherwise empty chunk).  The writer uses a sparse leaf
 * up to ``KHO_MEM_SPARSE_MAX`` units and a bitmap above, but a reader
 * accepts either kind for any valid count.
 *
 * Unit N of a leaf with base B in a chunk of order O starts at page frame
 * B / ``PAGE_SIZE`` + (N << O) and spans 2^O pages.
 *
 * Ordering rules, all enforced by the reader:
 *
 * - chunks are grouped by order, in ascending order; each chunk holds a
 *   single order;
 * - within one order, leaf bases are strictly ascending, across chunks
 *   too;
 * - the inline data of a chunk's sparse entries is packed downwards from
 *   the end of the page: ``data`` is even and lies after the entry table,
 *   and each sparse entry's offsets end at or below the start of the
 *   previous sparse entry's (the first at or below the end of the page);
 * - no two units overlap, whatever their orders; every unit lies in RAM.
 *
 * Placement: chunk pages and bitmap pages are ordinary pages of the
 * writer, not themselves preserved; the next kernel parses the whole map
 * while it still allocates only from the scratch areas, and never looks
 * at those pages again.  They, and every unit, lie in RAM, outside the
 * scratch areas, the root FDT, the scratch array and the first MiB.  A
 * reader bounds the list at 2^20 chunks.
 *
 * Both kernels must run on the same architecture with the same page size,
 * which every chunk header records.
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
