/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Live Update Orchestrator (LUO): how a preserved memfd crosses the kexec.
 *
 * This is an ABI between two kernels, which may be different builds: change
 * it only with a new compatible string.  Integers are in the CPU's byte
 * order (both kernels run on the same machine) and the structs are packed.
 *
 * The memfd file handler (mm/memfd_luo.c, compatible MEMFD_LUO_COMPATIBLE)
 * preserves a shmem memfd in place: its folios stay where they are and
 * are handed over with kho_preserve_folio(); holes stay holes.  The file's
 * luo_file_ser.data (include/linux/kho/abi/luo.h) is the physical address
 * of one preserved page (kho_preserve_folio() of an order-0 folio) that
 * starts with a struct memfd_luo_ser.  Its @folios is a preserved vmalloc
 * area (kho_preserve_vmalloc()) holding @nr_folios entries of struct
 * memfd_luo_folio_ser, one per folio of the file, in ascending order of
 * index, and no more pages than those entries need.  A file without
 * folios has @nr_folios 0 and an all-zero @folios.
 *
 * The next kernel trusts none of it: unknown flags, seals or mode bits,
 * a size or position above MAX_LFS_FILESIZE, a non-zero reserved field,
 * an array whose size does not match @nr_folios, entries out of order,
 * overlapping, not naturally aligned, of an order the page cache does not
 * take, or not starting inside the file, and a pfn that is not a preserved
 * folio of the recorded order all refuse the file (one log line); the
 * memory restored so far is zeroed and freed.
 */
#ifndef _LINUX_KHO_ABI_MEMFD_H
#define _LINUX_KHO_ABI_MEMFD_H

#include <linux/bits.h>
#include <linux/fcntl.h>
#include <linux/kho/abi/kexec_handover.h>
#include <linux/types.h>

#define MEMFD_LUO_COMPATIBLE		"memfd-lts-v1"

/*
 * struct memfd_luo_folio_ser.pfn_flags: the folio's page frame number in
 * bits 0-51, its order in bits 52-57, MEMFD_LUO_FOLIO_* flags in bits
 * 58-63.
 */
#define MEMFD_LUO_PFN_MASK		GENMASK_ULL(51, 0)
#define MEMFD_LUO_ORDER_SHIFT		52
#define MEMFD_LUO_ORDER_MASK		0x3fULL
#define MEMFD_LUO_FOLIO_DIRTY		BIT_ULL(58)
#define MEMFD_LUO_FOLIO_UPTODATE	BIT_ULL(59)
#define MEMFD_LUO_FOLIO_FLAGS		(MEMFD_LUO_FOLIO_DIRTY | \
					 MEMFD_LUO_FOLIO_UPTODATE)

/**
 * struct memfd_luo_folio_ser - one folio of a preserved memfd (16 bytes)
 * @index: the index in the file (in pages) of the folio's first page,
 *	a multiple of its number of pages.
 * @pfn_flags: the folio's page frame number, order and
 *	MEMFD_LUO_FOLIO_* flags (see above).  A folio without
 *	MEMFD_LUO_FOLIO_UPTODATE holds no data and reads back as zeroes.
 */
struct memfd_luo_folio_ser {
	__u64 index;
	__u64 pfn_flags;
} __packed;

/* struct memfd_luo_ser.flags: how the file was open */
#define MEMFD_LUO_FILE_READ		BIT(0)	/* FMODE_READ */
#define MEMFD_LUO_FILE_WRITE		BIT(1)	/* FMODE_WRITE */
#define MEMFD_LUO_FILE_APPEND		BIT(2)	/* O_APPEND */
#define MEMFD_LUO_FILE_NONBLOCK		BIT(3)	/* O_NONBLOCK */
#define MEMFD_LUO_FILE_LARGEFILE	BIT(4)	/* O_LARGEFILE */
#define MEMFD_LUO_FILE_FLAGS		GENMASK(4, 0)

/* struct memfd_luo_ser.seals: the F_SEAL_* seals a file may have */
#define MEMFD_LUO_SEALS		(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | \
				 F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | \
				 F_SEAL_EXEC)

/* struct memfd_luo_ser.mode: the permission bits of the inode */
#define MEMFD_LUO_MODE_MASK		0777U

/**
 * struct memfd_luo_ser - a preserved memfd (56 bytes)
 * @size: the file's size in bytes, at most MAX_LFS_FILESIZE.
 * @pos: the file position, at most MAX_LFS_FILESIZE.
 * @nr_folios: number of entries in @folios, at most the number of pages
 *	of the file.
 * @seals: the file's F_SEAL_* seals, as F_GET_SEALS returns them.
 * @flags: MEMFD_LUO_FILE_* flags: how the file was open; READ, WRITE or
 *	both.
 * @mode: the permission bits (MEMFD_LUO_MODE_MASK) of the inode; they
 *	decide what F_SEAL_EXEC implies.
 * @reserved: 0.
 * @folios: the preserved vmalloc area of the struct memfd_luo_folio_ser
 *	array.
 */
struct memfd_luo_ser {
	__u64 size;
	__u64 pos;
	__u64 nr_folios;
	__u32 seals;
	__u32 flags;
	__u32 mode;
	__u32 reserved;
	struct kho_vmalloc folios;
} __packed;

#endif /* _LINUX_KHO_ABI_MEMFD_H */
