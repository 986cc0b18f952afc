// SPDX-License-Identifier: GPL-2.0-only
/*
 * Live Update Orchestrator (LUO): the memfd file handler.
 *
 * A memfd (an unlinked shmem file from memfd_create()) is preserved in
 * place: the folios in its page cache, of any order, stay where they are
 * and are handed to the next kernel with kho_preserve_folio(); holes stay
 * holes and read back as zeroes.  With them go the size, the file
 * position, the open flags that matter (access mode, O_APPEND,
 * O_NONBLOCK, O_LARGEFILE), the permission bits and the seals.  The format
 * is in include/linux/kho/abi/memfd.h.
 *
 * preserve: under the inode lock, the file's size is fixed
 * (shmem_luo_fix_size(): truncate, a write or fallocate() past the end and
 * hole punching fail with -EPERM until unpreserve), and every folio
 * present is pinned with memfd_pin_folios(), run of present indices by
 * run, so that holes are not filled.  memfd_pin_folios() swaps in pages
 * that are in swap (we bring them in rather than refuse the file) and
 * migrates folios out of movable and CMA memory first: KHO's scratch
 * areas are CMA, and KHO refuses to preserve scratch memory.  Pinned
 * folios cannot be migrated, split, swapped out or freed.  A folio under
 * writeback is waited for, and one that is not uptodate (fallocated and
 * never written) is zeroed and marked uptodate.  Folios entirely beyond
 * the end of the file (fallocate() with FALLOC_FL_KEEP_SIZE) hold only
 * zeroes and are not preserved.
 *
 * freeze, in the reboot path (userspace still runs on other CPUs): the
 * process may have written into holes since preserve, so the folio set is
 * taken again as it is at the kexec.  First no folio may be added to the
 * file any more (shmem_luo_stop_alloc(): from then on a write or
 * fallocate() into a hole fails with -ENOSPC, and a fault on a hole gets
 * SIGBUS, until unfreeze or the kexec); then the folios added since
 * preserve are pinned and preserved and the array is preserved again.
 * Writes into the folios present keep working until the kexec: the
 * memory is handed over in place.  The position, flags and seals are
 * taken again too.
 *
 * The next kernel validates all of it in claim, during boot, and restores
 * the folios; retrieve puts the same folios into the page cache of a new
 * memfd without copying.  What is refused, or never retrieved, is zeroed
 * before it is freed: it holds a tenant's data.
 */

#define pr_fmt(fmt) "memfd_luo: " fmt

#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/init.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/memfd.h>
#include <linux/liveupdate.h>
#include <linux/memfd.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>
#include <uapi/linux/memfd.h>

#include "internal.h"

/* Folios pinned per memfd_pin_folios() call. */
#define MEMFD_LUO_BATCH		32

/* Times freeze walks a run again when a folio went away under it. */
#define MEMFD_LUO_RETRIES	8

/* The largest folio the next kernel puts into a page cache. */
#define MEMFD_LUO_MAX_ORDER \
	min_t(unsigned int, MAX_PAGECACHE_ORDER, MAX_PAGE_ORDER)

/* The file as memfd_alloc_file() opens it. */
#define MEMFD_LUO_FILE_DEFAULT	(MEMFD_LUO_FILE_READ | MEMFD_LUO_FILE_WRITE | \
				 MEMFD_LUO_FILE_LARGEFILE)

/* The outgoing side of a preserved file: preserve to unpreserve. */
struct memfd_luo_out {
	struct folio *ser_folio;	/* the preserved page of @ser */
	struct memfd_luo_ser *ser;
	struct memfd_luo_folio_ser *folios;	/* vmalloc, preserved */
	u64 nr_folios;
};

/* The incoming side of a file: claim to finish. */
struct memfd_luo_in {
	struct memfd_luo_ser ser;
	struct memfd_luo_folio_ser *entries;	/* restored vmalloc */
	struct folio **folios;	/* restored, NULL once the file has it */
	bool retrieved;
};

/* Folios pinned and preserved by one walk, in ascending order of index. */
struct memfd_luo_list {
	struct memfd_luo_folio_ser *e;
	u64 nr;
	u64 cap;
};

