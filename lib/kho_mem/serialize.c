// SPDX-License-Identifier: GPL-2.0
/*
 * KHO preserved-memory map: writing the tracker out as a chunk list, and
 * validating and walking such a list in the next kernel.
 *
 * Coding conventions in this file:
 *
 * @chunk is the virtual address of a chunk page, @phys a physical one.
 * @cur is the cursor that reads the units of one order.
 * @run is a maximal sequence of adjacent units of one order in one leaf.
 * @ctx holds everything one walk needs.
 */

/**
 * DOC: Writing the chunk list
 *
 * kho_mem_serialize() turns the tracker into the chunk list described in
 * ``include/linux/kho/abi/kho_mem.h``.  It visits the orders in ascending
 * order and, within each, the leaves by ascending base, and appends one
 * entry per leaf to the current chunk, starting a new chunk page when the
 * order changes or the entry and its inline data no longer fit.  A sparse
 * leaf's offsets are copied into the chunk, packed down from the end of
 * the page, and sorted there; a bitmap leaf is not copied: its entry holds the physical
 * address of the tracker's own bitmap page.  The list therefore stays
 * valid only while the tracker is neither changed nor destroyed.
 *
 * None of these pages is preserved.  The next kernel allocates only from
 * the scratch areas until it has parsed the whole list and reserved what
 * it describes, so neither chunk pages nor bitmap pages can be overwritten
 * before they are read; the walk checks that they lie outside the scratch
 * areas.
 */

/**
 * DOC: Validating and walking a chunk list
 *
 * kho_mem_walk() reads a chunk list written by another kernel, which may
 * be another build or version and may have bugs, and trusts nothing in it.
 * It never allocates memory, so that it can run before the page allocator
 * exists, and it reads a page only after checking that it may: the page is
 * page aligned, lies in the RAM ranges it was given and touches none of
 * the excluded ranges (in KHO: the scratch areas, the root FDT, the
 * scratch array and the first MiB).
 *
 * It makes three passes over the list:
 *
 * 1. Follow the list and check every chunk header: address, magic,
 *    version and page size, order (in range, ascending), entry count and
 *    reserved fields.  The length is bounded (2^20 chunks by default) and
 *    cycles are detected with Brent's algorithm.
 * 2. Merge the leaves of every order into one ascending stream of runs
 *    and check each entry and unit: leaf kinds, bases aligned and strictly
 *    ascending, inline data inside its chunk without overlapping the entry
 *    table or other data, offsets strictly ascending and inside the leaf,
 *    counts that match the data (for a bitmap, its number of set bits);
 *    units that do not overlap, lie in RAM and touch no excluded range.
 * 3. Only when every check has passed, walk the stream again and report
 *    it, coalesced: one range callback per maximal run of contiguous
 *    preserved memory, whatever the orders of its units, and one run
 *    callback per maximal run of adjacent units of one order.  Nothing is
 *    ever reported per unit or per bit.
 *
 * A failed check ends the walk before any callback, and names the check
 * (``enum kho_mem_check``), the chunk and the entry where it failed.
 */

#include "kho_mem_internal.h"

static struct kho_mem_chunk_entry *chunk_entries(struct kho_mem_chunk_hdr *chunk)
{
	return (struct kho_mem_chunk_entry *)(chunk + 1);
}

/* --- outgoing side ------------------------------------------------------- */

struct chunk_writer {
	struct kho_mem_tracker *t;
	struct kho_mem_chunks *out;
	struct kho_mem_chunk_hdr *chunk;
	unsigned int order;
	unsigned int nr_entries;
	unsigned int data_start;	/* inline data lives in [data_start, PAGE_SIZE) */
	unsigned long *scratch;		/* a zeroed page to sort large leaves in */
};

/* Leaves with more offsets than this are sorted through @scratch. */
#define SORT_BY_BITMAP	64

