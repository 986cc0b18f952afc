// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the KHO preserved-memory tracker.
 *
 * Each test checks one behaviour.  KHO_ASSERT_SAME() compares the whole
 * tracker (counters and every unit) with a snapshot taken before a call
 * that must fail, which is how "changes nothing" is checked throughout.
 */

#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/sort.h>

#include "kho_mem_internal.h"

#define TIB_PFN		(1UL << (40 - PAGE_SHIFT))
#define GIB_ORDER	(30 - PAGE_SHIFT)

struct kho_snapshot {
	struct kho_mem_stats stats;
	unsigned int nr;
	unsigned int max;
	struct kho_mem_unit *units;
};

static int snapshot_unit(void *arg, const struct kho_mem_unit *unit)
{
	struct kho_snapshot *s = arg;

	if (s->nr == s->max)
		return -ENOSPC;
	s->units[s->nr++] = *unit;
	return 0;
}

static void take_snapshot(struct kunit *test, struct kho_mem_tracker *t,
			  struct kho_snapshot *s, unsigned int max)
{
	s->nr = 0;
	s->max = max;
	s->units = kunit_kcalloc(test, max, sizeof(*s->units), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s->units);
	kho_mem_get_stats(t, &s->stats);
	KUNIT_ASSERT_EQ(test, kho_mem_visit_units(t, snapshot_unit, s), 0);
}

static void assert_same(struct kunit *test, struct kho_mem_tracker *t,
			const struct kho_snapshot *before)
{
	struct kho_snapshot now;
	unsigned int i;

	take_snapshot(test, t, &now, before->max);
	KUNIT_EXPECT_EQ(test, now.stats.nr_units, before->stats.nr_units);
	KUNIT_EXPECT_EQ(test, now.stats.nr_bytes, before->stats.nr_bytes);
	KUNIT_EXPECT_EQ(test, now.stats.meta_bytes, before->stats.meta_bytes);
	KUNIT_EXPECT_EQ(test, now.stats.nr_leaves, before->stats.nr_leaves);
	KUNIT_EXPECT_EQ(test, now.stats.nr_bitmap_leaves,
			before->stats.nr_bitmap_leaves);
	KUNIT_ASSERT_EQ(test, now.nr, before->nr);
	for (i = 0; i < now.nr; i++) {
		KUNIT_EXPECT_EQ(test, now.units[i].pfn, before->units[i].pfn);
		KUNIT_EXPECT_EQ(test, now.units[i].order, before->units[i].order);
	}
}

#define KHO_ASSERT_SAME(test, t, snap) assert_same(test, t, snap)

static struct kho_mem_tracker *new_tracker(struct kunit *test)
{
	struct kho_mem_tracker *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	kho_mem_init(t);
	return t;
}

static void tracker_empty(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	struct kho_snapshot s;

	take_snapshot(test, t, &s, 4);
	KUNIT_EXPECT_EQ(test, s.nr, 0);
	KUNIT_EXPECT_EQ(test, s.stats.nr_units, 0);
	KUNIT_EXPECT_EQ(test, s.stats.nr_bytes, 0);
	KUNIT_EXPECT_EQ(test, s.stats.meta_bytes, 0);
	KUNIT_EXPECT_FALSE(test, kho_mem_lookup(t, 0, NULL));
	KUNIT_EXPECT_EQ(test, kho_mem_unpreserve(t, 0, 0), -ENOENT);
	kho_mem_destroy(t);
}

