// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of vfio-pci's handed-over device state: its KSTATE
 * description saved and restored in memory (no KHO, no device), across
 * versions of the description, and the checks against the device found
 * at the devid.
 */
#include <kunit/test.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "vfio_pci_kho_state.h"
/* The in-memory writer and reader of KSTATE streams, for its tests. */
#include "../../../lib/kstate/kstate_internal.h"

#define KEY	0x0000000000000010ULL	/* 0000:00:02.0 */
#define NR_IRQ	5			/* VFIO_PCI_NUM_IRQS */

/* A registry, a stream and a reader, torn down with the test. */
struct vk_session {
	struct kstate_out out;
	struct kstate_writer w;
	struct kstate_in in;
	void *linear;
};

static void vk_session_exit(void *arg)
{
	struct vk_session *s = arg;

	kstate_in_close(&s->in);
	kstate_writer_destroy(&s->w);
	kstate_out_destroy(&s->out);
	kvfree(s->linear);
}

static struct vk_session *vk_session(struct kunit *test)
{
	struct vk_session *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	kstate_out_init(&s->out);
	kstate_writer_init(&s->w, &kstate_nomem_ops);
	kstate_in_init(&s->in);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test,
							   vk_session_exit, s));
	return s;
}

/* Save @obj as @desc and open the stream for restores. */
static void vk_handover(struct kunit *test, struct vk_session *s,
			const struct kstate_description *desc, void *obj)
{
	KUNIT_ASSERT_EQ(test, 0, kstate_out_add(&s->out, desc, obj, KEY));
	KUNIT_ASSERT_EQ(test, 0, kstate_write_stream(&s->w, &s->out));
	s->linear = kstate_writer_linearize(&s->w);
	KUNIT_ASSERT_NOT_NULL(test, s->linear);
	KUNIT_ASSERT_EQ(test, 0, kstate_in_open(&s->in, s->linear, s->w.size,
						&kstate_nomem_ops));
}

static void vk_ident(struct vfio_pci_kho_ident *id)
{
	memset(id, 0, sizeof(*id));
	id->vendor = 0x1234;
	id->device = 0x11e8;
	id->subsystem_vendor = 0x1af4;
	id->subsystem_device = 0x1100;
	id->class = 0xff0000;
	id->revision = 0x10;
	id->cfg_size = 256;
	id->bar_len[0] = 1 << 20;
	id->bar_flags[0] = IORESOURCE_MEM;
}

/* A device's state as vfio-pci would save it; arrays owned by @test. */
static void vk_fill(struct kunit *test, struct vfio_pci_kho_state *st)
{
	int i;

	memset(st, 0, sizeof(*st));
	vk_ident(&st->ident);
	st->vconfig_len = 256;
	st->vconfig = kunit_kzalloc(test, 256, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, st->vconfig);
	for (i = 0; i < 256; i++)
		st->vconfig[i] = i * 7 + 3;
	st->vconfig[0] = 0x34;
	st->vconfig[1] = 0x12;
	st->vconfig[2] = 0xe8;
	st->vconfig[3] = 0x11;
	for (i = 0; i < 7; i++)
		st->rbar[i] = 0xfe800000 + i;
	st->bardirty = true;
	st->reset_works = false;
	st->pci_2_3 = true;
	st->needs_reset = true;
	st->irq_type = 1;			/* MSI */
	st->irq_count = 1;
	st->msix_bar = 0xff;
	st->power_state = 0;
	st->pci_state_len = 84;
	st->pci_state = kunit_kzalloc(test, 84, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, st->pci_state);
	for (i = 0; i < 84; i++)
		st->pci_state[i] = 0xa0 ^ i;
}

