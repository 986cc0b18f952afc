// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kexec HandOver (KHO): preserve memory across kexec.
 *
 * A kernel that runs with "kho=on" sets aside scratch areas (see
 * kexec_handover_scratch.c), physically contiguous regions that hold only
 * movable allocations, so nothing that must survive a kexec can sit in
 * them.  Components preserve memory (folios, page ranges, vmalloc areas)
 * in a kho_mem tracker and describe it in small FDTs of their own, which
 * they link by name into KHO's root FDT.
 *
 * kexec_file_load() places every segment of the next kernel inside the
 * scratch areas and passes the root FDT and the scratch array to it (on
 * x86 in a SETUP_KEXEC_KHO setup_data entry).  In the reboot path, just
 * before the jump, kho_finalize() serializes the tracker into a chunk list
 * and writes the root FDT; layers above KHO write their own state before
 * that (liveupdate_reboot()).
 *
 * This file is the API of the outgoing side and the glue of the whole; the
 * next kernel's side is in kexec_handover_incoming.c.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/ctype.h>
#include <linux/kexec.h>
#include <linux/kexec_handover.h>
#include <linux/kho_mem.h>
#include <linux/libfdt.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/slab.h>

#include "kexec_handover_internal.h"

#define KHO_SUBTREE_NAME_MAX	64

static bool kho_enable __ro_after_init;
/* Boot without handover: the scratch areas are memblock reservations until kho_init(). */
static bool kho_scratch_reserved __initdata;

static int __init kho_parse_enable(char *p)
{
	return kstrtobool(p, &kho_enable);
}
early_param("kho", kho_parse_enable);

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
/* Preservation                                                           */
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

/**
 * kho_out_lock() - hold the outgoing side for a change
 *
 * Preserve and unpreserve calls hold it for reading; kho_finalize() takes
 * it for writing, so that a kexec sees each such call whole or not at all.
 *
 * Context: Process context; may sleep.
 * Return: 0 with the lock held; -EOPNOTSUPP if KHO is off; -EBUSY once the
 * kexec is under way.
 */
int kho_out_lock(void)
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

void kho_out_unlock(void)
{
	up_read(&kho_out.sem);
}

/**
 * kho_out_preserve() - preserve a range of pages, outgoing side held
 * @pfn: first page frame.
 * @nr_pages: number of pages.
 *
 * Context: Process context, kho_out_lock() held.
 * Return: 0; -EINVAL inside a scratch area; as kho_mem_preserve_range().
 */
int kho_out_preserve(unsigned long pfn, unsigned long nr_pages)
{
	if (kho_scratch_overlap(PFN_PHYS(pfn), PFN_PHYS(nr_pages)))
		return -EINVAL;
	return kho_mem_preserve_range(&kho_out.tracker, pfn, nr_pages);
}

/**
 * kho_out_unpreserve() - undo kho_out_preserve()
 * @pfn: first page frame.
 * @nr_pages: number of pages.
 *
 * Context: Process context, kho_out_lock() held.
 * Return: as kho_mem_unpreserve_range().
 */
int kho_out_unpreserve(unsigned long pfn, unsigned long nr_pages)
{
	return kho_mem_unpreserve_range(&kho_out.tracker, pfn, nr_pages);
}

/**
 * kho_out_preserved() - whether a page is preserved as an order-0 unit
 * @pfn: the page frame.
 *
 * Context: Process context, kho_out_lock() held.
 * Return: true if @pfn is preserved as a unit of its own.
 */
bool kho_out_preserved(unsigned long pfn)
{
	struct kho_mem_unit unit;

	return kho_mem_lookup(&kho_out.tracker, pfn, &unit) &&
	       unit.pfn == pfn && !unit.order;
}

