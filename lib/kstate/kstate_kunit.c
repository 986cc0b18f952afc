// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for KSTATE.
 *
 * Streams are written into pages and read back through the same page-list
 * code the kexec path uses, with a stub in place of KHO: "preserving" a
 * page records it, "restoring" it checks and forgets the record, so a page
 * restored twice or never preserved is caught exactly as KHO would.
 */
#include <kunit/test.h>
#include <kunit/visibility.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/prandom.h>
#include <linux/seq_buf.h>
#include <linux/slab.h>
#include <linux/unaligned.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>

#include "kstate_internal.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* ---- the KHO stub ------------------------------------------------------ */

static DEFINE_XARRAY(stub_preserved);	/* pfn -> pages (folio: 0) + 1 */

static int stub_preserve(unsigned long pfn, unsigned long nr)
{
	return xa_insert(&stub_preserved, pfn, xa_mk_value(nr + 1), GFP_KERNEL);
}

static bool stub_claim(unsigned long pfn, unsigned long nr)
{
	void *e = xa_load(&stub_preserved, pfn);

	if (!e || xa_to_value(e) != nr + 1)
		return false;
	xa_erase(&stub_preserved, pfn);
	return true;
}

static int stub_preserve_pages(struct page *page, unsigned long nr)
{
	return stub_preserve(page_to_pfn(page), nr);
}

static int stub_unpreserve_pages(struct page *page, unsigned long nr)
{
	return stub_claim(page_to_pfn(page), nr) ? 0 : -ENOENT;
}

static struct page *stub_restore_pages(phys_addr_t phys, unsigned long nr)
{
	return stub_claim(PHYS_PFN(phys), nr) ? pfn_to_page(PHYS_PFN(phys)) :
						NULL;
}

static void stub_free_pages(struct page *page, unsigned long nr)
{
	/* the writer owns the pages in these tests */
}

static int stub_preserve_folio(struct folio *folio)
{
	return stub_preserve(folio_pfn(folio), 0);
}

static int stub_unpreserve_folio(struct folio *folio)
{
	return stub_claim(folio_pfn(folio), 0) ? 0 : -ENOENT;
}

static struct folio *stub_restore_folio(phys_addr_t phys)
{
	return stub_claim(PHYS_PFN(phys), 0) ? pfn_folio(PHYS_PFN(phys)) : NULL;
}

static const struct kstate_mem_ops stub_ops = {
	.preserve_pages = stub_preserve_pages,
	.unpreserve_pages = stub_unpreserve_pages,
	.restore_pages = stub_restore_pages,
	.free_pages = stub_free_pages,
	.preserve_folio = stub_preserve_folio,
	.unpreserve_folio = stub_unpreserve_folio,
	.restore_folio = stub_restore_folio,
};

/* ---- a session: registry, writer, reader ------------------------------- */

struct ks_session {
	struct kstate_out out;
	struct kstate_writer w;
	struct kstate_in in;
	void *linear;
};

static void ks_session_exit(void *arg)
{
	struct ks_session *s = arg;
	unsigned long pfn;
	void *e;

	kstate_in_close(&s->in);
	kstate_writer_destroy(&s->w);
	kstate_out_destroy(&s->out);
	kvfree(s->linear);
	xa_for_each(&stub_preserved, pfn, e)
		xa_erase(&stub_preserved, pfn);
}

static struct ks_session *ks_session(struct kunit *test)
{
	struct ks_session *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	kstate_out_init(&s->out);
	kstate_writer_init(&s->w, &stub_ops);
	kstate_in_init(&s->in);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test,
							   ks_session_exit, s));
	return s;
}

/* Save what is registered and open it through the page list. */
static void ks_handover(struct kunit *test, struct ks_session *s)
{
	phys_addr_t dir;

	KUNIT_ASSERT_EQ(test, 0, kstate_write_stream(&s->w, &s->out));
	KUNIT_ASSERT_EQ(test, 0, kstate_writer_publish(&s->w, &dir));
	KUNIT_ASSERT_EQ(test, 0, kstate_in_load_pages(&s->in, dir, s->w.size,
						      &stub_ops));
}

/* Save what is registered and return a copy of the stream to tamper with. */
static u8 *ks_saved_copy(struct kunit *test, struct ks_session *s)
{
	KUNIT_ASSERT_EQ(test, 0, kstate_write_stream(&s->w, &s->out));
	s->linear = kstate_writer_linearize(&s->w);
	KUNIT_ASSERT_NOT_NULL(test, s->linear);
	return s->linear;
}

/* ---- descriptions ------------------------------------------------------ */

struct ks_inner {
	u32 a;
	s16 b;
	u8 tag[4];
};

