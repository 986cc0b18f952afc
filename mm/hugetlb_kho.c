// SPDX-License-Identifier: GPL-2.0-only
/*
 * hugetlb across kexec: preserved huge pages in the pool, and the Live
 * Update Orchestrator's file handler for hugetlbfs memfds.
 *
 * A VMM keeps guest memory in a memfd_create(MFD_HUGETLB) file.  Preserved
 * through /dev/liveupdate, its huge pages (2 MiB, 1 GiB, any hstate) stay
 * where they are and come back in the next kernel as a new memfd on the
 * same physical pages, without copying.  The format is in
 * include/linux/kho/abi/hugetlb.h.
 *
 * The pool.  A preserved huge page belongs to the next kernel's hugetlb
 * pool too, so the previous kernel hands over one list of every huge page
 * its preserved files hold (the KHO subtree "hugetlb").  The next kernel
 * reads it during early boot, before "hugepages=" sizes the boot-time
 * pool: each listed page is claimed from KHO at once (kho_claim_early())
 * and counted, per hstate and per node, as already allocated, so that
 * "hugepages=4" with three preserved 1 GiB pages allocates one.  At
 * hugetlb_init() the pages become hugetlb folios the way 6.12's bootmem
 * gigantic pages do: KHO initialized only the head struct page; here the
 * head and 63 tails are initialized, the vmemmap is optimized (HVO) and
 * only if that fails are the other tails written.  They are counted in the
 * pool as pages in use and held until a file claims them.  A page that no
 * valid file claims by late_initcall, and every page of a file that is
 * refused or never retrieved, is zeroed (it holds a guest's data) and
 * freed into the pool, never to the page allocator.
 *
 * A file.  preserve, under the inode lock: the size is fixed (truncate,
 * growing mmap() or fallocate() and hole punching fail with -EPERM), and
 * every huge page present is held: pinned with memfd_pin_folios(), which
 * first migrates pages out of CMA (hugetlb CMA, and KHO's scratch areas,
 * which KHO refuses to preserve), and kept from migration (its migratable
 * flag is cleared under hugetlb_lock).  Holes stay holes.  A page that is
 * being migrated (-EBUSY) or is poisoned (-EHWPOISON) refuses the file.
 * Also kept: the reservation map, the position, the open flags, the
 * permission bits and the seals.  freeze, in
 * the reboot path, stops new pages (a fault into a hole gets SIGBUS,
 * fallocate() -ENOSPC), waits for faults in flight, and takes the pages
 * added since preserve.
 *
 * The next kernel checks everything (mm/hugetlb_kho_ser.c and below) in
 * claim, during boot, and takes the file's pages from the held ones: a
 * page that is not a preserved page of the pool with the file's order, or
 * that another file took, refuses the file.  retrieve makes a hugetlbfs
 * memfd of the same page size with the same folios at the same indices,
 * restores the reservation map and reserves in the pool what the map
 * covers and the file does not hold, so that HugePages_Rsvd comes back.
 */

#define pr_fmt(fmt) "hugetlb_kho: " fmt

#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/init.h>
#include <linux/kexec_handover.h>
#include <linux/libfdt.h>
#include <linux/liveupdate.h>
#include <linux/memblock.h>
#include <linux/memfd.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/pagevec.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/string_helpers.h>
#include <linux/unaligned.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>
#include <uapi/linux/magic.h>
#include <uapi/linux/memfd.h>

#include "hugetlb_kho_ser.h"
#include "hugetlb_vmemmap.h"
#include "internal.h"

#define HUGETLB_KHO_FDT_SIZE		PAGE_SIZE

/* The file as memfd_alloc_file() opens it. */
#define HUGETLB_LUO_FILE_DEFAULT	(HUGETLB_LUO_FILE_READ | HUGETLB_LUO_FILE_WRITE)

/* ---------------------------------------------------------------------- */
/* The outgoing pool table                                                */
/* ---------------------------------------------------------------------- */

/*
 * Every huge page that a preserved file holds, by pfn (an xarray value:
 * its order), and the table written from it, republished whenever a file
 * adds or drops pages.  @lock also orders the files' preserve, freeze and
 * unpreserve against each other's table updates.
 */
static struct {
	struct mutex lock;	/* the table, and the files' updates of it */
	struct xarray pages;
	u64 nr;
	void *fdt;
	u64 *table;
	struct kho_vmalloc handle;
	bool ready;
} hugetlb_kho_out = {
	.lock = __MUTEX_INITIALIZER(hugetlb_kho_out.lock),
	.pages = XARRAY_INIT(hugetlb_kho_out.pages, 0),
};

/* Write the table from @pages and point the subtree at it; lock held. */
static int hugetlb_kho_publish(void)
{
	struct kho_vmalloc handle = {};
	unsigned long pfn;
	u64 *table = NULL;
	__be64 nr;
	void *entry;
	u64 i = 0;
	int err;

	if (hugetlb_kho_out.nr) {
		table = vmalloc(array_size(hugetlb_kho_out.nr, sizeof(*table)));
		if (!table)
			return -ENOMEM;
		xa_for_each(&hugetlb_kho_out.pages, pfn, entry) {
			if (WARN_ON_ONCE(i == hugetlb_kho_out.nr))
				break;
			table[i++] = hugetlb_kho_pool_entry(pfn, xa_to_value(entry));
		}
		err = kho_preserve_vmalloc(table, &handle);
		if (err) {
			vfree(table);
			return err;
		}
	}
	if (hugetlb_kho_out.table) {
		WARN_ON_ONCE(kho_unpreserve_vmalloc(&hugetlb_kho_out.handle));
		vfree(hugetlb_kho_out.table);
	}
	hugetlb_kho_out.table = table;
	hugetlb_kho_out.handle = handle;
	nr = cpu_to_be64(hugetlb_kho_out.nr);
	WARN_ON_ONCE(fdt_setprop_inplace(hugetlb_kho_out.fdt, 0,
					 HUGETLB_KHO_PROP_NR, &nr, sizeof(nr)));
	WARN_ON_ONCE(fdt_setprop_inplace(hugetlb_kho_out.fdt, 0,
					 HUGETLB_KHO_PROP_PAGES, &handle,
					 sizeof(handle)));
	return 0;
}

