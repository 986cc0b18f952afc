// SPDX-License-Identifier: GPL-2.0
/*
 * KHO preserved-memory tracker.
 *
 * Coding conventions in this file:
 *
 * @t is the tracker.
 * @order is the order of a unit; @ord is the per-order descriptor.
 * @uidx is a unit index within one order: pfn >> order.
 * @index is a leaf index within one order: uidx >> KHO_MEM_LEAF_SHIFT.
 * @off is a unit's offset within its leaf: uidx & KHO_MEM_LEAF_MASK.
 * @leaf is a leaf container, sparse or bitmap.
 */

/**
 * DOC: Preserved-memory tracker
 *
 * The tracker (``struct kho_mem_tracker``) is the set of memory that must
 * survive the next kexec.  Its elements are
 * *units*: 2^order pages starting at a pfn aligned to 2^order, the shape
 * the buddy allocator hands out, named by (pfn, order), from order 0 up to
 * ``KHO_MEM_MAX_ORDER`` (PUD order, 1 GiB on x86-64).  It knows nothing of
 * struct page.
 *
 * Two levels of xarray lead to a leaf: the tracker's xarray of orders
 * (index: order), and each order's xarray of leaves (index: leaf index)::
 *
 *   orders (xarray, index = order)
 *   +---------+---------+-----+----------+
 *   | order 0 | order 1 | ... | order 18 |
 *   +----+----+---------+-----+----------+
 *        |
 *        v  leaves of one order (xarray, index = leaf index)
 *   +---------+---------+---------+-----
 *   | leaf 0  |  (none) | leaf 2  | ...
 *   +----+----+---------+----+----+-----
 *        |                   |
 *        v                   v
 *   SPARSE leaf:             BITMAP leaf:
 *   u16 table[cap], a hash   one page of bits,
 *   set, kmalloc'ed          bit off set <=> unit preserved
 *   [ 17, -, 3, 4095, - ]    [0001000...0100...]
 *
 * Each leaf spans ``KHO_MEM_LEAF_UNITS`` units of its order, as many as a
 * page has bits (32768 with 4 KiB pages): 128 MiB of order-0 pages,
 * 64 GiB of 2 MiB units, 32 TiB of 1 GiB units.  The address arithmetic::
 *
 *   uidx  = pfn >> order
 *   index = uidx >> KHO_MEM_LEAF_SHIFT      which leaf of the order
 *   off   = uidx &  KHO_MEM_LEAF_MASK       which unit in the leaf
 *   pfn   = ((index << KHO_MEM_LEAF_SHIFT) + off) << order
 *
 * Leaves adapt to their density, as containers in a Roaring bitmap do.  A
 * leaf starts *sparse*: a hash set of 16-bit offsets (open addressing, at
 * most three quarters full), two to four bytes a unit, so an isolated page
 * costs a few bytes instead of a page of bits, and a unit is found or
 * added in O(1) in whatever order units come; its offsets are sorted only
 * when the leaf is serialized.  When it holds more than
 * ``KHO_MEM_SPARSE_LIMIT`` units (768 with 4 KiB pages, at which its table
 * and the copy of its offsets in the handover's chunk weigh nearly as much
 * as a bitmap page) it becomes a *bitmap* page, and it turns sparse again
 * when it shrinks back.  Dense memory thus costs one bit per unit.  Bitmap
 * leaves are whole pages, never slab objects, because the next kernel
 * reads them by physical address.
 *
 * The representation is a function of the contents: a leaf with N units
 * is sparse if and only if N <= ``KHO_MEM_SPARSE_LIMIT``, and the capacity
 * of a sparse leaf's array depends on N alone.  Undoing a change therefore
 * restores the metadata exactly, and a call that fails leaves the tracker
 * as it was.
 *
 * A unit is refused with -EEXIST when it is already preserved with the
 * same order, which its leaf tells at once.  Units of different orders
 * are not compared when they are added: that would take one search of
 * every other order per unit.  kho_mem_serialize() makes one ordered pass
 * over all orders anyway, and it refuses a tracker in which two units
 * overlap, naming both, so no overlapping unit ever reaches the next
 * kernel and the caller of the serialization learns which ones collide.
 *
 * The hot path is a unit that lands in an existing leaf, found through
 * the order's leaf cache or its xarray: no allocation, and only a
 * spinlock.
 *
 * Locking: every call but that hot path holds the tracker's mutex, so it
 * may allocate and sleep, and sets a flag that keeps the hot path out
 * until it is done.  The hot path runs under a spinlock, only while that
 * flag is clear, and flips one bit and bumps counters.
 */