static const struct kstate_field ks_inner_fields[] = {
	KSTATE_U32(struct ks_inner, a, 1),
	KSTATE_S16(struct ks_inner, b, 1),
	KSTATE_ARRAY(struct ks_inner, tag, KSTATE_U8, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_inner_desc = {
	.name = "kstate-test,inner",
	.version_id = 1,
	.size = sizeof(struct ks_inner),
	.fields = ks_inner_fields,
};

struct ks_all {
	u8 u8v;
	u16 u16v;
	u32 u32v;
	u64 u64v;
	s8 s8v;
	s16 s16v;
	s32 s32v;
	s64 s64v;
	bool flag;
	char name[16];
	u32 fixed[4];
	struct ks_inner inners[2];
	u32 nr_regs;
	u64 regs[8];
	u16 nr_items;
	struct ks_inner items[3];
	u8 blob[5];
	struct ks_inner nested;
	struct ks_inner *pinner;
	u32 nr_vals;
	u32 *vals;
	struct folio *folio;
	u32 nr_pages;
	struct page *pages;
	u32 custom;
};

static int ks_custom_save(struct kstate_writer *w, const void *obj,
			  const struct kstate_field *f)
{
	u32 v = *(const u32 *)(obj + f->offset) ^ 0xa5a5a5a5;

	return kstate_write(w, &v, sizeof(v));
}

static int ks_custom_load(struct kstate_reader *r, void *obj,
			  const struct kstate_field *f, size_t len)
{
	u32 v;

	if (len != sizeof(v) || kstate_read(r, &v, sizeof(v)))
		return -EINVAL;
	*(u32 *)(obj + f->offset) = v ^ 0xa5a5a5a5;
	return 0;
}

static const struct kstate_field ks_all_fields[] = {
	KSTATE_U8(struct ks_all, u8v, 1),
	KSTATE_U16(struct ks_all, u16v, 1),
	KSTATE_U32(struct ks_all, u32v, 1),
	KSTATE_U64(struct ks_all, u64v, 1),
	KSTATE_S8(struct ks_all, s8v, 1),
	KSTATE_S16(struct ks_all, s16v, 1),
	KSTATE_S32(struct ks_all, s32v, 1),
	KSTATE_S64(struct ks_all, s64v, 1),
	KSTATE_BOOL(struct ks_all, flag, 1),
	KSTATE_STRING(struct ks_all, name, 1),
	KSTATE_ARRAY(struct ks_all, fixed, KSTATE_U32, 1),
	KSTATE_STRUCT_ARRAY(struct ks_all, inners, &ks_inner_desc, 1),
	KSTATE_VARRAY(struct ks_all, regs, nr_regs, KSTATE_U64, NULL, 1),
	KSTATE_VARRAY(struct ks_all, items, nr_items, KSTATE_STRUCT,
		      &ks_inner_desc, 1),
	KSTATE_BUFFER(struct ks_all, blob, 1),
	KSTATE_STRUCT(struct ks_all, nested, &ks_inner_desc, 1),
	KSTATE_PTR_STRUCT(struct ks_all, pinner, &ks_inner_desc, 1),
	KSTATE_PTR_VARRAY(struct ks_all, vals, nr_vals, 16, KSTATE_U32, NULL, 1),
	KSTATE_FOLIO(struct ks_all, folio, 1),
	KSTATE_PAGES(struct ks_all, pages, nr_pages, 4, 1),
	KSTATE_CUSTOM(struct ks_all, custom, ks_custom_save, ks_custom_load, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_all_desc = {
	.name = "kstate-test,all",
	.version_id = 1,
	.size = sizeof(struct ks_all),
	.fields = ks_all_fields,
};

static void ks_inner_fill(struct ks_inner *in, u32 seed)
{
	in->a = seed * 2654435761U;
	in->b = -(s16)(seed & 0x7fff);
	in->tag[0] = seed;
	in->tag[1] = seed >> 8;
	in->tag[2] = 0xee;
	in->tag[3] = 0x11;
}

static void ks_inner_expect(struct kunit *test, const struct ks_inner *x,
			    const struct ks_inner *y)
{
	KUNIT_EXPECT_EQ(test, x->a, y->a);
	KUNIT_EXPECT_EQ(test, x->b, y->b);
	KUNIT_EXPECT_MEMEQ(test, x->tag, y->tag, sizeof(x->tag));
}

/* ---- tests ------------------------------------------------------------- */

static void kstate_test_all_kinds(struct kunit *test)
{
	struct ks_session *s = ks_session(test);
	struct ks_all *src, *dst;
	struct ks_inner *pin;
	struct folio *folio;
	struct page *pages;
	u32 *vals, i;

	src = kunit_kzalloc(test, sizeof(*src), GFP_KERNEL);
	dst = kunit_kzalloc(test, sizeof(*dst), GFP_KERNEL);
	pin = kunit_kzalloc(test, sizeof(*pin), GFP_KERNEL);
	vals = kunit_kcalloc(test, 5, sizeof(*vals), GFP_KERNEL);
	folio = folio_alloc(GFP_KERNEL, 2);
	pages = alloc_pages(GFP_KERNEL, 2);
	KUNIT_ASSERT_TRUE(test, src && dst && pin && vals && folio && pages);

	src->u8v = 0xfe;
	src->u16v = 0xbeef;
	src->u32v = 0xdeadbeef;
	src->u64v = 0x0123456789abcdefULL;
	src->s8v = -7;
	src->s16v = -30000;
	src->s32v = -2000000000;
	src->s64v = S64_MIN + 3;
	src->flag = true;
	strscpy(src->name, "eth0 \"quoted\"", sizeof(src->name));
	for (i = 0; i < 4; i++)
		src->fixed[i] = 1000 + i;
	ks_inner_fill(&src->inners[0], 1);
	ks_inner_fill(&src->inners[1], 2);
	src->nr_regs = 5;
	for (i = 0; i < 5; i++)
		src->regs[i] = 0x1111111111111111ULL * (i + 1);
	src->regs[6] = 0x77;		/* beyond nr_regs: not saved */
	src->nr_items = 2;
	ks_inner_fill(&src->items[0], 10);
	ks_inner_fill(&src->items[1], 11);
	memcpy(src->blob, "\x00\x01\xfe\xff\x80", 5);
	ks_inner_fill(&src->nested, 42);
	ks_inner_fill(pin, 77);
	src->pinner = pin;
	for (i = 0; i < 5; i++)
		vals[i] = i * i;
	src->nr_vals = 5;
	src->vals = vals;
	src->folio = folio;
	src->nr_pages = 3;
	src->pages = pages;
	src->custom = 0x12345678;

	KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_all_desc, src, 9));
	ks_handover(test, s);
	dst->regs[6] = 0x55;
	KUNIT_ASSERT_EQ(test, 0, kstate_in_restore(&s->in, &ks_all_desc, dst, 9));

	KUNIT_EXPECT_EQ(test, dst->u8v, src->u8v);
	KUNIT_EXPECT_EQ(test, dst->u16v, src->u16v);
	KUNIT_EXPECT_EQ(test, dst->u32v, src->u32v);
	KUNIT_EXPECT_EQ(test, dst->u64v, src->u64v);
	KUNIT_EXPECT_EQ(test, dst->s8v, src->s8v);
	KUNIT_EXPECT_EQ(test, dst->s16v, src->s16v);
	KUNIT_EXPECT_EQ(test, dst->s32v, src->s32v);
	KUNIT_EXPECT_EQ(test, dst->s64v, src->s64v);
	KUNIT_EXPECT_TRUE(test, dst->flag);
	KUNIT_EXPECT_STREQ(test, dst->name, src->name);
	KUNIT_EXPECT_MEMEQ(test, dst->fixed, src->fixed, sizeof(src->fixed));
	ks_inner_expect(test, &dst->inners[0], &src->inners[0]);
	ks_inner_expect(test, &dst->inners[1], &src->inners[1]);
	KUNIT_EXPECT_EQ(test, dst->nr_regs, 5);
	KUNIT_EXPECT_MEMEQ(test, dst->regs, src->regs, 5 * sizeof(u64));
	KUNIT_EXPECT_EQ(test, dst->regs[6], 0x55);
	KUNIT_EXPECT_EQ(test, dst->nr_items, 2);
	ks_inner_expect(test, &dst->items[0], &src->items[0]);
	ks_inner_expect(test, &dst->items[1], &src->items[1]);
	KUNIT_EXPECT_MEMEQ(test, dst->blob, src->blob, sizeof(src->blob));
	ks_inner_expect(test, &dst->nested, &src->nested);
	KUNIT_ASSERT_NOT_NULL(test, dst->pinner);
	KUNIT_EXPECT_PTR_NE(test, dst->pinner, pin);
	ks_inner_expect(test, dst->pinner, pin);
	KUNIT_EXPECT_EQ(test, dst->nr_vals, 5);
	KUNIT_ASSERT_NOT_NULL(test, dst->vals);
	KUNIT_EXPECT_MEMEQ(test, dst->vals, vals, 5 * sizeof(u32));
	KUNIT_EXPECT_PTR_EQ(test, dst->folio, folio);
	KUNIT_EXPECT_PTR_EQ(test, dst->pages, pages);
	KUNIT_EXPECT_EQ(test, dst->nr_pages, 3);
	KUNIT_EXPECT_EQ(test, dst->custom, src->custom);

	/* Memory fields were claimed once: the stub holds nothing else. */
	KUNIT_EXPECT_NULL(test, xa_load(&stub_preserved, folio_pfn(folio)));
	KUNIT_EXPECT_NULL(test, xa_load(&stub_preserved, page_to_pfn(pages)));
	KUNIT_EXPECT_EQ(test, -EALREADY,
			kstate_in_restore(&s->in, &ks_all_desc, dst, 9));
	KUNIT_EXPECT_EQ(test, -ENOENT,
			kstate_in_restore(&s->in, &ks_all_desc, dst, 10));

	kvfree(dst->pinner);
	kvfree(dst->vals);
	kstate_writer_destroy(&s->w);	/* unpreserves nothing twice */
	folio_put(folio);
	__free_pages(pages, 2);
}

/* Saved and unsaved memory is undone when the writer is destroyed. */
static void kstate_test_discard(struct kunit *test)
{
	struct ks_session *s = ks_session(test);
	struct ks_all *src = kunit_kzalloc(test, sizeof(*src), GFP_KERNEL);
	struct folio *folio = folio_alloc(GFP_KERNEL, 0);
	phys_addr_t dir;

	KUNIT_ASSERT_TRUE(test, src && folio);
	src->folio = folio;
	KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_all_desc, src, 1));
	KUNIT_ASSERT_EQ(test, 0, kstate_write_stream(&s->w, &s->out));
	KUNIT_ASSERT_EQ(test, 0, kstate_writer_publish(&s->w, &dir));
	KUNIT_EXPECT_NOT_NULL(test, xa_load(&stub_preserved, folio_pfn(folio)));
	KUNIT_EXPECT_NOT_NULL(test, xa_load(&stub_preserved, PHYS_PFN(dir)));
	kstate_writer_destroy(&s->w);
	KUNIT_EXPECT_TRUE(test, xa_empty(&stub_preserved));
	folio_put(folio);
}

/* ---- hooks and subsections ---------------------------------------------- */

struct ks_dev {
	u32 id;
	u32 mode;
	u64 extra;		/* in the subsection */
	int calls[4];		/* pre_save, post_save, pre_load, post_load */
	u32 loaded_version;
};

static int ks_dev_pre_save(void *obj)
{
	struct ks_dev *d = obj;

	d->calls[0]++;
	return d->mode == 0xbad ? -EIO : 0;
}

static int ks_dev_post_save(void *obj)
{
	((struct ks_dev *)obj)->calls[1]++;
	return 0;
}

static int ks_dev_pre_load(void *obj)
{
	struct ks_dev *d = obj;

	d->calls[2]++;
	d->extra = 0xdefa;	/* a default the subsection may override */
	return 0;
}

static int ks_dev_post_load(void *obj, u32 version)
{
	struct ks_dev *d = obj;

	d->calls[3]++;
	d->loaded_version = version;
	return 0;
}

static bool ks_dev_extra_needed(const void *obj)
{
	return ((const struct ks_dev *)obj)->mode & 1;
}

