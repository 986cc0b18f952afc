// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the KHO preserved-memory map: serializing a tracker into
 * a chunk list, and validating and walking that list.
 *
 * Round trips compare what the walk reports with what the tracker holds,
 * range by range and run by run.  Every validation check of the walk has a
 * case that corrupts one field of a good list and expects that check, and
 * no callback, back.
 */

#include <kunit/test.h>
#include <linux/prandom.h>
#include <linux/string.h>

#include "kho_mem_internal.h"

#define TIB_PFN		(1UL << (40 - PAGE_SHIFT))
#define GIB_ORDER	(30 - PAGE_SHIFT)

/* RAM as the tests see it: real memory for chunk pages, and 1..64 TiB. */
static void test_ram(struct kho_mem_range ram[2])
{
	ram[0] = (struct kho_mem_range){ 0, __pa(high_memory - 1) + 1 };
	ram[1] = (struct kho_mem_range){ 1ULL << 40, 64ULL << 40 };
}

struct seen {
	unsigned int nr_ranges, nr_runs, max;
	struct kho_mem_unit *runs;	/* pfn, order; count in @run_units */
	unsigned long *run_units;
	unsigned long *range_pfn, *range_pages, *range_orders;
	int fail_with;
};

static void seen_init(struct kunit *test, struct seen *s, unsigned int max)
{
	memset(s, 0, sizeof(*s));
	s->max = max;
	s->runs = kunit_kcalloc(test, max, sizeof(*s->runs), GFP_KERNEL);
	s->run_units = kunit_kcalloc(test, max, sizeof(long), GFP_KERNEL);
	s->range_pfn = kunit_kcalloc(test, max, sizeof(long), GFP_KERNEL);
	s->range_pages = kunit_kcalloc(test, max, sizeof(long), GFP_KERNEL);
	s->range_orders = kunit_kcalloc(test, max, sizeof(long), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s->runs);
	KUNIT_ASSERT_NOT_NULL(test, s->run_units);
	KUNIT_ASSERT_NOT_NULL(test, s->range_pfn);
	KUNIT_ASSERT_NOT_NULL(test, s->range_pages);
	KUNIT_ASSERT_NOT_NULL(test, s->range_orders);
}

static int seen_range(void *arg, unsigned long pfn, unsigned long nr_pages,
		      unsigned long orders)
{
	struct seen *s = arg;

	if (s->fail_with)
		return s->fail_with;
	if (s->nr_ranges == s->max)
		return -ENOSPC;
	s->range_pfn[s->nr_ranges] = pfn;
	s->range_pages[s->nr_ranges] = nr_pages;
	s->range_orders[s->nr_ranges] = orders;
	s->nr_ranges++;
	return 0;
}

static int seen_run(void *arg, unsigned long pfn, unsigned int order,
		    unsigned long nr_units)
{
	struct seen *s = arg;

	if (s->nr_runs == s->max)
		return -ENOSPC;
	s->runs[s->nr_runs] = (struct kho_mem_unit){ pfn, order };
	s->run_units[s->nr_runs] = nr_units;
	s->nr_runs++;
	return 0;
}

static const struct kho_mem_walk_ops seen_ops = {
	.range = seen_range,
	.run = seen_run,
};

/* What the walk should report, computed from the tracker's own units. */
struct expect {
	struct seen s;
	u64 nr_units;
};

static int expect_unit(void *arg, const struct kho_mem_unit *u)
{
	struct expect *e = arg;
	struct seen *s = &e->s;
	unsigned long end = u->pfn + (1UL << u->order);

	e->nr_units++;
	if (s->nr_runs) {
		struct kho_mem_unit *r = &s->runs[s->nr_runs - 1];
		unsigned long *n = &s->run_units[s->nr_runs - 1];

		if (r->order == u->order && r->pfn + (*n << r->order) == u->pfn)
			(*n)++;
		else if (seen_run(s, u->pfn, u->order, 1))
			return -ENOSPC;
	} else if (seen_run(s, u->pfn, u->order, 1)) {
		return -ENOSPC;
	}
	if (s->nr_ranges &&
	    s->range_pfn[s->nr_ranges - 1] +
	    s->range_pages[s->nr_ranges - 1] == u->pfn) {
		s->range_pages[s->nr_ranges - 1] = end - s->range_pfn[s->nr_ranges - 1];
		s->range_orders[s->nr_ranges - 1] |= BIT(u->order);
		return 0;
	}
	return seen_range(s, u->pfn, 1UL << u->order, BIT(u->order));
}

