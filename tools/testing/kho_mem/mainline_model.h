/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A model of mainline Linux's KHO memory tracker, for the benchmark only.
 * Written from the description of its algorithm, not from its code.
 */
#ifndef _KHO_MEM_MAINLINE_MODEL_H
#define _KHO_MEM_MAINLINE_MODEL_H

#include "kho_mem_internal.h"

struct model_tracker {
	struct xarray orders[KHO_MEM_NR_ORDERS];
	unsigned long bitmaps;		/* bitmap pages */
};

struct model_chunks {
	phys_addr_t head;
	unsigned long nr_chunks;
};

void model_init(struct model_tracker *t);
void model_destroy(struct model_tracker *t);
int model_preserve(struct model_tracker *t, unsigned long pfn,
		   unsigned int order);
int model_serialize(struct model_tracker *t, struct model_chunks *out);
void model_chunks_free(struct model_chunks *c);
/* The next kernel's side: one call of @fn per set bit, i.e. per unit. */
int model_walk(phys_addr_t head,
	       void (*fn)(void *arg, unsigned long pfn, unsigned int order),
	       void *arg, u64 *nr_units);

#endif
