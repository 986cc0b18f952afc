/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Intel VT-d across kexec: what iommu.c calls (liveupdate.c).
 */
#ifndef _INTEL_IOMMU_LIVEUPDATE_H
#define _INTEL_IOMMU_LIVEUPDATE_H

struct context_entry;
struct device;
struct intel_iommu;

#ifdef CONFIG_INTEL_IOMMU_LIVEUPDATE
int intel_iommu_kho_preserve(struct device *dev);
void intel_iommu_kho_unpreserve(struct device *dev);
int intel_iommu_kho_freeze(struct device *dev);
void intel_iommu_kho_unfreeze(struct device *dev);
bool intel_iommu_kho_shutdown(struct intel_iommu *iommu);
void intel_iommu_kho_init(void);
bool intel_iommu_kho_incoming(struct intel_iommu *iommu);
int intel_iommu_kho_takeover(struct intel_iommu *iommu);
void intel_iommu_kho_release(struct intel_iommu *iommu,
			     struct context_entry *context);
#else
#define intel_iommu_kho_preserve	NULL
#define intel_iommu_kho_unpreserve	NULL
#define intel_iommu_kho_freeze		NULL
#define intel_iommu_kho_unfreeze	NULL
static inline bool intel_iommu_kho_shutdown(struct intel_iommu *iommu)
{
	return false;
}

static inline void intel_iommu_kho_init(void) { }
static inline bool intel_iommu_kho_incoming(struct intel_iommu *iommu)
{
	return false;
}

static inline int intel_iommu_kho_takeover(struct intel_iommu *iommu)
{
	return -EINVAL;
}

static inline void intel_iommu_kho_release(struct intel_iommu *iommu,
					   struct context_entry *context) { }
#endif

#endif /* _INTEL_IOMMU_LIVEUPDATE_H */
