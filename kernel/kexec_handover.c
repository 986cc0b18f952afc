// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kexec HandOver (KHO): preserve memory across kexec.
 *
 * A kernel that runs with "kho=on" sets aside scratch areas: physically
 * contiguous regions that hold only movable allocations (their pageblocks
 * are MIGRATE_CMA), so nothing that must survive a kexec can sit in them.
 * Components preserve memory (folios, page ranges, vmalloc areas) in a
 * kho_mem tracker and describe it in small FDTs of their own, which they
 * link by name into KHO's root FDT.
 *
 * kexec_file_load() places every segment of the next kernel inside the
 * scratch areas and passes the root FDT and the scratch array to it (on
 * x86 in a SETUP_KEXEC_KHO setup_data entry).  In the reboot path, just
 * before the jump, the tracker is serialized into a chunk list and the
 * root FDT is written.
 *
 * The next kernel reads the handover before memblock hands out anything,
 * confines memblock to the scratch areas, validates and walks the chunk
 * list, reserves each preserved range once (without initializing its
 * struct pages), and only then allocates from all memory again.  Owners
 * then restore their memory by physical address; what nobody restores is
 * zeroed and freed in the background.
 *
 * Everything the previous kernel handed over is untrusted input: a bad
 * handover is refused with one log line and the kernel boots normally.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/cma.h>
#include <linux/ctype.h>
#include <linux/highmem.h>
#include <linux/kexec.h>
#include <linux/kexec_handover.h>
#include <linux/kho_mem.h>
#include <linux/kho/abi/kho_mem.h>
#include <linux/libfdt.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/page-isolation.h>
#include <linux/rwsem.h>
#include <linux/sched/clock.h>
#include <linux/timex.h>
#include <linux/slab.h>
#include <linux/unaligned.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "../mm/internal.h"
#include "kexec_handover_internal.h"

#define KHO_SUBTREE_NAME_MAX	64

/* Default scratch size: this many percent of what the kernel took from memblock. */
#define KHO_SCRATCH_DEFAULT_PCT	200
/* Smallest scratch area we create, so that a kernel and initrd fit. */
#define KHO_SCRATCH_MIN		SZ_64M

static bool kho_enable __ro_after_init;
static bool kho_naive_reserve __initdata;
static bool kho_finish_manual __ro_after_init;

static unsigned int scratch_pct __initdata = KHO_SCRATCH_DEFAULT_PCT;
static phys_addr_t scratch_size_low __initdata;
static phys_addr_t scratch_size_global __initdata;
static phys_addr_t scratch_size_pernode __initdata;

/* Test-only: corrupt the outgoing map so that the next kernel refuses it. */
static bool test_corrupt_map;
#if IS_ENABLED(CONFIG_TEST_KEXEC_HANDOVER)
module_param(test_corrupt_map, bool, 0600);
MODULE_PARM_DESC(test_corrupt_map, "corrupt the outgoing map (test only)");
#endif

struct kho_scratch_abi kho_scratch[KHO_SCRATCH_MAX];
unsigned int kho_scratch_cnt;
/* Cold boot: the scratch areas are memblock reservations until kho_init(). */
static bool kho_scratch_reserved __initdata;

static int __init kho_parse_enable(char *p)
{
	return kstrtobool(p, &kho_enable);
}
early_param("kho", kho_parse_enable);

static int __init kho_parse_naive(char *p)
{
	kho_naive_reserve = true;
	return 0;
}
early_param("kho_debug_naive_reserve", kho_parse_naive);

static int __init kho_parse_finish(char *p)
{
	if (!p)
		return -EINVAL;
	if (!strcmp(p, "manual"))
		kho_finish_manual = true;
	else if (strcmp(p, "boot"))
		return -EINVAL;
	return 0;
}
early_param("kho_finish", kho_parse_finish);

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

/**
 * kho_is_enabled() - whether this kernel hands memory over on kexec
 *
 * Context: Any context.
 * Return: true if KHO was enabled with "kho=on" and set up successfully.
 */
bool kho_is_enabled(void)
{
	return kho_enable;
}
EXPORT_SYMBOL_GPL(kho_is_enabled);

/* ---------------------------------------------------------------------- */
/* Incoming handover                                                      */
/* ---------------------------------------------------------------------- */

/*
 * One run of units of one order, as the early walk found them.  The runs
 * are ascending and disjoint; a unit's claim bit is @bit + its index.
 */
struct kho_in_run {
	unsigned long pfn;
	unsigned long nr_units;
	unsigned long bit;
	unsigned int order;
};

static struct {
	phys_addr_t fdt_phys;
	u64 fdt_size;
	phys_addr_t scratch_phys;
	u64 scratch_size;
	phys_addr_t mem_map;
	bool valid;		/* the handover passed every check so far */
	bool finished;		/* unclaimed memory is being released */
	const void *fdt;
	/* early walk results; memblock memory until kho_init() copies them */
	struct kho_in_run *runs;
	unsigned long nr_runs;
	unsigned long max_runs;
	/* one bit per unit: set once restored or released */
	unsigned long *claimed;
	unsigned long nr_bits;
	/* the early reserve step and the memmap init after it, for the log */
	u64 reserve_cycles;
	u64 memmap_cycles;
	u64 nr_ranges;
	u64 nr_units;
	u64 meta;
	/* serializes kho_finish() */
	struct mutex lock;
	atomic64_t preserved;
	atomic64_t restored;
	atomic64_t released;
	atomic64_t releasing;
	struct completion released_done;
} kho_in = {
	.lock = __MUTEX_INITIALIZER(kho_in.lock),
	.released_done = COMPLETION_INITIALIZER(kho_in.released_done),
};

/**
 * is_kho_boot() - whether this kernel booted with a valid handover
 *
 * Context: Any context.
 * Return: true if the previous kernel handed memory over and the handover
 * passed validation.
 */
bool is_kho_boot(void)
{
	return kho_in.valid;
}
EXPORT_SYMBOL_GPL(is_kho_boot);

const void *kho_in_fdt(void)
{
	return kho_in.valid ? kho_in.fdt : NULL;
}

static bool __init kho_ranges_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

static void __init kho_refuse(const char *why)
{
	pr_err("refusing handover: %s\n", why);
	kho_in.valid = false;
	kho_scratch_cnt = 0;
}

/**
 * kho_populate() - take the handover from the boot protocol
 * @fdt: physical address of the previous kernel's root FDT.
 * @fdt_size: bytes reserved for it.
 * @scratch: physical address of the scratch array.
 * @scratch_size: its size in bytes.
 *
 * Called by the architecture before memblock knows any memory.  It checks
 * the root FDT and the scratch array and records them; the memblock side
 * follows in kho_memblock_setup().  Bad data is refused with one message.
 *
 * Context: Early boot, early_memremap() available.
 */
