// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the checks of hugetlb's handed-over state
 * (mm/hugetlb_kho_ser.c): the pool table and a preserved file's struct,
 * folio array and reservation map.  Each refusal is tried on input that is
 * otherwise valid, and must give its own reason; valid input, at the
 * limits of the format, must pass.
 */

#include <kunit/test.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "hugetlb_kho_ser.h"

#define HT_SHIFT_2M	21
#define HT_SHIFT_1G	30
#define HT_ORDER_2M	(HT_SHIFT_2M - PAGE_SHIFT)
#define HT_ORDER_1G	(HT_SHIFT_1G - PAGE_SHIFT)
#define HT_PFN_MAX	HUGETLB_KHO_POOL_PFN
#define HT_MANY		4096

#define HT_ACCEPTED	"(accepted)"

/* A check's verdict as a string, so that a failed expectation shows it. */
static const char *ht_reason(const char *why)
{
	return why ?: HT_ACCEPTED;
}

/* The number of pages of a preserved vmalloc area of @nr entries. */
static u32 ht_area_pages(u64 nr, size_t entry)
{
	return DIV_ROUND_UP(nr * entry, PAGE_SIZE);
}

/*
 * A consistent struct of a file of @pages huge pages of 2^@shift bytes, with
 * @nr_folios of them present and @nr_regions reserved regions.
 */
static void ht_ser(struct hugetlb_luo_ser *ser, unsigned int shift,
		   u64 pages, u64 nr_folios, u64 nr_regions)
{
	memset(ser, 0, sizeof(*ser));
	ser->shift = shift;
	ser->size = pages << shift;
	ser->pos = 4096;
	ser->flags = HUGETLB_LUO_FILE_READ | HUGETLB_LUO_FILE_WRITE;
	ser->mode = 0600;
	ser->seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW;
	ser->nr_folios = nr_folios;
	if (nr_folios) {
		ser->folios.first = 0x100000;
		ser->folios.total_pages =
			ht_area_pages(nr_folios, sizeof(struct hugetlb_luo_folio_ser));
		ser->folios.flags = 0x1;
	}
	ser->nr_regions = nr_regions;
	if (nr_regions) {
		ser->regions.first = 0x200000;
		ser->regions.total_pages =
			ht_area_pages(nr_regions, sizeof(struct hugetlb_luo_region));
		ser->regions.flags = 0x1;
	}
}

static void hugetlb_kho_pool_entry_test(struct kunit *test)
{
	u64 e = hugetlb_kho_pool_entry(HT_PFN_MAX, HUGETLB_KHO_MAX_ORDER);

	KUNIT_EXPECT_EQ(test, hugetlb_kho_pool_pfn(e), HT_PFN_MAX);
	KUNIT_EXPECT_EQ(test, hugetlb_kho_pool_order(e), HUGETLB_KHO_MAX_ORDER);
	e = hugetlb_kho_pool_entry(0x40000, HT_ORDER_1G);
	KUNIT_EXPECT_EQ(test, hugetlb_kho_pool_pfn(e), 0x40000);
	KUNIT_EXPECT_EQ(test, hugetlb_kho_pool_order(e), HT_ORDER_1G);
	/* the two fields and nothing else */
	KUNIT_EXPECT_EQ(test, e, 0x40000ULL | (u64)HT_ORDER_1G << 52);
}

/* 2 MiB and 1 GiB pages, adjacent or not, up to the end of the pfn space. */
static void hugetlb_kho_pool_valid_test(struct kunit *test)
{
	u64 t[] = {
		hugetlb_kho_pool_entry(0x200, HT_ORDER_2M),
		/* adjacent to the one before */
		hugetlb_kho_pool_entry(0x400, HT_ORDER_2M),
		hugetlb_kho_pool_entry(0x40000, HT_ORDER_1G),
		hugetlb_kho_pool_entry(0x80000, HT_ORDER_1G),
		hugetlb_kho_pool_entry(0x80000 + 0x40000, HT_ORDER_2M),
		hugetlb_kho_pool_entry(0x100000, 1),
		hugetlb_kho_pool_entry(1UL << HUGETLB_KHO_MAX_ORDER,
				       HUGETLB_KHO_MAX_ORDER),
		/* the last 1 GiB page the pfn field can name */
		hugetlb_kho_pool_entry(HT_PFN_MAX + 1 - (1UL << HT_ORDER_1G),
				       HT_ORDER_1G),
	};

	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_kho_check_pool(t, ARRAY_SIZE(t))),
			   HT_ACCEPTED);
	/* an empty table */
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_kho_check_pool(NULL, 0)),
			   HT_ACCEPTED);
}

