// SPDX-License-Identifier: GPL-2.0-only
/*
 * KSTATE: the registry of objects to save, and the check of descriptions.
 *
 * A description is checked once, when an object is registered with it, so
 * that the writer can trust it: every field lies inside the struct, kinds
 * and sizes agree, names are unique and printable, versions are ordered, and
 * nesting is bounded.
 */
#define pr_fmt(fmt) "kstate: " fmt

#include <kunit/visibility.h>
#include <linux/ctype.h>
#include <linux/hash.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kstate_internal.h"

/* A description in use, by name: one name may not mean two descriptions. */
struct kstate_named {
	struct list_head list;
	const struct kstate_description *desc;
	unsigned long refs;
};

struct kstate_entry {
	struct list_head list;
	struct hlist_node hash;
	const struct kstate_description *desc;
	void *obj;
	u64 id;
};

/**
 * kstate_name_ok() - is this a valid description or field name
 * @name: the name, not necessarily NUL-terminated.
 * @len: its length.
 *
 * Context: Any context.
 * Return: true for 1 to %KSTATE_NAME_MAX letters, digits and ",._+-".
 */
bool kstate_name_ok(const char *name, size_t len)
{
	size_t i;

	if (!len || len > KSTATE_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum(name[i]) && !strchr(",._+-", name[i]))
			return false;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(kstate_name_ok);

/**
 * kstate_grow() - make room for one more entry in a kvmalloc()ed array
 * @array: the array, possibly NULL; replaced when it grows.
 * @nr: entries in use.
 * @cap: room in @array; updated when it grows.
 * @esize: bytes per entry.
 *
 * Context: Process context; may sleep.
 * Return: 0, with room for entry @nr; -ENOMEM, with @array unchanged.
 */
int kstate_grow(void **array, unsigned int nr, unsigned int *cap,
		size_t esize)
{
	unsigned int ncap;
	void *n;

	if (nr < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	n = kvrealloc(*array, array_size(ncap, esize), GFP_KERNEL);
	if (!n)
		return -ENOMEM;
	*array = n;
	*cap = ncap;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(kstate_grow);

static int kstate_bad(const struct kstate_description *d,
		      const struct kstate_field *f, const char *why)
{
	pr_err("description \"%s\": field \"%s\": %s\n",
	       d->name ?: "(null)", f && f->name ? f->name : "-", why);
	return -EINVAL;
}

static bool kstate_len_ok(const struct kstate_description *d,
			  const struct kstate_field *f)
{
	return (f->len_size == 1 || f->len_size == 2 || f->len_size == 4 ||
		f->len_size == 8) && f->len_offset + f->len_size <= d->size;
}

static int kstate_check_elem(const struct kstate_description *d,
			     const struct kstate_field *f, int depth);
static int kstate_check_desc(const struct kstate_description *d, int depth);

static int kstate_check_field(const struct kstate_description *d,
			      const struct kstate_field *f, int depth)
{
	const struct kstate_field *g;
	size_t bytes = f->size;
	int err;

	if (!f->name || !kstate_name_ok(f->name, strlen(f->name)))
		return kstate_bad(d, f, "bad name");
	for (g = d->fields; g != f; g++)
		if (!strcmp(g->name, f->name))
			return kstate_bad(d, f, "duplicate name");
	if (f->rule > KSTATE_DEPRECATED)
		return kstate_bad(d, f, "bad rule");
	if (f->rule == KSTATE_DEPRECATED)
		return 0;
	if (f->version_id > d->version_id)
		return kstate_bad(d, f, "version beyond the description's");
	if (f->rule == KSTATE_MUST_EQUAL && !kstate_kind_is_scalar(f->kind))
		return kstate_bad(d, f, "only scalars can be must-equal");

	switch (f->kind) {
	case KSTATE_U8 ... KSTATE_BOOL:
		if (f->size != kstate_scalar_width(f->kind))
			return kstate_bad(d, f, "size does not match the kind");
		break;
	case KSTATE_STRING:
	case KSTATE_BUFFER:
		if (!f->size || f->size > U32_MAX)
			return kstate_bad(d, f, "bad size");
		break;
	case KSTATE_ARRAY:
	case KSTATE_VARRAY:
		if (!f->count)
			return kstate_bad(d, f, "no elements");
		if (f->kind == KSTATE_VARRAY && !kstate_len_ok(d, f))
			return kstate_bad(d, f, "bad length field");
		err = kstate_check_elem(d, f, depth);
		if (err)
			return err;
		bytes = f->size * f->count;
		break;
	case KSTATE_STRUCT:
		if (!f->desc || f->desc->size != f->size)
			return kstate_bad(d, f, "needs a description of its size");
		err = kstate_check_desc(f->desc, depth + 1);
		if (err)
			return err;
		break;
	case KSTATE_PTR:
		if (!f->count || (f->len_size && !kstate_len_ok(d, f)))
			return kstate_bad(d, f, "bad count or length field");
		err = kstate_check_elem(d, f, depth);
		if (err)
			return err;
		bytes = sizeof(void *);
		break;
	case KSTATE_FOLIO:
		bytes = sizeof(void *);
		break;
	case KSTATE_PAGES:
		if (!f->count || !kstate_len_ok(d, f))
			return kstate_bad(d, f, "bad count or length field");
		bytes = sizeof(void *);
		break;
	case KSTATE_CUSTOM:
		if (!f->save || !f->load)
			return kstate_bad(d, f, "needs save and load");
		break;
	default:
		return kstate_bad(d, f, "unknown kind");
	}
	if (f->offset > d->size || bytes > d->size - f->offset)
		return kstate_bad(d, f, "beyond the struct");
	return 0;
}

static int kstate_check_elem(const struct kstate_description *d,
			     const struct kstate_field *f, int depth)
{
	if (f->elem == KSTATE_STRUCT) {
		if (!f->desc || f->desc->size != f->size)
			return kstate_bad(d, f, "needs a description of its size");
		return kstate_check_desc(f->desc, depth + 1);
	}
	if (!kstate_kind_is_scalar(f->elem) ||
	    f->size != kstate_scalar_width(f->elem))
		return kstate_bad(d, f, "bad element kind or size");
	if (f->count > U32_MAX / f->size)
		return kstate_bad(d, f, "too many elements");
	return 0;
}

static int kstate_check_desc(const struct kstate_description *d, int depth)
{
	const struct kstate_description * const *sub;
	const struct kstate_field *f;
	unsigned int saved = 0;
	int err;

	if (depth > KSTATE_MAX_DEPTH)
		return kstate_bad(d, NULL, "nested too deep");
	if (!d->name || !kstate_name_ok(d->name, strlen(d->name)))
		return kstate_bad(d, NULL, "bad description name");
	if (!d->fields || !d->size)
		return kstate_bad(d, NULL, "no fields or no size");
	if (d->min_version_id > d->version_id)
		return kstate_bad(d, NULL, "min_version_id > version_id");
	for (f = d->fields; f->kind != KSTATE_KIND_NONE || f->name; f++) {
		if (f - d->fields >= U16_MAX)
			return kstate_bad(d, NULL, "too many fields");
		err = kstate_check_field(d, f, depth);
		if (err)
			return err;
		saved += f->rule != KSTATE_DEPRECATED;
	}
	if (!saved)
		return kstate_bad(d, NULL, "no field is saved");
	for (sub = d->subsections; sub && *sub; sub++) {
		if (sub - d->subsections >= U16_MAX)
			return kstate_bad(d, NULL, "too many subsections");
		if ((*sub)->size != d->size)
			return kstate_bad(*sub, NULL,
					  "a subsection must have its parent's size");
		err = kstate_check_desc(*sub, depth + 1);
		if (err)
			return err;
	}
	return 0;
}

/**
 * kstate_validate_desc() - check a description before it is used
 * @desc: the description.
 *
 * Context: Any context.
 * Return: 0, or -EINVAL with one log line naming the problem.
 */
int kstate_validate_desc(const struct kstate_description *desc)
{
	if (!desc)
		return -EINVAL;
	return kstate_check_desc(desc, 0);
}
EXPORT_SYMBOL_IF_KUNIT(kstate_validate_desc);

/**
 * kstate_out_init() - prepare an empty registry
 * @out: the registry.
 *
 * Context: Any context.
 */
void kstate_out_init(struct kstate_out *out)
{
	unsigned int i;

	mutex_init(&out->lock);
	INIT_LIST_HEAD(&out->entries);
	INIT_LIST_HEAD(&out->names);
	for (i = 0; i < ARRAY_SIZE(out->hash); i++)
		INIT_HLIST_HEAD(&out->hash[i]);
	out->nr = 0;
}
EXPORT_SYMBOL_IF_KUNIT(kstate_out_init);

static struct hlist_head *kstate_out_bucket(struct kstate_out *out, u64 id)
{
	return &out->hash[hash_64(id, KSTATE_OUT_HASH_BITS)];
}

static struct kstate_entry *kstate_out_find(struct kstate_out *out,
					    const char *name, u64 id)
{
	struct kstate_entry *e;

	hlist_for_each_entry(e, kstate_out_bucket(out, id), hash)
		if (e->id == id && !strcmp(e->desc->name, name))
			return e;
	return NULL;
}

struct kstate_walk {
	struct kstate_out *out;
	int (*fn)(struct kstate_walk *wk, const struct kstate_description *d);
	unsigned long budget;	/* visits left */
};

/* Visit @d and every description it reaches, in a fixed order. */
static int kstate_walk(struct kstate_walk *wk,
		       const struct kstate_description *d)
{
	const struct kstate_description * const *sub;
	const struct kstate_field *f;
	int err;

	if (!wk->budget)
		return -ECANCELED;
	wk->budget--;
	err = wk->fn(wk, d);
	for (f = d->fields; !err && (f->kind != KSTATE_KIND_NONE || f->name);
	     f++)
		if (f->rule != KSTATE_DEPRECATED && f->desc)
			err = kstate_walk(wk, f->desc);
	for (sub = d->subsections; !err && sub && *sub; sub++)
		err = kstate_walk(wk, *sub);
	return err;
}

static struct kstate_named *kstate_named(struct kstate_out *out,
					 const char *name)
{
	struct kstate_named *n;

	list_for_each_entry(n, &out->names, list)
		if (!strcmp(n->desc->name, name))
			return n;
	return NULL;
}

static int kstate_name_check(struct kstate_walk *wk,
			     const struct kstate_description *d)
{
	struct kstate_named *n = kstate_named(wk->out, d->name);

	if (n && n->desc != d) {
		pr_err("description \"%s\": another description has this name\n",
		       d->name);
		return -EINVAL;
	}
	return 0;
}

static int kstate_name_get(struct kstate_walk *wk,
			   const struct kstate_description *d)
{
	struct kstate_named *n = kstate_named(wk->out, d->name);

	if (!n) {
		n = kzalloc(sizeof(*n), GFP_KERNEL);
		if (!n)
			return -ENOMEM;
		n->desc = d;
		list_add_tail(&n->list, &wk->out->names);
	}
	n->refs++;
	return 0;
}

static int kstate_name_put(struct kstate_walk *wk,
			   const struct kstate_description *d)
{
	struct kstate_named *n = kstate_named(wk->out, d->name);

	if (n && !--n->refs) {
		list_del(&n->list);
		kfree(n);
	}
	return 0;
}

/* Take a reference on every name @d uses; all or nothing. */
static int kstate_names_get(struct kstate_out *out,
			    const struct kstate_description *d)
{
	struct kstate_walk wk = { out, kstate_name_check, ULONG_MAX };
	unsigned long done;
	int err;

	err = kstate_walk(&wk, d);
	if (err)
		return err;
	wk.fn = kstate_name_get;
	wk.budget = ULONG_MAX;
	err = kstate_walk(&wk, d);
	if (err) {
		/* the failed visit took nothing: put back the ones before */
		done = ULONG_MAX - wk.budget - 1;
		wk.fn = kstate_name_put;
		wk.budget = done;
		kstate_walk(&wk, d);
	}
	return err;
}

static void kstate_names_put(struct kstate_out *out,
			     const struct kstate_description *d)
{
	struct kstate_walk wk = { out, kstate_name_put, ULONG_MAX };

	kstate_walk(&wk, d);
}

/**
 * kstate_out_add() - add an object to a registry
 * @out: the registry.
 * @desc: its description.
 * @obj: the object.
 * @id: its instance id, unique for @desc's name.
 *
 * Context: Process context; takes @out->lock, may sleep.
 * Return: 0; -EINVAL for a bad description, a NULL @obj, or a description
 * whose name (or the name of one it nests) another description in @out
 * has; -EEXIST if (@desc name, @id) is registered already; -ENOMEM.
 */
int kstate_out_add(struct kstate_out *out,
		   const struct kstate_description *desc, void *obj, u64 id)
{
	struct kstate_named *n;
	struct kstate_entry *e;
	bool known;
	int err;

	if (!obj || !desc || !desc->name)
		return -EINVAL;
	/* A description already in use was checked when it came in. */
	mutex_lock(&out->lock);
	n = kstate_named(out, desc->name);
	known = n && n->desc == desc;
	mutex_unlock(&out->lock);
	if (!known) {
		err = kstate_validate_desc(desc);
		if (err)
			return err;
	}
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->desc = desc;
	e->obj = obj;
	e->id = id;
	mutex_lock(&out->lock);
	if (kstate_out_find(out, desc->name, id))
		err = -EEXIST;
	else
		err = kstate_names_get(out, desc);
	if (!err) {
		list_add_tail(&e->list, &out->entries);
		hlist_add_head(&e->hash, kstate_out_bucket(out, id));
		out->nr++;
	}
	mutex_unlock(&out->lock);
	if (err)
		kfree(e);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(kstate_out_add);

/**
 * kstate_out_del() - remove an object from a registry
 * @out: the registry.
 * @desc: the description it was added with.
 * @obj: the object.
 * @id: its instance id.
 *
 * Context: Process context; takes @out->lock, may sleep.
 * Return: 0, or -ENOENT if it was not there.
 */
int kstate_out_del(struct kstate_out *out,
		   const struct kstate_description *desc, void *obj, u64 id)
{
	struct kstate_entry *e;
	int err = -ENOENT;

	if (!desc || !desc->name)
		return -ENOENT;
	mutex_lock(&out->lock);
	e = kstate_out_find(out, desc->name, id);
	if (e && e->desc == desc && e->obj == obj) {
		list_del(&e->list);
		hlist_del(&e->hash);
		kstate_names_put(out, e->desc);
		out->nr--;
		kfree(e);
		err = 0;
	}
	mutex_unlock(&out->lock);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(kstate_out_del);

/**
 * kstate_out_destroy() - forget every object of a registry
 * @out: the registry; empty afterwards.
 *
 * Context: Process context; takes @out->lock, may sleep.
 */
void kstate_out_destroy(struct kstate_out *out)
{
	struct kstate_entry *e, *tmp;

	mutex_lock(&out->lock);
	list_for_each_entry_safe(e, tmp, &out->entries, list) {
		list_del(&e->list);
		hlist_del(&e->hash);
		kstate_names_put(out, e->desc);
		kfree(e);
	}
	out->nr = 0;
	mutex_unlock(&out->lock);
}
EXPORT_SYMBOL_IF_KUNIT(kstate_out_destroy);

/* For save.c: walk the registry with out->lock held. */
int kstate_out_for_each(struct kstate_out *out,
			int (*fn)(void *arg, const struct kstate_description *d,
				  void *obj, u64 id), void *arg)
{
	struct kstate_entry *e;
	int err;

	lockdep_assert_held(&out->lock);
	list_for_each_entry(e, &out->entries, list) {
		err = fn(arg, e->desc, e->obj, e->id);
		if (err)
			return err;
	}
	return 0;
}
