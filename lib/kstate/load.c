// SPDX-License-Identifier: GPL-2.0-only
/*
 * KSTATE: reading a stream handed over by the previous kernel.
 *
 * Nothing in the stream is trusted.  Opening a stream parses and checks the
 * tables, then scans the instance records once and sorts them by
 * (description, instance id), so that a restore is a binary search.  A bad
 * table fails only the instances that use it; a duplicate or truncated
 * instance fails only itself; a bad header or page list refuses the stream.
 *
 * A restore decodes the instance twice.  The first pass only checks: every
 * length against what remains, every value against the loader's field, and
 * every must-equal field against the object.  Only when it passes does the
 * second pass write the object, allocate pointer targets and claim memory,
 * so a bad instance leaves the object as it was.  Should the second pass
 * still fail (preserved memory that is not there after all, an allocation,
 * a custom load or a hook), it is rolled back: the object's own bytes and
 * those of the structs it points to are put back, what it allocated is
 * freed, and the memory it claimed is zeroed and given back.
 *
 * A nested struct is decoded only with a table of its loader description's
 * name, and a table is never decoded inside itself.  The work of opening a
 * stream is O(n log n) in its size.
 */
#define pr_fmt(fmt) "kstate: " fmt

/* Untrusted input must not flood the log. */
#define kstate_err(fmt, ...) pr_err_ratelimited(fmt, ##__VA_ARGS__)

#include <kunit/visibility.h>
#include <linux/bsearch.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <linux/vmalloc.h>

#include "kstate_internal.h"

static const char * const kstate_kind_names[KSTATE_NR_KINDS] = {
	[KSTATE_U8] = "u8", [KSTATE_U16] = "u16", [KSTATE_U32] = "u32",
	[KSTATE_U64] = "u64", [KSTATE_S8] = "s8", [KSTATE_S16] = "s16",
	[KSTATE_S32] = "s32", [KSTATE_S64] = "s64", [KSTATE_BOOL] = "bool",
	[KSTATE_STRING] = "string", [KSTATE_ARRAY] = "array",
	[KSTATE_VARRAY] = "varray", [KSTATE_BUFFER] = "buffer",
	[KSTATE_STRUCT] = "struct", [KSTATE_PTR] = "pointer",
	[KSTATE_FOLIO] = "folio", [KSTATE_PAGES] = "pages",
	[KSTATE_CUSTOM] = "custom",
};

const char *kstate_kind_name(unsigned int kind)
{
	if (kind >= KSTATE_NR_KINDS || !kstate_kind_names[kind])
		return "none";
	return kstate_kind_names[kind];
}

const char *kstate_rule_name(unsigned int rule)
{
	static const char * const names[] = {
		"required", "optional", "must_equal", "deprecated",
	};

	return rule < ARRAY_SIZE(names) ? names[rule] : "?";
}

/**
 * kstate_kind_is_scalar() - is a kind an integer or bool?
 * @kind: a value of &enum kstate_kind, or anything read from a stream.
 *
 * Context: Any context.
 * Return: true for %KSTATE_U8 to %KSTATE_BOOL.
 */
bool kstate_kind_is_scalar(unsigned int kind)
{
	return kind >= KSTATE_U8 && kind <= KSTATE_BOOL;
}
EXPORT_SYMBOL_IF_KUNIT(kstate_kind_is_scalar);

static bool kstate_kind_is_signed(unsigned int kind)
{
	return kind >= KSTATE_S8 && kind <= KSTATE_S64;
}

/**
 * kstate_scalar_width() - the bytes a scalar kind is saved in
 * @kind: a value of &enum kstate_kind, or anything read from a stream.
 *
 * Context: Any context.
 * Return: 1, 2, 4 or 8 for a scalar kind, 0 for any other.
 */
unsigned int kstate_scalar_width(unsigned int kind)
{
	switch (kind) {
	case KSTATE_U8: case KSTATE_S8: case KSTATE_BOOL:
		return 1;
	case KSTATE_U16: case KSTATE_S16:
		return 2;
	case KSTATE_U32: case KSTATE_S32:
		return 4;
	case KSTATE_U64: case KSTATE_S64:
		return 8;
	default:
		return 0;
	}
}
EXPORT_SYMBOL_IF_KUNIT(kstate_scalar_width);

/* ---- bounded reading --------------------------------------------------- */

static bool kstate_get(struct kstate_reader *r, void *buf, size_t len)
{
	if (len > (size_t)(r->end - r->p))
		return false;
	if (buf)
		memcpy(buf, r->p, len);
	r->p += len;
	return true;
}

static bool kstate_get_u8(struct kstate_reader *r, u8 *v)
{
	return kstate_get(r, v, 1);
}

static bool kstate_get_le16(struct kstate_reader *r, u16 *v)
{
	__le16 x;

	if (!kstate_get(r, &x, sizeof(x)))
		return false;
	*v = le16_to_cpu(x);
	return true;
}

static bool kstate_get_le32(struct kstate_reader *r, u32 *v)
{
	__le32 x;

	if (!kstate_get(r, &x, sizeof(x)))
		return false;
	*v = le32_to_cpu(x);
	return true;
}

static bool kstate_get_le64(struct kstate_reader *r, u64 *v)
{
	__le64 x;

	if (!kstate_get(r, &x, sizeof(x)))
		return false;
	*v = le64_to_cpu(x);
	return true;
}

/* Split off the next @len bytes as their own reader. */
static bool kstate_get_sub(struct kstate_reader *r, size_t len,
			   struct kstate_reader *sub)
{
	if (len > (size_t)(r->end - r->p))
		return false;
	sub->p = r->p;
	sub->end = r->p + len;
	r->p += len;
	return true;
}

static bool kstate_get_str(struct kstate_reader *r, const char **s, u16 *len)
{
	size_t left;

	if (!kstate_get_le16(r, len))
		return false;
	left = r->end - r->p;
	if (!kstate_name_ok((const char *)r->p, min_t(size_t, *len, left)))
		return false;
	*s = (const char *)r->p;
	return kstate_get(r, NULL, *len);
}

/**
 * kstate_read() - read bytes in a %KSTATE_CUSTOM load callback
 * @r: the reader passed to the callback.
 * @buf: where to copy them.
 * @len: how many.
 *
 * Context: Any context.
 * Return: 0, or -EINVAL if fewer than @len bytes remain of what the save
 * callback wrote.
 */
int kstate_read(struct kstate_reader *r, void *buf, size_t len)
{
	return kstate_get(r, buf, len) ? 0 : -EINVAL;
}
EXPORT_SYMBOL_GPL(kstate_read);

static bool kstate_name_eq(const char *a, const char *b, u16 blen)
{
	return strlen(a) == blen && !memcmp(a, b, blen);
}

/* Names sort by length, then by their bytes. */
static int kstate_name_cmp(const char *a, size_t alen, const char *b,
			   size_t blen)
{
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return memcmp(a, b, alen);
}

/* What sorting names by kstate_name_cmp() needs: the names and a counter. */
struct kstate_sort {
	const struct kstate_sdesc *sd;	/* its fields; NULL: the tables */
	const struct kstate_sdesc *descs;
	unsigned long *cmps;
};

static int kstate_sort_fields(const void *a, const void *b, const void *priv)
{
	const struct kstate_sort *ks = priv;
	const struct kstate_sfield *x = &ks->sd->fields[*(const u16 *)a];
	const struct kstate_sfield *y = &ks->sd->fields[*(const u16 *)b];

	(*ks->cmps)++;
	return kstate_name_cmp(x->name, x->name_len, y->name, y->name_len);
}

