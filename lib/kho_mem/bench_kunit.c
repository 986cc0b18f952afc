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
 * The workloads are those of bench_workload.h, which the userspace
 * benchmark in tools/testing/kho_mem shares; A also runs as one range
 * call.
 */

#include <kunit/test.h>
#include <linux/ktime.h>
#include <linux/vmalloc.h>

#include "kho_mem_internal.h"
#include "bench_workload.h"

#define GIB_ORDER	KHO_BENCH_GIB_ORDER

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
	unsigned long nr = KHO_BENCH_A_PAGES, base = kho_bench_a_pfn(0), i;
	struct kho_mem_tracker *t = new_tracker(test);
	struct bench_row row = { .name = "A dense, page by page" };
	u64 t0, bound;
	char target[64];

	print_header(test);
	t0 = ktime_get_ns();
	for (i = 0; i < nr; i++) {
		if (kho_mem_preserve(t, kho_bench_a_pfn(i), 0))
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
	unsigned long i, nr = KHO_BENCH_B_PAGES;
	u64 t0;

	t0 = ktime_get_ns();
	for (i = 0; i < nr; i++) {
		if (kho_mem_preserve(t, kho_bench_b_pfn(i), 0))
			break;
	}
	row.preserve_ns = ktime_get_ns() - t0;
	KUNIT_ASSERT_EQ(test, i, nr);
	finish_row(test, t, &row, nr);
	print_row(test, &row, "<=40 ns/page", row.preserve_ns <= 40 * nr);
	print_row(test, &row, "meta + chunks <=512 KiB",
		  row.meta_bytes + row.chunk_bytes <= SZ_512K);
	kho_mem_destroy(t);
}

static void bench_c_gib(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	struct bench_row row = { .name = "C 1 GiB units, 1 TiB" }, best = {};
	unsigned long i, nr = KHO_BENCH_C_UNITS;
	int round;
	u64 t0;

	/* tiny: keep the best of five rounds */
	for (round = 0; round < 5; round++) {
		t0 = ktime_get_ns();
		for (i = 0; i < nr; i++) {
			if (kho_mem_preserve(t, kho_bench_c_pfn(i), GIB_ORDER))
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
	print_row(test, &best, "preserve+serialize+walk <=5 us",
		  best.preserve_ns + best.serialize_ns + best.walk_ns <=
		  5 * NSEC_PER_USEC);
}

static void bench_d_mixed(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	struct bench_row row = { .name = "D mixed orders 0-9" };
	unsigned long i, nr = KHO_BENCH_D_UNITS;
	u64 *units, pages, t0;

	units = vmalloc(array_size(nr, sizeof(*units)));
	KUNIT_ASSERT_NOT_NULL(test, units);
	pages = kho_bench_make_mixed(units, nr);
	KUNIT_ASSERT_NE(test, pages, 0);
	t0 = ktime_get_ns();
	for (i = 0; i < nr; i++) {
		if (kho_mem_preserve(t, KHO_BENCH_PFN(units[i]),
				     KHO_BENCH_ORDER(units[i])))
			break;
	}
	row.preserve_ns = ktime_get_ns() - t0;
	vfree(units);
	KUNIT_ASSERT_EQ(test, i, nr);
	finish_row(test, t, &row, pages);
	print_row(test, &row, "<=11 ns/unit (2x 22), ranges coalesced",
		  row.preserve_ns <= 11 * nr && row.ranges < row.units);
	print_row(test, &row, "meta + chunks <=4096 KiB",
		  row.meta_bytes + row.chunk_bytes <= SZ_4M);
	print_row(test, &row, "walk <=10 ms",
		  row.walk_ns <= 10 * NSEC_PER_MSEC);
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