void __init kho_populate(phys_addr_t fdt, u64 fdt_size, phys_addr_t scratch,
			 u64 scratch_size)
{
	const struct kho_scratch_abi *sa;
	unsigned int i, cnt;
	const void *prop;
	void *f;
	int len;

	if (!fdt_size || fdt_size > KHO_FDT_MAX_SIZE || !PAGE_ALIGNED(fdt) ||
	    !fdt) {
		kho_refuse("bad root FDT address or size");
		return;
	}
	if (!scratch_size || scratch_size % sizeof(*sa) ||
	    scratch_size / sizeof(*sa) > KHO_SCRATCH_MAX ||
	    !IS_ALIGNED(scratch, sizeof(u64))) {
		kho_refuse("bad scratch array size");
		return;
	}

	f = early_memremap(fdt, fdt_size);
	if (!f) {
		kho_refuse("cannot map the root FDT");
		return;
	}
	if (fdt_check_header(f) || fdt_totalsize(f) > fdt_size) {
		early_memunmap(f, fdt_size);
		kho_refuse("truncated or corrupt root FDT");
		return;
	}
	if (fdt_node_check_compatible(f, 0, KHO_FDT_COMPATIBLE)) {
		early_memunmap(f, fdt_size);
		kho_refuse("unknown compatible");
		return;
	}
	prop = fdt_getprop(f, 0, KHO_FDT_PROP_VERSION, &len);
	if (!prop || len != sizeof(u32) ||
	    fdt32_to_cpu(*(const fdt32_t *)prop) != KHO_FDT_VERSION) {
		early_memunmap(f, fdt_size);
		kho_refuse("unknown format version");
		return;
	}
	prop = fdt_getprop(f, 0, KHO_FDT_PROP_MEM_MAP, &len);
	if (!prop || len != sizeof(u64)) {
		early_memunmap(f, fdt_size);
		kho_refuse("no preserved-memory map");
		return;
	}
	kho_in.mem_map = get_unaligned_be64(prop);
	early_memunmap(f, fdt_size);

	cnt = scratch_size / sizeof(*sa);
	sa = early_memremap(scratch, scratch_size);
	if (!sa) {
		kho_refuse("cannot map the scratch array");
		return;
	}
	for (i = 0; i < cnt; i++) {
		u64 addr = sa[i].addr, size = sa[i].size;

		if (!size || !PAGE_ALIGNED(addr | size) ||
		    addr + size < addr ||
		    (i && addr < kho_scratch[i - 1].addr + kho_scratch[i - 1].size) ||
		    kho_ranges_overlap(addr, size, fdt, fdt_size) ||
		    kho_ranges_overlap(addr, size, scratch, scratch_size))
			break;
		kho_scratch[i].addr = addr;
		kho_scratch[i].size = size;
	}
	early_memunmap((void *)sa, scratch_size);
	if (i < cnt) {
		kho_refuse("bad scratch area");
		return;
	}

	kho_scratch_cnt = cnt;
	kho_in.fdt_phys = fdt;
	kho_in.fdt_size = fdt_size;
	kho_in.scratch_phys = scratch;
	kho_in.scratch_size = scratch_size;
	kho_in.valid = true;
}

/**
 * kho_memblock_setup() - confine memblock to the scratch areas
 * @low_end: memory below this address is never preserved (the architecture
 *	reserves it) and may serve early allocations as scratch does.
 *
 * Called by the architecture once memblock knows the RAM and before it
 * allocates anything.  Scratch areas must lie in RAM.
 *
 * Context: Early boot.
 */
void __init kho_memblock_setup(phys_addr_t low_end)
{
	unsigned int i;

	if (!kho_in.valid)
		return;

	for (i = 0; i < kho_scratch_cnt; i++) {
		if (!memblock_is_region_memory(kho_scratch[i].addr,
					       kho_scratch[i].size)) {
			kho_refuse("scratch area outside RAM");
			return;
		}
	}
	if (!memblock_is_region_memory(kho_in.fdt_phys, kho_in.fdt_size) ||
	    !memblock_is_region_memory(kho_in.scratch_phys, kho_in.scratch_size) ||
	    kho_in.fdt_phys < low_end || kho_in.scratch_phys < low_end) {
		kho_refuse("root FDT or scratch array outside RAM");
		return;
	}

	memblock_reserve(kho_in.fdt_phys, kho_in.fdt_size);
	memblock_reserve(kho_in.scratch_phys, kho_in.scratch_size);
	for (i = 0; i < kho_scratch_cnt; i++)
		memblock_mark_kho_scratch(kho_scratch[i].addr, kho_scratch[i].size);
	if (low_end)
		memblock_mark_kho_scratch(0, low_end);
	memblock_set_kho_scratch_only();
}

/* Sort small arrays of ranges; merge overlapping and adjacent ones. */
static unsigned int __init kho_sort_ranges(struct kho_mem_range *r,
					   unsigned int n)
{
	unsigned int i, j, out = 0;

	for (i = 1; i < n; i++) {
		struct kho_mem_range x = r[i];

		for (j = i; j && r[j - 1].start > x.start; j--)
			r[j] = r[j - 1];
		r[j] = x;
	}
	for (i = 0; i < n; i++) {
		if (out && r[i].start <= r[out - 1].end)
			r[out - 1].end = max(r[out - 1].end, r[i].end);
		else
			r[out++] = r[i];
	}
	return out;
}

static int __init kho_walk_run(void *arg, unsigned long pfn,
			       unsigned int order, unsigned long nr_units)
{
	struct kho_in_run *runs;
	unsigned long i;

	if (kho_naive_reserve) {
		/* the way mainline does it: one reservation per unit */
		for (i = 0; i < nr_units; i++) {
			phys_addr_t pa = PFN_PHYS(pfn + (i << order));

			if (memblock_reserve(pa, PAGE_SIZE << order) ||
			    memblock_reserved_mark_noinit(pa, PAGE_SIZE << order))
				return -ENOMEM;
		}
	}

	if (kho_in.nr_runs == kho_in.max_runs) {
		unsigned long max = max(kho_in.max_runs * 2, PAGE_SIZE / sizeof(*runs));

		runs = memblock_alloc_raw(max * sizeof(*runs), PAGE_SIZE);
		if (!runs)
			return -ENOMEM;
		if (kho_in.runs) {
			memcpy(runs, kho_in.runs, kho_in.nr_runs * sizeof(*runs));
			memblock_free(kho_in.runs, kho_in.max_runs * sizeof(*runs));
		}
		kho_in.runs = runs;
		kho_in.max_runs = max;
	}
	if (kho_in.nr_runs) {
		const struct kho_in_run *prev = &kho_in.runs[kho_in.nr_runs - 1];

		/* restore looks runs up by binary search */
		if (pfn < prev->pfn + (prev->nr_units << prev->order))
			return -EINVAL;
	}
	kho_in.runs[kho_in.nr_runs++] = (struct kho_in_run) {
		.pfn = pfn, .nr_units = nr_units, .order = order,
		.bit = kho_in.nr_bits,
	};
	kho_in.nr_bits += nr_units;
	return 0;
}

static int __init kho_walk_range(void *arg, unsigned long pfn,
				 unsigned long nr_pages, unsigned long orders)
{
	if (kho_naive_reserve)
		return 0;
	return memblock_reserve_noinit(PFN_PHYS(pfn), PFN_PHYS(nr_pages));
}

static void __init kho_init_pages(unsigned long pfn, unsigned long nr);

