// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz the KHO memory map parser in userspace.
 *
 * lib/kho_mem/serialize.c is built unchanged, under AddressSanitizer, with
 * this directory's kho_mem_internal.h.  A small valid map (three chunks of
 * three orders, sparse and bitmap leaves) is written into the arena, then
 * corrupted over and over by random writes to its headers, entries, inline
 * data and bitmap.  Every walk must return 0 or -EINVAL; on -EINVAL it must
 * name a check and have made no callback; on 0 every reported range must
 * lie in RAM.  A read outside the arena aborts the run.
 */
#include "kho_mem_internal.h"
#include "../../../lib/kho_mem/serialize.c"

#define ARENA_PAGES	64
#define MAP_PAGES	4	/* three chunks and one bitmap */
#define RUNS		200000

static unsigned long problems, ranges_seen;

static u64 rnd_state = 88172645463325252ULL;

static u64 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static struct kho_mem_chunk_hdr *page(unsigned int n)
{
	return (struct kho_mem_chunk_hdr *)(kho_arena + n * PAGE_SIZE);
}

static void add_chunk(unsigned int n, unsigned int order, int next)
{
	struct kho_mem_chunk_hdr *c = page(n);

	c->magic = KHO_MEM_CHUNK_MAGIC;
	c->version = KHO_MEM_CHUNK_VERSION;
	c->order = order;
	c->page_shift = PAGE_SHIFT;
	c->next = next < 0 ? 0 : KHO_ARENA_BASE + next * PAGE_SIZE;
}

static void add_sparse(unsigned int n, const u16 *offs, unsigned int count)
{
	struct kho_mem_chunk_hdr *c = page(n);
	struct kho_mem_chunk_entry *e = chunk_entries(c) + c->nr_entries++;
	unsigned int data = PAGE_SIZE - count * sizeof(u16);

	e->base = KHO_ARENA_BASE;
	e->kind = KHO_MEM_LEAF_SPARSE;
	e->count = count;
	e->data = data;
	memcpy((char *)c + data, offs, count * sizeof(u16));
}

static void add_bitmap(unsigned int n, unsigned int bitmap_page,
		       unsigned int first, unsigned int count)
{
	struct kho_mem_chunk_hdr *c = page(n);
	struct kho_mem_chunk_entry *e = chunk_entries(c) + c->nr_entries++;
	unsigned long *bits = (unsigned long *)page(bitmap_page);
	unsigned int i;

	for (i = first; i < first + count; i++)
		bits[BIT_WORD(i)] |= BIT_MASK(i);
	e->base = KHO_ARENA_BASE;
	e->kind = KHO_MEM_LEAF_BITMAP;
	e->count = count;
	e->data = KHO_ARENA_BASE + bitmap_page * PAGE_SIZE;
}

static int on_range(void *arg, unsigned long pfn, unsigned long nr_pages,
		    unsigned long orders)
{
	u64 start = (u64)pfn << PAGE_SHIFT, end = start + nr_pages * PAGE_SIZE;

	if (start < KHO_ARENA_BASE || end > KHO_ARENA_BASE + kho_arena_size) {
		fprintf(stderr, "walk_fuzz: range %#llx-%#llx outside RAM\n",
			(unsigned long long)start, (unsigned long long)end);
		problems++;
	}
	ranges_seen++;
	return 0;
}

static const struct kho_mem_walk_ops ops = { .range = on_range };

static void corrupt(void)
{
	unsigned int p = rnd() % MAP_PAGES, off = rnd() % PAGE_SIZE;
	unsigned char *b = (unsigned char *)page(p);

	if (rnd() & 1)
		off %= 96;	/* header and the first entries */
	switch (rnd() % 3) {
	case 0:
		b[off] ^= 1 + rnd() % 255;
		break;
	case 1:
		b[off] = rnd();
		break;
	default:
		/* a whole field, to make wild addresses and counts */
		off &= ~7U;
		*(u64 *)(b + off) = rnd() % 4 ? KHO_ARENA_BASE + rnd() % (2 *
				    kho_arena_size) : rnd();
		break;
	}
}

int main(void)
{
	static const u16 o0[] = { 40, 41, 45 }, o2[] = { 13 };
	const struct kho_mem_range ram = {
		KHO_ARENA_BASE, KHO_ARENA_BASE + ARENA_PAGES * PAGE_SIZE
	};
	struct kho_mem_walk_args args = {
		.head = KHO_ARENA_BASE, .ram = &ram, .nr_ram = 1,
	};
	unsigned long runs, refused = 0, k;
	struct kho_mem_walk_result res;
	unsigned char *seed;
	int ret;

	kho_arena_init(ARENA_PAGES * PAGE_SIZE);
	seed = malloc(MAP_PAGES * PAGE_SIZE);
	if (!seed)
		return 1;

	/* units at pages 40-41, 45 (order 0), 48-51 (order 1), 52-55 (order 2) */
	add_chunk(0, 0, 1);
	add_sparse(0, o0, 3);
	add_chunk(1, 1, 2);
	add_bitmap(1, 3, 24, 2);
	add_chunk(2, 2, -1);
	add_sparse(2, o2, 1);
	memcpy(seed, kho_arena, MAP_PAGES * PAGE_SIZE);

	ret = kho_mem_walk(&args, &ops, NULL, &res);
	if (ret || res.nr_ranges != 3 || res.nr_units != 6) {
		fprintf(stderr, "walk_fuzz: the seed map does not walk: %d, %s\n",
			ret, kho_mem_check_name(res.check));
		return 1;
	}

	for (runs = 0; runs < RUNS; runs++) {
		unsigned long seen;

		memcpy(kho_arena, seed, MAP_PAGES * PAGE_SIZE);
		for (k = 1 + rnd() % 4; k; k--)
			corrupt();
		seen = ranges_seen;
		ret = kho_mem_walk(&args, &ops, NULL, &res);
		if (ret == -EINVAL) {
			refused++;
			if (res.check == KHO_MEM_CHECK_OK || ranges_seen != seen) {
				fprintf(stderr, "walk_fuzz: run %lu refused late\n",
					runs);
				problems++;
			}
		} else if (ret) {
			fprintf(stderr, "walk_fuzz: run %lu returned %d\n",
				runs, ret);
			problems++;
		}
	}

	printf("walk_fuzz: %lu corrupted maps, %lu refused, %lu problems\n",
	       runs, refused, problems);
	free(seed);
	return problems ? 1 : 0;
}
