// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test of Kexec HandOver (KHO): preserve memory, kexec, restore and verify.
 *
 * At late_initcall, in a kernel booted without a handover, the test
 * allocates folios as its parameters ask, fills every byte of them with a
 * pattern derived from the seed and the address, preserves them with KHO
 * and records them, with their checksums, in a list of preserved pages that
 * a sub-FDT named "test-kho" points to.
 *
 * In the next kernel, it restores every unit (or claim_pct percent of
 * them), checks its order and verifies its content, and prints one result
 * line and the TSC readings taken after the restores and after the verify.
 * The units it did not claim must read back as zero once KHO has released
 * them.  With represerve=1 it preserves the restored units again, so that
 * the kernel after the next one verifies them too.
 *
 * Parameters (test_kexec_handover.<name>= on the kernel command line):
 *
 * - preserve_mb=N: about N MiB of folios of random orders, seeded by seed=S.
 * - gigantic=1: also one 1 GiB folio, if a free 1 GiB range exists outside
 *   the scratch areas.
 * - order0_mb=A, pmd_mb=B: A MiB of order-0 folios, B MiB of PMD-order
 *   folios (rounded up to whole folios).
 * - fragment_mb=N: take N MiB as large blocks and preserve about half of
 *   their pages as runs of 1 to 64 order-0 pages with gaps between them
 *   (kho_preserve_pages()); only a stamp per page is checked.
 * - represerve=1: preserve the restored units again.
 * - claim_pct=P: restore only the units whose index modulo 100 is below P.
 */

#define pr_fmt(fmt) "test_kho: " fmt

#include <linux/bitops.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kthread.h>
#include <linux/libfdt.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/pgtable.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/string.h>
#include <linux/timex.h>
#include <linux/types.h>

#ifdef CONFIG_X86
#include <asm/tsc.h>
#endif

static unsigned int preserve_mb;
module_param(preserve_mb, uint, 0444);
MODULE_PARM_DESC(preserve_mb, "MiB of folios of random orders to preserve");

static unsigned int test_kho_seed = 1;
module_param_named(seed, test_kho_seed, uint, 0444);
MODULE_PARM_DESC(seed, "Seed of the random orders and of the pattern");

static bool gigantic;
module_param(gigantic, bool, 0444);
MODULE_PARM_DESC(gigantic, "Also preserve a 1 GiB folio");

static unsigned int order0_mb;
module_param(order0_mb, uint, 0444);
MODULE_PARM_DESC(order0_mb, "MiB of order-0 folios to preserve");

static unsigned int pmd_mb;
module_param(pmd_mb, uint, 0444);
MODULE_PARM_DESC(pmd_mb, "MiB of PMD-order folios to preserve");

static unsigned int fragment_mb;
module_param(fragment_mb, uint, 0444);
MODULE_PARM_DESC(fragment_mb, "MiB to preserve half of, as short runs of pages");

static bool represerve;
module_param(represerve, bool, 0444);
MODULE_PARM_DESC(represerve, "Preserve the restored units again");

static unsigned int claim_pct = 100;
module_param(claim_pct, uint, 0444);
MODULE_PARM_DESC(claim_pct, "Percentage of the handed-over units to restore");

static bool finish_race;
module_param(finish_race, bool, 0444);
MODULE_PARM_DESC(finish_race,
		 "Call kho_finish() while a restore is in flight, check the counters (kho_finish=manual)");

static bool vmalloc_handover;
module_param(vmalloc_handover, bool, 0444);
MODULE_PARM_DESC(vmalloc_handover,
		 "Hand a vmalloc area over; the next kernel restores it with a bad handle first");

/* The vmalloc area handed over (vmalloc_handover=1), either way. */
static struct kho_vmalloc test_kho_vmalloc_out, test_kho_vmalloc_in;

static bool vmalloc_check;
module_param(vmalloc_check, bool, 0444);
MODULE_PARM_DESC(vmalloc_check,
		 "Check that kho_unpreserve_vmalloc() is all or nothing");

#define TEST_KHO_NAME		"test-kho"
#define TEST_KHO_COMPATIBLE	"test-kho-v1"
#define TEST_KHO_CHUNK_MAGIC	0x4b48544b	/* "KTHK" in little endian */
#define TEST_KHO_GOLDEN		0x9e3779b97f4a7c15ULL
#define TEST_KHO_PAGE_WORDS	(PAGE_SIZE / sizeof(u64))
#define TEST_KHO_MAX_RUN	64

enum test_kho_kind {
	TEST_KHO_FOLIO = 1,	/* a folio, every byte patterned */
	TEST_KHO_PAGES = 2,	/* a run of order-0 units, one stamp per page */
};

/**
 * struct test_kho_unit - one preserved unit, as handed over
 * @phys: physical address of its first page.
 * @csum: checksum of its pattern, as written.
 * @seed: seed the pattern was derived from.
 * @nr_pages: number of pages in the unit.
 * @kind: an enum test_kho_kind.
 * @order: the folio's order; 0 for a run of pages.
 * @reserved: zero.
 */
struct test_kho_unit {
	u64 phys;
	u64 csum;
	u32 seed;
	u32 nr_pages;
	u8 kind;
	u8 order;
	u8 reserved[6];
};

/**
 * struct test_kho_chunk - a page of the handed-over list of units
 * @magic: TEST_KHO_CHUNK_MAGIC.
 * @nr: number of units in this chunk.
 * @next: physical address of the next chunk, or 0.
 * @units: the units.
 */
struct test_kho_chunk {
	u32 magic;
	u32 nr;
	u64 next;
	struct test_kho_unit units[];
};

#define TEST_KHO_CHUNK_UNITS \
	((PAGE_SIZE - sizeof(struct test_kho_chunk)) / sizeof(struct test_kho_unit))

