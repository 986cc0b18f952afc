// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kexec HandOver (KHO): the scratch areas.
 *
 * A kernel that hands memory over on kexec sets aside scratch areas:
 * physically contiguous regions whose pageblocks are MIGRATE_CMA, so that
 * they only ever hold movable memory and nothing that must survive a kexec
 * can sit in them.  There is one below ARCH_LOW_ADDRESS_LIMIT, one anywhere
 * and one per NUMA node with memory, sized from what the kernel took from
 * memblock during boot (or by "kho_scratch=").  kexec_file_load() places
 * every segment of the next kernel inside them, and the next kernel boots
 * out of them until it has reserved the preserved memory; it then hands the
 * same areas on.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/cma.h>
#include <linux/kexec.h>
#include <linux/kexec_handover.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/sort.h>

#include "kexec_handover_internal.h"

/* Default scratch size: this many percent of what the kernel took from memblock. */
#define KHO_SCRATCH_DEFAULT_PCT	200
/* Smallest scratch area we create, so that a kernel and initrd fit. */
#define KHO_SCRATCH_MIN		SZ_64M

static unsigned int scratch_pct __initdata = KHO_SCRATCH_DEFAULT_PCT;
static phys_addr_t scratch_size_low __initdata;
static phys_addr_t scratch_size_global __initdata;
static phys_addr_t scratch_size_pernode __initdata;

struct kho_scratch_abi kho_scratch[KHO_SCRATCH_MAX];
unsigned int kho_scratch_cnt;

/*
 * kho_scratch=N% scales the areas from the memory the kernel took from
 * memblock; kho_scratch=LOW,GLOBAL,PERNODE gives their sizes.
 */