static void tracker_preserve_one(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	struct kho_mem_unit unit;
	struct kho_mem_stats st;

	KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, 1234, 0), 0);
	kho_mem_get_stats(t, &st);
	KUNIT_EXPECT_EQ(test, st.nr_units, 1);
	KUNIT_EXPECT_EQ(test, st.nr_bytes, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, st.nr_leaves, 1);
	KUNIT_EXPECT_EQ(test, st.nr_bitmap_leaves, 0);
	/* an isolated page costs a few bytes, not a bitmap page */
	KUNIT_EXPECT_LT(test, st.meta_bytes, 256);

	KUNIT_EXPECT_TRUE(test, kho_mem_lookup(t, 1234, &unit));
	KUNIT_EXPECT_EQ(test, unit.pfn, 1234);
	KUNIT_EXPECT_EQ(test, unit.order, 0);
	KUNIT_EXPECT_FALSE(test, kho_mem_lookup(t, 1233, NULL));
	KUNIT_EXPECT_FALSE(test, kho_mem_lookup(t, 1235, NULL));

	KUNIT_EXPECT_EQ(test, kho_mem_preserve(t, 1234, 0), -EEXIST);
	KUNIT_EXPECT_EQ(test, kho_mem_unpreserve(t, 1234, 0), 0);
	KUNIT_EXPECT_EQ(test, kho_mem_unpreserve(t, 1234, 0), -ENOENT);
	kho_mem_get_stats(t, &st);
	KUNIT_EXPECT_EQ(test, st.nr_units, 0);
	KUNIT_EXPECT_EQ(test, st.meta_bytes, 0);
	KUNIT_EXPECT_EQ(test, st.nr_leaves, 0);
	kho_mem_destroy(t);
}

static void tracker_bad_input(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	unsigned long limit = KHO_MEM_PFN_LIMIT;
	struct kho_snapshot s;

	KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, 512, 9), 0);
	take_snapshot(test, t, &s, 8);

	/* pfn not aligned to its order */
	KUNIT_EXPECT_EQ(test, kho_mem_preserve(t, 1, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_mem_preserve(t, 4096 + 512, 10), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_mem_unpreserve(t, 513, 9), -EINVAL);
	/* order out of range */
	KUNIT_EXPECT_EQ(test, kho_mem_preserve(t, 0, KHO_MEM_MAX_ORDER + 1),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, kho_mem_preserve(t, 0, UINT_MAX), -EINVAL);
	/* beyond the physical address width */
	KUNIT_EXPECT_EQ(test, kho_mem_preserve(t, limit, 0), -ERANGE);
	KUNIT_EXPECT_EQ(test, kho_mem_preserve(t, ULONG_MAX & ~1UL, 1),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, kho_mem_preserve_range(t, limit - 1, 2),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, kho_mem_preserve_range(t, 0, 0), -EINVAL);
	/* the same unit again */
	KUNIT_EXPECT_EQ(test, kho_mem_preserve(t, 512, 9), -EEXIST);
	KUNIT_EXPECT_EQ(test, kho_mem_preserve_range(t, 512, 512), -EEXIST);
	/* unpreserve of what is not preserved, or not as preserved */
	KUNIT_EXPECT_EQ(test, kho_mem_unpreserve(t, 512, 0), -ENOENT);
	KUNIT_EXPECT_EQ(test, kho_mem_unpreserve(t, 0, 10), -ENOENT);
	KUNIT_EXPECT_EQ(test, kho_mem_unpreserve(t, 1024, 9), -ENOENT);
	KUNIT_EXPECT_EQ(test, kho_mem_unpreserve_range(t, 512, 1024), -ENOENT);
	KHO_ASSERT_SAME(test, t, &s);

	/* the edges are fine: just below, just above, the last unit */
	KUNIT_EXPECT_EQ(test, kho_mem_preserve(t, 511, 0), 0);
	KUNIT_EXPECT_EQ(test, kho_mem_preserve(t, 1024, 0), 0);
	KUNIT_EXPECT_EQ(test, kho_mem_preserve(t, limit - 1, 0), 0);
	KUNIT_EXPECT_EQ(test, kho_mem_unpreserve(t, limit - 1, 0), 0);
	KUNIT_EXPECT_EQ(test, kho_mem_preserve(t, limit - (1UL << GIB_ORDER),
					       GIB_ORDER), 0);
	kho_mem_destroy(t);
}

