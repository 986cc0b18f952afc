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
static DEFINE_XARRAY(stub_claimed);	/* pfn -> pages (folio: 0) + 1 */

/*
 * What went through the stub: preserve and unpreserve calls that succeeded,
 * claims (restores that returned memory) and releases of claimed memory.
 * A release of memory that is not claimed counts in @bad_release.
 */
static struct {
	unsigned long preserve, unpreserve, claim, release, bad_release;
} stub_count;

static int stub_preserve(unsigned long pfn, unsigned long nr)
{
	int err = xa_insert(&stub_preserved, pfn, xa_mk_value(nr + 1),
			    GFP_KERNEL);

	if (!err)
		stub_count.preserve++;
	return err;
}

static bool stub_forget(unsigned long pfn, unsigned long nr)
{
	void *e = xa_load(&stub_preserved, pfn);

	if (!e || xa_to_value(e) != nr + 1)
		return false;
	xa_erase(&stub_preserved, pfn);
	return true;
}

static bool stub_claim(unsigned long pfn, unsigned long nr)
{
	if (!stub_forget(pfn, nr))
		return false;
	if (xa_insert(&stub_claimed, pfn, xa_mk_value(nr + 1), GFP_KERNEL))
		return false;
	stub_count.claim++;
	return true;
}

static void stub_release(unsigned long pfn, unsigned long nr)
{
	void *e = xa_load(&stub_claimed, pfn);

	if (!e || xa_to_value(e) != nr + 1) {
		stub_count.bad_release++;
		return;
	}
	xa_erase(&stub_claimed, pfn);
	stub_count.release++;
}

static int stub_preserve_pages(struct page *page, unsigned long nr)
{
	return stub_preserve(page_to_pfn(page), nr);
}

static int stub_unpreserve_pages(struct page *page, unsigned long nr)
{
	if (!stub_forget(page_to_pfn(page), nr))
		return -ENOENT;
	stub_count.unpreserve++;
	return 0;
}

static struct page *stub_restore_pages(phys_addr_t phys, unsigned long nr)
{
	return stub_claim(PHYS_PFN(phys), nr) ? pfn_to_page(PHYS_PFN(phys)) :
						NULL;
}

/* The tests own the memory: a release only records that it happened. */
static void stub_free_pages(struct page *page, unsigned long nr)
{
	stub_release(page_to_pfn(page), nr);
}

static int stub_preserve_folio(struct folio *folio)
{
	return stub_preserve(folio_pfn(folio), 0);
}

static int stub_unpreserve_folio(struct folio *folio)
{
	if (!stub_forget(folio_pfn(folio), 0))
		return -ENOENT;
	stub_count.unpreserve++;
	return 0;
}

static struct folio *stub_restore_folio(phys_addr_t phys)
{
	return stub_claim(PHYS_PFN(phys), 0) ? pfn_folio(PHYS_PFN(phys)) : NULL;
}

static void stub_free_folio(struct folio *folio)
{
	stub_release(folio_pfn(folio), 0);
}

static const struct kstate_mem_ops stub_ops = {
	.preserve_pages = stub_preserve_pages,
	.unpreserve_pages = stub_unpreserve_pages,
	.restore_pages = stub_restore_pages,
	.free_pages = stub_free_pages,
	.preserve_folio = stub_preserve_folio,
	.unpreserve_folio = stub_unpreserve_folio,
	.restore_folio = stub_restore_folio,
	.free_folio = stub_free_folio,
};

/* Memory claimed and not released yet. */
static unsigned long stub_held(void)
{
	return stub_count.claim - stub_count.release;
}

static void stub_reset(void)
{
	unsigned long pfn;
	void *e;

	xa_for_each(&stub_preserved, pfn, e)
		xa_erase(&stub_preserved, pfn);
	xa_for_each(&stub_claimed, pfn, e)
		xa_erase(&stub_claimed, pfn);
	memset(&stub_count, 0, sizeof(stub_count));
}

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

	kstate_in_close(&s->in);
	kstate_writer_destroy(&s->w);
	kstate_out_destroy(&s->out);
	kvfree(s->linear);
	stub_reset();
}