static int __init kho_parse_scratch(char *p)
{
	phys_addr_t sizes[3];
	unsigned int pct;
	char num[16];
	size_t len;
	char *end;
	int i;

	if (!p || !*p)
		return -EINVAL;
	len = strlen(p);
	if (p[len - 1] == '%') {
		if (len > sizeof(num))
			return -EINVAL;
		memcpy(num, p, len - 1);
		num[len - 1] = '\0';
		if (kstrtouint(num, 10, &pct) || !pct || pct > 10000)
			return -EINVAL;
		scratch_pct = pct;
		return 0;
	}
	for (i = 0; i < 3; i++) {
		sizes[i] = memparse(p, &end);
		if (end == p || !sizes[i])
			return -EINVAL;
		p = end;
		if (i < 2 && *p++ != ',')
			return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	scratch_pct = 0;
	scratch_size_low = sizes[0];
	scratch_size_global = sizes[1];
	scratch_size_pernode = sizes[2];
	return 0;
}
early_param("kho_scratch", kho_parse_scratch);

static phys_addr_t __init kho_scale(phys_addr_t bytes)
{
	phys_addr_t size = div_u64((u64)bytes * scratch_pct, 100);

	return ALIGN(max_t(phys_addr_t, size, KHO_SCRATCH_MIN),
		     CMA_MIN_ALIGNMENT_BYTES);
}

static bool __init kho_add_scratch(phys_addr_t addr, phys_addr_t size)
{
	if (!addr)
		return false;
	kho_scratch[kho_scratch_cnt].addr = addr;
	kho_scratch[kho_scratch_cnt++].size = size;
	return true;
}

static int __init kho_scratch_cmp(const void *a, const void *b)
{
	const struct kho_scratch_abi *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/**
 * kho_scratch_reserve() - reserve the scratch areas on a boot without handover
 *
 * Sizes the areas from the memory reserved in memblock so far and
 * allocates them from memblock; they become MIGRATE_CMA pageblocks in
 * kho_scratch_release().
 *
 * Context: Early boot, from kho_memory_init().
 * Return: true on success; false, with nothing reserved, if memblock has
 * no room for them.
 */
bool __init kho_scratch_reserve(void)
{
	phys_addr_t low = 0, total = 0, size, addr;
	static phys_addr_t node_bytes[MAX_NUMNODES] __initdata;
	struct memblock_region *r;
	const phys_addr_t align = CMA_MIN_ALIGNMENT_BYTES;
	unsigned int i;
	int nid;

	for_each_reserved_mem_region(r) {
		phys_addr_t end = r->base + r->size;

		total += r->size;
		if (r->base < ARCH_LOW_ADDRESS_LIMIT)
			low += min_t(phys_addr_t, end, ARCH_LOW_ADDRESS_LIMIT) -
			       r->base;
		nid = early_pfn_to_nid(PFN_DOWN(r->base));
		if (nid >= 0 && nid < MAX_NUMNODES)
			node_bytes[nid] += r->size;
	}

	size = scratch_pct ? kho_scale(low) : ALIGN(scratch_size_low, align);
	addr = memblock_phys_alloc_range(size, align, 0, ARCH_LOW_ADDRESS_LIMIT);
	if (!kho_add_scratch(addr, size))
		goto fail;

	size = scratch_pct ? kho_scale(total) : ALIGN(scratch_size_global, align);
	addr = memblock_phys_alloc(size, align);
	if (!kho_add_scratch(addr, size))
		goto fail;

	for_each_node_state(nid, N_MEMORY) {
		if (kho_scratch_cnt == KHO_SCRATCH_MAX)
			break;
		size = scratch_pct ? kho_scale(node_bytes[nid]) :
				     ALIGN(scratch_size_pernode, align);
		addr = memblock_alloc_range_nid(size, align, 0,
						MEMBLOCK_ALLOC_ACCESSIBLE, nid,
						true);
		if (!kho_add_scratch(addr, size))
			goto fail;
	}

	/* ascending, as the next kernel expects */
	sort(kho_scratch, kho_scratch_cnt, sizeof(kho_scratch[0]),
	     kho_scratch_cmp, NULL);
	return true;

fail:
	pr_err("cannot reserve %pa bytes of scratch memory, disabling KHO\n",
	       &size);
	for (i = 0; i < kho_scratch_cnt; i++)
		memblock_phys_free(kho_scratch[i].addr, kho_scratch[i].size);
	kho_scratch_cnt = 0;
	return false;
}

/**
 * kho_scratch_mark_cma() - make the scratch pageblocks MIGRATE_CMA
 *
 * On a boot with handover, before memblock frees memory to the page
 * allocator, so that only movable allocations land in the scratch areas.
 * Memmap init may not have set a type on pageblocks that memblock had
 * partly allocated, and deferred init would make them movable (see
 * kho_pageblock_migratetype()).
 *
 * Context: Early boot, from kho_memory_init().
 */
void __init kho_scratch_mark_cma(void)
{
	unsigned int i;

	for (i = 0; i < kho_scratch_cnt; i++)
		memmap_init_kho_scratch(PHYS_PFN(kho_scratch[i].addr),
					PHYS_PFN(kho_scratch[i].size));
}

/**
 * kho_scratch_release() - give scratch areas reserved at boot to the page allocator
 *
 * On a boot without handover the areas are memblock reservations until
 * now; they become MIGRATE_CMA pageblocks.
 *
 * Context: core_initcall.
 */
void __init kho_scratch_release(void)
{
	unsigned int i;

	for (i = 0; i < kho_scratch_cnt; i++)
		free_kho_scratch(PHYS_PFN(kho_scratch[i].addr),
				 PHYS_PFN(kho_scratch[i].size));
}

/**
 * kho_pageblock_migratetype() - migratetype of a pageblock at memmap init
 * @pfn: first pfn of the pageblock.
 * @migratetype: the type it would get otherwise.
 *
 * Pageblocks of scratch areas are MIGRATE_CMA, so that they only ever hold
 * movable memory and can be handed to the next kernel again.  Deferred
 * struct page init asks this before it frees a pageblock.
 *
 * Context: Memory init.
 * Return: MIGRATE_CMA inside a scratch area, @migratetype otherwise.
 */
int kho_pageblock_migratetype(unsigned long pfn, int migratetype)
{
	phys_addr_t pa = PFN_PHYS(pfn);
	unsigned int i;

	for (i = 0; i < kho_scratch_cnt; i++)
		if (pa >= kho_scratch[i].addr &&
		    pa - kho_scratch[i].addr < kho_scratch[i].size)
			return MIGRATE_CMA;
	return migratetype;
}

/**
 * kho_scratch_overlap() - whether a range touches a scratch area
 * @phys: physical start.
 * @size: length in bytes.
 *
 * Context: Any context.
 * Return: true if [@phys, @phys + @size) overlaps a scratch area.
 */
bool kho_scratch_overlap(phys_addr_t phys, size_t size)
{
	unsigned int i;

	for (i = 0; i < kho_scratch_cnt; i++)
		if (phys < kho_scratch[i].addr + kho_scratch[i].size &&
		    kho_scratch[i].addr < phys + size)
			return true;
	return false;
}
EXPORT_SYMBOL_GPL(kho_scratch_overlap);

/**
 * kho_locate_mem_hole() - place a kexec segment inside a scratch area
 * @kbuf: the segment.
 * @func: kexec's callback that tries one region of memory.
 *
 * Context: Process context, kexec_file_load().
 * Return: 1 when @func found room, 0 when no scratch area has room, or a
 * negative errno from @func.
 */
int kho_locate_mem_hole(struct kexec_buf *kbuf,
			int (*func)(struct resource *, void *))
{
	unsigned int i;
	int ret;

	for (i = 0; i < kho_scratch_cnt; i++) {
		struct resource res = {
			.start = kho_scratch[i].addr,
			.end = kho_scratch[i].addr + kho_scratch[i].size - 1,
			.flags = IORESOURCE_SYSTEM_RAM | IORESOURCE_MEM |
				 IORESOURCE_BUSY,
		};

		ret = func(&res, kbuf);
		if (ret)
			return ret;
	}
	return 0;
}