static int kho_preserve_unit(unsigned long pfn, unsigned int order)
{
	int err;

	if (kho_scratch_overlap(PFN_PHYS(pfn), PAGE_SIZE << order))
		return -EINVAL;
	err = kho_out_lock();
	if (err)
		return err;
	err = kho_mem_preserve(&kho_out.tracker, pfn, order);
	kho_out_unlock();
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
 * is preserved already; -ENOMEM.  A folio that overlaps preserved memory
 * of another order is accepted here, and kho_finalize() refuses the kexec.
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
	int err = kho_out_lock();

	if (err)
		return err;
	err = kho_mem_unpreserve(&kho_out.tracker, folio_pfn(folio),
				 folio_order(folio));
	kho_out_unlock();
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
	err = kho_out_lock();
	if (err)
		return err;
	err = kho_mem_preserve_range(&kho_out.tracker, pfn, nr_pages);
	kho_out_unlock();
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
	err = kho_out_lock();
	if (err)
		return err;
	err = kho_mem_unpreserve_range(&kho_out.tracker, page_to_pfn(page),
				       nr_pages);
	kho_out_unlock();
	return err;
}
EXPORT_SYMBOL_GPL(kho_unpreserve_pages);

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
	err = kho_out_lock();
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
	kho_out_unlock();
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
	int err = kho_out_lock();

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
	kho_out_unlock();
	return err;
}
EXPORT_SYMBOL_GPL(kho_remove_subtree);

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
					kho_debug_subtree_phys(virt_to_phys(st->fdt)));
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
 * the kexec must not go on and nothing is lost: -EEXIST (logged with the
 * two units) if preserved units of different orders overlap, -ENOMEM.
 */
int kho_finalize(void)
{
	struct kho_mem_unit overlap;
	struct kho_mem_stats st;
	phys_addr_t mem_map;
	bool extra;
	int err;

	if (!kho_enable || !kho_out.ready)
		return 0;

	down_write(&kho_out.sem);
	if (kho_out.frozen) {
		/* an earlier attempt got this far; write it again */
		kho_mem_chunks_free(&kho_out.chunks);
		kho_out.frozen = false;
	}
	err = kho_debug_fail_finalize();
	if (err)
		goto out;
	extra = kho_debug_add_overlap(&kho_out.tracker, &overlap);
	err = kho_mem_serialize(&kho_out.tracker, &kho_out.chunks);
	if (extra)
		kho_mem_unpreserve(&kho_out.tracker, overlap.pfn, overlap.order);
	if (err == -EEXIST) {
		struct kho_mem_unit *u = kho_out.chunks.overlap;

		pr_err("preserved memory overlaps: pfn %#lx order %u and pfn %#lx order %u\n",
		       u[0].pfn, u[0].order, u[1].pfn, u[1].order);
	}
	if (err)
		goto out;
	mem_map = kho_out.chunks.head;
	kho_debug_corrupt_map(&mem_map);
	err = kho_write_root_fdt(mem_map);
	if (err) {
		kho_mem_chunks_free(&kho_out.chunks);
		goto out;
	}
	kho_debug_corrupt_scratch(kho_out.scratch, kho_scratch_cnt);
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
	stats->meta_out = kho_out.meta;
	kho_in_get_stats(stats);
}
EXPORT_SYMBOL_GPL(kho_get_stats);

/* ---------------------------------------------------------------------- */
/* Init                                                                   */
/* ---------------------------------------------------------------------- */

/**
 * kho_memory_init() - reserve the handed-over memory, or set up scratch
 *
 * Called from mm_core_init() while memblock still manages memory.  On a
 * KHO boot it walks the previous kernel's map and reserves every
 * preserved range, then lets memblock allocate from all memory again.  On
 * a boot without a (valid) handover and with "kho=on" it reserves the
 * scratch areas.
 *
 * Context: Early boot.
 */
void __init kho_memory_init(void)
{
	if (kho_in_present()) {
		kho_in_reserve(SZ_1M);
		kho_scratch_mark_cma();
		memblock_clear_kho_scratch_only();
		memblock_clear_kho_scratch(0, SZ_1M);
	}
	if (kho_enable && !kho_scratch_cnt) {
		if (kho_scratch_reserve())
			kho_scratch_reserved = true;
		else
			kho_enable = false;
	}
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

static int __init kho_init(void)
{
	if (kho_scratch_reserved)
		kho_scratch_release();
	kho_in_init();
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
