/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The workloads of the tracker benchmark, shared by the KUnit suite
 * (bench_kunit.c) and the userspace benchmark (tools/testing/kho_mem), so
 * that both measure the same units in the same order.
 *
 *   A: 16 GiB of dense order-0 pages, one call per page
 *   B: 65,536 scattered order-0 pages over 1 TiB
 *   C: 1 TiB of 1 GiB units
 *   D: 1,048,576 units of orders 0-9 in 64 GiB, in random order
 */
#ifndef _LIB_KHO_MEM_BENCH_WORKLOAD_H
#define _LIB_KHO_MEM_BENCH_WORKLOAD_H

#define KHO_BENCH_TIB_PFN	(1UL << (40 - PAGE_SHIFT))
#define KHO_BENCH_GIB_ORDER	(30 - PAGE_SHIFT)
#define KHO_BENCH_A_PAGES	(16UL << (30 - PAGE_SHIFT))
#define KHO_BENCH_B_PAGES	65536UL
#define KHO_BENCH_C_UNITS	1024UL
#define KHO_BENCH_D_UNITS	BIT(20)

/* A unit of a workload list: pfn << 5 | order. */
#define KHO_BENCH_PFN(u)	((unsigned long)((u) >> 5))
#define KHO_BENCH_ORDER(u)	((unsigned int)((u) & 31))

static inline unsigned long kho_bench_a_pfn(unsigned long i)
{
	return KHO_BENCH_TIB_PFN + i;
}

/* i * odd mod 2^k is a permutation: distinct, scattered pfns in 1 TiB. */
static inline unsigned long kho_bench_b_pfn(unsigned long i)
{
	return KHO_BENCH_TIB_PFN +
	       ((i * 0x9e3779b1UL) & ((1UL << (40 - PAGE_SHIFT)) - 1));
}

static inline unsigned long kho_bench_c_pfn(unsigned long i)
{
	return 2 * KHO_BENCH_TIB_PFN + (i << KHO_BENCH_GIB_ORDER);
}

static inline u32 kho_bench_rnd(u64 *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state >> 32;
}

/*
 * D's workload into @units (@nr entries): 64 GiB as 32768 blocks of
 * 2 MiB.  One block in 64 is a single order-9 unit; the others hold 33
 * units of random orders 0-8 at aligned offsets with small random gaps.
 * It stops at @nr units, then shuffles them, so that the tracker sees
 * them in random order.  Returns the number of pages, or 0 if 64 GiB did
 * not hold @nr units.
 */
static inline u64 kho_bench_make_mixed(u64 *units, unsigned long nr)
{
	unsigned long blocks = 64UL << (30 - PAGE_SHIFT - 9), b, n = 0;
	u64 rnd = 2025, pages = 0;

	for (b = 0; b < blocks && n < nr; b++) {
		unsigned long base = KHO_BENCH_TIB_PFN + (b << 9), off = 0;
		unsigned int k;

		if (kho_bench_rnd(&rnd) % 64 == 0) {
			units[n++] = (u64)base << 5 | 9;
			pages += 512;
			continue;
		}
		for (k = 0; k < 33 && n < nr; k++) {
			unsigned int left = 33 - k, o_max, order;

			o_max = min_t(unsigned int, 8,
				      ilog2(512 - off - (left - 1)));
			if (off)
				o_max = min_t(unsigned int, o_max, __ffs(off));
			order = kho_bench_rnd(&rnd) % (o_max + 1);
			units[n++] = (u64)(base + off) << 5 | order;
			pages += 1UL << order;
			off += 1UL << order;
			if (512 - off > left && kho_bench_rnd(&rnd) % 2)
				off++;
		}
	}
	if (n != nr)
		return 0;
	for (b = nr - 1; b > 0; b--) {
		unsigned long j = kho_bench_rnd(&rnd) % (b + 1);
		u64 tmp = units[b];

		units[b] = units[j];
		units[j] = tmp;
	}
	return pages;
}

#endif /* _LIB_KHO_MEM_BENCH_WORKLOAD_H */