static const struct kstate_field ks_dev_extra_fields[] = {
	KSTATE_U64(struct ks_dev, extra, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_dev_extra_desc = {
	.name = "kstate-test,dev-extra",
	.version_id = 1,
	.size = sizeof(struct ks_dev),
	.fields = ks_dev_extra_fields,
	.needed = ks_dev_extra_needed,
};

static const struct kstate_description * const ks_dev_subs[] = {
	&ks_dev_extra_desc, NULL
};

static const struct kstate_field ks_dev_fields[] = {
	KSTATE_SCALAR_RULE(struct ks_dev, id, KSTATE_U32, u32, 1,
			   KSTATE_MUST_EQUAL),
	KSTATE_U32(struct ks_dev, mode, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_dev_desc = {
	.name = "kstate-test,dev",
	.version_id = 3,
	.min_version_id = 1,
	.size = sizeof(struct ks_dev),
	.fields = ks_dev_fields,
	.subsections = ks_dev_subs,
	.pre_save = ks_dev_pre_save,
	.post_save = ks_dev_post_save,
	.pre_load = ks_dev_pre_load,
	.post_load = ks_dev_post_load,
};

static void kstate_test_hooks_needed(struct kunit *test)
{
	struct ks_session *s = ks_session(test);
	struct ks_dev a = { .id = 1, .mode = 1, .extra = 111 };
	struct ks_dev b = { .id = 2, .mode = 2, .extra = 222 };
	struct ks_dev ra = { .id = 1 }, rb = { .id = 2 };
	struct kstate_writer w2;

	KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_dev_desc, &a, 1));
	KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_dev_desc, &b, 2));
	ks_handover(test, s);
	KUNIT_EXPECT_EQ(test, a.calls[0], 1);
	KUNIT_EXPECT_EQ(test, a.calls[1], 1);
	KUNIT_EXPECT_EQ(test, b.calls[0], 1);
	KUNIT_EXPECT_EQ(test, b.calls[1], 1);

	KUNIT_ASSERT_EQ(test, 0, kstate_in_restore(&s->in, &ks_dev_desc, &ra, 1));
	KUNIT_ASSERT_EQ(test, 0, kstate_in_restore(&s->in, &ks_dev_desc, &rb, 2));
	KUNIT_EXPECT_EQ(test, ra.mode, 1);
	KUNIT_EXPECT_EQ(test, ra.extra, 111);	/* needed: saved */
	KUNIT_EXPECT_EQ(test, rb.mode, 2);
	KUNIT_EXPECT_EQ(test, rb.extra, 0xdefa);	/* not needed: default */
	/* pre_load and post_load once per description loaded */
	KUNIT_EXPECT_EQ(test, ra.calls[2], 1);
	KUNIT_EXPECT_EQ(test, ra.calls[3], 1);
	KUNIT_EXPECT_EQ(test, rb.calls[2], 1);
	KUNIT_EXPECT_EQ(test, rb.calls[3], 1);
	KUNIT_EXPECT_EQ(test, ra.loaded_version, 3);

	/* A dump (debugfs) writes the objects without calling the hooks. */
	kstate_writer_init(&w2, &kstate_nomem_ops);
	w2.no_hooks = true;
	KUNIT_EXPECT_EQ(test, 0, kstate_write_stream(&w2, &s->out));
	KUNIT_EXPECT_EQ(test, a.calls[0], 1);
	KUNIT_EXPECT_EQ(test, a.calls[1], 1);
	kstate_writer_destroy(&w2);
}

static void kstate_test_pre_save_error(struct kunit *test)
{
	struct ks_session *s = ks_session(test);
	struct ks_dev a = { .id = 1, .mode = 0xbad };

	KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_dev_desc, &a, 1));
	KUNIT_EXPECT_EQ(test, -EIO, kstate_write_stream(&s->w, &s->out));
}

static void kstate_test_must_equal(struct kunit *test)
{
	struct ks_session *s = ks_session(test);
	struct ks_dev a = { .id = 5, .mode = 3, .extra = 9 };
	struct ks_dev wrong = { .id = 6, .mode = 77 }, before;

	KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_dev_desc, &a, 5));
	ks_handover(test, s);
	before = wrong;
	KUNIT_EXPECT_EQ(test, -EINVAL,
			kstate_in_restore(&s->in, &ks_dev_desc, &wrong, 5));
	KUNIT_EXPECT_MEMEQ(test, &wrong, &before, sizeof(wrong));
	wrong.id = 5;
	KUNIT_EXPECT_EQ(test, 0,
			kstate_in_restore(&s->in, &ks_dev_desc, &wrong, 5));
	KUNIT_EXPECT_EQ(test, wrong.mode, 3);
}

/* ---- versions ------------------------------------------------------------ */

struct ks_v {
	u32 a;
	u16 b;
	u32 c;			/* added in v2 */
	u64 d;			/* added in v2, required */
	u32 old;		/* saved by v1 only */
	u64 sub;		/* subsection, v2 */
	u32 ver;
};

static int ks_v_post_load(void *obj, u32 version)
{
	((struct ks_v *)obj)->ver = version;
	return 0;
}

