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
 * luo_session_lock (the lists and hash tables), a session's mutex (its
 * files), then luo_file.c's locks.  The session ioctls take only the
 * session's mutex; closing a session does its files' work under the
 * session's mutex and takes luo_session_lock only to unlink it; the reboot
 * path walks the lists under the rwsem held for writing alone.
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

/* While frozen: the tables written for the next kernel. */
static struct luo_session_ser *luo_session_ser;
static struct luo_file_ser *luo_session_files_ser;
static struct luo_tables luo_session_tables;

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

/* PRESERVE_FD whose answer failed: as if it never ran */
static void luo_session_preserve_fd_undo(void *ctx, void *arg,
					 struct file *file)
{
	struct liveupdate_session_preserve_fd *a = arg;
	struct luo_session *s = ctx;

	mutex_lock(&s->mutex);
	luo_file_unpreserve_token(&s->files, a->token);
	mutex_unlock(&s->mutex);
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
		.answer = true,
		.execute = luo_session_preserve_fd,
		.undo = luo_session_preserve_fd_undo,
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
		.answer = true,
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

	ret = luo_ioctl(luo_session_ops, ARRAY_SIZE(luo_session_ops),
			LIVEUPDATE_CMD_SESSION_BASE,
			s->incoming ? LUO_IOCTL_GATE_IN : LUO_IOCTL_GATE_OUT,
			s, &luo_state_rwsem, cmd, arg);
	return ret;
}

static int luo_session_release(struct inode *inode, struct file *file)
{
	struct luo_session *s = file->private_data;
	int err = 0;

	/* a retrieve whose answer could not be copied out */
	if (!s)
		return 0;

	down_read(&luo_state_rwsem);
	mutex_lock(&s->mutex);
	if (s->incoming)
		err = luo_file_finish(&s->files);
	else
		luo_file_unpreserve_files(&s->files);
	mutex_unlock(&s->mutex);

	mutex_lock(&luo_session_lock);
	if (err) {
		/* it stays, and can be retrieved again */
		pr_warn("session %s: cannot finish on close (%d); it can be retrieved again\n",
			s->name, err);
		s->retrieved = false;
	} else {
		luo_session_del(s);
	}
	mutex_unlock(&luo_session_lock);
	up_read(&luo_state_rwsem);
	if (!err)
		luo_session_free(s);
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
	struct luo_tables *t = &luo_session_tables;
	struct luo_session *s;

	/* a table KHO still hands over must not be freed */
	if (t->nr_sessions && !WARN_ON(kho_unpreserve_vmalloc(&t->sessions)))
		vfree(luo_session_ser);
	if (t->nr_files && !WARN_ON(kho_unpreserve_vmalloc(&t->files)))
		vfree(luo_session_files_ser);
	luo_session_ser = NULL;
	luo_session_files_ser = NULL;
	memset(t, 0, sizeof(*t));
	list_for_each_entry_reverse(s, &luo_session_out, list)
		luo_file_unfreeze(&s->files);
}

/**
 * luo_session_serialize() - freeze every outgoing session for the kexec
 * @out: set to the tables written, zeroes where they are empty.
 *
 * Freezes each session's files (luo_file_freeze()), in the order the
 * sessions were created, and writes the session table and the file table
 * of all sessions.
 *
 * Context: Process context, the reboot path, luo_state_rwsem held for
 * writing.
 * Return: 0, or an errno with nothing frozen.
 */
int luo_session_serialize(struct luo_tables *out)
{
	struct luo_tables *t = &luo_session_tables;
	struct luo_session *s;
	u64 i = 0, first = 0;
	int err = -ENOMEM;

	memset(t, 0, sizeof(*t));
	list_for_each_entry(s, &luo_session_out, list)
		t->nr_files += s->files.count;
	t->nr_sessions = luo_session_nr_out;
	if (t->nr_sessions) {
		luo_session_ser = vzalloc(array_size(t->nr_sessions,
						     sizeof(*luo_session_ser)));
		if (!luo_session_ser)
			goto err_free;
	}
	if (t->nr_files) {
		luo_session_files_ser = vzalloc(array_size(t->nr_files,
							   sizeof(*luo_session_files_ser)));
		if (!luo_session_files_ser)
			goto err_free;
	}

	list_for_each_entry(s, &luo_session_out, list) {
		err = luo_file_freeze(&s->files, luo_session_files_ser + first);
		if (err) {
			pr_err("session %s: cannot freeze its files (%d), kexec refused\n",
			       s->name, err);
			goto err_unfreeze;
		}
		luo_ser_session(&luo_session_ser[i], s->name, first,
				s->files.count);
		luo_debug_corrupt_session(&luo_session_ser[i],
					  i ? &luo_session_ser[i - 1] : NULL,
					  luo_session_files_ser + first);
		first += s->files.count;
		i++;
	}

	if (t->nr_sessions) {
		err = kho_preserve_vmalloc(luo_session_ser, &t->sessions);
		if (err)
			goto err_preserve;
	}
	if (t->nr_files) {
		err = kho_preserve_vmalloc(luo_session_files_ser, &t->files);
		if (err) {
			if (t->nr_sessions)
				WARN_ON(kho_unpreserve_vmalloc(&t->sessions));
			goto err_preserve;
		}
	}
	*out = *t;
	return 0;

err_preserve:
	pr_err("cannot preserve the session tables (%d), kexec refused\n", err);
	/* every session is frozen */
	s = list_entry(&luo_session_out, struct luo_session, list);
err_unfreeze:
	/* unfreeze the sessions before @s */
	list_for_each_entry_continue_reverse(s, &luo_session_out, list)
		luo_file_unfreeze(&s->files);
err_free:
	vfree(luo_session_ser);
	vfree(luo_session_files_ser);
	luo_session_ser = NULL;
	luo_session_files_ser = NULL;
	memset(t, 0, sizeof(*t));
	return err;
}

