// SPDX-License-Identifier: GPL-2.0-only
/*
 * KSTATE: writing a stream.
 *
 * The writer appends bytes to a list of order-0 pages, so a stream needs no
 * contiguous allocation; it is at most %KSTATE_STREAM_MAX_SIZE bytes, what
 * the reader accepts.  Lengths that
 * are known only after a value is written are reserved and patched in
 * place.  The tables of every description in use come first, once, then the
 * instances; an instance holds only values, in table order, so its overhead
 * is its record header and the length of each variable-sized value; a
 * nested struct costs nothing beyond its fields.
 *
 * Publishing writes the directory pages and preserves every page through
 * the writer's kstate_mem_ops.  Destroying the writer undoes all of it,
 * including the preservation of memory fields, so a save that fails or is
 * superseded leaves nothing behind.
 */
#define pr_fmt(fmt) "kstate: " fmt

#include <kunit/visibility.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/unaligned.h>

#include "kstate_internal.h"

/**
 * kstate_writer_init() - prepare an empty writer
 * @w: the writer.
 * @ops: how it preserves memory fields and, once published, its pages.
 *
 * Context: Any context.
 */
void kstate_writer_init(struct kstate_writer *w,
			const struct kstate_mem_ops *ops)
{
	memset(w, 0, sizeof(*w));
	w->ops = ops;
}
EXPORT_SYMBOL_IF_KUNIT(kstate_writer_init);

/* Copy @len bytes to (or from) stream offset @pos, which must be written. */
static void kstate_copy_at(struct kstate_writer *w, size_t pos,
			   void *buf, size_t len, bool to_stream)
{
	while (len) {
		u8 *page = page_address(w->pages[pos >> PAGE_SHIFT]);
		size_t off = offset_in_page(pos);
		size_t n = min(len, PAGE_SIZE - off);

		if (to_stream)
			memcpy(page + off, buf, n);
		else
			memcpy(buf, page + off, n);
		buf += n;
		pos += n;
		len -= n;
	}
}

/**
 * kstate_write() - append bytes to a stream
 * @w: the writer passed to a %KSTATE_CUSTOM save callback.
 * @buf: the bytes.
 * @len: how many.
 *
 * Context: Process context; may sleep.
 * Return: 0; -EFBIG if the stream would grow beyond
 * %KSTATE_STREAM_MAX_SIZE, which the next kernel refuses; -ENOMEM.
 */
int kstate_write(struct kstate_writer *w, const void *buf, size_t len)
{
	size_t end = w->size + len;
	int err;

	if (end < w->size || end > KSTATE_STREAM_MAX_SIZE)
		return -EFBIG;
	while (((size_t)w->nr_pages << PAGE_SHIFT) < end) {
		struct page *page;

		err = kstate_grow((void **)&w->pages, w->nr_pages,
				  &w->cap_pages, sizeof(*w->pages));
		if (err)
			return err;
		page = alloc_page(GFP_KERNEL);
		if (!page)
			return -ENOMEM;
		w->pages[w->nr_pages++] = page;
	}
	kstate_copy_at(w, w->size, (void *)buf, len, true);
	w->size = end;
	return 0;
}
EXPORT_SYMBOL_GPL(kstate_write);

static int kstate_put_u8(struct kstate_writer *w, u8 v)
{
	return kstate_write(w, &v, 1);
}

static int kstate_put_le16(struct kstate_writer *w, u16 v)
{
	__le16 x = cpu_to_le16(v);

	return kstate_write(w, &x, sizeof(x));
}

static int kstate_put_le32(struct kstate_writer *w, u32 v)
{
	__le32 x = cpu_to_le32(v);

	return kstate_write(w, &x, sizeof(x));
}

static int kstate_put_le64(struct kstate_writer *w, u64 v)
{
	__le64 x = cpu_to_le64(v);

	return kstate_write(w, &x, sizeof(x));
}

static int kstate_put_str(struct kstate_writer *w, const char *s)
{
	size_t len = strlen(s);

	return kstate_put_le16(w, len) ?: kstate_write(w, s, len);
}

/* Reserve a le32 (a length), returning its offset in *@pos. */
static int kstate_reserve32(struct kstate_writer *w, size_t *pos)
{
	*pos = w->size;
	return kstate_put_le32(w, 0);
}

static void kstate_patch32(struct kstate_writer *w, size_t pos, u32 v)
{
	__le32 x = cpu_to_le32(v);

	kstate_copy_at(w, pos, &x, sizeof(x), true);
}

