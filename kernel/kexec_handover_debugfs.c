// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kexec HandOver (KHO): debugfs interface.
 *
 *	/sys/kernel/debug/kho/out/fdt		root FDT for the next kernel
 *	/sys/kernel/debug/kho/out/sub_fdts/NAME	each linked sub-FDT
 *	/sys/kernel/debug/kho/in/fdt		root FDT of the previous kernel
 *	/sys/kernel/debug/kho/in/sub_fdts/NAME	its sub-FDTs, as handed over
 *	/sys/kernel/debug/kho/{in,out}/scratch	the scratch areas
 *	/sys/kernel/debug/kho/{in,out}/counters	byte counters
 *	/sys/kernel/debug/kho/in/finish		write 1: release unclaimed memory
 *
 * FDT files are blobs that "dtc -I dtb -O dts" reads.  Everything is root
 * only.  The incoming FDTs are copies taken at boot, before their owners
 * restore (and may reuse) the memory they live in.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/debugfs.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/libfdt.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "kexec_handover_internal.h"

static struct dentry *kho_dir, *kho_out_subs, *kho_in_dir;

/* A copy of an incoming FDT. */
struct kho_in_blob {
	struct list_head list;
	char *name;
	struct debugfs_blob_wrapper blob;
};

static LIST_HEAD(kho_in_blobs);
static struct debugfs_blob_wrapper kho_in_root;

static ssize_t fdt_read(struct file *file, char __user *buf, size_t len,
			loff_t *ppos)
{
	const void *fdt = file->private_data;

	return simple_read_from_buffer(buf, len, ppos, fdt, fdt_totalsize(fdt));
}

static const struct file_operations fdt_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = fdt_read,
	.llseek = default_llseek,
};

static int scratch_show(struct seq_file *m, void *v)
{
	unsigned int i;

	for (i = 0; i < kho_scratch_cnt; i++)
		seq_printf(m, "%u 0x%llx 0x%llx\n", i, kho_scratch[i].addr,
			   kho_scratch[i].size);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(scratch);

static int counters_show(struct seq_file *m, void *v)
{
	struct kho_stats st;

	kho_get_stats(&st);
	seq_printf(m, "enabled %d\n", kho_is_enabled());
	seq_printf(m, "kho_boot %d\n", is_kho_boot());
	seq_printf(m, "scratch_areas %u\n", kho_scratch_cnt);
	seq_printf(m, "preserved_out_bytes %llu\n", st.preserved_out);
	seq_printf(m, "metadata_out_bytes %llu\n", st.meta_out);
	seq_printf(m, "preserved_in_bytes %llu\n", st.preserved_in);
	seq_printf(m, "restored_bytes %llu\n", st.restored);
	seq_printf(m, "releasing_bytes %llu\n", st.releasing);
	seq_printf(m, "released_bytes %llu\n", st.released);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(counters);

static ssize_t finish_write(struct file *file, const char __user *buf,
			    size_t len, loff_t *ppos)
{
	bool val;
	int err;

	err = kstrtobool_from_user(buf, len, &val);
	if (err)
		return err;
	if (!val)
		return -EINVAL;
	err = kho_finish();
	return err ? err : len;
}

static const struct file_operations finish_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = finish_write,
	.llseek = noop_llseek,
};

/**
 * kho_debugfs_snapshot_in() - copy the incoming FDTs for debugfs
 *
 * Called at boot, before the owners restore their memory.  Only the
 * subtrees whose pointers passed the checks are copied, each up to its
 * FDT's totalsize.
 */
void __init kho_debugfs_snapshot_in(void)
{
	const void *fdt = kho_in_fdt();
	const char *name;
	phys_addr_t phys;
	unsigned int i;

	if (!fdt)
		return;
	kho_in_root.data = kmemdup(fdt, fdt_totalsize(fdt), GFP_KERNEL);
	kho_in_root.size = kho_in_root.data ? fdt_totalsize(fdt) : 0;

	for (i = 0; !kho_in_subtree(i, &name, &phys); i++) {
		const void *sub = phys_to_virt(phys);
		struct kho_in_blob *b;

		b = kzalloc(sizeof(*b), GFP_KERNEL);
		if (!b)
			break;
		b->name = kstrdup(name, GFP_KERNEL);
		b->blob.data = kmemdup(sub, fdt_totalsize(sub), GFP_KERNEL);
		b->blob.size = fdt_totalsize(sub);
		if (!b->name || !b->blob.data) {
			kfree(b->name);
			kfree(b->blob.data);
			kfree(b);
			break;
		}
		list_add_tail(&b->list, &kho_in_blobs);
	}
}

void kho_debugfs_add_subtree(struct kho_subtree *st)
{
	if (!kho_out_subs)
		return;
	st->debugfs = debugfs_create_file(st->name, 0400, kho_out_subs,
					  st->fdt, &fdt_fops);
}

void kho_debugfs_remove_subtree(struct kho_subtree *st)
{
	debugfs_remove(st->debugfs);
	st->debugfs = NULL;
}

void __init kho_debugfs_init(void)
{
	struct dentry *out;

	kho_dir = debugfs_create_dir("kho", NULL);
	if (IS_ERR(kho_dir))
		return;

	out = debugfs_create_dir("out", kho_dir);
	if (kho_out_fdt())
		debugfs_create_file("fdt", 0400, out, kho_out_fdt(), &fdt_fops);
	debugfs_create_file("scratch", 0400, out, NULL, &scratch_fops);
	debugfs_create_file("counters", 0400, out, NULL, &counters_fops);
	kho_out_subs = debugfs_create_dir("sub_fdts", out);

	kho_in_dir = debugfs_create_dir("in", kho_dir);
	debugfs_create_file("counters", 0400, kho_in_dir, NULL, &counters_fops);
	debugfs_create_file("finish", 0200, kho_in_dir, NULL, &finish_fops);
	if (is_kho_boot()) {
		struct dentry *subs = debugfs_create_dir("sub_fdts", kho_in_dir);
		struct kho_in_blob *b;

		debugfs_create_file("scratch", 0400, kho_in_dir, NULL,
				    &scratch_fops);
		if (kho_in_root.data)
			debugfs_create_blob("fdt", 0400, kho_in_dir, &kho_in_root);
		list_for_each_entry(b, &kho_in_blobs, list)
			debugfs_create_blob(b->name, 0400, subs, &b->blob);
	}
}