/* Many 1 GiB pages back to back. */
static void hugetlb_kho_pool_many_test(struct kunit *test)
{
	u64 *t = kunit_kmalloc_array(test, HT_MANY, sizeof(*t), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	for (i = 0; i < HT_MANY; i++)
		t[i] = hugetlb_kho_pool_entry((unsigned long)(i + 1) << HT_ORDER_1G,
					      HT_ORDER_1G);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_kho_check_pool(t, HT_MANY)),
			   HT_ACCEPTED);
	/* the last one repeats the one before */
	t[HT_MANY - 1] = t[HT_MANY - 2];
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_kho_check_pool(t, HT_MANY)),
			   "pool table not ascending or overlapping");
}

static void hugetlb_kho_pool_bits_test(struct kunit *test)
{
	u64 t[2] = { hugetlb_kho_pool_entry(0x200, HT_ORDER_2M) };
	unsigned int bit;

	for (bit = 58; bit < 64; bit++) {
		t[1] = hugetlb_kho_pool_entry(0x40000, HT_ORDER_1G) | BIT_ULL(bit);
		KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_kho_check_pool(t, 2)),
				   "unknown bits in a pool entry");
	}
}

static void hugetlb_kho_pool_order_test(struct kunit *test)
{
	u64 t[2] = { hugetlb_kho_pool_entry(0x200, HT_ORDER_2M) };

	t[1] = hugetlb_kho_pool_entry(0x40000, 0);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_kho_check_pool(t, 2)),
			   "bad huge page order in the pool table");
	t[1] = hugetlb_kho_pool_entry(1UL << 40, HUGETLB_KHO_MAX_ORDER + 1);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_kho_check_pool(t, 2)),
			   "bad huge page order in the pool table");
	/* pfn 0 is aligned to any order */
	t[0] = hugetlb_kho_pool_entry(0, 63);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_kho_check_pool(t, 1)),
			   "bad huge page order in the pool table");
}

static void hugetlb_kho_pool_unaligned_test(struct kunit *test)
{
	u64 t[2] = { hugetlb_kho_pool_entry(0x200, HT_ORDER_2M) };

	/* 2 MiB aligned, not 1 GiB aligned */
	t[1] = hugetlb_kho_pool_entry(0x40200, HT_ORDER_1G);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_kho_check_pool(t, 2)),
			   "huge page not aligned to its order");
	t[1] = hugetlb_kho_pool_entry(0x401, HT_ORDER_2M);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_kho_check_pool(t, 2)),
			   "huge page not aligned to its order");
}

static void hugetlb_kho_pool_order_overlap_test(struct kunit *test)
{
	u64 t[2];

	/* descending */
	t[0] = hugetlb_kho_pool_entry(0x80000, HT_ORDER_1G);
	t[1] = hugetlb_kho_pool_entry(0x40000, HT_ORDER_1G);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_kho_check_pool(t, 2)),
			   "pool table not ascending or overlapping");
	/* repeated */
	t[1] = t[0];
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_kho_check_pool(t, 2)),
			   "pool table not ascending or overlapping");
	/* a 2 MiB page inside the 1 GiB page before it */
	t[1] = hugetlb_kho_pool_entry(0x80000 + 0x3fe00, HT_ORDER_2M);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_kho_check_pool(t, 2)),
			   "pool table not ascending or overlapping");
}