static const struct kstate_field ks_v1_fields[] = {
	KSTATE_U32(struct ks_v, a, 1),
	KSTATE_U16(struct ks_v, b, 1),
	KSTATE_U32(struct ks_v, old, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_v1_desc = {
	.name = "kstate-test,versioned",
	.version_id = 1,
	.size = sizeof(struct ks_v),
	.fields = ks_v1_fields,
	.post_load = ks_v_post_load,
};

/* v2: b widened to u32 in the stream, c optional, "old" deprecated */
struct ks_v2 {
	u32 a;
	u32 b;
	u32 c;
	u64 sub;
	u32 ver;
};

static int ks_v2_post_load(void *obj, u32 version)
{
	((struct ks_v2 *)obj)->ver = version;
	return 0;
}

static const struct kstate_field ks_v2_sub_fields[] = {
	KSTATE_U64(struct ks_v2, sub, 2),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_v2_sub_opt = {
	.name = "kstate-test,versioned-sub",
	.version_id = 2,
	.size = sizeof(struct ks_v2),
	.fields = ks_v2_sub_fields,
	.optional = true,
};

static const struct kstate_description ks_v2_sub_req = {
	.name = "kstate-test,versioned-sub",
	.version_id = 2,
	.size = sizeof(struct ks_v2),
	.fields = ks_v2_sub_fields,
};

static const struct kstate_description * const ks_v2_subs_opt[] = {
	&ks_v2_sub_opt, NULL
};

static const struct kstate_description * const ks_v2_subs_req[] = {
	&ks_v2_sub_req, NULL
};

static const struct kstate_field ks_v2_fields[] = {
	KSTATE_U32(struct ks_v2, a, 1),
	KSTATE_U32(struct ks_v2, b, 1),
	{ .name = "c", .kind = KSTATE_U32, .rule = KSTATE_OPTIONAL,
	  .version_id = 2, .offset = offsetof(struct ks_v2, c), .size = 4 },
	KSTATE_DEPRECATED_FIELD("old"),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_v2_desc = {
	.name = "kstate-test,versioned",
	.version_id = 2,
	.min_version_id = 1,
	.size = sizeof(struct ks_v2),
	.fields = ks_v2_fields,
	.subsections = ks_v2_subs_opt,
	.post_load = ks_v2_post_load,
};

static const struct kstate_description ks_v2_req_desc = {
	.name = "kstate-test,versioned",
	.version_id = 2,
	.min_version_id = 1,
	.size = sizeof(struct ks_v2),
	.fields = ks_v2_fields,
	.subsections = ks_v2_subs_req,
};

/* v2 without the deprecated marker: "old" is unknown and required. */
static const struct kstate_field ks_v2_nodep_fields[] = {
	KSTATE_U32(struct ks_v2, a, 1),
	KSTATE_U32(struct ks_v2, b, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_v2_nodep_desc = {
	.name = "kstate-test,versioned",
	.version_id = 2,
	.size = sizeof(struct ks_v2),
	.fields = ks_v2_nodep_fields,
};

/* v3 requires at least v2 */
static const struct kstate_description ks_v3_desc = {
	.name = "kstate-test,versioned",
	.version_id = 3,
	.min_version_id = 2,
	.size = sizeof(struct ks_v2),
	.fields = ks_v2_fields,
};

/* A v2 field that is required: a v1 loader must fail. */
static const struct kstate_field ks_v2_d_fields[] = {
	KSTATE_U32(struct ks_v, a, 1),
	KSTATE_U16(struct ks_v, b, 1),
	KSTATE_U64(struct ks_v, d, 2),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_v2_d_desc = {
	.name = "kstate-test,versioned",
	.version_id = 2,
	.size = sizeof(struct ks_v),
	.fields = ks_v2_d_fields,
};

/* v1 saver, v2 loader: widened field, missing field keeps its default. */
static void kstate_test_version_up(struct kunit *test)
{
	struct ks_session *s = ks_session(test);
	struct ks_v old = { .a = 1, .b = 0xfff0, .old = 99 };
	struct ks_v2 new = { .c = 1234, .sub = 5678 };
	struct ks_v2 nodep = {};

	KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_v1_desc, &old, 1));
	ks_handover(test, s);
	KUNIT_ASSERT_EQ(test, 0, kstate_in_restore(&s->in, &ks_v2_desc, &new, 1));
	KUNIT_EXPECT_EQ(test, new.a, 1);
	KUNIT_EXPECT_EQ(test, new.b, 0xfff0);
	KUNIT_EXPECT_EQ(test, new.c, 1234);
	KUNIT_EXPECT_EQ(test, new.sub, 5678);
	KUNIT_EXPECT_EQ(test, new.ver, 1);

	/* Without the deprecated marker, "old" is a required unknown field. */
	kstate_in_close(&s->in);
	kstate_writer_destroy(&s->w);
	kstate_writer_init(&s->w, &stub_ops);
	kstate_in_init(&s->in);
	ks_handover(test, s);
	KUNIT_EXPECT_EQ(test, -EOPNOTSUPP,
			kstate_in_restore(&s->in, &ks_v2_nodep_desc, &nodep, 1));
	KUNIT_EXPECT_EQ(test, nodep.a, 0);
}

/* Start over with an empty registry and no stream. */
static void ks_session_reset(struct ks_session *s)
{
	kstate_in_close(&s->in);
	kstate_writer_destroy(&s->w);
	kstate_out_destroy(&s->out);
	kstate_writer_init(&s->w, &stub_ops);
	kstate_in_init(&s->in);
}

/* v2 saver, v1 loader: optional fields and subsections are skipped. */
static void kstate_test_version_down(struct kunit *test)
{
	struct ks_session *s = ks_session(test);
	struct ks_v2 new = { .a = 7, .b = 300, .c = 8, .sub = 9 };
	struct ks_v2 req = { .a = 17, .b = 30, .c = 18, .sub = 19 };
	struct ks_v2 big = { .a = 1, .b = 70000 };
	struct ks_v withd = { .a = 1, .b = 2, .d = 3 };
	struct ks_v old = {}, old2 = {}, old3 = {}, old4 = {};

	KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_v2_desc, &new, 1));
	KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_v2_desc, &big, 4));
	ks_handover(test, s);
	KUNIT_ASSERT_EQ(test, 0, kstate_in_restore(&s->in, &ks_v1_desc, &old, 1));
	KUNIT_EXPECT_EQ(test, old.a, 7);
	KUNIT_EXPECT_EQ(test, old.b, 300);	/* u32 300 fits the u16 */
	KUNIT_EXPECT_EQ(test, old.ver, 2);
	/* 70000 does not fit v1's u16 */
	KUNIT_EXPECT_EQ(test, -EINVAL,
			kstate_in_restore(&s->in, &ks_v1_desc, &old4, 4));
	KUNIT_EXPECT_EQ(test, old4.a, 0);

	/* A required subsection v1 does not know fails the instance. */
	ks_session_reset(s);
	KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_v2_req_desc, &req,
						2));
	ks_handover(test, s);
	KUNIT_EXPECT_EQ(test, -EOPNOTSUPP,
			kstate_in_restore(&s->in, &ks_v1_desc, &old2, 2));
	KUNIT_EXPECT_EQ(test, old2.a, 0);

	/* So does a required field. */
	ks_session_reset(s);
	KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_v2_d_desc, &withd,
						3));
	ks_handover(test, s);
	KUNIT_EXPECT_EQ(test, -EOPNOTSUPP,
			kstate_in_restore(&s->in, &ks_v1_desc, &old3, 3));
	KUNIT_EXPECT_EQ(test, old3.a, 0);
}

static void kstate_test_min_version(struct kunit *test)
{
	struct ks_session *s = ks_session(test);
	struct ks_v old = { .a = 1, .b = 2 };
	struct ks_dev dev = { .id = 4, .mode = 2 };
	struct ks_v2 new = {};
	struct ks_dev rdev = { .id = 4 };

	KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_v1_desc, &old, 1));
	KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_dev_desc, &dev, 4));
	ks_handover(test, s);
	KUNIT_EXPECT_EQ(test, -EOPNOTSUPP,
			kstate_in_restore(&s->in, &ks_v3_desc, &new, 1));
	KUNIT_EXPECT_EQ(test, new.a, 0);
	/* only that instance: the others still load */
	KUNIT_EXPECT_EQ(test, 0, kstate_in_restore(&s->in, &ks_dev_desc, &rdev, 4));
	KUNIT_EXPECT_EQ(test, rdev.mode, 2);
	KUNIT_EXPECT_EQ(test, 0, kstate_in_restore(&s->in, &ks_v2_desc, &new, 1));
}

/* min_version_id holds for nested descriptions too. */
static const struct kstate_description ks_inner_v2_desc = {
	.name = "kstate-test,inner",
	.version_id = 2,
	.min_version_id = 2,
	.size = sizeof(struct ks_inner),
	.fields = ks_inner_fields,
};

struct ks_outer {
	u32 x;
	struct ks_inner in;
};

static const struct kstate_field ks_outer_fields[] = {
	KSTATE_U32(struct ks_outer, x, 1),
	KSTATE_STRUCT(struct ks_outer, in, &ks_inner_desc, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_field ks_outer_v2_fields[] = {
	KSTATE_U32(struct ks_outer, x, 1),
	KSTATE_STRUCT(struct ks_outer, in, &ks_inner_v2_desc, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_outer_desc = {
	.name = "kstate-test,outer", .version_id = 1,
	.size = sizeof(struct ks_outer), .fields = ks_outer_fields,
};

static const struct kstate_description ks_outer_v2_desc = {
	.name = "kstate-test,outer", .version_id = 1,
	.size = sizeof(struct ks_outer), .fields = ks_outer_v2_fields,
};

static void kstate_test_min_version_nested(struct kunit *test)
{
	struct ks_session *s = ks_session(test);
	struct ks_outer o = { .x = 5, .in = { .a = 6 } }, r = {};

	KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_outer_desc, &o, 1));
	ks_handover(test, s);
	KUNIT_EXPECT_EQ(test, -EOPNOTSUPP,
			kstate_in_restore(&s->in, &ks_outer_v2_desc, &r, 1));
	KUNIT_EXPECT_EQ(test, r.x, 0);
	KUNIT_EXPECT_EQ(test, 0, kstate_in_restore(&s->in, &ks_outer_desc, &r, 1));
	KUNIT_EXPECT_EQ(test, r.in.a, 6);
}

/* Integer fields change width and signedness while the value fits. */
struct ks_w64 { s64 v; };
struct ks_wu32 { u32 v; };

static const struct kstate_field ks_w64_fields[] = {
	KSTATE_S64(struct ks_w64, v, 1), KSTATE_END_OF_LIST()
};

static const struct kstate_field ks_wu32_fields[] = {
	KSTATE_U32(struct ks_wu32, v, 1), KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_w64_desc = {
	.name = "kstate-test,width", .version_id = 1,
	.size = sizeof(struct ks_w64), .fields = ks_w64_fields,
};

static const struct kstate_description ks_wu32_desc = {
	.name = "kstate-test,width", .version_id = 1,
	.size = sizeof(struct ks_wu32), .fields = ks_wu32_fields,
};

static void kstate_test_widths(struct kunit *test)
{
	struct ks_session *s = ks_session(test);
	struct ks_w64 a = { 5 }, b = { -1 }, c = { 1LL << 32 };
	struct ks_wu32 r = { 77 };

	KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_w64_desc, &a, 1));
	KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_w64_desc, &b, 2));
	KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_w64_desc, &c, 3));
	ks_handover(test, s);
	KUNIT_EXPECT_EQ(test, 0, kstate_in_restore(&s->in, &ks_wu32_desc, &r, 1));
	KUNIT_EXPECT_EQ(test, r.v, 5);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			kstate_in_restore(&s->in, &ks_wu32_desc, &r, 2));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			kstate_in_restore(&s->in, &ks_wu32_desc, &r, 3));
	KUNIT_EXPECT_EQ(test, r.v, 5);
}

