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
 */
#ifndef _LINUX_KHO_ABI_KEXEC_HANDOVER_H
#define _LINUX_KHO_ABI_KEXEC_HANDOVER_H

#include <linux/types.h>

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

#endif /* _LINUX_KHO_ABI_KEXEC_HANDOVER_H */