/* The units to hand over to the next kernel. */
static struct test_kho_unit *test_kho_units;
static unsigned long test_kho_nr_units;
static unsigned long test_kho_max_units;
/* Generation of the list handed to us; 0 if none. */
static u32 test_kho_generation;

/* Allocations that touched a scratch area, freed once we are done. */
static LIST_HEAD(test_kho_rejects);
static unsigned long test_kho_nr_rejects;
static unsigned long test_kho_reject_pages;

/* Units left unclaimed, checked once KHO has released them. */
static struct test_kho_unit *test_kho_unclaimed;
static unsigned long test_kho_nr_unclaimed;

/* The handle of the vmalloc area the previous kernel handed over, if any. */
static void test_kho_vmalloc_in_handle(const void *fdt)
{
	const void *vm;
	int len;

	vm = fdt_getprop(fdt, 0, "vmalloc", &len);
	if (vm && len == sizeof(test_kho_vmalloc_in))
		memcpy(&test_kho_vmalloc_in, vm, len);
}

/**
 * struct test_kho_result - outcome of the restore
 * @errors: number of failed checks.
 * @reason: what the first failed check was.
 */
struct test_kho_result {
	unsigned long errors;
	char reason[128];
};

static __printf(2, 3)
void test_kho_error(struct test_kho_result *res, const char *fmt, ...)
{
	va_list args;

	if (!res->errors++) {
		va_start(args, fmt);
		vsnprintf(res->reason, sizeof(res->reason), fmt, args);
		va_end(args);
	}
}

static u32 test_kho_tsc_khz(void)
{
#ifdef CONFIG_X86
	return tsc_khz;
#else
	return 0;
#endif
}

static u64 test_kho_bytes(const struct test_kho_unit *unit)
{
	return (u64)unit->nr_pages << PAGE_SHIFT;
}