/* Close a length reserved at @pos, counting what follows it. */
static int kstate_close32(struct kstate_writer *w, size_t pos)
{
	size_t len = w->size - pos - sizeof(__le32);

	if (len > U32_MAX)
		return -E2BIG;
	kstate_patch32(w, pos, len);
	return 0;
}

/* ---- the table --------------------------------------------------------- */

static int kstate_desc_index(struct kstate_writer *w,
			     const struct kstate_description *d, u32 *idx)
{
	unsigned int i;

	for (i = 0; i < w->nr_descs; i++) {
		if (w->descs[i] == d) {
			*idx = i;
			return 0;
		}
	}
	return -ENOENT;
}

static int kstate_collect(struct kstate_writer *w,
			  const struct kstate_description *d)
{
	const struct kstate_description * const *sub;
	const struct kstate_field *f;
	u32 idx;
	int err;

	if (!kstate_desc_index(w, d, &idx))
		return 0;
	/* Two descriptions of one name would make the stream ambiguous. */
	for (idx = 0; idx < w->nr_descs; idx++) {
		if (!strcmp(w->descs[idx]->name, d->name)) {
			pr_err("two descriptions are named \"%s\"\n", d->name);
			return -EINVAL;
		}
	}
	err = kstate_grow((void **)&w->descs, w->nr_descs, &w->cap_descs,
			  sizeof(*w->descs));
	if (err)
		return err;
	w->descs[w->nr_descs++] = d;
	for (f = d->fields; f->kind != KSTATE_KIND_NONE || f->name; f++) {
		if (f->rule != KSTATE_DEPRECATED && f->desc) {
			err = kstate_collect(w, f->desc);
			if (err)
				return err;
		}
	}
	for (sub = d->subsections; sub && *sub; sub++) {
		err = kstate_collect(w, *sub);
		if (err)
			return err;
	}
	return 0;
}

static int kstate_write_desc(struct kstate_writer *w,
			     const struct kstate_description *d)
{
	const struct kstate_description * const *sub;
	const struct kstate_field *f;
	u16 nr_fields = 0, nr_subs = 0;
	size_t pos;
	u32 idx;
	int err;

	for (f = d->fields; f->kind != KSTATE_KIND_NONE || f->name; f++)
		nr_fields += f->rule != KSTATE_DEPRECATED;
	for (sub = d->subsections; sub && *sub; sub++)
		nr_subs++;

	err = kstate_put_u8(w, KSTATE_REC_DESC) ?: kstate_reserve32(w, &pos) ?:
	      kstate_put_str(w, d->name) ?: kstate_put_le32(w, d->version_id) ?:
	      kstate_put_le32(w, d->min_version_id) ?:
	      kstate_put_u8(w, d->optional ? KSTATE_DESC_OPTIONAL : 0) ?:
	      kstate_put_le16(w, nr_fields) ?: kstate_put_le16(w, nr_subs);
	for (f = d->fields; !err && (f->kind != KSTATE_KIND_NONE || f->name);
	     f++) {
		if (f->rule == KSTATE_DEPRECATED)
			continue;
		idx = KSTATE_NO_DESC;
		if (f->desc)
			kstate_desc_index(w, f->desc, &idx);
		err = kstate_put_str(w, f->name) ?: kstate_put_u8(w, f->kind) ?:
		      kstate_put_u8(w, f->rule) ?: kstate_put_u8(w, f->elem) ?:
		      kstate_put_le32(w, f->version_id) ?:
		      kstate_put_le32(w, f->size) ?:
		      kstate_put_le32(w, f->count) ?: kstate_put_le32(w, idx);
	}
	for (sub = d->subsections; !err && sub && *sub; sub++) {
		kstate_desc_index(w, *sub, &idx);
		err = kstate_put_le32(w, idx);
	}
	return err ?: kstate_close32(w, pos);
}

/* ---- values ------------------------------------------------------------ */

static int kstate_write_struct(struct kstate_writer *w,
			       const struct kstate_description *d,
			       const void *obj);

static u64 kstate_get_uint(const void *p, unsigned int size)
{
	switch (size) {
	case 1:
		return *(const u8 *)p;
	case 2:
		return *(const u16 *)p;
	case 4:
		return *(const u32 *)p;
	default:
		return *(const u64 *)p;
	}
}