/* Empty files, of either size, and full ones at the limits of the format. */
static void hugetlb_luo_ser_valid_test(struct kunit *test)
{
	u64 max_2m = MAX_LFS_FILESIZE >> HT_SHIFT_2M;
	struct hugetlb_luo_ser ser;

	ht_ser(&ser, HT_SHIFT_2M, 0, 0, 0);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   HT_ACCEPTED);
	ht_ser(&ser, HT_SHIFT_1G, 0, 0, 0);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   HT_ACCEPTED);

	/* 4 GiB, a hole at 1, one region */
	ht_ser(&ser, HT_SHIFT_1G, 4, 3, 1);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   HT_ACCEPTED);
	/* every page present, no reserved region */
	ht_ser(&ser, HT_SHIFT_1G, 4, 4, 0);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   HT_ACCEPTED);
	/* a folio array of two pages */
	ht_ser(&ser, HT_SHIFT_2M, 512, PAGE_SIZE / 16 + 1, 0);
	KUNIT_EXPECT_EQ(test, ser.folios.total_pages, 2);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   HT_ACCEPTED);

	/* every flag, seal and mode bit, the largest size and position */
	ht_ser(&ser, HT_SHIFT_2M, max_2m, 0, 1);
	ser.flags = HUGETLB_LUO_FILE_FLAGS;
	ser.seals = HUGETLB_LUO_SEALS;
	ser.mode = HUGETLB_LUO_MODE_MASK;
	ser.pos = MAX_LFS_FILESIZE;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   HT_ACCEPTED);

	/* read-only, write-only */
	ht_ser(&ser, HT_SHIFT_2M, 1, 1, 1);
	ser.flags = HUGETLB_LUO_FILE_READ | HUGETLB_LUO_FILE_NONBLOCK;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   HT_ACCEPTED);
	ser.flags = HUGETLB_LUO_FILE_WRITE;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   HT_ACCEPTED);

	/* the smallest and the largest huge page size */
	ht_ser(&ser, PAGE_SHIFT + 1, 8, 8, 1);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   HT_ACCEPTED);
	ht_ser(&ser, PAGE_SHIFT + HUGETLB_KHO_MAX_ORDER, 2, 1, 1);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   HT_ACCEPTED);
}

static void hugetlb_luo_ser_reserved_test(struct kunit *test)
{
	struct hugetlb_luo_ser ser;
	int i;

	for (i = 0; i < sizeof(ser.reserved); i++) {
		ht_ser(&ser, HT_SHIFT_1G, 4, 3, 1);
		ser.reserved[i] = 1;
		KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
				   "reserved field set");
	}
}

static void hugetlb_luo_ser_flags_test(struct kunit *test)
{
	struct hugetlb_luo_ser ser;

	ht_ser(&ser, HT_SHIFT_1G, 4, 3, 1);
	ser.flags |= HUGETLB_LUO_FILE_NONBLOCK << 1;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "unknown file flags");
	ser.flags = HUGETLB_LUO_FILE_READ | BIT(15);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "unknown file flags");

	ser.flags = 0;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "open neither for reading nor for writing");
	ser.flags = HUGETLB_LUO_FILE_NONBLOCK;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "open neither for reading nor for writing");
}

static void hugetlb_luo_ser_seals_mode_test(struct kunit *test)
{
	struct hugetlb_luo_ser ser;

	ht_ser(&ser, HT_SHIFT_1G, 4, 3, 1);
	ser.seals = HUGETLB_LUO_SEALS | (F_SEAL_EXEC << 1);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "unknown seals");
	ser.seals = F_SEAL_SEAL | BIT(31);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "unknown seals");

	ht_ser(&ser, HT_SHIFT_1G, 4, 3, 1);
	ser.mode = 01777;		/* sticky */
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "unknown mode bits");
	ser.mode = 04600;		/* setuid */
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "unknown mode bits");
	ser.mode = S_IFREG | 0600;	/* a file type */
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "unknown mode bits");
}

/* Huge page sizes outside (PAGE_SIZE, PAGE_SIZE << HUGETLB_KHO_MAX_ORDER]. */
static void hugetlb_luo_ser_shift_test(struct kunit *test)
{
	static const u8 bad[] = {
		0, PAGE_SHIFT, PAGE_SHIFT + HUGETLB_KHO_MAX_ORDER + 1, 63, 255,
	};
	struct hugetlb_luo_ser ser;
	int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		/* an empty file: no size that a shift could misjudge */
		ht_ser(&ser, HT_SHIFT_2M, 0, 0, 0);
		ser.shift = bad[i];
		KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
				   "bad huge page size");
	}
}

static void hugetlb_luo_ser_size_test(struct kunit *test)
{
	struct hugetlb_luo_ser ser;

	/* 1.5 huge pages */
	ht_ser(&ser, HT_SHIFT_2M, 1, 1, 1);
	ser.size += SZ_1M;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "size too large or not a multiple of the huge page size");
	/* a multiple of 2 MiB but not of 1 GiB */
	ht_ser(&ser, HT_SHIFT_1G, 1, 1, 1);
	ser.size += SZ_2M;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "size too large or not a multiple of the huge page size");
	/* a multiple of 1 GiB past MAX_LFS_FILESIZE */
	ht_ser(&ser, HT_SHIFT_1G, 0, 0, 0);
	ser.size = (u64)MAX_LFS_FILESIZE + 1;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "size too large or not a multiple of the huge page size");
	ser.size = ~0ULL << HT_SHIFT_1G;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "size too large or not a multiple of the huge page size");
}