#include "kho_mem_internal.h"

/* --- leaves -------------------------------------------------------------- */

/*
 * A sparse leaf is a hash set of 16-bit offsets: a table of a power of two
 * slots, at most three quarters full, with linear probing.  A unit is
 * looked up or added in O(1) whatever the order in which units come; the
 * offsets are sorted only when the leaf is serialized.
 */
static unsigned int sparse_cap(unsigned int count)
{
	unsigned int cap = 8;

	while (cap / 4 * 3 < count)
		cap <<= 1;
	return cap;
}

static unsigned int sparse_hash(unsigned int off, unsigned int cap)
{
	return (off * 40503U >> 4) & (cap - 1);
}

/* Slot of @off in @tab, or of the empty slot where it would go. */
static unsigned int sparse_slot(const u16 *tab, unsigned int cap,
				unsigned int off)
{
	unsigned int i = sparse_hash(off, cap);

	while (tab[i] != KHO_MEM_SPARSE_EMPTY && tab[i] != off)
		i = (i + 1) & (cap - 1);
	return i;
}

/* Fill @tab (@cap slots) with the @cap_old slots of @old. */
static void sparse_rehash(u16 *tab, unsigned int cap, const u16 *old,
			  unsigned int cap_old)
{
	unsigned int i;

	memset(tab, 0xff, cap * sizeof(u16));
	for (i = 0; i < cap_old; i++) {
		if (old[i] != KHO_MEM_SPARSE_EMPTY)
			tab[sparse_slot(tab, cap, old[i])] = old[i];
	}
}

/* Take @off, present, out of @tab, moving back what probed past it. */
static void sparse_delete(u16 *tab, unsigned int cap, unsigned int off)
{
	unsigned int i = sparse_slot(tab, cap, off), j = i, k;

	for (;;) {
		j = (j + 1) & (cap - 1);
		if (tab[j] == KHO_MEM_SPARSE_EMPTY)
			break;
		k = sparse_hash(tab[j], cap);
		/* leave it if its home lies cyclically in (i, j] */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		tab[i] = tab[j];
		i = j;
	}
	tab[i] = KHO_MEM_SPARSE_EMPTY;
}

/*
 * Plain word operations for bitmap leaves: x86's bt/bts with a register
 * offset into memory are slow, and the tracker's lock already serialises.
 */
static bool bits_test(const unsigned long *bits, unsigned int off)
{
	return bits[BIT_WORD(off)] & BIT_MASK(off);
}

static bool leaf_test(const struct kho_mem_leaf *leaf, unsigned int off)
{
	if (leaf->kind == KHO_MEM_LEAF_BITMAP)
		return bits_test(leaf->bits, off);
	return leaf->offs[sparse_slot(leaf->offs, leaf->cap, off)] == off;
}

/*
 * First preserved offset >= @off, or KHO_MEM_LEAF_UNITS if there is none.
 * A scan of every slot of a sparse leaf: for the ordered visits, not for
 * the hot paths.
 */
static unsigned long leaf_next(const struct kho_mem_leaf *leaf,
			       unsigned int off)
{
	unsigned long next = KHO_MEM_LEAF_UNITS;
	unsigned int i;

	if (leaf->kind == KHO_MEM_LEAF_BITMAP)
		return find_next_bit(leaf->bits, KHO_MEM_LEAF_UNITS, off);
	for (i = 0; i < leaf->cap; i++) {
		if (leaf->offs[i] >= off && leaf->offs[i] < next)
			next = leaf->offs[i];
	}
	return next;
}

static size_t leaf_bytes(const struct kho_mem_leaf *leaf)
{
	if (leaf->kind == KHO_MEM_LEAF_BITMAP)
		return sizeof(*leaf) + PAGE_SIZE;
	return sizeof(*leaf) + leaf->cap * sizeof(u16);
}

static void leaf_free(struct kho_mem_leaf *leaf)
{
	if (leaf->kind == KHO_MEM_LEAF_BITMAP)
		kho_mem_free_page(leaf->bits);
	else
		kfree(leaf->offs);
	kfree(leaf);
}

/*
 * Allocate what adding one unit to @leaf needs (a larger offset array or a
 * bitmap page) into *@room, so that leaf_insert() cannot fail.
 */