static void tracker_every_order(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	struct kho_mem_unit unit;
	struct kho_mem_stats st;
	unsigned int order;
	u64 bytes = 0;

	/* one unit of each order, in its own 1 GiB slot above 1 TiB */
	for (order = 0; order <= KHO_MEM_MAX_ORDER; order++) {
		unsigned long pfn = TIB_PFN + ((unsigned long)order << GIB_ORDER);

		KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, pfn, order), 0);
		bytes += PAGE_SIZE << order;
	}
	kho_mem_get_stats(t, &st);
	KUNIT_EXPECT_EQ(test, st.nr_units, KHO_MEM_MAX_ORDER + 1);
	KUNIT_EXPECT_EQ(test, st.nr_bytes, bytes);

	for (order = 0; order <= KHO_MEM_MAX_ORDER; order++) {
		unsigned long pfn = TIB_PFN + ((unsigned long)order << GIB_ORDER);
		unsigned long last = pfn + (1UL << order) - 1;

		KUNIT_EXPECT_TRUE(test, kho_mem_lookup(t, last, &unit));
		KUNIT_EXPECT_EQ(test, unit.pfn, pfn);
		KUNIT_EXPECT_EQ(test, unit.order, order);
		if (order < KHO_MEM_MAX_ORDER)
			KUNIT_EXPECT_FALSE(test, kho_mem_lookup(t, last + 1,
								NULL));
	}
	for (order = 0; order <= KHO_MEM_MAX_ORDER; order++) {
		unsigned long pfn = TIB_PFN + ((unsigned long)order << GIB_ORDER);

		KUNIT_EXPECT_EQ(test, kho_mem_unpreserve(t, pfn, order), 0);
	}
	kho_mem_get_stats(t, &st);
	KUNIT_EXPECT_EQ(test, st.nr_units, 0);
	KUNIT_EXPECT_EQ(test, st.meta_bytes, 0);
	kho_mem_destroy(t);
}

static void tracker_gib_units(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	unsigned long pfn = 4 * TIB_PFN, step = 1UL << GIB_ORDER;
	struct kho_mem_unit unit;
	struct kho_mem_stats st;
	int i;

	for (i = 0; i < 64; i++)
		KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, pfn + i * step,
						       GIB_ORDER), 0);
	kho_mem_get_stats(t, &st);
	KUNIT_EXPECT_EQ(test, st.nr_bytes, 64ULL << 30);
	KUNIT_EXPECT_EQ(test, st.nr_leaves, 1);
	KUNIT_EXPECT_TRUE(test, kho_mem_lookup(t, pfn + 5 * step + 12345,
					       &unit));
	KUNIT_EXPECT_EQ(test, unit.pfn, pfn + 5 * step);
	KUNIT_EXPECT_EQ(test, unit.order, GIB_ORDER);
	KUNIT_EXPECT_EQ(test, kho_mem_preserve(t, pfn - 512, 9), 0);
	kho_mem_destroy(t);
}

static void tracker_range_split(struct kunit *test)
{
	static const struct kho_mem_unit want[] = {
		{ 3, 0 }, { 4, 2 }, { 8, 3 }, { 16, 4 }, { 32, 0 },
	};
	struct kho_mem_tracker *t = new_tracker(test);
	struct kho_snapshot s, empty;
	unsigned int i;

	take_snapshot(test, t, &empty, 8);
	KUNIT_ASSERT_EQ(test, kho_mem_preserve_range(t, 3, 30), 0);
	take_snapshot(test, t, &s, 8);
	KUNIT_ASSERT_EQ(test, s.nr, ARRAY_SIZE(want));
	for (i = 0; i < s.nr; i++) {
		KUNIT_EXPECT_EQ(test, s.units[i].pfn, want[i].pfn);
		KUNIT_EXPECT_EQ(test, s.units[i].order, want[i].order);
	}
	KUNIT_EXPECT_EQ(test, s.stats.nr_bytes, 30 * PAGE_SIZE);

	/* a range that meets a preserved unit half way leaves nothing behind */
	KUNIT_EXPECT_EQ(test, kho_mem_preserve_range(t, 30, 3), -EEXIST);
	KHO_ASSERT_SAME(test, t, &s);
	/* unpreserve of a range that was not preserved as such */
	KUNIT_EXPECT_EQ(test, kho_mem_unpreserve_range(t, 3, 31), -ENOENT);
	KUNIT_EXPECT_EQ(test, kho_mem_unpreserve_range(t, 3, 28), -ENOENT);
	KHO_ASSERT_SAME(test, t, &s);

	KUNIT_EXPECT_EQ(test, kho_mem_unpreserve_range(t, 3, 30), 0);
	KHO_ASSERT_SAME(test, t, &empty);
	kho_mem_destroy(t);
}

