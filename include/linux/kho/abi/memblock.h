/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * memblock's reserve_mem regions across kexec.
 *
 * This is an ABI between two kernels, which may be different builds, and
 * the format mainline Linux uses: change it only with a new compatible
 * string.  The KHO subtree "memblock" is an FDT in one preserved page:
 *
 *	/ {
 *		compatible = "memblock-v1";
 *		NAME {
 *			compatible = "reserve-mem-v1";
 *			start = <u64: physical address of the region>;
 *			size = <u64: its length in bytes>;
 *		};
 *		...one node per region, named by the region's name
 *	};
 *
 * The u64 properties are big-endian, as FDT cells are.  The pages that
 * hold each region are preserved with kho_preserve_pages(), from the page
 * that holds its first byte to the page that holds its last.  A region's
 * alignment is not handed over: the next kernel checks that the start
 * meets the alignment its own reserve_mem= asks for.
 *
 * The next kernel trusts none of it (see reserve_mem_kho_find() in
 * mm/memblock_kho_ser.c).
 */
#ifndef _LINUX_KHO_ABI_MEMBLOCK_H
#define _LINUX_KHO_ABI_MEMBLOCK_H

#define MEMBLOCK_KHO_FDT			"memblock"
#define MEMBLOCK_KHO_NODE_COMPATIBLE		"memblock-v1"
#define RESERVE_MEM_KHO_NODE_COMPATIBLE		"reserve-mem-v1"
#define RESERVE_MEM_KHO_PROP_START		"start"
#define RESERVE_MEM_KHO_PROP_SIZE		"size"

#endif /* _LINUX_KHO_ABI_MEMBLOCK_H */