/* First word of a page's pattern; word i of the page is this + i * golden. */
static u64 test_kho_page_base(u32 seed, unsigned long pfn)
{
	u64 x = (u64)pfn * TEST_KHO_GOLDEN + seed;

	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static u64 test_kho_csum(u64 csum, u64 word)
{
	return rol64(csum, 7) ^ word;
}

/* Write the unit's pattern (its stamps for a run of pages), set its csum. */
static void test_kho_fill(struct test_kho_unit *unit)
{
	unsigned long pfn = PHYS_PFN(unit->phys);
	unsigned long i, w;
	u64 csum = 0;

	for (i = 0; i < unit->nr_pages; i++) {
		u64 v = test_kho_page_base(unit->seed, pfn + i);
		u64 last = v + (TEST_KHO_PAGE_WORDS - 1) * TEST_KHO_GOLDEN;
		u64 *p = kmap_local_page(pfn_to_page(pfn + i));

		if (unit->kind == TEST_KHO_FOLIO) {
			for (w = 0; w < TEST_KHO_PAGE_WORDS; w++, v += TEST_KHO_GOLDEN) {
				p[w] = v;
				csum = test_kho_csum(csum, v);
			}
		} else {
			p[0] = v;
			p[TEST_KHO_PAGE_WORDS - 1] = last;
			csum = test_kho_csum(csum, v);
			csum = test_kho_csum(csum, last);
		}
		kunmap_local(p);
		if (!(i & 1023))
			cond_resched();
	}
	unit->csum = csum;
}

/*
 * Check the unit's pattern and checksum.  On a mismatch, return false and
 * the address of the first wrong word in @bad.
 */
static bool test_kho_check(const struct test_kho_unit *unit, phys_addr_t *bad)
{
	unsigned long pfn = PHYS_PFN(unit->phys);
	unsigned long i, w;
	u64 csum = 0;

	*bad = 0;
	for (i = 0; i < unit->nr_pages; i++) {
		u64 v = test_kho_page_base(unit->seed, pfn + i);
		const u64 *p = kmap_local_page(pfn_to_page(pfn + i));
		u64 last = v + (TEST_KHO_PAGE_WORDS - 1) * TEST_KHO_GOLDEN;

		if (unit->kind == TEST_KHO_FOLIO) {
			for (w = 0; w < TEST_KHO_PAGE_WORDS; w++, v += TEST_KHO_GOLDEN) {
				if (unlikely(p[w] != v) && !*bad)
					*bad = PFN_PHYS(pfn + i) + w * sizeof(u64);
				csum = test_kho_csum(csum, p[w]);
			}
		} else {
			if (p[0] != v && !*bad)
				*bad = PFN_PHYS(pfn + i);
			if (p[TEST_KHO_PAGE_WORDS - 1] != last && !*bad)
				*bad = PFN_PHYS(pfn + i) + PAGE_SIZE - sizeof(u64);
			csum = test_kho_csum(csum, p[0]);
			csum = test_kho_csum(csum, p[TEST_KHO_PAGE_WORDS - 1]);
		}
		kunmap_local(p);
		if (!(i & 1023))
			cond_resched();
	}
	if (*bad)
		return false;
	if (csum != unit->csum) {
		*bad = unit->phys;
		return false;
	}
	return true;
}

/* Append a zeroed unit to the list; the caller commits it with ++nr_units. */
static struct test_kho_unit *test_kho_new_unit(void)
{
	struct test_kho_unit *units;
	unsigned long max;

	if (test_kho_nr_units == test_kho_max_units) {
		max = max(2 * test_kho_max_units, 1024UL);
		units = kvrealloc(test_kho_units, array_size(max, sizeof(*units)),
				  GFP_KERNEL);
		if (!units)
			return NULL;
		test_kho_units = units;
		test_kho_max_units = max;
	}
	units = &test_kho_units[test_kho_nr_units];
	memset(units, 0, sizeof(*units));
	return units;
}

/*
 * Allocate 2^@order pages outside the scratch areas, which KHO refuses to
 * preserve.  Scratch areas should only ever serve movable allocations, so
 * this is rare; allocations that touch one anyway are kept aside until
 * test_kho_free_rejects(), so that we are not handed them again.
 */
static struct page *test_kho_alloc(unsigned int order, bool compound)
{
	gfp_t gfp = GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN;
	struct page *page;

	if (compound)
		gfp |= __GFP_COMP;
	for (;;) {
		page = alloc_pages(gfp, order);
		if (!page)
			return NULL;
		if (!kho_scratch_overlap(page_to_phys(page), PAGE_SIZE << order))
			return page;
		set_page_private(page, order);
		list_add(&page->lru, &test_kho_rejects);
		test_kho_nr_rejects++;
		test_kho_reject_pages += 1UL << order;
		cond_resched();
	}
}

static void test_kho_free_rejects(void)
{
	struct page *page, *tmp;
	unsigned int order;

	if (test_kho_nr_rejects)
		pr_warn("%lu allocations (%lu KiB) came from scratch areas\n",
			test_kho_nr_rejects, test_kho_reject_pages << (PAGE_SHIFT - 10));
	list_for_each_entry_safe(page, tmp, &test_kho_rejects, lru) {
		order = page_private(page);
		list_del(&page->lru);
		set_page_private(page, 0);
		__free_pages(page, order);
	}
	test_kho_nr_rejects = 0;
	test_kho_reject_pages = 0;
}

/* Fill, preserve and record a folio.  On failure, free it. */
static int test_kho_preserve_folio(struct folio *folio, const char *what)
{
	struct test_kho_unit *unit = test_kho_new_unit();
	int err;

	if (!unit) {
		pr_err("FAIL: %s: out of memory for the list of units\n", what);
		folio_put(folio);
		return -ENOMEM;
	}
	unit->phys = PFN_PHYS(folio_pfn(folio));
	unit->seed = test_kho_seed;
	unit->nr_pages = folio_nr_pages(folio);
	unit->kind = TEST_KHO_FOLIO;
	unit->order = folio_order(folio);
	test_kho_fill(unit);

	err = kho_preserve_folio(folio);
	if (err) {
		pr_err("FAIL: %s: kho_preserve_folio(order %u at %#llx): %d\n",
		       what, unit->order, unit->phys, err);
		folio_put(folio);
		return err;
	}
	test_kho_nr_units++;
	return 0;
}

/* Mostly small orders, some of every order, a quarter of the largest two. */
static unsigned int test_kho_pick_order(struct rnd_state *rnd)
{
	u32 r = prandom_u32_state(rnd);
	unsigned int order;

	switch (r & 3) {
	case 0:
	case 1:
		order = (r >> 8) % 4;
		break;
	case 2:
		order = (r >> 8) % (MAX_PAGE_ORDER + 1);
		break;
	default:
		order = MAX_PAGE_ORDER - (r >> 8) % 2;
		break;
	}
	return min_t(unsigned int, order, MAX_PAGE_ORDER);
}

static int test_kho_preserve_random(struct rnd_state *rnd)
{
	unsigned long left = (unsigned long)preserve_mb << (20 - PAGE_SHIFT);
	struct page *page;
	unsigned int order;
	int err;

	while (left) {
		order = min_t(unsigned int, test_kho_pick_order(rnd), ilog2(left));
		for (;;) {
			page = test_kho_alloc(order, true);
			if (page || !order)
				break;
			order--;
		}
		if (!page) {
			pr_err("FAIL: preserve_mb: out of memory with %lu MiB left\n",
			       left >> (20 - PAGE_SHIFT));
			return -ENOMEM;
		}
		err = test_kho_preserve_folio(page_folio(page), "preserve_mb");
		if (err)
			return err;
		left -= 1UL << order;
		cond_resched();
	}
	return 0;
}

static int test_kho_preserve_order(unsigned int mb, unsigned int order,
				   const char *what)
{
	unsigned long nr = DIV_ROUND_UP((unsigned long)mb << (20 - PAGE_SHIFT),
					1UL << order);
	struct page *page;
	unsigned long i;
	int err;

	for (i = 0; i < nr; i++) {
		page = test_kho_alloc(order, true);
		if (!page) {
			pr_err("FAIL: %s: out of memory after %lu of %lu folios\n",
			       what, i, nr);
			return -ENOMEM;
		}
		err = test_kho_preserve_folio(page_folio(page), what);
		if (err)
			return err;
		cond_resched();
	}
	return 0;
}

#ifdef CONFIG_CONTIG_ALLOC
static bool test_kho_range_usable(struct zone *zone, unsigned long pfn,
				  unsigned long nr)
{
	struct page *page;
	unsigned long i;

	for (i = pfn; i < pfn + nr; i++) {
		page = pfn_to_online_page(i);
		if (!page || page_zone(page) != zone || PageReserved(page) ||
		    PageHuge(page))
			return false;
	}
	return true;
}

/*
 * Allocate a PUD-order folio from the first aligned range of one zone that
 * is outside the scratch areas and that alloc_contig_range() can empty.
 */
static struct folio *test_kho_alloc_gigantic(void)
{
	const unsigned long nr = 1UL << PUD_ORDER;
	struct zone *zone;
	unsigned long pfn;

	for_each_populated_zone(zone) {
		pfn = ALIGN(zone->zone_start_pfn, nr);
		for (; pfn + nr <= zone_end_pfn(zone); pfn += nr) {
			if (kho_scratch_overlap(PFN_PHYS(pfn), PUD_SIZE))
				continue;
			if (!test_kho_range_usable(zone, pfn, nr))
				continue;
			if (!alloc_contig_range(pfn, pfn + nr, MIGRATE_MOVABLE,
						GFP_KERNEL | __GFP_COMP | __GFP_NOWARN))
				return pfn_folio(pfn);
			cond_resched();
		}
	}
	return NULL;
}
#else
static struct folio *test_kho_alloc_gigantic(void)
{
	return NULL;
}
#endif

static int test_kho_preserve_gigantic(void)
{
	struct folio *folio = test_kho_alloc_gigantic();

	if (!folio) {
		pr_info("gigantic: no free 1 GiB range outside the scratch areas, skipped\n");
		return 0;
	}
	return test_kho_preserve_folio(folio, "gigantic");
}

/* Preserve each of the @nr pages from @page as an order-0 unit. */
static int test_kho_preserve_run(struct page *page, unsigned int nr)
{
	unsigned int i;
	int err;

	for (i = 0; i < nr; i++) {
		err = kho_preserve_pages(page + i, 1);
		if (err) {
			while (i--)
				kho_unpreserve_pages(page + i, 1);
			return err;
		}
	}
	return 0;
}

/* Restore a run preserved with test_kho_preserve_run(); NULL on error. */
static struct page *test_kho_restore_run(phys_addr_t phys, unsigned int nr)
{
	struct page *first = NULL, *page;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		page = kho_restore_pages(phys + PFN_PHYS(i), 1);
		if (!page || (first && page != first + i))
			return NULL;
		if (!first)
			first = page;
	}
	return first;
}