static void hugetlb_luo_ser_pos_test(struct kunit *test)
{
	struct hugetlb_luo_ser ser;

	ht_ser(&ser, HT_SHIFT_1G, 4, 3, 1);
	ser.pos = (u64)MAX_LFS_FILESIZE + 1;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "position too large");
	ser.pos = ~0ULL;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "position too large");
}

/* More folios than pages, with an array of the size the count needs. */
static void hugetlb_luo_ser_folio_count_test(struct kunit *test)
{
	struct hugetlb_luo_ser ser;

	ht_ser(&ser, HT_SHIFT_1G, 4, 5, 1);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "more huge pages than the file holds");
	ht_ser(&ser, HT_SHIFT_1G, 0, 1, 0);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "more huge pages than the file holds");
	ht_ser(&ser, HT_SHIFT_2M, 1, ~0ULL, 0);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "more huge pages than the file holds");
}

static void hugetlb_luo_ser_folio_array_test(struct kunit *test)
{
	struct hugetlb_luo_ser ser;

	/* no folios: every field of the area must be 0 */
	ht_ser(&ser, HT_SHIFT_1G, 4, 0, 1);
	ser.folios.first = 0x100000;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "folio array without folios");
	ht_ser(&ser, HT_SHIFT_1G, 4, 0, 1);
	ser.folios.total_pages = 1;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "folio array without folios");
	ht_ser(&ser, HT_SHIFT_1G, 4, 0, 1);
	ser.folios.order = 1;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "folio array without folios");

	/* an area of the wrong size */
	ht_ser(&ser, HT_SHIFT_1G, 4, 3, 1);
	ser.folios.total_pages = 2;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "folio array size does not match the folio count");
	ht_ser(&ser, HT_SHIFT_2M, 512, PAGE_SIZE / 16 + 1, 0);
	ser.folios.total_pages = 1;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "folio array size does not match the folio count");
	ser.folios.total_pages = 0;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "folio array size does not match the folio count");
}

static void hugetlb_luo_ser_region_array_test(struct kunit *test)
{
	u64 max_1g = MAX_LFS_FILESIZE >> HT_SHIFT_1G;
	struct hugetlb_luo_ser ser;

	/* more regions than disjoint non-empty ones fit in a file */
	ht_ser(&ser, HT_SHIFT_1G, 4, 3, max_1g + 1);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "too many reserved regions");
	ht_ser(&ser, HT_SHIFT_1G, 4, 3, max_1g);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   HT_ACCEPTED);

	ht_ser(&ser, HT_SHIFT_1G, 4, 3, 0);
	ser.regions.first = 0x200000;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "region array without regions");
	ht_ser(&ser, HT_SHIFT_1G, 4, 3, 0);
	ser.regions.flags = 0x1;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "region array without regions");

	ht_ser(&ser, HT_SHIFT_1G, 4, 3, 1);
	ser.regions.total_pages = 0;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "region array size does not match the region count");
	ht_ser(&ser, HT_SHIFT_2M, 1024, 3, PAGE_SIZE / 16 + 1);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   HT_ACCEPTED);
	ser.regions.total_pages = 3;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   "region array size does not match the region count");
}

/* Holes, the first and last index, pfns aligned to the file's page size. */
static void hugetlb_luo_folios_valid_test(struct kunit *test)
{
	struct hugetlb_luo_folio_ser f[] = {
		{ .index = 0, .pfn = 0x80000 },
		/* a hole at 1; pfns need not ascend */
		{ .index = 2, .pfn = 0x40000 },
		{ .index = 3, .pfn = HT_PFN_MAX + 1 - (1UL << HT_ORDER_1G) },
	};
	struct hugetlb_luo_ser ser;

	ht_ser(&ser, HT_SHIFT_1G, 4, ARRAY_SIZE(f), 1);
	KUNIT_ASSERT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   HT_ACCEPTED);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_folios(&ser, f)),
			   HT_ACCEPTED);

	/* 2 MiB pages: 2 MiB alignment is enough */
	f[0].pfn = 0x200;
	f[1].pfn = 0x40200;
	f[2].pfn = HT_PFN_MAX + 1 - (1UL << HT_ORDER_2M);
	ht_ser(&ser, HT_SHIFT_2M, 4, ARRAY_SIZE(f), 1);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_folios(&ser, f)),
			   HT_ACCEPTED);

	/* an empty file */
	ht_ser(&ser, HT_SHIFT_1G, 0, 0, 0);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_folios(&ser, NULL)),
			   HT_ACCEPTED);
}