static void vk_expect_same(struct kunit *test,
			   const struct vfio_pci_kho_state *a,
			   const struct vfio_pci_kho_state *b)
{
	KUNIT_EXPECT_MEMEQ(test, &a->ident, &b->ident, sizeof(a->ident));
	KUNIT_ASSERT_EQ(test, a->vconfig_len, b->vconfig_len);
	KUNIT_ASSERT_NOT_NULL(test, b->vconfig);
	KUNIT_EXPECT_MEMEQ(test, a->vconfig, b->vconfig, a->vconfig_len);
	KUNIT_EXPECT_MEMEQ(test, a->rbar, b->rbar, sizeof(a->rbar));
	KUNIT_EXPECT_EQ(test, a->bardirty, b->bardirty);
	KUNIT_EXPECT_EQ(test, a->virq_disabled, b->virq_disabled);
	KUNIT_EXPECT_EQ(test, a->reset_works, b->reset_works);
	KUNIT_EXPECT_EQ(test, a->pci_2_3, b->pci_2_3);
	KUNIT_EXPECT_EQ(test, a->nointx, b->nointx);
	KUNIT_EXPECT_EQ(test, a->needs_reset, b->needs_reset);
	KUNIT_EXPECT_EQ(test, a->irq_type, b->irq_type);
	KUNIT_EXPECT_EQ(test, a->irq_count, b->irq_count);
	KUNIT_EXPECT_EQ(test, a->msix_bar, b->msix_bar);
	KUNIT_EXPECT_EQ(test, a->msix_size, b->msix_size);
	KUNIT_EXPECT_EQ(test, a->msix_offset, b->msix_offset);
	KUNIT_EXPECT_EQ(test, a->power_state, b->power_state);
	KUNIT_ASSERT_EQ(test, a->pci_state_len, b->pci_state_len);
	KUNIT_ASSERT_NOT_NULL(test, b->pci_state);
	KUNIT_EXPECT_MEMEQ(test, a->pci_state, b->pci_state, a->pci_state_len);
}

static void vk_free_state(void *st)
{
	vfio_pci_kho_state_free(st);
}

/* Restore the instance of KEY as @desc into @obj. */
static int vk_restore(struct vk_session *s,
		      const struct kstate_description *desc, void *obj)
{
	return kstate_in_restore(&s->in, desc, obj, KEY);
}

/* The loader's arrays are kvcalloc()ed by KSTATE: freed with the state. */
static struct vfio_pci_kho_state *vk_new(struct kunit *test)
{
	struct vfio_pci_kho_state *st = kzalloc(sizeof(*st), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, st);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, vk_free_state, st));
	return st;
}

static void vfio_pci_kho_test_roundtrip(struct kunit *test)
{
	struct vk_session *s = vk_session(test);
	struct vfio_pci_kho_state saved, *got = vk_new(test), *other;
	struct vfio_pci_kho_ident real;

	vk_fill(test, &saved);
	vk_handover(test, s, &vfio_pci_kho_state_desc, &saved);
	KUNIT_ASSERT_EQ(test, 0, vk_restore(s, &vfio_pci_kho_state_desc, got));
	vk_expect_same(test, &saved, got);
	vk_ident(&real);
	KUNIT_EXPECT_NULL(test, vfio_pci_kho_state_check(got, &real, NR_IRQ));

	/* Another id, or the same one twice, finds nothing. */
	other = vk_new(test);
	KUNIT_EXPECT_EQ(test, -ENOENT,
			kstate_in_restore(&s->in, &vfio_pci_kho_state_desc,
					  other, KEY + 1));
	KUNIT_EXPECT_EQ(test, -EALREADY,
			vk_restore(s, &vfio_pci_kho_state_desc, other));
}

