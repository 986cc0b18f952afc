// SPDX-License-Identifier: GPL-2.0-only
/*
 * KSTATE: the public API.
 *
 * Objects are registered in one registry.  kstate_save(), which the reboot
 * path calls before KHO finalizes the handover, writes them all into a new
 * stream, preserves its pages and has kho.c publish it as the KHO subtree
 * "kstate"; a stream saved earlier is discarded first, and kstate_discard()
 * undoes the last save.  In the next kernel kho.c takes the handover at
 * subsys_initcall time, before KHO releases unclaimed memory: the stream's
 * pages are claimed and mapped, and the stream is indexed, so that
 * kstate_restore() works from then on, in any order, until kstate_finish().
 *
 * Layers, each calling only those below it: debugfs.c; this file; kho.c;
 * the reader (load.c, dump.c), the writer (save.c) and the registry
 * (registry.c).
 */
#define pr_fmt(fmt) "kstate: " fmt

#include <kunit/visibility.h>
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/seq_buf.h>
#include <linux/slab.h>

#include "kstate_internal.h"

static struct kstate_out kstate_registry = {
	.lock = __MUTEX_INITIALIZER(kstate_registry.lock),
	.entries = LIST_HEAD_INIT(kstate_registry.entries),
	.names = LIST_HEAD_INIT(kstate_registry.names),
};

static struct kstate_in kstate_incoming = {
	.lock = __MUTEX_INITIALIZER(kstate_incoming.lock),
};

static DEFINE_MUTEX(kstate_save_lock);	/* serializes saves and the subtree */
static struct kstate_writer kstate_saved;	/* the stream handed over */

/* ---- memory ops -------------------------------------------------------- */

static int kstate_nop_preserve_pages(struct page *page, unsigned long nr)
{
	return 0;
}

static int kstate_nop_preserve_folio(struct folio *folio)
{
	return 0;
}

static struct page *kstate_nop_restore_pages(phys_addr_t phys,
					     unsigned long nr)
{
	return NULL;
}

static struct folio *kstate_nop_restore_folio(phys_addr_t phys)
{
	return NULL;
}

static void kstate_nop_free_pages(struct page *page, unsigned long nr)
{
}

static void kstate_nop_free_folio(struct folio *folio)
{
}

const struct kstate_mem_ops kstate_nomem_ops = {
	.preserve_pages = kstate_nop_preserve_pages,
	.unpreserve_pages = kstate_nop_preserve_pages,
	.restore_pages = kstate_nop_restore_pages,
	.free_pages = kstate_nop_free_pages,
	.preserve_folio = kstate_nop_preserve_folio,
	.unpreserve_folio = kstate_nop_preserve_folio,
	.restore_folio = kstate_nop_restore_folio,
	.free_folio = kstate_nop_free_folio,
};
EXPORT_SYMBOL_IF_KUNIT(kstate_nomem_ops);

static const struct kstate_mem_ops *kstate_test_ops;

/* The memory ops of a save: a test's, KHO's, or none without KHO. */
static const struct kstate_mem_ops *kstate_ops(void)
{
	if (kstate_test_ops)
		return kstate_test_ops;
	return kstate_kho_ops() ?: &kstate_nomem_ops;
}

/* ---- registration ------------------------------------------------------ */

/**
 * kstate_register() - save an object when the handover is built
 * @desc: the description of the object's type.
 * @obj: the object; it must stay valid until kstate_unregister().
 * @instance_id: unique among the objects of @desc's name, stable across
 *	kexec (a PCI devid, for example).
 *
 * The description is checked here, once.
 *
 * Context: Process context; may sleep.
 * Return: 0; -EINVAL for a bad description (one log line names the field)
 * or a NULL @obj; -EEXIST if (@desc->name, @instance_id) is taken; -ENOMEM.
 */
int kstate_register(const struct kstate_description *desc, void *obj,
		    u64 instance_id)
{
	return kstate_out_add(&kstate_registry, desc, obj, instance_id);
}
EXPORT_SYMBOL_GPL(kstate_register);