static void __init kho_reserve_preserved(phys_addr_t low_end)
{
	static const struct kho_mem_walk_ops ops = {
		.range = kho_walk_range,
		.run = kho_walk_run,
	};
	struct kho_mem_walk_args args = { .head = kho_in.mem_map };
	struct kho_mem_walk_result res;
	struct kho_mem_range *ram, *excl;
	unsigned int nr_ram = 0, nr_excl = 0, i;
	struct memblock_region *r;
	u64 t0, t1;
	int err;

	ram = memblock_alloc_raw(memblock.memory.cnt * sizeof(*ram), SMP_CACHE_BYTES);
	excl = memblock_alloc_raw((KHO_SCRATCH_MAX + 3) * sizeof(*excl),
				  SMP_CACHE_BYTES);
	if (!ram || !excl) {
		kho_refuse("no memory to walk the map");
		goto out;
	}
	for_each_mem_region(r) {
		ram[nr_ram].start = r->base;
		ram[nr_ram++].end = r->base + r->size;
	}
	nr_ram = kho_sort_ranges(ram, nr_ram);
	for (i = 0; i < kho_scratch_cnt; i++) {
		excl[nr_excl].start = kho_scratch[i].addr;
		excl[nr_excl++].end = kho_scratch[i].addr + kho_scratch[i].size;
	}
	excl[nr_excl].start = kho_in.fdt_phys;
	excl[nr_excl++].end = kho_in.fdt_phys + kho_in.fdt_size;
	excl[nr_excl].start = kho_in.scratch_phys;
	excl[nr_excl++].end = kho_in.scratch_phys + kho_in.scratch_size;
	if (low_end) {
		excl[nr_excl].start = 0;
		excl[nr_excl++].end = low_end;
	}
	nr_excl = kho_sort_ranges(excl, nr_excl);

	args.ram = ram;
	args.nr_ram = nr_ram;
	args.excluded = excl;
	args.nr_excluded = nr_excl;

	t0 = get_cycles();
	err = kho_mem_walk(&args, &ops, NULL, &res);
	t1 = get_cycles();
	if (err == -EINVAL && res.check != KHO_MEM_CHECK_OK) {
		pr_err("refusing handover: preserved-memory map: %s (chunk %lu, entry %lu)\n",
		       kho_mem_check_name(res.check), (unsigned long)res.chunk,
		       (unsigned long)res.entry);
		kho_in.valid = false;
		goto out;
	}
	if (err) {
		/* memblock ran out of room: what is reserved stays reserved */
		pr_err("refusing handover: cannot reserve the preserved memory (%d)\n",
		       err);
		kho_in.valid = false;
		goto out;
	}

	atomic64_set(&kho_in.preserved, PFN_PHYS(res.nr_pages));
	/* logged from kho_init(), once the cycle counter is calibrated */
	kho_in.reserve_cycles = t1 - t0;

	/*
	 * Deferred memmap init skips reserved memory, and the memory that
	 * now holds the memmap may still hold the previous kernel's data.
	 * Give every preserved page a clean struct page before the page
	 * allocator (buddy merging looks at neighbours) or a pfn scanner
	 * such as compaction reads it.  Restores and releases build on that.
	 */
	t0 = get_cycles();
	for (i = 0; i < kho_in.nr_runs; i++)
		kho_init_pages(kho_in.runs[i].pfn,
			       kho_in.runs[i].nr_units << kho_in.runs[i].order);
	kho_in.memmap_cycles = get_cycles() - t0;
	kho_in.nr_ranges = res.nr_ranges;
	kho_in.nr_units = res.nr_units;
	kho_in.meta = (u64)res.nr_chunks * PAGE_SIZE + kho_in.fdt_size;
out:
	if (ram)
		memblock_free(ram, memblock.memory.cnt * sizeof(*ram));
	if (excl)
		memblock_free(excl, (KHO_SCRATCH_MAX + 3) * sizeof(*excl));
	if (!kho_in.valid && kho_in.runs) {
		memblock_free(kho_in.runs, kho_in.max_runs * sizeof(*kho_in.runs));
		kho_in.runs = NULL;
		kho_in.nr_runs = 0;
	}
}

/* ---------------------------------------------------------------------- */
/* Scratch areas of a cold boot                                           */
/* ---------------------------------------------------------------------- */

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

static void __init kho_reserve_scratch(void)
{
	phys_addr_t low = 0, total = 0, size, addr;
	static phys_addr_t node_bytes[MAX_NUMNODES] __initdata;
	struct memblock_region *r;
	const phys_addr_t align = CMA_MIN_ALIGNMENT_BYTES;
	unsigned int i, j;
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
	for (i = 1; i < kho_scratch_cnt; i++)
		for (j = i; j && kho_scratch_cmp(&kho_scratch[j - 1], &kho_scratch[j]) > 0; j--)
			swap(kho_scratch[j - 1], kho_scratch[j]);
	kho_scratch_reserved = true;
	return;

fail:
	pr_err("cannot reserve %pa bytes of scratch memory, disabling KHO\n",
	       &size);
	for (i = 0; i < kho_scratch_cnt; i++)
		memblock_phys_free(kho_scratch[i].addr, kho_scratch[i].size);
	kho_scratch_cnt = 0;
	kho_enable = false;
}

/*
 * Make every pageblock of the scratch areas MIGRATE_CMA before memblock
 * frees memory to the page allocator, so that only movable allocations
 * land there.  Memmap init may not have set a type on pageblocks that
 * memblock had partly allocated, and deferred init would make them
 * movable (see kho_pageblock_migratetype()).
 */
static void __init kho_scratch_set_cma(void)
{
	unsigned int i;

	for (i = 0; i < kho_scratch_cnt; i++) {
		unsigned long pfn = PHYS_PFN(kho_scratch[i].addr);
		unsigned long end = PHYS_PFN(kho_scratch[i].addr + kho_scratch[i].size);

		for (pfn = ALIGN_DOWN(pfn, pageblock_nr_pages); pfn < end;
		     pfn += pageblock_nr_pages) {
			/* the first page of a deferred pageblock is not set up yet */
			kho_init_pages(pfn, 1);
			set_pageblock_migratetype(pfn_to_page(pfn), MIGRATE_CMA);
		}
	}
}

/**
 * kho_memory_init() - reserve the handed-over memory, or set up scratch
 *
 * Called from mm_core_init() while memblock still manages memory.  On a
 * KHO boot it walks the previous kernel's map and reserves every
 * preserved range, then lets memblock allocate from all memory again.  On
 * a cold boot with "kho=on" it reserves the scratch areas.
 *
 * Context: Early boot.
 */