/* ---- many instances, any order ------------------------------------------- */

#define KS_MANY 1000

static void ks_many(struct kunit *test, bool reverse)
{
	struct ks_session *s = ks_session(test);
	struct ks_all *objs, *got;
	u32 *order, i, j;
	struct rnd_state rnd;

	objs = kvcalloc(KS_MANY, sizeof(*objs), GFP_KERNEL);
	got = kvcalloc(KS_MANY, sizeof(*got), GFP_KERNEL);
	order = kvcalloc(KS_MANY, sizeof(*order), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, objs && got && order);
	prandom_seed_state(&rnd, 0x6b7374617465ULL + reverse);
	for (i = 0; i < KS_MANY; i++) {
		struct ks_all *o = &objs[i];

		o->u32v = prandom_u32_state(&rnd);
		o->u64v = ((u64)prandom_u32_state(&rnd) << 32) | i;
		o->s16v = -(s16)i;
		snprintf(o->name, sizeof(o->name), "dev%u", i);
		o->nr_regs = i % 9;
		for (j = 0; j < o->nr_regs; j++)
			o->regs[j] = prandom_u32_state(&rnd);
		ks_inner_fill(&o->nested, i);
		KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_all_desc, o,
							0x10000 + i * 7));
		order[i] = reverse ? KS_MANY - 1 - i : i;
	}
	if (!reverse) {
		for (i = KS_MANY - 1; i > 0; i--) {
			j = prandom_u32_state(&rnd) % (i + 1);
			swap(order[i], order[j]);
		}
	}
	ks_handover(test, s);
	for (i = 0; i < KS_MANY; i++) {
		u32 k = order[i];

		KUNIT_ASSERT_EQ(test, 0, kstate_in_restore(&s->in, &ks_all_desc,
							   &got[k],
							   0x10000 + k * 7));
	}
	for (i = 0; i < KS_MANY; i++) {
		KUNIT_EXPECT_EQ(test, got[i].u32v, objs[i].u32v);
		KUNIT_EXPECT_EQ(test, got[i].u64v, objs[i].u64v);
		KUNIT_EXPECT_EQ(test, got[i].s16v, objs[i].s16v);
		KUNIT_EXPECT_STREQ(test, got[i].name, objs[i].name);
		KUNIT_EXPECT_EQ(test, got[i].nr_regs, objs[i].nr_regs);
		KUNIT_EXPECT_MEMEQ(test, got[i].regs, objs[i].regs,
				   sizeof(objs[i].regs));
		KUNIT_EXPECT_EQ(test, got[i].nested.a, objs[i].nested.a);
	}
	KUNIT_EXPECT_EQ(test, -ENOENT,
			kstate_in_restore(&s->in, &ks_all_desc, &got[0], 0x10001));
	kvfree(objs);
	kvfree(got);
	kvfree(order);
}

static void kstate_test_reverse_order(struct kunit *test)
{
	ks_many(test, true);
}

static void kstate_test_random_order(struct kunit *test)
{
	ks_many(test, false);
}

/* ---- registration -------------------------------------------------------- */

static const struct kstate_field ks_bad_size_fields[] = {
	{ .name = "a", .kind = KSTATE_U32, .version_id = 1, .size = 2 },
	KSTATE_END_OF_LIST()
};

static const struct kstate_field ks_bad_offset_fields[] = {
	{ .name = "a", .kind = KSTATE_U32, .version_id = 1, .offset = 60,
	  .size = 4 },
	KSTATE_END_OF_LIST()
};

static const struct kstate_field ks_bad_dup_fields[] = {
	KSTATE_U32(struct ks_wu32, v, 1),
	KSTATE_U32(struct ks_wu32, v, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_field ks_bad_kind_fields[] = {
	{ .name = "a", .kind = KSTATE_NR_KINDS, .version_id = 1, .size = 4 },
	KSTATE_END_OF_LIST()
};

static const struct kstate_field ks_bad_version_fields[] = {
	KSTATE_U32(struct ks_wu32, v, 2),
	KSTATE_END_OF_LIST()
};

#define KS_BAD_DESC(_n, _f, _sz)					\
	{ .name = "kstate-test,bad-" _n, .version_id = 1, .size = (_sz), \
	  .fields = (_f) }

static const struct kstate_description ks_bad_descs[] = {
	KS_BAD_DESC("size", ks_bad_size_fields, 64),
	KS_BAD_DESC("offset", ks_bad_offset_fields, 62),
	KS_BAD_DESC("dup", ks_bad_dup_fields, 4),
	KS_BAD_DESC("kind", ks_bad_kind_fields, 4),
	KS_BAD_DESC("version", ks_bad_version_fields, 4),
	{ .name = "kstate test", .version_id = 1, .size = 4,
	  .fields = ks_wu32_fields },
	{ .name = "kstate-test,minver", .version_id = 1, .min_version_id = 2,
	  .size = 4, .fields = ks_wu32_fields },
};

/* Named like ks_inner_desc, but another description. */
static const struct kstate_description ks_bad_inner_desc = {
	.name = "kstate-test,inner",
	.version_id = 1,
	.size = sizeof(struct ks_inner),
	.fields = ks_inner_fields,
};

static void kstate_test_register(struct kunit *test)
{
	struct ks_session *s = ks_session(test);
	static struct ks_all o;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ks_bad_descs); i++)
		KUNIT_EXPECT_EQ_MSG(test, -EINVAL,
				    kstate_out_add(&s->out, &ks_bad_descs[i],
						   &o, 1), "desc %u", i);
	KUNIT_EXPECT_EQ(test, 0UL, s->out.nr);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			kstate_out_add(&s->out, &ks_wu32_desc, NULL, 1));
	KUNIT_EXPECT_EQ(test, 0, kstate_out_add(&s->out, &ks_wu32_desc, &o, 1));
	KUNIT_EXPECT_EQ(test, -EEXIST,
			kstate_out_add(&s->out, &ks_wu32_desc, &o, 1));
	KUNIT_EXPECT_EQ(test, 0, kstate_out_add(&s->out, &ks_wu32_desc, &o, 2));
	KUNIT_EXPECT_EQ(test, 0, kstate_out_del(&s->out, &ks_wu32_desc, &o, 1));
	KUNIT_EXPECT_EQ(test, -ENOENT,
			kstate_out_del(&s->out, &ks_wu32_desc, &o, 1));
	KUNIT_EXPECT_EQ(test, 1UL, s->out.nr);
	/* one name, two descriptions: refused while the first is in use */
	KUNIT_EXPECT_EQ(test, -EINVAL,
			kstate_out_add(&s->out, &ks_w64_desc, &o, 3));
	KUNIT_EXPECT_EQ(test, 0, kstate_out_del(&s->out, &ks_wu32_desc, &o, 2));
	KUNIT_EXPECT_EQ(test, 0, kstate_out_add(&s->out, &ks_w64_desc, &o, 3));
	/* a nested description counts too */
	KUNIT_EXPECT_EQ(test, 0, kstate_out_add(&s->out, &ks_all_desc, &o, 4));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			kstate_out_add(&s->out, &ks_bad_inner_desc, &o, 5));
}

/* ---- malformed streams --------------------------------------------------- */

/* Offsets in a stream of ks_dev instances, found by walking it. */
static u8 *ks_find_inst(u8 *stream, size_t size, u64 id)
{
	const struct kstate_stream_hdr *hdr = (void *)stream;
	u8 *p = stream + sizeof(*hdr);

	while (p + 5 + 12 <= stream + size) {
		u32 len = get_unaligned_le32(p + 1);

		if (p[0] == KSTATE_REC_INST && get_unaligned_le64(p + 9) == id)
			return p;
		p += 5 + len;
	}
	return NULL;
}

static int ks_open_copy(struct kunit *test, struct kstate_in *in,
			const u8 *stream, size_t size)
{
	u8 *copy = kunit_kmalloc(test, size, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, copy);
	memcpy(copy, stream, size);
	if (size >= sizeof(struct kstate_stream_hdr))
		put_unaligned_le64(size, copy +
				   offsetof(struct kstate_stream_hdr, size));
	kstate_in_init(in);
	return kstate_in_open(in, copy, size, &stub_ops);
}

static void ks_save_devs(struct kunit *test, struct ks_session *s,
			 struct ks_dev *devs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		devs[i].id = i + 1;
		devs[i].mode = 2 * i + 1;
		devs[i].extra = 100 + i;
		KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_dev_desc,
							&devs[i], i + 1));
	}
}