/**
 * kstate_unregister() - stop saving an object
 * @desc: as passed to kstate_register().
 * @obj: as passed to kstate_register().
 * @instance_id: as passed to kstate_register().
 *
 * A stream saved already keeps the object until it is saved again.
 *
 * Context: Process context; may sleep.
 */
void kstate_unregister(const struct kstate_description *desc, void *obj,
		       u64 instance_id)
{
	kstate_out_del(&kstate_registry, desc, obj, instance_id);
}
EXPORT_SYMBOL_GPL(kstate_unregister);

/* ---- saving ------------------------------------------------------------ */

/**
 * kstate_save() - write every registered object into the handover now
 *
 * KHO calls this when it builds the handover; tests may call it earlier.
 * The stream saved before, if any, is discarded first, so the last save
 * wins.  Memory fields are preserved with KHO.  Without KHO the stream is
 * written and kept in memory only.  With nothing registered, no stream is
 * handed over.
 *
 * Context: Process context; may sleep.
 * Return: 0, or a negative errno (one log line) with no stream handed over.
 */
int kstate_save(void)
{
	const struct kstate_mem_ops *ops = kstate_ops();
	phys_addr_t dir = 0;
	int err;

	mutex_lock(&kstate_save_lock);
	kstate_writer_destroy(&kstate_saved);
	kstate_writer_init(&kstate_saved, ops);
	if (!READ_ONCE(kstate_registry.nr)) {
		kstate_kho_unpublish();
		mutex_unlock(&kstate_save_lock);
		return 0;
	}
	err = kstate_write_stream(&kstate_saved, &kstate_registry);
	if (!err && ops != &kstate_nomem_ops)
		err = kstate_writer_publish(&kstate_saved, &dir);
	/* a test's stream stays in memory */
	if (!err && ops != &kstate_nomem_ops && !kstate_test_ops)
		err = kstate_kho_publish(dir, kstate_saved.size);
	if (err) {
		kstate_writer_destroy(&kstate_saved);
		kstate_kho_unpublish();
		pr_err("save failed (%d), no state is handed over\n", err);
	} else {
		pr_info("saved %u instances of %u descriptions, %zu bytes\n",
			kstate_saved.nr_instances, kstate_saved.nr_descs,
			kstate_saved.size);
	}
	mutex_unlock(&kstate_save_lock);
	return err;
}
EXPORT_SYMBOL_GPL(kstate_save);

/**
 * kstate_discard() - undo kstate_save()
 *
 * Unpreserves the stream saved last, its pages and the memory of its
 * memory fields, and withdraws its KHO subtree, so that a kexec refused
 * after kstate_save() leaves nothing preserved that KSTATE added.
 *
 * Context: Process context; may sleep.
 */
void kstate_discard(void)
{
	mutex_lock(&kstate_save_lock);
	kstate_writer_destroy(&kstate_saved);
	kstate_kho_unpublish();
	mutex_unlock(&kstate_save_lock);
}
EXPORT_SYMBOL_GPL(kstate_discard);

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * kstate_set_test_ops() - save through a test's memory ops
 * @ops: the ops kstate_save() and kstate_discard() use from now on, or
 *	NULL for KHO's (none without KHO).
 *
 * A test's stream is preserved through @ops only; no KHO subtree is
 * published for it.  Built with CONFIG_KUNIT only.
 *
 * Context: Process context; takes the save lock.
 */
void kstate_set_test_ops(const struct kstate_mem_ops *ops)
{
	mutex_lock(&kstate_save_lock);
	kstate_test_ops = ops;
	mutex_unlock(&kstate_save_lock);
}
EXPORT_SYMBOL_IF_KUNIT(kstate_set_test_ops);
#endif

/* ---- restoring --------------------------------------------------------- */

