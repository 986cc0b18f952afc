// SPDX-License-Identifier: GPL-2.0
/*
 * A model of mainline's KHO memory tracker, as the benchmark's reference.
 *
 * Per order, an xarray keyed by pfn >> (order + 15) whose entries are
 * 4 KiB bitmaps of 32,768 units; a preserve sets one bit, with no check
 * for overlaps with other orders.  Serialization writes page-sized chunks,
 * one run of them per order, each a 16-byte header (next, order, count)
 * and 16-byte records (physical start of the bitmap's span, physical
 * address of the bitmap page).  The next kernel reserves one unit per set
 * bit.
 */
#include "mainline_model.h"

#define MODEL_UNITS		(PAGE_SIZE * 8)
#define MODEL_SHIFT		(PAGE_SHIFT + 3)

struct model_chunk_hdr {
	u64 next;
	u32 order;
	u32 nr;
};

struct model_record {
	u64 phys_start;
	u64 bitmap;
};

#define MODEL_RECORDS	((PAGE_SIZE - sizeof(struct model_chunk_hdr)) / \
			 sizeof(struct model_record))

void model_init(struct model_tracker *t)
{
	unsigned int o;

	for (o = 0; o < KHO_MEM_NR_ORDERS; o++)
		xa_init(&t->orders[o]);
	t->bitmaps = 0;
}

void model_destroy(struct model_tracker *t)
{
	unsigned long index;
	unsigned int o;
	void *bits;

	for (o = 0; o < KHO_MEM_NR_ORDERS; o++) {
		xa_for_each(&t->orders[o], index, bits)
			kho_arena_free_page(bits);
		xa_destroy(&t->orders[o]);
	}
	t->bitmaps = 0;
}

int model_preserve(struct model_tracker *t, unsigned long pfn,
		   unsigned int order)
{
	unsigned long uidx = pfn >> order;
	struct xarray *xa = &t->orders[order];
	unsigned long *bits = xa_load(xa, uidx >> MODEL_SHIFT);

	if (!bits) {
		void *old;

		bits = kho_arena_alloc_page();
		if (!bits)
			return -ENOMEM;
		old = xa_cmpxchg(xa, uidx >> MODEL_SHIFT, NULL, bits,
				 GFP_KERNEL);
		if (old) {
			kho_arena_free_page(bits);
			bits = old;
		} else {
			t->bitmaps++;
		}
	}
	__set_bit(uidx & (MODEL_UNITS - 1), bits);
	return 0;
}

int model_serialize(struct model_tracker *t, struct model_chunks *out)
{
	struct model_chunk_hdr *chunk = NULL, *prev = NULL;
	unsigned long index;
	unsigned int o;
	void *bits;

	memset(out, 0, sizeof(*out));
	for (o = 0; o < KHO_MEM_NR_ORDERS; o++) {
		chunk = NULL;
		xa_for_each(&t->orders[o], index, bits) {
			struct model_record *r;

			if (!chunk || chunk->nr == MODEL_RECORDS) {
				chunk = kho_arena_alloc_page();
				if (!chunk)
					return -ENOMEM;
				chunk->order = o;
				if (prev)
					prev->next = kho_mem_pa(chunk);
				else
					out->head = kho_mem_pa(chunk);
				prev = chunk;
				out->nr_chunks++;
			}
			r = (struct model_record *)(chunk + 1) + chunk->nr++;
			r->phys_start = (u64)((index << MODEL_SHIFT) << o) <<
					PAGE_SHIFT;
			r->bitmap = kho_mem_pa(bits);
		}
	}
	return 0;
}

void model_chunks_free(struct model_chunks *c)
{
	phys_addr_t phys = c->head;

	while (phys) {
		struct model_chunk_hdr *chunk = kho_mem_va(phys);

		phys = chunk->next;
		kho_arena_free_page(chunk);
	}
	memset(c, 0, sizeof(*c));
}

int model_walk(phys_addr_t head,
	       void (*fn)(void *arg, unsigned long pfn, unsigned int order),
	       void *arg, u64 *nr_units)
{
	*nr_units = 0;
	while (head) {
		struct model_chunk_hdr *chunk = kho_mem_va(head);
		struct model_record *r = (struct model_record *)(chunk + 1);
		unsigned int i, bit;

		for (i = 0; i < chunk->nr; i++) {
			unsigned long *bits = kho_mem_va(r[i].bitmap);
			unsigned long pfn = r[i].phys_start >> PAGE_SHIFT;

			for_each_set_bit(bit, bits, MODEL_UNITS) {
				fn(arg, pfn + ((unsigned long)bit << chunk->order),
				   chunk->order);
				(*nr_units)++;
			}
		}
		head = chunk->next;
	}
	return 0;
}
