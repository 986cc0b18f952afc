// SPDX-License-Identifier: GPL-2.0-only
/*
 * Live Update Orchestrator (LUO): sessions.
 *
 * A session is a named set of preserved files with an fd of its own.  An
 * outgoing session, created in this kernel, is handed to the next kernel
 * if its fd is still open at the kexec; closing it before un-preserves its
 * files.  An incoming session comes from the previous kernel: userspace
 * retrieves it by name, once, retrieves its files by token, and finishes
 * it with LIVEUPDATE_SESSION_FINISH or by closing its fd.
 *
 * There is no fixed limit on sessions or files: names are found through a
 * hash table, tokens through an xarray per session, and the tables for the
 * next kernel are written at the kexec, as large as they need to be.
 *
 * Locking, outer to inner: luo_state_rwsem (read by every operation,
 * written by the reboot path, which keeps it once the kexec is certain),
 * luo_session_lock (the lists), a session's mutex (its files).
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/slab.h>
#include <linux/stringhash.h>
#include <linux/vmalloc.h>

#include "luo_internal.h"

/**
 * struct luo_session - one session
 * @name: its name, NUL-terminated.
 * @incoming: it comes from the previous kernel.
 * @retrieved: incoming: userspace has its fd.
 * @files: its files.
 * @mutex: serializes the operations on @files.
 * @hash: in the hash table of its direction, by name.
 * @list: in the list of its direction, in the order of creation.
 */
struct luo_session {
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	bool incoming;
	bool retrieved;
	struct luo_file_set files;
	struct mutex mutex;		/* serializes the ops on @files */
	struct hlist_node hash;
	struct list_head list;
};

#define LUO_SESSION_HASH_BITS	12

static DEFINE_MUTEX(luo_session_lock);
static DEFINE_HASHTABLE(luo_session_out_hash, LUO_SESSION_HASH_BITS);
static DEFINE_HASHTABLE(luo_session_in_hash, LUO_SESSION_HASH_BITS);
static LIST_HEAD(luo_session_out);
static LIST_HEAD(luo_session_in);
static unsigned long luo_session_nr_out;

/* While frozen: the session table written for the next kernel. */
static struct luo_session_ser *luo_session_ser;
static struct kho_vmalloc luo_session_ser_kho;

static u32 luo_session_hash(const char *name)
{
	return full_name_hash(NULL, name, strlen(name));
}

static struct luo_session *luo_session_find(bool incoming, const char *name)
{
	struct luo_session *s;
	u32 h = luo_session_hash(name);

	if (incoming) {
		hash_for_each_possible(luo_session_in_hash, s, hash, h)
			if (!strcmp(s->name, name))
				return s;
	} else {
		hash_for_each_possible(luo_session_out_hash, s, hash, h)
			if (!strcmp(s->name, name))
				return s;
	}
	return NULL;
}

static void luo_session_add(struct luo_session *s)
{
	u32 h = luo_session_hash(s->name);

	if (s->incoming) {
		hash_add(luo_session_in_hash, &s->hash, h);
		list_add_tail(&s->list, &luo_session_in);
	} else {
		hash_add(luo_session_out_hash, &s->hash, h);
		list_add_tail(&s->list, &luo_session_out);
		luo_session_nr_out++;
	}
}

static void luo_session_del(struct luo_session *s)
{
	hash_del(&s->hash);
	list_del(&s->list);
	if (!s->incoming)
		luo_session_nr_out--;
}

static struct luo_session *luo_session_alloc(const char *name, bool incoming)
{
	struct luo_session *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return NULL;
	strscpy(s->name, name);
	s->incoming = incoming;
	luo_file_set_init(&s->files);
	mutex_init(&s->mutex);
	return s;
}

static void luo_session_free(struct luo_session *s)
{
	mutex_destroy(&s->mutex);
	kfree(s);
}

/* ---------------------------------------------------------------------- */
/* The session fd                                                         */
/* ---------------------------------------------------------------------- */

static int luo_session_preserve_fd(void *ctx, void *arg, struct file **file)
{
	struct liveupdate_session_preserve_fd *a = arg;
	struct luo_session *s = ctx;
	int err;

	mutex_lock(&s->mutex);
	err = luo_preserve_file(&s->files, a->token, a->fd);
	mutex_unlock(&s->mutex);
	return err;
}