/* Serialize @t, walk the list, and compare with the tracker's units. */
static void round_trip(struct kunit *test, struct kho_mem_tracker *t,
		       unsigned int max, struct kho_mem_walk_result *res)
{
	struct kho_mem_walk_args args = { .nr_ram = 2 };
	struct kho_mem_chunks chunks;
	struct kho_mem_range ram[2];
	struct expect want = {};
	struct seen got;
	unsigned int i;

	seen_init(test, &want.s, max);
	seen_init(test, &got, max);
	KUNIT_ASSERT_EQ(test, kho_mem_visit_units(t, expect_unit, &want), 0);

	KUNIT_ASSERT_EQ(test, kho_mem_serialize(t, &chunks), 0);
	test_ram(ram);
	args.ram = ram;
	args.head = chunks.head;
	KUNIT_EXPECT_EQ(test, kho_mem_walk(&args, &seen_ops, &got, res), 0);
	KUNIT_EXPECT_EQ(test, res->check, KHO_MEM_CHECK_OK);
	KUNIT_EXPECT_EQ(test, res->nr_chunks, chunks.nr_chunks);
	kho_mem_chunks_free(&chunks);

	KUNIT_EXPECT_EQ(test, res->nr_units, want.nr_units);
	KUNIT_EXPECT_EQ(test, res->nr_ranges, got.nr_ranges);
	KUNIT_EXPECT_EQ(test, res->nr_runs, got.nr_runs);
	KUNIT_ASSERT_EQ(test, got.nr_ranges, want.s.nr_ranges);
	KUNIT_ASSERT_EQ(test, got.nr_runs, want.s.nr_runs);
	for (i = 0; i < got.nr_ranges; i++) {
		KUNIT_EXPECT_EQ(test, got.range_pfn[i], want.s.range_pfn[i]);
		KUNIT_EXPECT_EQ(test, got.range_pages[i], want.s.range_pages[i]);
		KUNIT_EXPECT_EQ(test, got.range_orders[i],
				want.s.range_orders[i]);
	}
	for (i = 0; i < got.nr_runs; i++) {
		KUNIT_EXPECT_EQ(test, got.runs[i].pfn, want.s.runs[i].pfn);
		KUNIT_EXPECT_EQ(test, got.runs[i].order, want.s.runs[i].order);
		KUNIT_EXPECT_EQ(test, got.run_units[i], want.s.run_units[i]);
	}
}

static struct kho_mem_tracker *new_tracker(struct kunit *test)
{
	struct kho_mem_tracker *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	kho_mem_init(t);
	return t;
}

static void serialize_empty(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	struct kho_mem_walk_args args = {};
	struct kho_mem_walk_result res;
	struct kho_mem_chunks chunks;
	struct seen got;

	seen_init(test, &got, 4);
	KUNIT_ASSERT_EQ(test, kho_mem_serialize(t, &chunks), 0);
	KUNIT_EXPECT_EQ(test, chunks.head, 0);
	KUNIT_EXPECT_EQ(test, chunks.nr_chunks, 0);
	KUNIT_EXPECT_EQ(test, kho_mem_walk(&args, &seen_ops, &got, &res), 0);
	KUNIT_EXPECT_EQ(test, got.nr_ranges, 0);
	KUNIT_EXPECT_EQ(test, res.nr_units, 0);
	kho_mem_destroy(t);
}