/* Each field of the identity and each bound of the state is checked. */
static void vfio_pci_kho_test_check(struct kunit *test)
{
	struct vfio_pci_kho_state st;
	struct vfio_pci_kho_ident real;

	vk_fill(test, &st);
	vk_ident(&real);
	KUNIT_ASSERT_NULL(test, vfio_pci_kho_state_check(&st, &real, NR_IRQ));

#define VK_REFUSED(change, undo) do {					\
		change;							\
		KUNIT_EXPECT_NOT_NULL_MSG(test,				\
			vfio_pci_kho_state_check(&st, &real, NR_IRQ),	\
			"accepted with " #change);			\
		undo;							\
		KUNIT_ASSERT_NULL(test,					\
			vfio_pci_kho_state_check(&st, &real, NR_IRQ));	\
	} while (0)

	VK_REFUSED(real.vendor++, real.vendor--);
	VK_REFUSED(real.device++, real.device--);
	VK_REFUSED(real.subsystem_device++, real.subsystem_device--);
	VK_REFUSED(real.class++, real.class--);
	VK_REFUSED(real.revision++, real.revision--);
	VK_REFUSED(real.hdr_type++, real.hdr_type--);
	VK_REFUSED(real.cfg_size = 4096, real.cfg_size = 256);
	VK_REFUSED(real.bar_len[0] <<= 1, real.bar_len[0] >>= 1);
	VK_REFUSED(real.bar_len[5] = 4096, real.bar_len[5] = 0);
	VK_REFUSED(real.bar_flags[0] |= IORESOURCE_PREFETCH,
		   real.bar_flags[0] &= ~IORESOURCE_PREFETCH);
	VK_REFUSED(st.vconfig_len = 255, st.vconfig_len = 256);
	VK_REFUSED(st.vconfig[0] ^= 1, st.vconfig[0] ^= 1);
	VK_REFUSED(st.irq_type = NR_IRQ + 1, st.irq_type = 1);
	VK_REFUSED(st.irq_type = -1, st.irq_type = 1);
	VK_REFUSED(st.irq_type = NR_IRQ, st.irq_type = 1);	/* with a count */
	VK_REFUSED(st.power_state = 5, st.power_state = 0);
	VK_REFUSED(st.msix_bar = 6, st.msix_bar = 0xff);
	VK_REFUSED((st.msix_bar = 0, st.msix_offset = 1 << 20,
		    st.msix_size = 16), st.msix_bar = 0xff);
	VK_REFUSED(st.pci_state = NULL, st.pci_state = (u8 *)&st);
#undef VK_REFUSED
}

/*
 * A newer description of the same state: the real field table plus
 * @extra, with version 2 and oldest loaded version @min.
 */
struct vk_future {
	struct vfio_pci_kho_state st;
	u32 extra;
};

static struct kstate_description *vk_future_desc(struct kunit *test,
						 enum kstate_rule rule,
						 u32 min)
{
	struct kstate_description *d;
	struct kstate_field *f;
	unsigned int n = 0;

	while (vfio_pci_kho_state_fields[n].kind != KSTATE_KIND_NONE)
		n++;
	f = kunit_kcalloc(test, n + 2, sizeof(*f), GFP_KERNEL);
	d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_ASSERT_NOT_NULL(test, d);
	memcpy(f, vfio_pci_kho_state_fields, n * sizeof(*f));
	f[n] = (struct kstate_field)KSTATE_U32(struct vk_future, extra, 2);
	f[n].rule = rule;
	*d = vfio_pci_kho_state_desc;
	d->version_id = 2;
	d->min_version_id = min;
	d->size = sizeof(struct vk_future);
	d->fields = f;
	return d;
}

/* A newer kernel's state with an optional field: this one loads it. */
static void vfio_pci_kho_test_from_newer(struct kunit *test)
{
	struct vk_session *s = vk_session(test);
	struct vfio_pci_kho_state *got = vk_new(test);
	struct vk_future saved = { .extra = 0xdecaf };

	vk_fill(test, &saved.st);
	vk_handover(test, s, vk_future_desc(test, KSTATE_OPTIONAL, 1),
		    &saved);
	KUNIT_ASSERT_EQ(test, 0, vk_restore(s, &vfio_pci_kho_state_desc, got));
	vk_expect_same(test, &saved.st, got);
}