/* Drop @folios[0..@nr) from the pool table; lock held. */
static void hugetlb_kho_pool_drop(struct folio **folios, u64 nr)
{
	u64 i;

	for (i = 0; i < nr; i++) {
		if (xa_erase(&hugetlb_kho_out.pages, folio_pfn(folios[i])))
			hugetlb_kho_out.nr--;
	}
}

/*
 * Add @folios[0..@nr) to the pool table and publish it; on failure the
 * table is as before.  Lock held.
 */
static int hugetlb_kho_pool_add(struct folio **folios, u64 nr)
{
	u64 i;
	int err = 0;

	for (i = 0; i < nr; i++) {
		err = xa_insert(&hugetlb_kho_out.pages, folio_pfn(folios[i]),
				xa_mk_value(folio_order(folios[i])), GFP_KERNEL);
		if (err)
			break;
		hugetlb_kho_out.nr++;
	}
	if (!err)
		err = hugetlb_kho_publish();
	if (err)
		hugetlb_kho_pool_drop(folios, i);
	return err;
}

/* The empty subtree, added once the handler is registered. */
static int __init hugetlb_kho_out_init(void)
{
	struct kho_vmalloc none = {};
	struct folio *folio;
	void *fdt;
	int err;

	folio = folio_alloc(GFP_KERNEL | __GFP_ZERO, get_order(HUGETLB_KHO_FDT_SIZE));
	if (!folio)
		return -ENOMEM;
	fdt = folio_address(folio);
	err = fdt_create(fdt, HUGETLB_KHO_FDT_SIZE) ?:
	      fdt_finish_reservemap(fdt) ?:
	      fdt_begin_node(fdt, "") ?:
	      fdt_property_string(fdt, "compatible", HUGETLB_KHO_COMPATIBLE) ?:
	      fdt_property_u64(fdt, HUGETLB_KHO_PROP_NR, 0) ?:
	      fdt_property(fdt, HUGETLB_KHO_PROP_PAGES, &none, sizeof(none)) ?:
	      fdt_end_node(fdt) ?:
	      fdt_finish(fdt);
	if (err) {
		err = -EINVAL;
		goto free;
	}
	err = kho_preserve_folio(folio);
	if (err)
		goto free;
	err = kho_add_subtree(HUGETLB_KHO_SUBTREE, fdt);
	if (err) {
		WARN_ON_ONCE(kho_unpreserve_folio(folio));
		goto free;
	}
	hugetlb_kho_out.fdt = fdt;
	hugetlb_kho_out.ready = true;
	return 0;

free:
	folio_put(folio);
	return err;
}

/* ---------------------------------------------------------------------- */
/* The incoming pool                                                      */
/* ---------------------------------------------------------------------- */

/* Preserved pages per order and node, for the boot-time pool. */
struct hugetlb_kho_count {
	unsigned int order;
	unsigned long nr;
	unsigned long node[MAX_NUMNODES];
};

/*
 * What the early boot took from the previous kernel's table: a copy of
 * the table in memblock memory (refused entries zeroed), the pages of the
 * table's vmalloc area (claimed, freed by hugetlb_kho_gather()) and the
 * counts.
 */
static struct {
	bool parsed;
	u64 *table;
	u64 nr;
	size_t table_size;
	phys_addr_t *meta;
	unsigned long nr_meta;
	unsigned long max_meta;
	struct hugetlb_kho_count count[HUGE_MAX_HSTATE];
} hugetlb_kho_in __initdata;

/* The pages taken into the pool and not claimed by a file yet, by pfn. */
static DEFINE_XARRAY(hugetlb_kho_held);

static int __init hugetlb_kho_claim_meta(phys_addr_t phys)
{
	if (hugetlb_kho_in.nr_meta == hugetlb_kho_in.max_meta ||
	    kho_claim_early(phys, 0))
		return -EINVAL;
	hugetlb_kho_in.meta[hugetlb_kho_in.nr_meta++] = phys;
	return 0;
}

/*
 * Copy the table out of its preserved vmalloc area, claiming each of the
 * area's pages; the reason for refusing it, or NULL.
 */
static const char *__init hugetlb_kho_read_table(const struct kho_vmalloc *v,
						 u64 nr)
{
	unsigned long pages = DIV_ROUND_UP(nr * sizeof(u64), PAGE_SIZE);
	unsigned long chunks = DIV_ROUND_UP(pages, KHO_VMALLOC_PER_CHUNK);
	phys_addr_t next = v->first;
	unsigned long done = 0, c;

	if (v->total_pages != pages || v->order || v->flags != KHO_VMALLOC_VM_ALLOC)
		return "table area does not match its count";
	hugetlb_kho_in.table_size = pages * PAGE_SIZE;
	hugetlb_kho_in.table = memblock_alloc(hugetlb_kho_in.table_size,
					      SMP_CACHE_BYTES);
	hugetlb_kho_in.max_meta = pages + chunks;
	hugetlb_kho_in.meta = memblock_alloc(hugetlb_kho_in.max_meta *
					     sizeof(phys_addr_t), SMP_CACHE_BYTES);
	if (!hugetlb_kho_in.table || !hugetlb_kho_in.meta)
		return "no memory to read the table";

	/* at most @chunks chunks: a cycle ends the walk */
	for (c = 0; c < chunks; c++) {
		const struct kho_vmalloc_chunk *chunk;
		unsigned long i, n;

		if (!next || !PAGE_ALIGNED(next) || hugetlb_kho_claim_meta(next))
			return "table page list is not preserved memory";
		chunk = phys_to_virt(next);
		n = le64_to_cpu(chunk->nr);
		if (!n || n > KHO_VMALLOC_PER_CHUNK || n > pages - done)
			return "bad table page list";
		for (i = 0; i < n; i++) {
			phys_addr_t p = le64_to_cpu(chunk->phys[i]);

			if (!PAGE_ALIGNED(p) || hugetlb_kho_claim_meta(p))
				return "table page is not preserved memory";
			memcpy((void *)hugetlb_kho_in.table + done * PAGE_SIZE,
			       phys_to_virt(p), PAGE_SIZE);
			done++;
		}
		next = le64_to_cpu(chunk->next);
		if (done == pages)
			break;
	}
	if (done != pages || next)
		return "bad table page list";
	return hugetlb_kho_check_pool(hugetlb_kho_in.table, nr);
}

