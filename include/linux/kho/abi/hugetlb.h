/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hugetlb across kexec: the pool's preserved pages and the preserved
 * hugetlbfs memfds.
 *
 * This is an ABI between two kernels, which may be different builds: change
 * it only with a new compatible string.  The FDT's u64 properties are
 * big-endian, as FDT cells are; the structs are packed and in the CPU's
 * byte order (both kernels run on the same machine).
 *
 * The pool: the KHO subtree "hugetlb" is an FDT in one preserved page:
 *
 *	/ {
 *		compatible = "hugetlb-lts-v1";
 *		pool = <u64: physical address of the pool table, or 0>,
 *		       <u64: number of entries>;
 *	};
 *
 * The pool table lists every huge page that a preserved file holds, once,
 * in ascending order of pfn: one u64 per page, HUGETLB_KHO_POOL_PFN (the
 * page frame number of its first page) and HUGETLB_KHO_POOL_ORDER (its
 * order).  It lies in one physically contiguous preserved folio that holds
 * nothing else.  The next kernel reads it during early boot, before it
 * sizes its boot-time pool, so that preserved pages count as allocated, and
 * takes every listed page into its hugetlb pool before the end of boot:
 * none of them is ever freed to the page allocator.
 *
 * A file: the hugetlb memfd handler (mm/hugetlb_kho.c, compatible
 * HUGETLB_LUO_COMPATIBLE) keeps a hugetlbfs memfd's huge pages in place.
 * The file's luo_file_ser.data (include/linux/kho/abi/luo.h) is the
 * physical address of one preserved page that starts with a struct
 * hugetlb_luo_ser.  Its @folios is a preserved vmalloc area
 * (kho_preserve_vmalloc()) of @nr_folios struct hugetlb_luo_folio_ser in
 * ascending order of index, and @regions one of @nr_regions struct
 * hugetlb_luo_region, the file's reservation map.  An empty array has the
 * count 0 and an all-zero struct kho_vmalloc.
 *
 * The next kernel trusts none of it (see hugetlb_luo_check_ser() and
 * hugetlb_luo_check_arrays() in mm/hugetlb_kho_ser.c).
 */
#ifndef _LINUX_KHO_ABI_HUGETLB_H
#define _LINUX_KHO_ABI_HUGETLB_H

#include <linux/bits.h>
#include <linux/fcntl.h>
#include <linux/kho/abi/kexec_handover.h>
#include <linux/types.h>

#define HUGETLB_KHO_SUBTREE		"hugetlb"
#define HUGETLB_KHO_COMPATIBLE		"hugetlb-lts-v1"
#define HUGETLB_KHO_PROP_POOL		"pool"

/* A pool table entry: the page frame number and the order of a huge page. */
#define HUGETLB_KHO_POOL_PFN		GENMASK_ULL(51, 0)
#define HUGETLB_KHO_POOL_ORDER_SHIFT	52
#define HUGETLB_KHO_POOL_ORDER		GENMASK_ULL(57, 52)

#define HUGETLB_LUO_COMPATIBLE		"hugetlb-memfd-lts-v1"

/**
 * struct hugetlb_luo_folio_ser - one huge page of a preserved file (16 bytes)
 * @index: its index in the file, in huge pages.
 * @pfn: the page frame number of its first page; the page is listed in
 *	the pool table with the file's order.
 */
struct hugetlb_luo_folio_ser {
	__u64 index;
	__u64 pfn;
} __packed;

/**
 * struct hugetlb_luo_region - a reserved range of a file (16 bytes)
 * @from: its first index, in huge pages.
 * @to: the index after its last one.
 *
 * The huge pages of the range that the file does not hold are reserved for
 * it in the pool, as mmap() of a shared mapping reserves them.
 */
struct hugetlb_luo_region {
	__u64 from;
	__u64 to;
} __packed;

/* struct hugetlb_luo_ser.flags: how the file was open */
#define HUGETLB_LUO_FILE_READ		BIT(0)	/* FMODE_READ */
#define HUGETLB_LUO_FILE_WRITE		BIT(1)	/* FMODE_WRITE */
#define HUGETLB_LUO_FILE_NONBLOCK	BIT(2)	/* O_NONBLOCK */
#define HUGETLB_LUO_FILE_FLAGS		GENMASK(2, 0)

/* struct hugetlb_luo_ser.seals: the F_SEAL_* seals a file may have */
#define HUGETLB_LUO_SEALS	(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | \
				 F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | \
				 F_SEAL_EXEC)

/* struct hugetlb_luo_ser.mode: the permission bits of the inode */
#define HUGETLB_LUO_MODE_MASK		0777U

/**
 * struct hugetlb_luo_ser - a preserved hugetlbfs memfd (80 bytes)
 * @size: the file's size in bytes, a multiple of its huge page size.
 * @pos: the file position, at most MAX_LFS_FILESIZE.
 * @nr_folios: number of entries in @folios, at most the file's huge pages.
 * @nr_regions: number of entries in @regions.
 * @seals: the file's F_SEAL_* seals, as F_GET_SEALS returns them.
 * @flags: HUGETLB_LUO_FILE_* flags: how the file was open; READ, WRITE or
 *	both.
 * @mode: the permission bits (HUGETLB_LUO_MODE_MASK) of the inode.
 * @shift: log2 of the file's huge page size in bytes (the hstate).
 * @reserved: 0.
 * @folios: the preserved vmalloc area of the folio array.
 * @regions: the preserved vmalloc area of the reservation map.
 */
struct hugetlb_luo_ser {
	__u64 size;
	__u64 pos;
	__u64 nr_folios;
	__u64 nr_regions;
	__u32 seals;
	__u16 flags;
	__u16 mode;
	__u8 shift;
	__u8 reserved[7];
	struct kho_vmalloc folios;
	struct kho_vmalloc regions;
} __packed;

#endif /* _LINUX_KHO_ABI_HUGETLB_H */