/*
 * Take @fragment_mb MiB as large blocks, split them, and preserve runs of
 * 1..TEST_KHO_MAX_RUN pages separated by gaps of as many pages, which go
 * back to the allocator.  Every block starts with a gap, so no two runs are
 * adjacent even when two blocks are.
 */
static int test_kho_preserve_fragment(struct rnd_state *rnd)
{
	unsigned long left = (unsigned long)fragment_mb << (20 - PAGE_SHIFT);
	unsigned long runs = 0, kept = 0;
	unsigned long i, j, nr, len;
	struct test_kho_unit *unit;
	unsigned int order;
	struct page *page;
	int err;

	while (left) {
		order = min_t(unsigned int, MAX_PAGE_ORDER, ilog2(left));
		for (;;) {
			page = test_kho_alloc(order, false);
			if (page || !order)
				break;
			order--;
		}
		if (!page) {
			pr_err("FAIL: fragment: out of memory with %lu MiB left\n",
			       left >> (20 - PAGE_SHIFT));
			return -ENOMEM;
		}
		nr = 1UL << order;
		left -= nr;
		split_page(page, order);

		for (i = 0; i < nr; i += len) {
			len = min_t(unsigned long, nr - i,
				    1 + prandom_u32_state(rnd) % TEST_KHO_MAX_RUN);
			for (j = i; j < i + len; j++)
				__free_page(page + j);
			i += len;
			if (i == nr)
				break;

			len = min_t(unsigned long, nr - i,
				    1 + prandom_u32_state(rnd) % TEST_KHO_MAX_RUN);
			unit = test_kho_new_unit();
			if (!unit) {
				pr_err("FAIL: fragment: out of memory for the list of units\n");
				err = -ENOMEM;
				goto free_rest;
			}
			unit->phys = page_to_phys(page + i);
			unit->seed = test_kho_seed;
			unit->nr_pages = len;
			unit->kind = TEST_KHO_PAGES;
			test_kho_fill(unit);
			err = test_kho_preserve_run(page + i, len);
			if (err) {
				pr_err("FAIL: fragment: kho_preserve_pages(%lu at %#llx): %d\n",
				       len, unit->phys, err);
				goto free_rest;
			}
			test_kho_nr_units++;
			runs++;
			kept += len;
		}
		cond_resched();
	}
	pr_info("fragment: %lu runs, %lu pages preserved\n", runs, kept);
	return 0;

free_rest:
	for (j = i; j < nr; j++)
		__free_page(page + j);
	return err;
}

/* Hand the list of units over: chunk pages, then the "test-kho" sub-FDT. */
static int test_kho_publish(void)
{
	unsigned long nr_chunks = DIV_ROUND_UP(test_kho_nr_units, TEST_KHO_CHUNK_UNITS);
	struct test_kho_chunk *chunk;
	unsigned long c, first, n;
	phys_addr_t next = 0;
	u64 bytes = 0;
	struct page *page;
	void *fdt;
	int err;

	for (c = nr_chunks; c--;) {
		first = c * TEST_KHO_CHUNK_UNITS;
		n = min_t(unsigned long, TEST_KHO_CHUNK_UNITS, test_kho_nr_units - first);
		page = test_kho_alloc(0, false);
		if (!page) {
			pr_err("FAIL: publish: out of memory for the list of units\n");
			return -ENOMEM;
		}
		chunk = page_address(page);
		clear_page(chunk);
		chunk->magic = TEST_KHO_CHUNK_MAGIC;
		chunk->nr = n;
		chunk->next = next;
		memcpy(chunk->units, &test_kho_units[first], n * sizeof(*chunk->units));
		err = kho_preserve_folio(page_folio(page));
		if (err) {
			pr_err("FAIL: publish: kho_preserve_folio(list): %d\n", err);
			__free_page(page);
			return err;
		}
		next = page_to_phys(page);
	}

	page = test_kho_alloc(0, false);
	if (!page) {
		pr_err("FAIL: publish: out of memory for the FDT\n");
		return -ENOMEM;
	}
	fdt = page_address(page);
	err = fdt_create(fdt, PAGE_SIZE);
	err |= fdt_finish_reservemap(fdt);
	err |= fdt_begin_node(fdt, "");
	err |= fdt_property_string(fdt, "compatible", TEST_KHO_COMPATIBLE);
	err |= fdt_property_u32(fdt, "seed", test_kho_seed);
	err |= fdt_property_u32(fdt, "generation", test_kho_generation + 1);
	err |= fdt_property_u64(fdt, "units", next);
	err |= fdt_property_u64(fdt, "nr-units", test_kho_nr_units);
	if (test_kho_vmalloc_out.first)
		err |= fdt_property(fdt, "vmalloc", &test_kho_vmalloc_out,
				    sizeof(test_kho_vmalloc_out));
	err |= fdt_end_node(fdt);
	err |= fdt_finish(fdt);
	if (err) {
		pr_err("FAIL: publish: cannot build the FDT\n");
		__free_page(page);
		return -EINVAL;
	}
	err = kho_preserve_folio(page_folio(page));
	if (err) {
		pr_err("FAIL: publish: kho_preserve_folio(FDT): %d\n", err);
		__free_page(page);
		return err;
	}
	err = kho_add_subtree(TEST_KHO_NAME, fdt);
	if (err) {
		pr_err("FAIL: publish: kho_add_subtree: %d\n", err);
		return err;
	}

	for (c = 0; c < test_kho_nr_units; c++)
		bytes += test_kho_bytes(&test_kho_units[c]);
	pr_info("preserved %lu units, %llu bytes, seed %u, generation %u\n",
		test_kho_nr_units, bytes, test_kho_seed, test_kho_generation + 1);
	return 0;
}