static void tracker_range_gib(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	unsigned long nr = 16UL << GIB_ORDER;	/* 16 GiB */
	struct kho_snapshot s;

	KUNIT_ASSERT_EQ(test, kho_mem_preserve_range(t, TIB_PFN, nr), 0);
	take_snapshot(test, t, &s, 32);
	KUNIT_EXPECT_EQ(test, s.nr, 16);
	KUNIT_EXPECT_EQ(test, s.units[0].order, GIB_ORDER);
	KUNIT_EXPECT_EQ(test, s.stats.nr_bytes, 16ULL << 30);
	KUNIT_EXPECT_EQ(test, kho_mem_unpreserve_range(t, TIB_PFN, nr), 0);
	kho_mem_destroy(t);
}

static void tracker_leaf_conversion(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	unsigned long base = 3 * KHO_MEM_LEAF_UNITS, i;
	struct kho_snapshot before;
	struct kho_mem_stats st;

	/* every other unit, so nothing coalesces by accident */
	for (i = 0; i < KHO_MEM_SPARSE_LIMIT; i++)
		KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, base + 2 * i, 0), 0);
	kho_mem_get_stats(t, &st);
	KUNIT_EXPECT_EQ(test, st.nr_leaves, 1);
	KUNIT_EXPECT_EQ(test, st.nr_bitmap_leaves, 0);
	KUNIT_EXPECT_LE(test, st.meta_bytes, PAGE_SIZE + 128);
	take_snapshot(test, t, &before, KHO_MEM_SPARSE_LIMIT + 2);

	KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, base + 1, 0), 0);
	kho_mem_get_stats(t, &st);
	KUNIT_EXPECT_EQ(test, st.nr_bitmap_leaves, 1);
	KUNIT_EXPECT_TRUE(test, kho_mem_lookup(t, base + 1, NULL));
	KUNIT_EXPECT_TRUE(test, kho_mem_lookup(t, base + 2, NULL));
	KUNIT_EXPECT_FALSE(test, kho_mem_lookup(t, base + 3, NULL));

	/* shrinking back restores the sparse leaf, byte for byte */
	KUNIT_ASSERT_EQ(test, kho_mem_unpreserve(t, base + 1, 0), 0);
	KHO_ASSERT_SAME(test, t, &before);
	kho_mem_destroy(t);
}

static void tracker_dense_metadata(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	unsigned long i, nr = 4 * KHO_MEM_LEAF_UNITS;
	struct kho_mem_stats st;

	for (i = 0; i < nr; i++)
		KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, i, 0), 0);
	kho_mem_get_stats(t, &st);
	KUNIT_EXPECT_EQ(test, st.nr_leaves, 4);
	KUNIT_EXPECT_EQ(test, st.nr_bitmap_leaves, 4);
	/* one bit per page, plus a little */
	KUNIT_EXPECT_GE(test, st.meta_bytes, 4 * PAGE_SIZE);
	KUNIT_EXPECT_LE(test, st.meta_bytes, 4 * PAGE_SIZE + 512);
	kho_mem_destroy(t);
}

static int cmp_unit(const void *a, const void *b)
{
	const struct kho_mem_unit *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

/* Does (@pfn, @order) overlap one of the @nr units of @u? */
static bool overlaps_any(const struct kho_mem_unit *u, unsigned int nr,
			 unsigned long pfn, unsigned int order)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		if (pfn < u[i].pfn + (1UL << u[i].order) &&
		    u[i].pfn < pfn + (1UL << order))
			return true;
	}
	return false;
}

