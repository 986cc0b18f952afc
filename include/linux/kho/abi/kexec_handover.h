/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kexec HandOver (KHO): the root FDT schema and the scratch array.
 *
 * This is an ABI between two kernels, which may be different builds: change
 * it only by bumping KHO_FDT_VERSION (see
 * Documentation/core-api/kho/format.rst).
 *
 * The root FDT:
 *
 *	/ {
 *		compatible = "kho-v1";
 *		kho-version = <1>;
 *		preserved-memory-map = <u64: physical address of the first
 *					chunk of the kho_mem chunk list, or 0>;
 *
 *		<subtree name> {
 *			fdt = <u64: physical address of the sub-FDT>;
 *		};
 *		...
 *	};
 *
 * The scratch array is a packed array of struct kho_scratch_abi, one per
 * scratch area, ascending and non-overlapping.
 *
 * A preserved vmalloc area is described by a struct kho_vmalloc, which its
 * owner stores in its own preserved state, and a singly linked list of
 * preserved pages (struct kho_vmalloc_chunk), each listing the physical
 * addresses of up to KHO_VMALLOC_PER_CHUNK pages of the area.
 */
#ifndef _LINUX_KHO_ABI_KEXEC_HANDOVER_H
#define _LINUX_KHO_ABI_KEXEC_HANDOVER_H

#include <linux/types.h>
#include <asm/page.h>

#define KHO_FDT_COMPATIBLE	"kho-v1"
#define KHO_FDT_VERSION		1
#define KHO_FDT_PROP_VERSION	"kho-version"
#define KHO_FDT_PROP_MEM_MAP	"preserved-memory-map"
#define KHO_FDT_PROP_SUB_FDT	"fdt"

/* Largest root FDT the next kernel accepts, and the size we allocate. */
#define KHO_FDT_MAX_SIZE	(16 * 1024)

/* Largest number of scratch areas the next kernel accepts. */
#define KHO_SCRATCH_MAX		64

/**
 * struct kho_scratch_abi - one scratch area in the handover
 * @addr: physical start, aligned to the pageblock size.
 * @size: length in bytes, a multiple of the pageblock size.
 */
struct kho_scratch_abi {
	__u64 addr;
	__u64 size;
} __packed;

/**
 * struct kho_vmalloc - the handle of a preserved vmalloc area
 * @first: physical address of the first page of the area's page list.
 * @total_pages: number of pages in the area.
 * @flags: KHO_VMALLOC_* flags of the area.
 * @order: order of each of the area's pages.
 *
 * kho_preserve_vmalloc() fills it in; the owner stores it in its own
 * preserved state (for example a sub-FDT) and passes it to
 * kho_restore_vmalloc() in the next kernel.
 */
struct kho_vmalloc {
	__u64 first;
	__u32 total_pages;
	__u16 flags;
	__u16 order;
} __packed;

#define KHO_VMALLOC_VM_ALLOC		0x1	/* vmalloc() area */
#define KHO_VMALLOC_VM_ALLOW_HUGE	0x2	/* vmalloc_huge() area */

/**
 * struct kho_vmalloc_chunk - one page of the page list of a vmalloc area
 * @next: physical address of the next page of the list, or 0.
 * @nr: number of entries used in @phys.
 * @phys: physical addresses of the area's pages, in order.
 */
struct kho_vmalloc_chunk {
	__le64 next;
	__le64 nr;
	__le64 phys[];
};

#define KHO_VMALLOC_PER_CHUNK \
	((PAGE_SIZE - sizeof(struct kho_vmalloc_chunk)) / sizeof(__le64))

#endif /* _LINUX_KHO_ABI_KEXEC_HANDOVER_H */