/* The count of @order, created if there is room; NULL if not. */
static struct hugetlb_kho_count *__init hugetlb_kho_count(unsigned int order,
							  bool create)
{
	unsigned int i;

	for (i = 0; i < HUGE_MAX_HSTATE; i++) {
		struct hugetlb_kho_count *c = &hugetlb_kho_in.count[i];

		if (c->nr && c->order == order)
			return c;
		if (!c->nr && create) {
			c->order = order;
			return c;
		}
	}
	return NULL;
}

/* Claim the listed huge pages and count them; refuse the bad ones. */
static void __init hugetlb_kho_take_table(void)
{
	unsigned long refused = 0;
	u64 i;

	for (i = 0; i < hugetlb_kho_in.nr; i++) {
		u64 *e = &hugetlb_kho_in.table[i];
		unsigned long pfn = hugetlb_kho_pool_pfn(*e);
		unsigned int order = hugetlb_kho_pool_order(*e);
		struct hugetlb_kho_count *c;
		int nid = early_pfn_to_nid(pfn);

		c = hugetlb_kho_count(order, true);
		if (!c || !arch_hugetlb_valid_size(PAGE_SIZE << order) ||
		    nid < 0 || nid >= MAX_NUMNODES ||
		    kho_claim_early(PFN_PHYS(pfn), order)) {
			*e = 0;
			refused++;
			continue;
		}
		c->nr++;
		c->node[nid]++;
	}
	if (refused)
		pr_err("refusing %lu of %llu preserved huge pages: not preserved memory of a huge page size\n",
		       refused, hugetlb_kho_in.nr);
}

/**
 * hugetlb_kho_early_init() - take the previous kernel's preserved huge pages
 *
 * Reads the pool table the previous kernel handed over, claims every
 * listed page from KHO and counts it, so that the boot-time pool counts it
 * as allocated.  Runs once, from the first hugepages_setup() that sizes a
 * gigantic pool, or else from mm_core_init(); in any case before
 * kho_memory_init().  A bad table is refused with one log line: the pages
 * it names are then released by KHO like any unclaimed memory.
 *
 * Context: Early boot, memblock.
 */
void __init hugetlb_kho_early_init(void)
{
	const void *fdt, *prop;
	const char *why = NULL;
	phys_addr_t phys;
	int len;
	u64 nr;

	if (hugetlb_kho_in.parsed)
		return;
	hugetlb_kho_in.parsed = true;

	/* a bad subtree pointer was refused, and logged, by KHO */
	if (kho_retrieve_subtree(HUGETLB_KHO_SUBTREE, &phys))
		return;
	fdt = phys_to_virt(phys);
	if (fdt_node_check_compatible(fdt, 0, HUGETLB_KHO_COMPATIBLE)) {
		why = "unknown compatible";
		goto refuse;
	}
	prop = fdt_getprop(fdt, 0, HUGETLB_KHO_PROP_NR, &len);
	if (!prop || len != sizeof(u64)) {
		why = "no page count";
		goto refuse;
	}
	nr = get_unaligned_be64(prop);
	/* at most one page per PMD of memory */
	if (nr > (memblock_phys_mem_size() >> PMD_SHIFT)) {
		why = "more pages than memory";
		goto refuse;
	}
	prop = fdt_getprop(fdt, 0, HUGETLB_KHO_PROP_PAGES, &len);
	if (!prop || len != sizeof(struct kho_vmalloc)) {
		why = "no page table";
		goto refuse;
	}
	if (!nr)
		return;
	hugetlb_kho_in.nr = nr;
	why = hugetlb_kho_read_table(prop, nr);
	if (why) {
		hugetlb_kho_in.nr = 0;
		goto refuse;
	}
	hugetlb_kho_take_table();
	return;

refuse:
	pr_err("refusing preserved huge pages: %s\n", why);
}

/**
 * hugetlb_kho_boot_pages() - preserved huge pages of an hstate
 * @h: the hstate.
 * @nid: a node, or NUMA_NO_NODE for all.
 *
 * Context: Early boot, before hugetlb_kho_gather().
 * Return: the number of preserved pages of @h's size (on @nid) that
 * hugetlb_kho_gather() will add to the pool.
 */
unsigned long __init hugetlb_kho_boot_pages(struct hstate *h, int nid)
{
	struct hugetlb_kho_count *c;

	hugetlb_kho_early_init();
	c = hugetlb_kho_count(huge_page_order(h), false);
	if (!c)
		return 0;
	return nid == NUMA_NO_NODE ? c->nr : c->node[nid];
}

/**
 * hugetlb_kho_add_hstates() - make the hstates of the preserved pages
 *
 * A page size may have preserved pages while this kernel's command line
 * does not name it.
 *
 * Context: hugetlb_init(), before the hstates are initialized.
 */
void __init hugetlb_kho_add_hstates(void)
{
	unsigned int i;

	for (i = 0; i < HUGE_MAX_HSTATE; i++) {
		struct hugetlb_kho_count *c = &hugetlb_kho_in.count[i];

		if (c->nr && !size_to_hstate(PAGE_SIZE << c->order) &&
		    hugetlb_max_hstate < HUGE_MAX_HSTATE)
			hugetlb_add_hstate(c->order);
	}
}

/* Make the claimed pages of one hstate hugetlb folios in the pool. */
static unsigned long __init hugetlb_kho_gather_hstate(struct hstate *h,
						      unsigned long *optimized)
{
	struct folio *folio, *tmp;
	LIST_HEAD(folios);
	unsigned long n = 0;
	u64 i;

	for (i = 0; i < hugetlb_kho_in.nr; i++) {
		u64 e = hugetlb_kho_in.table[i];
		struct page *page;

		if (!e || hugetlb_kho_pool_order(e) != huge_page_order(h))
			continue;
		page = kho_restore_claimed(PFN_PHYS(hugetlb_kho_pool_pfn(e)));
		if (!page)
			continue;
		folio = (struct folio *)page;
		/* the 6.12 bootmem path: head and 63 tails, then HVO */
		hugetlb_folio_init_vmemmap(folio, h, HUGETLB_VMEMMAP_RESERVE_PAGES);
		init_new_hugetlb_folio(h, folio);
		list_add(&folio->lru, &folios);
		cond_resched();
	}

	hugetlb_vmemmap_optimize_folios(h, &folios);

	list_for_each_entry_safe(folio, tmp, &folios, lru) {
		if (folio_test_hugetlb_vmemmap_optimized(folio))
			(*optimized)++;
		else
			hugetlb_folio_init_tail_vmemmap(folio,
							HUGETLB_VMEMMAP_RESERVE_PAGES,
							pages_per_huge_page(h));
		list_del_init(&folio->lru);
		spin_lock_irq(&hugetlb_lock);
		h->nr_huge_pages++;
		h->nr_huge_pages_node[folio_nid(folio)]++;
		spin_unlock_irq(&hugetlb_lock);
		/* in use, as an allocated page is */
		folio_ref_unfreeze(folio, 1);
		if (xa_err(xa_store(&hugetlb_kho_held, folio_pfn(folio), folio,
				    GFP_KERNEL))) {
			/* it stays in the pool, as a free page */
			folio_put(folio);
			continue;
		}
		n++;
	}
	if (h->max_huge_pages < h->nr_huge_pages)
		h->max_huge_pages = h->nr_huge_pages;
	return n;
}