static void tracker_iteration_order(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	struct kho_mem_unit *want;
	struct rnd_state rnd;
	struct kho_snapshot s;
	unsigned int i, nr = 0, tries;

	want = kunit_kcalloc(test, 2000, sizeof(*want), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, want);
	prandom_seed_state(&rnd, 42);
	for (tries = 0; tries < 4000 && nr < 2000; tries++) {
		unsigned int order = prandom_u32_state(&rnd) % 12;
		unsigned long pfn = prandom_u32_state(&rnd) % (1UL << 22);

		pfn = (TIB_PFN + pfn) & ~((1UL << order) - 1);
		if (overlaps_any(want, nr, pfn, order))
			continue;
		KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, pfn, order), 0);
		want[nr++] = (struct kho_mem_unit){ pfn, order };
	}
	KUNIT_ASSERT_GT(test, nr, 100);
	sort(want, nr, sizeof(*want), cmp_unit, NULL);

	take_snapshot(test, t, &s, nr);
	KUNIT_ASSERT_EQ(test, s.nr, nr);
	for (i = 0; i < nr; i++) {
		KUNIT_EXPECT_EQ(test, s.units[i].pfn, want[i].pfn);
		KUNIT_EXPECT_EQ(test, s.units[i].order, want[i].order);
		if (i)
			KUNIT_EXPECT_GE(test, s.units[i].pfn,
					s.units[i - 1].pfn +
					(1UL << s.units[i - 1].order));
	}
	kho_mem_destroy(t);
}

/*
 * Random preserves and unpreserves in one leaf, against a bitmap of what
 * must be there: every answer, every lookup and the ordered visit agree
 * with it, through the sparse table's growth, shrinking and deletions and
 * the leaf's conversions to a bitmap and back.
 */
static void tracker_sparse_churn(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	unsigned long *want, base = 3 * KHO_MEM_LEAF_UNITS, off;
	unsigned int i, span = 4096, nr = 0;
	struct rnd_state rnd;
	struct kho_snapshot s;

	want = kunit_kzalloc(test, BITS_TO_LONGS(span) * sizeof(long),
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, want);
	prandom_seed_state(&rnd, 7);
	for (i = 0; i < 20000; i++) {
		/* grow past the sparse limit, then shrink below it */
		bool add = prandom_u32_state(&rnd) % 100 < (i < 10000 ? 55 : 10);

		off = prandom_u32_state(&rnd) % span;
		if (add) {
			KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, base + off, 0),
					test_bit(off, want) ? -EEXIST : 0);
			nr += !__test_and_set_bit(off, want);
		} else {
			KUNIT_ASSERT_EQ(test, kho_mem_unpreserve(t, base + off, 0),
					test_bit(off, want) ? 0 : -ENOENT);
			nr -= __test_and_clear_bit(off, want);
		}
	}
	for (off = 0; off < span; off++)
		KUNIT_EXPECT_EQ(test, kho_mem_lookup(t, base + off, NULL),
				test_bit(off, want));
	take_snapshot(test, t, &s, nr);
	KUNIT_ASSERT_EQ(test, s.nr, nr);
	off = 0;
	for (i = 0; i < nr; i++) {
		off = find_next_bit(want, span, off);
		KUNIT_EXPECT_EQ(test, s.units[i].pfn, base + off);
		off++;
	}
	kho_mem_destroy(t);
}

static int stop_after_three(void *arg, const struct kho_mem_unit *unit)
{
	int *seen = arg;

	return ++*seen == 3 ? -EINTR : 0;
}

static void tracker_iteration_stops(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	int i, seen = 0;

	for (i = 0; i < 10; i++)
		KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, 8 * i, 0), 0);
	KUNIT_EXPECT_EQ(test, kho_mem_visit_units(t, stop_after_three, &seen),
			-EINTR);
	KUNIT_EXPECT_EQ(test, seen, 3);
	kho_mem_destroy(t);
}

static void fail_nth_reset(void *t)
{
	kho_mem_fail_nth(t, 0);
}

/*
 * Make the Nth allocation fail for N = 1, 2, ... until the call succeeds:
 * every failure must report -ENOMEM and leave the tracker as it was.  The
 * injection is cleared however the test ends.
 */
static void expect_enomem_clean(struct kunit *test, struct kho_mem_tracker *t,
				int (*op)(struct kho_mem_tracker *t, void *arg),
				void *arg, unsigned int max_units)
{
	struct kho_snapshot s;
	unsigned int n;
	int err;

	take_snapshot(test, t, &s, max_units);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fail_nth_reset, t),
			0);
	for (n = 1; n < 64; n++) {
		kho_mem_fail_nth(t, n);
		err = op(t, arg);
		if (!err)
			break;
		KUNIT_EXPECT_EQ(test, err, -ENOMEM);
		KHO_ASSERT_SAME(test, t, &s);
	}
	kunit_release_action(test, fail_nth_reset, t);
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_GT(test, n, 1);
}