static int kstate_write_scalar(struct kstate_writer *w, const void *p,
			       unsigned int size)
{
	u8 buf[8];

	switch (size) {
	case 1:
		buf[0] = *(const u8 *)p;
		break;
	case 2:
		put_unaligned_le16(*(const u16 *)p, buf);
		break;
	case 4:
		put_unaligned_le32(*(const u32 *)p, buf);
		break;
	default:
		put_unaligned_le64(*(const u64 *)p, buf);
		break;
	}
	return kstate_write(w, buf, size);
}

static int kstate_write_elems(struct kstate_writer *w,
			      const struct kstate_field *f, const u8 *p, u32 n)
{
	u32 i;
	int err = 0;

	if (f->elem != KSTATE_STRUCT) {
		if (f->size == 1 || IS_ENABLED(CONFIG_CPU_LITTLE_ENDIAN))
			return kstate_write(w, p, (size_t)n * f->size);
		for (i = 0; i < n && !err; i++)
			err = kstate_write_scalar(w, p + i * f->size, f->size);
		return err;
	}
	for (i = 0; i < n && !err; i++)
		err = kstate_write_struct(w, f->desc, p + i * f->size);
	return err;
}

static int kstate_write_field(struct kstate_writer *w,
			      const struct kstate_field *f, const void *obj)
{
	const u8 *p = obj + f->offset;
	const void *ptr;
	size_t pos, len;
	u64 n = f->count;
	int err;

	if (f->len_size)
		n = kstate_get_uint(obj + f->len_offset, f->len_size);

	switch (f->kind) {
	case KSTATE_U8 ... KSTATE_BOOL:
		if (f->kind == KSTATE_BOOL)
			return kstate_put_u8(w, *(const bool *)p);
		return kstate_write_scalar(w, p, f->size);
	case KSTATE_STRING:
		len = strnlen(p, f->size);
		if (len == f->size)
			return -EINVAL;
		return kstate_put_le32(w, len) ?: kstate_write(w, p, len);
	case KSTATE_BUFFER:
		return kstate_put_le32(w, f->size) ?: kstate_write(w, p, f->size);
	case KSTATE_STRUCT:
		return kstate_write_struct(w, f->desc, p);
	case KSTATE_ARRAY:
		return kstate_write_elems(w, f, p, f->count);
	case KSTATE_VARRAY:
		if (n > f->count)
			return -EINVAL;
		return kstate_put_le32(w, n) ?: kstate_write_elems(w, f, p, n);
	case KSTATE_PTR:
		ptr = *(void * const *)p;
		if (!ptr)
			return kstate_put_u8(w, 0);
		if (n > f->count)
			return -EINVAL;
		return kstate_put_u8(w, 1) ?: kstate_put_le32(w, n) ?:
		       kstate_write_elems(w, f, ptr, n);
	case KSTATE_FOLIO: {
		struct folio *folio = *(struct folio * const *)p;

		if (!folio)
			return kstate_put_le64(w, 0) ?: kstate_put_u8(w, 0);
		err = kstate_grow((void **)&w->mem, w->nr_mem, &w->cap_mem,
				  sizeof(*w->mem));
		if (err)
			return err;
		err = w->ops->preserve_folio(folio);
		if (err)
			return err;
		w->mem[w->nr_mem++] = (struct kstate_memref){ folio, 0 };
		return kstate_put_le64(w, PFN_PHYS(folio_pfn(folio))) ?:
		       kstate_put_u8(w, folio_order(folio));
	}
	case KSTATE_PAGES: {
		struct page *page = *(struct page * const *)p;

		if (!page)
			return kstate_put_le64(w, 0) ?: kstate_put_le32(w, 0);
		if (!n || n > f->count)
			return -EINVAL;
		err = kstate_grow((void **)&w->mem, w->nr_mem, &w->cap_mem,
				  sizeof(*w->mem));
		if (err)
			return err;
		err = w->ops->preserve_pages(page, n);
		if (err)
			return err;
		w->mem[w->nr_mem++] = (struct kstate_memref){ page, n };
		return kstate_put_le64(w, page_to_phys(page)) ?:
		       kstate_put_le32(w, n);
	}
	case KSTATE_CUSTOM:
		return kstate_reserve32(w, &pos) ?: f->save(w, obj, f) ?:
		       kstate_close32(w, pos);
	default:
		return -EINVAL;
	}
}