static int leaf_prepare(struct kho_mem_tracker *t, struct kho_mem_leaf *leaf,
			void **room)
{
	*room = NULL;
	if (leaf->kind == KHO_MEM_LEAF_BITMAP)
		return 0;
	if (leaf->count == KHO_MEM_SPARSE_LIMIT)
		*room = kho_mem_alloc_page(t);
	else if (sparse_cap(leaf->count + 1) != leaf->cap)
		*room = kho_mem_kmalloc(t, sparse_cap(leaf->count + 1) *
					   sizeof(u16));
	else
		return 0;
	return *room ? 0 : -ENOMEM;
}

/* Give back what leaf_prepare() allocated for @leaf but was not used. */
static void leaf_unprepare(const struct kho_mem_leaf *leaf, void *room)
{
	if (!room)
		return;
	if (leaf->kind == KHO_MEM_LEAF_SPARSE &&
	    leaf->count == KHO_MEM_SPARSE_LIMIT)
		kho_mem_free_page(room);
	else
		kfree(room);
}

/* Add @off, known to be absent, to @leaf, consuming @room. */
static void leaf_insert(struct kho_mem_tracker *t, struct kho_mem_leaf *leaf,
			unsigned int off, void *room)
{
	unsigned int i;
	u16 *offs;

	if (leaf->kind == KHO_MEM_LEAF_BITMAP) {
		__set_bit(off, leaf->bits);
		leaf->count++;
		return;
	}

	if (leaf->count == KHO_MEM_SPARSE_LIMIT) {
		unsigned long *bits = room;

		for (i = 0; i < leaf->cap; i++) {
			if (leaf->offs[i] != KHO_MEM_SPARSE_EMPTY)
				__set_bit(leaf->offs[i], bits);
		}
		__set_bit(off, bits);
		t->meta_bytes += PAGE_SIZE - leaf->cap * sizeof(u16);
		kfree(leaf->offs);
		leaf->kind = KHO_MEM_LEAF_BITMAP;
		leaf->bits = bits;
		leaf->cap = 0;
		leaf->count++;
		return;
	}

	if (room) {
		unsigned int cap = sparse_cap(leaf->count + 1);

		offs = room;
		sparse_rehash(offs, cap, leaf->offs, leaf->cap);
		t->meta_bytes += (cap - leaf->cap) * sizeof(u16);
		kfree(leaf->offs);
		leaf->offs = offs;
		leaf->cap = cap;
	}
	leaf->offs[sparse_slot(leaf->offs, leaf->cap, off)] = off;
	leaf->count++;
}

/*
 * Remove @off, known to be present, from @leaf.  Shrinking the metadata is
 * best effort: when memory is short the leaf keeps its larger form.
 */
static void leaf_remove(struct kho_mem_tracker *t, struct kho_mem_leaf *leaf,
			unsigned int off)
{
	unsigned int cap;
	u16 *offs;

	if (leaf->kind == KHO_MEM_LEAF_BITMAP) {
		__clear_bit(off, leaf->bits);
		if (--leaf->count != KHO_MEM_SPARSE_LIMIT)
			return;
		cap = sparse_cap(leaf->count);
		offs = kmalloc_array(cap, sizeof(u16), GFP_KERNEL);
		if (!offs)
			return;
		memset(offs, 0xff, cap * sizeof(u16));
		for_each_set_bit(off, leaf->bits, KHO_MEM_LEAF_UNITS)
			offs[sparse_slot(offs, cap, off)] = off;
		kho_mem_free_page(leaf->bits);
		leaf->kind = KHO_MEM_LEAF_SPARSE;
		leaf->offs = offs;
		leaf->cap = cap;
		t->meta_bytes -= PAGE_SIZE - cap * sizeof(u16);
		return;
	}

	sparse_delete(leaf->offs, leaf->cap, off);
	leaf->count--;
	cap = sparse_cap(leaf->count);
	if (!leaf->count || cap >= leaf->cap)
		return;
	offs = kmalloc_array(cap, sizeof(u16), GFP_KERNEL);
	if (!offs)
		return;
	sparse_rehash(offs, cap, leaf->offs, leaf->cap);
	kfree(leaf->offs);
	t->meta_bytes -= (leaf->cap - cap) * sizeof(u16);
	leaf->offs = offs;
	leaf->cap = cap;
}

/* --- orders -------------------------------------------------------------- */

static struct kho_mem_order *order_get(struct kho_mem_tracker *t,
				       unsigned int order)
{
	return t->ords[order];
}

/*
 * The leaf of @ord at @index, or NULL.  Its cache slot answers most
 * lookups, of dense and of random workloads alike, without the xarray
 * walk.
 */