void __init kho_memory_init(void)
{
	if (kho_in.fdt_phys) {
		if (kho_in.valid)
			kho_reserve_preserved(SZ_1M);
		kho_scratch_set_cma();
		memblock_clear_kho_scratch_only();
		memblock_clear_kho_scratch(0, SZ_1M);
	}
	if (kho_enable && !kho_scratch_cnt)
		kho_reserve_scratch();
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

/* ---------------------------------------------------------------------- */
/* Outgoing side: preservation                                            */
/* ---------------------------------------------------------------------- */

static struct {
	/* read: preserve/unpreserve/subtrees; write: finalize */
	struct rw_semaphore sem;
	bool ready;
	bool frozen;		/* the kexec is under way */
	struct kho_mem_tracker tracker;
	struct kho_mem_chunks chunks;
	/* protects @subtrees */
	struct mutex subtree_lock;
	struct list_head subtrees;
	unsigned int nr_subtrees;
	void *fdt;
	struct kho_scratch_abi *scratch;
	u64 meta;
} kho_out = {
	.sem = __RWSEM_INITIALIZER(kho_out.sem),
	.subtree_lock = __MUTEX_INITIALIZER(kho_out.subtree_lock),
	.subtrees = LIST_HEAD_INIT(kho_out.subtrees),
};

void *kho_out_fdt(void)
{
	return kho_out.fdt;
}

/* Take the outgoing side for a change; returns with the sem held on success. */
static int kho_out_get(void)
{
	if (!kho_enable)
		return -EOPNOTSUPP;
	down_read(&kho_out.sem);
	if (!kho_out.ready || kho_out.frozen) {
		up_read(&kho_out.sem);
		return kho_out.frozen ? -EBUSY : -EOPNOTSUPP;
	}
	return 0;
}

static void kho_out_put(void)
{
	up_read(&kho_out.sem);
}

static int kho_preserve_unit(unsigned long pfn, unsigned int order)
{
	int err;

	if (kho_scratch_overlap(PFN_PHYS(pfn), PAGE_SIZE << order))
		return -EINVAL;
	err = kho_out_get();
	if (err)
		return err;
	err = kho_mem_preserve(&kho_out.tracker, pfn, order);
	kho_out_put();
	return err;
}

/**
 * kho_preserve_folio() - preserve a folio across kexec
 * @folio: the folio; any order up to PUD order.
 *
 * The folio's memory is handed over unchanged, and the next kernel can
 * get it back with kho_restore_folio() on its physical address.
 *
 * Context: Process context; may sleep.
 * Return: 0 on success; -EOPNOTSUPP if KHO is off; -EBUSY once the kexec
 * is under way; -EINVAL if the folio lies in a scratch area; -EEXIST if it
 * overlaps preserved memory; -ENOMEM.
 */
int kho_preserve_folio(struct folio *folio)
{
	return kho_preserve_unit(folio_pfn(folio), folio_order(folio));
}
EXPORT_SYMBOL_GPL(kho_preserve_folio);

/**
 * kho_unpreserve_folio() - undo kho_preserve_folio()
 * @folio: a folio preserved with kho_preserve_folio().
 *
 * Context: Process context; may sleep.
 * Return: 0 on success; -EOPNOTSUPP if KHO is off; -EBUSY once the kexec
 * is under way; -ENOENT if the folio was not preserved as a whole.
 */
int kho_unpreserve_folio(struct folio *folio)
{
	int err = kho_out_get();

	if (err)
		return err;
	err = kho_mem_unpreserve(&kho_out.tracker, folio_pfn(folio),
				 folio_order(folio));
	kho_out_put();
	return err;
}
EXPORT_SYMBOL_GPL(kho_unpreserve_folio);

/**
 * kho_preserve_pages() - preserve a run of order-0 pages across kexec
 * @page: the first page.
 * @nr_pages: number of physically contiguous pages.
 *
 * The next kernel gets them back with kho_restore_pages() and the same
 * count.
 *
 * Context: Process context; may sleep.
 * Return: 0 on success; -EOPNOTSUPP, -EBUSY, -EINVAL, -EEXIST or -ENOMEM
 * as for kho_preserve_folio().
 */
int kho_preserve_pages(struct page *page, unsigned long nr_pages)
{
	unsigned long pfn = page_to_pfn(page);
	int err;

	if (!nr_pages || kho_scratch_overlap(PFN_PHYS(pfn), PFN_PHYS(nr_pages)))
		return -EINVAL;
	err = kho_out_get();
	if (err)
		return err;
	err = kho_mem_preserve_range(&kho_out.tracker, pfn, nr_pages);
	kho_out_put();
	return err;
}
EXPORT_SYMBOL_GPL(kho_preserve_pages);

/**
 * kho_unpreserve_pages() - undo kho_preserve_pages()
 * @page: the first page.
 * @nr_pages: the count given to kho_preserve_pages().
 *
 * Context: Process context; may sleep.
 * Return: 0 on success; -EOPNOTSUPP, -EBUSY, or -ENOENT if the pages were
 * not preserved that way.
 */
int kho_unpreserve_pages(struct page *page, unsigned long nr_pages)
{
	int err;

	if (!nr_pages)
		return -EINVAL;
	err = kho_out_get();
	if (err)
		return err;
	err = kho_mem_unpreserve_range(&kho_out.tracker, page_to_pfn(page),
				       nr_pages);
	kho_out_put();
	return err;
}
EXPORT_SYMBOL_GPL(kho_unpreserve_pages);

/* ---------------------------------------------------------------------- */
/* vmalloc areas                                                          */
/* ---------------------------------------------------------------------- */

/* A page of the page list of a preserved vmalloc area. */
struct kho_vmalloc_chunk {
	__le64 next;
	__le64 nr;
	__le64 phys[];
};

#define KHO_VMALLOC_PER_CHUNK \
	((PAGE_SIZE - sizeof(struct kho_vmalloc_chunk)) / sizeof(__le64))

static void kho_vmalloc_free_chunks(u64 first, bool unpreserve)
{
	while (first) {
		struct kho_vmalloc_chunk *c = phys_to_virt(first);
		u64 i, next = le64_to_cpu(c->next);

		if (unpreserve) {
			for (i = 0; i < le64_to_cpu(c->nr); i++)
				kho_unpreserve_pages(pfn_to_page(PHYS_PFN(le64_to_cpu(c->phys[i]))),
						     1);
			kho_unpreserve_pages(virt_to_page(c), 1);
		}
		free_page((unsigned long)c);
		first = next;
	}
}

/**
 * kho_preserve_vmalloc() - preserve a vmalloc area across kexec
 * @ptr: start of an area from vmalloc() or vmalloc_huge().
 * @preservation: filled with the handle to store for the next kernel.
 *
 * The area's pages and a list of them are preserved; the next kernel maps
 * them again with kho_restore_vmalloc().
 *
 * Context: Process context; may sleep.
 * Return: 0 on success; -EINVAL if @ptr is not the start of a vmalloc
 * area; -EOPNOTSUPP for other kinds of areas or with KHO off; -EBUSY,
 * -EEXIST or -ENOMEM as for kho_preserve_folio().  On error nothing is
 * preserved.
 */
int kho_preserve_vmalloc(void *ptr, struct kho_vmalloc *preservation)
{
	struct vm_struct *vm = find_vm_area(ptr);
	struct kho_vmalloc_chunk *c, *prev = NULL;
	unsigned int i;
	u64 first = 0;
	u16 flags = 0;
	int err;

	if (!vm || vm->addr != ptr || !vm->pages)
		return -EINVAL;
	if (!(vm->flags & VM_ALLOC) ||
	    (vm->flags & ~(VM_ALLOC | VM_ALLOW_HUGE_VMAP | VM_UNINITIALIZED |
			   VM_NO_GUARD | VM_DEFER_KMEMLEAK | VM_USERMAP)))
		return -EOPNOTSUPP;
	flags = KHO_VMALLOC_VM_ALLOC;
	if (vm->flags & VM_ALLOW_HUGE_VMAP)
		flags |= KHO_VMALLOC_VM_ALLOW_HUGE;

	for (i = 0; i < vm->nr_pages; i++) {
		if (!prev || le64_to_cpu(prev->nr) == KHO_VMALLOC_PER_CHUNK) {
			c = (void *)get_zeroed_page(GFP_KERNEL);
			if (!c) {
				err = -ENOMEM;
				goto fail;
			}
			err = kho_preserve_pages(virt_to_page(c), 1);
			if (err) {
				free_page((unsigned long)c);
				goto fail;
			}
			if (prev)
				prev->next = cpu_to_le64(virt_to_phys(c));
			else
				first = virt_to_phys(c);
			prev = c;
		}
		err = kho_preserve_pages(vm->pages[i], 1);
		if (err)
			goto fail;
		prev->phys[le64_to_cpu(prev->nr)] =
			cpu_to_le64(page_to_phys(vm->pages[i]));
		le64_add_cpu(&prev->nr, 1);
	}

	preservation->first = first;
	preservation->total_pages = vm->nr_pages;
	preservation->flags = flags;
	preservation->order = 0;
	return 0;

fail:
	kho_vmalloc_free_chunks(first, true);
	return err;
}
EXPORT_SYMBOL_GPL(kho_preserve_vmalloc);

/**
 * kho_unpreserve_vmalloc() - undo kho_preserve_vmalloc()
 * @preservation: the handle kho_preserve_vmalloc() filled in.
 *
 * Context: Process context; may sleep.
 * Return: 0 on success; -EINVAL for an empty handle; -EOPNOTSUPP or
 * -EBUSY as for kho_unpreserve_pages().
 */
int kho_unpreserve_vmalloc(struct kho_vmalloc *preservation)
{
	int err;

	if (!preservation->first)
		return -EINVAL;
	err = kho_out_get();
	if (err)
		return err;
	kho_out_put();
	kho_vmalloc_free_chunks(preservation->first, true);
	memset(preservation, 0, sizeof(*preservation));
	return 0;
}
EXPORT_SYMBOL_GPL(kho_unpreserve_vmalloc);

/* ---------------------------------------------------------------------- */
/* Subtrees                                                               */
/* ---------------------------------------------------------------------- */

static bool kho_valid_node_name(const char *name)
{
	size_t i, len = strnlen(name, KHO_SUBTREE_NAME_MAX + 1);

	if (!len || len > KHO_SUBTREE_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum(name[i]) && !strchr(",._+-", name[i]))
			return false;
	return true;
}

/**
 * kho_add_subtree() - link a component's FDT into the handover
 * @name: node name in the root FDT (letters, digits and ",._+-").
 * @fdt: the component's FDT.  Its memory must be preserved too (for
 *	example with kho_preserve_folio()), and it must stay valid until
 *	kexec or kho_remove_subtree().
 *
 * The next kernel finds it with kho_retrieve_subtree(@name).
 *
 * Context: Process context; may sleep.
 * Return: 0 on success; -EINVAL for a bad name or an invalid FDT; -EEXIST
 * if @name is taken; -EOPNOTSUPP if KHO is off; -EBUSY once the kexec is
 * under way; -ENOMEM.
 */
int kho_add_subtree(const char *name, void *fdt)
{
	struct kho_subtree *st, *it;
	int err;

	if (!name || !fdt || !kho_valid_node_name(name) || fdt_check_header(fdt))
		return -EINVAL;
	err = kho_out_get();
	if (err)
		return err;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (st)
		st->name = kstrdup(name, GFP_KERNEL);
	if (!st || !st->name) {
		kfree(st);
		err = -ENOMEM;
		goto out;
	}
	st->fdt = fdt;

	mutex_lock(&kho_out.subtree_lock);
	list_for_each_entry(it, &kho_out.subtrees, list) {
		if (!strcmp(it->name, name)) {
			err = -EEXIST;
			break;
		}
	}
	if (!err) {
		list_add_tail(&st->list, &kho_out.subtrees);
		kho_out.nr_subtrees++;
		kho_debugfs_add_subtree(st);
	}
	mutex_unlock(&kho_out.subtree_lock);
	if (err) {
		kfree(st->name);
		kfree(st);
	}
out:
	kho_out_put();
	return err;
}
EXPORT_SYMBOL_GPL(kho_add_subtree);

/**
 * kho_remove_subtree() - unlink an FDT added with kho_add_subtree()
 * @fdt: the FDT.
 *
 * Context: Process context; may sleep.
 * Return: 0 on success; -ENOENT if @fdt is not linked; -EOPNOTSUPP or
 * -EBUSY as for kho_add_subtree().
 */
int kho_remove_subtree(void *fdt)
{
	struct kho_subtree *st;
	int err = kho_out_get();

	if (err)
		return err;
	err = -ENOENT;
	mutex_lock(&kho_out.subtree_lock);
	list_for_each_entry(st, &kho_out.subtrees, list) {
		if (st->fdt == fdt) {
			list_del(&st->list);
			kho_out.nr_subtrees--;
			kho_debugfs_remove_subtree(st);
			kfree(st->name);
			kfree(st);
			err = 0;
			break;
		}
	}
	mutex_unlock(&kho_out.subtree_lock);
	kho_out_put();
	return err;
}
EXPORT_SYMBOL_GPL(kho_remove_subtree);

/**
 * kho_retrieve_subtree() - find a sub-FDT the previous kernel linked
 * @name: its node name.
 * @phys: set to the sub-FDT's physical address.
 *
 * The owner restores the sub-FDT's memory with kho_restore_folio() and
 * must validate its contents: they come from the previous kernel.
 *
 * Context: Any context.
 * Return: 0 on success; -ENOENT if there was no handover or no such
 * subtree; -EINVAL if the node is malformed.
 */
int kho_retrieve_subtree(const char *name, phys_addr_t *phys)
{
	const void *fdt = kho_in_fdt();
	const void *prop;
	int off, len;

	if (!fdt || !name)
		return -ENOENT;
	off = fdt_subnode_offset(fdt, 0, name);
	if (off < 0)
		return -ENOENT;
	prop = fdt_getprop(fdt, off, KHO_FDT_PROP_SUB_FDT, &len);
	if (!prop || len != sizeof(u64))
		return -EINVAL;
	*phys = get_unaligned_be64(prop);
	return 0;
}
EXPORT_SYMBOL_GPL(kho_retrieve_subtree);

/* ---------------------------------------------------------------------- */
/* Handover                                                               */
/* ---------------------------------------------------------------------- */

/**
 * kho_boot_data() - what kexec_file_load() passes to the next kernel
 * @fdt: set to the physical address of the root FDT.
 * @fdt_size: set to the bytes reserved for it.
 * @scratch: set to the physical address of the scratch array.
 * @scratch_size: set to its size in bytes.
 *
 * Context: Process context, kexec_file_load().
 * Return: 0 on success, -ENOENT if KHO is off.
 */
int kho_boot_data(phys_addr_t *fdt, u64 *fdt_size, phys_addr_t *scratch,
		  u64 *scratch_size)
{
	if (!kho_enable || !kho_out.ready)
		return -ENOENT;
	*fdt = virt_to_phys(kho_out.fdt);
	*fdt_size = KHO_FDT_MAX_SIZE;
	*scratch = virt_to_phys(kho_out.scratch);
	*scratch_size = kho_scratch_cnt * sizeof(*kho_out.scratch);
	return 0;
}

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

static int kho_write_root_fdt(phys_addr_t mem_map)
{
	void *fdt = kho_out.fdt;
	struct kho_subtree *st;
	int err = 0;

	err |= fdt_create(fdt, KHO_FDT_MAX_SIZE);
	err |= fdt_finish_reservemap(fdt);
	err |= fdt_begin_node(fdt, "");
	err |= fdt_property_string(fdt, "compatible", KHO_FDT_COMPATIBLE);
	err |= fdt_property_u32(fdt, KHO_FDT_PROP_VERSION, KHO_FDT_VERSION);
	err |= fdt_property_u64(fdt, KHO_FDT_PROP_MEM_MAP, mem_map);
	mutex_lock(&kho_out.subtree_lock);
	list_for_each_entry(st, &kho_out.subtrees, list) {
		err |= fdt_begin_node(fdt, st->name);
		err |= fdt_property_u64(fdt, KHO_FDT_PROP_SUB_FDT,
					virt_to_phys(st->fdt));
		err |= fdt_end_node(fdt);
	}
	mutex_unlock(&kho_out.subtree_lock);
	err |= fdt_end_node(fdt);
	err |= fdt_finish(fdt);
	return err ? -ENOSPC : 0;
}

/**
 * kho_finalize() - write the handover just before the jump
 *
 * Serializes the tracker and writes the root FDT.  From then on the
 * outgoing state is frozen: preserve and subtree calls fail with -EBUSY.
 * Layers above KHO write their state first (see liveupdate_reboot()).
 *
 * Context: Process context, kernel_kexec().
 * Return: 0 on success (or with KHO off); a negative errno, in which case
 * the kexec must not go on and nothing is lost.
 */
int kho_finalize(void)
{
	struct kho_mem_stats st;
	phys_addr_t mem_map;
	int err;

	if (!kho_enable || !kho_out.ready)
		return 0;

	down_write(&kho_out.sem);
	if (kho_out.frozen) {
		/* an earlier attempt got this far; write it again */
		kho_mem_chunks_free(&kho_out.chunks);
		kho_out.frozen = false;
	}
	err = kho_mem_serialize(&kho_out.tracker, &kho_out.chunks);
	if (err)
		goto out;
	mem_map = kho_out.chunks.head;
	if (test_corrupt_map) {
		if (mem_map) {
			struct kho_mem_chunk_hdr *hdr = phys_to_virt(mem_map);

			hdr->magic = cpu_to_le32(le32_to_cpu(hdr->magic) ^ 0xff);
		} else {
			mem_map = 1;
		}
		pr_warn("test: corrupting the outgoing map\n");
	}
	err = kho_write_root_fdt(mem_map);
	if (err) {
		kho_mem_chunks_free(&kho_out.chunks);
		goto out;
	}
	kho_out.frozen = true;
	kho_mem_get_stats(&kho_out.tracker, &st);
	kho_out.meta = kho_out.chunks.bytes + KHO_FDT_MAX_SIZE +
		       st.nr_bitmap_leaves * PAGE_SIZE;
	pr_info("finalized: %llu units, %llu bytes preserved, metadata %llu bytes, %u subtrees\n",
		st.nr_units, st.nr_bytes, kho_out.meta, kho_out.nr_subtrees);
out:
	up_write(&kho_out.sem);
	if (err)
		pr_err("cannot write the handover (%d), kexec refused\n", err);
	return err;
}

/* ---------------------------------------------------------------------- */
/* Restore                                                                */
/* ---------------------------------------------------------------------- */

/*
 * Initialize the struct pages of a handed-over range, which memmap init
 * skipped; at boot, for every preserved run, before anyone can see them.
 */
static void __init kho_init_pages(unsigned long pfn, unsigned long nr)
{
	unsigned long end = pfn + nr;
	pg_data_t *pgdat;
	int zid;

	while (pfn < end) {
		static struct zone *last;
		unsigned long stop = end;
		struct zone *zone = NULL;

		/* restores come in address order: try the last zone first */
		if (last && zone_spans_pfn(last, pfn))
			zone = last;
		for_each_online_pgdat(pgdat) {
			if (zone)
				break;
			for (zid = 0; zid < MAX_NR_ZONES; zid++) {
				struct zone *z = &pgdat->node_zones[zid];

				if (populated_zone(z) && zone_spans_pfn(z, pfn)) {
					zone = z;
					break;
				}
			}
			if (zone)
				break;
		}
		if (WARN_ON_ONCE(!zone))
			return;
		last = zone;
		stop = min(end, zone_end_pfn(zone));
		for (; pfn < stop; pfn++) {
			struct page *page = pfn_to_page(pfn);

			mm_zero_struct_page(page);
			set_page_links(page, zone_idx(zone), zone_to_nid(zone), pfn);
			init_page_count(page);
			atomic_set(&page->_mapcount, -1);
			page_cpupid_reset_last(page);
			page_kasan_tag_reset(page);
			INIT_LIST_HEAD(&page->lru);
		}
	}
}

/* The run that holds @pfn, or NULL. */
static struct kho_in_run *kho_in_find(unsigned long pfn)
{
	unsigned long lo = 0, hi = kho_in.nr_runs;

	while (lo < hi) {
		unsigned long mid = lo + (hi - lo) / 2;
		struct kho_in_run *run = &kho_in.runs[mid];

		if (pfn < run->pfn)
			hi = mid;
		else if (pfn >= run->pfn + (run->nr_units << run->order))
			lo = mid + 1;
		else
			return run;
	}
	return NULL;
}

/* The claim bit of the unit that starts at @pfn, or -1; its order in @order. */
static long kho_in_bit(unsigned long pfn, unsigned int *order)
{
	struct kho_in_run *run = kho_in_find(pfn);

	if (!run || (pfn - run->pfn) & ((1UL << run->order) - 1))
		return -1;
	*order = run->order;
	return run->bit + ((pfn - run->pfn) >> run->order);
}

/* As kho_in_bit(), but -1 once restoring is over. */
static long kho_in_unit(unsigned long pfn, unsigned int *order)
{
	if (!kho_in_fdt() || READ_ONCE(kho_in.finished))
		return -1;
	return kho_in_bit(pfn, order);
}

/*
 * Take the unit that starts at @pfn: its order, or -1 if there is no such
 * unit or it was restored or released already.  Claims race only on the
 * bit, so restores need no lock.
 */
static int kho_claim(unsigned long pfn)
{
	unsigned int order;
	long bit = kho_in_unit(pfn, &order);

	if (bit < 0 || test_and_set_bit(bit, kho_in.claimed))
		return -1;
	return order;
}

/**
 * kho_in_room() - bytes of handed-over memory from @phys to the end of its unit
 * @phys: a physical address.
 *
 * Return: 0 if @phys is not in a unit that is still unclaimed.
 */
size_t kho_in_room(phys_addr_t phys)
{
	unsigned long pfn = PHYS_PFN(phys);
	struct kho_in_run *run;
	unsigned long start;

	if (!kho_in_fdt())
		return 0;
	run = kho_in_find(pfn);
	if (!run)
		return 0;
	start = pfn & ~((1UL << run->order) - 1);
	if (test_bit(run->bit + ((start - run->pfn) >> run->order), kho_in.claimed))
		return 0;
	return PFN_PHYS(start) + (PAGE_SIZE << run->order) - phys;
}

/**
 * kho_restore_folio() - get back a folio the previous kernel preserved
 * @phys: physical address of the folio.
 *
 * Context: Process context; may sleep.
 * Return: the folio, of the order it was preserved with and with one
 * reference; NULL if @phys is not the start of a preserved unit, or was
 * restored or released already.
 */
struct folio *kho_restore_folio(phys_addr_t phys)
{
	unsigned long pfn = PHYS_PFN(phys);
	struct page *page;
	int order;

	if (!is_kho_boot() || !PAGE_ALIGNED(phys))
		return NULL;
	order = kho_claim(pfn);
	if (order < 0)
		return NULL;

	/* its struct pages were set up at boot (kho_reserve_preserved()) */
	page = pfn_to_page(pfn);
	if (order) {
		unsigned long i;

		for (i = 1; i < (1UL << order); i++)
			set_page_count(page + i, 0);
		prep_compound_page(page, order);
	}
	adjust_managed_page_count(page, 1L << order);
	atomic64_add(PAGE_SIZE << order, &kho_in.restored);
	return page_folio(page);
}
EXPORT_SYMBOL_GPL(kho_restore_folio);

static void kho_release_unit(unsigned long pfn, unsigned int order);

/* The order kho_mem_preserve_range() gave the unit at @p of [.., @end). */
static unsigned int kho_range_order(unsigned long p, unsigned long end)
{
	unsigned int order = min_t(unsigned int, ilog2(end - p), KHO_MEM_MAX_ORDER);

	return p ? min_t(unsigned int, order, __ffs(p)) : order;
}

/**
 * kho_restore_pages() - get back pages preserved with kho_preserve_pages()
 * @phys: physical address of the first page.
 * @nr_pages: the count given to kho_preserve_pages().
 *
 * Context: Process context; may sleep.
 * Return: the first of @nr_pages order-0 pages, each with one reference;
 * NULL if they were not preserved that way, or were restored or released
 * already.  Nothing is restored then.
 */
struct page *kho_restore_pages(phys_addr_t phys, unsigned long nr_pages)
{
	unsigned long pfn = PHYS_PFN(phys), end = pfn + nr_pages, p;
	unsigned int order;
	long bit;

	if (!kho_in_fdt() || !PAGE_ALIGNED(phys) || !nr_pages || end < pfn)
		return NULL;

	/* The same split into units as kho_mem_preserve_range() made. */
	for (p = pfn; p < end; p += 1UL << order) {
		bit = kho_in_unit(p, &order);
		if (bit < 0 || order != kho_range_order(p, end) ||
		    test_and_set_bit(bit, kho_in.claimed))
			goto undo;
	}

	adjust_managed_page_count(pfn_to_page(pfn), nr_pages);
	atomic64_add(PFN_PHYS(nr_pages), &kho_in.restored);
	return pfn_to_page(pfn);

undo:
	/* give back the units claimed before @p */
	end = p;
	for (p = pfn; p < end; p += 1UL << order) {
		bit = kho_in_bit(p, &order);
		clear_bit(bit, kho_in.claimed);
		/* kho_finish() may have passed the unit while we held it */
		smp_mb__after_atomic();
		if (READ_ONCE(kho_in.finished) &&
		    !test_and_set_bit(bit, kho_in.claimed))
			kho_release_unit(p, order);
	}
	return NULL;
}
EXPORT_SYMBOL_GPL(kho_restore_pages);

/**
 * kho_restore_vmalloc() - map a preserved vmalloc area again
 * @preservation: the handle kho_preserve_vmalloc() filled in.
 *
 * The handle and the page list come from the previous kernel and are
 * checked: every page must be a preserved, unrestored page.
 *
 * Context: Process context; may sleep.
 * Return: the address of the area, which vfree() frees; NULL on error.
 */
void *kho_restore_vmalloc(const struct kho_vmalloc *preservation)
{
	unsigned long total = preservation->total_pages, n = 0;
	u64 next = preservation->first;
	unsigned long nr_chunks = 0;
	struct page **pages;
	void *addr;

	if (!total || !next || preservation->order ||
	    !(preservation->flags & KHO_VMALLOC_VM_ALLOC) ||
	    total > totalram_pages())
		return NULL;
	pages = kvmalloc_array(total, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return NULL;

	while (next) {
		struct page *cp = kho_restore_pages(next, 1);
		struct kho_vmalloc_chunk *c;
		u64 i, nr;

		if (!cp || ++nr_chunks > DIV_ROUND_UP(total, KHO_VMALLOC_PER_CHUNK))
			goto fail;
		c = page_address(cp);
		nr = le64_to_cpu(c->nr);
		next = le64_to_cpu(c->next);
		if (nr > KHO_VMALLOC_PER_CHUNK || nr > total - n) {
			__free_page(cp);
			goto fail;
		}
		for (i = 0; i < nr; i++) {
			pages[n] = kho_restore_pages(le64_to_cpu(c->phys[i]), 1);
			if (!pages[n]) {
				__free_page(cp);
				goto fail;
			}
			n++;
		}
		__free_page(cp);
	}
	if (n != total)
		goto fail;

	addr = vmap(pages, total, VM_MAP | VM_MAP_PUT_PAGES, PAGE_KERNEL);
	if (addr)
		return addr;
fail:
	while (n)
		__free_page(pages[--n]);
	kvfree(pages);
	return NULL;
}
EXPORT_SYMBOL_GPL(kho_restore_vmalloc);

/* ---------------------------------------------------------------------- */
/* Unclaimed memory                                                       */
/* ---------------------------------------------------------------------- */

static void kho_release_unit(unsigned long pfn, unsigned int order)
{
	unsigned long nr = 1UL << order, done;
	unsigned int blk = min_t(unsigned int, order, MAX_PAGE_ORDER);

	for (done = 0; done < nr; done += 1UL << blk) {
		struct page *page = pfn_to_page(pfn + done);
		unsigned long i;

		/* It may hold a tenant's data: zero it before anyone sees it. */
		for (i = 0; i < (1UL << blk); i++) {
			clear_highpage(page + i);
			if (i)
				set_page_count(page + i, 0);
		}
		__free_pages(page, blk);
		adjust_managed_page_count(page, 1L << blk);
		atomic64_add(PAGE_SIZE << blk, &kho_in.released);
		atomic64_sub(PAGE_SIZE << blk, &kho_in.releasing);
		cond_resched();
	}
}

static void kho_release_fn(struct work_struct *work)
{
	u64 t0 = local_clock();
	unsigned long i, k;

	for (i = 0; i < kho_in.nr_runs; i++) {
		const struct kho_in_run *run = &kho_in.runs[i];

		for (k = 0; k < run->nr_units; k++)
			if (!test_and_set_bit(run->bit + k, kho_in.claimed))
				kho_release_unit(run->pfn + (k << run->order),
						 run->order);
	}
	pr_info("released %llu bytes of unclaimed memory (zeroed) in %llu ms\n",
		(u64)atomic64_read(&kho_in.released),
		div_u64(local_clock() - t0, NSEC_PER_MSEC));
	complete_all(&kho_in.released_done);
}

static DECLARE_WORK(kho_release_work, kho_release_fn);

/**
 * kho_finish() - release the handed-over memory nobody restored
 *
 * The memory is zeroed and returned to the page allocator in the
 * background; kho_restore_*() fail from now on.  By default this happens
 * at the end of boot; with "kho_finish=manual", only when called (or on a
 * write to debugfs kho/in/finish).
 *
 * Context: Process context; may sleep.
 * Return: 0 on success; -ENOENT without a handover; -EALREADY if called
 * before.
 */
int kho_finish(void)
{
	if (!kho_in_fdt())
		return -ENOENT;
	mutex_lock(&kho_in.lock);
	if (kho_in.finished) {
		mutex_unlock(&kho_in.lock);
		return -EALREADY;
	}
	WRITE_ONCE(kho_in.finished, true);
	mutex_unlock(&kho_in.lock);

	atomic64_set(&kho_in.releasing, atomic64_read(&kho_in.preserved) -
		     atomic64_read(&kho_in.restored));
	queue_work(system_unbound_wq, &kho_release_work);
	return 0;
}
EXPORT_SYMBOL_GPL(kho_finish);

/**
 * kho_release_wait() - wait until unclaimed memory has been released
 *
 * Context: Process context; sleeps until kho_finish()'s work is done.
 * Returns at once if there was no handover, or with "kho_finish=manual"
 * before kho_finish() was called.  Must not be called from an initcall
 * that runs before late_initcall_sync without "kho_finish=manual".
 */
void kho_release_wait(void)
{
	bool started;

	mutex_lock(&kho_in.lock);
	started = kho_in.finished;
	mutex_unlock(&kho_in.lock);
	/* by default the release starts at the end of boot: wait for it too */
	if (kho_in_fdt() && (started || !kho_finish_manual))
		wait_for_completion(&kho_in.released_done);
}
EXPORT_SYMBOL_GPL(kho_release_wait);

/**
 * kho_get_stats() - read KHO's counters
 * @stats: filled in.
 *
 * Context: Process context; may sleep.
 */
void kho_get_stats(struct kho_stats *stats)
{
	struct kho_mem_stats st = { };

	if (kho_out.ready)
		kho_mem_get_stats(&kho_out.tracker, &st);
	stats->preserved_out = st.nr_bytes;
	stats->preserved_in = atomic64_read(&kho_in.preserved);
	stats->restored = atomic64_read(&kho_in.restored);
	stats->released = atomic64_read(&kho_in.released);
	stats->releasing = atomic64_read(&kho_in.releasing);
	stats->meta_out = kho_out.meta;
}
EXPORT_SYMBOL_GPL(kho_get_stats);

/* ---------------------------------------------------------------------- */
/* Init                                                                   */
/* ---------------------------------------------------------------------- */

static void __init kho_release_scratch(void)
{
	unsigned int i;

	for (i = 0; i < kho_scratch_cnt; i++) {
		unsigned long pfn = PHYS_PFN(kho_scratch[i].addr);
		unsigned long end = PHYS_PFN(kho_scratch[i].addr + kho_scratch[i].size);

		for (; pfn < end; pfn += pageblock_nr_pages)
			init_cma_reserved_pageblock(pfn_to_page(pfn));
	}
}

static void __init kho_in_init(void)
{
	struct kho_in_run *runs = NULL;

	/* move the runs out of memblock memory; one claim bit per unit */
	if (kho_in.nr_runs)
		runs = kvmalloc_array(kho_in.nr_runs, sizeof(*runs), GFP_KERNEL);
	kho_in.claimed = kvcalloc(BITS_TO_LONGS(max(kho_in.nr_bits, 1UL)),
				  sizeof(unsigned long), GFP_KERNEL);
	if (runs)
		memcpy(runs, kho_in.runs, kho_in.nr_runs * sizeof(*runs));
	if (kho_in.runs)
		memblock_free_late(virt_to_phys(kho_in.runs),
				   kho_in.max_runs * sizeof(*kho_in.runs));
	kho_in.runs = runs;
	if ((kho_in.nr_runs && !runs) || !kho_in.claimed) {
		/* the memory stays reserved; its owners cannot restore it */
		pr_err("cannot track the handed-over memory\n");
		kho_in.nr_runs = 0;
		kho_in.valid = false;
		return;
	}
	kho_in.fdt = phys_to_virt(kho_in.fdt_phys);
	kho_debugfs_snapshot_in();
}

static int __init kho_out_init(void)
{
	unsigned int i;

	kho_out.fdt = (void *)__get_free_pages(GFP_KERNEL | __GFP_ZERO,
					       get_order(KHO_FDT_MAX_SIZE));
	kho_out.scratch = kcalloc(KHO_SCRATCH_MAX, sizeof(*kho_out.scratch),
				  GFP_KERNEL);
	if (!kho_out.fdt || !kho_out.scratch)
		return -ENOMEM;
	for (i = 0; i < kho_scratch_cnt; i++)
		kho_out.scratch[i] = kho_scratch[i];
	kho_mem_init(&kho_out.tracker);
	/* an empty handover until kexec writes the real one */
	if (kho_write_root_fdt(0))
		return -ENOSPC;
	kho_out.ready = true;
	return 0;
}

/* Early-boot timing uses get_cycles(): sched_clock() may not run yet. */
static u64 __init kho_cycles_to_ns(u64 cycles)
{
#ifdef CONFIG_X86
	if (tsc_khz)
		return div_u64(cycles * 1000000, tsc_khz);
#endif
	return cycles;
}

static int __init kho_init(void)
{
	if (kho_scratch_reserved)
		kho_release_scratch();
	if (is_kho_boot()) {
		pr_info("handover: reserved %llu ranges (%llu units, %llu bytes) in %llu ns, metadata %llu bytes, memmap init %llu ns%s\n",
			kho_in.nr_ranges, kho_in.nr_units,
			(u64)atomic64_read(&kho_in.preserved),
			kho_cycles_to_ns(kho_in.reserve_cycles), kho_in.meta,
			kho_cycles_to_ns(kho_in.memmap_cycles),
			kho_naive_reserve ? " (naive, one reservation per unit)" : "");
		kho_in_init();
	}
	if (kho_enable && kho_out_init()) {
		pr_err("cannot allocate the outgoing handover, disabling KHO\n");
		kho_enable = false;
	}
	if (kho_enable)
		pr_info("enabled, %u scratch areas\n", kho_scratch_cnt);
	return 0;
}
core_initcall(kho_init);

static int __init kho_debugfs_late_init(void)
{
	struct kho_subtree *st;

	kho_debugfs_init();
	mutex_lock(&kho_out.subtree_lock);
	list_for_each_entry(st, &kho_out.subtrees, list)
		kho_debugfs_add_subtree(st);
	mutex_unlock(&kho_out.subtree_lock);
	return 0;
}
fs_initcall(kho_debugfs_late_init);

static int __init kho_late_finish(void)
{
	if (is_kho_boot() && !kho_finish_manual)
		kho_finish();
	return 0;
}
late_initcall_sync(kho_late_finish);