static void serialize_coalesces_orders(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	unsigned long base = 2 * TIB_PFN, p = base;
	struct kho_mem_walk_result res;
	struct kho_mem_walk_args args = { .nr_ram = 2 };
	struct kho_mem_range ram[2];
	struct kho_mem_chunks chunks;
	struct seen got;

	/*
	 * [base - 512, base + 2^18 + 8): a 2 MiB unit, a 1 GiB unit, two
	 * 4 KiB pages, 8 and 16 KiB units; then an isolated page after a gap.
	 */
	KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, p - 512, 9), 0);
	KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, p, GIB_ORDER), 0);
	p += 1UL << GIB_ORDER;
	KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, p, 0), 0);
	KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, p + 1, 0), 0);
	KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, p + 4, 2), 0);
	KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, p + 2, 1), 0);
	KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, p + 100, 0), 0);

	seen_init(test, &got, 16);
	KUNIT_ASSERT_EQ(test, kho_mem_serialize(t, &chunks), 0);
	test_ram(ram);
	args.ram = ram;
	args.head = chunks.head;
	KUNIT_ASSERT_EQ(test, kho_mem_walk(&args, &seen_ops, &got, &res), 0);
	kho_mem_chunks_free(&chunks);

	KUNIT_ASSERT_EQ(test, got.nr_ranges, 2);
	KUNIT_EXPECT_EQ(test, got.range_pfn[0], base - 512);
	KUNIT_EXPECT_EQ(test, got.range_pages[0], 512 + (1UL << GIB_ORDER) + 8);
	KUNIT_EXPECT_EQ(test, got.range_orders[0],
			BIT(9) | BIT(GIB_ORDER) | BIT(0) | BIT(1) | BIT(2));
	KUNIT_EXPECT_EQ(test, got.range_pfn[1], p + 100);
	KUNIT_EXPECT_EQ(test, got.range_pages[1], 1);
	/* runs: o9, o18, o0 x2, o1, o2, o0 */
	KUNIT_ASSERT_EQ(test, got.nr_runs, 6);
	KUNIT_EXPECT_EQ(test, got.runs[2].pfn, p);
	KUNIT_EXPECT_EQ(test, got.runs[2].order, 0);
	KUNIT_EXPECT_EQ(test, got.run_units[2], 2);
	KUNIT_EXPECT_EQ(test, res.nr_units, 7);
	KUNIT_EXPECT_EQ(test, res.nr_pages, 512 + (1UL << GIB_ORDER) + 9);
	kho_mem_destroy(t);
}

static void serialize_dense_one_range(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	unsigned long i, nr = 4 * KHO_MEM_LEAF_UNITS;
	struct kho_mem_walk_result res;

	for (i = 0; i < nr; i++)
		KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, TIB_PFN + i, 0), 0);
	round_trip(test, t, 8, &res);
	KUNIT_EXPECT_EQ(test, res.nr_ranges, 1);
	KUNIT_EXPECT_EQ(test, res.nr_runs, 1);
	KUNIT_EXPECT_EQ(test, res.nr_pages, nr);
	kho_mem_destroy(t);
}

static void serialize_gib_units(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	struct kho_mem_walk_result res;

	KUNIT_ASSERT_EQ(test, kho_mem_preserve_range(t, 2 * TIB_PFN,
						     16UL << GIB_ORDER), 0);
	round_trip(test, t, 4, &res);
	KUNIT_EXPECT_EQ(test, res.nr_units, 16);
	KUNIT_EXPECT_EQ(test, res.nr_ranges, 1);
	KUNIT_EXPECT_EQ(test, res.nr_runs, 1);
	KUNIT_EXPECT_EQ(test, res.nr_chunks, 1);
	kho_mem_destroy(t);
}

static void serialize_many_chunks(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	struct kho_mem_walk_result res;
	unsigned long i;

	/* 600 leaves holding a few units each spill over several chunks */
	for (i = 0; i < 600; i++) {
		unsigned long leaf = TIB_PFN + i * 3 * KHO_MEM_LEAF_UNITS;

		KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, leaf + 7, 0), 0);
		KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, leaf + 9, 0), 0);
		KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, leaf + 10, 1), 0);
	}
	round_trip(test, t, 2000, &res);
	KUNIT_EXPECT_GE(test, res.nr_chunks, 4);
	KUNIT_EXPECT_EQ(test, res.nr_ranges, 1200);
	kho_mem_destroy(t);
}

/* Random mixed orders at TiB-scale addresses, in clusters that touch. */
static void serialize_random_round_trip(struct kunit *test)
{
	struct kho_mem_walk_result res;
	struct rnd_state rnd;
	unsigned int seed;

	for (seed = 1; seed <= 4; seed++) {
		struct kho_mem_tracker *t = new_tracker(test);
		unsigned int c, nr = 0;

		prandom_seed_state(&rnd, seed);
		for (c = 0; c < 300; c++) {
			unsigned long pfn = TIB_PFN +
				((u64)prandom_u32_state(&rnd) << 8) %
				(60UL * TIB_PFN);
			unsigned int k, len = prandom_u32_state(&rnd) % 20;

			for (k = 0; k < len; k++) {
				unsigned int max = pfn ? __ffs(pfn) : 0;
				unsigned int order = prandom_u32_state(&rnd) %
						     (KHO_MEM_MAX_ORDER + 1);

				order = min(order, max);
				if (prandom_u32_state(&rnd) % 8 == 0)
					order = 0;
				if (!kho_mem_preserve(t, pfn, order))
					nr++;
				pfn += 1UL << order;
				if (prandom_u32_state(&rnd) % 6 == 0)
					pfn += 1 + prandom_u32_state(&rnd) % 64;
			}
		}
		KUNIT_ASSERT_GT(test, nr, 1000);
		round_trip(test, t, nr + 1, &res);
		KUNIT_EXPECT_EQ(test, res.nr_units, nr);
		kho_mem_destroy(t);
	}
}