static struct kho_mem_leaf *leaf_get(struct kho_mem_order *ord,
				     unsigned long index)
{
	struct kho_mem_slot *slot = &ord->cache[index & ord->cache_mask];
	struct kho_mem_leaf *leaf;

	if (slot->leaf && slot->index == index)
		return slot->leaf;
	leaf = xa_load(&ord->leaves, index);
	if (leaf) {
		slot->index = index;
		slot->leaf = leaf;
	}
	return leaf;
}

static size_t cache_bytes(const struct kho_mem_order *ord)
{
	return ord->cache == &ord->one ? 0 :
	       (ord->cache_mask + 1) * sizeof(*ord->cache);
}

/*
 * Size @ord's cache for its number of leaves.  A cache is only a cache:
 * when memory is short the old one stays, and slots fill again as leaves
 * are looked up.
 */
static void cache_resize(struct kho_mem_tracker *t, struct kho_mem_order *ord)
{
	unsigned long want = 1;
	struct kho_mem_slot *cache = &ord->one;

	if (ord->nr_leaves > 1)
		want = min_t(unsigned long, KHO_MEM_CACHE_MAX,
			     roundup_pow_of_two(ord->nr_leaves));
	if (want == ord->cache_mask + 1)
		return;
	if (want > 1) {
		cache = kmalloc_array(want, sizeof(*cache), GFP_KERNEL);
		if (!cache)
			return;
		memset(cache, 0, want * sizeof(*cache));
	}
	t->meta_bytes -= cache_bytes(ord);
	if (ord->cache != &ord->one)
		kfree(ord->cache);
	ord->one.leaf = NULL;
	ord->cache = cache;
	ord->cache_mask = want - 1;
	t->meta_bytes += cache_bytes(ord);
}

static void cache_forget(struct kho_mem_order *ord, unsigned long index)
{
	struct kho_mem_slot *slot = &ord->cache[index & ord->cache_mask];

	if (slot->index == index)
		slot->leaf = NULL;
}

static bool order_test(struct kho_mem_order *ord, unsigned long uidx)
{
	struct kho_mem_leaf *leaf = leaf_get(ord, uidx >> KHO_MEM_LEAF_SHIFT);

	return leaf && leaf_test(leaf, uidx & KHO_MEM_LEAF_MASK);
}

/* First preserved unit index >= @uidx of @ord, or ULONG_MAX. */
static unsigned long order_next(struct kho_mem_order *ord, unsigned long uidx)
{
	unsigned long index = uidx >> KHO_MEM_LEAF_SHIFT;
	unsigned int off = uidx & KHO_MEM_LEAF_MASK;
	struct kho_mem_leaf *leaf;

	for (leaf = xa_find(&ord->leaves, &index, ULONG_MAX, XA_PRESENT); leaf;
	     leaf = xa_find_after(&ord->leaves, &index, ULONG_MAX,
				  XA_PRESENT)) {
		unsigned long next;

		if (index != uidx >> KHO_MEM_LEAF_SHIFT)
			off = 0;
		next = leaf_next(leaf, off);
		if (next < KHO_MEM_LEAF_UNITS)
			return (index << KHO_MEM_LEAF_SHIFT) + next;
	}
	return ULONG_MAX;
}

static void order_free(struct kho_mem_order *ord)
{
	struct kho_mem_leaf *leaf;
	unsigned long index;

	xa_for_each(&ord->leaves, index, leaf)
		leaf_free(leaf);
	xa_destroy(&ord->leaves);
	if (ord->cache != &ord->one)
		kfree(ord->cache);
	kfree(ord);
}

/* --- units --------------------------------------------------------------- */

static int check_unit(unsigned long pfn, unsigned int order)
{
	if (order > KHO_MEM_MAX_ORDER || pfn & ((1UL << order) - 1))
		return -EINVAL;
	/* an aligned unit that starts below the limit ends below it too */
	if (pfn >= KHO_MEM_PFN_LIMIT)
		return -ERANGE;
	return 0;
}

/*
 * The common case: the unit lands in a leaf that exists, either a bitmap
 * or a sparse leaf it extends at the end with room to spare.  Nothing to
 * allocate.  Called under t->fast_lock, while no holder of t->lock changes
 * the tracker.  Returns 1 when the full path is needed.
 */