static bool test_kho_wants_preserve(void)
{
	return preserve_mb || gigantic || order0_mb || pmd_mb || fragment_mb;
}

static int test_kho_preserve(void)
{
	struct rnd_state rnd;
	int err = 0;

	if (!kho_is_enabled()) {
		pr_err("FAIL: preserve: KHO is disabled\n");
		return -EOPNOTSUPP;
	}
	prandom_seed_state(&rnd, test_kho_seed);

	if (preserve_mb)
		err = test_kho_preserve_random(&rnd);
	if (!err && gigantic)
		err = test_kho_preserve_gigantic();
	if (!err && order0_mb)
		err = test_kho_preserve_order(order0_mb, 0, "order0_mb");
	if (!err && pmd_mb)
		err = test_kho_preserve_order(pmd_mb, PMD_ORDER, "pmd_mb");
	if (!err && fragment_mb)
		err = test_kho_preserve_fragment(&rnd);
	return err;
}

/* Is the record sane enough to touch the memory it names? */
static bool test_kho_unit_valid(const struct test_kho_unit *unit)
{
	unsigned long pfn = PHYS_PFN(unit->phys);

	if (!unit->nr_pages || !PAGE_ALIGNED(unit->phys))
		return false;
	switch (unit->kind) {
	case TEST_KHO_FOLIO:
		if (unit->order > PUD_ORDER || unit->nr_pages != 1U << unit->order)
			return false;
		break;
	case TEST_KHO_PAGES:
		if (unit->order)
			return false;
		break;
	default:
		return false;
	}
	return pfn_valid(pfn) && pfn_valid(pfn + unit->nr_pages - 1);
}

static int test_kho_fdt_u64(const void *fdt, const char *name, u64 *val)
{
	const void *prop;
	int len;

	prop = fdt_getprop(fdt, 0, name, &len);
	if (!prop)
		return -ENOENT;
	if (len == sizeof(u64))
		*val = fdt64_ld(prop);
	else if (len == sizeof(u32))
		*val = fdt32_ld(prop);
	else
		return -EINVAL;
	return 0;
}

/*
 * Read the handed-over list of units into a new array.  Return -ENOENT if
 * there is no "test-kho" subtree, another error after printing a FAIL line.
 */
static int test_kho_load(struct test_kho_unit **unitsp, unsigned long *nrp)
{
	u64 list_phys, nr, gen, old_seed, chunks, max_chunks;
	struct test_kho_unit *units = NULL;
	struct test_kho_chunk *chunk;
	unsigned long n = 0, i;
	struct folio *folio;
	phys_addr_t phys;
	const void *fdt;
	int err;

	err = kho_retrieve_subtree(TEST_KHO_NAME, &phys);
	if (err == -ENOENT)
		return err;
	if (err) {
		pr_err("FAIL: bad %s subtree: %d\n", TEST_KHO_NAME, err);
		return err;
	}

	folio = kho_restore_folio(phys);
	if (!folio) {
		pr_err("FAIL: cannot restore the FDT at %pa\n", &phys);
		return -EINVAL;
	}
	fdt = folio_address(folio);
	err = -EINVAL;
	if (fdt_check_header(fdt) || fdt_totalsize(fdt) > folio_size(folio) ||
	    fdt_node_check_compatible(fdt, 0, TEST_KHO_COMPATIBLE) ||
	    test_kho_fdt_u64(fdt, "seed", &old_seed) ||
	    test_kho_fdt_u64(fdt, "generation", &gen) ||
	    test_kho_fdt_u64(fdt, "units", &list_phys) ||
	    test_kho_fdt_u64(fdt, "nr-units", &nr)) {
		pr_err("FAIL: bad FDT at %pa\n", &phys);
		goto put_fdt;
	}
	test_kho_generation = gen;
	pr_info("handover: generation %llu, seed %llu, %llu units\n", gen, old_seed, nr);
	test_kho_vmalloc_in_handle(fdt);

	if (nr) {
		units = kvmalloc_array(nr, sizeof(*units), GFP_KERNEL | __GFP_NOWARN);
		if (!units) {
			pr_err("FAIL: out of memory for %llu units\n", nr);
			err = -ENOMEM;
			goto put_fdt;
		}
	}
	max_chunks = DIV_ROUND_UP(nr, TEST_KHO_CHUNK_UNITS);
	for (chunks = 0; list_phys && chunks < max_chunks; chunks++) {
		struct folio *cf = kho_restore_folio(list_phys);

		if (!cf) {
			pr_err("FAIL: cannot restore the list page at %#llx\n", list_phys);
			goto free_units;
		}
		chunk = folio_address(cf);
		if (folio_order(cf) || chunk->magic != TEST_KHO_CHUNK_MAGIC ||
		    chunk->nr > TEST_KHO_CHUNK_UNITS || chunk->nr > nr - n) {
			pr_err("FAIL: bad list page at %#llx\n", list_phys);
			folio_put(cf);
			goto free_units;
		}
		memcpy(&units[n], chunk->units, chunk->nr * sizeof(*units));
		n += chunk->nr;
		list_phys = chunk->next;
		folio_put(cf);
	}
	if (n != nr || list_phys) {
		pr_err("FAIL: the list holds %lu units, the FDT says %llu\n", n, nr);
		goto free_units;
	}
	for (i = 0; i < n; i++) {
		if (!test_kho_unit_valid(&units[i])) {
			pr_err("FAIL: bad record for unit %lu\n", i);
			goto free_units;
		}
	}
	folio_put(folio);
	*unitsp = units;
	*nrp = n;
	return 0;

free_units:
	kvfree(units);
put_fdt:
	folio_put(folio);
	return err;
}