/**
 * hugetlb_kho_gather() - put the preserved huge pages into the pool
 *
 * Context: hugetlb_init(), after the hstates exist and before the pools of
 * the non-gigantic hstates are allocated.
 */
void __init hugetlb_kho_gather(void)
{
	unsigned long n = 0, optimized = 0, i;
	u64 t0 = local_clock();
	char buf[96] = "";
	struct hstate *h;
	int len = 0;

	if (!hugetlb_kho_in.nr)
		goto free;
	for_each_hstate(h) {
		unsigned long nr = hugetlb_kho_gather_hstate(h, &optimized);
		char size[16];

		string_get_size(huge_page_size(h), 1, STRING_UNITS_2, size,
				sizeof(size));
		len += scnprintf(buf + len, sizeof(buf) - len, "%s%lu of %s",
				 len ? ", " : "", nr, size);
		n += nr;
	}
	pr_info("%lu preserved huge pages taken into the pool (%s), %lu vmemmap-optimized, in %llu us\n",
		n, buf, optimized, div_u64(local_clock() - t0, NSEC_PER_USEC));

free:
	for (i = 0; i < hugetlb_kho_in.nr_meta; i++) {
		struct page *page = kho_restore_claimed(hugetlb_kho_in.meta[i]);

		if (page)
			__free_page(page);
	}
	if (hugetlb_kho_in.meta)
		memblock_free_late(virt_to_phys(hugetlb_kho_in.meta),
				   hugetlb_kho_in.max_meta * sizeof(phys_addr_t));
	if (hugetlb_kho_in.table)
		memblock_free_late(virt_to_phys(hugetlb_kho_in.table),
				   hugetlb_kho_in.table_size);
	hugetlb_kho_in.table = NULL;
	hugetlb_kho_in.meta = NULL;
}

/* Zero a huge page: it held a guest's data. */
static void hugetlb_kho_zero(struct folio *folio)
{
	long i;

	for (i = 0; i < folio_nr_pages(folio); i++) {
		clear_page(folio_address(folio) + i * PAGE_SIZE);
		if (!(i % 512))
			cond_resched();
	}
}

/* Give a held or claimed page back to the pool, zeroed. */
static void hugetlb_kho_free(struct folio *folio)
{
	hugetlb_kho_zero(folio);
	folio_put(folio);
}

/* The held page at @pfn of @h's size, now the caller's; or NULL. */
static struct folio *hugetlb_kho_take(unsigned long pfn, struct hstate *h)
{
	struct folio *folio = xa_load(&hugetlb_kho_held, pfn);

	if (!folio || folio_hstate(folio) != h)
		return NULL;
	return xa_cmpxchg(&hugetlb_kho_held, pfn, folio, NULL, 0) == folio ?
		folio : NULL;
}

/* At the end of boot, pages that no valid file took go back to the pool. */
static int __init hugetlb_kho_release_held(void)
{
	struct folio *folio;
	unsigned long pfn, n = 0;

	xa_for_each(&hugetlb_kho_held, pfn, folio) {
		xa_erase(&hugetlb_kho_held, pfn);
		hugetlb_kho_free(folio);
		n++;
	}
	if (n)
		pr_info("%lu unclaimed preserved huge pages zeroed and returned to the pool\n",
			n);
	return 0;
}
late_initcall(hugetlb_kho_release_held);

/* ---------------------------------------------------------------------- */
/* The file handler: outgoing                                             */
/* ---------------------------------------------------------------------- */

/* The outgoing side of a preserved file: preserve to unpreserve. */
struct hugetlb_luo_out {
	struct folio *ser_folio;	/* the preserved page of @ser */
	struct hugetlb_luo_ser *ser;
	struct folio **folios;		/* held, ascending index */
	u64 nr_folios;
	struct hugetlb_luo_folio_ser *fser;	/* vmalloc, preserved */
	struct hugetlb_luo_region *rser;	/* vmalloc, preserved */
};

/* Pages found by one walk of a file: all of them, and the newly held. */
struct hugetlb_luo_walk {
	struct folio **all;
	u64 nr;
	struct folio **fresh;
	u64 nr_fresh;
	u64 cap;
};

static void hugetlb_luo_walk_free(struct hugetlb_luo_walk *w)
{
	kvfree(w->all);
	kvfree(w->fresh);
}

/* Let @folio be migrated again and drop the hold on it. */
static void hugetlb_luo_unhold(struct folio *folio)
{
	WARN_ON_ONCE(kho_unpreserve_folio(folio));
	spin_lock_irq(&hugetlb_lock);
	folio_set_hugetlb_migratable(folio);
	spin_unlock_irq(&hugetlb_lock);
	unpin_folio(folio);
}

/*
 * Hold the page of @file at @index (in pages): pin it, which migrates it
 * out of CMA and movable memory first (KHO refuses to preserve its scratch
 * areas, which are CMA), forbid its migration and preserve it.  The checks
 * run under the page's fault mutex, so that a fault adding it is done.
 */