static void fail_nth_reset(void *t)
{
	kho_mem_fail_nth(t, 0);
}

/* Each of the first three chunk pages in turn cannot be allocated. */
static void serialize_alloc_failure(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	struct kho_mem_chunks chunks;
	unsigned long i;

	for (i = 0; i < 400; i++)
		KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, TIB_PFN + i *
						       KHO_MEM_LEAF_UNITS, 0), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fail_nth_reset, t),
			0);
	for (i = 1; i <= 3; i++) {
		kho_mem_fail_nth(t, i);
		KUNIT_EXPECT_EQ(test, kho_mem_serialize(t, &chunks), -ENOMEM);
		KUNIT_EXPECT_EQ(test, chunks.head, 0);
		KUNIT_EXPECT_EQ(test, chunks.nr_chunks, 0);
	}
	kunit_release_action(test, fail_nth_reset, t);
	KUNIT_ASSERT_EQ(test, kho_mem_serialize(t, &chunks), 0);
	KUNIT_EXPECT_GE(test, chunks.nr_chunks, 3);
	kho_mem_chunks_free(&chunks);
	kho_mem_destroy(t);
}

static void serialize_callback_error(struct kunit *test)
{
	struct kho_mem_tracker *t = new_tracker(test);
	struct kho_mem_walk_args args = { .nr_ram = 2 };
	struct kho_mem_walk_result res;
	struct kho_mem_range ram[2];
	struct kho_mem_chunks chunks;
	struct seen got;

	KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, TIB_PFN, 0), 0);
	KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, TIB_PFN + 2, 0), 0);
	KUNIT_ASSERT_EQ(test, kho_mem_serialize(t, &chunks), 0);
	test_ram(ram);
	args.ram = ram;
	args.head = chunks.head;
	seen_init(test, &got, 4);
	got.fail_with = -EIO;
	KUNIT_EXPECT_EQ(test, kho_mem_walk(&args, &seen_ops, &got, &res), -EIO);
	KUNIT_EXPECT_EQ(test, res.check, KHO_MEM_CHECK_OK);
	/* validation alone needs no callbacks */
	KUNIT_EXPECT_EQ(test, kho_mem_walk(&args, NULL, NULL, &res), 0);
	KUNIT_EXPECT_EQ(test, res.nr_units, 2);
	/* unsorted RAM is the caller's bug */
	swap(ram[0], ram[1]);
	KUNIT_EXPECT_EQ(test, kho_mem_walk(&args, NULL, NULL, &res), -EINVAL);
	kho_mem_chunks_free(&chunks);
	kho_mem_destroy(t);
}

static int count_range(void *arg, unsigned long pfn, unsigned long nr_pages,
		       unsigned long orders)
{
	(*(unsigned long *)arg)++;
	return 0;
}

static const struct kho_mem_walk_ops count_ops = { .range = count_range };

/*
 * Flip random bytes of a good list, chunk and bitmap pages alike, many
 * times: every walk must return 0 or -EINVAL, and -EINVAL with a named
 * check and no callback.  RAM is given as memory that is really mapped
 * (UML leaves holes in the pages of its own image, below what it
 * allocates from), so a walk that followed a pointer it should have
 * refused would crash the test.
 */