static void kstate_test_truncated(struct kunit *test)
{
	struct ks_session *s = ks_session(test);
	struct ks_dev devs[3] = {}, r;
	struct kstate_in in;
	size_t size, cut;
	u8 *stream;
	int err;

	ks_save_devs(test, s, devs, 3);
	stream = ks_saved_copy(test, s);
	size = s->w.size;
	/* Every truncation point: never a crash, the last instance fails. */
	for (cut = 0; cut < size; cut++) {
		err = ks_open_copy(test, &in, stream, cut);
		if (cut < sizeof(struct kstate_stream_hdr)) {
			KUNIT_EXPECT_EQ(test, err, -EINVAL);
			kstate_in_close(&in);
			continue;
		}
		if (!err) {
			r = (struct ks_dev){ .id = 3, .mode = 12345 };
			err = kstate_in_restore(&in, &ks_dev_desc, &r, 3);
			KUNIT_EXPECT_TRUE_MSG(test, err == -EINVAL || err == -ENOENT,
					      "cut %zu: %d", cut, err);
			KUNIT_EXPECT_EQ(test, r.mode, 12345);
		}
		kstate_in_close(&in);
	}
	/* cut inside the last instance: the first ones still restore */
	KUNIT_ASSERT_EQ(test, 0, ks_open_copy(test, &in, stream, size - 3));
	r = (struct ks_dev){ .id = 1 };
	KUNIT_EXPECT_EQ(test, 0, kstate_in_restore(&in, &ks_dev_desc, &r, 1));
	KUNIT_EXPECT_EQ(test, r.mode, 1);
	r = (struct ks_dev){ .id = 3 };
	KUNIT_EXPECT_EQ(test, -EINVAL, kstate_in_restore(&in, &ks_dev_desc, &r, 3));
	kstate_in_close(&in);
}

static void kstate_test_bad_header(struct kunit *test)
{
	struct ks_session *s = ks_session(test);
	struct ks_dev devs[1] = {}, r = { .id = 1 };
	struct kstate_in in;
	u8 *stream, *copy;

	ks_save_devs(test, s, devs, 1);
	stream = ks_saved_copy(test, s);
	copy = kunit_kmalloc(test, s->w.size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, copy);
	memcpy(copy, stream, s->w.size);
	copy[0] ^= 1;
	kstate_in_init(&in);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			kstate_in_open(&in, copy, s->w.size, &stub_ops));
	KUNIT_EXPECT_EQ(test, -EINVAL, kstate_in_restore(&in, &ks_dev_desc, &r, 1));
	kstate_in_close(&in);
	/* a size that disagrees with the header */
	kstate_in_init(&in);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			kstate_in_open(&in, stream, s->w.size - 1, &stub_ops));
	kstate_in_close(&in);
}

/* A field table entry of the first description, by field name. */
static u8 *ks_find_field(u8 *stream, const char *name)
{
	u8 *p = stream + sizeof(struct kstate_stream_hdr) + 5;
	u16 nlen = get_unaligned_le16(p);
	u16 nr, i;

	p += 2 + nlen + 4 + 4 + 1;
	nr = get_unaligned_le16(p);
	p += 4;
	for (i = 0; i < nr; i++) {
		nlen = get_unaligned_le16(p);
		if (nlen == strlen(name) && !memcmp(p + 2, name, nlen))
			return p + 2 + nlen;	/* at the kind */
		p += 2 + nlen + 3 + 16;
	}
	return NULL;
}

static void kstate_test_unknown_kind(struct kunit *test)
{
	struct ks_session *s = ks_session(test);
	struct ks_dev devs[2] = {}, r = { .id = 1, .mode = 5 };
	struct kstate_in in;
	u8 *stream, *kind;

	ks_save_devs(test, s, devs, 2);
	stream = ks_saved_copy(test, s);
	kind = ks_find_field(stream, "mode");
	KUNIT_ASSERT_NOT_NULL(test, kind);
	*kind = KSTATE_NR_KINDS + 3;
	KUNIT_ASSERT_EQ(test, 0, ks_open_copy(test, &in, stream, s->w.size));
	KUNIT_EXPECT_EQ(test, -EINVAL, kstate_in_restore(&in, &ks_dev_desc, &r, 1));
	KUNIT_EXPECT_EQ(test, -EINVAL, kstate_in_restore(&in, &ks_dev_desc, &r, 2));
	KUNIT_EXPECT_EQ(test, r.mode, 5);
	kstate_in_close(&in);
}

struct ks_str8 { char s[8]; };
struct ks_str32 { char s[32]; };

static const struct kstate_field ks_str8_fields[] = {
	KSTATE_STRING(struct ks_str8, s, 1), KSTATE_END_OF_LIST()
};

static const struct kstate_field ks_str32_fields[] = {
	KSTATE_STRING(struct ks_str32, s, 1), KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_str8_desc = {
	.name = "kstate-test,str", .version_id = 1,
	.size = sizeof(struct ks_str8), .fields = ks_str8_fields,
};

static const struct kstate_description ks_str32_desc = {
	.name = "kstate-test,str", .version_id = 1,
	.size = sizeof(struct ks_str32), .fields = ks_str32_fields,
};

static void kstate_test_overlong_string(struct kunit *test)
{
	struct ks_session *s = ks_session(test);
	struct ks_str32 a = { "exactly-seven" }, b = { "seven77" };
	struct ks_str8 r = { "keep" };
	struct kstate_in in;
	u8 *stream, *inst;

	KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_str32_desc, &a, 1));
	KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_str32_desc, &b, 2));
	stream = ks_saved_copy(test, s);
	KUNIT_ASSERT_EQ(test, 0, ks_open_copy(test, &in, stream, s->w.size));
	KUNIT_EXPECT_EQ(test, -EINVAL, kstate_in_restore(&in, &ks_str8_desc, &r, 1));
	KUNIT_EXPECT_STREQ(test, r.s, "keep");
	KUNIT_EXPECT_NOT_NULL(test, strstr(in.last_error, "13 bytes, room for 8"));
	KUNIT_EXPECT_EQ(test, 0, kstate_in_restore(&in, &ks_str8_desc, &r, 2));
	KUNIT_EXPECT_STREQ(test, r.s, "seven77");
	kstate_in_close(&in);

	/* a length beyond the record */
	inst = ks_find_inst(stream, s->w.size, 2);
	KUNIT_ASSERT_NOT_NULL(test, inst);
	put_unaligned_le32(0x7fffffff, inst + 5 + 12);
	KUNIT_ASSERT_EQ(test, 0, ks_open_copy(test, &in, stream, s->w.size));
	KUNIT_EXPECT_EQ(test, -EINVAL, kstate_in_restore(&in, &ks_str32_desc,
							 &a, 2));
	KUNIT_EXPECT_STREQ(test, a.s, "exactly-seven");
	kstate_in_close(&in);
}

static void kstate_test_array_bounds(struct kunit *test)
{
	struct ks_session *s = ks_session(test);
	struct ks_all *src = kunit_kzalloc(test, sizeof(*src), GFP_KERNEL);
	struct ks_all *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct kstate_in in;
	u8 *stream, *inst, *p;

	KUNIT_ASSERT_TRUE(test, src && r);
	src->nr_regs = 2;
	src->regs[0] = 1;
	src->regs[1] = 2;
	KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_all_desc, src, 1));
	stream = ks_saved_copy(test, s);
	inst = ks_find_inst(stream, s->w.size, 1);
	KUNIT_ASSERT_NOT_NULL(test, inst);
	/* find the varray count: the le32 2 followed by regs 1 and 2 */
	for (p = inst; p + 20 <= stream + s->w.size; p++)
		if (get_unaligned_le32(p) == 2 && get_unaligned_le64(p + 4) == 1 &&
		    get_unaligned_le64(p + 12) == 2)
			break;
	KUNIT_ASSERT_TRUE(test, p + 20 <= stream + s->w.size);
	put_unaligned_le32(9, p);	/* capacity is 8 */
	KUNIT_ASSERT_EQ(test, 0, ks_open_copy(test, &in, stream, s->w.size));
	r->nr_regs = 77;
	KUNIT_EXPECT_EQ(test, -EINVAL, kstate_in_restore(&in, &ks_all_desc, r, 1));
	KUNIT_EXPECT_EQ(test, r->nr_regs, 77);
	KUNIT_EXPECT_NOT_NULL(test, strstr(in.last_error,
					   "regs: 9 elements, room for 8"));
	kstate_in_close(&in);
}