/*
 * Read a page that is free in the buddy allocator: someone may allocate and
 * write it under us (the caller checks it is still free afterwards), and the
 * sanitizers consider free memory off limits.
 */
static noinline bool __no_sanitize_address __no_kcsan __no_kmsan_checks
test_kho_words_zero(const u64 *p)
{
	unsigned long w;

	for (w = 0; w < TEST_KHO_PAGE_WORDS; w++) {
		if (p[w])
			return false;
	}
	return true;
}

static bool test_kho_page_zero(struct page *page)
{
	const u64 *p = kmap_local_page(page);
	bool zero = test_kho_words_zero(p);

	kunmap_local(p);
	return zero;
}

/*
 * Wait until KHO has released the units we did not claim, then check that
 * the pages of theirs that are still free read as zero.
 */
static int test_kho_unclaimed_fn(void *arg)
{
	u64 expect = 0, checked = 0, dirty = 0;
	phys_addr_t first_dirty = 0;
	struct kho_stats st;
	unsigned long i, j, pfn;
	struct page *page;
	bool zero;

	/*
	 * kho_release_wait() returns at once until kho_finish() has started
	 * the release (at late_initcall_sync by default): wait for that first.
	 * Our units make the release non-empty, so its counters move.
	 */
	for (;;) {
		kho_get_stats(&st);
		if (st.releasing || st.released)
			break;
		msleep(100);
	}
	kho_release_wait();
	/* Pages freed to the per-cpu lists are not free buddy pages yet. */
	drain_all_pages(NULL);
	kho_get_stats(&st);
	pr_info("release: KHO released %llu bytes, restored %llu; checking %lu units\n",
		st.released, st.restored, test_kho_nr_unclaimed);

	if (debug_pagealloc_enabled() || page_poisoning_enabled()) {
		pr_err("FAIL: unclaimed: cannot read free pages with debug_pagealloc or page poisoning\n");
		goto out;
	}

	for (i = 0; i < test_kho_nr_unclaimed; i++) {
		const struct test_kho_unit *unit = &test_kho_unclaimed[i];

		expect += test_kho_bytes(unit);
		pfn = PHYS_PFN(unit->phys);
		for (j = 0; j < unit->nr_pages; j++) {
			if (!(j & 1023))
				cond_resched();
			page = pfn_to_page(pfn + j);
			zero = test_kho_page_zero(page);
			/* Only count pages nobody took meanwhile. */
			if (!is_free_buddy_page(page))
				continue;
			checked++;
			if (!zero && !dirty++)
				first_dirty = PFN_PHYS(pfn + j);
		}
	}

	if (dirty)
		pr_err("FAIL: unclaimed: %llu of %llu free pages not zero, first at %pa\n",
		       dirty, checked, &first_dirty);
	else if (!checked)
		pr_err("FAIL: unclaimed: no page of %llu bytes left free to check\n",
		       expect);
	else if (st.released < expect)
		pr_err("FAIL: unclaimed: KHO released %llu bytes, fewer than the %llu unclaimed\n",
		       st.released, expect);
	else
		pr_info("PASS: unclaimed %llu bytes released, read back as zero\n",
			checked << PAGE_SHIFT);
out:
	kvfree(test_kho_unclaimed);
	test_kho_unclaimed = NULL;
	return 0;
}

/* Keep or free a restored and verified unit, or preserve it again. */
static void test_kho_done(const struct test_kho_unit *unit, struct page *page,
			  bool ok, struct test_kho_result *res)
{
	struct test_kho_unit *copy;
	unsigned long i;
	int err;

	if (represerve && ok) {
		copy = test_kho_new_unit();
		if (!copy) {
			test_kho_error(res, "represerve: out of memory");
			return;
		}
		*copy = *unit;
		if (unit->kind == TEST_KHO_FOLIO)
			err = kho_preserve_folio(page_folio(page));
		else
			err = test_kho_preserve_run(page, unit->nr_pages);
		if (err)
			test_kho_error(res, "represerve: unit at %#llx: %d", unit->phys, err);
		else
			test_kho_nr_units++;
		return;
	}

	if (unit->kind == TEST_KHO_PAGES) {
		for (i = 0; i < unit->nr_pages; i++)
			__free_page(pfn_to_page(PHYS_PFN(unit->phys) + i));
	} else if (unit->order <= MAX_PAGE_ORDER) {
		folio_put(page_folio(page));
	}
	/* Gigantic folios stay allocated: the test keeps them. */
}

static bool test_kho_claimed(unsigned long i)
{
	return i % 100 < claim_pct;
}