static void serialize_random_corruption(struct kunit *test)
{
	unsigned long top = (__pa(high_memory - 1) + 1) >> PAGE_SHIFT;
	unsigned long w = (top - KHO_MEM_LEAF_UNITS) & ~KHO_MEM_LEAF_MASK;
	struct kho_mem_tracker *t = new_tracker(test);
	struct kho_mem_range ram = { .end = PFN_PHYS(top) };
	struct kho_mem_walk_args args = { .ram = &ram, .nr_ram = 1 };
	unsigned long i, low = w, refused = 0;
	struct kho_mem_chunk_entry *entry;
	struct kho_mem_chunk_hdr *chunk;
	struct kho_mem_walk_result res;
	struct kho_mem_chunks chunks;
	void *pages[8], *backup[8];
	struct rnd_state rnd;
	unsigned int n = 0;
	phys_addr_t phys;

	prandom_seed_state(&rnd, 7);
	/* units near the top of RAM: a bitmap leaf and sparse leaves */
	for (i = 0; i <= KHO_MEM_SPARSE_MAX; i++)
		KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, w + i, 0), 0);
	for (i = 0; i < 300; i++)
		KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, w + 8192 + 8 * i, 3), 0);
	for (i = 0; i < 180; i++)
		KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, w + 12288 + 16 * i, 2),
				0);
	for (i = 0; i < 150; i++)
		KUNIT_ASSERT_EQ(test, kho_mem_preserve(t, w + 16384 + 6 * i, 1),
				0);
	KUNIT_ASSERT_EQ(test, kho_mem_serialize(t, &chunks), 0);
	KUNIT_ASSERT_GE(test, chunks.nr_chunks, 2);

	/* the pages a corruption may hit: every chunk, and the bitmap */
	for (phys = chunks.head; phys && n < ARRAY_SIZE(pages) - 1; n++) {
		chunk = kho_mem_va(phys);
		pages[n] = chunk;
		low = min_t(unsigned long, low, PHYS_PFN(phys));
		phys = le64_to_cpu(chunk->next);
	}
	entry = (struct kho_mem_chunk_entry *)((struct kho_mem_chunk_hdr *)pages[0] + 1);
	KUNIT_ASSERT_EQ(test, le16_to_cpu(entry->kind), KHO_MEM_LEAF_BITMAP);
	low = min_t(unsigned long, low, PHYS_PFN(le64_to_cpu(entry->data)));
	pages[n++] = kho_mem_va(le64_to_cpu(entry->data));
	ram.start = PFN_PHYS(low);
	for (i = 0; i < n; i++) {
		backup[i] = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, backup[i]);
		memcpy(backup[i], pages[i], PAGE_SIZE);
	}

	args.head = chunks.head;
	KUNIT_ASSERT_EQ(test, kho_mem_walk(&args, NULL, NULL, &res), 0);
	for (i = 0; i < 3000; i++) {
		unsigned int p = prandom_u32_state(&rnd) % n;
		unsigned int off = prandom_u32_state(&rnd) % PAGE_SIZE;
		unsigned long ranges = 0;
		int ret;

		/* favour headers and entry tables */
		if (prandom_u32_state(&rnd) & 1)
			off %= 256;
		((u8 *)pages[p])[off] ^= 1 + prandom_u32_state(&rnd) % 255;
		ret = kho_mem_walk(&args, &count_ops, &ranges, &res);
		if (ret) {
			refused++;
			KUNIT_EXPECT_EQ(test, ret, -EINVAL);
			KUNIT_EXPECT_NE(test, res.check, KHO_MEM_CHECK_OK);
			KUNIT_EXPECT_EQ(test, ranges, 0);
		} else {
			KUNIT_EXPECT_EQ(test, ranges, res.nr_ranges);
		}
		memcpy(pages[p], backup[p], PAGE_SIZE);
	}
	/*
	 * Not every flip is detectable (a bit moved within a bitmap, a sparse
	 * offset that stays sorted), but many must be.
	 */
	KUNIT_EXPECT_GT(test, refused, 500);
	kho_mem_chunks_free(&chunks);
	kho_mem_destroy(t);
}

static void serialize_check_names(struct kunit *test)
{
	unsigned int i, j;

	for (i = 0; i < KHO_MEM_CHECK_NR; i++) {
		KUNIT_ASSERT_NOT_NULL(test, kho_mem_check_name(i));
		KUNIT_EXPECT_GT(test, strlen(kho_mem_check_name(i)), 1);
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_STRNEQ(test, kho_mem_check_name(i),
					    kho_mem_check_name(j));
	}
	KUNIT_EXPECT_STREQ(test, kho_mem_check_name(KHO_MEM_CHECK_NR),
			   "unknown check");
}

/*
 * The corruption fixture: chunk 0 (order 0) holds a sparse leaf with units
 * at TIB+1, TIB+2, TIB+5 and a bitmap leaf two leaves further up; chunk 1
 * (order 3) holds a sparse leaf with units at TIB + 2^20 + {0, 8, 16}.
 */
struct fixture {
	struct kho_mem_tracker t;
	struct kho_mem_chunks chunks;
	struct kho_mem_range ram[2];
	struct kho_mem_range excluded[1];
	struct kho_mem_walk_args args;
	struct kho_mem_chunk_hdr *c0, *c1;
	struct kho_mem_chunk_entry *sparse, *bitmap, *o3;
	void *backup[2];
};