static void kstate_test_duplicate(struct kunit *test)
{
	struct ks_session *s = ks_session(test);
	struct ks_dev devs[3] = {}, r = { .mode = 9 };
	struct kstate_in in;
	u8 *stream, *inst;

	ks_save_devs(test, s, devs, 3);
	stream = ks_saved_copy(test, s);
	inst = ks_find_inst(stream, s->w.size, 2);
	KUNIT_ASSERT_NOT_NULL(test, inst);
	put_unaligned_le64(1, inst + 9);
	KUNIT_ASSERT_EQ(test, 0, ks_open_copy(test, &in, stream, s->w.size));
	r.id = 1;
	KUNIT_EXPECT_EQ(test, -EINVAL, kstate_in_restore(&in, &ks_dev_desc, &r, 1));
	KUNIT_EXPECT_EQ(test, r.mode, 9);
	KUNIT_EXPECT_NOT_NULL(test, strstr(in.last_error, "duplicate"));
	r.id = 3;
	KUNIT_EXPECT_EQ(test, 0, kstate_in_restore(&in, &ks_dev_desc, &r, 3));
	KUNIT_EXPECT_EQ(test, r.mode, 5);
	kstate_in_close(&in);
}

/*
 * A hand-made stream: a description with a u64 "pad" and an optional
 * "next" that nests itself, @levels deep.  A loader that knows only "pad"
 * skips "next", and the skip must stop at the depth limit.
 */
static u8 *ks_put_field(u8 *p, const char *name, u8 kind, u8 rule, u32 size,
			u32 desc)
{
	put_unaligned_le16(strlen(name), p);
	memcpy(p + 2, name, strlen(name));
	p += 2 + strlen(name);
	p[0] = kind;
	p[1] = rule;
	p[2] = 0;
	put_unaligned_le32(1, p + 3);		/* version */
	put_unaligned_le32(size, p + 7);
	put_unaligned_le32(0, p + 11);		/* count */
	put_unaligned_le32(desc, p + 15);
	return p + 19;
}

static size_t ks_build_deep(u8 *buf, unsigned int levels)
{
	static const char dname[] = "kstate-test,deep";
	u8 *p = buf + sizeof(struct kstate_stream_hdr);
	u8 *rec;
	unsigned int i;

	rec = p;
	*p = KSTATE_REC_DESC;
	p += 5;
	put_unaligned_le16(sizeof(dname) - 1, p);
	memcpy(p + 2, dname, sizeof(dname) - 1);
	p += 2 + sizeof(dname) - 1;
	put_unaligned_le32(1, p);		/* version */
	put_unaligned_le32(0, p + 4);		/* min */
	p[8] = 0;				/* flags */
	put_unaligned_le16(2, p + 9);		/* fields */
	put_unaligned_le16(0, p + 11);		/* subsections */
	p += 13;
	p = ks_put_field(p, "pad", KSTATE_U64, KSTATE_REQUIRED, 8,
			 KSTATE_NO_DESC);
	p = ks_put_field(p, "next", KSTATE_STRUCT, KSTATE_OPTIONAL, 8, 0);
	put_unaligned_le32(p - rec - 5, rec + 1);

	rec = p;
	*p = KSTATE_REC_INST;
	p += 5;
	put_unaligned_le32(0, p);
	put_unaligned_le64(1, p + 4);
	p += 12;
	/* pad, then next: pad, then next: ... */
	for (i = 0; i < levels; i++) {
		put_unaligned_le64(i, p);
		p += 8;
	}
	put_unaligned_le32(p - rec - 5, rec + 1);

	put_unaligned_le32(KSTATE_STREAM_MAGIC, buf);
	put_unaligned_le32(KSTATE_STREAM_VERSION, buf + 4);
	put_unaligned_le64(p - buf, buf + 8);
	put_unaligned_le32(1, buf + 16);
	put_unaligned_le32(1, buf + 20);
	return p - buf;
}

struct ks_deep { u64 pad; };

static const struct kstate_field ks_deep_fields[] = {
	KSTATE_U64(struct ks_deep, pad, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_deep_desc = {
	.name = "kstate-test,deep", .version_id = 1,
	.size = sizeof(struct ks_deep), .fields = ks_deep_fields,
};

static void kstate_test_depth(struct kunit *test)
{
	u8 *buf = kunit_kzalloc(test, 4096, GFP_KERNEL);
	struct ks_deep r = { 3 };
	struct kstate_in in;
	char *text = kunit_kzalloc(test, 8192, GFP_KERNEL);
	struct seq_buf sb;
	size_t size;

	KUNIT_ASSERT_TRUE(test, buf && text);
	size = ks_build_deep(buf, 20);
	kstate_in_init(&in);
	KUNIT_ASSERT_EQ(test, 0, kstate_in_open(&in, buf, size, &stub_ops));
	KUNIT_EXPECT_EQ(test, -EINVAL, kstate_in_restore(&in, &ks_deep_desc, &r, 1));
	KUNIT_EXPECT_EQ(test, r.pad, 3);
	/* the depth limit stops it, not the end of the data */
	KUNIT_EXPECT_NOT_NULL(test, strstr(in.last_error, "nested deeper"));
	seq_buf_init(&sb, text, 8192);
	KUNIT_EXPECT_EQ(test, 0, kstate_in_dump(&in, &sb));
	KUNIT_EXPECT_NOT_NULL(test, strstr(text, "error: \"nested too deep\""));
	kstate_in_close(&in);
}

static void kstate_test_page_list(struct kunit *test)
{
	struct ks_session *s = ks_session(test);
	struct ks_dev devs[2] = {};
	struct kstate_dir_page *dp;
	struct kstate_in in;
	phys_addr_t dir;
	u64 data;

	ks_save_devs(test, s, devs, 2);
	KUNIT_ASSERT_EQ(test, 0, kstate_write_stream(&s->w, &s->out));
	KUNIT_ASSERT_EQ(test, 0, kstate_writer_publish(&s->w, &dir));
	dp = phys_to_virt(dir);
	data = le64_to_cpu(dp->pages[0]);

	/* a size beyond the page list */
	kstate_in_init(&in);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			kstate_in_load_pages(&in, dir, s->w.size + PAGE_SIZE,
					     &stub_ops));
	kstate_in_close(&in);
	/* refused loads release what they claimed: publish again */
	kstate_writer_destroy(&s->w);
	kstate_writer_init(&s->w, &stub_ops);
	KUNIT_ASSERT_EQ(test, 0, kstate_write_stream(&s->w, &s->out));
	KUNIT_ASSERT_EQ(test, 0, kstate_writer_publish(&s->w, &dir));
	dp = phys_to_virt(dir);

	/* a directory that points at itself */
	dp->next = cpu_to_le64(dir);
	kstate_in_init(&in);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			kstate_in_load_pages(&in, dir, s->w.size, &stub_ops));
	kstate_in_close(&in);

	/* a page that was never preserved */
	kstate_writer_destroy(&s->w);
	kstate_writer_init(&s->w, &stub_ops);
	KUNIT_ASSERT_EQ(test, 0, kstate_write_stream(&s->w, &s->out));
	KUNIT_ASSERT_EQ(test, 0, kstate_writer_publish(&s->w, &dir));
	dp = phys_to_virt(dir);
	dp->pages[0] = cpu_to_le64(data + PAGE_SIZE * 1024);
	kstate_in_init(&in);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			kstate_in_load_pages(&in, dir, s->w.size, &stub_ops));
	kstate_in_close(&in);
}