static int luo_session_retrieve_fd(void *ctx, void *arg, struct file **file)
{
	struct liveupdate_session_retrieve_fd *a = arg;
	struct luo_session *s = ctx;
	int err;

	mutex_lock(&s->mutex);
	err = luo_retrieve_file(&s->files, a->token, file);
	mutex_unlock(&s->mutex);
	return err;
}

static int luo_session_finish(void *ctx, void *arg, struct file **file)
{
	struct luo_session *s = ctx;
	int err;

	mutex_lock(&s->mutex);
	err = luo_file_finish(&s->files);
	mutex_unlock(&s->mutex);
	return err;
}

static int luo_session_get_name(void *ctx, void *arg, struct file **file)
{
	struct liveupdate_session_get_name *a = arg;
	struct luo_session *s = ctx;

	if (a->reserved)
		return -EINVAL;
	strscpy(a->name, s->name);
	return 0;
}

static const struct luo_ioctl_op luo_session_ops[] = {
	{
		.cmd = LIVEUPDATE_SESSION_PRESERVE_FD,
		.size = sizeof(struct liveupdate_session_preserve_fd),
		.min_size = offsetofend(struct liveupdate_session_preserve_fd, token),
		.gate = LUO_IOCTL_GATE_OUT,
		.execute = luo_session_preserve_fd,
	},
	{
		.cmd = LIVEUPDATE_SESSION_RETRIEVE_FD,
		.size = sizeof(struct liveupdate_session_retrieve_fd),
		.min_size = offsetofend(struct liveupdate_session_retrieve_fd, token),
		.gate = LUO_IOCTL_GATE_IN,
		.answer = true,
		.execute = luo_session_retrieve_fd,
	},
	{
		.cmd = LIVEUPDATE_SESSION_FINISH,
		.size = sizeof(struct liveupdate_session_finish),
		.min_size = offsetofend(struct liveupdate_session_finish, reserved),
		.gate = LUO_IOCTL_GATE_IN,
		.execute = luo_session_finish,
	},
	{
		.cmd = LIVEUPDATE_SESSION_GET_NAME,
		.size = sizeof(struct liveupdate_session_get_name),
		.min_size = offsetofend(struct liveupdate_session_get_name, name),
		.gate = LUO_IOCTL_GATE_SESSION,
		.answer = true,
		.execute = luo_session_get_name,
	},
};

static long luo_session_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct luo_session *s = file->private_data;
	long ret;

	down_read(&luo_state_rwsem);
	ret = luo_ioctl(luo_session_ops, ARRAY_SIZE(luo_session_ops),
			LIVEUPDATE_CMD_SESSION_BASE,
			s->incoming ? LUO_IOCTL_GATE_IN : LUO_IOCTL_GATE_OUT,
			s, cmd, arg);
	up_read(&luo_state_rwsem);
	return ret;
}

static int luo_session_release(struct inode *inode, struct file *file)
{
	struct luo_session *s = file->private_data;
	int err;

	/* a retrieve whose answer could not be copied out */
	if (!s)
		return 0;

	down_read(&luo_state_rwsem);
	mutex_lock(&luo_session_lock);
	mutex_lock(&s->mutex);
	if (s->incoming) {
		err = luo_file_finish(&s->files);
		if (err) {
			/* it stays, and can be retrieved again */
			pr_warn("session %s: cannot finish on close (%d); it can be retrieved again\n",
				s->name, err);
			s->retrieved = false;
			mutex_unlock(&s->mutex);
			goto out;
		}
	} else {
		luo_file_unpreserve_files(&s->files);
	}
	mutex_unlock(&s->mutex);
	luo_session_del(s);
	luo_session_free(s);
out:
	mutex_unlock(&luo_session_lock);
	up_read(&luo_state_rwsem);
	return 0;
}

static const struct file_operations luo_session_fops = {
	.owner = THIS_MODULE,
	.release = luo_session_release,
	.unlocked_ioctl = luo_session_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct file *luo_session_file(struct luo_session *s)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH + 16];

	snprintf(name, sizeof(name), "[luo_session] %s", s->name);
	return anon_inode_getfile(name, &luo_session_fops, s, O_RDWR);
}