static void hugetlb_luo_folios_outside_test(struct kunit *test)
{
	struct hugetlb_luo_folio_ser f[] = {
		{ .index = 0, .pfn = 0x40000 },
		{ .index = 4, .pfn = 0x80000 },
	};
	struct hugetlb_luo_ser ser;

	ht_ser(&ser, HT_SHIFT_1G, 4, ARRAY_SIZE(f), 1);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_folios(&ser, f)),
			   "huge page outside the file");
	f[1].index = ~0ULL;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_folios(&ser, f)),
			   "huge page outside the file");
	/* one page more: inside it */
	ht_ser(&ser, HT_SHIFT_1G, 5, ARRAY_SIZE(f), 1);
	f[1].index = 4;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_folios(&ser, f)),
			   HT_ACCEPTED);
}

static void hugetlb_luo_folios_order_test(struct kunit *test)
{
	struct hugetlb_luo_folio_ser f[] = {
		{ .index = 1, .pfn = 0x40000 },
		{ .index = 2, .pfn = 0x80000 },
		{ .index = 2, .pfn = 0xc0000 },
	};
	struct hugetlb_luo_ser ser;

	ht_ser(&ser, HT_SHIFT_1G, 4, ARRAY_SIZE(f), 1);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_folios(&ser, f)),
			   "huge pages out of order or repeated");
	f[2].index = 0;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_folios(&ser, f)),
			   "huge pages out of order or repeated");
	f[2].index = 3;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_folios(&ser, f)),
			   HT_ACCEPTED);
}

static void hugetlb_luo_folios_pfn_test(struct kunit *test)
{
	struct hugetlb_luo_folio_ser f[] = {
		{ .index = 0, .pfn = 0x40000 },
		/* 2 MiB aligned in a file of 1 GiB pages */
		{ .index = 1, .pfn = 0x40200 },
	};
	struct hugetlb_luo_ser ser;

	ht_ser(&ser, HT_SHIFT_1G, 4, ARRAY_SIZE(f), 1);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_folios(&ser, f)),
			   "bad pfn of a huge page");
	/* beyond the pfn field of the pool table */
	f[1].pfn = HT_PFN_MAX + 1;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_folios(&ser, f)),
			   "bad pfn of a huge page");
	f[1].pfn = BIT_ULL(63) | 0x80000;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_folios(&ser, f)),
			   "bad pfn of a huge page");
	/* not even 2 MiB aligned in a file of 2 MiB pages */
	ht_ser(&ser, HT_SHIFT_2M, 4, ARRAY_SIZE(f), 1);
	f[1].pfn = 0x40201;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_folios(&ser, f)),
			   "bad pfn of a huge page");
}

/* Adjacent regions, gaps, regions past the file's size up to the limit. */
static void hugetlb_luo_regions_valid_test(struct kunit *test)
{
	u64 max = MAX_LFS_FILESIZE >> HT_SHIFT_1G;
	struct hugetlb_luo_region r[] = {
		{ .from = 0, .to = 2 },
		{ .from = 2, .to = 3 },		/* adjacent */
		{ .from = 4, .to = 8 },		/* past a 4 GiB file */
		{ .from = max - 1, .to = max },	/* at the limit */
	};
	struct hugetlb_luo_ser ser;

	ht_ser(&ser, HT_SHIFT_1G, 4, 3, ARRAY_SIZE(r));
	KUNIT_ASSERT_STREQ(test, ht_reason(hugetlb_luo_check_ser(&ser)),
			   HT_ACCEPTED);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_regions(&ser, r)),
			   HT_ACCEPTED);

	ht_ser(&ser, HT_SHIFT_1G, 4, 3, 0);
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_regions(&ser, NULL)),
			   HT_ACCEPTED);
}

