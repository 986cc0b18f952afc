// SPDX-License-Identifier: GPL-2.0-only
/*
 * KSTATE: debugfs kstate/incoming and kstate/outgoing.
 *
 * Each file renders, when it is opened, the stream handed over by the
 * previous kernel (incoming) or what a save would write now (outgoing) as
 * the YAML-like text of kstate_dump().  Reading outgoing calls no
 * pre_save or post_save hook.  The text is rendered through core.c.
 */
#define pr_fmt(fmt) "kstate: " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/seq_buf.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "kstate_internal.h"

struct kstate_dump_buf {
	char *buf;
	size_t len;
};

/* Render into a buffer that grows until the text fits (up to 256 MiB). */
static int kstate_render(struct kstate_dump_buf *db, bool outgoing)
{
	size_t size = SZ_64K;
	struct seq_buf s;
	int err;

	for (;;) {
		db->buf = kvmalloc(size, GFP_KERNEL);
		if (!db->buf)
			return -ENOMEM;
		seq_buf_init(&s, db->buf, size);
		err = outgoing ? kstate_dump_outgoing(&s) :
				 kstate_dump_incoming(&s);
		if (err != -EOVERFLOW || size >= SZ_256M)
			break;
		kvfree(db->buf);
		size *= 4;
	}
	if (err) {
		kvfree(db->buf);
		db->buf = NULL;
	} else {
		db->len = seq_buf_used(&s);
	}
	return err;
}

static int kstate_dump_open(struct inode *inode, struct file *file)
{
	struct kstate_dump_buf *db = kzalloc(sizeof(*db), GFP_KERNEL);
	int err;

	if (!db)
		return -ENOMEM;
	err = kstate_render(db, !!inode->i_private);
	if (err && err != -ENOENT) {
		kfree(db);
		return err;
	}
	file->private_data = db;
	return 0;
}

static ssize_t kstate_dump_read(struct file *file, char __user *ubuf,
				size_t count, loff_t *ppos)
{
	struct kstate_dump_buf *db = file->private_data;

	return simple_read_from_buffer(ubuf, count, ppos, db->buf, db->len);
}

static int kstate_dump_release(struct inode *inode, struct file *file)
{
	struct kstate_dump_buf *db = file->private_data;

	kvfree(db->buf);
	kfree(db);
	return 0;
}

static const struct file_operations kstate_dump_fops = {
	.owner = THIS_MODULE,
	.open = kstate_dump_open,
	.read = kstate_dump_read,
	.release = kstate_dump_release,
	.llseek = default_llseek,
};

static int __init kstate_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("kstate", NULL);

	debugfs_create_file("incoming", 0400, dir, NULL, &kstate_dump_fops);
	debugfs_create_file("outgoing", 0400, dir, (void *)1,
			    &kstate_dump_fops);
	return 0;
}
late_initcall(kstate_debugfs_init);