static __always_inline int preserve_fast(struct kho_mem_tracker *t,
					 unsigned long pfn, unsigned int order)
{
	unsigned long uidx = pfn >> order, *word;
	struct kho_mem_order *ord = t->ords[order];
	unsigned int off = uidx & KHO_MEM_LEAF_MASK;
	struct kho_mem_leaf *leaf;

	if (!ord)
		return 1;
	leaf = leaf_get(ord, uidx >> KHO_MEM_LEAF_SHIFT);
	if (!leaf)
		return 1;
	if (leaf->kind == KHO_MEM_LEAF_BITMAP) {
		word = &leaf->bits[BIT_WORD(off)];
		if (*word & BIT_MASK(off))
			return -EEXIST;
		*word |= BIT_MASK(off);
	} else if (leaf->count + 1 <= leaf->cap / 4 * 3) {
		unsigned int slot = sparse_slot(leaf->offs, leaf->cap, off);

		if (leaf->offs[slot] == off)
			return -EEXIST;
		leaf->offs[slot] = off;
	} else {
		return 1;
	}
	leaf->count++;
	ord->nr_units++;
	return 0;
}

static int __preserve(struct kho_mem_tracker *t, unsigned long pfn,
		      unsigned int order)
{
	unsigned long uidx = pfn >> order;
	unsigned long index = uidx >> KHO_MEM_LEAF_SHIFT;
	unsigned int off = uidx & KHO_MEM_LEAF_MASK;
	struct kho_mem_order *ord, *new_ord = NULL;
	struct kho_mem_leaf *leaf = NULL, *new_leaf = NULL;
	void *room = NULL;
	int err = -ENOMEM;

	ord = order_get(t, order);
	if (ord) {
		leaf = leaf_get(ord, index);
		if (leaf && leaf_test(leaf, off))
			return -EEXIST;
	} else {
		new_ord = kho_mem_kmalloc(t, sizeof(*new_ord));
		if (!new_ord)
			return -ENOMEM;
		memset(new_ord, 0, sizeof(*new_ord));
		xa_init(&new_ord->leaves);
		new_ord->cache = &new_ord->one;
		ord = new_ord;
	}

	if (!leaf) {
		new_leaf = kho_mem_kmalloc(t, sizeof(*new_leaf));
		if (!new_leaf)
			goto free_new;
		*new_leaf = (struct kho_mem_leaf){ .kind = KHO_MEM_LEAF_SPARSE };
		leaf = new_leaf;
	}

	err = leaf_prepare(t, leaf, &room);
	if (err)
		goto free_new;
	if (new_ord) {
		err = kho_mem_xa_insert(t, &t->orders, order, new_ord);
		if (err)
			goto free_room;
	}
	if (new_leaf) {
		err = kho_mem_xa_insert(t, &ord->leaves, index, new_leaf);
		if (err)
			goto erase_ord;
	}

	/* nothing can fail from here on */
	if (new_ord) {
		t->ords[order] = new_ord;
		t->populated |= BIT(order);
		t->meta_bytes += sizeof(*new_ord);
	}
	if (new_leaf) {
		ord->nr_leaves++;
		t->meta_bytes += sizeof(*new_leaf);
		cache_resize(t, ord);
	}
	if (leaf->kind == KHO_MEM_LEAF_SPARSE &&
	    leaf->count == KHO_MEM_SPARSE_LIMIT)
		ord->nr_bitmaps++;
	leaf_insert(t, leaf, off, room);
	ord->nr_units++;
	return 0;

erase_ord:
	if (new_ord)
		xa_erase(&t->orders, order);
free_room:
	leaf_unprepare(leaf, room);
free_new:
	kfree(new_leaf);
	if (new_ord) {
		xa_destroy(&new_ord->leaves);
		kfree(new_ord);
	}
	return err;
}

static int __unpreserve(struct kho_mem_tracker *t, unsigned long pfn,
			unsigned int order)
{
	unsigned long uidx = pfn >> order;
	unsigned long index = uidx >> KHO_MEM_LEAF_SHIFT;
	unsigned int off = uidx & KHO_MEM_LEAF_MASK;
	struct kho_mem_order *ord;
	struct kho_mem_leaf *leaf;

	ord = order_get(t, order);
	if (!ord)
		return -ENOENT;
	leaf = leaf_get(ord, index);
	if (!leaf || !leaf_test(leaf, off))
		return -ENOENT;

	if (leaf->kind == KHO_MEM_LEAF_BITMAP)
		ord->nr_bitmaps--;
	leaf_remove(t, leaf, off);
	if (leaf->kind == KHO_MEM_LEAF_BITMAP)
		ord->nr_bitmaps++;
	ord->nr_units--;

	if (!leaf->count) {
		xa_erase(&ord->leaves, index);
		cache_forget(ord, index);
		t->meta_bytes -= leaf_bytes(leaf);
		leaf_free(leaf);
		ord->nr_leaves--;
		cache_resize(t, ord);
	}
	if (!ord->nr_units) {
		xa_erase(&t->orders, order);
		t->ords[order] = NULL;
		t->populated &= ~BIT(order);
		t->meta_bytes -= sizeof(*ord);
		order_free(ord);
	}
	return 0;
}