/**
 * kstate_restore() - load an object saved by the previous kernel
 * @desc: the description of the object's type; its name selects the saved
 *	instances, which may have been saved by another version of it.
 * @obj: the object.  Fields the saved version lacks keep their values, so
 *	set defaults first (or in @desc->pre_load).
 * @instance_id: the id the object was registered with.
 *
 * Callable any time after subsys_initcall, in any order, until
 * kstate_finish().  The lookup scans the few saved descriptions for
 * @desc->name, then binary-searches an index of instances built once.
 * Objects with folio or page fields must be restored before KHO releases
 * the memory nobody claimed (see kho_finish()); afterwards those restores
 * fail with -EINVAL.
 *
 * Context: Process context; may sleep.
 * Return: 0; -ENOENT if nothing was saved for (@desc->name, @instance_id),
 * or after kstate_finish(); -EALREADY if it was restored already;
 * -EOPNOTSUPP if it was saved by a version older than @desc->min_version_id
 * or holds a required field or subsection this kernel does not know;
 * -EINVAL if the saved data is malformed, with one log line and @obj
 * unchanged; -ENOMEM; or the error of a pre_load, post_load or custom load
 * callback.
 */
int kstate_restore(const struct kstate_description *desc, void *obj,
		   u64 instance_id)
{
	return kstate_in_restore(&kstate_incoming, desc, obj, instance_id);
}
EXPORT_SYMBOL_GPL(kstate_restore);

/**
 * kstate_finish() - release the stream handed over by the previous kernel
 *
 * Frees its pages and its index.  Instances not restored by then are lost.
 * Until then the stream stays in memory (its size is logged at boot).
 *
 * Context: Process context; may sleep.
 */
void kstate_finish(void)
{
	kstate_in_close(&kstate_incoming);
}
EXPORT_SYMBOL_GPL(kstate_finish);

/**
 * kstate_dump() - render a saved stream as YAML-like text
 * @s: where to write.
 * @stream: the stream, contiguous.
 * @size: its length.
 *
 * Uses only the tables saved in the stream, so it renders descriptions
 * this kernel does not know.  Malformed instances are reported inline.
 *
 * Context: Process context; may sleep.
 * Return: 0; -EINVAL if the stream header or tables are unreadable;
 * -EOVERFLOW if @s filled up; -ENOMEM.
 */
int kstate_dump(struct seq_buf *s, const void *stream, size_t size)
{
	struct kstate_in *in;
	int err;

	in = kmalloc(sizeof(*in), GFP_KERNEL);
	if (!in)
		return -ENOMEM;
	kstate_in_init(in);
	err = kstate_in_open(in, stream, size, &kstate_nomem_ops) ?:
	      kstate_in_dump(in, s);
	kstate_in_close(in);
	kfree(in);
	return err;
}
EXPORT_SYMBOL_GPL(kstate_dump);

/* ---- for debugfs.c ---------------------------------------------------- */

/*
 * Render what a save would write now, without calling pre_save or post_save
 * hooks: reading debugfs must not touch devices.
 */
int kstate_dump_outgoing(struct seq_buf *s)
{
	struct kstate_writer *w;
	void *stream;
	int err;

	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	kstate_writer_init(w, &kstate_nomem_ops);
	w->no_hooks = true;
	err = kstate_write_stream(w, &kstate_registry);
	stream = err ? NULL : kstate_writer_linearize(w);
	if (!err)
		err = stream ? kstate_dump(s, stream, w->size) : -ENOMEM;
	kvfree(stream);
	kstate_writer_destroy(w);
	kfree(w);
	return err;
}

/* Render the stream the previous kernel handed over. */
int kstate_dump_incoming(struct seq_buf *s)
{
	return kstate_in_dump(&kstate_incoming, s);
}

/* ---- the next kernel --------------------------------------------------- */

static int __init kstate_init(void)
{
	kstate_kho_take_handover(&kstate_incoming);
	return 0;
}
subsys_initcall(kstate_init);