static struct folio *hugetlb_luo_hold(struct file *file, pgoff_t index,
				      int *err)
{
	struct address_space *mapping = file->f_mapping;
	struct hstate *h = hstate_file(file);
	pgoff_t idx = index >> huge_page_order(h);
	loff_t start = (loff_t)idx << huge_page_shift(h);
	struct folio *folio;
	pgoff_t offset;
	long n;
	u32 hash;

	n = memfd_pin_folios(file, start, start + huge_page_size(h) - 1,
			     &folio, 1, &offset);
	if (n != 1) {
		*err = n < 0 ? n : -EBUSY;
		return NULL;
	}

	hash = hugetlb_fault_mutex_hash(mapping, idx);
	mutex_lock(&hugetlb_fault_mutex_table[hash]);
	spin_lock_irq(&hugetlb_lock);
	if (folio->mapping != mapping || folio->index != index)
		*err = -EBUSY;
	else if (folio_test_hwpoison(folio))
		*err = -EHWPOISON;
	else if (!folio_test_hugetlb_migratable(folio))
		*err = -EBUSY;	/* isolated for migration */
	else
		folio_clear_hugetlb_migratable(folio);
	spin_unlock_irq(&hugetlb_lock);
	mutex_unlock(&hugetlb_fault_mutex_table[hash]);
	if (*err)
		goto unpin;

	*err = kho_preserve_folio(folio);
	if (!*err)
		return folio;
	spin_lock_irq(&hugetlb_lock);
	folio_set_hugetlb_migratable(folio);
	spin_unlock_irq(&hugetlb_lock);
unpin:
	unpin_folio(folio);
	return NULL;
}

static int hugetlb_luo_walk_grow(struct hugetlb_luo_walk *w)
{
	u64 cap = w->cap ? w->cap * 2 : 64;
	void *all, *fresh;

	all = kvrealloc(w->all, array_size(cap, sizeof(*w->all)), GFP_KERNEL);
	if (!all)
		return -ENOMEM;
	w->all = all;
	fresh = kvrealloc(w->fresh, array_size(cap, sizeof(*w->fresh)), GFP_KERNEL);
	if (!fresh)
		return -ENOMEM;
	w->fresh = fresh;
	w->cap = cap;
	return 0;
}

/*
 * Find every page of @file that starts inside it (fallocate() with
 * FALLOC_FL_KEEP_SIZE leaves zeroed pages past the end, which are not
 * preserved); hold those not in @have (sorted by index).  On failure
 * nothing new stays held.
 */
static int hugetlb_luo_walk(struct file *file, struct folio **have, u64 nr_have,
			    struct hugetlb_luo_walk *w)
{
	pgoff_t end = DIV_ROUND_UP(i_size_read(file_inode(file)), PAGE_SIZE);
	struct folio_batch fbatch;
	pgoff_t index = 0;
	u64 h = 0;
	int err = 0;

	folio_batch_init(&fbatch);
	while (!err && index < end &&
	       filemap_get_folios(file->f_mapping, &index, end - 1, &fbatch)) {
		unsigned int i;

		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];

			if (w->nr == w->cap) {
				err = hugetlb_luo_walk_grow(w);
				if (err)
					break;
			}
			while (h < nr_have && have[h]->index < folio->index)
				h++;
			if (h < nr_have && have[h] == folio) {
				w->all[w->nr++] = folio;
				continue;
			}
			/* it may be migrated: hold what the file has then */
			folio = hugetlb_luo_hold(file, folio->index, &err);
			if (!folio)
				break;
			w->all[w->nr++] = folio;
			w->fresh[w->nr_fresh++] = folio;
		}
		folio_batch_release(&fbatch);
		cond_resched();
	}
	if (err) {
		while (w->nr_fresh)
			hugetlb_luo_unhold(w->fresh[--w->nr_fresh]);
		w->nr = 0;
	}
	return err;
}

/* The reservation map of @inode, in a new vmalloc array; its size in @nr. */
static struct hugetlb_luo_region *hugetlb_luo_regions(struct inode *inode,
						      u64 *nr)
{
	/* as inode_resv_map(): the map hangs off the inode's own mapping */
	struct resv_map *resv = inode->i_data.i_private_data;
	struct hugetlb_luo_region *r = NULL;
	struct file_region *rg;
	u64 n, cap = 0;

	if (!resv) {
		*nr = 0;
		return NULL;
	}
	for (;;) {
		n = 0;
		spin_lock(&resv->lock);
		list_for_each_entry(rg, &resv->regions, link) {
			if (n < cap) {
				r[n].from = rg->from;
				r[n].to = rg->to;
			}
			n++;
		}
		spin_unlock(&resv->lock);
		if (n <= cap)
			break;
		vfree(r);
		cap = n + 8;
		r = vmalloc(array_size(cap, sizeof(*r)));
		if (!r)
			return ERR_PTR(-ENOMEM);
	}
	*nr = n;
	if (!n) {
		vfree(r);
		return NULL;
	}
	return r;
}

/* Take the position, flags, permission bits and seals of @file. */
static int hugetlb_luo_fill(struct hugetlb_luo_ser *ser, struct file *file)
{
	struct inode *inode = file_inode(file);
	int seals = memfd_get_seals(file);
	u16 flags = 0;

	if (seals < 0)
		return seals;
	if (seals & ~HUGETLB_LUO_SEALS)
		return -EOPNOTSUPP;
	if (file->f_mode & FMODE_READ)
		flags |= HUGETLB_LUO_FILE_READ;
	if (file->f_mode & FMODE_WRITE)
		flags |= HUGETLB_LUO_FILE_WRITE;
	if (!flags)
		return -EBADF;
	if (READ_ONCE(file->f_flags) & O_NONBLOCK)
		flags |= HUGETLB_LUO_FILE_NONBLOCK;

	ser->size = i_size_read(inode);
	ser->pos = READ_ONCE(file->f_pos);
	ser->seals = seals;
	ser->flags = flags;
	ser->mode = inode->i_mode & HUGETLB_LUO_MODE_MASK;
	ser->shift = huge_page_shift(hstate_inode(inode));
	return 0;
}

/*
 * Write @out's arrays from @folios[0..@nr) and the reservation map and
 * preserve them, replacing the old ones.
 */
static int hugetlb_luo_publish(struct hugetlb_luo_out *out, struct inode *inode,
			       struct folio **folios, u64 nr)
{
	struct kho_vmalloc fh = {}, rh = {};
	struct hugetlb_luo_folio_ser *f = NULL;
	struct hugetlb_luo_region *r;
	u64 nr_regions, i;
	int err;