static int writer_new_chunk(struct chunk_writer *w, unsigned int order)
{
	struct kho_mem_chunk_hdr *chunk = kho_mem_alloc_page(w->t);

	if (!chunk)
		return -ENOMEM;
	chunk->magic = cpu_to_le32(KHO_MEM_CHUNK_MAGIC);
	chunk->version = cpu_to_le16(KHO_MEM_CHUNK_VERSION);
	chunk->order = order;
	chunk->page_shift = PAGE_SHIFT;
	if (w->chunk)
		w->chunk->next = cpu_to_le64(kho_mem_pa(chunk));
	else
		w->out->head = kho_mem_pa(chunk);
	w->chunk = chunk;
	w->order = order;
	w->nr_entries = 0;
	w->data_start = PAGE_SIZE;
	w->out->nr_chunks++;
	w->out->bytes += PAGE_SIZE;
	return 0;
}

/* Heapsort of @n offsets: no allocation, no indirect calls. */
static void sort_offsets(__le16 *a, unsigned int n)
{
	unsigned int start = n / 2, end = n;

	while (end > 1) {
		unsigned int root, child;
		__le16 tmp;

		if (start) {
			root = --start;
		} else {
			end--;
			tmp = a[end];
			a[end] = a[0];
			a[0] = tmp;
			root = 0;
		}
		while ((child = 2 * root + 1) < end) {
			if (child + 1 < end &&
			    le16_to_cpu(a[child]) < le16_to_cpu(a[child + 1]))
				child++;
			if (le16_to_cpu(a[root]) >= le16_to_cpu(a[child]))
				break;
			tmp = a[root];
			a[root] = a[child];
			a[child] = tmp;
			root = child;
		}
	}
}

static int writer_add_leaf(struct chunk_writer *w, unsigned int order,
			   unsigned long index, const struct kho_mem_leaf *leaf)
{
	size_t data = 0, table_end;
	struct kho_mem_chunk_entry *e;
	unsigned int i;
	int err;

	if (leaf->kind == KHO_MEM_LEAF_SPARSE) {
		data = leaf->count * sizeof(__le16);
		if (leaf->count > SORT_BY_BITMAP && !w->scratch) {
			w->scratch = kho_mem_alloc_page(w->t);
			if (!w->scratch)
				return -ENOMEM;
		}
	}
	table_end = sizeof(*w->chunk) + (w->nr_entries + 1) * sizeof(*e);
	if (!w->chunk || w->order != order || table_end + data > w->data_start) {
		err = writer_new_chunk(w, order);
		if (err)
			return err;
	}

	e = &chunk_entries(w->chunk)[w->nr_entries];
	e->base = cpu_to_le64((u64)((index << KHO_MEM_LEAF_SHIFT) << order) <<
			      PAGE_SHIFT);
	e->kind = cpu_to_le16(leaf->kind);
	e->count = cpu_to_le32(leaf->count);
	if (leaf->kind == KHO_MEM_LEAF_BITMAP) {
		e->data = cpu_to_le64(kho_mem_pa(leaf->bits));
	} else {
		__le16 *offs;

		unsigned int n = 0;

		w->data_start -= data;
		offs = (__le16 *)((char *)w->chunk + w->data_start);
		if (leaf->count > SORT_BY_BITMAP) {
			/* set a bit per offset, read them back in order */
			for (i = 0; i < leaf->cap; i++) {
				if (leaf->offs[i] != KHO_MEM_SPARSE_EMPTY)
					__set_bit(leaf->offs[i], w->scratch);
			}
			for_each_set_bit(i, w->scratch, KHO_MEM_LEAF_UNITS)
				offs[n++] = cpu_to_le16(i);
			for (i = 0; i < n; i++)
				w->scratch[BIT_WORD(le16_to_cpu(offs[i]))] = 0;
		} else {
			for (i = 0; i < leaf->cap; i++) {
				if (leaf->offs[i] != KHO_MEM_SPARSE_EMPTY)
					offs[n++] = cpu_to_le16(leaf->offs[i]);
			}
			sort_offsets(offs, n);
		}
		e->data = cpu_to_le64(w->data_start);
	}
	w->chunk->nr_entries = cpu_to_le32(++w->nr_entries);
	return 0;
}

