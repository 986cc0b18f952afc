// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark of the KHO preserved-memory tracker, as a KUnit suite that no
 * default run includes (CONFIG_KHO_MEM_KUNIT_BENCH; `make bench`).
 *
 * Each scenario preserves a workload, serializes the tracker and walks the
 * chunk list (validation and reporting), and prints one row: ns per
 * preserved unit, serialize and walk times, ranges reported, and metadata
 * (the tracker's leaves, offset arrays, bitmap pages and descriptors, plus
 * the chunk pages; not the xarrays' own nodes).  The target of each
 * scenario is printed beside it.  The suite asserts that every workload
 * round-trips correctly; it never fails on a time.
 *
 *   A: 16 GiB of dense order-0 pages, one call per page, then one range call
 *   B: 65,536 scattered order-0 pages over 1 TiB
 *   C: 1 TiB of 1 GiB units
 *   D: 1,048,576 units of orders 0-9 in 64 GiB, preserved in random order
 */

#include <kunit/test.h>
#include <linux/ktime.h>
#include <linux/prandom.h>
#include <linux/vmalloc.h>

#include "kho_mem_internal.h"

#define TIB_PFN		(1UL << (40 - PAGE_SHIFT))
#define GIB_ORDER	(30 - PAGE_SHIFT)

struct bench_row {
	const char *name;
	u64 units;
	u64 preserve_ns;
	u64 serialize_ns;
	u64 walk_ns;
	u64 ranges;
	u64 meta_bytes;
	u64 chunk_bytes;
};

static int count_range(void *arg, unsigned long pfn, unsigned long nr_pages,
		       unsigned long orders)
{
	return 0;
}

static const struct kho_mem_walk_ops count_ops = { .range = count_range };

/* Serialize @t and walk the list, filling the rest of @row. */
static void finish_row(struct kunit *test, struct kho_mem_tracker *t,
		       struct bench_row *row, u64 expect_pages)
{
	static const struct kho_mem_range ram = { 0, 1ULL << 50 };
	struct kho_mem_walk_args args = { .ram = &ram, .nr_ram = 1 };
	struct kho_mem_walk_result res;
	struct kho_mem_chunks chunks;
	struct kho_mem_stats st;
	u64 t0;

	t0 = ktime_get_ns();
	KUNIT_ASSERT_EQ(test, kho_mem_serialize(t, &chunks), 0);
	row->serialize_ns = ktime_get_ns() - t0;

	args.head = chunks.head;
	t0 = ktime_get_ns();
	KUNIT_ASSERT_EQ(test, kho_mem_walk(&args, &count_ops, NULL, &res), 0);
	row->walk_ns = ktime_get_ns() - t0;

	kho_mem_get_stats(t, &st);
	row->units = st.nr_units;
	row->ranges = res.nr_ranges;
	row->meta_bytes = st.meta_bytes;
	row->chunk_bytes = chunks.bytes;
	KUNIT_EXPECT_EQ(test, res.nr_units, st.nr_units);
	KUNIT_EXPECT_EQ(test, res.nr_pages, expect_pages);
	kho_mem_chunks_free(&chunks);
}

static void print_row(struct kunit *test, const struct bench_row *r,
		      const char *target, bool met)
{
	u64 per = r->units ? r->preserve_ns * 1000 / r->units : 0;

	kunit_info(test,
		   "%-22s %9llu %7llu.%03llu %11llu %11llu %7llu %10llu  %-44s %s\n",
		   r->name, r->units, per / 1000, per % 1000,
		   r->serialize_ns / 1000, r->walk_ns / 1000, r->ranges,
		   (r->meta_bytes + r->chunk_bytes) / 1024, target,
		   met ? "met" : "MISSED");
}

static void print_header(struct kunit *test)
{
	kunit_info(test,
		   "%-22s %9s %11s %11s %11s %7s %10s  %-44s %s\n",
		   "scenario", "units", "ns/unit", "serialize", "walk",
		   "ranges", "meta", "target", "verdict");
	kunit_info(test, "%-22s %9s %11s %11s %11s %7s %10s\n", "", "",
		   "(preserve)", "(us)", "(us)", "", "(KiB)");
}

static struct kho_mem_tracker *new_tracker(struct kunit *test)
{
	struct kho_mem_tracker *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	kho_mem_init(t);
	return t;
}

static void bench_a_dense(struct kunit *test)
{
	unsigned long nr = 16UL << (30 - PAGE_SHIFT), base = TIB_PFN, i;
	struct kho_mem_tracker *t = new_tracker(test);
	struct bench_row row = { .name = "A dense, page by page" };
	u64 t0, bound;
	char target[64];

	print_header(test);
	t0 = ktime_get_ns();
	for (i = 0; i < nr; i++) {
		if (kho_mem_preserve(t, base + i, 0))
			break;
	}
	row.preserve_ns = ktime_get_ns() - t0;
	KUNIT_ASSERT_EQ(test, i, nr);
	finish_row(test, t, &row, nr);
	/* 1.05 x (one bit per page + chunk pages) */
	bound = (nr / 8 + row.chunk_bytes) * 105 / 100;
	print_row(test, &row, "<=3 ns/page", row.preserve_ns <= 3 * nr);
	snprintf(target, sizeof(target), "meta + chunks <=%llu KiB",
		 bound / 1024);
	print_row(test, &row, target, row.meta_bytes + row.chunk_bytes <= bound);
	/* for reference: a call refused by its argument checks, no lock */
	t0 = ktime_get_ns();
	for (i = 0; i < nr; i++) {
		if (kho_mem_preserve(t, base + 2 * i + 1, 1) != -EINVAL)
			break;
	}
	t0 = (ktime_get_ns() - t0) * 1000 / nr;
	kunit_info(test, "%-22s %9lu %7llu.%03llu  %s\n", "A call floor", nr,
		   t0 / 1000, t0 % 1000, "(reference: a call that checks and returns)");
	/* for reference: what the two locks cost, on their own */
	t0 = ktime_get_ns();
	for (i = 0; i < nr; i++) {
		spin_lock(&t->fast_lock);
		spin_unlock(&t->fast_lock);
	}
	t0 = (ktime_get_ns() - t0) * 1000 / nr;
	kunit_info(test, "%-22s %9lu %7llu.%03llu  %s\n", "A fast-path lock", nr,
		   t0 / 1000, t0 % 1000, "(reference: spin_lock + unlock only)");
	t0 = ktime_get_ns();
	for (i = 0; i < nr; i++) {
		mutex_lock(&t->lock);
		mutex_unlock(&t->lock);
	}
	t0 = (ktime_get_ns() - t0) * 1000 / nr;
	kunit_info(test, "%-22s %9lu %7llu.%03llu  %s\n", "A slow-path lock", nr,
		   t0 / 1000, t0 % 1000, "(reference: mutex_lock + unlock only)");
	print_row(test, &row, "walk: <=16 ranges, <=2 ms", row.ranges <= 16 &&
		  row.walk_ns <= 2 * NSEC_PER_MSEC);
	kho_mem_destroy(t);

	row = (struct bench_row){ .name = "A dense, one range" };
	t0 = ktime_get_ns();
	KUNIT_ASSERT_EQ(test, kho_mem_preserve_range(t, base, nr), 0);
	row.preserve_ns = ktime_get_ns() - t0;
	finish_row(test, t, &row, nr);
	snprintf(target, sizeof(target), "call <=1 ms (took %llu ns)",
		 row.preserve_ns);
	print_row(test, &row, target, row.preserve_ns <= NSEC_PER_MSEC);
	kho_mem_destroy(t);
}

static void bench_b_sparse(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	struct bench_row row = { .name = "B sparse, 1 TiB" };
	unsigned long i, nr = 65536, span = 1UL << (40 - PAGE_SHIFT);
	u64 t0;

	t0 = ktime_get_ns();
	for (i = 0; i < nr; i++) {
		/* i * odd mod 2^k is a permutation: distinct, scattered pfns */
		unsigned long pfn = (i * 0x9e3779b1UL) & (span - 1);

		if (kho_mem_preserve(t, TIB_PFN + pfn, 0))
			break;
	}
	row.preserve_ns = ktime_get_ns() - t0;
	KUNIT_ASSERT_EQ(test, i, nr);
	finish_row(test, t, &row, nr);
	print_row(test, &row, "meta + chunks <=1024 KiB",
		  row.meta_bytes + row.chunk_bytes <= SZ_1M);
	kho_mem_destroy(t);
}

static void bench_c_gib(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	struct bench_row row = { .name = "C 1 GiB units, 1 TiB" }, best = {};
	unsigned long i, nr = 1024;
	int round;
	u64 t0;

	/* tiny: keep the best of five rounds */
	for (round = 0; round < 5; round++) {
		t0 = ktime_get_ns();
		for (i = 0; i < nr; i++) {
			if (kho_mem_preserve(t, 2 * TIB_PFN + (i << GIB_ORDER),
					     GIB_ORDER))
				break;
		}
		row.preserve_ns = ktime_get_ns() - t0;
		KUNIT_ASSERT_EQ(test, i, nr);
		finish_row(test, t, &row, nr << GIB_ORDER);
		if (!round || row.preserve_ns + row.serialize_ns + row.walk_ns <
		    best.preserve_ns + best.serialize_ns + best.walk_ns)
			best = row;
		kho_mem_destroy(t);
	}
	print_row(test, &best, "preserve+serialize+walk <=100 us",
		  best.preserve_ns + best.serialize_ns + best.walk_ns <=
		  100 * NSEC_PER_USEC);
}

/*
 * D's workload: 64 GiB as 32768 blocks of 2 MiB.  One block in 64 is a
 * single order-9 unit; the others hold 33 units of random orders 0-8 at
 * aligned offsets with small random gaps.  Stop at 2^20 units, then
 * shuffle so that the tracker sees them in random order.
 */
static u64 *make_mixed(struct kunit *test, unsigned long nr, u64 *pages)
{
	unsigned long blocks = 64UL << (30 - PAGE_SHIFT - 9), b, n = 0;
	struct rnd_state rnd;
	u64 *units;

	units = vmalloc(array_size(nr, sizeof(*units)));
	KUNIT_ASSERT_NOT_NULL(test, units);
	prandom_seed_state(&rnd, 2025);
	*pages = 0;
	for (b = 0; b < blocks && n < nr; b++) {
		unsigned long base = TIB_PFN + (b << 9), off = 0;
		unsigned int k;

		if (prandom_u32_state(&rnd) % 64 == 0) {
			units[n++] = (u64)base << 5 | 9;
			*pages += 512;
			continue;
		}
		for (k = 0; k < 33 && n < nr; k++) {
			unsigned int left = 33 - k, o_max, order;

			o_max = min_t(unsigned int, 8,
				      ilog2(512 - off - (left - 1)));
			if (off)
				o_max = min_t(unsigned int, o_max, __ffs(off));
			order = prandom_u32_state(&rnd) % (o_max + 1);
			units[n++] = (u64)(base + off) << 5 | order;
			*pages += 1UL << order;
			off += 1UL << order;
			if (512 - off > left && prandom_u32_state(&rnd) % 2)
				off++;
		}
	}
	KUNIT_ASSERT_EQ(test, n, nr);
	for (b = nr - 1; b > 0; b--) {
		unsigned long j = prandom_u32_state(&rnd) % (b + 1);

		swap(units[b], units[j]);
	}
	return units;
}

static void bench_d_mixed(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	struct bench_row row = { .name = "D mixed orders 0-9" };
	unsigned long i, nr = 1UL << 20;
	u64 *units, pages, t0;

	units = make_mixed(test, nr, &pages);
	t0 = ktime_get_ns();
	for (i = 0; i < nr; i++) {
		if (kho_mem_preserve(t, units[i] >> 5, units[i] & 31))
			break;
	}
	row.preserve_ns = ktime_get_ns() - t0;
	vfree(units);
	KUNIT_ASSERT_EQ(test, i, nr);
	finish_row(test, t, &row, pages);
	print_row(test, &row, "<=11 ns/unit (2x 22), ranges coalesced",
		  row.preserve_ns <= 11 * nr && row.ranges < row.units);
	kho_mem_destroy(t);
}

static struct kunit_case kho_mem_bench_cases[] = {
	KUNIT_CASE_SLOW(bench_a_dense),
	KUNIT_CASE_SLOW(bench_b_sparse),
	KUNIT_CASE_SLOW(bench_c_gib),
	KUNIT_CASE_SLOW(bench_d_mixed),
	{}
};

static struct kunit_suite kho_mem_bench_suite = {
	.name = "kho_mem_bench",
	.test_cases = kho_mem_bench_cases,
};

kunit_test_suite(kho_mem_bench_suite);

MODULE_DESCRIPTION("Benchmark of the KHO preserved-memory tracker");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