/* Order of the largest naturally aligned unit at @pfn within @nr pages. */
static unsigned int range_unit_order(unsigned long pfn, unsigned long nr)
{
	unsigned int order = min_t(unsigned int, ilog2(nr), KHO_MEM_MAX_ORDER);

	if (pfn)
		order = min_t(unsigned int, order, __ffs(pfn));
	return order;
}

static int check_range(unsigned long pfn, unsigned long nr_pages)
{
	if (!nr_pages)
		return -EINVAL;
	if (pfn >= KHO_MEM_PFN_LIMIT || nr_pages > KHO_MEM_PFN_LIMIT - pfn)
		return -ERANGE;
	return 0;
}

/* Out of line, so that the fast path of kho_mem_preserve() stays small. */
static noinline int preserve_slow(struct kho_mem_tracker *t,
				  unsigned long pfn, unsigned int order)
{
	int err;

	kho_mem_lock(t);
	err = __preserve(t, pfn, order);
	kho_mem_unlock(t);
	return err;
}

/* --- API ----------------------------------------------------------------- */

/**
 * kho_mem_init() - initialise an empty tracker
 * @t: the tracker.
 *
 * Context: Any context.
 */
void kho_mem_init(struct kho_mem_tracker *t)
{
	memset(t, 0, sizeof(*t));
	mutex_init(&t->lock);
	spin_lock_init(&t->fast_lock);
	xa_init(&t->orders);
}
EXPORT_SYMBOL_GPL(kho_mem_init);

/**
 * kho_mem_destroy() - forget every unit and free all metadata
 * @t: the tracker.
 *
 * A chunk list serialized from @t must be freed before, since it borrows
 * the tracker's bitmap pages.  @t is empty afterwards and may be reused.
 *
 * Context: Process context.  Takes and releases @t->lock.
 */
void kho_mem_destroy(struct kho_mem_tracker *t)
{
	struct kho_mem_order *ord;
	unsigned long order;

	kho_mem_lock(t);
	xa_for_each(&t->orders, order, ord)
		order_free(ord);
	xa_destroy(&t->orders);
	memset(t->ords, 0, sizeof(t->ords));
	t->populated = 0;
	t->meta_bytes = 0;
	kho_mem_unlock(t);
}
EXPORT_SYMBOL_IF_KUNIT(kho_mem_destroy);

/**
 * kho_mem_preserve() - add one unit to the tracker
 * @t: the tracker.
 * @pfn: first page frame of the unit, aligned to 2^@order.
 * @order: order of the unit, at most KHO_MEM_MAX_ORDER.
 *
 * Context: Process context; may sleep.  Takes and releases @t->lock.
 * Return: 0 on success; -EINVAL if @order is too large or @pfn is not
 * aligned to it; -ERANGE if the unit lies beyond the physical address
 * width; -EEXIST if this unit is preserved already; -ENOMEM if metadata
 * could not be allocated.  On error the tracker is unchanged.  A unit that
 * overlaps one of another order is accepted here and refused by
 * kho_mem_serialize().
 */
int kho_mem_preserve(struct kho_mem_tracker *t, unsigned long pfn,
		     unsigned int order)
{
	int err = check_unit(pfn, order);

	if (err)
		return err;
	spin_lock(&t->fast_lock);
	err = t->fast_off ? 1 : preserve_fast(t, pfn, order);
	spin_unlock(&t->fast_lock);
	if (err <= 0)
		return err;

	return preserve_slow(t, pfn, order);
}
EXPORT_SYMBOL_GPL(kho_mem_preserve);

/**
 * kho_mem_unpreserve() - remove one unit from the tracker
 * @t: the tracker.
 * @pfn: first page frame of the unit.
 * @order: order the unit was preserved with.
 *
 * Context: Process context; may sleep.  Takes and releases @t->lock.
 * Return: 0 on success; -EINVAL or -ERANGE for a malformed unit, as for
 * kho_mem_preserve(); -ENOENT if exactly this unit is not preserved.  On
 * error the tracker is unchanged.
 */