/**
 * luo_session_discard_unretrieved() - give back what the last live update
 *	left unretrieved
 *
 * Once the kexec is certain: the files of incoming sessions that nobody
 * retrieved are finished, their memory zeroed, so that no tenant's data
 * reaches the next kernel as free memory.
 *
 * Context: Process context, the reboot path, luo_state_rwsem held for
 * writing.
 */
void luo_session_discard_unretrieved(void)
{
	struct luo_session *s;

	list_for_each_entry(s, &luo_session_in, list) {
		mutex_lock(&s->mutex);
		luo_file_discard_unretrieved(&s->files);
		mutex_unlock(&s->mutex);
	}
}

/**
 * luo_session_abort_incoming() - give back every incoming session
 *
 * For a kernel in which LUO cannot run after all: what the sessions'
 * handlers claimed is given back, zeroed.
 *
 * Context: Process context, during boot.
 */
void luo_session_abort_incoming(void)
{
	struct luo_session *s, *tmp;

	mutex_lock(&luo_session_lock);
	list_for_each_entry_safe(s, tmp, &luo_session_in, list) {
		luo_file_abort(&s->files);
		luo_session_del(s);
		luo_session_free(s);
	}
	mutex_unlock(&luo_session_lock);
}

/* Take the session @e, whose files are @files; luo_session_lock held. */
static bool luo_session_take(const struct luo_session_ser *e,
			     const struct luo_file_ser *files)
{
	struct luo_session *s = luo_session_alloc(e->name, true);
	int err;

	if (!s) {
		pr_err("session %*pE refused: out of memory\n",
		       (int)strlen(e->name), e->name);
		return false;
	}
	err = luo_file_deserialize(&s->files, s->name, files, e->nr_files);
	if (err) {
		pr_err("session %*pE refused: %d\n", (int)strlen(e->name),
		       e->name, err);
		/* gives back, zeroed, what was claimed */
		luo_file_abort(&s->files);
		luo_session_free(s);
		return false;
	}
	luo_session_add(s);
	return true;
}

/**
 * luo_session_deserialize() - take the previous kernel's sessions
 * @in: the tables, as the previous kernel described them.
 *
 * Each session that is bad is refused alone, with one log line, and what
 * it had claimed is given back.
 *
 * Context: Process context, during boot.
 * Return: the number of sessions taken; -EINVAL if the session table is
 * bad, -ENOMEM.
 */
int luo_session_deserialize(const struct luo_tables *in)
{
	const struct luo_file_ser *files = NULL;
	struct luo_session_ser *t;
	unsigned long *bad;
	u64 i, nr_files = 0;
	int err, taken = 0;

	if (!in->nr_sessions)
		return 0;
	if (in->nr_sessions > (u64)in->sessions.total_pages * PAGE_SIZE / sizeof(*t) ||
	    in->nr_sessions > U32_MAX)
		return -EINVAL;
	/* a bad file table refuses every session that has files */
	if (in->nr_files &&
	    in->nr_files <= (u64)in->files.total_pages * PAGE_SIZE / sizeof(*files)) {
		files = kho_restore_vmalloc(&in->files);
		nr_files = files ? in->nr_files : 0;
	}
	if (in->nr_files && !files)
		pr_err("the file table is bad: only sessions without files are taken\n");

	err = -EINVAL;
	t = kho_restore_vmalloc(&in->sessions);
	if (!t)
		goto out_files;
	err = -ENOMEM;
	bad = kvcalloc(BITS_TO_LONGS(in->nr_sessions), sizeof(long), GFP_KERNEL);
	if (!bad)
		goto out;
	err = luo_check_sessions(t, in->nr_sessions,
				 (u64)in->sessions.total_pages * PAGE_SIZE,
				 nr_files, bad);
	if (err)
		goto out;

	mutex_lock(&luo_session_lock);
	for (i = 0; i < in->nr_sessions; i++) {
		if (!test_bit(i, bad)) {
			taken += luo_session_take(&t[i], files + t[i].first_file);
			continue;
		}
		if (luo_check_string(t[i].name, sizeof(t[i].name)) < 0)
			pr_err("session %llu refused: bad name\n", i);
		else
			pr_err("session %*pE refused: repeated name, or files outside the file table or another session's\n",
			       (int)strlen(t[i].name), t[i].name);
	}
	mutex_unlock(&luo_session_lock);
	err = taken;
out:
	kvfree(bad);
	vfree(t);
out_files:
	vfree(files);
	return err;
}