	r = hugetlb_luo_regions(inode, &nr_regions);
	if (IS_ERR(r))
		return PTR_ERR(r);
	if (nr) {
		err = -ENOMEM;
		f = vmalloc(array_size(nr, sizeof(*f)));
		if (!f)
			goto free;
		for (i = 0; i < nr; i++) {
			f[i].index = folios[i]->index >> folio_order(folios[i]);
			f[i].pfn = folio_pfn(folios[i]);
		}
		err = kho_preserve_vmalloc(f, &fh);
		if (err)
			goto free;
	}
	if (nr_regions) {
		err = kho_preserve_vmalloc(r, &rh);
		if (err)
			goto unpreserve;
	}
	if (out->fser) {
		WARN_ON_ONCE(kho_unpreserve_vmalloc(&out->ser->folios));
		vfree(out->fser);
	}
	if (out->rser) {
		WARN_ON_ONCE(kho_unpreserve_vmalloc(&out->ser->regions));
		vfree(out->rser);
	}
	out->fser = f;
	out->rser = r;
	out->ser->nr_folios = nr;
	out->ser->folios = fh;
	out->ser->nr_regions = nr_regions;
	out->ser->regions = rh;
	return 0;

unpreserve:
	if (nr)
		WARN_ON_ONCE(kho_unpreserve_vmalloc(&fh));
free:
	vfree(f);
	vfree(r);
	return err;
}

/*
 * Add the pages a walk newly held to the pool table and write @out's
 * arrays from all it found; on failure both are as before.
 */
static int hugetlb_luo_commit(struct hugetlb_luo_out *out, struct inode *inode,
			      struct hugetlb_luo_walk *w)
{
	int err;

	mutex_lock(&hugetlb_kho_out.lock);
	err = hugetlb_kho_pool_add(w->fresh, w->nr_fresh);
	if (!err) {
		err = hugetlb_luo_publish(out, inode, w->all, w->nr);
		if (err) {
			hugetlb_kho_pool_drop(w->fresh, w->nr_fresh);
			WARN_ON_ONCE(hugetlb_kho_publish());
		}
	}
	mutex_unlock(&hugetlb_kho_out.lock);
	return err;
}

static bool hugetlb_luo_can_preserve(struct liveupdate_file_handler *handler,
				     struct file *file)
{
	struct inode *inode = file_inode(file);

	/* a memfd: an unlinked hugetlbfs file, not SysV shared memory */
	return is_file_hugepages(file) && inode->i_sb->s_magic == HUGETLBFS_MAGIC &&
	       !IS_PRIVATE(inode) && S_ISREG(inode->i_mode) && !inode->i_nlink;
}

static unsigned long hugetlb_luo_get_id(struct file *file)
{
	return (unsigned long)file_inode(file);
}

/* Set or clear HUGETLBFS_LUO_* @flags of @inode; inode lock held. */
static void hugetlb_luo_set(struct inode *inode, unsigned int flags, bool on)
{
	struct hugetlbfs_inode_info *info = HUGETLBFS_I(inode);

	if (on)
		WRITE_ONCE(info->luo_flags, info->luo_flags | flags);
	else
		WRITE_ONCE(info->luo_flags, info->luo_flags & ~flags);
}

static int hugetlb_luo_preserve(struct liveupdate_file_op_args *args)
{
	struct file *file = args->file;
	struct inode *inode = file_inode(file);
	struct hugetlb_luo_walk w = {};
	struct hugetlb_luo_out *out;
	int err;

	if (!hugetlb_kho_out.ready)
		return -EOPNOTSUPP;
	out = kzalloc(sizeof(*out), GFP_KERNEL);
	if (!out)
		return -ENOMEM;
	out->ser_folio = folio_alloc(GFP_KERNEL | __GFP_ZERO, 0);
	if (!out->ser_folio) {
		err = -ENOMEM;
		goto free_out;
	}
	out->ser = folio_address(out->ser_folio);
	err = kho_preserve_folio(out->ser_folio);
	if (err)
		goto free_ser;

	inode_lock(inode);
	hugetlb_luo_set(inode, HUGETLBFS_LUO_FIXED_SIZE, true);
	err = hugetlb_luo_fill(out->ser, file);
	if (err)
		goto unlock;
	err = hugetlb_luo_walk(file, NULL, 0, &w);
	if (err)
		goto unlock;
	err = hugetlb_luo_commit(out, inode, &w);
	if (err)
		goto unhold;
	inode_unlock(inode);

	out->folios = w.all;
	out->nr_folios = w.nr;
	kvfree(w.fresh);
	args->serialized_data = PFN_PHYS(folio_pfn(out->ser_folio));
	args->private_data = out;
	return 0;

unhold:
	while (w.nr_fresh)
		hugetlb_luo_unhold(w.fresh[--w.nr_fresh]);
unlock:
	hugetlb_luo_walk_free(&w);
	hugetlb_luo_set(inode, HUGETLBFS_LUO_FIXED_SIZE, false);
	inode_unlock(inode);
	WARN_ON_ONCE(kho_unpreserve_folio(out->ser_folio));
free_ser:
	folio_put(out->ser_folio);
free_out:
	kfree(out);
	return err;
}

static int hugetlb_luo_freeze(struct liveupdate_file_op_args *args)
{
	struct hugetlb_luo_out *out = args->private_data;
	struct file *file = args->file;
	struct inode *inode = file_inode(file);
	struct hugetlb_luo_ser ser = {};
	struct hugetlb_luo_walk w = {};
	int err;

	if (WARN_ON_ONCE(!out))
		return -EINVAL;

	inode_lock(inode);
	hugetlb_luo_set(inode, HUGETLBFS_LUO_NO_ALLOC, true);
	/* a fault that saw new pages allowed has added its page now */
	hugetlb_luo_sync_faults();
	err = hugetlb_luo_fill(&ser, file);
	if (err)
		goto fail;
	err = hugetlb_luo_walk(file, out->folios, out->nr_folios, &w);
	if (err)
		goto fail;
	err = hugetlb_luo_commit(out, inode, &w);
	if (err) {
		while (w.nr_fresh)
			hugetlb_luo_unhold(w.fresh[--w.nr_fresh]);
		goto fail;
	}
	kvfree(out->folios);
	out->folios = w.all;
	out->nr_folios = w.nr;
	kvfree(w.fresh);
	/* the size is fixed; the rest may have changed since preserve */
	out->ser->pos = ser.pos;
	out->ser->seals = ser.seals;
	out->ser->flags = ser.flags;
	out->ser->mode = ser.mode;
	inode_unlock(inode);
	return 0;

fail:
	hugetlb_luo_walk_free(&w);
	hugetlb_luo_set(inode, HUGETLBFS_LUO_NO_ALLOC, false);
	inode_unlock(inode);
	pr_err("cannot take the huge pages of a memfd at the kexec (%d)\n", err);
	return err;
}