int kho_mem_unpreserve(struct kho_mem_tracker *t, unsigned long pfn,
		       unsigned int order)
{
	int err = check_unit(pfn, order);

	if (err)
		return err;
	kho_mem_lock(t);
	err = __unpreserve(t, pfn, order);
	kho_mem_unlock(t);
	return err;
}
EXPORT_SYMBOL_GPL(kho_mem_unpreserve);

/**
 * kho_mem_preserve_range() - add an arbitrary range of pages
 * @t: the tracker.
 * @pfn: first page frame.
 * @nr_pages: number of pages, at least one.
 *
 * The range is split into maximal naturally aligned units, as a buddy
 * allocator would split it, and each unit is preserved.  The call is all
 * or nothing, and no other caller sees a half-added range.
 *
 * Context: Process context; may sleep.  Takes and releases @t->lock.
 * Return: 0 on success; -EINVAL if @nr_pages is 0; -ERANGE if the range
 * goes beyond the physical address width; -EEXIST if one of its units is
 * preserved already (with the same order); -ENOMEM if metadata could not be allocated.  On error
 * the tracker is unchanged.
 */
int kho_mem_preserve_range(struct kho_mem_tracker *t, unsigned long pfn,
			   unsigned long nr_pages)
{
	unsigned long done, undo;
	unsigned int order;
	int err = check_range(pfn, nr_pages);

	if (err)
		return err;
	kho_mem_lock(t);
	for (done = 0; done < nr_pages; done += 1UL << order) {
		order = range_unit_order(pfn + done, nr_pages - done);
		err = __preserve(t, pfn + done, order);
		if (err)
			break;
	}
	if (err) {
		for (undo = 0; undo < done; undo += 1UL << order) {
			order = range_unit_order(pfn + undo, nr_pages - undo);
			__unpreserve(t, pfn + undo, order);
		}
	}
	kho_mem_unlock(t);
	return err;
}
EXPORT_SYMBOL_GPL(kho_mem_preserve_range);

/**
 * kho_mem_unpreserve_range() - remove a range added by kho_mem_preserve_range()
 * @t: the tracker.
 * @pfn: first page frame.
 * @nr_pages: number of pages, at least one.
 *
 * The range is split as kho_mem_preserve_range() splits it, and every one
 * of those units must be preserved.
 *
 * Context: Process context; may sleep.  Takes and releases @t->lock.
 * Return: 0 on success; -EINVAL or -ERANGE for a malformed range, as for
 * kho_mem_preserve_range(); -ENOENT if one of the units is not preserved.
 * On error the tracker is unchanged.
 */
int kho_mem_unpreserve_range(struct kho_mem_tracker *t, unsigned long pfn,
			     unsigned long nr_pages)
{
	struct kho_mem_order *ord;
	unsigned long done;
	unsigned int order;
	int err = check_range(pfn, nr_pages);

	if (err)
		return err;
	kho_mem_lock(t);
	for (done = 0; done < nr_pages; done += 1UL << order) {
		order = range_unit_order(pfn + done, nr_pages - done);
		ord = order_get(t, order);
		if (!ord || !order_test(ord, (pfn + done) >> order)) {
			err = -ENOENT;
			goto out;
		}
	}
	for (done = 0; done < nr_pages; done += 1UL << order) {
		order = range_unit_order(pfn + done, nr_pages - done);
		__unpreserve(t, pfn + done, order);
	}
out:
	kho_mem_unlock(t);
	return err;
}
EXPORT_SYMBOL_GPL(kho_mem_unpreserve_range);

/**
 * kho_mem_lookup() - find the preserved unit that contains a page
 * @t: the tracker.
 * @pfn: any page frame.
 * @unit: filled with the containing unit when there is one.  May be NULL.
 *
 * Context: Process context; may sleep.  Takes and releases @t->lock.
 * Return: true if @pfn lies inside a preserved unit.
 */
bool kho_mem_lookup(struct kho_mem_tracker *t, unsigned long pfn,
		    struct kho_mem_unit *unit)
{
	unsigned long populated;
	bool found = false;
	unsigned int o;

	kho_mem_lock(t);
	populated = t->populated;
	for_each_set_bit(o, &populated, KHO_MEM_NR_ORDERS) {
		if (order_test(t->ords[o], pfn >> o)) {
			if (unit) {
				unit->pfn = pfn & ~((1UL << o) - 1);
				unit->order = o;
			}
			found = true;
			break;
		}
	}
	kho_mem_unlock(t);
	return found;
}
EXPORT_SYMBOL_GPL(kho_mem_lookup);