/* Random corruption: never a crash, never an object half written. */
static void kstate_test_fuzz(struct kunit *test)
{
	struct ks_session *s = ks_session(test);
	struct ks_all *src = kunit_kzalloc(test, sizeof(*src), GFP_KERNEL);
	struct ks_all *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct ks_all *before = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	char *text = kvmalloc(SZ_64K, GFP_KERNEL);
	struct rnd_state rnd;
	struct kstate_in in;
	struct seq_buf sb;
	unsigned int iter, ok = 0, refused = 0;
	u8 *stream, *copy;
	size_t size;

	KUNIT_ASSERT_TRUE(test, src && r && before && text);
	src->nr_regs = 3;
	src->nr_items = 1;
	strscpy(src->name, "fuzz", sizeof(src->name));
	KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_all_desc, src, 1));
	stream = ks_saved_copy(test, s);
	size = s->w.size;
	copy = kunit_kmalloc(test, size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, copy);
	prandom_seed_state(&rnd, 42);
	for (iter = 0; iter < 2000; iter++) {
		unsigned int flips = 1 + prandom_u32_state(&rnd) % 3, i;
		int err;

		memcpy(copy, stream, size);
		for (i = 0; i < flips; i++)
			copy[sizeof(struct kstate_stream_hdr) +
			     prandom_u32_state(&rnd) %
			     (size - sizeof(struct kstate_stream_hdr))] ^=
				1 << (prandom_u32_state(&rnd) % 8);
		kstate_in_init(&in);
		if (kstate_in_open(&in, copy, size, &stub_ops)) {
			refused++;
			continue;
		}
		memset(r, 0x5a, sizeof(*r));
		r->pinner = NULL;
		r->vals = NULL;
		r->folio = NULL;
		r->pages = NULL;
		memcpy(before, r, sizeof(*r));
		err = kstate_in_restore(&in, &ks_all_desc, r, 1);
		if (err)
			KUNIT_EXPECT_MEMEQ(test, r, before, sizeof(*r));
		else
			ok++;
		kvfree(r->pinner);
		kvfree(r->vals);
		seq_buf_init(&sb, text, SZ_64K);
		kstate_in_dump(&in, &sb);
		kstate_in_close(&in);
	}
	kunit_info(test, "2000 corrupted streams: %u loaded, %u refused at open\n",
		   ok, refused);
	kvfree(text);
}

/* ---- the dump ------------------------------------------------------------ */

struct ks_sample {
	u16 vendor;
	s32 temp;
	bool up;
	char label[8];
	u8 nr_q;
	u32 q[4];
	struct ks_inner inner;
	u8 mac[3];
	u32 *ring;
	u32 nr_ring;
};

static const struct kstate_field ks_sample_fields[] = {
	KSTATE_SCALAR_RULE(struct ks_sample, vendor, KSTATE_U16, u16, 1,
			   KSTATE_MUST_EQUAL),
	KSTATE_S32(struct ks_sample, temp, 1),
	KSTATE_BOOL(struct ks_sample, up, 2),
	KSTATE_STRING(struct ks_sample, label, 1),
	KSTATE_VARRAY(struct ks_sample, q, nr_q, KSTATE_U32, NULL, 1),
	KSTATE_STRUCT(struct ks_sample, inner, &ks_inner_desc, 1),
	KSTATE_BUFFER(struct ks_sample, mac, 1),
	KSTATE_PTR_VARRAY(struct ks_sample, ring, nr_ring, 8, KSTATE_U32, NULL,
			  2),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_sample_desc = {
	.name = "vendor,sample",
	.version_id = 2,
	.min_version_id = 1,
	.size = sizeof(struct ks_sample),
	.fields = ks_sample_fields,
};

static const char ks_sample_dump[] =
"stream:\n"
"  version: 1\n"
"  size: SIZE\n"
"  descriptions: 2\n"
"  instances: 2\n"
"descriptions:\n"
"  - name: \"vendor,sample\"\n"
"    version: 2\n"
"    min_version: 1\n"
"    fields:\n"
"      - {name: vendor, kind: u16, rule: must_equal, version: 1, size: 2}\n"
"      - {name: temp, kind: s32, rule: required, version: 1, size: 4}\n"
"      - {name: up, kind: bool, rule: required, version: 2, size: 1}\n"
"      - {name: label, kind: string, rule: required, version: 1, size: 8}\n"
"      - {name: q, kind: varray, rule: required, version: 1, size: 4, count: 4, elem: u32}\n"
"      - {name: inner, kind: struct, rule: required, version: 1, size: 12, desc: \"kstate-test,inner\"}\n"
"      - {name: mac, kind: buffer, rule: required, version: 1, size: 3}\n"
"      - {name: ring, kind: pointer, rule: required, version: 2, size: 4, count: 8, elem: u32}\n"
"  - name: \"kstate-test,inner\"\n"
"    version: 1\n"
"    min_version: 0\n"
"    fields:\n"
"      - {name: a, kind: u32, rule: required, version: 1, size: 4}\n"
"      - {name: b, kind: s16, rule: required, version: 1, size: 2}\n"
"      - {name: tag, kind: array, rule: required, version: 1, size: 1, count: 4, elem: u8}\n"
"instances:\n"
"  - description: \"vendor,sample\"\n"
"    id: 3\n"
"    version: 2\n"
"    fields:\n"
"      vendor: 32902\n"
"      temp: -40\n"
"      up: true\n"
"      label: \"eth\\\"0\\x01\"\n"
"      q: [1, 2]\n"
"      inner:\n"
"        a: 7\n"
"        b: -2\n"
"        tag: [0, 255, 16, 1]\n"
"      mac: !hex \"00a0ff\"\n"
"      ring: [10, 20, 30]\n"
"  - description: \"vendor,sample\"\n"
"    id: 18446744073709551615\n"
"    version: 2\n"
"    fields:\n"
"      vendor: 4318\n"
"      temp: 0\n"
"      up: false\n"
"      label: \"\"\n"
"      q: []\n"
"      inner:\n"
"        a: 0\n"
"        b: 0\n"
"        tag: [0, 0, 0, 0]\n"
"      mac: !hex \"000000\"\n"
"      ring: null\n";

static void kstate_test_dump(struct kunit *test)
{
	struct ks_session *s = ks_session(test);
	struct ks_sample a = {
		.vendor = 0x8086, .temp = -40, .up = true,
		.label = "eth\"0\x01", .nr_q = 2, .q = { 1, 2, 3 },
		.inner = { 7, -2, { 0, 255, 16, 1 } },
		.mac = { 0x00, 0xa0, 0xff }, .nr_ring = 3,
	};
	struct ks_sample b = { .vendor = 0x10de };
	u32 ring[3] = { 10, 20, 30 };
	char *text = kunit_kzalloc(test, 8192, GFP_KERNEL);
	char *expect = kunit_kzalloc(test, 8192, GFP_KERNEL);
	struct seq_buf sb;
	char size[24];
	u8 *stream;
	const char *at;

	KUNIT_ASSERT_TRUE(test, text && expect);
	a.ring = ring;
	KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_sample_desc, &b,
						U64_MAX));
	KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_sample_desc, &a, 3));
	stream = ks_saved_copy(test, s);
	seq_buf_init(&sb, text, 8192);
	KUNIT_ASSERT_EQ(test, 0, kstate_dump(&sb, stream, s->w.size));

	snprintf(size, sizeof(size), "%zu", s->w.size);
	at = strstr(ks_sample_dump, "SIZE");
	KUNIT_ASSERT_NOT_NULL(test, at);
	snprintf(expect, 8192, "%.*s%s%s", (int)(at - ks_sample_dump),
		 ks_sample_dump, size, at + 4);
	KUNIT_EXPECT_STREQ(test, text, expect);
}

static struct kunit_case kstate_test_cases[] = {
	KUNIT_CASE(kstate_test_all_kinds),
	KUNIT_CASE(kstate_test_discard),
	KUNIT_CASE(kstate_test_hooks_needed),
	KUNIT_CASE(kstate_test_pre_save_error),
	KUNIT_CASE(kstate_test_must_equal),
	KUNIT_CASE(kstate_test_version_up),
	KUNIT_CASE(kstate_test_version_down),
	KUNIT_CASE(kstate_test_min_version),
	KUNIT_CASE(kstate_test_min_version_nested),
	KUNIT_CASE(kstate_test_widths),
	KUNIT_CASE(kstate_test_reverse_order),
	KUNIT_CASE(kstate_test_random_order),
	KUNIT_CASE(kstate_test_register),
	KUNIT_CASE(kstate_test_truncated),
	KUNIT_CASE(kstate_test_bad_header),
	KUNIT_CASE(kstate_test_unknown_kind),
	KUNIT_CASE(kstate_test_overlong_string),
	KUNIT_CASE(kstate_test_array_bounds),
	KUNIT_CASE(kstate_test_duplicate),
	KUNIT_CASE(kstate_test_depth),
	KUNIT_CASE(kstate_test_page_list),
	KUNIT_CASE(kstate_test_fuzz),
	KUNIT_CASE(kstate_test_dump),
	{}
};

static struct kunit_suite kstate_test_suite = {
	.name = "kstate",
	.test_cases = kstate_test_cases,
};

kunit_test_suite(kstate_test_suite);

MODULE_DESCRIPTION("KUnit tests for KSTATE");
MODULE_LICENSE("GPL");
