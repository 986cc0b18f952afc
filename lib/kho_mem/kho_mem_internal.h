/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one seam between lib/kho_mem and the rest of the kernel.
 *
 * tracker.c and serialize.c include this header and nothing else from the
 * kernel: page and slab allocation, address translation, and the tracker's
 * internal types all come from here.  A userspace harness can provide its
 * own version of this file and build the unchanged .c files, the way
 * tools/testing/vma/ builds mm/vma.c.
 */
#ifndef _LIB_KHO_MEM_INTERNAL_H
#define _LIB_KHO_MEM_INTERNAL_H

#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/gfp.h>
#include <linux/kho_mem.h>
#include <linux/kho/abi/kho_mem.h>
#include <linux/limits.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/xarray.h>
#include <asm/byteorder.h>
#include <asm/page.h>
#include <kunit/visibility.h>

#include "kho_mem_types.h"

/*
 * Physical address width the tracker accepts.  x86-64 decides between 46
 * and 52 bits at boot; an architecture without MAX_PHYSMEM_BITS (UML) gets
 * the 52 bits that x86-64 and arm64 can address at most.
 */
#ifdef MAX_PHYSMEM_BITS
#define KHO_MEM_PHYS_BITS	MAX_PHYSMEM_BITS
#else
#define KHO_MEM_PHYS_BITS	52
#endif
#define KHO_MEM_PFN_LIMIT	(1UL << (KHO_MEM_PHYS_BITS - PAGE_SHIFT))

/**
 * kho_mem_lock() - start working on the tracker
 * @t: the tracker.
 *
 * Holds @t->lock, so the caller may allocate and sleep, and keeps
 * kho_mem_preserve()'s fast path out, which otherwise updates dense leaves
 * under @t->fast_lock alone.  A fast path that started before has finished
 * once @t->fast_lock is ours; later ones see @t->fast_off and wait for
 * @t->lock.
 *
 * Context: Process context; may sleep.
 */
static inline void kho_mem_lock(struct kho_mem_tracker *t)
{
	mutex_lock(&t->lock);
	spin_lock(&t->fast_lock);
	t->fast_off = true;
	spin_unlock(&t->fast_lock);
}

/**
 * kho_mem_unlock() - end the work that kho_mem_lock() started
 * @t: the tracker.
 *
 * Context: Process context, after kho_mem_lock().
 */
static inline void kho_mem_unlock(struct kho_mem_tracker *t)
{
	spin_lock(&t->fast_lock);
	t->fast_off = false;
	spin_unlock(&t->fast_lock);
	mutex_unlock(&t->lock);
}

/*
 * Allocation-failure injection for the KUnit tests: kho_mem_fail_nth(t, n)
 * makes the n-th metadata allocation of @t from then on fail as if memory
 * had run out.  It exists only in kernels built with those tests; in any
 * other, kho_mem_should_fail() is constant false and compiles away.
 */
#if IS_ENABLED(CONFIG_KHO_MEM_KUNIT_TEST)
bool kho_mem_should_fail(struct kho_mem_tracker *t);
void kho_mem_fail_nth(struct kho_mem_tracker *t, unsigned int n);
#else
static inline bool kho_mem_should_fail(struct kho_mem_tracker *t)
{
	return false;
}
#endif

static inline void *kho_mem_alloc_page(struct kho_mem_tracker *t)
{
	if (kho_mem_should_fail(t))
		return NULL;
	return (void *)get_zeroed_page(GFP_KERNEL);
}

static inline void kho_mem_free_page(void *page)
{
	free_page((unsigned long)page);
}

static inline void *kho_mem_kmalloc(struct kho_mem_tracker *t, size_t size)
{
	if (kho_mem_should_fail(t))
		return NULL;
	return kmalloc(size, GFP_KERNEL);
}

static inline void *kho_mem_krealloc(struct kho_mem_tracker *t, void *p,
				     size_t size)
{
	if (kho_mem_should_fail(t))
		return NULL;
	return krealloc(p, size, GFP_KERNEL);
}

static inline int kho_mem_xa_insert(struct kho_mem_tracker *t,
				    struct xarray *xa, unsigned long index,
				    void *entry)
{
	if (kho_mem_should_fail(t))
		return -ENOMEM;
	return xa_insert(xa, index, entry, GFP_KERNEL);
}

/* Physical <-> virtual for chunk and bitmap pages (UML has __pa/__va too). */
static inline phys_addr_t kho_mem_pa(const void *virt)
{
	return __pa(virt);
}

static inline void *kho_mem_va(phys_addr_t phys)
{
	return __va(phys);
}

#endif /* _LIB_KHO_MEM_INTERNAL_H */