static void test_kho_start_unclaimed(const struct test_kho_unit *units,
				     unsigned long nr, unsigned long unclaimed)
{
	struct task_struct *task;
	unsigned long i;

	test_kho_unclaimed = kvmalloc_array(unclaimed, sizeof(*units),
					    GFP_KERNEL | __GFP_NOWARN);
	if (!test_kho_unclaimed) {
		pr_err("FAIL: unclaimed: out of memory\n");
		return;
	}
	for (i = 0; i < nr; i++) {
		if (!test_kho_claimed(i))
			test_kho_unclaimed[test_kho_nr_unclaimed++] = units[i];
	}
	task = kthread_run(test_kho_unclaimed_fn, NULL, "test_kho");
	if (IS_ERR(task)) {
		pr_err("FAIL: unclaimed: cannot start the checker: %ld\n", PTR_ERR(task));
		kvfree(test_kho_unclaimed);
		test_kho_unclaimed = NULL;
	}
}

#define TEST_KHO_VMALLOC_PAGES	(KHO_VMALLOC_PER_CHUNK + 90)
#define TEST_KHO_VMALLOC_BYTE	0xa5

/* vmalloc_handover=1: preserve a patterned vmalloc area for the next kernel. */
static void test_kho_vmalloc_out_prepare(void)
{
	void *area = vmalloc(TEST_KHO_VMALLOC_PAGES * PAGE_SIZE);
	int err;

	if (!area)
		return;
	memset(area, TEST_KHO_VMALLOC_BYTE, TEST_KHO_VMALLOC_PAGES * PAGE_SIZE);
	err = kho_preserve_vmalloc(area, &test_kho_vmalloc_out);
	if (err) {
		pr_err("FAIL: vmalloc handover: preserve: %d\n", err);
		vfree(area);
		return;
	}
	pr_info("vmalloc handover: %lu pages preserved\n",
		(unsigned long)TEST_KHO_VMALLOC_PAGES);
}

/*
 * A restore with a handle that claims one page too many must fail, and the
 * pages it took and gave back must read back as zero: they held the
 * previous kernel's data.
 */