struct unit_arg {
	unsigned long pfn;
	unsigned long nr;
};

static int op_preserve(struct kho_mem_tracker *t, void *arg)
{
	struct unit_arg *u = arg;

	return kho_mem_preserve(t, u->pfn, u->nr);
}

static int op_preserve_range(struct kho_mem_tracker *t, void *arg)
{
	struct unit_arg *u = arg;

	return kho_mem_preserve_range(t, u->pfn, u->nr);
}

static void tracker_alloc_failure(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	unsigned long base = 7 * KHO_MEM_LEAF_UNITS, i;
	struct unit_arg u;

	/* new order and new leaf */
	u = (struct unit_arg){ .pfn = 64, .nr = 3 };
	expect_enomem_clean(test, t, op_preserve, &u, 8);
	/* new leaf in an existing order */
	u = (struct unit_arg){ .pfn = 5 * KHO_MEM_LEAF_UNITS * 8, .nr = 3 };
	expect_enomem_clean(test, t, op_preserve, &u, 8);
	/* growing a sparse leaf: 6 units fill the first table of 8 slots */
	for (i = 0; i < 6; i++)
		KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, base + 2 * i, 0), 0);
	u = (struct unit_arg){ .pfn = base + 101, .nr = 0 };
	expect_enomem_clean(test, t, op_preserve, &u, 16);
	/* turning a full sparse leaf into a bitmap page */
	for (i = 7; i < KHO_MEM_SPARSE_LIMIT; i++)
		KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, base + 2 * i, 0), 0);
	u = (struct unit_arg){ .pfn = base + 1, .nr = 0 };
	expect_enomem_clean(test, t, op_preserve, &u, KHO_MEM_SPARSE_LIMIT + 8);
	/* a range of many units over several orders and leaves */
	u = (struct unit_arg){ .pfn = TIB_PFN - 3, .nr = 3 + (1UL << 19) + 5 };
	expect_enomem_clean(test, t, op_preserve_range, &u,
			    KHO_MEM_SPARSE_LIMIT + 32);
	kho_mem_destroy(t);
}

/*
 * Units of different orders that overlap are each accepted, and the
 * serialization refuses the tracker, naming the two units, until one goes.
 */
static void tracker_overlap_serialize(struct kunit *test)
{
	static const struct {
		unsigned long pfn;
		unsigned int order;
		struct kho_mem_unit first, second;
	} cases[] = {
		/* inside the order-9 unit at 512, at its end, around it */
		{ 600, 0, { 512, 9 }, { 600, 0 } },
		{ 1016, 3, { 512, 9 }, { 1016, 3 } },
		{ 0, 10, { 0, 10 }, { 512, 9 } },
		{ 0, KHO_MEM_MAX_ORDER, { 0, KHO_MEM_MAX_ORDER }, { 512, 9 } },
		/* inside the order-1 unit at 1024; a 1 GiB unit elsewhere */
		{ 1024 + 1, 0, { 1024, 1 }, { 1025, 0 } },
	};
	struct kho_mem_tracker *t = new_tracker(test);
	struct kho_mem_chunks chunks;
	struct kho_snapshot s;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, 512, 9), 0);
	KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, 1024, 1), 0);
	KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, 4 * TIB_PFN, GIB_ORDER), 0);
	take_snapshot(test, t, &s, 8);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, cases[i].pfn,
						       cases[i].order), 0);
		KUNIT_EXPECT_EQ(test, kho_mem_serialize(t, &chunks), -EEXIST);
		KUNIT_EXPECT_EQ(test, chunks.head, 0);
		KUNIT_EXPECT_EQ(test, chunks.nr_chunks, 0);
		KUNIT_EXPECT_EQ(test, chunks.overlap[0].pfn, cases[i].first.pfn);
		KUNIT_EXPECT_EQ(test, chunks.overlap[0].order,
				cases[i].first.order);
		KUNIT_EXPECT_EQ(test, chunks.overlap[1].pfn,
				cases[i].second.pfn);
		KUNIT_EXPECT_EQ(test, chunks.overlap[1].order,
				cases[i].second.order);
		KUNIT_EXPECT_EQ(test, kho_mem_unpreserve(t, cases[i].pfn,
							 cases[i].order), 0);
		KHO_ASSERT_SAME(test, t, &s);
	}

	/* a range across the start of the order-9 unit */
	KUNIT_ASSERT_EQ(test, kho_mem_preserve_range(t, 500, 20), 0);
	KUNIT_EXPECT_EQ(test, kho_mem_serialize(t, &chunks), -EEXIST);
	KUNIT_EXPECT_EQ(test, chunks.overlap[0].pfn, 512);
	KUNIT_EXPECT_EQ(test, chunks.overlap[0].order, 3);
	KUNIT_EXPECT_EQ(test, chunks.overlap[1].pfn, 512);
	KUNIT_EXPECT_EQ(test, chunks.overlap[1].order, 9);
	KUNIT_EXPECT_EQ(test, kho_mem_unpreserve_range(t, 500, 20), 0);

	KUNIT_ASSERT_EQ(test, kho_mem_serialize(t, &chunks), 0);
	KUNIT_EXPECT_NE(test, chunks.head, 0);
	kho_mem_chunks_free(&chunks);
	kho_mem_destroy(t);
}