/*
 * Field values, then the subsections that are needed.  A struct carries no
 * length: the saved table says how to read (and skip) it.
 */
static int kstate_write_struct(struct kstate_writer *w,
			       const struct kstate_description *d,
			       const void *obj)
{
	const struct kstate_description * const *sub;
	const struct kstate_field *f;
	size_t npos, pos;
	u16 nr = 0;
	u32 idx;
	int err;

	/* the top level is depth 1 here, depth 0 in the registry's check */
	if (++w->depth > KSTATE_MAX_DEPTH + 1) {
		err = -ELOOP;
		goto out;
	}
	if (d->pre_save && !w->no_hooks) {
		err = d->pre_save((void *)obj);
		if (err)
			goto out;
	}
	err = 0;
	for (f = d->fields; !err && (f->kind != KSTATE_KIND_NONE || f->name);
	     f++) {
		if (f->rule != KSTATE_DEPRECATED)
			err = kstate_write_field(w, f, obj);
	}
	/* The count of subsections is there only if the table lists some. */
	npos = w->size;
	if (d->subsections && *d->subsections)
		err = err ?: kstate_put_le16(w, 0);
	for (sub = d->subsections; !err && sub && *sub; sub++) {
		if ((*sub)->needed && !(*sub)->needed(obj))
			continue;
		kstate_desc_index(w, *sub, &idx);
		err = kstate_put_le32(w, idx) ?: kstate_reserve32(w, &pos) ?:
		      kstate_write_struct(w, *sub, obj) ?:
		      kstate_close32(w, pos);
		nr++;
	}
	if (!err && nr) {
		__le16 x = cpu_to_le16(nr);

		kstate_copy_at(w, npos, &x, sizeof(x), true);
	}
	if (d->post_save && !w->no_hooks) {
		int err2 = d->post_save((void *)obj);

		err = err ?: err2;
	}
out:
	w->depth--;
	return err;
}

struct kstate_write_arg {
	struct kstate_writer *w;
	bool table;
};

static int kstate_write_one(void *arg, const struct kstate_description *d,
			    void *obj, u64 id)
{
	struct kstate_write_arg *a = arg;
	struct kstate_writer *w = a->w;
	size_t pos;
	u32 idx;
	int err;

	if (a->table)
		return kstate_collect(w, d);
	kstate_desc_index(w, d, &idx);
	err = kstate_put_u8(w, KSTATE_REC_INST) ?: kstate_reserve32(w, &pos) ?:
	      kstate_put_le32(w, idx) ?: kstate_put_le64(w, id) ?:
	      kstate_write_struct(w, d, obj) ?: kstate_close32(w, pos);
	if (err) {
		pr_err("cannot save \"%s\" instance %llu: %d\n", d->name, id, err);
		return err;
	}
	w->nr_instances++;
	return 0;
}

/**
 * kstate_write_stream() - write every registered object into a stream
 * @w: a writer fresh from kstate_writer_init().
 * @out: the registry.
 *
 * Calls the pre_save and post_save hooks, and preserves the memory of
 * memory fields through @w's ops.  On error the caller destroys @w, which
 * undoes that.
 *
 * Context: Process context; takes @out->lock, may sleep.
 * Return: 0 or a negative errno (one log line names the object).
 */