/**
 * luo_session_create() - create an outgoing session
 * @name: its name, NUL-terminated within LIVEUPDATE_SESSION_NAME_LENGTH.
 * @filep: set to the session's file.
 *
 * Context: Process context, luo_state_rwsem held for reading.
 * Return: 0; -EINVAL for an empty or unterminated name, -EEXIST if an
 * outgoing session of this name exists, -ENOMEM.
 */
int luo_session_create(const char *name, struct file **filep)
{
	struct luo_session *s;
	struct file *file;
	int err;

	if (luo_check_string(name, LIVEUPDATE_SESSION_NAME_LENGTH) < 0)
		return -EINVAL;
	mutex_lock(&luo_session_lock);
	err = -EEXIST;
	if (luo_session_find(false, name))
		goto out;
	err = -ENOMEM;
	s = luo_session_alloc(name, false);
	if (!s)
		goto out;
	file = luo_session_file(s);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		luo_session_free(s);
		goto out;
	}
	luo_session_add(s);
	*filep = file;
	err = 0;
out:
	mutex_unlock(&luo_session_lock);
	return err;
}

/**
 * luo_session_retrieve() - retrieve an incoming session
 * @name: the name it had in the previous kernel.
 * @filep: set to the session's file.
 *
 * Context: Process context, luo_state_rwsem held for reading.
 * Return: 0; -ENOENT if there is no such session, -EINVAL if it was
 * retrieved already, -ENOMEM.
 */
int luo_session_retrieve(const char *name, struct file **filep)
{
	struct luo_session *s;
	struct file *file;
	int err = -ENOENT;

	if (luo_check_string(name, LIVEUPDATE_SESSION_NAME_LENGTH) < 0)
		return -ENOENT;
	mutex_lock(&luo_session_lock);
	s = luo_session_find(true, name);
	if (!s)
		goto out;
	err = -EINVAL;
	if (s->retrieved)
		goto out;
	file = luo_session_file(s);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto out;
	}
	s->retrieved = true;
	*filep = file;
	err = 0;
out:
	mutex_unlock(&luo_session_lock);
	return err;
}

/**
 * luo_session_unretrieve() - take back a retrieved session's file
 * @file: the file luo_session_retrieve() made, not installed in any fd.
 *
 * The session can be retrieved again.
 *
 * Context: Process context, luo_state_rwsem held for reading.
 */
void luo_session_unretrieve(struct file *file)
{
	struct luo_session *s = file->private_data;

	mutex_lock(&luo_session_lock);
	s->retrieved = false;
	file->private_data = NULL;
	mutex_unlock(&luo_session_lock);
	fput(file);
}

/* ---------------------------------------------------------------------- */
/* The handover                                                           */
/* ---------------------------------------------------------------------- */

/**
 * luo_session_unserialize() - undo luo_session_serialize()
 *
 * Context: Process context, the reboot path, luo_state_rwsem held for
 * writing.
 */
void luo_session_unserialize(void)
{
	struct luo_session *s;

	if (luo_session_ser) {
		WARN_ON(kho_unpreserve_vmalloc(&luo_session_ser_kho));
		vfree(luo_session_ser);
		luo_session_ser = NULL;
	}
	list_for_each_entry_reverse(s, &luo_session_out, list)
		luo_file_unfreeze(&s->files);
}

/**
 * luo_session_serialize() - freeze every outgoing session for the kexec
 * @out: set to the handle of the session table; zeroes without sessions.
 * @nr: set to the number of sessions.
 *
 * Freezes each session's files (luo_file_freeze()), in the order the
 * sessions were created, and writes the session table.
 *
 * Context: Process context, the reboot path, luo_state_rwsem held for
 * writing.
 * Return: 0, or an errno with nothing frozen.
 */