/* A newer kernel's field this one must understand: the device is refused. */
static void vfio_pci_kho_test_from_newer_required(struct kunit *test)
{
	struct vk_session *s = vk_session(test);
	struct vk_future saved = { .extra = 1 };

	vk_fill(test, &saved.st);
	vk_handover(test, s, vk_future_desc(test, KSTATE_REQUIRED, 1),
		    &saved);
	KUNIT_EXPECT_EQ(test, -EOPNOTSUPP,
			vk_restore(s, &vfio_pci_kho_state_desc, vk_new(test)));
}

/* A newer kernel loads this one's state; the new field keeps its default. */
static void vfio_pci_kho_test_to_newer(struct kunit *test)
{
	struct vk_session *s = vk_session(test);
	struct vfio_pci_kho_state saved;
	struct vk_future *got = kunit_kzalloc(test, sizeof(*got), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, got);
	got->extra = 77;
	vk_fill(test, &saved);
	vk_handover(test, s, &vfio_pci_kho_state_desc, &saved);
	KUNIT_ASSERT_EQ(test, 0,
			vk_restore(s, vk_future_desc(test, KSTATE_OPTIONAL, 1),
				   got));
	vk_expect_same(test, &saved, &got->st);
	KUNIT_EXPECT_EQ(test, got->extra, 77);
	kvfree(got->st.vconfig);
	kvfree(got->st.pci_state);
}

/* A newer kernel that no longer loads version 1 refuses it. */
static void vfio_pci_kho_test_too_old(struct kunit *test)
{
	struct vk_session *s = vk_session(test);
	struct vfio_pci_kho_state saved;
	struct vk_future *got = kunit_kzalloc(test, sizeof(*got), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, got);
	vk_fill(test, &saved);
	vk_handover(test, s, &vfio_pci_kho_state_desc, &saved);
	KUNIT_EXPECT_EQ(test, -EOPNOTSUPP,
			vk_restore(s, vk_future_desc(test, KSTATE_OPTIONAL, 2),
				   got));
	KUNIT_EXPECT_NULL(test, got->st.vconfig);
}

/* More config space than a device has is refused by the loader. */
static void vfio_pci_kho_test_oversized(struct kunit *test)
{
	struct vk_session *s = vk_session(test);
	struct kstate_description *d = vk_future_desc(test, KSTATE_OPTIONAL,
						      1);
	struct kstate_field *f = (struct kstate_field *)d->fields;
	struct vfio_pci_kho_state saved;

	/* A hostile writer whose capacity is larger than the loader's. */
	while (strcmp(f->name, "vconfig"))
		f++;
	f->count = 2 * VFIO_PCI_KHO_CFG_MAX;
	vk_fill(test, &saved);
	saved.vconfig_len = VFIO_PCI_KHO_CFG_MAX + 1;
	saved.vconfig = kunit_kzalloc(test, saved.vconfig_len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, saved.vconfig);
	vk_handover(test, s, d, &saved);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			vk_restore(s, &vfio_pci_kho_state_desc, vk_new(test)));
}

static struct kunit_case vfio_pci_kho_test_cases[] = {
	KUNIT_CASE(vfio_pci_kho_test_roundtrip),
	KUNIT_CASE(vfio_pci_kho_test_check),
	KUNIT_CASE(vfio_pci_kho_test_from_newer),
	KUNIT_CASE(vfio_pci_kho_test_from_newer_required),
	KUNIT_CASE(vfio_pci_kho_test_to_newer),
	KUNIT_CASE(vfio_pci_kho_test_too_old),
	KUNIT_CASE(vfio_pci_kho_test_oversized),
	{}
};

static struct kunit_suite vfio_pci_kho_test_suite = {
	.name = "vfio_pci_kho_state",
	.test_cases = vfio_pci_kho_test_cases,
};

kunit_test_suite(vfio_pci_kho_test_suite);

MODULE_DESCRIPTION("KUnit tests of vfio-pci's handed-over device state");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
