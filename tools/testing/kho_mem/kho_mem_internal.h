/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for lib/kho_mem/kho_mem_internal.h.  It takes the
 * kernel header's include guard, so that tracker.c and serialize.c,
 * included unchanged by a harness, see these definitions instead.  The
 * xarray is the kernel's own lib/xarray.c, built the way tools/testing/vma
 * builds it.
 *
 * "Physical" memory is one mapping, the arena: physical address
 * KHO_ARENA_BASE + N is byte N of it.  Pages the tracker and the writer
 * allocate come from it, and any translation of an address outside it
 * aborts the run.
 */
#ifndef _LIB_KHO_MEM_INTERNAL_H
#define _LIB_KHO_MEM_INTERNAL_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared.h"
#include <linux/bitmap.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <linux/kho_mem.h>
#include <linux/kho/abi/kho_mem.h>

#include "../../../lib/kho_mem/kho_mem_types.h"

#ifndef U64_MAX
#define U64_MAX			UINT64_MAX
#endif

#define KHO_MEM_PHYS_BITS	52
#define KHO_MEM_PFN_LIMIT	(1UL << (KHO_MEM_PHYS_BITS - PAGE_SHIFT))

#define KHO_ARENA_BASE		0x40000000ULL

/* The arena (arena.c): a bump allocator of pages with a free list. */
extern unsigned char *kho_arena;
extern size_t kho_arena_size;
void kho_arena_init(size_t bytes);
void *kho_arena_alloc_page(void);
void kho_arena_free_page(void *page);
/* Pages handed out and not yet freed. */
extern unsigned long kho_arena_pages_used;

static inline void *kho_mem_va(phys_addr_t phys)
{
	if (phys < KHO_ARENA_BASE || phys - KHO_ARENA_BASE >= kho_arena_size) {
		fprintf(stderr, "kho_mem: access to %#llx, outside RAM\n",
			(unsigned long long)phys);
		abort();
	}
	return kho_arena + (phys - KHO_ARENA_BASE);
}

static inline phys_addr_t kho_mem_pa(const void *virt)
{
	const unsigned char *p = virt;

	if (p < kho_arena || p >= kho_arena + kho_arena_size) {
		fprintf(stderr, "kho_mem: %p is not arena memory\n", virt);
		abort();
	}
	return KHO_ARENA_BASE + (p - kho_arena);
}

/* Single threaded, but the lock operations cost what they do in SMP. */
static inline void kho_mem_lock(struct kho_mem_tracker *t)
{
	mutex_lock(&t->lock);
	spin_lock(&t->fast_lock);
	t->fast_off = true;
	spin_unlock(&t->fast_lock);
}

static inline void kho_mem_unlock(struct kho_mem_tracker *t)
{
	spin_lock(&t->fast_lock);
	t->fast_off = false;
	spin_unlock(&t->fast_lock);
	mutex_unlock(&t->lock);
}

static inline bool kho_mem_should_fail(struct kho_mem_tracker *t)
{
	return false;
}

static inline void *kho_mem_alloc_page(struct kho_mem_tracker *t)
{
	return kho_arena_alloc_page();
}

static inline void kho_mem_free_page(void *page)
{
	kho_arena_free_page(page);
}

static inline void *kho_mem_kmalloc(struct kho_mem_tracker *t, size_t size)
{
	return kmalloc(size, GFP_KERNEL);
}

static inline void *kmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	return n && size > SIZE_MAX / n ? NULL : kmalloc(n * size, gfp);
}

static inline int kho_mem_xa_insert(struct kho_mem_tracker *t,
				    struct xarray *xa, unsigned long index,
				    void *entry)
{
	return xa_insert(xa, index, entry, GFP_KERNEL);
}

#endif /* _LIB_KHO_MEM_INTERNAL_H */
