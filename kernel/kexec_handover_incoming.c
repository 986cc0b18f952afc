// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kexec HandOver (KHO): the handover from the previous kernel.
 *
 * The architecture passes the root FDT and the scratch array to
 * kho_populate() before memblock knows any memory, and calls
 * kho_memblock_setup() once it does, which confines memblock to the
 * scratch areas.  kho_memory_init() then validates and walks the
 * preserved-memory map, reserves each preserved range once
 * (MEMBLOCK_RSRV_NOINIT) and gives the preserved pages clean struct pages,
 * before memblock allocates from all memory again.  At core_initcall the
 * runs of units move out of memblock memory, get one claim bit per unit,
 * and every subtree pointer is checked.  Owners then restore their units
 * by physical address; what nobody restores by the end of boot (or by
 * kho_finish()) is zeroed and freed in the background.
 *
 * Everything here comes from the previous kernel and is untrusted: a bad
 * root FDT, scratch array or map is refused with one log line and the
 * kernel boots normally; a bad subtree pointer is refused alone.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/highmem.h>
#include <linux/kexec_handover.h>
#include <linux/kho_mem.h>
#include <linux/libfdt.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/unaligned.h>
#include <linux/workqueue.h>

#include "kexec_handover_internal.h"

/*
 * The early boot allocates the memmap of all memory, page tables and the
 * first per-CPU areas from the scratch areas: refuse a handover whose free
 * scratch cannot hold the memmap and this much more.
 */
#define KHO_SCRATCH_BOOT_MIN	SZ_32M

/*
 * One run of units of one order, as the early walk found them.  The runs
 * are ascending and disjoint; a unit's claim bit is @bit + its index.  A
 * run whose struct pages could not be set up stays reserved but can never
 * be claimed (@usable false).
 */
struct kho_in_run {
	unsigned long pfn;
	unsigned long nr_units;
	unsigned long bit;
	unsigned int order;
	bool usable;
};

/* A subtree of the root FDT whose pointer passed the checks. */
struct kho_in_subtree {
	const char *name;
	phys_addr_t phys;
};

static bool kho_finish_manual __ro_after_init;

static struct {
	phys_addr_t fdt_phys;
	u64 fdt_size;
	phys_addr_t scratch_phys;
	u64 scratch_size;
	phys_addr_t mem_map;
	bool valid;		/* the handover passed every check so far */
	bool finished;		/* unclaimed memory is being released */
	const void *fdt;
	struct kho_in_subtree *subtrees;
	unsigned int nr_subtrees;
	/* early walk results; memblock memory until kho_in_init() copies them */
	struct kho_in_run *runs;
	unsigned long nr_runs;
	unsigned long max_runs;
	/* one bit per unit: set once restored or released */
	unsigned long *claimed;
	unsigned long nr_bits;
	/* for the log line */
	u64 reserve_cycles;
	u64 memmap_cycles;
	u64 nr_ranges;
	u64 nr_units;
	u64 meta;
	/*
	 * Restores hold it for reading from their claim to their accounting,
	 * kho_finish() for writing while it ends restoring, so that the
	 * counters it reads are final.
	 */
	struct rw_semaphore finish_sem;
	atomic64_t preserved;
	atomic64_t restored;
	atomic64_t released;
	atomic64_t releasing;
	struct completion released_done;
} kho_in = {
	.finish_sem = __RWSEM_INITIALIZER(kho_in.finish_sem),
	.released_done = COMPLETION_INITIALIZER(kho_in.released_done),
};

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

