/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for lib/kho_mem/kho_mem_internal.h.  It takes the
 * kernel header's include guard, so that serialize.c, included unchanged
 * by walk_fuzz.c, sees these definitions instead.
 *
 * "Physical" memory is one heap allocation, the arena: physical address
 * KHO_FUZZ_BASE + N is byte N of it.  AddressSanitizer reports any read
 * outside it.
 */
#ifndef _LIB_KHO_MEM_INTERNAL_H
#define _LIB_KHO_MEM_INTERNAL_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bits.h>
#include <linux/types.h>
#include <linux/kho_mem.h>
#include <linux/kho/abi/kho_mem.h>

#include "../../../lib/kho_mem/kho_mem_types.h"

#define U64_MAX			UINT64_MAX

/* x86-64 is little endian */
#define le16_to_cpu(x)		((u16)(x))
#define le32_to_cpu(x)		((u32)(x))
#define le64_to_cpu(x)		((u64)(x))
#define cpu_to_le16(x)		((__le16)(x))
#define cpu_to_le32(x)		((__le32)(x))
#define cpu_to_le64(x)		((__le64)(x))

#define KHO_MEM_PHYS_BITS	52
#define KHO_MEM_PFN_LIMIT	(1UL << (KHO_MEM_PHYS_BITS - PAGE_SHIFT))

#define KHO_FUZZ_BASE		0x40000000ULL

extern unsigned char *kho_fuzz_arena;
extern size_t kho_fuzz_arena_size;

static inline void *kho_mem_va(phys_addr_t phys)
{
	if (phys < KHO_FUZZ_BASE || phys - KHO_FUZZ_BASE >= kho_fuzz_arena_size) {
		fprintf(stderr, "walk_fuzz: read of %#llx, outside RAM\n",
			(unsigned long long)phys);
		abort();
	}
	return kho_fuzz_arena + (phys - KHO_FUZZ_BASE);
}

static inline phys_addr_t kho_mem_pa(const void *virt)
{
	return KHO_FUZZ_BASE + ((const unsigned char *)virt - kho_fuzz_arena);
}

/* Single threaded: nothing to lock. */
static inline void kho_mem_lock(struct kho_mem_tracker *t)
{
}

static inline void kho_mem_unlock(struct kho_mem_tracker *t)
{
}

static inline void *kho_mem_alloc_page(struct kho_mem_tracker *t)
{
	return NULL;
}

static inline void kho_mem_free_page(void *page)
{
}

static inline unsigned long hweight_long(unsigned long w)
{
	return __builtin_popcountl(w);
}

static inline unsigned int bitmap_weight(const unsigned long *bits,
					 unsigned int nbits)
{
	unsigned int i, w = 0;

	for (i = 0; i < nbits / BITS_PER_LONG; i++)
		w += hweight_long(bits[i]);
	return w;
}

static inline unsigned long find_next_bit(const unsigned long *bits,
					  unsigned long size,
					  unsigned long off)
{
	for (; off < size; off++)
		if (bits[BIT_WORD(off)] & BIT_MASK(off))
			return off;
	return size;
}

static inline unsigned long find_next_zero_bit(const unsigned long *bits,
					       unsigned long size,
					       unsigned long off)
{
	for (; off < size; off++)
		if (!(bits[BIT_WORD(off)] & BIT_MASK(off)))
			return off;
	return size;
}

#endif /* _LIB_KHO_MEM_INTERNAL_H */