static void test_kho_vmalloc_in_check(void)
{
	struct kho_vmalloc bad = test_kho_vmalloc_in;
	const struct kho_vmalloc_chunk *c;
	phys_addr_t *phys;
	unsigned long n = 0, i, dirty = 0;
	u64 next;
	void *area;

	phys = kcalloc(bad.total_pages, sizeof(*phys), GFP_KERNEL);
	if (!phys)
		return;
	/* the page list, read before the restore consumes it */
	for (next = bad.first; next && n < bad.total_pages; next = le64_to_cpu(c->next)) {
		c = phys_to_virt(next);
		for (i = 0; i < le64_to_cpu(c->nr) && n < bad.total_pages; i++)
			phys[n++] = le64_to_cpu(c->phys[i]);
	}
	bad.total_pages++;
	area = kho_restore_vmalloc(&bad);
	if (area) {
		pr_err("FAIL: vmalloc handover: a handle one page too long was accepted\n");
		vfree(area);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (memchr_inv(phys_to_virt(phys[i]), 0, PAGE_SIZE))
			dirty++;
	if (n != test_kho_vmalloc_in.total_pages || dirty) {
		pr_err("FAIL: vmalloc handover: %lu of %lu pages given back without being zeroed\n",
		       dirty, n);
		goto out;
	}
	pr_info("PASS: vmalloc handover: a bad handle is refused, its %lu pages zeroed\n",
		n);
out:
	kfree(phys);
}

static DECLARE_COMPLETION(test_kho_race_started);
static DECLARE_COMPLETION(test_kho_race_done);
static struct folio *test_kho_race_folio;

static int test_kho_race_fn(void *arg)
{
	struct test_kho_unit *u = arg;

	complete(&test_kho_race_started);
	test_kho_race_folio = kho_restore_folio(u->phys);
	complete(&test_kho_race_done);
	return 0;
}

/*
 * kho_finish() while a restore holds its claim (with
 * kexec_handover.test_restore_delay_ms): once the release is done, the
 * restored and released bytes must add up to what was handed over, with
 * nothing left counted as releasing.
 */
static void test_kho_finish_race(struct test_kho_unit *units,
				 unsigned long nr)
{
	struct task_struct *t;
	struct kho_stats st;
	unsigned long i;
	int err;

	for (i = 0; i < nr && units[i].kind != TEST_KHO_FOLIO; i++)
		;
	if (i == nr) {
		pr_err("FAIL: finish race: no folio handed over\n");
		return;
	}
	t = kthread_run(test_kho_race_fn, &units[i], "test_kho_race");
	if (IS_ERR(t)) {
		pr_err("FAIL: finish race: kthread: %ld\n", PTR_ERR(t));
		return;
	}
	wait_for_completion(&test_kho_race_started);
	msleep(100);
	err = kho_finish();
	kho_release_wait();
	wait_for_completion(&test_kho_race_done);
	kho_get_stats(&st);
	if (!test_kho_race_folio || err || st.releasing ||
	    st.restored + st.released != st.preserved_in) {
		pr_err("FAIL: finish race: folio %s, kho_finish() %d, restored %llu + released %llu != handed over %llu, or %llu releasing\n",
		       test_kho_race_folio ? "restored" : "not restored",
		       err, st.restored, st.released, st.preserved_in,
		       st.releasing);
		return;
	}
	pr_info("PASS: kho_finish() during a restore: restored %llu + released %llu = handed over %llu, 0 releasing\n",
		st.restored, st.released, st.preserved_in);
	folio_put(test_kho_race_folio);
}

static void test_kho_restore(void)
{
	unsigned long nr, i, folios = 0, runs = 0, run_pages = 0, unclaimed = 0;
	struct test_kho_result res = { };
	struct test_kho_unit *units;
	u64 t_restored, t_verified;
	struct page **pages;
	phys_addr_t bad;
	u64 bytes = 0;
	bool *ok;
	int err;

	err = test_kho_load(&units, &nr);
	if (err) {
		if (err == -ENOENT)
			pr_info("no handover\n");
		return;
	}
	if (finish_race) {
		test_kho_finish_race(units, nr);
		kvfree(units);
		return;
	}
	if (test_kho_vmalloc_in.first)
		test_kho_vmalloc_in_check();
	pages = kvcalloc(nr, sizeof(*pages), GFP_KERNEL);
	ok = kvcalloc(nr, sizeof(*ok), GFP_KERNEL);
	if (!pages || !ok) {
		pr_err("FAIL: out of memory for %lu units\n", nr);
		goto out;
	}

	for (i = 0; i < nr; i++) {
		const struct test_kho_unit *unit = &units[i];
		struct folio *folio;

		if (!test_kho_claimed(i)) {
			unclaimed++;
			continue;
		}
		if (unit->kind == TEST_KHO_PAGES) {
			pages[i] = test_kho_restore_run(unit->phys, unit->nr_pages);
			if (!pages[i])
				test_kho_error(&res, "unit %lu: no %u pages at %#llx",
					       i, unit->nr_pages, unit->phys);
			continue;
		}
		folio = kho_restore_folio(unit->phys);
		if (!folio) {
			test_kho_error(&res, "unit %lu: no folio at %#llx", i, unit->phys);
			continue;
		}
		pages[i] = &folio->page;
		if (folio_order(folio) != unit->order)
			test_kho_error(&res, "unit %lu: folio at %#llx of order %u, not %u",
				       i, unit->phys, folio_order(folio), unit->order);
	}
	t_restored = get_cycles();

	for (i = 0; i < nr; i++) {
		const struct test_kho_unit *unit = &units[i];

		if (!pages[i])
			continue;
		ok[i] = test_kho_check(unit, &bad);
		if (!ok[i])
			test_kho_error(&res, "unit %lu: wrong data at %pa", i, &bad);
		if (unit->kind == TEST_KHO_FOLIO) {
			folios++;
		} else {
			runs++;
			run_pages += unit->nr_pages;
		}
		bytes += test_kho_bytes(unit);
	}
	t_verified = get_cycles();

	if (runs)
		pr_info("fragment: restored %lu runs, %lu pages\n", runs, run_pages);
	if (res.errors)
		pr_err("FAIL: %s (%lu errors)\n", res.reason, res.errors);
	else
		pr_info("PASS: restored %lu folios, %llu bytes, verified\n", folios, bytes);
	pr_info("tsc restored=%llu verified=%llu tsc_khz=%u\n",
		(u64)t_restored, (u64)t_verified, test_kho_tsc_khz());

	/* Errors of represerve come after the result line: report them alone. */
	res.errors = 0;
	for (i = 0; i < nr; i++) {
		if (pages[i])
			test_kho_done(&units[i], pages[i], ok[i], &res);
	}
	if (res.errors)
		pr_err("FAIL: %s\n", res.reason);

	if (unclaimed)
		test_kho_start_unclaimed(units, nr, unclaimed);
out:
	kvfree(ok);
	kvfree(pages);
	kvfree(units);
}

/*
 * kho_unpreserve_vmalloc() of an area one of whose pages was unpreserved
 * behind its back must fail with -ENOENT and change nothing; once the page
 * is preserved again it must succeed and leave nothing preserved.
 */
static void __init test_kho_vmalloc_check(void)
{
	const unsigned long nr = KHO_VMALLOC_PER_CHUNK + 90;	/* two chunks */
	struct kho_stats before, mid, after;
	struct kho_vmalloc h = { };
	struct page *victim;
	void *area;
	int err;

	/* without memory there is no PASS line, and the scenario fails */
	area = vmalloc(nr * PAGE_SIZE);
	if (!area)
		return;
	victim = vmalloc_to_page(area + (nr - 1) * PAGE_SIZE);
	kho_get_stats(&before);
	err = kho_preserve_vmalloc(area, &h);
	if (err) {
		pr_err("FAIL: vmalloc check: preserve: %d\n", err);
		goto out;
	}
	err = kho_unpreserve_pages(victim, 1);
	if (err) {
		pr_err("FAIL: vmalloc check: unpreserve one page: %d\n", err);
		goto out;
	}
	kho_get_stats(&mid);
	err = kho_unpreserve_vmalloc(&h);
	kho_get_stats(&after);
	if (err != -ENOENT || !h.first ||
	    after.preserved_out != mid.preserved_out) {
		pr_err("FAIL: vmalloc check: unpreserve with a page missing returned %d, handle %s, %lld bytes changed\n",
		       err, h.first ? "kept" : "cleared",
		       (long long)(after.preserved_out - mid.preserved_out));
		goto out;
	}
	err = kho_preserve_pages(victim, 1) ?: kho_unpreserve_vmalloc(&h);
	kho_get_stats(&after);
	if (err || h.first || after.preserved_out != before.preserved_out) {
		pr_err("FAIL: vmalloc check: unpreserve returned %d, %lld bytes left preserved\n",
		       err, (long long)(after.preserved_out - before.preserved_out));
		goto out;
	}
	pr_info("PASS: vmalloc unpreserve is all or nothing (%lu pages)\n", nr);
out:
	vfree(area);
}

static int __init test_kho_init(void)
{
	int err = 0;

	if (is_kho_boot())
		test_kho_restore();
	else
		pr_info("no handover\n");

	if (vmalloc_check)
		test_kho_vmalloc_check();
	if (vmalloc_handover)
		test_kho_vmalloc_out_prepare();
	if (test_kho_wants_preserve())
		err = test_kho_preserve();
	if (!err && test_kho_nr_units)
		test_kho_publish();
	test_kho_free_rejects();
	return 0;
}
late_initcall(test_kho_init);
