/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hugetlb across kexec: checks of the handed-over state that need nothing
 * but the state itself (mm/hugetlb_kho_ser.c), shared by the handler and
 * its KUnit suite.
 */
#ifndef _MM_HUGETLB_KHO_SER_H
#define _MM_HUGETLB_KHO_SER_H

#include <linux/kho/abi/hugetlb.h>
#include <linux/types.h>

/* The largest huge page order the checks accept (a 1 GiB page is 18). */
#define HUGETLB_KHO_MAX_ORDER	30

static inline unsigned long hugetlb_kho_pool_pfn(u64 e)
{
	return e & HUGETLB_KHO_POOL_PFN;
}

static inline unsigned int hugetlb_kho_pool_order(u64 e)
{
	return (e & HUGETLB_KHO_POOL_ORDER) >> HUGETLB_KHO_POOL_ORDER_SHIFT;
}

static inline u64 hugetlb_kho_pool_entry(unsigned long pfn, unsigned int order)
{
	return pfn | ((u64)order << HUGETLB_KHO_POOL_ORDER_SHIFT);
}

const char *hugetlb_kho_check_pool(const u64 *e, u64 nr);
const char *hugetlb_luo_check_ser(const struct hugetlb_luo_ser *ser);
const char *hugetlb_luo_check_folios(const struct hugetlb_luo_ser *ser,
				     const struct hugetlb_luo_folio_ser *f);
const char *hugetlb_luo_check_regions(const struct hugetlb_luo_ser *ser,
				      const struct hugetlb_luo_region *r);

#endif /* _MM_HUGETLB_KHO_SER_H */