/*
 * Run the next kernel's validation over the list just written: it checks
 * every unit of every order against the others in one ordered pass, so a
 * tracker with overlapping units is refused here, naming them.  Anything
 * else it refuses would be a bug of the writer.
 */
static int check_written(struct kho_mem_chunks *out)
{
	/* not static: the limit is a runtime value with 5-level paging */
	const struct kho_mem_range all = {
		0, (u64)KHO_MEM_PFN_LIMIT << PAGE_SHIFT
	};
	struct kho_mem_walk_args args = {
		.head = out->head, .ram = &all, .nr_ram = 1,
	};
	struct kho_mem_walk_result res;

	if (!kho_mem_walk(&args, NULL, NULL, &res))
		return 0;
	if (res.check != KHO_MEM_CHECK_OVERLAP)
		return -EINVAL;
	out->overlap[0] = res.other;
	out->overlap[1] = res.unit;
	return -EEXIST;
}

/**
 * kho_mem_serialize() - write the tracker out as a chunk list
 * @t: the tracker.
 * @out: filled with the head of the list and its size.
 *
 * Chunk pages are whole pages from the page allocator.  Bitmap leaves are
 * not copied: the list points at the tracker's bitmap pages, so @t must not
 * change, nor be destroyed, until the list is freed or handed over.  An
 * empty tracker gives an empty list (@out->head == 0).  The list is then
 * validated as the next kernel will validate it, which is where units of
 * different orders that overlap are found.
 *
 * Context: Process context; may sleep.  Takes and releases @t->lock.
 * Return: 0 on success; -EEXIST if two preserved units overlap, with both
 * in @out->overlap; -ENOMEM if a chunk page, or the page that large sparse
 * leaves are sorted in, could not be allocated.  On
 * error nothing stays allocated and @out describes an empty list.
 */
int kho_mem_serialize(struct kho_mem_tracker *t, struct kho_mem_chunks *out)
{
	struct chunk_writer w = { .t = t, .out = out };
	struct kho_mem_unit overlap[2];
	struct kho_mem_order *ord;
	struct kho_mem_leaf *leaf;
	unsigned long order, index;
	int err = 0;

	memset(out, 0, sizeof(*out));
	kho_mem_lock(t);
	xa_for_each(&t->orders, order, ord) {
		xa_for_each(&ord->leaves, index, leaf) {
			err = writer_add_leaf(&w, order, index, leaf);
			if (err)
				goto out;
		}
	}
	err = check_written(out);
out:
	kho_mem_unlock(t);
	kho_mem_free_page(w.scratch);
	if (err) {
		memcpy(overlap, out->overlap, sizeof(overlap));
		kho_mem_chunks_free(out);
		memcpy(out->overlap, overlap, sizeof(overlap));
	}
	return err;
}
EXPORT_SYMBOL_GPL(kho_mem_serialize);

/**
 * kho_mem_chunks_free() - free the chunk pages of a serialized tracker
 * @chunks: what kho_mem_serialize() returned.
 *
 * Bitmap pages belong to the tracker and are left alone.
 *
 * Context: Any context where free_page() may be called.
 */
void kho_mem_chunks_free(struct kho_mem_chunks *chunks)
{
	phys_addr_t phys = chunks->head;
	unsigned long i;

	for (i = 0; phys && i < chunks->nr_chunks; i++) {
		struct kho_mem_chunk_hdr *chunk = kho_mem_va(phys);

		phys = le64_to_cpu(chunk->next);
		kho_mem_free_page(chunk);
	}
	memset(chunks, 0, sizeof(*chunks));
}
EXPORT_SYMBOL_GPL(kho_mem_chunks_free);

/* --- incoming side ------------------------------------------------------- */