#define BITMAP_PFN	(TIB_PFN + 2 * KHO_MEM_LEAF_UNITS)
#define O3_PFN		(TIB_PFN + (1UL << 20))

static __le16 *sparse_offs(struct fixture *f)
{
	return (__le16 *)((char *)f->c0 + le64_to_cpu(f->sparse->data));
}

static void c_head_misaligned(struct fixture *f)
{
	f->args.head += 8;
}

static void c_head_not_ram(struct fixture *f)
{
	f->args.ram = &f->ram[1];
	f->args.nr_ram = 1;
}

static void c_head_excluded(struct fixture *f)
{
	f->excluded[0] = (struct kho_mem_range){ f->args.head,
						 f->args.head + 1 };
	f->args.nr_excluded = 1;
}

static void c_max_chunks(struct fixture *f)
{
	f->args.max_chunks = 1;
}

static void c_cycle(struct fixture *f)
{
	f->c1->next = cpu_to_le64(f->args.head);
}

static void c_self_loop(struct fixture *f)
{
	f->c0->next = cpu_to_le64(f->args.head);
}

static void c_magic(struct fixture *f)
{
	f->c1->magic ^= cpu_to_le32(1);
}

static void c_version(struct fixture *f)
{
	f->c0->version = cpu_to_le16(2);
}

static void c_page_shift(struct fixture *f)
{
	f->c0->page_shift++;
}

static void c_order_range(struct fixture *f)
{
	f->c1->order = KHO_MEM_MAX_ORDER + 1;
}

static void c_order_sequence(struct fixture *f)
{
	f->c0->order = 4;
}

static void c_no_entries(struct fixture *f)
{
	f->c0->nr_entries = 0;
}

static void c_too_many_entries(struct fixture *f)
{
	f->c1->nr_entries = cpu_to_le32(KHO_MEM_CHUNK_ENTRIES_MAX + 1);
}

static void c_hdr_reserved(struct fixture *f)
{
	f->c0->reserved = cpu_to_le32(1);
}

static void c_entry_reserved(struct fixture *f)
{
	f->bitmap->reserved = cpu_to_le16(1);
}

static void c_kind(struct fixture *f)
{
	f->sparse->kind = cpu_to_le16(3);
}

static void c_base_misaligned(struct fixture *f)
{
	le64_add_cpu(&f->o3->base, PAGE_SIZE);
}

static void c_base_too_high(struct fixture *f)
{
	f->o3->base = cpu_to_le64(1ULL << 62);
}

static void c_unsorted(struct fixture *f)
{
	f->bitmap->base = f->sparse->base;
}

static void c_data_in_table(struct fixture *f)
{
	f->sparse->data = cpu_to_le64(16);
}

static void c_data_odd(struct fixture *f)
{
	le64_add_cpu(&f->sparse->data, 1);
}

static void c_data_past_end(struct fixture *f)
{
	f->sparse->data = cpu_to_le64(PAGE_SIZE - 2);
}

static void c_data_huge(struct fixture *f)
{
	f->sparse->data = cpu_to_le64(1ULL << 40);
}

static void c_bitmap_misaligned(struct fixture *f)
{
	le64_add_cpu(&f->bitmap->data, 8);
}

static void c_bitmap_not_ram(struct fixture *f)
{
	f->bitmap->data = cpu_to_le64(512ULL << 30);
}

static void c_bitmap_excluded(struct fixture *f)
{
	u64 data = le64_to_cpu(f->bitmap->data);

	f->excluded[0] = (struct kho_mem_range){ data + 100, data + 101 };
	f->args.nr_excluded = 1;
}

static void c_bitmap_count(struct fixture *f)
{
	le32_add_cpu(&f->bitmap->count, 1);
}

static void c_sparse_count_zero(struct fixture *f)
{
	f->sparse->count = 0;
}

static void c_sparse_count_big(struct fixture *f)
{
	f->sparse->count = cpu_to_le32(KHO_MEM_SPARSE_MAX + 1);
}

static void c_offsets_unsorted(struct fixture *f)
{
	swap(sparse_offs(f)[0], sparse_offs(f)[1]);
}

static void c_offsets_beyond(struct fixture *f)
{
	sparse_offs(f)[2] = cpu_to_le16(40000);
}

/* move the order-3 leaf down so that its first unit covers TIB+1..TIB+5 */
static void c_overlap(struct fixture *f)
{
	f->o3->base = cpu_to_le64((u64)TIB_PFN << PAGE_SHIFT);
}

