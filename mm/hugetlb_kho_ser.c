// SPDX-License-Identifier: GPL-2.0-only
/*
 * hugetlb across kexec: the checks of the handed-over state.
 *
 * The pool table and each preserved file's state come from the previous
 * kernel and are untrusted (format in include/linux/kho/abi/hugetlb.h).
 * These checks need nothing but the state itself, so that KUnit runs them
 * on any architecture; what needs the running kernel (is a pfn a preserved
 * unit of that order, does the hstate exist) is checked by the handler in
 * mm/hugetlb_kho.c.  Each returns NULL, or the reason for the refusal in
 * words for the one log line.
 */

#include <kunit/visibility.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/string.h>

#include "hugetlb_kho_ser.h"

static_assert(sizeof(struct hugetlb_luo_folio_ser) == 16);
static_assert(sizeof(struct hugetlb_luo_region) == 16);
static_assert(sizeof(struct hugetlb_luo_ser) == 80);

/**
 * hugetlb_kho_check_pool() - check the structure of the pool table
 * @e: the table.
 * @nr: its number of entries.
 *
 * Every entry must have an order between 1 and HUGETLB_KHO_MAX_ORDER and
 * no other bits, a pfn aligned to it, and the pages must be in ascending
 * order without overlap.
 *
 * Context: Any context.
 * Return: NULL if the table is well formed, else the reason it is not.
 */
const char *hugetlb_kho_check_pool(const u64 *e, u64 nr)
{
	unsigned long next = 0;
	u64 i;

	for (i = 0; i < nr; i++) {
		unsigned long pfn = hugetlb_kho_pool_pfn(e[i]);
		unsigned int order = hugetlb_kho_pool_order(e[i]);

		if (e[i] & ~(HUGETLB_KHO_POOL_PFN | HUGETLB_KHO_POOL_ORDER))
			return "unknown bits in a pool entry";
		if (!order || order > HUGETLB_KHO_MAX_ORDER)
			return "bad huge page order in the pool table";
		if (!IS_ALIGNED(pfn, 1UL << order))
			return "huge page not aligned to its order";
		if (i && pfn < next)
			return "pool table not ascending or overlapping";
		next = pfn + (1UL << order);
		if (next < pfn || next - 1 > HUGETLB_KHO_POOL_PFN)
			return "huge page beyond the physical address space";
	}
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(hugetlb_kho_check_pool);

/* The file's number of huge pages; its size is a multiple of one. */
static u64 hugetlb_luo_pages(const struct hugetlb_luo_ser *ser)
{
	return ser->size >> ser->shift;
}

/**
 * hugetlb_luo_check_ser() - check a preserved file's struct
 * @ser: the struct, copied out of its preserved page.
 *
 * Context: Any context.
 * Return: NULL if the struct is consistent, else the reason it is not.
 */
const char *hugetlb_luo_check_ser(const struct hugetlb_luo_ser *ser)
{
	static const struct kho_vmalloc none;

	if (memchr_inv(ser->reserved, 0, sizeof(ser->reserved)))
		return "reserved field set";
	if (ser->flags & ~HUGETLB_LUO_FILE_FLAGS)
		return "unknown file flags";
	if (!(ser->flags & (HUGETLB_LUO_FILE_READ | HUGETLB_LUO_FILE_WRITE)))
		return "open neither for reading nor for writing";
	if (ser->seals & ~HUGETLB_LUO_SEALS)
		return "unknown seals";
	if (ser->mode & ~HUGETLB_LUO_MODE_MASK)
		return "unknown mode bits";
	if (ser->shift <= PAGE_SHIFT || ser->shift > PAGE_SHIFT + HUGETLB_KHO_MAX_ORDER)
		return "bad huge page size";
	if (ser->size > MAX_LFS_FILESIZE || ser->size & ((1ULL << ser->shift) - 1))
		return "size too large or not a multiple of the huge page size";
	if (ser->pos > MAX_LFS_FILESIZE)
		return "position too large";
	if (ser->nr_folios > hugetlb_luo_pages(ser))
		return "more huge pages than the file holds";
	if (!ser->nr_folios && memcmp(&ser->folios, &none, sizeof(none)))
		return "folio array without folios";
	if (ser->nr_folios &&
	    ser->folios.total_pages != DIV_ROUND_UP(ser->nr_folios *
						    sizeof(struct hugetlb_luo_folio_ser),
						    PAGE_SIZE))
		return "folio array size does not match the folio count";
	/* regions are disjoint and at most MAX_LFS_FILESIZE in huge pages */
	if (ser->nr_regions > (MAX_LFS_FILESIZE >> ser->shift))
		return "too many reserved regions";
	if (!ser->nr_regions && memcmp(&ser->regions, &none, sizeof(none)))
		return "region array without regions";
	if (ser->nr_regions &&
	    ser->regions.total_pages != DIV_ROUND_UP(ser->nr_regions *
						     sizeof(struct hugetlb_luo_region),
						     PAGE_SIZE))
		return "region array size does not match the region count";
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(hugetlb_luo_check_ser);

/**
 * hugetlb_luo_check_folios() - check a preserved file's folio array
 * @ser: the file's struct, checked by hugetlb_luo_check_ser().
 * @f: its @ser->nr_folios entries.
 *
 * Indices must ascend strictly and lie inside the file; pfns must be
 * aligned to the file's huge page size.  That each pfn is a preserved huge
 * page of the pool, and is used once, the handler checks as it takes them.
 *
 * Context: Any context.
 * Return: NULL if the array is consistent, else the reason it is not.
 */
const char *hugetlb_luo_check_folios(const struct hugetlb_luo_ser *ser,
				     const struct hugetlb_luo_folio_ser *f)
{
	unsigned int order = ser->shift - PAGE_SHIFT;
	u64 pages = hugetlb_luo_pages(ser), i;

	for (i = 0; i < ser->nr_folios; i++) {
		if (f[i].index >= pages)
			return "huge page outside the file";
		if (i && f[i].index <= f[i - 1].index)
			return "huge pages out of order or repeated";
		if (f[i].pfn & ~HUGETLB_KHO_POOL_PFN ||
		    !IS_ALIGNED(f[i].pfn, 1UL << order))
			return "bad pfn of a huge page";
	}
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(hugetlb_luo_check_folios);

/**
 * hugetlb_luo_check_regions() - check a preserved file's reservation map
 * @ser: the file's struct, checked by hugetlb_luo_check_ser().
 * @r: its @ser->nr_regions entries.
 *
 * Regions must be non-empty, ascending and disjoint, and end at most at
 * MAX_LFS_FILESIZE.
 *
 * Context: Any context.
 * Return: NULL if the map is consistent, else the reason it is not.
 */
const char *hugetlb_luo_check_regions(const struct hugetlb_luo_ser *ser,
				      const struct hugetlb_luo_region *r)
{
	u64 max = MAX_LFS_FILESIZE >> ser->shift, i;

	for (i = 0; i < ser->nr_regions; i++) {
		if (r[i].from >= r[i].to || r[i].to > max)
			return "empty or too large reserved region";
		if (i && r[i].from < r[i - 1].to)
			return "reserved regions out of order or overlapping";
	}
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(hugetlb_luo_check_regions);