struct walk_cursor {
	struct kho_mem_chunk_hdr *chunk;	/* NULL once the order is done */
	unsigned long chunk_index;		/* position in the list */
	unsigned int entry;			/* entry in @chunk */
	unsigned int data_floor;		/* lowest inline data seen in @chunk */
	bool in_leaf;
	bool has_prev;
	u8 kind;
	unsigned int count;
	unsigned int pos;
	union {
		const unsigned long *bits;
		const __le16 *offs;
	};
	u64 prev_base;
	unsigned long base_pfn;
	/* the run the cursor holds; run_units == 0: none */
	unsigned long run_pfn;
	unsigned long run_units;
};

struct walk_ctx {
	const struct kho_mem_walk_args *args;
	struct kho_mem_walk_result *res;
	phys_addr_t first[KHO_MEM_NR_ORDERS];
	unsigned long first_index[KHO_MEM_NR_ORDERS];
	struct walk_cursor cur[KHO_MEM_NR_ORDERS];
	/* pending output, coalesced */
	unsigned long run_pfn, run_units, range_pfn, range_end, range_orders;
	unsigned int run_order;
};

/* Index of the first range of @r (ascending, @n entries) ending after @addr. */
static unsigned int first_range_after(const struct kho_mem_range *r,
				      unsigned int n, u64 addr)
{
	unsigned int lo = 0, hi = n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (r[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Does [@start, @end) lie inside @r?  Adjacent ranges count as one. */
static bool span_inside(const struct kho_mem_range *r, unsigned int n,
			u64 start, u64 end)
{
	unsigned int i = first_range_after(r, n, start);

	if (i == n || r[i].start > start)
		return false;
	while (end > r[i].end) {
		if (i + 1 == n || r[i + 1].start != r[i].end)
			return false;
		i++;
	}
	return true;
}

/* Does [@start, @end) intersect any range of @r? */
static bool span_touches(const struct kho_mem_range *r, unsigned int n,
			 u64 start, u64 end)
{
	unsigned int i = first_range_after(r, n, start);

	return i < n && r[i].start < end;
}

/* May the page at @phys be read: page aligned, in RAM, not excluded? */
static bool page_readable(const struct walk_ctx *ctx, u64 phys)
{
	const struct kho_mem_walk_args *a = ctx->args;

	return !(phys & ~PAGE_MASK) && phys <= U64_MAX - PAGE_SIZE &&
	       span_inside(a->ram, a->nr_ram, phys, phys + PAGE_SIZE) &&
	       !span_touches(a->excluded, a->nr_excluded, phys, phys + PAGE_SIZE);
}

static enum kho_mem_check fail(struct walk_ctx *ctx, enum kho_mem_check check,
			       unsigned long chunk, unsigned int entry)
{
	ctx->res->check = check;
	ctx->res->chunk = chunk;
	ctx->res->entry = entry;
	return check;
}

/*
 * Pass 1: follow the list, validating every header, bounding its length
 * and detecting cycles (Brent), and note where each order starts.
 */
static enum kho_mem_check walk_list(struct walk_ctx *ctx)
{
	unsigned long max = ctx->args->max_chunks ?: KHO_MEM_DEFAULT_MAX_CHUNKS;
	phys_addr_t phys = ctx->args->head, saved = 0;
	unsigned long idx, power = 1, lam = 0;
	int prev_order = -1;

	for (idx = 0; phys; idx++) {
		struct kho_mem_chunk_hdr *chunk;
		unsigned int nr;

		if (idx == max)
			return fail(ctx, KHO_MEM_CHECK_CHUNK_COUNT, idx, 0);
		if (idx && phys == saved)
			return fail(ctx, KHO_MEM_CHECK_CYCLE, idx, 0);
		if (++lam == power) {
			saved = phys;
			power <<= 1;
			lam = 0;
		}
		if (!page_readable(ctx, phys))
			return fail(ctx, KHO_MEM_CHECK_CHUNK_ADDR, idx, 0);

		chunk = kho_mem_va(phys);
		if (le32_to_cpu(chunk->magic) != KHO_MEM_CHUNK_MAGIC)
			return fail(ctx, KHO_MEM_CHECK_MAGIC, idx, 0);
		if (le16_to_cpu(chunk->version) != KHO_MEM_CHUNK_VERSION ||
		    chunk->page_shift != PAGE_SHIFT)
			return fail(ctx, KHO_MEM_CHECK_VERSION, idx, 0);
		if (chunk->order > KHO_MEM_MAX_ORDER || chunk->order < prev_order)
			return fail(ctx, KHO_MEM_CHECK_ORDER, idx, 0);
		if (chunk->reserved)
			return fail(ctx, KHO_MEM_CHECK_RESERVED, idx, 0);
		nr = le32_to_cpu(chunk->nr_entries);
		if (!nr || nr > KHO_MEM_CHUNK_ENTRIES_MAX)
			return fail(ctx, KHO_MEM_CHECK_COUNT, idx, 0);

		if (chunk->order != prev_order) {
			ctx->first[chunk->order] = phys;
			ctx->first_index[chunk->order] = idx;
			prev_order = chunk->order;
		}
		phys = le64_to_cpu(chunk->next);
	}
	ctx->res->nr_chunks = idx;
	return KHO_MEM_CHECK_OK;
}

/* Validate entry @cur->entry of @cur->chunk and make it the current leaf. */
static enum kho_mem_check cursor_enter_leaf(struct walk_ctx *ctx,
					    struct walk_cursor *cur)
{
	struct kho_mem_chunk_hdr *chunk = cur->chunk;
	struct kho_mem_chunk_entry *e = &chunk_entries(chunk)[cur->entry];
	unsigned int order = chunk->order, nr = le32_to_cpu(chunk->nr_entries);
	unsigned int count = le32_to_cpu(e->count), i;
	u64 base = le64_to_cpu(e->base), data = le64_to_cpu(e->data);
	u64 span = (u64)KHO_MEM_LEAF_UNITS << (order + PAGE_SHIFT);

	if (e->reserved)
		return KHO_MEM_CHECK_RESERVED;
	if (base & (span - 1) || (base >> PAGE_SHIFT) >= KHO_MEM_PFN_LIMIT)
		return KHO_MEM_CHECK_LEAF_BASE;
	if (cur->has_prev && base <= cur->prev_base)
		return KHO_MEM_CHECK_UNSORTED;

	switch (le16_to_cpu(e->kind)) {
	case KHO_MEM_LEAF_BITMAP:
		if (!count || count > KHO_MEM_LEAF_UNITS)
			return KHO_MEM_CHECK_LEAF_COUNT;
		if (!page_readable(ctx, data))
			return KHO_MEM_CHECK_BITMAP_ADDR;
		cur->bits = kho_mem_va(data);
		if (bitmap_weight(cur->bits, KHO_MEM_LEAF_UNITS) != count)
			return KHO_MEM_CHECK_LEAF_COUNT;
		cur->kind = KHO_MEM_LEAF_BITMAP;
		break;
	case KHO_MEM_LEAF_SPARSE:
		if (!count || count > KHO_MEM_SPARSE_MAX)
			return KHO_MEM_CHECK_LEAF_COUNT;
		if (data & 1 ||
		    data < sizeof(*chunk) + (u64)nr * sizeof(*e) ||
		    data > cur->data_floor ||
		    count * sizeof(__le16) > cur->data_floor - data)
			return KHO_MEM_CHECK_DATA_BOUNDS;
		cur->data_floor = data;
		cur->offs = (const __le16 *)((char *)chunk + data);
		for (i = 0; i < count; i++) {
			unsigned int off = le16_to_cpu(cur->offs[i]);

			if (off > KHO_MEM_LEAF_MASK ||
			    (i && off <= le16_to_cpu(cur->offs[i - 1])))
				return KHO_MEM_CHECK_OFFSETS;
		}
		cur->kind = KHO_MEM_LEAF_SPARSE;
		break;
	default:
		return KHO_MEM_CHECK_KIND;
	}

	cur->count = count;
	cur->pos = 0;
	cur->base_pfn = base >> PAGE_SHIFT;
	cur->prev_base = base;
	cur->has_prev = true;
	cur->in_leaf = true;
	return KHO_MEM_CHECK_OK;
}

/* Load the next run of order @order into @cur; run_units == 0 at the end. */
static enum kho_mem_check cursor_next_run(struct walk_ctx *ctx,
					  struct walk_cursor *cur,
					  unsigned int order)
{
	unsigned long start, end;
	enum kho_mem_check check;

	cur->run_units = 0;
	for (;;) {
		if (!cur->chunk)
			return KHO_MEM_CHECK_OK;
		if (!cur->in_leaf) {
			struct kho_mem_chunk_hdr *chunk = cur->chunk;
			phys_addr_t next;

			if (cur->entry < le32_to_cpu(chunk->nr_entries)) {
				check = cursor_enter_leaf(ctx, cur);
				if (check)
					return fail(ctx, check, cur->chunk_index,
						    cur->entry);
				continue;
			}
			/* pass 1 validated every header of the list */
			next = le64_to_cpu(chunk->next);
			cur->chunk = next ? kho_mem_va(next) : NULL;
			if (cur->chunk && cur->chunk->order != order)
				cur->chunk = NULL;
			cur->chunk_index++;
			cur->entry = 0;
			cur->data_floor = PAGE_SIZE;
			continue;
		}

		if (cur->kind == KHO_MEM_LEAF_BITMAP) {
			start = find_next_bit(cur->bits, KHO_MEM_LEAF_UNITS,
					      cur->pos);
			if (start < KHO_MEM_LEAF_UNITS) {
				end = find_next_zero_bit(cur->bits,
							 KHO_MEM_LEAF_UNITS,
							 start);
				cur->pos = end;
				break;
			}
		} else if (cur->pos < cur->count) {
			start = le16_to_cpu(cur->offs[cur->pos++]);
			end = start + 1;
			while (cur->pos < cur->count &&
			       le16_to_cpu(cur->offs[cur->pos]) == end) {
				cur->pos++;
				end++;
			}
			break;
		}
		cur->in_leaf = false;
		cur->entry++;
	}
	cur->run_pfn = cur->base_pfn + (start << order);
	cur->run_units = end - start;
	return KHO_MEM_CHECK_OK;
}

static int flush_run(struct walk_ctx *ctx, const struct kho_mem_walk_ops *ops,
		     void *arg)
{
	if (!ctx->run_units)
		return 0;
	ctx->res->nr_runs++;
	return ops->run ? ops->run(arg, ctx->run_pfn, ctx->run_order,
				   ctx->run_units) : 0;
}

static int flush_range(struct walk_ctx *ctx,
		       const struct kho_mem_walk_ops *ops, void *arg)
{
	if (ctx->range_end == ctx->range_pfn)
		return 0;
	ctx->res->nr_ranges++;
	return ops->range ? ops->range(arg, ctx->range_pfn,
				       ctx->range_end - ctx->range_pfn,
				       ctx->range_orders) : 0;
}

/* Coalesce the run [@pfn, @end) of @order into the pending output. */
static int emit(struct walk_ctx *ctx, const struct kho_mem_walk_ops *ops,
		void *arg, unsigned long pfn, unsigned long end,
		unsigned int order)
{
	int err;

	if (ctx->run_units && ctx->run_order == order &&
	    ctx->run_pfn + (ctx->run_units << order) == pfn) {
		ctx->run_units += (end - pfn) >> order;
	} else {
		err = flush_run(ctx, ops, arg);
		if (err)
			return err;
		ctx->run_pfn = pfn;
		ctx->run_order = order;
		ctx->run_units = (end - pfn) >> order;
	}

	if (ctx->range_end != ctx->range_pfn && ctx->range_end == pfn) {
		ctx->range_end = end;
		ctx->range_orders |= BIT(order);
		return 0;
	}
	err = flush_range(ctx, ops, arg);
	ctx->range_pfn = pfn;
	ctx->range_end = end;
	ctx->range_orders = BIT(order);
	return err;
}

/* A unit check failed for the run of @cur that starts at (@pfn, @order). */
static int fail_unit(struct walk_ctx *ctx, enum kho_mem_check check,
		     const struct walk_cursor *cur, unsigned long pfn,
		     unsigned int order)
{
	ctx->res->unit.pfn = pfn;
	ctx->res->unit.order = order;
	fail(ctx, check, cur->chunk_index, cur->entry);
	return -EINVAL;
}

/*
 * Passes 2 and 3: merge the runs of every order into one ascending stream,
 * checking entries, overlaps and placement.  Pass 2 (@ops == NULL) only
 * validates; pass 3 also reports ranges and runs.
 */
static int walk_units(struct walk_ctx *ctx, const struct kho_mem_walk_ops *ops,
		      void *arg)
{
	const struct kho_mem_walk_args *a = ctx->args;
	unsigned long prev_end = 0, prev_pfn = 0, active = 0;
	unsigned int o, prev_order = 0;
	int err;

	memset(ctx->cur, 0, sizeof(ctx->cur));
	ctx->run_units = 0;
	ctx->range_pfn = 0;
	ctx->range_end = 0;
	for (o = 0; o < KHO_MEM_NR_ORDERS; o++) {
		struct walk_cursor *cur = &ctx->cur[o];

		if (!ctx->first[o])
			continue;
		cur->chunk = kho_mem_va(ctx->first[o]);
		cur->chunk_index = ctx->first_index[o];
		cur->data_floor = PAGE_SIZE;
		if (cursor_next_run(ctx, cur, o))
			return -EINVAL;
		if (cur->run_units)
			active |= BIT(o);
	}

	/* Only orders with units left take part: usually one or two. */
	while (active) {
		struct walk_cursor *cur, *best = NULL;
		unsigned long pfn, end;
		unsigned int order = 0;

		for (o = 0; o < KHO_MEM_NR_ORDERS; o++) {
			if (!(active & BIT(o)))
				continue;
			cur = &ctx->cur[o];
			if (!best || cur->run_pfn < best->run_pfn) {
				best = cur;
				order = o;
			}
		}

		pfn = best->run_pfn;
		end = pfn + (best->run_units << order);
		if (pfn < prev_end) {
			/* the unit of the previous run that holds @pfn */
			ctx->res->other.pfn = prev_pfn +
				((pfn - prev_pfn) >> prev_order << prev_order);
			ctx->res->other.order = prev_order;
			return fail_unit(ctx, KHO_MEM_CHECK_OVERLAP, best, pfn,
					 order);
		}
		if (!span_inside(a->ram, a->nr_ram, (u64)pfn << PAGE_SHIFT,
				 (u64)end << PAGE_SHIFT))
			return fail_unit(ctx, KHO_MEM_CHECK_NOT_RAM, best, pfn,
					 order);
		if (span_touches(a->excluded, a->nr_excluded,
				 (u64)pfn << PAGE_SHIFT, (u64)end << PAGE_SHIFT))
			return fail_unit(ctx, KHO_MEM_CHECK_EXCLUDED, best, pfn,
					 order);
		prev_end = end;
		prev_pfn = pfn;
		prev_order = order;

		if (ops) {
			err = emit(ctx, ops, arg, pfn, end, order);
			if (err)
				return err;
		} else {
			ctx->res->nr_units += best->run_units;
			ctx->res->nr_pages += end - pfn;
		}
		if (cursor_next_run(ctx, best, order))
			return -EINVAL;
		if (!best->run_units)
			active &= ~BIT(order);
	}

	if (!ops)
		return 0;
	err = flush_run(ctx, ops, arg);
	if (err)
		return err;
	return flush_range(ctx, ops, arg);
}

static bool ranges_sane(const struct kho_mem_range *r, unsigned int n)
{
	unsigned int i;

	if (n && !r)
		return false;
	for (i = 0; i < n; i++) {
		if (r[i].start >= r[i].end || (i && r[i].start < r[i - 1].end))
			return false;
	}
	return true;
}

/**
 * kho_mem_walk() - validate a chunk list, then report what it preserves
 * @args: the list, the RAM it may describe and the ranges it must avoid.
 * @ops: callbacks for ranges and runs; NULL to validate only.
 * @arg: passed to the callbacks.
 * @res: filled with the outcome: which check failed, where, and counts.
 *	May be NULL.
 *
 * The list comes from another kernel and is trusted in nothing: every
 * chunk, entry and unit is checked, as "Validating and walking a chunk
 * list" describes, before anything is reported.  Then one @ops->range call
 * is made per maximal contiguous range, whatever the orders of the units
 * in it, and one @ops->run call per maximal run of adjacent units of one
 * order.
 *
 * The walk never allocates memory and only reads the chunk and bitmap
 * pages, each after checking it may, so it can run in early boot.
 *
 * Context: Any context; does not sleep unless a callback does.
 * Return: 0 on success; -EINVAL if @args is malformed or a check failed
 * (@res->check names it, before any callback was made); otherwise the
 * first negative value a callback returned.
 */
int kho_mem_walk(const struct kho_mem_walk_args *args,
		 const struct kho_mem_walk_ops *ops, void *arg,
		 struct kho_mem_walk_result *res)
{
	struct kho_mem_walk_result local;
	struct walk_ctx ctx = { .args = args };

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	ctx.res = res;
	if (!ranges_sane(args->ram, args->nr_ram) ||
	    !ranges_sane(args->excluded, args->nr_excluded))
		return -EINVAL;

	if (walk_list(&ctx))
		return -EINVAL;
	if (walk_units(&ctx, NULL, NULL))
		return -EINVAL;
	if (!ops)
		return 0;
	return walk_units(&ctx, ops, arg);
}
EXPORT_SYMBOL_GPL(kho_mem_walk);

static const char * const kho_mem_check_names[KHO_MEM_CHECK_NR] = {
	[KHO_MEM_CHECK_OK]		= "ok",
	[KHO_MEM_CHECK_CHUNK_ADDR]	= "chunk address outside usable RAM",
	[KHO_MEM_CHECK_CHUNK_COUNT]	= "too many chunks",
	[KHO_MEM_CHECK_CYCLE]		= "chunk list loops",
	[KHO_MEM_CHECK_MAGIC]		= "bad chunk magic",
	[KHO_MEM_CHECK_VERSION]		= "unknown format version or page size",
	[KHO_MEM_CHECK_ORDER]		= "order out of range or out of sequence",
	[KHO_MEM_CHECK_COUNT]		= "chunk entry count out of range",
	[KHO_MEM_CHECK_RESERVED]	= "reserved field not zero",
	[KHO_MEM_CHECK_KIND]		= "unknown leaf kind",
	[KHO_MEM_CHECK_LEAF_BASE]	= "misaligned or out-of-range leaf base",
	[KHO_MEM_CHECK_UNSORTED]	= "leaves not in ascending order",
	[KHO_MEM_CHECK_DATA_BOUNDS]	= "inline data out of bounds",
	[KHO_MEM_CHECK_BITMAP_ADDR]	= "bitmap page outside usable RAM",
	[KHO_MEM_CHECK_LEAF_COUNT]	= "leaf unit count does not match",
	[KHO_MEM_CHECK_OFFSETS]		= "inline offsets unsorted or out of range",
	[KHO_MEM_CHECK_OVERLAP]		= "preserved units overlap",
	[KHO_MEM_CHECK_NOT_RAM]		= "preserved memory outside RAM",
	[KHO_MEM_CHECK_EXCLUDED]	= "preserved memory in scratch or reserved memory",
};

/**
 * kho_mem_check_name() - describe a validation check
 * @check: a value from kho_mem_walk_result.check.
 *
 * Context: Any context.
 * Return: a short constant string, suitable for a log line.
 */
const char *kho_mem_check_name(enum kho_mem_check check)
{
	if (check >= KHO_MEM_CHECK_NR)
		return "unknown check";
	return kho_mem_check_names[check];
}
EXPORT_SYMBOL_GPL(kho_mem_check_name);