int luo_session_serialize(struct kho_vmalloc *out, u64 *nr)
{
	struct luo_session *s;
	unsigned long i = 0;
	int err;

	memset(out, 0, sizeof(*out));
	*nr = luo_session_nr_out;
	if (!luo_session_nr_out)
		return 0;
	luo_session_ser = vzalloc(array_size(luo_session_nr_out,
					     sizeof(*luo_session_ser)));
	if (!luo_session_ser)
		return -ENOMEM;

	list_for_each_entry(s, &luo_session_out, list) {
		struct kho_vmalloc files;
		u64 nr_files;

		err = luo_file_freeze(&s->files, &nr_files, &files);
		if (err) {
			pr_err("session %s: cannot freeze its files (%d), kexec refused\n",
			       s->name, err);
			goto err;
		}
		luo_ser_session(&luo_session_ser[i], s->name, nr_files, &files);
		luo_debug_corrupt_session(&luo_session_ser[i],
					  i ? &luo_session_ser[i - 1] : NULL,
					  s->files.ser);
		i++;
	}
	err = kho_preserve_vmalloc(luo_session_ser, &luo_session_ser_kho);
	if (err) {
		pr_err("cannot preserve the session table (%d), kexec refused\n",
		       err);
		goto err;
	}
	*out = luo_session_ser_kho;
	return 0;

err:
	/* unfreeze the sessions before @s */
	list_for_each_entry_continue_reverse(s, &luo_session_out, list)
		luo_file_unfreeze(&s->files);
	vfree(luo_session_ser);
	luo_session_ser = NULL;
	return err;
}

/**
 * luo_session_finish_abandoned() - finish the incoming sessions left over
 *
 * Once the kexec is certain, the incoming sessions that were not finished
 * are: the memory of their unretrieved files holds a tenant's data and is
 * zeroed before the next kernel gets it as free memory.
 *
 * Context: Process context, the reboot path, luo_state_rwsem held for
 * writing.
 */
void luo_session_finish_abandoned(void)
{
	struct luo_session *s;

	list_for_each_entry(s, &luo_session_in, list) {
		mutex_lock(&s->mutex);
		if (s->files.count && luo_file_finish(&s->files))
			pr_warn("session %s: cannot finish it before the kexec\n",
				s->name);
		mutex_unlock(&s->mutex);
	}
}

/**
 * luo_session_deserialize() - read the previous kernel's session table
 * @table: the handle of the table.
 * @nr: the number of sessions the previous kernel says it has.
 *
 * Each session that is bad is refused alone, with one log line, and what
 * it had claimed is given back.
 *
 * Context: Process context, during boot.
 * Return: the number of sessions taken; -EINVAL if the table is bad,
 * -ENOMEM.
 */
int luo_session_deserialize(const struct kho_vmalloc *table, u64 nr)
{
	struct luo_session_ser *t;
	struct luo_session *s;
	unsigned long *bad = NULL;
	int err, taken = 0;
	u64 i;

	if (!nr)
		return 0;
	if (nr > (u64)table->total_pages * PAGE_SIZE / sizeof(*t))
		return -EINVAL;
	t = kho_restore_vmalloc(table);
	if (!t)
		return -EINVAL;
	err = -ENOMEM;
	bad = bitmap_zalloc(nr, GFP_KERNEL);
	if (!bad)
		goto out;
	err = luo_check_sessions(t, nr, (u64)table->total_pages * PAGE_SIZE,
				 bad);
	if (err)
		goto out;

	mutex_lock(&luo_session_lock);
	for (i = 0; i < nr; i++) {
		if (test_bit(i, bad)) {
			if (luo_check_string(t[i].name, sizeof(t[i].name)) < 0)
				pr_err("session %llu refused: bad name\n", i);
			else
				pr_err("session %s refused: repeated name or bad file table\n",
				       t[i].name);
			continue;
		}
		s = luo_session_alloc(t[i].name, true);
		if (!s) {
			pr_err("session %s refused: out of memory\n", t[i].name);
			continue;
		}
		err = luo_file_deserialize(&s->files, s->name, &t[i].files,
					   t[i].nr_files);
		if (err) {
			pr_err("session %s refused: bad file table (%d)\n",
			       s->name, err);
			/* gives back, zeroed, what was claimed */
			luo_file_finish(&s->files);
			luo_session_free(s);
			continue;
		}
		luo_session_add(s);
		taken++;
	}
	mutex_unlock(&luo_session_lock);
	err = taken;
out:
	bitmap_free(bad);
	vfree(t);
	return err;
}