/* By name, then by number, so that the first of a name sorts first. */
static int kstate_sort_descs(const void *a, const void *b, const void *priv)
{
	const struct kstate_sort *ks = priv;
	u32 i = *(const u32 *)a, j = *(const u32 *)b;
	const struct kstate_sdesc *x = &ks->descs[i], *y = &ks->descs[j];
	int c;

	(*ks->cmps)++;
	c = kstate_name_cmp(x->name, x->name_len, y->name, y->name_len);
	if (c)
		return c;
	return i < j ? -1 : i > j;
}

/* The number of the saved field named @name (@len bytes), or -1. */
static int kstate_find_field(const struct kstate_sdesc *sd, const char *name,
			     size_t len)
{
	u32 lo = 0, hi = sd->nr_fields;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		const struct kstate_sfield *sf = &sd->fields[sd->by_name[mid]];
		int c = kstate_name_cmp(name, len, sf->name, sf->name_len);

		if (!c)
			return sd->by_name[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* ---- the tables -------------------------------------------------------- */

#define KSTATE_SFIELD_MIN	(2 + 1 + 3 + 16)	/* bytes per saved field */
/* The smallest DESC record: a one-byte name and no fields. */
#define KSTATE_DESC_REC_MIN	(KSTATE_REC_HDR_SIZE + 2 + 1 + 4 + 4 + 1 + 2 + 2)

static bool kstate_parse_field(struct kstate_reader *r, u32 version,
			       struct kstate_sfield *sf, const char **why)
{
	if (!kstate_get_str(r, &sf->name, &sf->name_len) ||
	    !kstate_get_u8(r, &sf->kind) || !kstate_get_u8(r, &sf->rule) ||
	    !kstate_get_u8(r, &sf->elem) || !kstate_get_le32(r, &sf->version) ||
	    !kstate_get_le32(r, &sf->size) || !kstate_get_le32(r, &sf->count) ||
	    !kstate_get_le32(r, &sf->desc)) {
		*why = "truncated field or bad field name";
		return false;
	}
	*why = "bad field";
	if (sf->rule > KSTATE_MUST_EQUAL || sf->version > version)
		return false;
	switch (sf->kind) {
	case KSTATE_U8 ... KSTATE_BOOL:
		return sf->size == kstate_scalar_width(sf->kind);
	case KSTATE_STRING:
		return sf->size;
	case KSTATE_BUFFER: case KSTATE_CUSTOM:
	case KSTATE_FOLIO: case KSTATE_PAGES:
		return true;
	case KSTATE_STRUCT:
		return sf->desc != KSTATE_NO_DESC;
	case KSTATE_ARRAY: case KSTATE_VARRAY: case KSTATE_PTR:
		/* so that every struct takes at least one byte */
		if (sf->kind == KSTATE_ARRAY && !sf->count)
			return false;
		if (sf->elem == KSTATE_STRUCT)
			return sf->desc != KSTATE_NO_DESC;
		return kstate_kind_is_scalar(sf->elem) &&
		       sf->size == kstate_scalar_width(sf->elem);
	default:
		*why = "unknown field kind";
		return false;
	}
}

static bool kstate_parse_desc(struct kstate_in *in, struct kstate_reader *r,
			      struct kstate_sdesc *sd, const char **why)
{
	struct kstate_sort ks = { .sd = sd, .cmps = &in->nr_name_cmps };
	u32 i;

	*why = "truncated description";
	if (!kstate_get_str(r, &sd->name, &sd->name_len)) {
		sd->name = NULL;
		*why = "bad description name";
		return false;
	}
	if (!kstate_get_le32(r, &sd->version) ||
	    !kstate_get_le32(r, &sd->min_version) ||
	    !kstate_get_u8(r, &sd->flags) ||
	    !kstate_get_le16(r, &sd->nr_fields) ||
	    !kstate_get_le16(r, &sd->nr_subs))
		return false;
	if (sd->min_version > sd->version) {
		*why = "min_version > version";
		return false;
	}
	if (!sd->nr_fields && !sd->nr_subs) {
		*why = "empty description";
		return false;
	}
	if ((size_t)sd->nr_fields * KSTATE_SFIELD_MIN + sd->nr_subs * 4 >
	    (size_t)(r->end - r->p))
		return false;
	sd->fields = kvcalloc(sd->nr_fields, sizeof(*sd->fields), GFP_KERNEL);
	sd->by_name = kvcalloc(sd->nr_fields, sizeof(*sd->by_name), GFP_KERNEL);
	sd->subs = kvcalloc(sd->nr_subs, sizeof(*sd->subs), GFP_KERNEL);
	if ((sd->nr_fields && (!sd->fields || !sd->by_name)) ||
	    (sd->nr_subs && !sd->subs)) {
		*why = "out of memory";
		return false;
	}
	for (i = 0; i < sd->nr_fields; i++) {
		if (!kstate_parse_field(r, sd->version, &sd->fields[i], why))
			return false;
		sd->by_name[i] = i;
	}
	/* Sorted, duplicates are neighbours: O(n log n), not O(n^2). */
	sort_r(sd->by_name, sd->nr_fields, sizeof(*sd->by_name),
	       kstate_sort_fields, NULL, &ks);
	for (i = 1; i < sd->nr_fields; i++) {
		if (!kstate_sort_fields(&sd->by_name[i - 1], &sd->by_name[i],
					&ks)) {
			*why = "duplicate field name";
			return false;
		}
	}
	for (i = 0; i < sd->nr_subs; i++)
		if (!kstate_get_le32(r, &sd->subs[i]))
			return false;
	if (r->p != r->end) {
		*why = "trailing bytes";
		return false;
	}
	return true;
}

/*
 * References between tables must stay inside the table, and names be
 * unique: the tables are sorted by name (which kstate_lookup() searches
 * later), so that tables of one name are neighbours.
 */
static void kstate_check_refs(struct kstate_in *in)
{
	struct kstate_sort ks = { .descs = in->descs,
				  .cmps = &in->nr_name_cmps };
	u32 i, j, n = 0;

	for (i = 0; i < in->nr_descs; i++)
		if (in->descs[i].name)
			in->by_name[n++] = i;
	in->nr_named = n;
	sort_r(in->by_name, n, sizeof(*in->by_name), kstate_sort_descs, NULL,
	       &ks);
	for (i = 1; i < n; i++) {
		struct kstate_sdesc *a = &in->descs[in->by_name[i - 1]];
		struct kstate_sdesc *b = &in->descs[in->by_name[i]];

		in->nr_name_cmps++;
		if (!kstate_name_cmp(a->name, a->name_len, b->name,
				     b->name_len)) {
			a->valid = false;
			b->valid = false;
		}
	}
	for (i = 0; i < in->nr_descs; i++) {
		struct kstate_sdesc *sd = &in->descs[i];

		for (j = 0; sd->valid && j < sd->nr_fields; j++) {
			u32 d = sd->fields[j].desc;

			if (d != KSTATE_NO_DESC && d >= in->nr_descs)
				sd->valid = false;
		}
		for (j = 0; sd->valid && j < sd->nr_subs; j++)
			if (sd->subs[j] >= in->nr_descs)
				sd->valid = false;
		if (!sd->valid)
			kstate_err("stream: description %u (\"%.*s\") is invalid\n",
				   i, sd->name ? sd->name_len : 0,
				   sd->name ?: "");
		cond_resched();
	}
}

static int kstate_inst_cmp(const void *a, const void *b)
{
	const struct kstate_sinst *x = a, *y = b;

	if (x->desc != y->desc)
		return x->desc < y->desc ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return 0;
}

static void kstate_index_instances(struct kstate_in *in,
				   struct kstate_reader *r)
{
	struct kstate_sinst *inst;
	u32 i, len;
	u8 tag;

	while (r->p < r->end) {
		const u8 *rec = r->p;
		size_t left;

		cond_resched();
		if (!kstate_get_u8(r, &tag) || !kstate_get_le32(r, &len)) {
			kstate_err("stream: truncated record at %zu\n",
				   rec - in->data);
			break;
		}
		if (tag != KSTATE_REC_INST) {
			kstate_err("stream: unexpected record %u at %zu\n",
				   tag, rec - in->data);
			break;
		}
		left = r->end - r->p;
		if (len < 12 && len <= left) {
			kstate_err("stream: short instance at %zu\n", rec - in->data);
			r->p += len;
			continue;
		}
		if (left < 12) {
			kstate_err("stream: truncated instance at %zu\n",
				   rec - in->data);
			break;
		}
		if (kstate_grow((void **)&in->index, in->nr_index,
				&in->cap_index, sizeof(*in->index))) {
			kstate_err("stream: out of memory for the index\n");
			break;
		}
		inst = &in->index[in->nr_index++];
		inst->desc = get_unaligned_le32(r->p);
		inst->id = get_unaligned_le64(r->p + 4);
		inst->off = r->p + 12 - in->data;
		inst->state = KSTATE_INST_NEW;
		if (len > left) {
			/* Still indexed, so that its restore says why it fails. */
			kstate_err("stream: instance %llu truncated\n", inst->id);
			inst->len = 0;
			inst->state = KSTATE_INST_BAD;
			break;
		}
		inst->len = len - 12;
		r->p += len;
		if (inst->desc >= in->nr_descs) {
			kstate_err("stream: instance %llu has no description\n",
				   inst->id);
			in->nr_index--;
		}
	}
	sort(in->index, in->nr_index, sizeof(*in->index), kstate_inst_cmp,
	     NULL);
	for (i = 1; i < in->nr_index; i++) {
		if (!kstate_inst_cmp(&in->index[i - 1], &in->index[i])) {
			in->index[i - 1].state = KSTATE_INST_BAD;
			in->index[i].state = KSTATE_INST_BAD;
		}
	}
}

/**
 * kstate_in_init() - prepare a reader that holds no stream
 * @in: the reader.
 *
 * Context: Any context.
 */
void kstate_in_init(struct kstate_in *in)
{
	memset(in, 0, sizeof(*in));
	mutex_init(&in->lock);
}
EXPORT_SYMBOL_IF_KUNIT(kstate_in_init);

static void kstate_in_free_tables(struct kstate_in *in)
{
	u32 i;

	for (i = 0; in->descs && i < in->nr_descs; i++) {
		struct kstate_sdesc *sd = &in->descs[i];

		while (sd->maps) {
			struct kstate_smap *m = sd->maps;

			sd->maps = m->next;
			kvfree(m);
		}
		kvfree(sd->fields);
		kvfree(sd->by_name);
		kvfree(sd->subs);
	}
	kvfree(in->descs);
	kvfree(in->by_name);
	kvfree(in->index);
	in->descs = NULL;
	in->by_name = NULL;
	in->index = NULL;
	in->nr_descs = 0;
	in->nr_named = 0;
	in->nr_index = 0;
	in->cap_index = 0;
}

/**
 * kstate_in_open() - validate and index a stream
 * @in: from kstate_in_init().
 * @data: the stream; it must stay valid until kstate_in_close().
 * @size: its length, at most %KSTATE_STREAM_MAX_SIZE.
 * @ops: how memory fields are restored.
 *
 * The work is O(n log n) in the size of the stream: counts in the stream
 * are checked against what its size can hold before anything is allocated
 * for them, and names are checked for duplicates by sorting.
 *
 * Context: Process context; may sleep.
 * Return: 0, with bad tables and instances marked so that only their
 * restores fail; -EINVAL (one log line, the reason in @in->last_error) if
 * the header or the tables cannot be read at all; -ENOMEM.
 */
int kstate_in_open(struct kstate_in *in, const void *data, size_t size,
		   const struct kstate_mem_ops *ops)
{
	const struct kstate_stream_hdr *hdr = data;
	struct kstate_reader r = { data, data + size };
	const char *why = "bad header";
	u32 i, nr_descs, len;
	u8 tag;

	in->data = data;
	in->size = size;
	in->ops = ops;
	in->state = KSTATE_IN_REFUSED;
	why = "larger than KSTATE_STREAM_MAX_SIZE";
	if (size > KSTATE_STREAM_MAX_SIZE)
		goto refuse;
	why = "bad header";
	if (size < sizeof(*hdr) ||
	    le32_to_cpu(hdr->magic) != KSTATE_STREAM_MAGIC ||
	    le32_to_cpu(hdr->version) != KSTATE_STREAM_VERSION ||
	    le64_to_cpu(hdr->size) != size)
		goto refuse;
	r.p += sizeof(*hdr);
	nr_descs = le32_to_cpu(hdr->nr_descs);
	why = "too many descriptions";
	if (nr_descs > (size - sizeof(*hdr)) / KSTATE_DESC_REC_MIN)
		goto refuse;
	in->descs = kvcalloc(max(nr_descs, 1U), sizeof(*in->descs),
			     GFP_KERNEL);
	in->by_name = kvcalloc(max(nr_descs, 1U), sizeof(*in->by_name),
			       GFP_KERNEL);
	/* The header's count is a hint; the index grows if it lied. */
	in->cap_index = clamp_t(size_t, le32_to_cpu(hdr->nr_instances), 1,
				size / (KSTATE_REC_HDR_SIZE + 12) + 1);
	in->index = kvmalloc_array(in->cap_index, sizeof(*in->index),
				   GFP_KERNEL);
	if (!in->descs || !in->by_name || !in->index) {
		kstate_in_free_tables(in);
		in->state = KSTATE_IN_NONE;
		return -ENOMEM;
	}
	in->nr_descs = nr_descs;
	for (i = 0; i < nr_descs; i++) {
		struct kstate_sdesc *sd = &in->descs[i];
		struct kstate_reader body;

		why = "truncated table";
		if (!kstate_get_u8(&r, &tag) || !kstate_get_le32(&r, &len) ||
		    tag != KSTATE_REC_DESC || !kstate_get_sub(&r, len, &body))
			goto refuse;
		sd->valid = kstate_parse_desc(in, &body, sd, &why);
		if (!sd->valid)
			kstate_err("stream: description %u: %s\n", i, why);
		cond_resched();
	}
	kstate_check_refs(in);
	kstate_index_instances(in, &r);
	in->state = KSTATE_IN_OPEN;
	return 0;
refuse:
	kstate_err("refusing the stream: %s\n", why);
	strscpy(in->last_error, why, sizeof(in->last_error));
	kstate_in_free_tables(in);
	return -EINVAL;
}
EXPORT_SYMBOL_IF_KUNIT(kstate_in_open);

#define KSTATE_DIR_ENTRIES \
	((PAGE_SIZE - sizeof(struct kstate_dir_page)) / sizeof(__le64))

static void kstate_free_pages(const struct kstate_mem_ops *ops,
			      struct page **pages, unsigned int nr)
{
	while (nr--)
		ops->free_pages(pages[nr], 1);
}

/**
 * kstate_in_load_pages() - claim a handed-over stream and open it
 * @in: from kstate_in_init().
 * @dir: physical address of the first directory page.
 * @size: bytes in the stream.
 * @ops: how the pages (and later memory fields) are restored.
 *
 * Every directory and data page must be preserved, and is claimed once, so
 * a page listed twice or a directory loop is refused.  The data pages are
 * mapped contiguously.
 *
 * Context: Process context; may sleep.
 * Return: as kstate_in_open(); on -EINVAL the claimed pages are freed.
 */
int kstate_in_load_pages(struct kstate_in *in, phys_addr_t dir, u64 size,
			 const struct kstate_mem_ops *ops)
{
	unsigned long need = DIV_ROUND_UP(size, PAGE_SIZE), nr_dir = 0;
	struct page **dirs = NULL, **pages;
	const char *why = "size 0 or larger than KSTATE_STREAM_MAX_SIZE";
	unsigned int nr = 0;
	int err = -EINVAL;

	in->state = KSTATE_IN_REFUSED;
	if (!size || size > KSTATE_STREAM_MAX_SIZE)
		goto refuse;
	pages = kvcalloc(need, sizeof(*pages), GFP_KERNEL);
	dirs = kvcalloc(need / KSTATE_DIR_ENTRIES + 1, sizeof(*dirs),
			GFP_KERNEL);
	if (!pages || !dirs) {
		kvfree(pages);
		kvfree(dirs);
		in->state = KSTATE_IN_NONE;
		return -ENOMEM;
	}
	while (dir) {
		const struct kstate_dir_page *dp;
		struct page *page;
		u32 j, n;

		why = "directory longer than the stream";
		if (nr_dir > need / KSTATE_DIR_ENTRIES)
			goto fail;
		why = "directory page not preserved, or listed twice";
		if (!PAGE_ALIGNED(dir))
			goto fail;
		page = ops->restore_pages(dir, 1);
		if (!page)
			goto fail;
		dirs[nr_dir++] = page;
		dp = page_address(page);
		n = le32_to_cpu(dp->nr);
		why = "bad directory page";
		if (le32_to_cpu(dp->magic) != KSTATE_DIR_MAGIC ||
		    n > KSTATE_DIR_ENTRIES)
			goto fail;
		why = "more pages than the size";
		if (n > need - nr)
			goto fail;
		for (j = 0; j < n; j++) {
			phys_addr_t p = le64_to_cpu(dp->pages[j]);

			why = "data page not preserved, or listed twice";
			page = PAGE_ALIGNED(p) ? ops->restore_pages(p, 1) : NULL;
			if (!page)
				goto fail;
			pages[nr++] = page;
		}
		dir = le64_to_cpu(dp->next);
	}
	why = "size beyond the page list";
	if (nr != need)
		goto fail;
	kstate_free_pages(ops, dirs, nr_dir);
	kvfree(dirs);
	in->vaddr = vmap(pages, nr, VM_MAP, PAGE_KERNEL);
	if (!in->vaddr) {
		kstate_free_pages(ops, pages, nr);
		kvfree(pages);
		in->state = KSTATE_IN_NONE;
		return -ENOMEM;
	}
	in->pages = pages;
	in->nr_pages = nr;
	err = kstate_in_open(in, in->vaddr, size, ops);
	if (err == -EINVAL) {
		vunmap(in->vaddr);
		in->vaddr = NULL;
		kstate_free_pages(ops, pages, nr);
		kvfree(pages);
		in->pages = NULL;
		in->nr_pages = 0;
		in->state = KSTATE_IN_REFUSED;
	}
	return err;
fail:
	kstate_free_pages(ops, dirs, nr_dir);
	kstate_free_pages(ops, pages, nr);
	kvfree(dirs);
	kvfree(pages);
refuse:
	kstate_err("refusing the stream: %s\n", why);
	strscpy(in->last_error, why, sizeof(in->last_error));
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(kstate_in_load_pages);

/**
 * kstate_in_close() - release a stream and its index
 * @in: the stream.
 *
 * Frees the pages of a stream from kstate_in_load_pages().  Restores
 * return -ENOENT afterwards.
 *
 * Context: Process context; takes @in->lock, may sleep.
 */
void kstate_in_close(struct kstate_in *in)
{
	mutex_lock(&in->lock);
	kstate_in_free_tables(in);
	if (in->vaddr) {
		vunmap(in->vaddr);
		kstate_free_pages(in->ops, in->pages, in->nr_pages);
		kvfree(in->pages);
	}
	in->vaddr = NULL;
	in->pages = NULL;
	in->nr_pages = 0;
	in->data = NULL;
	in->size = 0;
	in->state = KSTATE_IN_FINISHED;
	mutex_unlock(&in->lock);
}
EXPORT_SYMBOL_IF_KUNIT(kstate_in_close);

/* ---- loading an instance ----------------------------------------------- */

/*
 * What the write pass did that a rollback undoes, in order: a pointer field
 * it filled in with an allocation (@slot set), bytes of a struct the object
 * already pointed to, saved before it wrote them (@dst set), or memory it
 * claimed (@claim set; @nr pages, 0 for a folio).
 */
struct kstate_undo {
	void **slot;
	void *dst;
	void *mem;		/* the allocation, or the saved bytes */
	size_t len;
	void *claim;		/* struct page * or struct folio * */
	unsigned long nr;
};

struct kstate_len {
	void *field;		/* a length field */
	u8 size;
	u32 n;			/* set to the number of elements loaded */
};

struct kstate_ld {
	struct kstate_in *in;
	bool dry;		/* check only, write nothing */
	int err;
	char why[112];
	/* the tables being decoded, outermost first */
	u32 stack[KSTATE_MAX_DEPTH + 1];
	unsigned int nr_stack;
	struct kstate_undo *undo;
	unsigned int nr_undo, cap_undo;
	struct kstate_len *lens;
	unsigned int nr_lens, cap_lens;
};

/* Room for one more undo entry, taken before the step it undoes. */
static int kstate_undo_room(struct kstate_ld *ld)
{
	if (kstate_grow((void **)&ld->undo, ld->nr_undo, &ld->cap_undo,
			sizeof(*ld->undo)))
		return -ENOMEM;
	return 0;
}

static __printf(3, 4) int kstate_fail(struct kstate_ld *ld, int err,
				      const char *fmt, ...)
{
	va_list args;

	if (!ld->err) {
		ld->err = err;
		va_start(args, fmt);
		vsnprintf(ld->why, sizeof(ld->why), fmt, args);
		va_end(args);
	}
	return ld->err;
}

static int kstate_trunc(struct kstate_ld *ld, const struct kstate_sfield *sf)
{
	return kstate_fail(ld, -EINVAL, "field %.*s: truncated", sf->name_len,
			   sf->name);
}

static void kstate_set_uint(void *p, unsigned int size, u64 v)
{
	switch (size) {
	case 1:
		*(u8 *)p = v;
		break;
	case 2:
		*(u16 *)p = v;
		break;
	case 4:
		*(u32 *)p = v;
		break;
	default:
		*(u64 *)p = v;
		break;
	}
}

static u64 kstate_sext(u64 v, unsigned int width)
{
	return width < 8 ? (u64)sign_extend64(v, width * 8 - 1) : v;
}

static u64 kstate_load_uint(const void *p, unsigned int size, bool sgn)
{
	u64 v;

	switch (size) {
	case 1:
		v = *(const u8 *)p;
		break;
	case 2:
		v = *(const u16 *)p;
		break;
	case 4:
		v = *(const u32 *)p;
		break;
	default:
		v = *(const u64 *)p;
		break;
	}
	return sgn ? kstate_sext(v, size) : v;
}

/* Does @v (negative if @neg) fit a field of kind @kind? */
static bool kstate_fits(u64 v, bool neg, unsigned int kind)
{
	unsigned int bits = kstate_scalar_width(kind) * 8;

	if (!kstate_kind_is_signed(kind))
		return !neg && (bits == 64 || v < BIT_ULL(bits));
	if (neg)
		return bits == 64 || (s64)v >= -(s64)BIT_ULL(bits - 1);
	return v < BIT_ULL(bits - 1);
}

static int kstate_load_scalar(struct kstate_ld *ld, struct kstate_reader *r,
			      const struct kstate_sfield *sf,
			      unsigned int skind, unsigned int ssize,
			      unsigned int lkind, enum kstate_rule rule,
			      void *dst)
{
	unsigned int lsize = kstate_scalar_width(lkind);
	bool neg = false;
	u8 buf[8] = {};
	u64 v;

	if (!kstate_get(r, buf, ssize))
		return kstate_trunc(ld, sf);
	v = get_unaligned_le64(buf);
	if (skind == KSTATE_BOOL || lkind == KSTATE_BOOL) {
		if (skind != lkind)
			return kstate_fail(ld, -EINVAL,
					   "field %.*s: saved %s, not %s",
					   sf->name_len, sf->name,
					   kstate_kind_name(skind),
					   kstate_kind_name(lkind));
		if (v > 1)
			return kstate_fail(ld, -EINVAL,
					   "field %.*s: bool of value %llu",
					   sf->name_len, sf->name, v);
	} else {
		if (kstate_kind_is_signed(skind)) {
			v = kstate_sext(v, ssize);
			neg = (s64)v < 0;
		}
		if (!kstate_fits(v, neg, lkind))
			return kstate_fail(ld, -EINVAL,
					   "field %.*s: %lld does not fit %s",
					   sf->name_len, sf->name, (s64)v,
					   kstate_kind_name(lkind));
	}
	if (!dst)
		return 0;
	if (rule == KSTATE_MUST_EQUAL &&
	    kstate_load_uint(dst, lsize, kstate_kind_is_signed(lkind)) != v)
		return kstate_fail(ld, -EINVAL,
				   "field %.*s: saved %lld, must equal %lld",
				   sf->name_len, sf->name, (s64)v,
				   (s64)kstate_load_uint(dst, lsize,
							 kstate_kind_is_signed(lkind)));
	if (!ld->dry)
		kstate_set_uint(dst, lsize, v);
	return 0;
}

static int kstate_load_struct(struct kstate_ld *ld, struct kstate_reader *r,
			      u32 sdi, const struct kstate_description *d,
			      void *obj, int depth);

/*
 * Enter saved table @sdi at nesting @depth.  Tables from a kernel nest
 * without cycles, so a table already being decoded is refused: through a
 * cycle, a stream could make the decode of a table use another loader
 * description's field map, and its work grow exponentially in the depth.
 */
static int kstate_enter(struct kstate_ld *ld, u32 sdi, int depth)
{
	const struct kstate_sdesc *sd = &ld->in->descs[sdi];
	unsigned int i;

	if (depth > KSTATE_MAX_DEPTH)
		return kstate_fail(ld, -EINVAL, "nested deeper than %d",
				   KSTATE_MAX_DEPTH);
	if (!sd->valid)
		return kstate_fail(ld, -EINVAL, "invalid table");
	for (i = 0; i < ld->nr_stack; i++)
		if (ld->stack[i] == sdi)
			return kstate_fail(ld, -EINVAL,
					   "recursion: table \"%.*s\" nests itself",
					   sd->name_len, sd->name);
	if (ld->nr_stack >= ARRAY_SIZE(ld->stack))
		return kstate_fail(ld, -EINVAL, "nested too deep");
	ld->stack[ld->nr_stack++] = sdi;
	return 0;
}

static void kstate_leave(struct kstate_ld *ld)
{
	ld->nr_stack--;
}

static int kstate_load_elems(struct kstate_ld *ld, struct kstate_reader *r,
			     const struct kstate_sfield *sf,
			     const struct kstate_field *lf, u8 *dst, u32 n,
			     int depth)
{
	u32 i;
	int err;

	bool sstruct = sf->elem == KSTATE_STRUCT;
	bool lstruct = lf->elem == KSTATE_STRUCT;

	if (sstruct != lstruct)
		return kstate_fail(ld, -EINVAL,
				   "field %.*s: saved elements of kind %s",
				   sf->name_len, sf->name,
				   kstate_kind_name(sf->elem));
	if (sf->elem == KSTATE_STRUCT) {
		/* Each element takes at least a byte: n is bounded by the data. */
		for (i = 0; i < n; i++) {
			err = kstate_load_struct(ld, r, sf->desc, lf->desc,
						 dst ? dst + i * lf->size : NULL,
						 depth + 1);
			if (err)
				return err;
		}
		return 0;
	}
	/* The common case: same kind and width, on a little-endian CPU. */
	if (sf->elem == lf->elem && sf->elem != KSTATE_BOOL &&
	    IS_ENABLED(CONFIG_CPU_LITTLE_ENDIAN)) {
		size_t bytes = (size_t)n * sf->size;

		if (bytes > (size_t)(r->end - r->p))
			return kstate_trunc(ld, sf);
		if (dst && !ld->dry)
			memcpy(dst, r->p, bytes);
		r->p += bytes;
		return 0;
	}
	for (i = 0; i < n; i++) {
		err = kstate_load_scalar(ld, r, sf, sf->elem, sf->size,
					 lf->elem, KSTATE_REQUIRED,
					 dst ? dst + i * lf->size : NULL);
		if (err)
			return err;
	}
	return 0;
}

static int kstate_skip_value(struct kstate_ld *ld, struct kstate_reader *r,
			     const struct kstate_sfield *sf, int depth);

/* Skip a struct of saved description @sdi, by its table. */
static int kstate_skip_struct(struct kstate_ld *ld, struct kstate_reader *r,
			      u32 sdi, int depth)
{
	const struct kstate_sdesc *sd = &ld->in->descs[sdi];
	u32 i, len;
	u16 nr;
	int err;

	err = kstate_enter(ld, sdi, depth);
	if (err)
		return err;
	for (i = 0; !err && i < sd->nr_fields; i++)
		err = kstate_skip_value(ld, r, &sd->fields[i], depth);
	if (!err && sd->nr_subs) {
		if (!kstate_get_le16(r, &nr))
			err = kstate_fail(ld, -EINVAL, "truncated subsections");
		for (i = 0; !err && i < nr; i++)
			if (!kstate_get(r, NULL, 4) ||
			    !kstate_get_le32(r, &len) ||
			    !kstate_get(r, NULL, len))
				err = kstate_fail(ld, -EINVAL,
						  "truncated subsection");
	}
	kstate_leave(ld);
	return err;
}

static int kstate_skip_elems(struct kstate_ld *ld, struct kstate_reader *r,
			     const struct kstate_sfield *sf, u32 n, int depth)
{
	u32 i;
	int err;

	if (sf->elem != KSTATE_STRUCT)
		return kstate_get(r, NULL, (u64)n * sf->size) ? 0 :
		       kstate_trunc(ld, sf);
	for (i = 0; i < n; i++) {
		err = kstate_skip_struct(ld, r, sf->desc, depth + 1);
		if (err)
			return err;
	}
	return 0;
}

/* Skip a value the loader does not want, checking only its bounds. */
static int kstate_skip_value(struct kstate_ld *ld, struct kstate_reader *r,
			     const struct kstate_sfield *sf, int depth)
{
	u32 n, len;
	u8 present;

	switch (sf->kind) {
	case KSTATE_U8 ... KSTATE_BOOL:
		return kstate_get(r, NULL, sf->size) ? 0 : kstate_trunc(ld, sf);
	case KSTATE_STRING: case KSTATE_BUFFER: case KSTATE_CUSTOM:
		return kstate_get_le32(r, &len) && kstate_get(r, NULL, len) ?
		       0 : kstate_trunc(ld, sf);
	case KSTATE_STRUCT:
		return kstate_skip_struct(ld, r, sf->desc, depth + 1);
	case KSTATE_ARRAY:
		return kstate_skip_elems(ld, r, sf, sf->count, depth);
	case KSTATE_VARRAY:
		if (!kstate_get_le32(r, &n))
			return kstate_trunc(ld, sf);
		return kstate_skip_elems(ld, r, sf, n, depth);
	case KSTATE_PTR:
		if (!kstate_get_u8(r, &present))
			return kstate_trunc(ld, sf);
		if (!present)
			return 0;
		if (!kstate_get_le32(r, &n))
			return kstate_trunc(ld, sf);
		return kstate_skip_elems(ld, r, sf, n, depth);
	case KSTATE_FOLIO:
		return kstate_get(r, NULL, 9) ? 0 : kstate_trunc(ld, sf);
	case KSTATE_PAGES:
		return kstate_get(r, NULL, 12) ? 0 : kstate_trunc(ld, sf);
	default:
		return kstate_fail(ld, -EINVAL, "unknown kind");
	}
}

static int kstate_note_len(struct kstate_ld *ld, void *obj,
			   const struct kstate_field *lf, u32 n)
{
	int err;

	if (ld->dry || !obj || !lf->len_size)
		return 0;
	err = kstate_grow((void **)&ld->lens, ld->nr_lens, &ld->cap_lens,
			  sizeof(*ld->lens));
	if (err)
		return kstate_fail(ld, err, "out of memory");
	ld->lens[ld->nr_lens++] = (struct kstate_len){
		obj + lf->len_offset, lf->len_size, n };
	return 0;
}

static int kstate_load_ptr(struct kstate_ld *ld, struct kstate_reader *r,
			   const struct kstate_sfield *sf,
			   const struct kstate_field *lf, void *obj,
			   int depth)
{
	void **slot = obj ? obj + lf->offset : NULL;
	void *target = slot ? *slot : NULL;
	u8 present;
	u32 n;
	int err;

	if (!kstate_get_u8(r, &present) || (present && !kstate_get_le32(r, &n)))
		return kstate_trunc(ld, sf);
	if (present > 1)
		return kstate_fail(ld, -EINVAL, "field %.*s: bad pointer tag",
				   sf->name_len, sf->name);
	if (!present)
		return 0;
	if (n > sf->count || n > lf->count)
		return kstate_fail(ld, -EINVAL,
				   "field %.*s: %u elements, room for %u",
				   sf->name_len, sf->name, n, lf->count);
	if (slot && !target) {
		if (!lf->alloc)
			return kstate_fail(ld, -EINVAL,
					   "field %.*s: NULL pointer",
					   sf->name_len, sf->name);
		if (!ld->dry) {
			err = kstate_undo_room(ld);
			target = err ? NULL : kvcalloc(max(n, 1U), lf->size,
						       GFP_KERNEL);
			if (!target)
				return kstate_fail(ld, -ENOMEM, "out of memory");
			*slot = target;
			ld->undo[ld->nr_undo++] = (struct kstate_undo){
				.slot = slot, .mem = target };
		}
	} else if (target && !ld->dry && n) {
		/* a struct the object points to: keep its bytes for a rollback */
		void *copy;

		err = kstate_undo_room(ld);
		copy = err ? NULL : kvmemdup(target, (size_t)n * lf->size,
					     GFP_KERNEL);
		if (!copy)
			return kstate_fail(ld, -ENOMEM, "out of memory");
		ld->undo[ld->nr_undo++] = (struct kstate_undo){
			.dst = target, .mem = copy, .len = (size_t)n * lf->size };
	}
	err = kstate_load_elems(ld, r, sf, lf, target, n, depth);
	return err ?: kstate_note_len(ld, obj, lf, n);
}

static int kstate_load_mem(struct kstate_ld *ld, struct kstate_reader *r,
			   const struct kstate_sfield *sf,
			   const struct kstate_field *lf, void *obj)
{
	void **slot = obj ? obj + lf->offset : NULL;
	const struct kstate_mem_ops *ops = ld->in->ops;
	u32 n = 0;
	u64 phys;
	u8 order = 0;

	if (!kstate_get_le64(r, &phys) ||
	    !(sf->kind == KSTATE_FOLIO ? kstate_get_u8(r, &order) :
				       kstate_get_le32(r, &n)))
		return kstate_trunc(ld, sf);
	if (!phys)
		return 0;
	if (!PAGE_ALIGNED(phys) || order > 30 - PAGE_SHIFT ||
	    !IS_ALIGNED(phys, PAGE_SIZE << order))
		return kstate_fail(ld, -EINVAL, "field %.*s: bad address",
				   sf->name_len, sf->name);
	if (sf->kind == KSTATE_PAGES && (!n || n > lf->count))
		return kstate_fail(ld, -EINVAL,
				   "field %.*s: %u pages, room for %u",
				   sf->name_len, sf->name, n, lf->count);
	if (ld->dry || !slot)
		return 0;
	if (kstate_undo_room(ld))
		return kstate_fail(ld, -ENOMEM, "out of memory");
	if (sf->kind == KSTATE_FOLIO) {
		struct folio *folio = ops->restore_folio(phys);

		if (folio)
			ld->undo[ld->nr_undo++] = (struct kstate_undo){
				.claim = folio };
		if (!folio || folio_order(folio) != order)
			return kstate_fail(ld, -EINVAL,
					   "field %.*s: folio at %#llx not preserved",
					   sf->name_len, sf->name, phys);
		*slot = folio;
		return 0;
	}
	*slot = ops->restore_pages(phys, n);
	if (!*slot)
		return kstate_fail(ld, -EINVAL,
				   "field %.*s: pages at %#llx not preserved",
				   sf->name_len, sf->name, phys);
	ld->undo[ld->nr_undo++] = (struct kstate_undo){ .claim = *slot,
							 .nr = n };
	return kstate_note_len(ld, obj, lf, n);
}

static int kstate_load_field(struct kstate_ld *ld, struct kstate_reader *r,
			     const struct kstate_sfield *sf,
			     const struct kstate_field *lf, void *obj,
			     int depth)
{
	u8 *dst = obj ? obj + lf->offset : NULL;
	struct kstate_reader sub;
	u32 n, len;
	int err;

	if (kstate_kind_is_scalar(sf->kind) && kstate_kind_is_scalar(lf->kind))
		return kstate_load_scalar(ld, r, sf, sf->kind, sf->size,
					  lf->kind, lf->rule, dst);
	if (sf->kind != lf->kind)
		return kstate_fail(ld, -EINVAL, "field %.*s: saved %s, not %s",
				   sf->name_len, sf->name,
				   kstate_kind_name(sf->kind),
				   kstate_kind_name(lf->kind));
	switch (sf->kind) {
	case KSTATE_STRING:
	case KSTATE_BUFFER:
		if (!kstate_get_le32(r, &len) || !kstate_get_sub(r, len, &sub))
			return kstate_trunc(ld, sf);
		if (len > lf->size || (sf->kind == KSTATE_STRING &&
				       len >= lf->size))
			return kstate_fail(ld, -EINVAL,
					   "field %.*s: %u bytes, room for %zu",
					   sf->name_len, sf->name, len,
					   lf->size);
		if (dst && !ld->dry) {
			memcpy(dst, sub.p, len);
			if (sf->kind == KSTATE_STRING)
				memset(dst + len, 0, lf->size - len);
		}
		return 0;
	case KSTATE_STRUCT:
		return kstate_load_struct(ld, r, sf->desc, lf->desc, dst,
					  depth + 1);
	case KSTATE_ARRAY:
		if (sf->count > lf->count)
			return kstate_fail(ld, -EINVAL,
					   "field %.*s: %u elements, room for %u",
					   sf->name_len, sf->name, sf->count,
					   lf->count);
		return kstate_load_elems(ld, r, sf, lf, dst, sf->count, depth);
	case KSTATE_VARRAY:
		if (!kstate_get_le32(r, &n))
			return kstate_trunc(ld, sf);
		if (n > sf->count || n > lf->count)
			return kstate_fail(ld, -EINVAL,
					   "field %.*s: %u elements, room for %u",
					   sf->name_len, sf->name, n, lf->count);
		err = kstate_load_elems(ld, r, sf, lf, dst, n, depth);
		return err ?: kstate_note_len(ld, obj, lf, n);
	case KSTATE_PTR:
		return kstate_load_ptr(ld, r, sf, lf, obj, depth);
	case KSTATE_FOLIO:
	case KSTATE_PAGES:
		return kstate_load_mem(ld, r, sf, lf, obj);
	case KSTATE_CUSTOM:
		if (!kstate_get_le32(r, &len) || !kstate_get_sub(r, len, &sub))
			return kstate_trunc(ld, sf);
		if (ld->dry || !obj)
			return 0;
		err = lf->load(&sub, obj, lf, len);
		return err ? kstate_fail(ld, err, "field %.*s: load failed (%d)",
					 sf->name_len, sf->name, err) : 0;
	default:
		return kstate_fail(ld, -EINVAL, "field %.*s: unknown kind %u",
				   sf->name_len, sf->name, sf->kind);
	}
}

/*
 * The map of the saved fields of @sd to the fields of @d, by name; made
 * once per (saved table, loader description) and kept with the table.
 */
static const struct kstate_smap *kstate_map(struct kstate_ld *ld,
					    struct kstate_sdesc *sd,
					    const struct kstate_description *d)
{
	const struct kstate_field *f;
	struct kstate_smap *m;
	int i;

	for (m = sd->maps; m; m = m->next)
		if (m->desc == d)
			return m;
	m = kvzalloc(struct_size(m, field, sd->nr_fields), GFP_KERNEL);
	if (!m) {
		kstate_fail(ld, -ENOMEM, "out of memory");
		return NULL;
	}
	m->desc = d;
	for (f = d->fields; f->kind != KSTATE_KIND_NONE || f->name; f++) {
		i = kstate_find_field(sd, f->name, strlen(f->name));
		if (i >= 0) {
			/* a name reused by a later version is not this field */
			if (f->version_id <= sd->version)
				m->field[i] = f;
			continue;
		}
		/*
		 * A saver of this version or older must have written a field
		 * of its version; a newer one may have deprecated it.
		 */
		if (!m->missing && f->rule != KSTATE_DEPRECATED &&
		    f->version_id <= sd->version && sd->version <= d->version_id)
			m->missing = f->name;
	}
	m->next = sd->maps;
	sd->maps = m;
	return m;
}

static const struct kstate_description *
kstate_find_sub(const struct kstate_description *d,
		const struct kstate_sdesc *ssd)
{
	const struct kstate_description * const *sub;

	for (sub = d->subsections; sub && *sub; sub++)
		if (kstate_name_eq((*sub)->name, ssd->name, ssd->name_len))
			return *sub;
	return NULL;
}

static int kstate_load_subs(struct kstate_ld *ld, struct kstate_reader *r,
			    u32 sdi_parent, const struct kstate_description *d,
			    void *obj, int depth)
{
	const struct kstate_description *ls;
	struct kstate_reader sub;
	struct kstate_sdesc *ssd;
	u32 sdi, len;
	u16 i, nr;
	int err;

	if (!ld->in->descs[sdi_parent].nr_subs)
		return 0;
	if (!kstate_get_le16(r, &nr))
		return kstate_fail(ld, -EINVAL, "truncated subsections");
	for (i = 0; i < nr; i++) {
		if (!kstate_get_le32(r, &sdi) || !kstate_get_le32(r, &len) ||
		    !kstate_get_sub(r, len, &sub))
			return kstate_fail(ld, -EINVAL, "truncated subsection");
		if (sdi >= ld->in->nr_descs || !ld->in->descs[sdi].valid)
			return kstate_fail(ld, -EINVAL, "bad subsection");
		ssd = &ld->in->descs[sdi];
		ls = kstate_find_sub(d, ssd);
		if (!ls) {
			if (ssd->flags & KSTATE_DESC_OPTIONAL)
				continue;
			return kstate_fail(ld, -EOPNOTSUPP,
					   "unknown required subsection %.*s",
					   ssd->name_len, ssd->name);
		}
		err = kstate_load_struct(ld, &sub, sdi, ls, obj, depth + 1);
		if (err)
			return err;
		if (sub.p != sub.end)
			return kstate_fail(ld, -EINVAL,
					   "subsection %s: trailing bytes",
					   ls->name);
	}
	return 0;
}

/* The fields and subsections of a struct of table @sdi, into @obj. */
static int kstate_load_fields(struct kstate_ld *ld, struct kstate_reader *r,
			      u32 sdi, const struct kstate_description *d,
			      void *obj, int depth)
{
	struct kstate_sdesc *sd = &ld->in->descs[sdi];
	unsigned int lens = ld->nr_lens, i;
	bool write = obj && !ld->dry;
	const struct kstate_smap *m;
	int err;

	/* Only a table of the loader's name has the loader's layout. */
	if (!kstate_name_eq(d->name, sd->name, sd->name_len))
		return kstate_fail(ld, -EINVAL,
				   "table \"%.*s\" where \"%s\" belongs",
				   sd->name_len, sd->name, d->name);
	if (sd->version < d->min_version_id)
		return kstate_fail(ld, -EOPNOTSUPP,
				   "%s: saved version %u, oldest loaded %u",
				   d->name, sd->version, d->min_version_id);
	m = kstate_map(ld, sd, d);
	if (!m)
		return ld->err;
	if (m->missing)
		return kstate_fail(ld, -EINVAL, "%s: field %s is missing",
				   d->name, m->missing);
	if (write && d->pre_load) {
		err = d->pre_load(obj);
		if (err)
			return kstate_fail(ld, err, "%s: pre_load failed (%d)",
					   d->name, err);
	}
	for (i = 0; i < sd->nr_fields; i++) {
		const struct kstate_sfield *sf = &sd->fields[i];
		const struct kstate_field *lf = m->field[i];

		if (!lf) {
			if (sf->rule != KSTATE_OPTIONAL)
				return kstate_fail(ld, -EOPNOTSUPP,
						   "unknown required field %.*s",
						   sf->name_len, sf->name);
			err = kstate_skip_value(ld, r, sf, depth);
		} else if (lf->rule == KSTATE_DEPRECATED) {
			err = kstate_skip_value(ld, r, sf, depth);
		} else {
			err = kstate_load_field(ld, r, sf, lf, obj, depth);
		}
		if (err)
			return err;
	}
	err = kstate_load_subs(ld, r, sdi, d, obj, depth);
	if (err)
		return err;
	/* Length fields end up matching what was loaded, whatever the order. */
	for (i = lens; i < ld->nr_lens; i++)
		kstate_set_uint(ld->lens[i].field, ld->lens[i].size,
				ld->lens[i].n);
	ld->nr_lens = lens;
	if (write && d->post_load) {
		err = d->post_load(obj, sd->version);
		if (err)
			return kstate_fail(ld, err, "%s: post_load failed (%d)",
					   d->name, err);
	}
	return 0;
}

static int kstate_load_struct(struct kstate_ld *ld, struct kstate_reader *r,
			      u32 sdi, const struct kstate_description *d,
			      void *obj, int depth)
{
	int err = kstate_enter(ld, sdi, depth);

	if (err)
		return err;
	err = kstate_load_fields(ld, r, sdi, d, obj, depth);
	kstate_leave(ld);
	return err;
}

/* The instance @id of the first saved table named @name, by binary search. */
static struct kstate_sinst *kstate_lookup(struct kstate_in *in,
					  const char *name, u64 id)
{
	struct kstate_sinst key = { .id = id };
	size_t len = strlen(name);
	u32 lo = 0, hi = in->nr_named;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		const struct kstate_sdesc *sd = &in->descs[in->by_name[mid]];

		if (kstate_name_cmp(name, len, sd->name, sd->name_len) <= 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (lo == in->nr_named ||
	    !kstate_name_eq(name, in->descs[in->by_name[lo]].name,
			    in->descs[in->by_name[lo]].name_len))
		return NULL;
	key.desc = in->by_name[lo];
	return bsearch(&key, in->index, in->nr_index, sizeof(*in->index),
		       kstate_inst_cmp);
}

/*
 * Undo a failed write pass, last step first, so that every slot and every
 * saved struct is still mapped when it is put back.  Memory it claimed is
 * given back zeroed: it may hold a tenant's data.
 */
static void kstate_rollback(struct kstate_in *in, struct kstate_ld *ld)
{
	const struct kstate_mem_ops *ops = in->ops;
	unsigned int i;
	unsigned long j;

	for (i = ld->nr_undo; i--; ) {
		struct kstate_undo *u = &ld->undo[i];

		if (u->slot) {
			*u->slot = NULL;
			kvfree(u->mem);
		} else if (u->dst) {
			memcpy(u->dst, u->mem, u->len);
			kvfree(u->mem);
		} else if (u->nr) {
			for (j = 0; j < u->nr; j++)
				clear_highpage((struct page *)u->claim + j);
			ops->free_pages(u->claim, u->nr);
		} else {
			folio_zero_range(u->claim, 0, folio_size(u->claim));
			ops->free_folio(u->claim);
		}
	}
	ld->nr_undo = 0;
}

static int kstate_decode(struct kstate_ld *ld, struct kstate_sinst *inst,
			 const struct kstate_description *d, void *obj)
{
	struct kstate_reader r = {
		ld->in->data + inst->off, ld->in->data + inst->off + inst->len
	};
	int err;

	err = kstate_load_struct(ld, &r, inst->desc, d, obj, 0);
	if (!err && r.p != r.end)
		err = kstate_fail(ld, -EINVAL, "trailing bytes");
	return err;
}

/**
 * kstate_in_restore() - load one saved instance into an object
 * @in: an opened stream.
 * @desc: the object's description; its name selects the saved instances.
 * @obj: the object; fields the stream lacks keep their values.
 * @id: the instance id.
 *
 * Context: Process context; takes @in->lock, may sleep.
 * Return: 0; -ENOENT if nothing was saved for (@desc->name, @id) or the
 * stream is gone; -EALREADY if it was restored already; -EOPNOTSUPP if it
 * (or a struct in it) was saved by a version below the description's
 * min_version_id or needs fields this kernel does not know; -EINVAL if it
 * is malformed, nests a table of another name or a table inside itself
 * (one log line); -ENOMEM; or the error of a pre_load, post_load or custom
 * load callback.  On any error @obj and the structs it points to are as
 * they were, and no memory stays claimed.
 */
int kstate_in_restore(struct kstate_in *in,
		      const struct kstate_description *desc, void *obj, u64 id)
{
	struct kstate_ld ld = { .in = in, .dry = true };
	struct kstate_sinst *inst;
	struct kstate_sdesc *sd;
	void *snap = NULL;
	unsigned int i;
	int err;

	if (!obj || !desc || !desc->name)
		return -EINVAL;
	mutex_lock(&in->lock);
	err = in->state == KSTATE_IN_REFUSED ? -EINVAL : -ENOENT;
	if (in->state != KSTATE_IN_OPEN)
		goto out;
	err = -EINVAL;
	if (in->checked != desc) {
		if (kstate_validate_desc(desc))
			goto out;
		in->checked = desc;
	}
	err = -ENOENT;
	inst = kstate_lookup(in, desc->name, id);
	if (!inst)
		goto out;
	sd = &in->descs[inst->desc];
	if (inst->state == KSTATE_INST_DONE) {
		err = -EALREADY;
		goto out;
	}
	if (inst->state == KSTATE_INST_BAD || !sd->valid) {
		kstate_fail(&ld, -EINVAL, "duplicate, truncated or invalid");
		goto log;
	}
	if (sd->version < desc->min_version_id) {
		kstate_fail(&ld, -EOPNOTSUPP, "saved version %u, oldest loaded %u",
			    sd->version, desc->min_version_id);
		goto log;
	}
	if (kstate_decode(&ld, inst, desc, obj))
		goto log;
	/*
	 * What the check cannot see (memory that is not preserved after all,
	 * allocations, custom loads, hooks) may still fail the second pass:
	 * then the object's bytes are put back, what was allocated is freed,
	 * and the instance cannot be restored again.
	 */
	snap = kmemdup(obj, desc->size, GFP_KERNEL);
	err = -ENOMEM;
	if (!snap)
		goto out;
	ld.dry = false;
	inst->state = KSTATE_INST_DONE;
	if (kstate_decode(&ld, inst, desc, obj)) {
		kstate_rollback(in, &ld);
		memcpy(obj, snap, desc->size);
		inst->state = KSTATE_INST_BAD;
		goto log;
	}
	err = 0;
	goto out;
log:
	err = ld.err;
	strscpy(in->last_error, ld.why, sizeof(in->last_error));
	kstate_err("cannot restore \"%s\" instance %llu: %s\n", desc->name,
		   id, ld.why);
out:
	mutex_unlock(&in->lock);
	kfree(snap);
	for (i = 0; i < ld.nr_undo; i++)
		if (ld.undo[i].dst)
			kvfree(ld.undo[i].mem);
	kvfree(ld.undo);
	kvfree(ld.lens);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(kstate_in_restore);