int kstate_write_stream(struct kstate_writer *w, struct kstate_out *out)
{
	struct kstate_write_arg arg = { .w = w, .table = true };
	struct kstate_stream_hdr hdr = {};
	unsigned int i;
	int err;

	err = kstate_write(w, &hdr, sizeof(hdr));
	if (err)
		return err;
	mutex_lock(&out->lock);
	err = kstate_out_for_each(out, kstate_write_one, &arg);
	for (i = 0; !err && i < w->nr_descs; i++)
		err = kstate_write_desc(w, w->descs[i]);
	arg.table = false;
	if (!err)
		err = kstate_out_for_each(out, kstate_write_one, &arg);
	mutex_unlock(&out->lock);
	if (err)
		return err;

	hdr.magic = cpu_to_le32(KSTATE_STREAM_MAGIC);
	hdr.version = cpu_to_le32(KSTATE_STREAM_VERSION);
	hdr.size = cpu_to_le64(w->size);
	hdr.nr_descs = cpu_to_le32(w->nr_descs);
	hdr.nr_instances = cpu_to_le32(w->nr_instances);
	kstate_copy_at(w, 0, &hdr, sizeof(hdr), true);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(kstate_write_stream);

#define KSTATE_DIR_ENTRIES \
	((PAGE_SIZE - sizeof(struct kstate_dir_page)) / sizeof(__le64))

/**
 * kstate_writer_publish() - write the directory and preserve every page
 * @w: a written stream.
 * @dir: the physical address of the first directory page.
 *
 * Context: Process context; may sleep.
 * Return: 0, or a negative errno with nothing preserved.
 */
int kstate_writer_publish(struct kstate_writer *w, phys_addr_t *dir)
{
	unsigned int i, j, nr_dir = DIV_ROUND_UP(w->nr_pages,
						 KSTATE_DIR_ENTRIES);
	int err = 0;

	if (w->published || !w->nr_pages)
		return -EINVAL;
	w->dir = kvcalloc(nr_dir, sizeof(*w->dir), GFP_KERNEL);
	if (!w->dir)
		return -ENOMEM;
	for (i = 0; i < nr_dir; i++) {
		w->dir[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!w->dir[i]) {
			err = -ENOMEM;
			goto fail;
		}
		w->nr_dir++;
	}
	for (i = 0; i < nr_dir; i++) {
		struct kstate_dir_page *dp = page_address(w->dir[i]);
		unsigned int first = i * KSTATE_DIR_ENTRIES;
		unsigned int n = min_t(unsigned int, KSTATE_DIR_ENTRIES,
				       w->nr_pages - first);

		dp->magic = cpu_to_le32(KSTATE_DIR_MAGIC);
		dp->nr = cpu_to_le32(n);
		dp->next = cpu_to_le64(i + 1 < nr_dir ?
				       page_to_phys(w->dir[i + 1]) : 0);
		for (j = 0; j < n; j++)
			dp->pages[j] = cpu_to_le64(page_to_phys(w->pages[first + j]));
	}
	for (i = 0; i < w->nr_pages + nr_dir; i++) {
		struct page *page = i < w->nr_pages ? w->pages[i] :
				    w->dir[i - w->nr_pages];

		err = w->ops->preserve_pages(page, 1);
		if (err)
			break;
	}
	if (err) {
		while (i--)
			w->ops->unpreserve_pages(i < w->nr_pages ? w->pages[i] :
						 w->dir[i - w->nr_pages], 1);
		goto fail;
	}
	w->published = true;
	*dir = page_to_phys(w->dir[0]);
	return 0;
fail:
	for (i = 0; i < w->nr_dir; i++)
		__free_page(w->dir[i]);
	kvfree(w->dir);
	w->dir = NULL;
	w->nr_dir = 0;
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(kstate_writer_publish);

/**
 * kstate_writer_linearize() - copy a written stream into one buffer
 * @w: the writer.
 *
 * Context: Process context; may sleep.
 * Return: a kvmalloc()ed copy of the @w->size bytes, or NULL.
 */
void *kstate_writer_linearize(const struct kstate_writer *w)
{
	void *buf = kvmalloc(max_t(size_t, w->size, 1), GFP_KERNEL);

	if (buf)
		kstate_copy_at((struct kstate_writer *)w, 0, buf, w->size,
			       false);
	return buf;
}
EXPORT_SYMBOL_IF_KUNIT(kstate_writer_linearize);

/**
 * kstate_writer_destroy() - unpreserve and free everything of a stream
 * @w: the writer.
 *
 * Context: Process context; may sleep.
 */
void kstate_writer_destroy(struct kstate_writer *w)
{
	unsigned int i;

	for (i = 0; i < w->nr_mem; i++) {
		if (w->mem[i].nr)
			w->ops->unpreserve_pages(w->mem[i].ptr, w->mem[i].nr);
		else
			w->ops->unpreserve_folio(w->mem[i].ptr);
	}
	for (i = 0; w->published && i < w->nr_pages + w->nr_dir; i++)
		w->ops->unpreserve_pages(i < w->nr_pages ? w->pages[i] :
					 w->dir[i - w->nr_pages], 1);
	for (i = 0; i < w->nr_pages; i++)
		__free_page(w->pages[i]);
	for (i = 0; i < w->nr_dir; i++)
		__free_page(w->dir[i]);
	kvfree(w->pages);
	kvfree(w->dir);
	kvfree(w->descs);
	kvfree(w->mem);
	kstate_writer_init(w, w->ops);
}
EXPORT_SYMBOL_IF_KUNIT(kstate_writer_destroy);
