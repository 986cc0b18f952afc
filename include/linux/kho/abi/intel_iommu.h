/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Intel VT-d across kexec: the translation of the devices kept running.
 *
 * This is an ABI between two kernels, which may be different builds: change
 * it only with a new compatible string.  The FDT's u64 properties are
 * big-endian, as FDT cells are; the structs are packed and in the CPU's
 * byte order (both kernels run on the same machine).
 *
 * The KHO subtree "intel-iommu" is an FDT in one preserved page:
 *
 *	/ {
 *		compatible = "intel-iommu-lts-v1";
 *		nr-devices = <u64: entries in the device table>;
 *		devices = [struct kho_vmalloc: the device table];
 *		nr-pages = <u64: entries in the page table>;
 *		pages = [struct kho_vmalloc: the page table];
 *	};
 *
 * The device table lists each kept device once: the register base of its
 * DMAR unit and its source id.  The unit is left with translation on at
 * the kexec, its root table in place and the context entries of every
 * other device cleared.  The page table lists the physical address of
 * every page of VT-d tables that a kept device's translation uses (the
 * unit's root table, the context table, the second-level page tables), in
 * ascending order, once each; each one is preserved as a single page.  An
 * empty table has the count 0 and an all-zero struct kho_vmalloc.
 *
 * The next kernel reads the tables from the hardware (the root table
 * address register), as it does after a crash, and trusts nothing: every
 * table page it follows must be in the page table, each once, and every
 * page a device may reach must be preserved memory; a kept device that
 * fails is left without a context entry, so its DMA is blocked.
 */
#ifndef _LINUX_KHO_ABI_INTEL_IOMMU_H
#define _LINUX_KHO_ABI_INTEL_IOMMU_H

#include <linux/types.h>

#define INTEL_IOMMU_KHO_SUBTREE		"intel-iommu"
#define INTEL_IOMMU_KHO_COMPATIBLE	"intel-iommu-lts-v1"
#define INTEL_IOMMU_KHO_PROP_NR_DEVICES	"nr-devices"
#define INTEL_IOMMU_KHO_PROP_DEVICES	"devices"
#define INTEL_IOMMU_KHO_PROP_NR_PAGES	"nr-pages"
#define INTEL_IOMMU_KHO_PROP_PAGES	"pages"

/**
 * struct intel_iommu_kho_dev - a device whose translation is kept
 * @reg_base: physical address of its DMAR unit's registers.
 * @sid: its PCI segment << 16 | bus << 8 | devfn.
 * @reserved: zero.
 */
struct intel_iommu_kho_dev {
	__u64 reg_base;
	__u32 sid;
	__u32 reserved;
} __packed;

#endif /* _LINUX_KHO_ABI_INTEL_IOMMU_H */