static void hugetlb_luo_unfreeze(struct liveupdate_file_op_args *args)
{
	struct inode *inode = file_inode(args->file);

	/* what freeze added stays held, as if preserve had taken it */
	inode_lock(inode);
	hugetlb_luo_set(inode, HUGETLBFS_LUO_NO_ALLOC, false);
	inode_unlock(inode);
}

static void hugetlb_luo_unpreserve(struct liveupdate_file_op_args *args)
{
	struct hugetlb_luo_out *out = args->private_data;
	struct inode *inode = file_inode(args->file);
	u64 i;

	if (WARN_ON_ONCE(!out))
		return;

	inode_lock(inode);
	mutex_lock(&hugetlb_kho_out.lock);
	hugetlb_kho_pool_drop(out->folios, out->nr_folios);
	WARN_ON_ONCE(hugetlb_kho_publish());
	mutex_unlock(&hugetlb_kho_out.lock);
	for (i = 0; i < out->nr_folios; i++)
		hugetlb_luo_unhold(out->folios[i]);
	kvfree(out->folios);
	if (out->fser) {
		WARN_ON_ONCE(kho_unpreserve_vmalloc(&out->ser->folios));
		vfree(out->fser);
	}
	if (out->rser) {
		WARN_ON_ONCE(kho_unpreserve_vmalloc(&out->ser->regions));
		vfree(out->rser);
	}
	hugetlb_luo_set(inode, HUGETLBFS_LUO_FIXED_SIZE | HUGETLBFS_LUO_NO_ALLOC,
			false);
	inode_unlock(inode);

	WARN_ON_ONCE(kho_unpreserve_folio(out->ser_folio));
	folio_put(out->ser_folio);
	kfree(out);
	args->private_data = NULL;
}

/* ---------------------------------------------------------------------- */
/* The file handler: incoming                                             */
/* ---------------------------------------------------------------------- */

/* The incoming side of a file: claim to finish. */
struct hugetlb_luo_in {
	struct hugetlb_luo_ser ser;
	struct hstate *h;
	struct hugetlb_luo_folio_ser *fser;	/* restored vmalloc */
	struct hugetlb_luo_region *rser;	/* restored vmalloc */
	struct folio **folios;	/* taken, NULL once the file has it */
	bool retrieved;
};

/* Free @in, giving the pages it still holds back to the pool, zeroed. */
static void hugetlb_luo_in_free(struct hugetlb_luo_in *in)
{
	u64 i;

	if (in->folios) {
		for (i = 0; i < in->ser.nr_folios; i++)
			if (in->folios[i])
				hugetlb_kho_free(in->folios[i]);
		kvfree(in->folios);
	}
	vfree(in->fser);
	vfree(in->rser);
	kfree(in);
}

/* Restore one of the file's arrays; NULL if it has none or on failure. */
static void *hugetlb_luo_restore_array(const struct kho_vmalloc *v, u64 nr,
				       const char **why)
{
	void *p;

	if (!nr)
		return NULL;
	p = kho_restore_vmalloc(v);
	if (!p)
		*why = "an array is not restorable";
	return p;
}

static int hugetlb_luo_claim(struct liveupdate_file_op_args *args)
{
	phys_addr_t phys = args->serialized_data;
	struct hugetlb_luo_in *in;
	struct folio *ser_folio;
	const char *why = NULL;
	u64 i;

	ser_folio = phys ? kho_restore_folio(phys) : NULL;
	if (!ser_folio) {
		pr_err("refusing a hugetlb memfd: its state at %pa is not a preserved page\n",
		       &phys);
		return -EINVAL;
	}
	if (folio_order(ser_folio)) {
		folio_put(ser_folio);
		pr_err("refusing a hugetlb memfd: its state is not a single page\n");
		return -EINVAL;
	}
	in = kzalloc(sizeof(*in), GFP_KERNEL);
	if (!in) {
		folio_put(ser_folio);
		pr_err("refusing a hugetlb memfd: no memory\n");
		return -ENOMEM;
	}
	memcpy(&in->ser, folio_address(ser_folio), sizeof(in->ser));
	folio_put(ser_folio);

	why = hugetlb_luo_check_ser(&in->ser);
	if (why)
		goto refuse;
	in->h = size_to_hstate(1UL << in->ser.shift);
	if (!in->h) {
		why = "no such huge page size";
		goto refuse;
	}
	in->fser = hugetlb_luo_restore_array(&in->ser.folios, in->ser.nr_folios,
					     &why);
	in->rser = hugetlb_luo_restore_array(&in->ser.regions,
					     in->ser.nr_regions, &why);
	if (why)
		goto refuse;
	why = hugetlb_luo_check_folios(&in->ser, in->fser) ?:
	      hugetlb_luo_check_regions(&in->ser, in->rser);
	if (why)
		goto refuse;
	if (in->ser.nr_folios) {
		in->folios = kvcalloc(in->ser.nr_folios, sizeof(*in->folios),
				      GFP_KERNEL);
		if (!in->folios) {
			hugetlb_luo_in_free(in);
			pr_err("refusing a hugetlb memfd: no memory\n");
			return -ENOMEM;
		}
	}
	for (i = 0; i < in->ser.nr_folios; i++) {
		in->folios[i] = hugetlb_kho_take(in->fser[i].pfn, in->h);
		if (!in->folios[i]) {
			why = "a huge page is not a preserved page of the pool";
			goto refuse;
		}
	}
	args->private_data = in;
	return 0;

refuse:
	pr_err("refusing a hugetlb memfd: %s\n", why);
	hugetlb_luo_in_free(in);
	return -EINVAL;
}

/* Zero what the page cache of @file holds: it is given up on error. */
static void hugetlb_luo_zero_file(struct file *file)
{
	struct folio_batch fbatch;
	pgoff_t index = 0;
	unsigned int i;

	folio_batch_init(&fbatch);
	while (filemap_get_folios(file->f_mapping, &index, ULONG_MAX, &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++)
			hugetlb_kho_zero(fbatch.folios[i]);
		folio_batch_release(&fbatch);
		cond_resched();
	}
}