static void hugetlb_luo_regions_empty_large_test(struct kunit *test)
{
	u64 max = MAX_LFS_FILESIZE >> HT_SHIFT_1G;
	struct hugetlb_luo_region r[] = {
		{ .from = 0, .to = 2 },
		{ .from = 3, .to = 3 },		/* empty */
	};
	struct hugetlb_luo_ser ser;

	ht_ser(&ser, HT_SHIFT_1G, 4, 3, ARRAY_SIZE(r));
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_regions(&ser, r)),
			   "empty or too large reserved region");
	r[1].from = 4;				/* reversed */
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_regions(&ser, r)),
			   "empty or too large reserved region");
	r[1].from = max - 1;			/* past the limit */
	r[1].to = max + 1;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_regions(&ser, r)),
			   "empty or too large reserved region");
	r[1].to = ~0ULL;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_regions(&ser, r)),
			   "empty or too large reserved region");
	/* the limit depends on the page size */
	r[1].to = max + 1;
	ht_ser(&ser, HT_SHIFT_2M, 4, 3, ARRAY_SIZE(r));
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_regions(&ser, r)),
			   HT_ACCEPTED);
}

static void hugetlb_luo_regions_overlap_test(struct kunit *test)
{
	struct hugetlb_luo_region r[] = {
		{ .from = 0, .to = 2 },
		{ .from = 4, .to = 6 },
		{ .from = 5, .to = 8 },		/* overlaps the one before */
	};
	struct hugetlb_luo_ser ser;

	ht_ser(&ser, HT_SHIFT_2M, 8, 3, ARRAY_SIZE(r));
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_regions(&ser, r)),
			   "reserved regions out of order or overlapping");
	r[2].from = 4;				/* repeated start */
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_regions(&ser, r)),
			   "reserved regions out of order or overlapping");
	r[2].from = 2;				/* out of order */
	r[2].to = 3;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_regions(&ser, r)),
			   "reserved regions out of order or overlapping");
	r[2].from = 6;				/* adjacent */
	r[2].to = 8;
	KUNIT_EXPECT_STREQ(test, ht_reason(hugetlb_luo_check_regions(&ser, r)),
			   HT_ACCEPTED);
}

static struct kunit_case hugetlb_kho_state_test_cases[] = {
	KUNIT_CASE(hugetlb_kho_pool_entry_test),
	KUNIT_CASE(hugetlb_kho_pool_valid_test),
	KUNIT_CASE(hugetlb_kho_pool_many_test),
	KUNIT_CASE(hugetlb_kho_pool_bits_test),
	KUNIT_CASE(hugetlb_kho_pool_order_test),
	KUNIT_CASE(hugetlb_kho_pool_unaligned_test),
	KUNIT_CASE(hugetlb_kho_pool_order_overlap_test),
	KUNIT_CASE(hugetlb_luo_ser_valid_test),
	KUNIT_CASE(hugetlb_luo_ser_reserved_test),
	KUNIT_CASE(hugetlb_luo_ser_flags_test),
	KUNIT_CASE(hugetlb_luo_ser_seals_mode_test),
	KUNIT_CASE(hugetlb_luo_ser_shift_test),
	KUNIT_CASE(hugetlb_luo_ser_size_test),
	KUNIT_CASE(hugetlb_luo_ser_pos_test),
	KUNIT_CASE(hugetlb_luo_ser_folio_count_test),
	KUNIT_CASE(hugetlb_luo_ser_folio_array_test),
	KUNIT_CASE(hugetlb_luo_ser_region_array_test),
	KUNIT_CASE(hugetlb_luo_folios_valid_test),
	KUNIT_CASE(hugetlb_luo_folios_outside_test),
	KUNIT_CASE(hugetlb_luo_folios_order_test),
	KUNIT_CASE(hugetlb_luo_folios_pfn_test),
	KUNIT_CASE(hugetlb_luo_regions_valid_test),
	KUNIT_CASE(hugetlb_luo_regions_empty_large_test),
	KUNIT_CASE(hugetlb_luo_regions_overlap_test),
	{}
};

static struct kunit_suite hugetlb_kho_state_test_suite = {
	.name = "hugetlb_kho_state",
	.test_cases = hugetlb_kho_state_test_cases,
};

kunit_test_suite(hugetlb_kho_state_test_suite);

MODULE_DESCRIPTION("KUnit tests of the checks of hugetlb's handed-over state");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
