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
 * a custom load or a hook), the object's own bytes are put back and what
 * it allocated is freed; what it wrote into structs the object already
 * pointed to stays written, and memory it claimed stays claimed.
 */
#define pr_fmt(fmt) "kstate: " fmt

/* Untrusted input must not flood the log. */
#define kstate_err(fmt, ...) pr_err_ratelimited(fmt, ##__VA_ARGS__)

#include <kunit/visibility.h>
#include <linux/bsearch.h>
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

bool kstate_kind_is_scalar(unsigned int kind)
{
	return kind >= KSTATE_U8 && kind <= KSTATE_BOOL;
}
EXPORT_SYMBOL_IF_KUNIT(kstate_kind_is_scalar);

static bool kstate_kind_is_signed(unsigned int kind)
{
	return kind >= KSTATE_S8 && kind <= KSTATE_S64;
}

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

/* ---- the tables -------------------------------------------------------- */

#define KSTATE_SFIELD_MIN	(2 + 1 + 3 + 16)	/* bytes per saved field */

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

static bool kstate_parse_desc(struct kstate_reader *r, struct kstate_sdesc *sd,
			      const char **why)
{
	u32 i, j;

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
	sd->subs = kvcalloc(sd->nr_subs, sizeof(*sd->subs), GFP_KERNEL);
	if ((sd->nr_fields && !sd->fields) || (sd->nr_subs && !sd->subs)) {
		*why = "out of memory";
		return false;
	}
	for (i = 0; i < sd->nr_fields; i++) {
		if (!kstate_parse_field(r, sd->version, &sd->fields[i], why))
			return false;
		for (j = 0; j < i; j++) {
			if (sd->fields[j].name_len == sd->fields[i].name_len &&
			    !memcmp(sd->fields[j].name, sd->fields[i].name,
				    sd->fields[i].name_len)) {
				*why = "duplicate field name";
				return false;
			}
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

/* References between tables must stay inside the table, names be unique. */
static void kstate_check_refs(struct kstate_in *in)
{
	u32 i, j;

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
		for (j = 0; sd->name && j < i; j++) {
			struct kstate_sdesc *o = &in->descs[j];

			if (o->name && o->name_len == sd->name_len &&
			    !memcmp(o->name, sd->name, sd->name_len)) {
				o->valid = false;
				sd->valid = false;
			}
		}
		if (!sd->valid)
			kstate_err("stream: description %u (\"%.*s\") is invalid\n",
				   i, sd->name ? sd->name_len : 0,
				   sd->name ?: "");
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
		kvfree(in->descs[i].fields);
		kvfree(in->descs[i].subs);
		kvfree(in->descs[i].map);
	}
	kvfree(in->descs);
	kvfree(in->index);
	in->descs = NULL;
	in->index = NULL;
	in->nr_descs = 0;
	in->nr_index = 0;
	in->cap_index = 0;
}

/**
 * kstate_in_open() - validate and index a stream
 * @in: from kstate_in_init().
 * @data: the stream; it must stay valid until kstate_in_close().
 * @size: its length.
 * @ops: how memory fields are restored.
 *
 * Return: 0, with bad tables and instances marked so that only their
 * restores fail; -EINVAL (one log line) if the header or the tables cannot
 * be read at all; -ENOMEM.
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
	if (size < sizeof(*hdr) ||
	    le32_to_cpu(hdr->magic) != KSTATE_STREAM_MAGIC ||
	    le32_to_cpu(hdr->version) != KSTATE_STREAM_VERSION ||
	    le64_to_cpu(hdr->size) != size)
		goto refuse;
	r.p += sizeof(*hdr);
	nr_descs = le32_to_cpu(hdr->nr_descs);
	why = "too many descriptions";
	if (nr_descs > size / KSTATE_REC_HDR_SIZE)
		goto refuse;
	in->descs = kvcalloc(max(nr_descs, 1U), sizeof(*in->descs),
			     GFP_KERNEL);
	/* The header's count is a hint; the index grows if it lied. */
	in->cap_index = clamp_t(size_t, le32_to_cpu(hdr->nr_instances), 1,
				size / (KSTATE_REC_HDR_SIZE + 12) + 1);
	in->index = kvmalloc_array(in->cap_index, sizeof(*in->index),
				   GFP_KERNEL);
	if (!in->descs || !in->index) {
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
		sd->valid = kstate_parse_desc(&body, sd, &why);
		if (!sd->valid)
			kstate_err("stream: description %u: %s\n", i, why);
	}
	kstate_check_refs(in);
	kstate_index_instances(in, &r);
	in->state = KSTATE_IN_OPEN;
	return 0;
refuse:
	kstate_err("refusing the stream: %s\n", why);
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
 * Return: as kstate_in_open(); on -EINVAL the claimed pages are freed.
 */
int kstate_in_load_pages(struct kstate_in *in, phys_addr_t dir, u64 size,
			 const struct kstate_mem_ops *ops)
{
	unsigned long need = DIV_ROUND_UP(size, PAGE_SIZE), nr_dir = 0;
	struct page **dirs = NULL, **pages;
	const char *why = "bad size";
	unsigned int nr = 0;
	int err = -EINVAL;

	in->state = KSTATE_IN_REFUSED;
	if (!size || size > SZ_1G * 64ULL)
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
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(kstate_in_load_pages);

/**
 * kstate_in_close() - release a stream and its index
 * @in: the stream.
 *
 * Frees the pages of a stream from kstate_in_load_pages().  Restores
 * return -ENOENT afterwards.
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

struct kstate_undo {
	void **slot;		/* a pointer field we filled in */
	void *mem;		/* with this allocation */
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
	struct kstate_undo *undo;
	unsigned int nr_undo, cap_undo;
	struct kstate_len *lens;
	unsigned int nr_lens, cap_lens;
};

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

	if (depth > KSTATE_MAX_DEPTH)
		return kstate_fail(ld, -EINVAL, "nested deeper than %d",
				   KSTATE_MAX_DEPTH);
	if (!sd->valid)
		return kstate_fail(ld, -EINVAL, "invalid table");
	for (i = 0; i < sd->nr_fields; i++) {
		err = kstate_skip_value(ld, r, &sd->fields[i], depth);
		if (err)
			return err;
	}
	if (!sd->nr_subs)
		return 0;
	if (!kstate_get_le16(r, &nr))
		return kstate_fail(ld, -EINVAL, "truncated subsections");
	for (i = 0; i < nr; i++)
		if (!kstate_get(r, NULL, 4) || !kstate_get_le32(r, &len) ||
		    !kstate_get(r, NULL, len))
			return kstate_fail(ld, -EINVAL, "truncated subsection");
	return 0;
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
			err = kstate_grow((void **)&ld->undo, ld->nr_undo,
					  &ld->cap_undo, sizeof(*ld->undo));
			target = err ? NULL : kvcalloc(max(n, 1U), lf->size,
						       GFP_KERNEL);
			if (!target)
				return kstate_fail(ld, -ENOMEM, "out of memory");
			*slot = target;
			ld->undo[ld->nr_undo++] = (struct kstate_undo){
				slot, target };
		}
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
	if (sf->kind == KSTATE_FOLIO) {
		struct folio *folio = ops->restore_folio(phys);

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

/* Map the saved fields of @sd to the fields of @d, by name; cached. */
static int kstate_map(struct kstate_ld *ld, struct kstate_sdesc *sd,
		      const struct kstate_description *d)
{
	const struct kstate_field *f;
	u32 i;

	if (sd->map_for == d)
		return 0;
	kvfree(sd->map);
	sd->map_for = NULL;
	sd->missing = NULL;
	sd->map = kvcalloc(max_t(u32, sd->nr_fields, 1), sizeof(*sd->map),
			   GFP_KERNEL);
	if (!sd->map)
		return kstate_fail(ld, -ENOMEM, "out of memory");
	for (f = d->fields; f->kind != KSTATE_KIND_NONE || f->name; f++) {
		bool found = false;

		for (i = 0; i < sd->nr_fields; i++) {
			if (kstate_name_eq(f->name, sd->fields[i].name,
					   sd->fields[i].name_len)) {
				/* a name reused by a later version is not this field */
				if (f->version_id <= sd->version)
					sd->map[i] = f;
				found = true;
				break;
			}
		}
		/*
		 * A saver of this version or older must have written a field
		 * of its version; a newer one may have deprecated it.
		 */
		if (!found && !sd->missing && f->rule != KSTATE_DEPRECATED &&
		    f->version_id <= sd->version && sd->version <= d->version_id)
			sd->missing = f->name;
	}
	sd->map_for = d;
	return 0;
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

static int kstate_load_struct(struct kstate_ld *ld, struct kstate_reader *r,
			      u32 sdi, const struct kstate_description *d,
			      void *obj, int depth)
{
	struct kstate_sdesc *sd = &ld->in->descs[sdi];
	unsigned int lens = ld->nr_lens, i;
	bool write = obj && !ld->dry;
	int err;

	if (depth > KSTATE_MAX_DEPTH)
		return kstate_fail(ld, -EINVAL, "nested deeper than %d",
				   KSTATE_MAX_DEPTH);
	if (!sd->valid)
		return kstate_fail(ld, -EINVAL, "invalid table");
	if (sd->version < d->min_version_id)
		return kstate_fail(ld, -EOPNOTSUPP,
				   "%s: saved version %u, oldest loaded %u",
				   d->name, sd->version, d->min_version_id);
	err = kstate_map(ld, sd, d);
	if (err)
		return err;
	if (sd->missing)
		return kstate_fail(ld, -EINVAL, "%s: field %s is missing",
				   d->name, sd->missing);
	if (write && d->pre_load) {
		err = d->pre_load(obj);
		if (err)
			return kstate_fail(ld, err, "%s: pre_load failed (%d)",
					   d->name, err);
	}
	for (i = 0; i < sd->nr_fields; i++) {
		const struct kstate_sfield *sf = &sd->fields[i];
		const struct kstate_field *lf = sd->map[i];

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

static struct kstate_sinst *kstate_lookup(struct kstate_in *in,
					  const char *name, u64 id)
{
	struct kstate_sinst key = { .id = id };
	u32 i;

	for (i = 0; i < in->nr_descs; i++) {
		if (in->descs[i].name &&
		    kstate_name_eq(name, in->descs[i].name,
				   in->descs[i].name_len)) {
			key.desc = i;
			return bsearch(&key, in->index, in->nr_index,
				       sizeof(*in->index), kstate_inst_cmp);
		}
	}
	return NULL;
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
 * Return: 0; -ENOENT if nothing was saved for (@desc->name, @id) or the
 * stream is gone; -EALREADY if it was restored already; -EOPNOTSUPP if it
 * (or a struct in it) was saved by a version below the description's
 * min_version_id or needs fields this kernel does not know; -EINVAL if it
 * is malformed (one log line, @obj unchanged); -ENOMEM; or the error of a
 * pre_load, post_load or custom load callback.
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
		/* innermost first, so that every slot is still mapped */
		for (i = ld.nr_undo; i--; ) {
			*ld.undo[i].slot = NULL;
			kvfree(ld.undo[i].mem);
		}
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
	kvfree(ld.undo);
	kvfree(ld.lens);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(kstate_in_restore);