static inline unsigned long memfd_luo_pfn(const struct memfd_luo_folio_ser *e)
{
	return e->pfn_flags & MEMFD_LUO_PFN_MASK;
}

static inline unsigned int memfd_luo_order(const struct memfd_luo_folio_ser *e)
{
	return (e->pfn_flags >> MEMFD_LUO_ORDER_SHIFT) & MEMFD_LUO_ORDER_MASK;
}

/* ---------------------------------------------------------------------- */
/* Outgoing: pin and preserve                                             */
/* ---------------------------------------------------------------------- */

/* Unpreserve and unpin the folios of @e[0..@nr). */
static void memfd_luo_put_folios(const struct memfd_luo_folio_ser *e, u64 nr)
{
	u64 i;

	for (i = 0; i < nr; i++) {
		struct folio *folio = pfn_folio(memfd_luo_pfn(&e[i]));

		WARN_ON_ONCE(kho_unpreserve_folio(folio));
		unpin_folio(folio);
	}
}

static int memfd_luo_list_grow(struct memfd_luo_list *l)
{
	u64 cap = l->cap ? l->cap * 2 : 64;
	void *e;

	e = kvrealloc(l->e, array_size(cap, sizeof(*l->e)), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	l->e = e;
	l->cap = cap;
	return 0;
}

/*
 * Take a pinned folio of the file: wait for writeback, make sure it holds
 * data, preserve it and add it to @l.  The pin is @l's on success.
 */
static int memfd_luo_take(struct address_space *mapping, struct folio *folio,
			  pgoff_t first, pgoff_t last, struct memfd_luo_list *l)
{
	u64 flags = MEMFD_LUO_FOLIO_UPTODATE;
	int err;

	if (l->nr == l->cap) {
		err = memfd_luo_list_grow(l);
		if (err)
			return err;
	}

	folio_lock(folio);
	/* nothing removes a folio from a file whose size is fixed */
	if (folio->mapping != mapping || folio->index < first ||
	    folio->index > last) {
		folio_unlock(folio);
		return -EBUSY;
	}
	folio_wait_writeback(folio);
	if (!folio_test_uptodate(folio)) {
		/* fallocated, never written: it holds whatever was there */
		folio_zero_range(folio, 0, folio_size(folio));
		folio_mark_uptodate(folio);
	}
	if (folio_test_dirty(folio))
		flags |= MEMFD_LUO_FOLIO_DIRTY;
	folio_unlock(folio);

	err = kho_preserve_folio(folio);
	if (err)
		return err;
	l->e[l->nr].index = folio->index;
	l->e[l->nr].pfn_flags = folio_pfn(folio) |
		((u64)folio_order(folio) << MEMFD_LUO_ORDER_SHIFT) | flags;
	l->nr++;
	return 0;
}

/* Pin and preserve the folios of [@first, @last] of @file; all present. */
static int memfd_luo_pin_run(struct file *file, pgoff_t first, pgoff_t last,
			     struct memfd_luo_list *l)
{
	struct address_space *mapping = file->f_mapping;
	loff_t end = min_t(loff_t, (loff_t)(last + 1) << PAGE_SHIFT,
			   i_size_read(file_inode(file))) - 1;
	loff_t start = (loff_t)first << PAGE_SHIFT;
	struct folio *batch[MEMFD_LUO_BATCH];

	while (start <= end) {
		pgoff_t offset;
		long n, i;
		int err;

		n = memfd_pin_folios(file, start, end, batch, ARRAY_SIZE(batch),
				     &offset);
		if (n <= 0)
			return n ? n : -EBUSY;
		for (i = 0; i < n; i++) {
			err = memfd_luo_take(mapping, batch[i], first, last, l);
			if (err) {
				unpin_folios(&batch[i], n - i);
				return err;
			}
		}
		start = (loff_t)folio_next_index(batch[n - 1]) << PAGE_SHIFT;
		cond_resched();
	}
	return 0;
}

/*
 * Whether the entry that starts at @index is one of @have[0..@nr), sorted
 * by index; @h is the cursor of an ascending walk.
 */
static bool memfd_luo_have(const struct memfd_luo_folio_ser *have, u64 nr,
			   u64 *h, pgoff_t index)
{
	while (*h < nr &&
	       have[*h].index + (1UL << memfd_luo_order(&have[*h])) <= index)
		(*h)++;
	return *h < nr && have[*h].index <= index;
}

/*
 * Find the first run of present entries (folios, or pages in swap) of
 * [@from, @end) that are not in @have: its first and last index.
 */
static bool memfd_luo_next_run(struct address_space *mapping, pgoff_t from,
			       pgoff_t end, const struct memfd_luo_folio_ser *have,
			       u64 nr_have, u64 *h, pgoff_t *first, pgoff_t *last)
{
	XA_STATE(xas, &mapping->i_pages, from);
	bool found = false;
	void *entry;

	rcu_read_lock();
	xas_for_each(&xas, entry, end - 1) {
		unsigned long nr;
		pgoff_t start;

		if (xas_retry(&xas, entry))
			continue;
		nr = 1UL << xas_get_order(&xas);
		start = round_down(xas.xa_index, nr);
		if (memfd_luo_have(have, nr_have, h, start)) {
			if (found)
				break;
			continue;
		}
		if (found && start != *last + 1)
			break;
		if (!found)
			*first = max(start, from);
		found = true;
		*last = min(start + nr, end) - 1;
	}
	rcu_read_unlock();
	return found;
}

/*
 * Pin and preserve every folio of @file that starts inside it and is not
 * in @have (sorted), appending them to @l in ascending order of index.  With
 * @frozen, no folio can be added to the file any more, so a folio that
 * went away (reclaimed while unpinned: it held only zeroes) leaves a hole
 * that cannot be filled: walk that part again.
 */
static int memfd_luo_collect(struct file *file,
			     const struct memfd_luo_folio_ser *have, u64 nr_have,
			     bool frozen, struct memfd_luo_list *l)
{
	pgoff_t end = DIV_ROUND_UP(i_size_read(file_inode(file)), PAGE_SIZE);
	unsigned int retries = 0;
	pgoff_t index = 0;
	u64 h = 0;

	while (index < end) {
		pgoff_t first, last;
		int err;

		if (!memfd_luo_next_run(file->f_mapping, index, end, have,
					nr_have, &h, &first, &last))
			break;
		err = memfd_luo_pin_run(file, first, last, l);
		if (err == -ENOSPC && frozen && retries++ < MEMFD_LUO_RETRIES) {
			index = l->nr ? l->e[l->nr - 1].index +
				(1UL << memfd_luo_order(&l->e[l->nr - 1])) :
				first;
			index = max(index, first);
			h = 0;
			continue;
		}
		if (err)
			return err;
		index = last + 1;
	}
	return 0;
}

/*
 * Make @out's array the @nr entries of @e: a new vmalloc array of exactly
 * their size, preserved, replacing the old one.
 */
static int memfd_luo_publish(struct memfd_luo_out *out,
			     struct memfd_luo_folio_ser *e, u64 nr)
{
	struct kho_vmalloc handle = {};
	int err;

	if (nr) {
		err = kho_preserve_vmalloc(e, &handle);
		if (err)
			return err;
	}
	if (out->nr_folios) {
		WARN_ON_ONCE(kho_unpreserve_vmalloc(&out->ser->folios));
		vfree(out->folios);
	}
	out->folios = nr ? e : NULL;
	out->nr_folios = nr;
	out->ser->folios = handle;
	out->ser->nr_folios = nr;
	return 0;
}

/* A vmalloc array of @a[0..@na) and @b[0..@nb) merged by index, or NULL. */
static struct memfd_luo_folio_ser *
memfd_luo_merge(const struct memfd_luo_folio_ser *a, u64 na,
		const struct memfd_luo_folio_ser *b, u64 nb)
{
	struct memfd_luo_folio_ser *e;
	u64 i = 0, j = 0, k = 0;

	e = vmalloc(array_size(na + nb, sizeof(*e)));
	if (!e)
		return NULL;
	while (i < na || j < nb) {
		if (j == nb || (i < na && a[i].index < b[j].index))
			e[k] = a[i++];
		else
			e[k] = b[j++];
		/* the walk never takes a folio twice */
		if (k && WARN_ON_ONCE(e[k].index < e[k - 1].index +
				      (1UL << memfd_luo_order(&e[k - 1])))) {
			vfree(e);
			return NULL;
		}
		k++;
	}
	return e;
}

/* Take the position, flags, permission bits and seals of @file. */
static int memfd_luo_fill(struct memfd_luo_ser *ser, struct file *file)
{
	unsigned int f_flags = READ_ONCE(file->f_flags);
	int seals = memfd_get_seals(file);
	u32 flags = 0;

	if (seals < 0)
		return seals;
	if (seals & ~MEMFD_LUO_SEALS)
		return -EOPNOTSUPP;
	if (file->f_mode & FMODE_READ)
		flags |= MEMFD_LUO_FILE_READ;
	if (file->f_mode & FMODE_WRITE)
		flags |= MEMFD_LUO_FILE_WRITE;
	if (!flags)
		return -EBADF;
	if (f_flags & O_APPEND)
		flags |= MEMFD_LUO_FILE_APPEND;
	if (f_flags & O_NONBLOCK)
		flags |= MEMFD_LUO_FILE_NONBLOCK;
	if (f_flags & O_LARGEFILE)
		flags |= MEMFD_LUO_FILE_LARGEFILE;

	ser->size = i_size_read(file_inode(file));
	ser->pos = READ_ONCE(file->f_pos);
	ser->seals = seals;
	ser->flags = flags;
	ser->mode = file_inode(file)->i_mode & MEMFD_LUO_MODE_MASK;
	return 0;
}

static bool memfd_luo_can_preserve(struct liveupdate_file_handler *handler,
				   struct file *file)
{
	struct inode *inode = file_inode(file);

	/* hugetlbfs memfds are not shmem files */
	return shmem_file(file) && S_ISREG(inode->i_mode) && !inode->i_nlink;
}

static unsigned long memfd_luo_get_id(struct file *file)
{
	return (unsigned long)file_inode(file);
}

static int memfd_luo_preserve(struct liveupdate_file_op_args *args)
{
	struct file *file = args->file;
	struct inode *inode = file_inode(file);
	struct memfd_luo_folio_ser *e = NULL;
	struct memfd_luo_list l = {};
	struct memfd_luo_out *out;
	int err;

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
	shmem_luo_fix_size(inode, true);
	err = memfd_luo_fill(out->ser, file);
	if (err)
		goto unlock;
	err = memfd_luo_collect(file, NULL, 0, false, &l);
	if (err)
		goto put_folios;
	if (l.nr) {
		e = vmalloc(array_size(l.nr, sizeof(*e)));
		if (!e) {
			err = -ENOMEM;
			goto put_folios;
		}
		memcpy(e, l.e, array_size(l.nr, sizeof(*e)));
	}
	err = memfd_luo_publish(out, e, l.nr);
	if (err)
		goto free_e;
	inode_unlock(inode);
	kvfree(l.e);

	args->serialized_data = PFN_PHYS(folio_pfn(out->ser_folio));
	args->private_data = out;
	return 0;

free_e:
	vfree(e);
put_folios:
	memfd_luo_put_folios(l.e, l.nr);
	kvfree(l.e);
unlock:
	shmem_luo_fix_size(inode, false);
	inode_unlock(inode);
	WARN_ON_ONCE(kho_unpreserve_folio(out->ser_folio));
free_ser:
	folio_put(out->ser_folio);
free_out:
	kfree(out);
	return err;
}

static int memfd_luo_freeze(struct liveupdate_file_op_args *args)
{
	struct memfd_luo_out *out = args->private_data;
	struct file *file = args->file;
	struct inode *inode = file_inode(file);
	struct memfd_luo_ser ser = {};
	struct memfd_luo_list l = {};
	struct memfd_luo_folio_ser *e;
	int err;

	if (WARN_ON_ONCE(!out))
		return -EINVAL;

	inode_lock(inode);
	shmem_luo_stop_alloc(inode, true);
	err = memfd_luo_fill(&ser, file);
	if (err)
		goto fail;
	err = memfd_luo_collect(file, out->folios, out->nr_folios, true, &l);
	if (err)
		goto fail;
	if (l.nr) {
		e = memfd_luo_merge(out->folios, out->nr_folios, l.e, l.nr);
		if (!e) {
			err = -ENOMEM;
			goto fail;
		}
		err = memfd_luo_publish(out, e, out->nr_folios + l.nr);
		if (err) {
			vfree(e);
			goto fail;
		}
	}
	/* the size is fixed; the rest may have changed since preserve */
	out->ser->pos = ser.pos;
	out->ser->seals = ser.seals;
	out->ser->flags = ser.flags;
	out->ser->mode = ser.mode;
	inode_unlock(inode);
	kvfree(l.e);
	return 0;

fail:
	memfd_luo_put_folios(l.e, l.nr);
	kvfree(l.e);
	shmem_luo_stop_alloc(inode, false);
	inode_unlock(inode);
	pr_err("cannot take the folios of a memfd at the kexec (%d)\n", err);
	return err;
}

static void memfd_luo_unfreeze(struct liveupdate_file_op_args *args)
{
	struct inode *inode = file_inode(args->file);

	/* what freeze added stays pinned and preserved, as if preserve had */
	inode_lock(inode);
	shmem_luo_stop_alloc(inode, false);
	inode_unlock(inode);
}

static void memfd_luo_unpreserve(struct liveupdate_file_op_args *args)
{
	struct memfd_luo_out *out = args->private_data;
	struct inode *inode = file_inode(args->file);

	if (WARN_ON_ONCE(!out))
		return;

	inode_lock(inode);
	memfd_luo_put_folios(out->folios, out->nr_folios);
	if (out->nr_folios) {
		WARN_ON_ONCE(kho_unpreserve_vmalloc(&out->ser->folios));
		vfree(out->folios);
	}
	shmem_luo_stop_alloc(inode, false);
	shmem_luo_fix_size(inode, false);
	inode_unlock(inode);

	WARN_ON_ONCE(kho_unpreserve_folio(out->ser_folio));
	folio_put(out->ser_folio);
	kfree(out);
	args->private_data = NULL;
}

/* ---------------------------------------------------------------------- */
/* Incoming: claim, retrieve, finish                                      */
/* ---------------------------------------------------------------------- */

/* Zero and free a restored folio: it holds a tenant's data. */
static void memfd_luo_discard(struct folio *folio)
{
	long i;

	for (i = 0; i < folio_nr_pages(folio); i++) {
		clear_highpage(folio_page(folio, i));
		if (!(i % 512))
			cond_resched();
	}
	folio_put(folio);
}

/* Free @in, zeroing the folios it still holds. */
static void memfd_luo_in_free(struct memfd_luo_in *in)
{
	u64 i;

	if (in->folios) {
		for (i = 0; i < in->ser.nr_folios; i++)
			if (in->folios[i])
				memfd_luo_discard(in->folios[i]);
		kvfree(in->folios);
	}
	vfree(in->entries);
	kfree(in);
}

/* Check the file's struct; the reason for refusing it, or NULL. */
static const char *memfd_luo_check_ser(const struct memfd_luo_ser *ser)
{
	static const struct kho_vmalloc none;
	u64 need;

	if (ser->reserved)
		return "reserved field set";
	if (ser->flags & ~MEMFD_LUO_FILE_FLAGS)
		return "unknown file flags";
	if (!(ser->flags & (MEMFD_LUO_FILE_READ | MEMFD_LUO_FILE_WRITE)))
		return "open neither for reading nor for writing";
	if (ser->seals & ~MEMFD_LUO_SEALS)
		return "unknown seals";
	if (ser->mode & ~MEMFD_LUO_MODE_MASK)
		return "unknown mode bits";
	if (ser->size > MAX_LFS_FILESIZE)
		return "size too large";
	if (ser->pos > MAX_LFS_FILESIZE)
		return "position too large";
	if (ser->nr_folios > DIV_ROUND_UP(ser->size, PAGE_SIZE))
		return "more folios than pages";
	if (!ser->nr_folios)
		return memcmp(&ser->folios, &none, sizeof(none)) ?
			"folio array without folios" : NULL;
	need = DIV_ROUND_UP(ser->nr_folios * sizeof(struct memfd_luo_folio_ser),
			    PAGE_SIZE);
	if (ser->folios.total_pages != need)
		return "folio array size does not match the folio count";
	return NULL;
}

/* Check the folio array; the reason for refusing it, or NULL. */
static const char *memfd_luo_check_entries(const struct memfd_luo_in *in)
{
	pgoff_t pages = DIV_ROUND_UP(in->ser.size, PAGE_SIZE), next = 0;
	u64 i;

	for (i = 0; i < in->ser.nr_folios; i++) {
		const struct memfd_luo_folio_ser *e = &in->entries[i];
		unsigned int order = memfd_luo_order(e);
		unsigned long nr = 1UL << order;

		if (e->pfn_flags & ~(MEMFD_LUO_PFN_MASK | MEMFD_LUO_FOLIO_FLAGS |
				     (MEMFD_LUO_ORDER_MASK <<
				      MEMFD_LUO_ORDER_SHIFT)))
			return "unknown folio flags";
		if (order > MEMFD_LUO_MAX_ORDER)
			return "folio order too large";
		if (!IS_ALIGNED(e->index, nr) ||
		    !IS_ALIGNED(memfd_luo_pfn(e), nr))
			return "folio not aligned to its order";
		if (e->index < next)
			return "folios overlap or are out of order";
		/* only a large folio that holds the end may reach past it */
		if (e->index >= pages)
			return "folio outside the file";
		next = e->index + nr;
	}
	return NULL;
}

static int memfd_luo_claim(struct liveupdate_file_op_args *args)
{
	phys_addr_t phys = args->serialized_data;
	struct folio *ser_folio;
	struct memfd_luo_in *in;
	const char *why;
	u64 i;

	ser_folio = phys ? kho_restore_folio(phys) : NULL;
	if (!ser_folio) {
		pr_err("refusing a memfd: its state at %pa is not a preserved page\n",
		       &phys);
		return -EINVAL;
	}
	if (folio_order(ser_folio)) {
		folio_put(ser_folio);
		pr_err("refusing a memfd: its state is not a single page\n");
		return -EINVAL;
	}
	in = kzalloc(sizeof(*in), GFP_KERNEL);
	if (!in) {
		folio_put(ser_folio);
		pr_err("refusing a memfd: no memory\n");
		return -ENOMEM;
	}
	memcpy(&in->ser, folio_address(ser_folio), sizeof(in->ser));
	folio_put(ser_folio);

	why = memfd_luo_check_ser(&in->ser);
	if (why)
		goto refuse;
	if (!in->ser.nr_folios)
		goto done;

	in->entries = kho_restore_vmalloc(&in->ser.folios);
	if (!in->entries) {
		why = "folio array not restorable";
		goto refuse;
	}
	why = memfd_luo_check_entries(in);
	if (why)
		goto refuse;
	in->folios = kvcalloc(in->ser.nr_folios, sizeof(*in->folios),
			      GFP_KERNEL);
	if (!in->folios) {
		memfd_luo_in_free(in);
		pr_err("refusing a memfd: no memory\n");
		return -ENOMEM;
	}

	for (i = 0; i < in->ser.nr_folios; i++) {
		const struct memfd_luo_folio_ser *e = &in->entries[i];
		pgoff_t pages = DIV_ROUND_UP(in->ser.size, PAGE_SIZE);
		struct folio *folio;
		long p;

		folio = kho_restore_folio(PFN_PHYS(memfd_luo_pfn(e)));
		if (!folio) {
			why = "a folio is not preserved memory";
			goto refuse;
		}
		in->folios[i] = folio;
		if (folio_order(folio) != memfd_luo_order(e)) {
			why = "a folio has another order than preserved";
			goto refuse;
		}
		/* a folio that never held data, and pages past the end */
		for (p = 0; p < folio_nr_pages(folio); p++)
			if (!(e->pfn_flags & MEMFD_LUO_FOLIO_UPTODATE) ||
			    e->index + p >= pages)
				clear_highpage(folio_page(folio, p));
		cond_resched();
	}
done:
	args->private_data = in;
	return 0;

refuse:
	pr_err("refusing a memfd: %s\n", why);
	memfd_luo_in_free(in);
	return -EINVAL;
}

/* Zero what the page cache of @file holds: it is given up on error. */
static void memfd_luo_zero_file(struct file *file)
{
	struct folio_batch fbatch;
	pgoff_t index = 0;
	unsigned int i;

	folio_batch_init(&fbatch);
	while (filemap_get_folios(file->f_mapping, &index, ULONG_MAX, &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];

			folio_lock(folio);
			folio_zero_range(folio, 0, folio_size(folio));
			folio_unlock(folio);
		}
		folio_batch_release(&fbatch);
		cond_resched();
	}
}