#define NR_THREADS	4
#define NR_SHARED	512

struct race {
	struct kho_mem_tracker *t;
	struct completion start;
	atomic_t won;
	atomic_t errors;
	atomic_t done;
	struct completion all_done;
};

struct race_thread {
	struct race *race;
	int id;
};

static int race_fn(void *arg)
{
	struct race_thread *rt = arg;
	struct race *r = rt->race;
	unsigned long mine = (2 + rt->id) * KHO_MEM_LEAF_UNITS * 4;
	struct rnd_state rnd;
	int i, err;

	prandom_seed_state(&rnd, rt->id);
	wait_for_completion(&r->start);
	for (i = 0; i < NR_SHARED; i++) {
		/* every thread tries every shared unit; exactly one wins */
		err = kho_mem_preserve(r->t, 8 * i, i % 4);
		if (!err)
			atomic_inc(&r->won);
		else if (err != -EEXIST)
			atomic_inc(&r->errors);
		/* private units: preserved, some unpreserved again */
		err = kho_mem_preserve(r->t, mine + 2 * i, 0);
		if (err)
			atomic_inc(&r->errors);
		if (prandom_u32_state(&rnd) & 1) {
			if (kho_mem_unpreserve(r->t, mine + 2 * i, 0))
				atomic_inc(&r->errors);
			if (kho_mem_preserve(r->t, mine + 2 * i, 0))
				atomic_inc(&r->errors);
		}
		if (!(i % 16))
			cond_resched();
	}
	if (atomic_inc_return(&r->done) == NR_THREADS)
		complete(&r->all_done);
	return 0;
}

static void tracker_concurrent(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	struct race_thread rt[NR_THREADS];
	struct task_struct *tasks[NR_THREADS];
	struct race r = { .t = t };
	struct kho_mem_stats st;
	int i;

	init_completion(&r.start);
	init_completion(&r.all_done);
	for (i = 0; i < NR_THREADS; i++) {
		rt[i] = (struct race_thread){ .race = &r, .id = i };
		tasks[i] = kthread_run(race_fn, &rt[i], "kho_mem_race/%d", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(tasks[i]));
	}
	complete_all(&r.start);
	wait_for_completion(&r.all_done);

	KUNIT_EXPECT_EQ(test, atomic_read(&r.errors), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&r.won), NR_SHARED);
	kho_mem_get_stats(t, &st);
	KUNIT_EXPECT_EQ(test, st.nr_units, NR_SHARED + NR_THREADS * NR_SHARED);
	for (i = 0; i < NR_SHARED; i++)
		KUNIT_EXPECT_TRUE(test, kho_mem_lookup(t, 8 * i, NULL));
	kho_mem_destroy(t);
}

#define NR_DENSE	3
#define DENSE_PAGES	20000