/**
 * kho_mem_visit_units() - visit every preserved unit in address order
 * @t: the tracker.
 * @fn: called for each unit; a non-zero return stops the walk.
 * @arg: passed to @fn.
 *
 * Units of all orders are merged into one ascending sequence.  @fn runs
 * with @t->lock held and must not call back into the tracker.
 *
 * Context: Process context; may sleep.  Takes and releases @t->lock.
 * Return: 0 after visiting every unit, or the first non-zero value
 * returned by @fn.
 */
int kho_mem_visit_units(struct kho_mem_tracker *t,
			int (*fn)(void *arg, const struct kho_mem_unit *unit),
			void *arg)
{
	unsigned long next[KHO_MEM_NR_ORDERS];
	unsigned long populated;
	unsigned int o;
	int err = 0;

	kho_mem_lock(t);
	populated = t->populated;
	for_each_set_bit(o, &populated, KHO_MEM_NR_ORDERS)
		next[o] = order_next(t->ords[o], 0);
	for (;;) {
		struct kho_mem_unit unit = { .pfn = ULONG_MAX };

		for_each_set_bit(o, &populated, KHO_MEM_NR_ORDERS) {
			if (next[o] != ULONG_MAX && next[o] << o < unit.pfn) {
				unit.pfn = next[o] << o;
				unit.order = o;
			}
		}
		if (unit.pfn == ULONG_MAX)
			break;
		err = fn(arg, &unit);
		if (err)
			break;
		o = unit.order;
		next[o] = order_next(t->ords[o], next[o] + 1);
	}
	kho_mem_unlock(t);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(kho_mem_visit_units);

/**
 * kho_mem_get_stats() - read the tracker's counters
 * @t: the tracker.
 * @st: filled with a consistent snapshot.
 *
 * Context: Process context; may sleep.  Takes and releases @t->lock.
 */
void kho_mem_get_stats(struct kho_mem_tracker *t, struct kho_mem_stats *st)
{
	struct kho_mem_order *ord;
	unsigned long order;

	memset(st, 0, sizeof(*st));
	kho_mem_lock(t);
	st->meta_bytes = t->meta_bytes;
	xa_for_each(&t->orders, order, ord) {
		st->nr_units += ord->nr_units;
		st->nr_bytes += ord->nr_units * (PAGE_SIZE << order);
		st->nr_leaves += ord->nr_leaves;
		st->nr_bitmap_leaves += ord->nr_bitmaps;
	}
	kho_mem_unlock(t);
}
EXPORT_SYMBOL_GPL(kho_mem_get_stats);

/* --- allocation-failure injection (KUnit only) --------------------------- */

#if IS_ENABLED(CONFIG_KHO_MEM_KUNIT_TEST)
/*
 * One tracker at a time has failures injected: @fail_tracker, whose
 * metadata allocation number @fail_countdown from now fails.  Other
 * trackers only compare their address with @fail_tracker; @fail_countdown
 * is read and written under @fail_tracker's lock alone.
 */
static struct kho_mem_tracker *fail_tracker;
static unsigned int fail_countdown;

/* Called with @t's lock held, before each metadata allocation. */
bool kho_mem_should_fail(struct kho_mem_tracker *t)
{
	if (likely(READ_ONCE(fail_tracker) != t))
		return false;
	if (--fail_countdown)
		return false;
	WRITE_ONCE(fail_tracker, NULL);
	return true;
}

/**
 * kho_mem_fail_nth() - make a metadata allocation of a tracker fail
 * @t: the tracker.
 * @n: which allocation from now on fails: 1 for the next one.  0 injects
 *	no failure.
 *
 * The allocation fails as if memory had run out, once; those after it
 * succeed.  This replaces a failure injected before, into any tracker.
 * For the KUnit tests only.
 *
 * Context: Process context; may sleep.  Takes and releases @t->lock.
 */
void kho_mem_fail_nth(struct kho_mem_tracker *t, unsigned int n)
{
	kho_mem_lock(t);
	fail_countdown = n;
	WRITE_ONCE(fail_tracker, n ? t : NULL);
	kho_mem_unlock(t);
}
EXPORT_SYMBOL_IF_KUNIT(kho_mem_fail_nth);
#endif /* CONFIG_KHO_MEM_KUNIT_TEST */