static void c_not_ram(struct fixture *f)
{
	f->ram[1].end = ((u64)BITMAP_PFN << PAGE_SHIFT) + PAGE_SIZE;
}

static void c_excluded(struct fixture *f)
{
	u64 o3 = (u64)O3_PFN << PAGE_SHIFT;

	f->excluded[0] = (struct kho_mem_range){ o3 + 8 * PAGE_SIZE,
						 o3 + 9 * PAGE_SIZE };
	f->args.nr_excluded = 1;
}

struct corruption {
	const char *name;
	void (*corrupt)(struct fixture *f);
	enum kho_mem_check check;
};

static const struct corruption corruptions[] = {
	{ "head misaligned", c_head_misaligned, KHO_MEM_CHECK_CHUNK_ADDR },
	{ "chunk outside RAM", c_head_not_ram, KHO_MEM_CHECK_CHUNK_ADDR },
	{ "chunk in scratch", c_head_excluded, KHO_MEM_CHECK_CHUNK_ADDR },
	{ "too many chunks", c_max_chunks, KHO_MEM_CHECK_CHUNK_COUNT },
	{ "cycle", c_cycle, KHO_MEM_CHECK_CYCLE },
	{ "self loop", c_self_loop, KHO_MEM_CHECK_CYCLE },
	{ "magic", c_magic, KHO_MEM_CHECK_MAGIC },
	{ "version", c_version, KHO_MEM_CHECK_VERSION },
	{ "page shift", c_page_shift, KHO_MEM_CHECK_VERSION },
	{ "order out of range", c_order_range, KHO_MEM_CHECK_ORDER },
	{ "orders out of sequence", c_order_sequence, KHO_MEM_CHECK_ORDER },
	{ "no entries", c_no_entries, KHO_MEM_CHECK_COUNT },
	{ "too many entries", c_too_many_entries, KHO_MEM_CHECK_COUNT },
	{ "header reserved", c_hdr_reserved, KHO_MEM_CHECK_RESERVED },
	{ "entry reserved", c_entry_reserved, KHO_MEM_CHECK_RESERVED },
	{ "unknown kind", c_kind, KHO_MEM_CHECK_KIND },
	{ "base misaligned", c_base_misaligned, KHO_MEM_CHECK_LEAF_BASE },
	{ "base too high", c_base_too_high, KHO_MEM_CHECK_LEAF_BASE },
	{ "leaves unsorted", c_unsorted, KHO_MEM_CHECK_UNSORTED },
	{ "data in entry table", c_data_in_table, KHO_MEM_CHECK_DATA_BOUNDS },
	{ "data odd", c_data_odd, KHO_MEM_CHECK_DATA_BOUNDS },
	{ "data past end", c_data_past_end, KHO_MEM_CHECK_DATA_BOUNDS },
	{ "data far away", c_data_huge, KHO_MEM_CHECK_DATA_BOUNDS },
	{ "bitmap misaligned", c_bitmap_misaligned, KHO_MEM_CHECK_BITMAP_ADDR },
	{ "bitmap outside RAM", c_bitmap_not_ram, KHO_MEM_CHECK_BITMAP_ADDR },
	{ "bitmap in scratch", c_bitmap_excluded, KHO_MEM_CHECK_BITMAP_ADDR },
	{ "bitmap count", c_bitmap_count, KHO_MEM_CHECK_LEAF_COUNT },
	{ "sparse count zero", c_sparse_count_zero, KHO_MEM_CHECK_LEAF_COUNT },
	{ "sparse count big", c_sparse_count_big, KHO_MEM_CHECK_LEAF_COUNT },
	{ "offsets unsorted", c_offsets_unsorted, KHO_MEM_CHECK_OFFSETS },
	{ "offset beyond leaf", c_offsets_beyond, KHO_MEM_CHECK_OFFSETS },
	{ "orders overlap", c_overlap, KHO_MEM_CHECK_OVERLAP },
	{ "unit outside RAM", c_not_ram, KHO_MEM_CHECK_NOT_RAM },
	{ "unit in scratch", c_excluded, KHO_MEM_CHECK_EXCLUDED },
};