/* Dense order-0 pages, mostly through preserve's fast path. */
static int dense_fn(void *arg)
{
	struct race_thread *rt = arg;
	struct race *r = rt->race;
	unsigned long base = (1 + rt->id) * 4 * KHO_MEM_LEAF_UNITS, i;

	wait_for_completion(&r->start);
	for (i = 0; i < DENSE_PAGES; i++) {
		if (kho_mem_preserve(r->t, base + i, 0))
			atomic_inc(&r->errors);
		if (!(i % 64))
			cond_resched();
	}
	if (atomic_inc_return(&r->done) == NR_DENSE + 1)
		complete(&r->all_done);
	return 0;
}

/* Other orders come and go, so the fast path must step aside and back. */
static int toggle_fn(void *arg)
{
	struct race_thread *rt = arg;
	struct race *r = rt->race;
	unsigned long far = 64 * KHO_MEM_LEAF_UNITS;
	int i;

	wait_for_completion(&r->start);
	for (i = 0; i < 500; i++) {
		if (kho_mem_preserve(r->t, far, 3) ||
		    kho_mem_preserve(r->t, far + 64, 1) ||
		    kho_mem_unpreserve(r->t, far + 64, 1) ||
		    kho_mem_unpreserve(r->t, far, 3))
			atomic_inc(&r->errors);
		cond_resched();
	}
	if (atomic_inc_return(&r->done) == NR_DENSE + 1)
		complete(&r->all_done);
	return 0;
}

static void tracker_concurrent_fast_path(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	struct race_thread rt[NR_DENSE + 1];
	struct race r = { .t = t };
	struct kho_mem_stats st;
	unsigned long i;
	int k;

	init_completion(&r.start);
	init_completion(&r.all_done);
	for (k = 0; k <= NR_DENSE; k++) {
		struct task_struct *task;

		rt[k] = (struct race_thread){ .race = &r, .id = k };
		task = kthread_run(k < NR_DENSE ? dense_fn : toggle_fn, &rt[k],
				   "kho_mem_mix/%d", k);
		KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	}
	complete_all(&r.start);
	wait_for_completion(&r.all_done);

	KUNIT_EXPECT_EQ(test, atomic_read(&r.errors), 0);
	kho_mem_get_stats(t, &st);
	KUNIT_EXPECT_EQ(test, st.nr_units, NR_DENSE * DENSE_PAGES);
	KUNIT_EXPECT_EQ(test, st.nr_bytes, NR_DENSE * DENSE_PAGES * PAGE_SIZE);
	for (k = 0; k < NR_DENSE; k++) {
		unsigned long base = (1 + k) * 4 * KHO_MEM_LEAF_UNITS;

		for (i = 0; i < DENSE_PAGES; i += 997)
			KUNIT_EXPECT_TRUE(test, kho_mem_lookup(t, base + i, NULL));
		KUNIT_EXPECT_FALSE(test, kho_mem_lookup(t, base + DENSE_PAGES,
							NULL));
	}
	kho_mem_destroy(t);
}

static struct kunit_case kho_mem_tracker_cases[] = {
	KUNIT_CASE(tracker_empty),
	KUNIT_CASE(tracker_preserve_one),
	KUNIT_CASE(tracker_bad_input),
	KUNIT_CASE(tracker_every_order),
	KUNIT_CASE(tracker_gib_units),
	KUNIT_CASE(tracker_range_split),
	KUNIT_CASE(tracker_range_gib),
	KUNIT_CASE(tracker_leaf_conversion),
	KUNIT_CASE(tracker_dense_metadata),
	KUNIT_CASE(tracker_iteration_order),
	KUNIT_CASE(tracker_sparse_churn),
	KUNIT_CASE(tracker_iteration_stops),
	KUNIT_CASE(tracker_alloc_failure),
	KUNIT_CASE(tracker_overlap_serialize),
	KUNIT_CASE(tracker_concurrent),
	KUNIT_CASE(tracker_concurrent_fast_path),
	{}
};

static struct kunit_suite kho_mem_tracker_suite = {
	.name = "kho_mem_tracker",
	.test_cases = kho_mem_tracker_cases,
};

kunit_test_suite(kho_mem_tracker_suite);

MODULE_DESCRIPTION("KUnit tests for the KHO preserved-memory tracker");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