static struct ks_session *ks_session(struct kunit *test)
{
	struct ks_session *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	stub_reset();
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
 * A hand-made stream: tables "kstate-test,deep", "kstate-test,deep1", ...,
 * each with a u64 "pad" and an optional "next" that nests the next table,
 * @levels deep; with @self, one table whose "next" nests itself.  A loader
 * that knows only "pad" skips "next", and the skip must stop at the depth
 * limit, or at once for a table inside itself.
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

static size_t ks_build_deep(u8 *buf, unsigned int levels, bool self)
{
	u8 *p = buf + sizeof(struct kstate_stream_hdr);
	unsigned int i, nr_descs = self ? 1 : levels;
	char dname[24];
	u8 *rec;

	for (i = 0; i < nr_descs; i++) {
		bool last = !self && i == levels - 1;

		if (i)
			snprintf(dname, sizeof(dname), "kstate-test,deep%u", i);
		else
			strscpy(dname, "kstate-test,deep", sizeof(dname));
		rec = p;
		*p = KSTATE_REC_DESC;
		p += 5;
		put_unaligned_le16(strlen(dname), p);
		memcpy(p + 2, dname, strlen(dname));
		p += 2 + strlen(dname);
		put_unaligned_le32(1, p);		/* version */
		put_unaligned_le32(0, p + 4);		/* min */
		p[8] = 0;				/* flags */
		put_unaligned_le16(last ? 1 : 2, p + 9);	/* fields */
		put_unaligned_le16(0, p + 11);		/* subsections */
		p += 13;
		p = ks_put_field(p, "pad", KSTATE_U64, KSTATE_REQUIRED, 8,
				 KSTATE_NO_DESC);
		if (!last)
			p = ks_put_field(p, "next", KSTATE_STRUCT,
					 KSTATE_OPTIONAL, 8, self ? 0 : i + 1);
		put_unaligned_le32(p - rec - 5, rec + 1);
	}

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
	put_unaligned_le32(nr_descs, buf + 16);
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
	size = ks_build_deep(buf, 20, false);
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

	/* a table inside itself stops at once */
	memset(buf, 0, 4096);
	size = ks_build_deep(buf, 20, true);
	kstate_in_init(&in);
	KUNIT_ASSERT_EQ(test, 0, kstate_in_open(&in, buf, size, &stub_ops));
	KUNIT_EXPECT_EQ(test, -EINVAL, kstate_in_restore(&in, &ks_deep_desc, &r, 1));
	KUNIT_EXPECT_EQ(test, r.pad, 3);
	KUNIT_EXPECT_NOT_NULL(test, strstr(in.last_error, "recursion"));
	seq_buf_init(&sb, text, 8192);
	KUNIT_EXPECT_EQ(test, 0, kstate_in_dump(&in, &sb));
	KUNIT_EXPECT_NOT_NULL(test, strstr(text, "error: \"recursive table\""));
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

/* ---- hand-made streams ------------------------------------------------- */

/* A stream written by hand, record by record, into a buffer of @cap bytes. */
struct ks_sb {
	u8 *buf, *p, *rec;
	size_t cap;
	u32 nr_descs, nr_insts;
	bool overflow;
};

KUNIT_DEFINE_ACTION_WRAPPER(ks_kvfree_action, kvfree, const void *);

static void *ks_kvzalloc(struct kunit *test, size_t size)
{
	void *p = kvzalloc(size, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test,
							   ks_kvfree_action, p));
	return p;
}

/* Start a stream in @b, reusing its buffer if it has room for @cap bytes. */
static void ks_sb_init(struct kunit *test, struct ks_sb *b, size_t cap)
{
	u8 *buf = b->buf;

	if (!buf || b->cap < cap)
		buf = ks_kvzalloc(test, cap);
	else
		cap = b->cap;
	memset(buf, 0, cap);
	memset(b, 0, sizeof(*b));
	b->buf = buf;
	b->cap = cap;
	b->p = b->buf + sizeof(struct kstate_stream_hdr);
}

static u8 *ks_sb_room(struct ks_sb *b, size_t n)
{
	u8 *p = b->p;

	if (b->overflow || n > b->cap - (b->p - b->buf)) {
		b->overflow = true;
		return NULL;
	}
	b->p += n;
	return p;
}

static void ks_sb_bytes(struct ks_sb *b, const void *v, size_t n)
{
	u8 *p = ks_sb_room(b, n);

	if (p)
		memcpy(p, v, n);
}

static void ks_sb_u8(struct ks_sb *b, u8 v)
{
	ks_sb_bytes(b, &v, 1);
}

static void ks_sb_u16(struct ks_sb *b, u16 v)
{
	__le16 x = cpu_to_le16(v);

	ks_sb_bytes(b, &x, sizeof(x));
}

static void ks_sb_u32(struct ks_sb *b, u32 v)
{
	__le32 x = cpu_to_le32(v);

	ks_sb_bytes(b, &x, sizeof(x));
}

static void ks_sb_u64(struct ks_sb *b, u64 v)
{
	__le64 x = cpu_to_le64(v);

	ks_sb_bytes(b, &x, sizeof(x));
}

static void ks_sb_str(struct ks_sb *b, const char *s)
{
	ks_sb_u16(b, strlen(s));
	ks_sb_bytes(b, s, strlen(s));
}

/* Close the open record: write its length. */
static void ks_sb_end(struct ks_sb *b)
{
	if (b->rec && !b->overflow)
		put_unaligned_le32(b->p - b->rec - KSTATE_REC_HDR_SIZE,
				   b->rec + 1);
	b->rec = NULL;
}

/* Open a DESC record; its fields follow. */
static void ks_sb_desc(struct ks_sb *b, const char *name, u16 nr_fields)
{
	ks_sb_end(b);
	b->rec = b->p;
	ks_sb_u8(b, KSTATE_REC_DESC);
	ks_sb_u32(b, 0);
	ks_sb_str(b, name);
	ks_sb_u32(b, 1);		/* version */
	ks_sb_u32(b, 0);		/* min_version */
	ks_sb_u8(b, 0);			/* flags */
	ks_sb_u16(b, nr_fields);
	ks_sb_u16(b, 0);		/* subsections */
	b->nr_descs++;
}

static void ks_sb_field(struct ks_sb *b, const char *name, u8 kind, u8 rule,
			u8 elem, u32 size, u32 count, u32 desc)
{
	ks_sb_str(b, name);
	ks_sb_u8(b, kind);
	ks_sb_u8(b, rule);
	ks_sb_u8(b, elem);
	ks_sb_u32(b, 1);		/* version */
	ks_sb_u32(b, size);
	ks_sb_u32(b, count);
	ks_sb_u32(b, desc);
}

/* Open an INST record; its values follow. */
static void ks_sb_inst(struct ks_sb *b, u32 desc, u64 id)
{
	ks_sb_end(b);
	b->rec = b->p;
	ks_sb_u8(b, KSTATE_REC_INST);
	ks_sb_u32(b, 0);
	ks_sb_u32(b, desc);
	ks_sb_u64(b, id);
	b->nr_insts++;
}

static size_t ks_sb_finish(struct kunit *test, struct ks_sb *b)
{
	size_t size;

	ks_sb_end(b);
	KUNIT_ASSERT_FALSE(test, b->overflow);
	size = b->p - b->buf;
	put_unaligned_le32(KSTATE_STREAM_MAGIC, b->buf);
	put_unaligned_le32(KSTATE_STREAM_VERSION, b->buf + 4);
	put_unaligned_le64(size, b->buf + 8);
	put_unaligned_le32(b->nr_descs, b->buf + 16);
	put_unaligned_le32(b->nr_insts, b->buf + 20);
	return size;
}

/*
 * An object between two canaries, so that a write beyond it shows, and a
 * copy of it, so that a refused restore can be checked to leave it as it
 * was, byte for byte.
 */
#define KS_CANARY	256

struct ks_guard {
	u8 *buf;		/* canary, object, canary */
	u8 *copy;
	size_t size;
};

/* Fill the object of @g (allocated on first use) with @fill. */
static void *ks_guard_init(struct kunit *test, struct ks_guard *g, size_t size,
			   u8 fill)
{
	if (!g->buf || g->size != size) {
		g->size = size;
		g->buf = kunit_kmalloc(test, size + 2 * KS_CANARY, GFP_KERNEL);
		g->copy = kunit_kmalloc(test, size + 2 * KS_CANARY, GFP_KERNEL);
		KUNIT_ASSERT_TRUE(test, g->buf && g->copy);
	}
	memset(g->buf, 0xc5, KS_CANARY);
	memset(g->buf + KS_CANARY, fill, size);
	memset(g->buf + KS_CANARY + size, 0xc5, KS_CANARY);
	return g->buf + KS_CANARY;
}

/* Take the object's bytes as the ones a refused restore must keep. */
static void ks_guard_snap(struct ks_guard *g)
{
	memcpy(g->copy, g->buf, g->size + 2 * KS_CANARY);
}

static bool ks_guard_canaries_ok(const struct ks_guard *g)
{
	return !memchr_inv(g->buf, 0xc5, KS_CANARY) &&
	       !memchr_inv(g->buf + KS_CANARY + g->size, 0xc5, KS_CANARY);
}

static bool ks_guard_unchanged(const struct ks_guard *g)
{
	return !memcmp(g->copy, g->buf, g->size + 2 * KS_CANARY);
}

static int ks_open_sb(struct kunit *test, struct kstate_in *in,
		      struct ks_sb *b)
{
	size_t size = ks_sb_finish(test, b);