static void corruption_desc(const struct corruption *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(corruption, corruptions, corruption_desc);

static void fixture_build(struct kunit *test, struct fixture *f)
{
	struct kho_mem_chunk_entry *e;
	unsigned long i;

	kho_mem_init(&f->t);
	KUNIT_ASSERT_EQ(test, kho_mem_preserve(&f->t, TIB_PFN + 1, 0), 0);
	KUNIT_ASSERT_EQ(test, kho_mem_preserve(&f->t, TIB_PFN + 2, 0), 0);
	KUNIT_ASSERT_EQ(test, kho_mem_preserve(&f->t, TIB_PFN + 5, 0), 0);
	for (i = 0; i <= KHO_MEM_SPARSE_MAX; i++)
		KUNIT_ASSERT_EQ(test, kho_mem_preserve(&f->t, BITMAP_PFN + i, 0),
				0);
	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_EQ(test, kho_mem_preserve(&f->t, O3_PFN + 8 * i, 3),
				0);
	KUNIT_ASSERT_EQ(test, kho_mem_serialize(&f->t, &f->chunks), 0);
	KUNIT_ASSERT_EQ(test, f->chunks.nr_chunks, 2);

	test_ram(f->ram);
	f->args = (struct kho_mem_walk_args){
		.head = f->chunks.head,
		.ram = f->ram, .nr_ram = 2,
		.excluded = f->excluded, .nr_excluded = 0,
	};
	f->c0 = kho_mem_va(f->chunks.head);
	f->c1 = kho_mem_va(le64_to_cpu(f->c0->next));
	e = (struct kho_mem_chunk_entry *)(f->c0 + 1);
	f->sparse = &e[0];
	f->bitmap = &e[1];
	f->o3 = (struct kho_mem_chunk_entry *)(f->c1 + 1);
	KUNIT_ASSERT_EQ(test, le16_to_cpu(f->sparse->kind), KHO_MEM_LEAF_SPARSE);
	KUNIT_ASSERT_EQ(test, le16_to_cpu(f->bitmap->kind), KHO_MEM_LEAF_BITMAP);
	KUNIT_ASSERT_EQ(test, f->c1->order, 3);

	f->backup[0] = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);
	f->backup[1] = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->backup[0]);
	KUNIT_ASSERT_NOT_NULL(test, f->backup[1]);
	memcpy(f->backup[0], f->c0, PAGE_SIZE);
	memcpy(f->backup[1], f->c1, PAGE_SIZE);
}

static void fixture_destroy(struct fixture *f)
{
	memcpy(f->c0, f->backup[0], PAGE_SIZE);
	memcpy(f->c1, f->backup[1], PAGE_SIZE);
	kho_mem_chunks_free(&f->chunks);
	kho_mem_destroy(&f->t);
}

static void serialize_rejects_corruption(struct kunit *test)
{
	const struct corruption *c = test->param_value;
	struct kho_mem_walk_result res;
	struct fixture *f;
	struct seen got;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	fixture_build(test, f);
	seen_init(test, &got, 8);

	/* the untouched fixture is fine */
	KUNIT_ASSERT_EQ(test, kho_mem_walk(&f->args, NULL, NULL, &res), 0);
	KUNIT_ASSERT_EQ(test, res.nr_units, 3 + KHO_MEM_SPARSE_MAX + 1 + 3);

	c->corrupt(f);
	KUNIT_EXPECT_EQ(test, kho_mem_walk(&f->args, &seen_ops, &got, &res),
			-EINVAL);
	KUNIT_EXPECT_EQ_MSG(test, res.check, c->check, "got \"%s\"",
			    kho_mem_check_name(res.check));
	KUNIT_EXPECT_EQ(test, got.nr_ranges, 0);
	KUNIT_EXPECT_EQ(test, got.nr_runs, 0);
	fixture_destroy(f);
}

static struct kunit_case kho_mem_serialize_cases[] = {
	KUNIT_CASE(serialize_empty),
	KUNIT_CASE(serialize_coalesces_orders),
	KUNIT_CASE(serialize_dense_one_range),
	KUNIT_CASE(serialize_gib_units),
	KUNIT_CASE(serialize_many_chunks),
	KUNIT_CASE(serialize_random_round_trip),
	KUNIT_CASE(serialize_alloc_failure),
	KUNIT_CASE(serialize_callback_error),
	KUNIT_CASE(serialize_random_corruption),
	KUNIT_CASE(serialize_check_names),
	KUNIT_CASE_PARAM(serialize_rejects_corruption, corruption_gen_params),
	{}
};

static struct kunit_suite kho_mem_serialize_suite = {
	.name = "kho_mem_serialize",
	.test_cases = kho_mem_serialize_cases,
};

kunit_test_suite(kho_mem_serialize_suite);

MODULE_DESCRIPTION("KUnit tests for the KHO preserved-memory map");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