/* Open flags of the retrieved file for the MEMFD_LUO_FILE_* @flags. */
static int memfd_luo_open_flags(u32 flags)
{
	int oflags;

	if ((flags & MEMFD_LUO_FILE_READ) && (flags & MEMFD_LUO_FILE_WRITE))
		oflags = O_RDWR;
	else if (flags & MEMFD_LUO_FILE_WRITE)
		oflags = O_WRONLY;
	else
		oflags = O_RDONLY;
	if (flags & MEMFD_LUO_FILE_APPEND)
		oflags |= O_APPEND;
	if (flags & MEMFD_LUO_FILE_NONBLOCK)
		oflags |= O_NONBLOCK;
	if (flags & MEMFD_LUO_FILE_LARGEFILE)
		oflags |= O_LARGEFILE;
	return oflags;
}

static int memfd_luo_retrieve(struct liveupdate_file_op_args *args)
{
	struct memfd_luo_in *in = args->private_data;
	struct inode *inode;
	struct file *file;
	int err = 0;
	u64 i, n;

	if (!in || in->retrieved)
		return -EINVAL;

	file = memfd_alloc_file("memfd:", MFD_ALLOW_SEALING);
	if (IS_ERR(file))
		return PTR_ERR(file);
	inode = file_inode(file);

	inode_lock(inode);
	inode->i_mode = (inode->i_mode & ~MEMFD_LUO_MODE_MASK) | in->ser.mode;
	i_size_write(inode, in->ser.size);
	for (n = 0; n < in->ser.nr_folios; n++) {
		err = shmem_luo_add_folio(inode, in->folios[n],
					  in->entries[n].index);
		if (err)
			break;
	}
	inode_unlock(inode);
	if (err)
		memfd_luo_zero_file(file);
	/*
	 * The page cache holds the first n folios now: drop the claim's
	 * references.  finish zeroes and frees the others.
	 */
	in->retrieved = true;
	for (i = 0; i < n; i++) {
		folio_put(in->folios[i]);
		in->folios[i] = NULL;
	}
	if (err)
		goto fail;

	/* after the folios: sealing for writes waits for extra references */
	if (in->ser.seals) {
		err = memfd_add_seals(file, in->ser.seals);
		if (err)
			goto zero;
	}
	if (in->ser.flags != MEMFD_LUO_FILE_DEFAULT) {
		struct file *reopened;

		reopened = dentry_open(&file->f_path,
				       memfd_luo_open_flags(in->ser.flags),
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
	memfd_luo_zero_file(file);
fail:
	fput(file);
	pr_err("cannot make the retrieved memfd (%d); its memory is zeroed\n",
	       err);
	return err;
}

static void memfd_luo_finish(struct liveupdate_file_op_args *args)
{
	struct memfd_luo_in *in = args->private_data;

	/* zeroes and frees the folios that were never retrieved */
	if (in)
		memfd_luo_in_free(in);
	args->private_data = NULL;
}

static const struct liveupdate_file_ops memfd_luo_ops = {
	.can_preserve	= memfd_luo_can_preserve,
	.preserve	= memfd_luo_preserve,
	.unpreserve	= memfd_luo_unpreserve,
	.freeze		= memfd_luo_freeze,
	.unfreeze	= memfd_luo_unfreeze,
	.claim		= memfd_luo_claim,
	.retrieve	= memfd_luo_retrieve,
	.finish		= memfd_luo_finish,
	.get_id		= memfd_luo_get_id,
	.owner		= THIS_MODULE,
};

static struct liveupdate_file_handler memfd_luo_handler = {
	.ops		= &memfd_luo_ops,
	.compatible	= MEMFD_LUO_COMPATIBLE,
};

static int __init memfd_luo_init(void)
{
	int err = liveupdate_register_file_handler(&memfd_luo_handler);

	/* -EOPNOTSUPP: the kernel runs without liveupdate=on */
	if (err && err != -EOPNOTSUPP)
		pr_err("cannot register the memfd file handler (%d)\n", err);
	return 0;
}
fs_initcall(memfd_luo_init);