	kstate_in_init(in);
	return kstate_in_open(in, b->buf, size, &stub_ops);
}

/* ---- nested tables must be the loader's ---------------------------------- */

struct ks_nin {
	u32 v;
};

static const struct kstate_field ks_nin_fields[] = {
	KSTATE_U32(struct ks_nin, v, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_nin_desc = {
	.name = "kstate-test,nin", .version_id = 1,
	.size = sizeof(struct ks_nin), .fields = ks_nin_fields,
};

struct ks_nout {
	u32 a;
	struct ks_nin in;
	struct ks_nin arr[2];
	u32 z;
};

static const struct kstate_field ks_nout_fields[] = {
	KSTATE_U32(struct ks_nout, a, 1),
	KSTATE_STRUCT(struct ks_nout, in, &ks_nin_desc, 1),
	KSTATE_STRUCT_ARRAY(struct ks_nout, arr, &ks_nin_desc, 1),
	KSTATE_U32(struct ks_nout, z, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_nout_desc = {
	.name = "kstate-test,nout", .version_id = 1,
	.size = sizeof(struct ks_nout), .fields = ks_nout_fields,
};

/*
 * Tables: 0 "nout", 1 "nin", 2 @other (the layout of "nin" under another
 * name); "in" refers to @in_desc, "arr" to @arr_desc.
 */
static void ks_build_nout(struct kunit *test, struct ks_sb *b,
			  const char *other, u32 in_desc, u32 arr_desc)
{
	ks_sb_init(test, b, 1024);
	ks_sb_desc(b, "kstate-test,nout", 4);
	ks_sb_field(b, "a", KSTATE_U32, KSTATE_REQUIRED, 0, 4, 0,
		    KSTATE_NO_DESC);
	ks_sb_field(b, "in", KSTATE_STRUCT, KSTATE_REQUIRED, 0, 4, 0, in_desc);
	ks_sb_field(b, "arr", KSTATE_ARRAY, KSTATE_REQUIRED, KSTATE_STRUCT, 4,
		    2, arr_desc);
	ks_sb_field(b, "z", KSTATE_U32, KSTATE_REQUIRED, 0, 4, 0,
		    KSTATE_NO_DESC);
	ks_sb_desc(b, "kstate-test,nin", 1);
	ks_sb_field(b, "v", KSTATE_U32, KSTATE_REQUIRED, 0, 4, 0,
		    KSTATE_NO_DESC);
	ks_sb_desc(b, other, 1);
	ks_sb_field(b, "v", KSTATE_U32, KSTATE_REQUIRED, 0, 4, 0,
		    KSTATE_NO_DESC);
	ks_sb_inst(b, 0, 1);
	ks_sb_u32(b, 11);
	ks_sb_u32(b, 22);
	ks_sb_u32(b, 33);
	ks_sb_u32(b, 44);
	ks_sb_u32(b, 55);
}

/* A nested struct or element refers to a table of another name. */
static void kstate_test_nested_wrong_name(struct kunit *test)
{
	static const u32 refs[][2] = { { 2, 1 }, { 1, 2 } };
	struct ks_nout *o;
	struct ks_guard g = {};
	struct kstate_in in;
	struct ks_sb b = {};
	unsigned int i;

	stub_reset();
	/* the control: the same stream with the right names restores */
	ks_build_nout(test, &b, "kstate-test,other", 1, 1);
	KUNIT_ASSERT_EQ(test, 0, ks_open_sb(test, &in, &b));
	o = ks_guard_init(test, &g, sizeof(*o), 0x5a);
	KUNIT_EXPECT_EQ(test, 0, kstate_in_restore(&in, &ks_nout_desc, o, 1));
	KUNIT_EXPECT_EQ(test, o->a, 11);
	KUNIT_EXPECT_EQ(test, o->in.v, 22);
	KUNIT_EXPECT_EQ(test, o->arr[0].v, 33);
	KUNIT_EXPECT_EQ(test, o->arr[1].v, 44);
	KUNIT_EXPECT_EQ(test, o->z, 55);
	kstate_in_close(&in);

	for (i = 0; i < ARRAY_SIZE(refs); i++) {
		ks_build_nout(test, &b, "kstate-test,other", refs[i][0],
			      refs[i][1]);
		KUNIT_ASSERT_EQ(test, 0, ks_open_sb(test, &in, &b));
		o = ks_guard_init(test, &g, sizeof(*o), 0x5a);
		ks_guard_snap(&g);
		KUNIT_EXPECT_EQ_MSG(test, -EINVAL,
				    kstate_in_restore(&in, &ks_nout_desc, o, 1),
				    "case %u", i);
		KUNIT_EXPECT_TRUE_MSG(test, ks_guard_unchanged(&g), "case %u", i);
		KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(in.last_error,
						       "kstate-test,other"),
					  "case %u: %s", i, in.last_error);
		kstate_in_close(&in);
	}
	KUNIT_EXPECT_EQ(test, stub_count.claim, 0);
}

/*
 * Two loader descriptions may share a name (kstate_validate_desc() does
 * not compare the names of nested descriptions), so a loader can nest a
 * struct of its own name.  Here "node" points to a "node" leaf of another
 * layout, whose only field lies where the outer object keeps its pointer.
 */
struct ks_node_leaf {
	u64 v;
};

static const struct kstate_field ks_node_leaf_fields[] = {
	KSTATE_U64(struct ks_node_leaf, v, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_node_leaf_desc = {
	.name = "kstate-test,node", .version_id = 1,
	.size = sizeof(struct ks_node_leaf), .fields = ks_node_leaf_fields,
};

struct ks_node {
	struct ks_node_leaf *next;
	u64 v;
};

static const struct kstate_field ks_node_fields[] = {
	KSTATE_PTR_STRUCT(struct ks_node, next, &ks_node_leaf_desc, 1),
	KSTATE_U64(struct ks_node, v, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_node_desc = {
	.name = "kstate-test,node", .version_id = 1,
	.size = sizeof(struct ks_node), .fields = ks_node_fields,
};

/* A table whose pointer field refers to the table itself. */
static void kstate_test_nested_self_ref(struct kunit *test)
{
	struct ks_node *o;
	struct ks_guard g = {};
	struct kstate_in in;
	struct ks_sb b = {};
	int err;

	stub_reset();
	ks_sb_init(test, &b, 1024);
	ks_sb_desc(&b, "kstate-test,node", 2);
	ks_sb_field(&b, "next", KSTATE_PTR, KSTATE_OPTIONAL, KSTATE_STRUCT, 8,
		    1, 0);
	ks_sb_field(&b, "v", KSTATE_U64, KSTATE_REQUIRED, 0, 8, 0,
		    KSTATE_NO_DESC);
	ks_sb_inst(&b, 0, 1);
	ks_sb_u8(&b, 1);		/* next: present, one element */
	ks_sb_u32(&b, 1);
	ks_sb_u8(&b, 0);		/*   next: absent */
	ks_sb_u64(&b, 0x1111);		/*   v */
	ks_sb_u64(&b, 0xdead0000);	/* v */
	KUNIT_ASSERT_EQ(test, 0, ks_open_sb(test, &in, &b));
	o = ks_guard_init(test, &g, sizeof(*o), 0);
	ks_guard_snap(&g);
	err = kstate_in_restore(&in, &ks_node_desc, o, 1);
	KUNIT_EXPECT_EQ(test, err, -EINVAL);
	KUNIT_EXPECT_PTR_NE(test, (void *)o->next, (void *)0xdead0000);
	KUNIT_EXPECT_TRUE(test, ks_guard_unchanged(&g));
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(in.last_error, "recursion"),
				  "%s", in.last_error);
	if (!err && o->next != (void *)0xdead0000)
		kvfree(o->next);
	kstate_in_close(&in);
}

/* "ca" points to "cb", which points to a "ca" of another layout. */
struct ks_ca2 {
	u64 v;
};

static const struct kstate_field ks_ca2_fields[] = {
	KSTATE_U64(struct ks_ca2, v, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_ca2_desc = {
	.name = "kstate-test,ca", .version_id = 1,
	.size = sizeof(struct ks_ca2), .fields = ks_ca2_fields,
};

struct ks_cb {
	struct ks_ca2 *q;
	u64 w;
};

static const struct kstate_field ks_cb_fields[] = {
	KSTATE_PTR_STRUCT(struct ks_cb, q, &ks_ca2_desc, 1),
	KSTATE_U64(struct ks_cb, w, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_cb_desc = {
	.name = "kstate-test,cb", .version_id = 1,
	.size = sizeof(struct ks_cb), .fields = ks_cb_fields,
};

struct ks_ca {
	struct ks_cb *p;
	u64 v;
};

static const struct kstate_field ks_ca_fields[] = {
	KSTATE_PTR_STRUCT(struct ks_ca, p, &ks_cb_desc, 1),
	KSTATE_U64(struct ks_ca, v, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_ca_desc = {
	.name = "kstate-test,ca", .version_id = 1,
	.size = sizeof(struct ks_ca), .fields = ks_ca_fields,
};

/* Two tables that refer to each other. */
static void kstate_test_nested_cycle(struct kunit *test)
{
	struct ks_ca *o;
	struct ks_guard g = {};
	struct kstate_in in;
	struct ks_sb b = {};
	int err;

	stub_reset();
	ks_sb_init(test, &b, 1024);
	ks_sb_desc(&b, "kstate-test,ca", 2);
	ks_sb_field(&b, "p", KSTATE_PTR, KSTATE_OPTIONAL, KSTATE_STRUCT, 16,
		    1, 1);
	ks_sb_field(&b, "v", KSTATE_U64, KSTATE_REQUIRED, 0, 8, 0,
		    KSTATE_NO_DESC);
	ks_sb_desc(&b, "kstate-test,cb", 2);
	ks_sb_field(&b, "q", KSTATE_PTR, KSTATE_OPTIONAL, KSTATE_STRUCT, 16,
		    1, 0);
	ks_sb_field(&b, "w", KSTATE_U64, KSTATE_REQUIRED, 0, 8, 0,
		    KSTATE_NO_DESC);
	ks_sb_inst(&b, 0, 1);
	ks_sb_u8(&b, 1);		/* p: a cb */
	ks_sb_u32(&b, 1);
	ks_sb_u8(&b, 1);		/*   q: a ca */
	ks_sb_u32(&b, 1);
	ks_sb_u8(&b, 0);		/*     p: absent */
	ks_sb_u64(&b, 0x33);		/*     v */
	ks_sb_u64(&b, 0x22);		/*   w */
	ks_sb_u64(&b, 0xdead0000);	/* v */
	KUNIT_ASSERT_EQ(test, 0, ks_open_sb(test, &in, &b));
	o = ks_guard_init(test, &g, sizeof(*o), 0);
	ks_guard_snap(&g);
	err = kstate_in_restore(&in, &ks_ca_desc, o, 1);
	KUNIT_EXPECT_EQ(test, err, -EINVAL);
	KUNIT_EXPECT_PTR_NE(test, (void *)o->p, (void *)0xdead0000);
	KUNIT_EXPECT_TRUE(test, ks_guard_unchanged(&g));
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(in.last_error, "recursion"),
				  "%s", in.last_error);
	if (!err && o->p != (void *)0xdead0000) {
		kvfree(o->p->q);
		kvfree(o->p);
	}
	kstate_in_close(&in);
}

/*
 * One saved table loaded with two loader descriptions of its name but
 * different layouts: each gets its own field map.
 */
struct ks_pv1 {
	u32 v;
};

struct ks_pv2 {
	u64 pad;
	u32 v;
};

static const struct kstate_field ks_pv1_fields[] = {
	KSTATE_U32(struct ks_pv1, v, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_field ks_pv2_fields[] = {
	KSTATE_U32(struct ks_pv2, v, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_pv1_desc = {
	.name = "kstate-test,pv", .version_id = 1,
	.size = sizeof(struct ks_pv1), .fields = ks_pv1_fields,
};

static const struct kstate_description ks_pv2_desc = {
	.name = "kstate-test,pv", .version_id = 1,
	.size = sizeof(struct ks_pv2), .fields = ks_pv2_fields,
};

struct ks_pair {
	struct ks_pv1 x;
	struct ks_pv2 y;
	struct ks_pv1 x2;
};

static const struct kstate_field ks_pair_fields[] = {
	KSTATE_STRUCT(struct ks_pair, x, &ks_pv1_desc, 1),
	KSTATE_STRUCT(struct ks_pair, y, &ks_pv2_desc, 1),
	KSTATE_STRUCT(struct ks_pair, x2, &ks_pv1_desc, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_pair_desc = {
	.name = "kstate-test,pair", .version_id = 1,
	.size = sizeof(struct ks_pair), .fields = ks_pair_fields,
};

static void kstate_test_nested_two_loaders(struct kunit *test)
{
	struct ks_pair *o;
	struct ks_pv1 *p1;
	struct ks_pv2 *p2;
	struct ks_guard g = {}, g1 = {}, g2 = {};
	struct kstate_in in;
	struct ks_sb b = {};

	stub_reset();
	ks_sb_init(test, &b, 1024);
	ks_sb_desc(&b, "kstate-test,pair", 3);
	ks_sb_field(&b, "x", KSTATE_STRUCT, KSTATE_REQUIRED, 0, 4, 0, 1);
	ks_sb_field(&b, "y", KSTATE_STRUCT, KSTATE_REQUIRED, 0, 16, 0, 1);
	ks_sb_field(&b, "x2", KSTATE_STRUCT, KSTATE_REQUIRED, 0, 4, 0, 1);
	ks_sb_desc(&b, "kstate-test,pv", 1);
	ks_sb_field(&b, "v", KSTATE_U32, KSTATE_REQUIRED, 0, 4, 0,
		    KSTATE_NO_DESC);
	ks_sb_inst(&b, 0, 1);
	ks_sb_u32(&b, 101);
	ks_sb_u32(&b, 202);
	ks_sb_u32(&b, 303);
	ks_sb_inst(&b, 1, 7);
	ks_sb_u32(&b, 404);
	ks_sb_inst(&b, 1, 8);
	ks_sb_u32(&b, 505);
	KUNIT_ASSERT_EQ(test, 0, ks_open_sb(test, &in, &b));
	/* the table alone, with each layout, then nested in both */
	p2 = ks_guard_init(test, &g2, sizeof(*p2), 0x77);
	KUNIT_EXPECT_EQ(test, 0, kstate_in_restore(&in, &ks_pv2_desc, p2, 7));
	KUNIT_EXPECT_EQ(test, p2->v, 404);
	KUNIT_EXPECT_EQ(test, p2->pad, 0x7777777777777777ULL);
	KUNIT_EXPECT_TRUE(test, ks_guard_canaries_ok(&g2));
	o = ks_guard_init(test, &g, sizeof(*o), 0x66);
	KUNIT_EXPECT_EQ(test, 0, kstate_in_restore(&in, &ks_pair_desc, o, 1));
	KUNIT_EXPECT_EQ(test, o->x.v, 101);
	KUNIT_EXPECT_EQ(test, o->y.v, 202);
	KUNIT_EXPECT_EQ(test, o->y.pad, 0x6666666666666666ULL);
	KUNIT_EXPECT_EQ(test, o->x2.v, 303);
	KUNIT_EXPECT_TRUE(test, ks_guard_canaries_ok(&g));
	p1 = ks_guard_init(test, &g1, sizeof(*p1), 0x55);
	KUNIT_EXPECT_EQ(test, 0, kstate_in_restore(&in, &ks_pv1_desc, p1, 8));
	KUNIT_EXPECT_EQ(test, p1->v, 505);
	KUNIT_EXPECT_TRUE(test, ks_guard_canaries_ok(&g1));
	kstate_in_close(&in);
}

/* ---- a failed restore gives back what it claimed --------------------------- */

struct ks_mem3 {
	struct folio *fa;
	u32 nr;
	struct page *pg;
	struct ks_inner *pin;
	struct folio *fb;
};

static const struct kstate_field ks_mem3_fields[] = {
	KSTATE_FOLIO(struct ks_mem3, fa, 1),
	KSTATE_PAGES(struct ks_mem3, pg, nr, 4, 1),
	KSTATE_PTR_STRUCT(struct ks_mem3, pin, &ks_inner_desc, 1),
	KSTATE_FOLIO(struct ks_mem3, fb, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_mem3_desc = {
	.name = "kstate-test,mem3", .version_id = 1,
	.size = sizeof(struct ks_mem3), .fields = ks_mem3_fields,
};

/*
 * The second folio is gone by the time of the restore, which the check
 * pass cannot see: the folio and pages claimed before it must be given
 * back, zeroed, and the struct the object points to left as it was.
 */
static void kstate_test_rollback_releases(struct kunit *test)
{
	struct ks_session *s = ks_session(test);
	struct folio *fa = folio_alloc(GFP_KERNEL, 1);
	struct folio *fb = folio_alloc(GFP_KERNEL, 0);
	struct page *pg = alloc_pages(GFP_KERNEL, 1);
	struct ks_mem3 src = { .fa = fa, .nr = 2, .pg = pg, .fb = fb }, *r;
	struct ks_inner pin = {}, *target;
	struct ks_guard g = {}, gt = {};
	unsigned long held, claims, releases;

	KUNIT_ASSERT_TRUE(test, fa && fb && pg);
	ks_inner_fill(&pin, 9);
	src.pin = &pin;
	KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, &ks_mem3_desc, &src, 1));
	ks_handover(test, s);
	KUNIT_ASSERT_EQ(test, 0, stub_unpreserve_folio(fb));
	memset(folio_address(fa), 0xab, folio_size(fa));
	memset(page_address(pg), 0xcd, 2 * PAGE_SIZE);

	r = ks_guard_init(test, &g, sizeof(*r), 0);
	target = ks_guard_init(test, &gt, sizeof(*target), 0x11);
	r->pin = target;
	ks_guard_snap(&g);
	ks_guard_snap(&gt);
	held = stub_held();
	claims = stub_count.claim;
	releases = stub_count.release;
	KUNIT_EXPECT_EQ(test, -EINVAL, kstate_in_restore(&s->in, &ks_mem3_desc,
							 r, 1));
	KUNIT_EXPECT_NOT_NULL(test, strstr(s->in.last_error, "not preserved"));
	KUNIT_EXPECT_TRUE(test, ks_guard_unchanged(&g));
	KUNIT_EXPECT_TRUE(test, ks_guard_unchanged(&gt));
	/* claimed, then released: nothing leaks, nothing stays claimed */
	KUNIT_EXPECT_EQ(test, stub_count.claim - claims, 2);
	KUNIT_EXPECT_EQ(test, stub_count.release - releases, 2);
	KUNIT_EXPECT_EQ(test, stub_held(), held);
	KUNIT_EXPECT_EQ(test, stub_count.bad_release, 0);
	KUNIT_EXPECT_NULL(test, xa_load(&stub_claimed, folio_pfn(fa)));
	KUNIT_EXPECT_NULL(test, xa_load(&stub_claimed, page_to_pfn(pg)));
	/* what was claimed may hold tenant data: it is given back zeroed */
	KUNIT_EXPECT_NULL(test, memchr_inv(folio_address(fa), 0,
					   folio_size(fa)));
	KUNIT_EXPECT_NULL(test, memchr_inv(page_address(pg), 0, 2 * PAGE_SIZE));
	/* and the instance stays refused */
	KUNIT_EXPECT_EQ(test, -EINVAL, kstate_in_restore(&s->in, &ks_mem3_desc,
							 r, 1));
	KUNIT_EXPECT_EQ(test, stub_held(), held);
	kstate_in_close(&s->in);
	KUNIT_EXPECT_EQ(test, stub_held(), 0);
	folio_put(fa);
	folio_put(fb);
	__free_pages(pg, 1);
}

/* ---- kstate_save() and kstate_discard() ------------------------------------ */

static void ks_test_ops_off(void *arg)
{
	kstate_discard();
	kstate_set_test_ops(NULL);
}

/* A discarded save leaves nothing preserved, whatever was saved before. */
static void kstate_test_save_discard(struct kunit *test)
{
	struct ks_all *src = kunit_kzalloc(test, sizeof(*src), GFP_KERNEL);
	struct folio *folio = folio_alloc(GFP_KERNEL, 0);
	struct page *pages = alloc_pages(GFP_KERNEL, 1);
	unsigned long one;

	KUNIT_ASSERT_TRUE(test, src && folio && pages);
	src->folio = folio;
	src->pages = pages;
	src->nr_pages = 2;
	stub_reset();
	kstate_set_test_ops(&stub_ops);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test,
							   ks_test_ops_off,
							   NULL));
	KUNIT_ASSERT_EQ(test, 0, kstate_register(&ks_all_desc, src, 0x5157));
	KUNIT_EXPECT_EQ(test, 0, kstate_save());
	/* the folio, the pages, a data page and a directory page at least */
	KUNIT_EXPECT_GE(test, stub_count.preserve, 4);
	KUNIT_EXPECT_EQ(test, stub_count.unpreserve, 0);
	KUNIT_EXPECT_NOT_NULL(test, xa_load(&stub_preserved, folio_pfn(folio)));
	KUNIT_EXPECT_NOT_NULL(test, xa_load(&stub_preserved,
					    page_to_pfn(pages)));
	kstate_discard();
	KUNIT_EXPECT_TRUE(test, xa_empty(&stub_preserved));
	KUNIT_EXPECT_EQ(test, stub_count.preserve, stub_count.unpreserve);

	/* a save replaces the one before it; a discard undoes the last */
	one = stub_count.preserve;
	KUNIT_EXPECT_EQ(test, 0, kstate_save());
	KUNIT_EXPECT_EQ(test, 0, kstate_save());
	KUNIT_EXPECT_EQ(test, stub_count.preserve, 3 * one);
	KUNIT_EXPECT_EQ(test, stub_count.unpreserve, 2 * one);
	kstate_discard();
	KUNIT_EXPECT_TRUE(test, xa_empty(&stub_preserved));
	KUNIT_EXPECT_EQ(test, stub_count.preserve, stub_count.unpreserve);
	/* discarding twice, or with nothing saved, is harmless */
	kstate_discard();
	KUNIT_EXPECT_EQ(test, stub_count.preserve, stub_count.unpreserve);
	KUNIT_EXPECT_EQ(test, stub_count.claim, 0);
	kstate_unregister(&ks_all_desc, src, 0x5157);
	folio_put(folio);
	__free_pages(pages, 1);
}

/* ---- hostile sizes and counts ------------------------------------------------ */

/* What sorting @n names may take: a few comparisons per name and level. */
static unsigned long ks_sort_bound(unsigned long n)
{
	return 4 * n * (ilog2(n) + 1);
}

#define KS_NAMES	8192

struct ks_one {
	u32 v;
};

static const struct kstate_field ks_one_fields[] = {
	KSTATE_U32(struct ks_one, v, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_d5_desc = {
	.name = "kstate-test,d00005", .version_id = 1,
	.size = sizeof(struct ks_one), .fields = ks_one_fields,
};

static const struct kstate_description ks_d0_desc = {
	.name = "kstate-test,d00000", .version_id = 1,
	.size = sizeof(struct ks_one), .fields = ks_one_fields,
};

static const struct kstate_description ks_wide_desc = {
	.name = "kstate-test,wide", .version_id = 1,
	.size = sizeof(struct ks_one), .fields = ks_one_fields,
};

/*
 * Thousands of tables, and a table of thousands of fields, with one name
 * taken twice in each: the names are checked in O(n log n) comparisons,
 * the duplicates refused, and the rest found.
 */
static void kstate_test_many_names(struct kunit *test)
{
	struct ks_one r = { 7 };
	struct kstate_in in;
	struct ks_sb b = {};
	char name[24];
	unsigned int i;

	ks_sb_init(test, &b, KS_NAMES * 64);
	for (i = 0; i < KS_NAMES; i++) {
		snprintf(name, sizeof(name), "kstate-test,d%05u",
			 i == KS_NAMES - 1 ? 0 : i);
		ks_sb_desc(&b, name, 1);
		ks_sb_field(&b, "v", KSTATE_U32, KSTATE_REQUIRED, 0, 4, 0,
			    KSTATE_NO_DESC);
	}
	ks_sb_inst(&b, 5, 1);
	ks_sb_u32(&b, 55);
	ks_sb_inst(&b, 0, 1);
	ks_sb_u32(&b, 66);
	KUNIT_ASSERT_EQ(test, 0, ks_open_sb(test, &in, &b));
	kunit_info(test, "%u tables: %lu name comparisons\n", KS_NAMES,
		   in.nr_name_cmps);
	KUNIT_EXPECT_LE(test, in.nr_name_cmps, ks_sort_bound(KS_NAMES));
	KUNIT_EXPECT_EQ(test, 0, kstate_in_restore(&in, &ks_d5_desc, &r, 1));
	KUNIT_EXPECT_EQ(test, r.v, 55);
	KUNIT_EXPECT_EQ(test, -EINVAL, kstate_in_restore(&in, &ks_d0_desc, &r,
							 1));
	KUNIT_EXPECT_EQ(test, r.v, 55);
	kstate_in_close(&in);

	ks_sb_init(test, &b, KS_NAMES * 64);
	ks_sb_desc(&b, "kstate-test,wide", KS_NAMES);
	for (i = 0; i < KS_NAMES; i++) {
		snprintf(name, sizeof(name), "f%05u", i == KS_NAMES - 1 ? 1 : i);
		ks_sb_field(&b, i ? name : "v", KSTATE_U32, KSTATE_OPTIONAL, 0,
			    4, 0, KSTATE_NO_DESC);
	}
	ks_sb_desc(&b, "kstate-test,d00005", KS_NAMES - 1);
	for (i = 0; i < KS_NAMES - 1; i++) {
		snprintf(name, sizeof(name), "f%05u", i);
		ks_sb_field(&b, i ? name : "v", KSTATE_U32, KSTATE_OPTIONAL, 0,
			    4, 0, KSTATE_NO_DESC);
	}
	ks_sb_inst(&b, 0, 1);
	for (i = 0; i < KS_NAMES; i++)
		ks_sb_u32(&b, i);
	ks_sb_inst(&b, 1, 1);
	for (i = 0; i < KS_NAMES - 1; i++)
		ks_sb_u32(&b, 1000 + i);
	KUNIT_ASSERT_EQ(test, 0, ks_open_sb(test, &in, &b));
	kunit_info(test, "2 tables of %u fields: %lu name comparisons\n",
		   KS_NAMES, in.nr_name_cmps);
	KUNIT_EXPECT_LE(test, in.nr_name_cmps, 2 * ks_sort_bound(KS_NAMES));
	KUNIT_EXPECT_EQ(test, -EINVAL, kstate_in_restore(&in, &ks_wide_desc,
							 &r, 1));
	KUNIT_EXPECT_EQ(test, r.v, 55);
	KUNIT_EXPECT_EQ(test, 0, kstate_in_restore(&in, &ks_d5_desc, &r, 1));
	KUNIT_EXPECT_EQ(test, r.v, 1000);
	kstate_in_close(&in);
}

/* Counts beyond what the stream's size can hold are refused up front. */
static void kstate_test_hostile_counts(struct kunit *test)
{
	struct ks_session *s = ks_session(test);
	struct ks_dev devs[2] = {};
	struct kstate_in in;
	unsigned long claims;
	phys_addr_t dir;
	u8 *stream;
	size_t size;

	ks_save_devs(test, s, devs, 2);
	stream = ks_saved_copy(test, s);
	size = s->w.size;
	/* fewer bytes than the smallest description record times the count */
	put_unaligned_le32((size - sizeof(struct kstate_stream_hdr)) / 16,
			   stream + offsetof(struct kstate_stream_hdr, nr_descs));
	KUNIT_EXPECT_EQ(test, -EINVAL, ks_open_copy(test, &in, stream, size));
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(in.last_error,
					       "too many descriptions"),
				  "%s", in.last_error);
	kstate_in_close(&in);

	/* a size the index cannot address: refused before anything is claimed */
	kstate_writer_destroy(&s->w);
	kstate_writer_init(&s->w, &stub_ops);
	KUNIT_ASSERT_EQ(test, 0, kstate_write_stream(&s->w, &s->out));
	KUNIT_ASSERT_EQ(test, 0, kstate_writer_publish(&s->w, &dir));
	claims = stub_count.claim;
	kstate_in_init(&in);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			kstate_in_load_pages(&in, dir, (u64)U32_MAX + 1,
					     &stub_ops));
	KUNIT_EXPECT_EQ(test, stub_count.claim, claims);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(in.last_error, "size"), "%s",
				  in.last_error);
	kstate_in_close(&in);
	/* the stream itself still loads */
	KUNIT_EXPECT_EQ(test, 0, kstate_in_load_pages(&s->in, dir, s->w.size,
						      &stub_ops));
}

/* ---- structured mutations of table references ---------------------------- */

struct ks_mleaf {
	u32 a;
	u16 b;
};

static const struct kstate_field ks_mleaf_fields[] = {
	KSTATE_U32(struct ks_mleaf, a, 1),
	KSTATE_U16(struct ks_mleaf, b, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_mleaf_desc = {
	.name = "kstate-test,mleaf", .version_id = 1,
	.size = sizeof(struct ks_mleaf), .fields = ks_mleaf_fields,
};

struct ks_mmid {
	u64 a;
	struct ks_mleaf leaf;
	struct ks_mleaf *pl;
	u8 b;
};

static const struct kstate_field ks_mmid_fields[] = {
	KSTATE_U64(struct ks_mmid, a, 1),
	KSTATE_STRUCT(struct ks_mmid, leaf, &ks_mleaf_desc, 1),
	KSTATE_PTR_STRUCT(struct ks_mmid, pl, &ks_mleaf_desc, 1),
	KSTATE_U8(struct ks_mmid, b, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_mmid_desc = {
	.name = "kstate-test,mmid", .version_id = 1,
	.size = sizeof(struct ks_mmid), .fields = ks_mmid_fields,
};

/* Its fields lie beyond the end of struct ks_mtop. */
struct ks_mbig {
	u8 pad[320];
	u64 b;
	u32 a;
};

static const struct kstate_field ks_mbig_fields[] = {
	KSTATE_U64(struct ks_mbig, b, 1),
	KSTATE_U32(struct ks_mbig, a, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_mbig_desc = {
	.name = "kstate-test,mbig", .version_id = 1,
	.size = sizeof(struct ks_mbig), .fields = ks_mbig_fields,
};

struct ks_mtop {
	u32 a;
	struct ks_mmid mid;
	struct ks_mleaf arr[2];
	u16 nr;
	struct ks_mleaf var[3];
	struct ks_mmid *pm;
	u32 nr_pv;
	struct ks_mleaf *pv;
	struct ks_mbig *pbig;
	struct folio *folio;
	u64 b;
};

static const struct kstate_field ks_mtop_fields[] = {
	KSTATE_U32(struct ks_mtop, a, 1),
	KSTATE_STRUCT(struct ks_mtop, mid, &ks_mmid_desc, 1),
	KSTATE_STRUCT_ARRAY(struct ks_mtop, arr, &ks_mleaf_desc, 1),
	KSTATE_VARRAY(struct ks_mtop, var, nr, KSTATE_STRUCT, &ks_mleaf_desc, 1),
	KSTATE_PTR_STRUCT(struct ks_mtop, pm, &ks_mmid_desc, 1),
	KSTATE_PTR_VARRAY(struct ks_mtop, pv, nr_pv, 4, KSTATE_STRUCT,
			  &ks_mleaf_desc, 1),
	KSTATE_PTR_STRUCT(struct ks_mtop, pbig, &ks_mbig_desc, 1),
	KSTATE_FOLIO(struct ks_mtop, folio, 1),
	KSTATE_U64(struct ks_mtop, b, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description ks_mtop_desc = {
	.name = "kstate-test,mtop", .version_id = 1,
	.size = sizeof(struct ks_mtop), .fields = ks_mtop_fields,
};

/* The saved tables as a model that mutations edit and the encoder follows. */
#define KS_MT_MAX	4
#define KS_MF_MAX	10

struct ks_mfield {
	char name[16];
	u8 kind, rule, elem;
	u32 size, count, desc;
};

struct ks_mtable {
	char name[32];
	u32 nr;
	struct ks_mfield f[KS_MF_MAX];
};

struct ks_model {
	u32 nr;
	struct ks_mtable t[KS_MT_MAX];
	u32 inst_desc;
};

static const struct kstate_description * const ks_mdescs[KS_MT_MAX] = {
	&ks_mtop_desc, &ks_mmid_desc, &ks_mleaf_desc, &ks_mbig_desc,
};

static u32 ks_model_index(const struct kstate_description *d)
{
	u32 i;

	for (i = 0; i < KS_MT_MAX; i++)
		if (ks_mdescs[i] == d)
			return i;
	return KSTATE_NO_DESC;
}

/* The tables a save of struct ks_mtop writes. */
static void ks_model_init(struct ks_model *m)
{
	const struct kstate_field *f;
	u32 i, j;

	memset(m, 0, sizeof(*m));
	m->nr = KS_MT_MAX;
	for (i = 0; i < KS_MT_MAX; i++) {
		strscpy(m->t[i].name, ks_mdescs[i]->name, sizeof(m->t[i].name));
		for (j = 0, f = ks_mdescs[i]->fields; f->kind; f++, j++) {
			struct ks_mfield *mf = &m->t[i].f[j];

			strscpy(mf->name, f->name, sizeof(mf->name));
			mf->kind = f->kind;
			mf->rule = f->rule;
			mf->elem = f->elem;
			mf->size = f->size;
			mf->count = f->count;
			mf->desc = f->desc ? ks_model_index(f->desc) :
					     KSTATE_NO_DESC;
		}
		m->t[i].nr = j;
	}
}

static u32 ks_rnd(struct rnd_state *rnd, u32 n)
{
	return n ? prandom_u32_state(rnd) % n : 0;
}

/* A field of @t that refers to a table, or NULL. */
static struct ks_mfield *ks_ref_field(struct ks_mtable *t, struct rnd_state *rnd)
{
	u32 i, n = 0, pick;

	for (i = 0; i < t->nr; i++)
		n += t->f[i].desc != KSTATE_NO_DESC;
	if (!n)
		return NULL;
	pick = ks_rnd(rnd, n);
	for (i = 0; i < t->nr; i++)
		if (t->f[i].desc != KSTATE_NO_DESC && !pick--)
			return &t->f[i];
	return NULL;
}

static void ks_mutate(struct ks_model *m, struct rnd_state *rnd)
{
	/* mostly the instance's own table, where a mistake costs most */
	u32 ti = ks_rnd(rnd, 2) ? m->inst_desc : ks_rnd(rnd, m->nr);
	struct ks_mtable *t = &m->t[ti % m->nr];
	struct ks_mfield *f = &t->f[ks_rnd(rnd, t->nr)], *rf, tmp;
	u32 to = ks_rnd(rnd, m->nr), i;

	rf = ks_ref_field(t, rnd);
	switch (ks_rnd(rnd, 12)) {
	case 0:		/* point a reference at another table, or nowhere */
		if (rf)
			rf->desc = ks_rnd(rnd, 8) ? to : m->nr + ks_rnd(rnd, 3);
		break;
	case 1:		/* at the table itself */
		if (rf)
			rf->desc = ti % m->nr;
		break;
	case 2:		/* at the instance's table */
		if (rf)
			rf->desc = m->inst_desc;
		break;
	case 3:		/* make a field a nested struct */
		f->kind = KSTATE_STRUCT;
		f->desc = to;
		break;
	case 4:		/* make a field a pointer to structs */
		f->kind = KSTATE_PTR;
		f->elem = KSTATE_STRUCT;
		f->count = 1 + ks_rnd(rnd, 3);
		f->rule = KSTATE_OPTIONAL;
		f->desc = to;
		break;
	case 5:		/* an array of structs */
		f->kind = ks_rnd(rnd, 2) ? KSTATE_ARRAY : KSTATE_VARRAY;
		f->elem = KSTATE_STRUCT;
		f->count = 1 + ks_rnd(rnd, 3);
		f->desc = to;
		break;
	case 6:		/* a table of another's name */
		strscpy(t->name, m->t[to].name, sizeof(t->name));
		break;
	case 7:		/* a field of another table's field name */
		strscpy(f->name, m->t[to].f[ks_rnd(rnd, m->t[to].nr)].name,
			sizeof(f->name));
		break;
	case 8:
		f->count = ks_rnd(rnd, 6);
		break;
	case 9:
		m->inst_desc = to;
		break;
	case 10:	/* a loader that lacks a field may skip it */
		for (i = 0; i < t->nr; i++)
			t->f[i].rule = KSTATE_OPTIONAL;
		break;
	default:	/* reorder */
		tmp = *f;
		*f = t->f[0];
		t->f[0] = tmp;
		break;
	}
}

/*
 * Values that follow the (mutated) tables, so that the stream decodes as
 * far as the tables allow; past the depth limit the data simply ends.
 */
struct ks_enc {
	struct ks_sb *b;
	const struct ks_model *m;
	struct rnd_state *rnd;
	u64 folio_phys;
};

static void ks_enc_struct(struct ks_enc *e, u32 ti, int depth);

static void ks_enc_elems(struct ks_enc *e, const struct ks_mfield *f, u32 n,
			 int depth)
{
	u32 i, j;

	for (i = 0; i < n; i++) {
		if (f->elem == KSTATE_STRUCT) {
			ks_enc_struct(e, f->desc, depth + 1);
			continue;
		}
		for (j = 0; j < min_t(u32, f->size, 8); j++)
			ks_sb_u8(e->b, f->elem == KSTATE_BOOL && !j ?
				 ks_rnd(e->rnd, 2) : ks_rnd(e->rnd, 256));
	}
}

static void ks_enc_value(struct ks_enc *e, const struct ks_mfield *f,
			 int depth)
{
	u32 n, i;

	switch (f->kind) {
	case KSTATE_U8 ... KSTATE_S64:
		for (i = 0; i < min_t(u32, f->size, 8); i++)
			ks_sb_u8(e->b, ks_rnd(e->rnd, 256));
		break;
	case KSTATE_BOOL:
		ks_sb_u8(e->b, ks_rnd(e->rnd, 2));
		break;
	case KSTATE_STRING: case KSTATE_BUFFER: case KSTATE_CUSTOM:
		n = ks_rnd(e->rnd, min_t(u32, f->size, 32) + 1);
		ks_sb_u32(e->b, n);
		for (i = 0; i < n; i++)
			ks_sb_u8(e->b, 'a' + ks_rnd(e->rnd, 26));
		break;
	case KSTATE_STRUCT:
		ks_enc_struct(e, f->desc, depth + 1);
		break;
	case KSTATE_ARRAY:
		ks_enc_elems(e, f, min_t(u32, f->count, 8), depth);
		break;
	case KSTATE_VARRAY:
		n = ks_rnd(e->rnd, min_t(u32, f->count, 8) + 2);
		ks_sb_u32(e->b, n);
		ks_enc_elems(e, f, n, depth);
		break;
	case KSTATE_PTR:
		n = depth < 5 && ks_rnd(e->rnd, 3);
		ks_sb_u8(e->b, n);
		if (!n)
			break;
		n = ks_rnd(e->rnd, min_t(u32, f->count, 8) + 2);
		ks_sb_u32(e->b, n);
		ks_enc_elems(e, f, n, depth);
		break;
	case KSTATE_FOLIO:
		ks_sb_u64(e->b, ks_rnd(e->rnd, 2) ? e->folio_phys : 0);
		ks_sb_u8(e->b, 0);
		break;
	case KSTATE_PAGES:
		ks_sb_u64(e->b, 0);
		ks_sb_u32(e->b, 0);
		break;
	}
}

static void ks_enc_struct(struct ks_enc *e, u32 ti, int depth)
{
	u32 i;

	/* tables that nest without end: the data ends after a while */
	if (ti >= e->m->nr || depth > KSTATE_MAX_DEPTH + 1 ||
	    e->b->p - e->b->buf > SZ_16K)
		return;
	for (i = 0; i < e->m->t[ti].nr; i++)
		ks_enc_value(e, &e->m->t[ti].f[i], depth);
}

static void ks_build_model(struct kunit *test, struct ks_sb *b,
			   const struct ks_model *m, struct rnd_state *rnd,
			   u64 folio_phys)
{
	struct ks_enc e = { b, m, rnd, folio_phys };
	u32 i, j;

	ks_sb_init(test, b, SZ_64K);
	for (i = 0; i < m->nr; i++) {
		ks_sb_desc(b, m->t[i].name, m->t[i].nr);
		for (j = 0; j < m->t[i].nr; j++) {
			const struct ks_mfield *f = &m->t[i].f[j];

			ks_sb_field(b, f->name, f->kind, f->rule, f->elem,
				    f->size, f->count, f->desc);
		}
	}
	ks_sb_inst(b, m->inst_desc, 1);
	ks_enc_struct(&e, m->inst_desc, 0);
}

/* Pointer targets the object has before the restore, between canaries. */
struct ks_mtargets {
	struct ks_guard top, pm, pv, pbig, pl;
};

static bool ks_ptr_sane(const void *p)
{
	return !p || virt_addr_valid(p) || is_vmalloc_addr(p);
}

#define KS_MUTATIONS	6000

static void kstate_test_mutate_refs(struct kunit *test)
{
	unsigned int iter, ok = 0, refused = 0, changed = 0, canary = 0;
	unsigned int held = 0, bad_len = 0, bad_ptr = 0;
	struct folio *folio = folio_alloc(GFP_KERNEL, 0);
	char *text = kvmalloc(SZ_64K, GFP_KERNEL);
	struct ks_mtargets g = {};
	struct rnd_state rnd;
	struct ks_model m;
	struct kstate_in in;
	struct seq_buf sb;
	struct ks_sb b = {};

	KUNIT_ASSERT_TRUE(test, folio && text);
	stub_reset();
	prandom_seed_state(&rnd, 4242);
	for (iter = 0; iter < KS_MUTATIONS; iter++) {
		unsigned int nr = iter ? 1 + ks_rnd(&rnd, 4) : 0, i;
		bool preset = ks_rnd(&rnd, 2);
		unsigned long before;
		struct ks_mtop *o;
		bool sane;
		int err;

		ks_model_init(&m);
		for (i = 0; i < nr; i++)
			ks_mutate(&m, &rnd);
		if (!xa_load(&stub_preserved, folio_pfn(folio)))
			KUNIT_ASSERT_EQ(test, 0, stub_preserve_folio(folio));
		ks_build_model(test, &b, &m, &rnd, PFN_PHYS(folio_pfn(folio)));
		if (ks_open_sb(test, &in, &b)) {
			refused++;
			continue;
		}
		o = ks_guard_init(test, &g.top, sizeof(*o), 0x3c);
		o->pm = NULL;
		o->pv = NULL;
		o->pbig = NULL;
		o->folio = NULL;
		o->mid.pl = NULL;
		/* lengths the stream may not set stay in range */
		o->nr = 2;
		o->nr_pv = 0;
		if (preset) {
			o->pm = ks_guard_init(test, &g.pm, sizeof(*o->pm), 0x4d);
			o->pm->pl = NULL;
			o->pv = ks_guard_init(test, &g.pv, 4 * sizeof(*o->pv),
					      0x5e);
			o->pbig = ks_guard_init(test, &g.pbig, sizeof(*o->pbig),
						0x6f);
			o->mid.pl = ks_guard_init(test, &g.pl,
						  sizeof(*o->mid.pl), 0x70);
			ks_guard_snap(&g.pm);
			ks_guard_snap(&g.pv);
			ks_guard_snap(&g.pbig);
			ks_guard_snap(&g.pl);
		}
		ks_guard_snap(&g.top);
		before = stub_held();
		err = kstate_in_restore(&in, &ks_mtop_desc, o, 1);
		if (!ks_guard_canaries_ok(&g.top) ||
		    (preset && (!ks_guard_canaries_ok(&g.pm) ||
				!ks_guard_canaries_ok(&g.pv) ||
				!ks_guard_canaries_ok(&g.pbig) ||
				!ks_guard_canaries_ok(&g.pl)))) {
			if (!canary++)
				kunit_info(test, "iter %u: a write beyond an object (%d)\n",
					   iter, err);
		}
		if (err) {
			refused++;
			if (!ks_guard_unchanged(&g.top) ||
			    (preset && (!ks_guard_unchanged(&g.pm) ||
					!ks_guard_unchanged(&g.pv) ||
					!ks_guard_unchanged(&g.pbig) ||
					!ks_guard_unchanged(&g.pl)))) {
				if (!changed++)
					kunit_info(test, "iter %u: refused (%s), object changed\n",
						   iter, in.last_error);
			}
			if (stub_held() != before && !held++)
				kunit_info(test, "iter %u: refused (%s), memory left claimed\n",
					   iter, in.last_error);
			kstate_in_close(&in);
			continue;
		}
		ok++;
		if (o->nr > ARRAY_SIZE(o->var) || o->nr_pv > 4)
			bad_len++;
		sane = ks_ptr_sane(o->pm) && ks_ptr_sane(o->pv) &&
		       ks_ptr_sane(o->pbig) && ks_ptr_sane(o->mid.pl) &&
		       (!o->folio || o->folio == folio);
		if (sane && o->pm && o->pm != (void *)(g.pm.buf + KS_CANARY))
			sane = ks_ptr_sane(o->pm->pl);
		if (!sane) {
			if (!bad_ptr++)
				kunit_info(test, "iter %u: restored a bad pointer\n",
					   iter);
		} else if (!preset) {
			if (o->pm)
				kvfree(o->pm->pl);
			kvfree(o->pm);
			kvfree(o->pv);
			kvfree(o->pbig);
			kvfree(o->mid.pl);
		}
		if (o->folio == folio)
			stub_free_folio(folio);
		seq_buf_init(&sb, text, SZ_64K);
		kstate_in_dump(&in, &sb);
		kstate_in_close(&in);
	}
	kunit_info(test, "%u mutated streams: %u restored, %u refused\n",
		   KS_MUTATIONS, ok, refused);
	KUNIT_EXPECT_EQ(test, canary, 0);
	KUNIT_EXPECT_EQ(test, changed, 0);
	KUNIT_EXPECT_EQ(test, held, 0);
	KUNIT_EXPECT_EQ(test, bad_len, 0);
	KUNIT_EXPECT_EQ(test, bad_ptr, 0);
	KUNIT_EXPECT_EQ(test, stub_count.bad_release, 0);
	/* the mutations reach both outcomes */
	KUNIT_EXPECT_GT(test, ok, 100);
	KUNIT_EXPECT_GT(test, refused, 100);
	kvfree(text);
	stub_reset();
	folio_put(folio);
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
	KUNIT_CASE(kstate_test_nested_wrong_name),
	KUNIT_CASE(kstate_test_nested_self_ref),
	KUNIT_CASE(kstate_test_nested_cycle),
	KUNIT_CASE(kstate_test_nested_two_loaders),
	KUNIT_CASE(kstate_test_rollback_releases),
	KUNIT_CASE(kstate_test_save_discard),
	KUNIT_CASE(kstate_test_many_names),
	KUNIT_CASE(kstate_test_hostile_counts),
	KUNIT_CASE(kstate_test_mutate_refs),
	{}
};

static struct kunit_suite kstate_test_suite = {
	.name = "kstate",
	.test_cases = kstate_test_cases,
};

kunit_test_suite(kstate_test_suite);

MODULE_DESCRIPTION("KUnit tests for KSTATE");
MODULE_LICENSE("GPL");