/* Open flags of the retrieved file for the HUGETLB_LUO_FILE_* @flags. */
static int hugetlb_luo_open_flags(u32 flags)
{
	int oflags;

	if ((flags & HUGETLB_LUO_FILE_READ) && (flags & HUGETLB_LUO_FILE_WRITE))
		oflags = O_RDWR;
	else if (flags & HUGETLB_LUO_FILE_WRITE)
		oflags = O_WRONLY;
	else
		oflags = O_RDONLY;
	if (flags & HUGETLB_LUO_FILE_NONBLOCK)
		oflags |= O_NONBLOCK;
	return oflags | O_LARGEFILE;
}

/* Put the taken pages into the page cache of @inode; the count added. */
static u64 hugetlb_luo_add_folios(struct hugetlb_luo_in *in, struct inode *inode,
				  int *err)
{
	struct hstate *h = in->h;
	u64 n;

	for (n = 0; n < in->ser.nr_folios; n++) {
		struct folio *folio = in->folios[n];

		__folio_mark_uptodate(folio);
		*err = hugetlb_add_to_page_cache(folio, inode->i_mapping,
						 in->fser[n].index);
		if (*err)
			break;
		spin_lock_irq(&hugetlb_lock);
		list_move(&folio->lru, &h->hugepage_activelist);
		folio_set_hugetlb_migratable(folio);
		spin_unlock_irq(&hugetlb_lock);
		folio_unlock(folio);
	}
	return n;
}

/*
 * Reserve the regions of the file's map; the pages it holds are not.  On
 * failure the regions before the failing one stay: the map and the pool's
 * reservations agree, whatever the file's life.
 */
static int hugetlb_luo_reserve(struct hugetlb_luo_in *in, struct inode *inode)
{
	u64 i, f = 0;
	int err;

	for (i = 0; i < in->ser.nr_regions; i++) {
		const struct hugetlb_luo_region *r = &in->rser[i];
		long present = 0;

		while (f < in->ser.nr_folios && in->fser[f].index < r->from)
			f++;
		while (f < in->ser.nr_folios && in->fser[f].index < r->to) {
			present++;
			f++;
		}
		err = hugetlb_luo_add_region(inode, r->from, r->to, present);
		if (err)
			return err;
	}
	return 0;
}

static int hugetlb_luo_retrieve(struct liveupdate_file_op_args *args)
{
	struct hugetlb_luo_in *in = args->private_data;
	unsigned int log = in ? in->ser.shift : 0;
	struct inode *inode;
	struct file *file;
	int err = 0;
	u64 i, n;

	if (!in || in->retrieved)
		return -EINVAL;

	file = memfd_alloc_file("memfd:", MFD_HUGETLB | MFD_ALLOW_SEALING |
				(log << MFD_HUGE_SHIFT));
	if (IS_ERR(file))
		return PTR_ERR(file);
	inode = file_inode(file);

	inode_lock(inode);
	inode->i_mode = (inode->i_mode & ~HUGETLB_LUO_MODE_MASK) | in->ser.mode;
	i_size_write(inode, in->ser.size);
	/* the guest's memory matters more than the reservations of holes */
	err = hugetlb_luo_reserve(in, inode);
	if (err)
		pr_warn("cannot reserve the holes of a retrieved hugetlb memfd (%d): faults into them may fail\n",
			err);
	n = hugetlb_luo_add_folios(in, inode, &err);
	inode_unlock(inode);
	if (err)
		hugetlb_luo_zero_file(file);
	/*
	 * The page cache holds the first n pages now: drop the claim's
	 * references.  finish gives the others back to the pool, zeroed.
	 */
	in->retrieved = true;
	for (i = 0; i < n; i++) {
		folio_put(in->folios[i]);
		in->folios[i] = NULL;
	}
	if (err)
		goto fail;

	/* after the pages: sealing for writes waits for extra references */
	if (in->ser.seals) {
		err = memfd_add_seals(file, in->ser.seals);
		if (err)
			goto zero;
	}
	if (in->ser.flags != HUGETLB_LUO_FILE_DEFAULT) {
		struct file *reopened;

		reopened = dentry_open(&file->f_path,
				       hugetlb_luo_open_flags(in->ser.flags),
				       current_cred());
		if (IS_ERR(reopened)) {
			err = PTR_ERR(reopened);
			goto zero;
		}
		fput(file);
		file = reopened;
	}
	file->f_pos = in->ser.pos;
	args->file = file;
	return 0;

zero:
	hugetlb_luo_zero_file(file);
fail:
	fput(file);
	pr_err("cannot make the retrieved hugetlb memfd (%d); its memory is zeroed\n",
	       err);
	return err;
}

static void hugetlb_luo_finish(struct liveupdate_file_op_args *args)
{
	struct hugetlb_luo_in *in = args->private_data;

	/* pages never retrieved go back to the pool, zeroed */
	if (in)
		hugetlb_luo_in_free(in);
	args->private_data = NULL;
}

static const struct liveupdate_file_ops hugetlb_luo_ops = {
	.can_preserve	= hugetlb_luo_can_preserve,
	.preserve	= hugetlb_luo_preserve,
	.unpreserve	= hugetlb_luo_unpreserve,
	.freeze		= hugetlb_luo_freeze,
	.unfreeze	= hugetlb_luo_unfreeze,
	.claim		= hugetlb_luo_claim,
	.retrieve	= hugetlb_luo_retrieve,
	.finish		= hugetlb_luo_finish,
	.get_id		= hugetlb_luo_get_id,
	.owner		= THIS_MODULE,
};

static struct liveupdate_file_handler hugetlb_luo_handler = {
	.ops		= &hugetlb_luo_ops,
	.compatible	= HUGETLB_LUO_COMPATIBLE,
};

static int __init hugetlb_luo_init(void)
{
	int err;

	if (!hugepages_supported())
		return 0;
	err = liveupdate_register_file_handler(&hugetlb_luo_handler);
	/* -EOPNOTSUPP: the kernel runs without liveupdate=on */
	if (err) {
		if (err != -EOPNOTSUPP)
			pr_err("cannot register the hugetlb memfd handler (%d)\n",
			       err);
		return 0;
	}
	err = hugetlb_kho_out_init();
	if (err)
		pr_err("cannot hand over huge pages (%d): hugetlb memfds are not preserved\n",
		       err);
	return 0;
}
fs_initcall(hugetlb_luo_init);