/* Whether the previous kernel passed a handover, valid or not. */
bool __init kho_in_present(void)
{
	return kho_in.fdt_phys;
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

/* Check the scratch array; on success copy it to kho_scratch[]. */
static const char *__init kho_take_scratch(const struct kho_scratch_abi *sa,
					   unsigned int cnt, phys_addr_t fdt,
					   u64 fdt_size, phys_addr_t scratch,
					   u64 scratch_size)
{
	const u64 align = PAGE_SIZE << pageblock_order;
	unsigned int i;

	for (i = 0; i < cnt; i++) {
		u64 addr = sa[i].addr, size = sa[i].size;

		if (!size || !IS_ALIGNED(addr | size, align))
			return "scratch area not pageblock aligned";
		if (addr + size < addr)
			return "scratch area wraps";
		if (i && addr < sa[i - 1].addr + sa[i - 1].size)
			return "scratch areas not ascending and disjoint";
		if (kho_ranges_overlap(addr, size, fdt, fdt_size) ||
		    kho_ranges_overlap(addr, size, scratch, scratch_size))
			return "scratch area overlaps the handover";
	}
	for (i = 0; i < cnt; i++)
		kho_scratch[i] = sa[i];
	kho_scratch_cnt = cnt;
	return NULL;
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
	const char *why;
	const void *prop;
	void *f;
	int len;

	/* recorded first: a refused handover still restricts nothing */
	kho_in.fdt_phys = fdt;
	if (!fdt || !fdt_size || fdt_size > KHO_FDT_MAX_SIZE ||
	    !PAGE_ALIGNED(fdt) || fdt + fdt_size < fdt) {
		kho_refuse("bad root FDT address or size");
		return;
	}
	if (!scratch_size || scratch_size % sizeof(*sa) ||
	    scratch_size / sizeof(*sa) > KHO_SCRATCH_MAX ||
	    !IS_ALIGNED(scratch, sizeof(u64)) ||
	    scratch + scratch_size < scratch) {
		kho_refuse("bad scratch array address or size");
		return;
	}
	if (kho_ranges_overlap(fdt, fdt_size, scratch, scratch_size)) {
		kho_refuse("root FDT and scratch array overlap");
		return;
	}

	f = early_memremap(fdt, fdt_size);
	if (!f) {
		kho_refuse("cannot map the root FDT");
		return;
	}
	why = NULL;
	if (fdt_check_header(f) || fdt_totalsize(f) > fdt_size)
		why = "truncated or corrupt root FDT";
	else if (fdt_node_check_compatible(f, 0, KHO_FDT_COMPATIBLE))
		why = "unknown compatible";
	if (!why) {
		prop = fdt_getprop(f, 0, KHO_FDT_PROP_VERSION, &len);
		if (!prop || len != sizeof(u32) ||
		    fdt32_to_cpu(*(const fdt32_t *)prop) != KHO_FDT_VERSION)
			why = "unknown format version";
	}
	if (!why) {
		prop = fdt_getprop(f, 0, KHO_FDT_PROP_MEM_MAP, &len);
		if (prop && len == sizeof(u64))
			kho_in.mem_map = get_unaligned_be64(prop);
		else
			why = "no preserved-memory map";
	}
	early_memunmap(f, fdt_size);
	if (why) {
		kho_refuse(why);
		return;
	}

	sa = early_memremap(scratch, scratch_size);
	if (!sa) {
		kho_refuse("cannot map the scratch array");
		return;
	}
	why = kho_take_scratch(sa, scratch_size / sizeof(*sa), fdt, fdt_size,
			       scratch, scratch_size);
	early_memunmap((void *)sa, scratch_size);
	if (why) {
		kho_refuse(why);
		return;
	}

	kho_in.fdt_size = fdt_size;
	kho_in.scratch_phys = scratch;
	kho_in.scratch_size = scratch_size;
	kho_in.valid = true;
}

/* Bytes of [@base, @base + @size) that memblock has not reserved. */
static phys_addr_t __init kho_free_bytes(phys_addr_t base, phys_addr_t size)
{
	phys_addr_t end = base + size, busy = 0;
	struct memblock_region *r;

	for_each_reserved_mem_region(r) {
		phys_addr_t s = max(r->base, base);
		phys_addr_t e = min(r->base + r->size, end);

		if (s < e)
			busy += e - s;
	}
	return size - busy;
}

/**
 * kho_memblock_setup() - confine memblock to the scratch areas
 * @low_end: memory below this address is never preserved (the architecture
 *	reserves it) and may serve early allocations as scratch does.
 *
 * Called by the architecture once memblock knows the RAM and the memory the
 * kernel occupies, and before it allocates anything.  The scratch areas
 * must lie in RAM and leave room for what the early boot allocates (the
 * memmap of all memory and more); otherwise the handover is refused and
 * the kernel boots from all memory.
 *
 * Context: Early boot.
 */
void __init kho_memblock_setup(phys_addr_t low_end)
{
	phys_addr_t room = 0, need;
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

	for (i = 0; i < kho_scratch_cnt; i++)
		room += kho_free_bytes(kho_scratch[i].addr, kho_scratch[i].size);
	need = (memblock_phys_mem_size() >> PAGE_SHIFT) * sizeof(struct page) +
	       KHO_SCRATCH_BOOT_MIN;
	if (room < need) {
		pr_err("refusing handover: scratch areas too small for boot (%pa bytes free, %pa needed)\n",
		       &room, &need);
		kho_in.valid = false;
		kho_scratch_cnt = 0;
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

static int __init kho_range_cmp(const void *a, const void *b)
{
	const struct kho_mem_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Sort an array of ranges; merge overlapping and adjacent ones. */
static unsigned int __init kho_sort_ranges(struct kho_mem_range *r,
					   unsigned int n)
{
	unsigned int i, out = 0;

	sort(r, n, sizeof(*r), kho_range_cmp, NULL);
	for (i = 0; i < n; i++) {
		if (out && r[i].start <= r[out - 1].end)
			r[out - 1].end = max(r[out - 1].end, r[i].end);
		else
			r[out++] = r[i];
	}
	return out;
}

/*
 * The map is walked three times, the same walk each time: once to count
 * what it holds, with no side effect, then, once every allocation is made,
 * to record the runs and reserve the ranges, and, only if a reservation
 * fails after all, to give back the ones made.
 */
enum kho_walk_mode { KHO_WALK_COUNT, KHO_WALK_RESERVE, KHO_WALK_UNDO };

struct kho_walk_ctx {
	enum kho_walk_mode mode;
	unsigned long nr_runs;
	unsigned long nr_ranges;
	unsigned long nr_units;
	unsigned long reserved;	/* ranges reserved by the reserve pass */
};

static int __init kho_walk_run(void *arg, unsigned long pfn,
			       unsigned int order, unsigned long nr_units)
{
	struct kho_walk_ctx *ctx = arg;
	int err;

	switch (ctx->mode) {
	case KHO_WALK_COUNT:
		ctx->nr_runs++;
		ctx->nr_units += nr_units;
		return 0;
	case KHO_WALK_RESERVE:
		break;
	default:
		return 0;
	}

	if (kho_in.nr_runs == kho_in.max_runs)
		return -EINVAL;		/* the map changed between passes */
	if (kho_in.nr_runs) {
		const struct kho_in_run *prev = &kho_in.runs[kho_in.nr_runs - 1];

		/* restore looks runs up by binary search */
		if (pfn < prev->pfn + (prev->nr_units << prev->order))
			return -EINVAL;
	}
	err = kho_debug_reserve_units(pfn, order, nr_units);
	if (err)
		return err;
	kho_in.runs[kho_in.nr_runs++] = (struct kho_in_run) {
		.pfn = pfn, .nr_units = nr_units, .order = order,
		.bit = kho_in.nr_bits, .usable = true,
	};
	kho_in.nr_bits += nr_units;
	return 0;
}

static int __init kho_walk_range(void *arg, unsigned long pfn,
				 unsigned long nr_pages, unsigned long orders)
{
	struct kho_walk_ctx *ctx = arg;
	int err;

	switch (ctx->mode) {
	case KHO_WALK_COUNT:
		ctx->nr_ranges++;
		return 0;
	case KHO_WALK_RESERVE:
		if (kho_debug_naive_reserve())
			return 0;
		err = kho_debug_reserve_fault(ctx->reserved + 1, ctx->nr_ranges) ?:
		      memblock_reserve_noinit(PFN_PHYS(pfn), PFN_PHYS(nr_pages));
		if (!err)
			ctx->reserved++;
		return err;
	case KHO_WALK_UNDO:
		if (!ctx->reserved)
			return -ECANCELED;	/* all given back: stop */
		ctx->reserved--;
		memblock_phys_free(PFN_PHYS(pfn), PFN_PHYS(nr_pages));
		return 0;
	}
	return 0;
}

/* The RAM the map may describe and the ranges it must not touch. */
struct kho_walk_lists {
	struct kho_mem_range *ram;
	struct kho_mem_range *excl;
	unsigned int max_ram;
	unsigned int max_excl;
};

static void __init kho_walk_lists_free(struct kho_walk_lists *l)
{
	if (l->ram)
		memblock_free(l->ram, l->max_ram * sizeof(*l->ram));
	if (l->excl)
		memblock_free(l->excl, l->max_excl * sizeof(*l->excl));
}

static int __init kho_walk_lists(struct kho_walk_lists *l,
				 struct kho_mem_walk_args *args,
				 phys_addr_t low_end)
{
	unsigned int nr_ram = 0, nr_excl = 0, max_reserved, i;
	struct memblock_region *r;

	/*
	 * Memory reserved before this step (the kernel, the initrd, early
	 * allocations, the handover itself) is not preserved memory, and the
	 * scratch areas never are.  The copy below is taken after the last
	 * memblock allocation of this step, so that it is complete.
	 */
	max_reserved = memblock.reserved.cnt + 2;
	l->max_ram = memblock.memory.cnt;
	l->max_excl = max_reserved + KHO_SCRATCH_MAX + 3;
	l->ram = memblock_alloc_raw(l->max_ram * sizeof(*l->ram),
				    SMP_CACHE_BYTES);
	l->excl = memblock_alloc_raw(l->max_excl * sizeof(*l->excl),
				     SMP_CACHE_BYTES);
	if (!l->ram || !l->excl)
		return -ENOMEM;

	/* NOMAP memory is not the kernel's to hand over */
	for_each_mem_region(r) {
		if (memblock_is_nomap(r))
			continue;
		l->ram[nr_ram].start = r->base;
		l->ram[nr_ram++].end = r->base + r->size;
	}
	for_each_reserved_mem_region(r) {
		if (WARN_ON_ONCE(nr_excl == max_reserved))
			return -ENOMEM;
		l->excl[nr_excl].start = r->base;
		l->excl[nr_excl++].end = r->base + r->size;
	}
	for (i = 0; i < kho_scratch_cnt; i++) {
		l->excl[nr_excl].start = kho_scratch[i].addr;
		l->excl[nr_excl++].end = kho_scratch[i].addr + kho_scratch[i].size;
	}
	l->excl[nr_excl].start = kho_in.fdt_phys;
	l->excl[nr_excl++].end = kho_in.fdt_phys + kho_in.fdt_size;
	l->excl[nr_excl].start = kho_in.scratch_phys;
	l->excl[nr_excl++].end = kho_in.scratch_phys + kho_in.scratch_size;
	if (low_end) {
		l->excl[nr_excl].start = 0;
		l->excl[nr_excl++].end = low_end;
	}

	args->ram = l->ram;
	args->nr_ram = kho_sort_ranges(l->ram, nr_ram);
	args->excluded = l->excl;
	args->nr_excluded = kho_sort_ranges(l->excl, nr_excl);
	return 0;
}

static const struct kho_mem_walk_ops kho_walk_ops __initconst = {
	.range = kho_walk_range,
	.run = kho_walk_run,
};

/*
 * Validate and count, allocate everything the reserve pass needs, reserve.
 * Returns 0 with the runs recorded and every range reserved, or an errno
 * with nothing reserved and nothing recorded.
 */
static int __init kho_walk_and_reserve(struct kho_mem_walk_args *args)
{
	struct kho_walk_ctx ctx = { .mode = KHO_WALK_COUNT };
	struct kho_mem_walk_result res;
	unsigned long room;
	u64 t0;
	int err;

	t0 = kho_debug_cycles();
	err = kho_mem_walk(args, &kho_walk_ops, &ctx, &res);
	if (err == -EINVAL && res.check != KHO_MEM_CHECK_OK) {
		pr_err("refusing handover: preserved-memory map: %s (chunk %lu, entry %lu)\n",
		       kho_mem_check_name(res.check), (unsigned long)res.chunk,
		       (unsigned long)res.entry);
		return err;
	}
	if (err)
		goto nomem;

	/* every allocation before the first reservation */
	if (ctx.nr_runs) {
		kho_in.runs = memblock_alloc_raw(ctx.nr_runs * sizeof(*kho_in.runs),
						 SMP_CACHE_BYTES);
		err = -ENOMEM;
		if (!kho_in.runs)
			goto nomem;
		kho_in.max_runs = ctx.nr_runs;
	}
	room = kho_debug_naive_reserve() ? ctx.nr_units : ctx.nr_ranges;
	err = memblock_reserved_grow(room);
	if (err)
		goto nomem;

	ctx.mode = KHO_WALK_RESERVE;
	err = kho_mem_walk(args, &kho_walk_ops, &ctx, &res);
	if (err) {
		ctx.mode = KHO_WALK_UNDO;
		kho_mem_walk(args, &kho_walk_ops, &ctx, &res);
		kho_in.nr_runs = 0;
		kho_in.nr_bits = 0;
		goto nomem;
	}
	kho_in.reserve_cycles = kho_debug_cycles() - t0;
	atomic64_set(&kho_in.preserved, PFN_PHYS(res.nr_pages));
	kho_in.nr_ranges = res.nr_ranges;
	kho_in.nr_units = res.nr_units;
	kho_in.meta = (u64)res.nr_chunks * PAGE_SIZE + kho_in.fdt_size;
	return 0;

nomem:
	pr_err("refusing handover: no memory to reserve the preserved memory (%d)\n",
	       err);
	return err;
}

/* Give every preserved page a clean struct page; drop runs that get none. */
static void __init kho_init_struct_pages(void)
{
	unsigned long i, dropped = 0;
	u64 t0 = kho_debug_cycles();

	for (i = 0; i < kho_in.nr_runs; i++) {
		struct kho_in_run *run = &kho_in.runs[i];
		unsigned long nr = run->nr_units << run->order;

		if (!kho_debug_no_zone(i) &&
		    memmap_init_kho_preserved(run->pfn, nr))
			continue;
		/* it stays reserved, but nobody may claim or free it */
		run->usable = false;
		dropped += nr;
		atomic64_sub(PFN_PHYS(nr), &kho_in.preserved);
	}
	kho_in.memmap_cycles = kho_debug_cycles() - t0;
	if (dropped)
		pr_err("%lu preserved pages lie in no memory zone; they stay reserved and cannot be restored\n",
		       dropped);
}

/**
 * kho_in_reserve() - reserve the memory the previous kernel preserved
 * @low_end: memory below this address is never preserved.
 *
 * Walks the previous kernel's map and reserves every preserved range once,
 * then sets up the struct pages of the preserved memory.  A map that fails
 * a check, or that cannot be reserved whole, is refused: nothing is
 * reserved then and the kernel boots normally.
 *
 * Context: Early boot, from kho_memory_init(), memblock in scratch-only mode.
 */
void __init kho_in_reserve(phys_addr_t low_end)
{
	struct kho_mem_walk_args args = { .head = kho_in.mem_map };
	struct kho_walk_lists lists = { };
	int err;

	if (!kho_in.valid)
		return;
	err = kho_walk_lists(&lists, &args, low_end);
	if (!err && kho_debug_overlap(&args)) {
		kho_walk_lists_free(&lists);
		err = kho_walk_lists(&lists, &args, low_end);
	}
	if (err) {
		kho_walk_lists_free(&lists);
		kho_refuse("no memory to walk the map");
		return;
	}
	err = kho_walk_and_reserve(&args);
	kho_walk_lists_free(&lists);
	if (err) {
		if (kho_in.runs)
			memblock_free(kho_in.runs,
				      kho_in.max_runs * sizeof(*kho_in.runs));
		kho_in.runs = NULL;
		kho_in.nr_runs = 0;
		kho_in.max_runs = 0;
		kho_in.valid = false;
		kho_scratch_cnt = 0;
		return;
	}
	kho_init_struct_pages();
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
			return run->usable ? run : NULL;
	}
	return NULL;
}

/**
 * kho_is_preserved() - whether the previous kernel preserved a range
 * @phys: physical address of the range.
 * @size: its length in bytes.
 *
 * For the checks of handed-over pointers into memory that another client
 * restores, such as a device's DMA mappings of a preserved memfd: claimed
 * or not, every page of the range must be preserved memory.
 *
 * Context: Any context; until the handover is finished.
 * Return: true if every page of [@phys, @phys + @size) was preserved.
 */
bool kho_is_preserved(phys_addr_t phys, u64 size)
{
	unsigned long pfn = PHYS_PFN(phys), end;
	struct kho_in_run *run;

	if (!kho_in_fdt() || kho_in.finished || !size ||
	    phys + size < phys)
		return false;
	end = PHYS_PFN(phys + size - 1) + 1;
	while (pfn < end) {
		run = kho_in_find(pfn);
		if (!run)
			return false;
		pfn = run->pfn + (run->nr_units << run->order);
	}
	return true;
}
EXPORT_SYMBOL_GPL(kho_is_preserved);

/* The claim bit of the unit that starts at @pfn, or -1; its order in @order. */
static long kho_in_bit(unsigned long pfn, unsigned int *order)
{
	struct kho_in_run *run = kho_in_find(pfn);

	if (!run || (pfn - run->pfn) & ((1UL << run->order) - 1))
		return -1;
	*order = run->order;
	return run->bit + ((pfn - run->pfn) >> run->order);
}

/* As kho_in_bit(), but -1 once restoring is over; finish_sem held. */
static long kho_in_unit(unsigned long pfn, unsigned int *order)
{
	if (!kho_in_fdt() || kho_in.finished)
		return -1;
	return kho_in_bit(pfn, order);
}

/* Bytes of handed-over memory from @phys to the end of its unclaimed unit. */
static size_t kho_in_room(phys_addr_t phys)
{
	unsigned long pfn = PHYS_PFN(phys);
	struct kho_in_run *run;
	unsigned long start;

	run = kho_in_find(pfn);
	if (!run)
		return 0;
	start = pfn & ~((1UL << run->order) - 1);
	if (test_bit(run->bit + ((start - run->pfn) >> run->order), kho_in.claimed))
		return 0;
	return PFN_PHYS(start) + (PAGE_SIZE << run->order) - phys;
}

/*
 * Check every subtree pointer of the root FDT: it must point into a
 * preserved unit, at a valid FDT header whose totalsize fits in what is
 * left of that unit.  A bad subtree is refused alone, with one log line;
 * kho_retrieve_subtree() does not find it.
 */
static void __init kho_in_check_subtrees(void)
{
	const void *fdt = kho_in.fdt;
	unsigned int n = 0;
	int node;

	fdt_for_each_subnode(node, fdt, 0)
		n++;
	if (!n)
		return;
	kho_in.subtrees = kcalloc(n, sizeof(*kho_in.subtrees), GFP_KERNEL);
	if (!kho_in.subtrees) {
		pr_err("no memory to check the subtrees; none is handed on\n");
		return;
	}

	fdt_for_each_subnode(node, fdt, 0) {
		const char *name = fdt_get_name(fdt, node, NULL);
		const char *why = NULL;
		const void *prop, *sub;
		phys_addr_t phys = 0;
		size_t room = 0;
		int len;

		if (!name || kho_in.nr_subtrees == n)
			break;
		prop = fdt_getprop(fdt, node, KHO_FDT_PROP_SUB_FDT, &len);
		if (!prop || len != sizeof(u64))
			why = "no fdt pointer";
		if (!why) {
			phys = get_unaligned_be64(prop);
			room = kho_in_room(phys);
			if (room < sizeof(struct fdt_header))
				why = "points outside preserved memory";
		}
		if (!why) {
			sub = phys_to_virt(phys);
			if (fdt_check_header(sub) || fdt_totalsize(sub) > room)
				why = "no valid FDT inside its preserved unit";
		}
		if (why) {
			pr_err("refusing subtree %s: %s\n", name, why);
			continue;
		}
		kho_in.subtrees[kho_in.nr_subtrees].name = name;
		kho_in.subtrees[kho_in.nr_subtrees++].phys = phys;
	}
}

/**
 * kho_retrieve_subtree() - find a sub-FDT the previous kernel linked
 * @name: its node name.
 * @phys: set to the sub-FDT's physical address.
 *
 * Only subtrees whose pointer passed the checks at boot are found: the
 * address is that of a valid FDT header inside a preserved unit, with the
 * whole FDT inside that unit.  The owner restores the sub-FDT's memory with
 * kho_restore_folio() and must still validate its contents: they come from
 * the previous kernel.
 *
 * Context: Any context.
 * Return: 0 on success; -ENOENT if there was no handover or no such
 * subtree; -EINVAL if the subtree was refused.
 */
int kho_retrieve_subtree(const char *name, phys_addr_t *phys)
{
	const void *fdt = kho_in_fdt();
	unsigned int i;

	if (!fdt || !name)
		return -ENOENT;
	for (i = 0; i < kho_in.nr_subtrees; i++) {
		if (!strcmp(kho_in.subtrees[i].name, name)) {
			*phys = kho_in.subtrees[i].phys;
			return 0;
		}
	}
	return fdt_subnode_offset(fdt, 0, name) < 0 ? -ENOENT : -EINVAL;
}
EXPORT_SYMBOL_GPL(kho_retrieve_subtree);

/* The unit at @pfn: its claim bit and order, or -1; finish_sem held. */
static long kho_claim(unsigned long pfn, unsigned int *order)
{
	long bit = kho_in_unit(pfn, order);

	if (bit < 0 || test_and_set_bit(bit, kho_in.claimed))
		return -1;
	return bit;
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
	unsigned int order;
	struct page *page;

	if (!is_kho_boot() || !PAGE_ALIGNED(phys))
		return NULL;
	down_read(&kho_in.finish_sem);
	if (kho_claim(pfn, &order) < 0) {
		up_read(&kho_in.finish_sem);
		return NULL;
	}
	kho_debug_restore_window();
	atomic64_add(PAGE_SIZE << order, &kho_in.restored);
	up_read(&kho_in.finish_sem);

	/* its struct pages were set up at boot (kho_init_struct_pages()) */
	page = pfn_to_page(pfn);
	prep_kho_preserved_folio(page, order);
	adjust_managed_page_count(page, 1L << order);
	return page_folio(page);
}
EXPORT_SYMBOL_GPL(kho_restore_folio);

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

	down_read(&kho_in.finish_sem);
	/* The same split into units as kho_mem_preserve_range() made. */
	for (p = pfn; p < end; p += 1UL << order) {
		bit = kho_in_unit(p, &order);
		if (bit < 0 || order != kho_range_order(p, end) ||
		    test_and_set_bit(bit, kho_in.claimed))
			goto undo;
	}
	atomic64_add(PFN_PHYS(nr_pages), &kho_in.restored);
	up_read(&kho_in.finish_sem);
	adjust_managed_page_count(pfn_to_page(pfn), nr_pages);
	return pfn_to_page(pfn);

undo:
	/* give back the units claimed before @p */
	end = p;
	for (p = pfn; p < end; p += 1UL << order)
		clear_bit(kho_in_bit(p, &order), kho_in.claimed);
	up_read(&kho_in.finish_sem);
	return NULL;
}
EXPORT_SYMBOL_GPL(kho_restore_pages);

/**
 * kho_discard_pages() - free restored pages that hold handed-over data
 * @page: the first page, restored with kho_restore_pages() or part of a
 *	restored folio.
 * @nr_pages: number of order-0 pages.
 *
 * For error paths that give restored memory back: the pages may hold a
 * tenant's data, so they are zeroed before the page allocator gets them.
 *
 * Context: Process context; may sleep.
 */
void kho_discard_pages(struct page *page, unsigned long nr_pages)
{
	while (nr_pages--) {
		clear_highpage(page);
		__free_page(page++);
		cond_resched();
	}
}

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

		if (!run->usable)
			continue;
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
	/* waits for restores in flight: their claims are all counted */
	down_write(&kho_in.finish_sem);
	if (kho_in.finished) {
		up_write(&kho_in.finish_sem);
		return -EALREADY;
	}
	kho_in.finished = true;
	atomic64_set(&kho_in.releasing, atomic64_read(&kho_in.preserved) -
		     atomic64_read(&kho_in.restored));
	up_write(&kho_in.finish_sem);

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

	down_read(&kho_in.finish_sem);
	started = kho_in.finished;
	up_read(&kho_in.finish_sem);
	/* by default the release starts at the end of boot: wait for it too */
	if (kho_in_fdt() && (started || !kho_finish_manual))
		wait_for_completion(&kho_in.released_done);
}
EXPORT_SYMBOL_GPL(kho_release_wait);

void kho_in_get_stats(struct kho_stats *stats)
{
	stats->preserved_in = atomic64_read(&kho_in.preserved);
	stats->restored = atomic64_read(&kho_in.restored);
	stats->released = atomic64_read(&kho_in.released);
	stats->releasing = atomic64_read(&kho_in.releasing);
}

/* The validated subtrees, for debugfs: 0 and the @i-th, or -ENOENT. */
int kho_in_subtree(unsigned int i, const char **name, phys_addr_t *phys)
{
	if (!kho_in_fdt() || i >= kho_in.nr_subtrees)
		return -ENOENT;
	*name = kho_in.subtrees[i].name;
	*phys = kho_in.subtrees[i].phys;
	return 0;
}

/**
 * kho_in_init() - make the handover usable once the page allocator runs
 *
 * Moves the runs out of memblock memory, allocates one claim bit per unit,
 * checks the subtree pointers and logs the handover.
 *
 * Context: core_initcall.
 */
void __init kho_in_init(void)
{
	struct kho_in_run *runs = NULL;

	if (!kho_in.valid)
		return;
	if (IS_ENABLED(CONFIG_KEXEC_HANDOVER_DEBUG))
		pr_info("handover: reserved %llu ranges (%llu units, %llu bytes) in %llu ns, metadata %llu bytes, memmap init %llu ns%s\n",
			kho_in.nr_ranges, kho_in.nr_units,
			(u64)atomic64_read(&kho_in.preserved),
			kho_debug_cycles_to_ns(kho_in.reserve_cycles), kho_in.meta,
			kho_debug_cycles_to_ns(kho_in.memmap_cycles),
			kho_debug_naive_reserve() ? " (naive, one reservation per unit)" : "");
	else
		pr_info("handover: reserved %llu ranges (%llu units, %llu bytes), metadata %llu bytes\n",
			kho_in.nr_ranges, kho_in.nr_units,
			(u64)atomic64_read(&kho_in.preserved), kho_in.meta);

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
		kvfree(runs);
		kho_in.runs = NULL;
		kho_in.nr_runs = 0;
		kho_in.valid = false;
		return;
	}
	kho_in.fdt = phys_to_virt(kho_in.fdt_phys);
	kho_in_check_subtrees();
	kho_debugfs_snapshot_in();
}

static int __init kho_late_finish(void)
{
	if (is_kho_boot() && !kho_finish_manual)
		kho_finish();
	return 0;
}
late_initcall_sync(kho_late_finish);
