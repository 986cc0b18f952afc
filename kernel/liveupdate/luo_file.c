// SPDX-License-Identifier: GPL-2.0-only
/*
 * Live Update Orchestrator (LUO): file handlers and the life of each file.
 *
 * A file handler (struct liveupdate_file_handler) preserves one kind of
 * file.  LUO keeps the files of each session in a struct luo_file_set and
 * calls the handler of each file at each step of its life:
 *
 *	this kernel:	preserve, then at the kexec freeze (unfreeze if the
 *			kexec is refused); unpreserve if the session is closed
 *	next kernel:	claim during boot, retrieve when userspace asks,
 *			finish at the end of the live update
 *
 * A file is preserved once, whatever session or token: the table of
 * preserved files is keyed by the handler's get_id() (default: the file).
 *
 * In the next kernel, KHO releases the handed-over memory that nobody has
 * restored by the end of boot.  So every incoming file is claimed during
 * boot: as soon as both its handler is registered and LUO has read the
 * handover, the handler's claim op validates the file's data and restores
 * its memory.  A file whose claim fails, or whose handler never registers
 * during boot, is refused alone: its retrieve returns the errno (-EIO for
 * a missing handler), and KHO releases, zeroed, what nobody restored.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "luo_internal.h"

static LIST_HEAD(luo_file_handlers);
/* The handlers, and the incoming files waiting for theirs. */
static DEFINE_MUTEX(luo_file_handlers_lock);
static LIST_HEAD(luo_file_unclaimed);
static bool luo_file_claims_closed;

/* Every outgoing file, by id: a file is preserved once. */
static DEFINE_XARRAY(luo_file_preserved);

static void luo_file_args(struct luo_file *lf,
			  struct liveupdate_file_op_args *args)
{
	*args = (struct liveupdate_file_op_args) {
		.handler = lf->fh,
		.retrieve_status = lf->retrieve_status,
		.file = lf->file,
		.serialized_data = lf->serialized_data,
		.private_data = lf->private_data,
	};
}

/**
 * luo_file_set_init() - make an empty file set
 * @fs: the set.
 *
 * Context: Any context.
 */
void luo_file_set_init(struct luo_file_set *fs)
{
	INIT_LIST_HEAD(&fs->files);
	xa_init(&fs->tokens);
	fs->count = 0;
	fs->ser = NULL;
	memset(&fs->ser_kho, 0, sizeof(fs->ser_kho));
}

static struct liveupdate_file_handler *luo_file_find_handler(struct file *file)
{
	struct liveupdate_file_handler *fh;

	list_for_each_entry(fh, &luo_file_handlers, list)
		if (fh->ops->can_preserve(fh, file))
			return fh;
	return NULL;
}

/**
 * luo_preserve_file() - preserve a file into a session
 * @fs: the session's files.
 * @token: the token userspace chose.
 * @fd: the file.
 *
 * Context: Process context, the session locked.
 * Return: 0; -EEXIST if @token is taken in @fs, -EBADF for a bad @fd,
 * -ENOENT if no handler takes the file, -EBUSY if it is preserved already,
 * -ENOMEM, or the handler's errno.  Nothing changes on error.
 */
int luo_preserve_file(struct luo_file_set *fs, u64 token, int fd)
{
	struct liveupdate_file_op_args args;
	struct liveupdate_file_handler *fh;
	struct luo_file *lf;
	struct file *file;
	int err;

	if (xa_load(&fs->tokens, token))
		return -EEXIST;
	file = fget(fd);
	if (!file)
		return -EBADF;

	mutex_lock(&luo_file_handlers_lock);
	fh = luo_file_find_handler(file);
	if (fh && !try_module_get(fh->ops->owner))
		fh = NULL;
	mutex_unlock(&luo_file_handlers_lock);
	err = -ENOENT;
	if (!fh)
		goto err_fput;

	err = -ENOMEM;
	lf = kzalloc(sizeof(*lf), GFP_KERNEL);
	if (!lf)
		goto err_module;
	lf->fh = fh;
	lf->file = file;
	lf->token = token;
	lf->id = fh->ops->get_id ? fh->ops->get_id(file) : (unsigned long)file;
	err = xa_insert(&luo_file_preserved, lf->id, lf, GFP_KERNEL);
	if (err)		/* -EBUSY if preserved already */
		goto err_free;
	err = xa_insert(&fs->tokens, token, lf, GFP_KERNEL);
	if (err)
		goto err_erase;

	luo_file_args(lf, &args);
	err = fh->ops->preserve(&args);
	if (err)
		goto err_token;
	lf->serialized_data = args.serialized_data;
	lf->private_data = args.private_data;
	list_add_tail(&lf->list, &fs->files);
	fs->count++;
	return 0;

err_token:
	xa_erase(&fs->tokens, token);
err_erase:
	xa_erase(&luo_file_preserved, lf->id);
err_free:
	kfree(lf);
err_module:
	module_put(fh->ops->owner);
err_fput:
	fput(file);
	return err;
}

static void luo_file_free(struct luo_file_set *fs, struct luo_file *lf)
{
	xa_erase(&fs->tokens, lf->token);
	list_del(&lf->list);
	fs->count--;
	kfree(lf);
}

/**
 * luo_file_unpreserve_files() - un-preserve every file of a session
 * @fs: the session's files, not frozen.
 *
 * Last preserved first.  The files are as if never preserved.
 *
 * Context: Process context, the session locked.
 */
void luo_file_unpreserve_files(struct luo_file_set *fs)
{
	struct liveupdate_file_op_args args;
	struct luo_file *lf, *tmp;

	list_for_each_entry_safe_reverse(lf, tmp, &fs->files, list) {
		luo_file_args(lf, &args);
		lf->fh->ops->unpreserve(&args);
		xa_erase(&luo_file_preserved, lf->id);
		module_put(lf->fh->ops->owner);
		fput(lf->file);
		luo_file_free(fs, lf);
	}
}

/**
 * luo_file_unfreeze() - undo luo_file_freeze()
 * @fs: the session's files.
 *
 * Context: Process context, from the reboot path.
 */
void luo_file_unfreeze(struct luo_file_set *fs)
{
	struct liveupdate_file_op_args args;
	struct luo_file *lf;

	if (fs->ser) {
		WARN_ON(kho_unpreserve_vmalloc(&fs->ser_kho));
		vfree(fs->ser);
		fs->ser = NULL;
	}
	list_for_each_entry_reverse(lf, &fs->files, list) {
		if (!lf->frozen)
			continue;
		lf->frozen = false;
		if (lf->fh->ops->unfreeze) {
			luo_file_args(lf, &args);
			lf->fh->ops->unfreeze(&args);
		}
	}
}

/**
 * luo_file_freeze() - take every file's final state and write the file table
 * @fs: the session's files.
 * @nr: set to the number of files.
 * @out: set to the handle of the file table, zeroes if there is no file.
 *
 * Calls each file's freeze op, first preserved first, then writes the
 * table that the next kernel reads (struct luo_file_ser each) and
 * preserves it.
 *
 * Context: Process context, from the reboot path.
 * Return: 0, or the errno of the handler or of the table's allocation or
 * preservation, with everything unfrozen again.
 */
int luo_file_freeze(struct luo_file_set *fs, u64 *nr, struct kho_vmalloc *out)
{
	struct liveupdate_file_op_args args;
	struct luo_file *lf;
	unsigned long i = 0;
	int err;

	list_for_each_entry(lf, &fs->files, list) {
		if (lf->fh->ops->freeze) {
			luo_file_args(lf, &args);
			err = lf->fh->ops->freeze(&args);
			if (err) {
				pr_err("freeze failed for token %#llx (handler %s): %d\n",
				       lf->token, lf->fh->compatible, err);
				goto err;
			}
			lf->serialized_data = args.serialized_data;
			lf->private_data = args.private_data;
		}
		lf->frozen = true;
	}

	memset(out, 0, sizeof(*out));
	*nr = fs->count;
	if (!fs->count)
		return 0;
	err = -ENOMEM;
	fs->ser = vzalloc(array_size(fs->count, sizeof(*fs->ser)));
	if (!fs->ser)
		goto err;
	list_for_each_entry(lf, &fs->files, list)
		luo_ser_file(&fs->ser[i++], lf->fh->compatible,
			     lf->serialized_data, lf->token);
	err = kho_preserve_vmalloc(fs->ser, &fs->ser_kho);
	if (err) {
		vfree(fs->ser);
		fs->ser = NULL;
		goto err;
	}
	*out = fs->ser_kho;
	return 0;

err:
	luo_file_unfreeze(fs);
	return err;
}

/* Has its handler claim @lf; luo_file_handlers_lock held. */
static void luo_file_claim(struct luo_file *lf,
			   struct liveupdate_file_handler *fh)
{
	struct liveupdate_file_op_args args;
	int err = 0;

	list_del_init(&lf->unclaimed);
	if (!try_module_get(fh->ops->owner)) {
		err = -EIO;
		goto refuse;
	}
	lf->fh = fh;
	luo_file_args(lf, &args);
	if (fh->ops->claim)
		err = fh->ops->claim(&args);
	if (!err) {
		lf->private_data = args.private_data;
		return;
	}
	lf->fh = NULL;
	module_put(fh->ops->owner);
refuse:
	lf->retrieve_status = err;
	pr_err("session %s: file %#llx (%s) refused: %d\n", lf->session,
	       lf->token, lf->compatible, err);
}

/* Claims of the incoming files a newly registered handler takes. */
static void luo_file_claim_for(struct liveupdate_file_handler *fh)
{
	struct luo_file *lf, *tmp;

	list_for_each_entry_safe(lf, tmp, &luo_file_unclaimed, unclaimed)
		if (!strcmp(lf->compatible, fh->compatible))
			luo_file_claim(lf, fh);
}

static struct liveupdate_file_handler *luo_file_handler_by_name(const char *name)
{
	struct liveupdate_file_handler *fh;

	list_for_each_entry(fh, &luo_file_handlers, list)
		if (!strcmp(fh->compatible, name))
			return fh;
	return NULL;
}

/**
 * luo_file_deserialize() - read the file table of a handed-over session
 * @fs: the session's file set, empty.
 * @session: the session's name (kept for log lines).
 * @table: the handle of the table.
 * @nr: the number of files the previous kernel says it has.
 *
 * Files that are bad are refused alone (-EINVAL); the others are claimed
 * by their handlers, now or when the handler registers.
 *
 * Context: Process context, during boot.
 * Return: 0; -EINVAL if the table itself is bad (the session must be
 * refused), -ENOMEM.
 */
int luo_file_deserialize(struct luo_file_set *fs, const char *session,
			 const struct kho_vmalloc *table, u64 nr)
{
	struct liveupdate_file_handler *fh;
	struct luo_file_ser *t;
	unsigned long *bad;
	struct luo_file *lf;
	int err;
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
	err = luo_check_files(t, nr, (u64)table->total_pages * PAGE_SIZE, bad);
	if (err)
		goto out;

	mutex_lock(&luo_file_handlers_lock);
	for (i = 0; i < nr; i++) {
		lf = kzalloc(sizeof(*lf), GFP_KERNEL);
		if (!lf) {
			err = -ENOMEM;
			break;
		}
		memcpy(lf->compatible, t[i].compatible, sizeof(lf->compatible));
		lf->compatible[sizeof(lf->compatible) - 1] = '\0';
		lf->token = t[i].token;
		lf->serialized_data = t[i].data;
		lf->session = session;
		INIT_LIST_HEAD(&lf->unclaimed);
		list_add_tail(&lf->list, &fs->files);
		fs->count++;
		/* of repeated tokens, one is found; all are refused */
		if (xa_insert(&fs->tokens, lf->token, lf, GFP_KERNEL) &&
		    !test_bit(i, bad)) {
			lf->retrieve_status = -ENOMEM;
			pr_err("session %s: file %#llx refused: out of memory\n",
			       session, lf->token);
			continue;
		}
		if (test_bit(i, bad)) {
			lf->retrieve_status = -EINVAL;
			pr_err("session %s: file %llu (token %#llx) refused: bad handler name or repeated token\n",
			       session, i, lf->token);
			continue;
		}
		list_add_tail(&lf->unclaimed, &luo_file_unclaimed);
		fh = luo_file_claims_closed ? NULL :
		     luo_file_handler_by_name(lf->compatible);
		if (fh)
			luo_file_claim(lf, fh);
	}
	mutex_unlock(&luo_file_handlers_lock);
out:
	bitmap_free(bad);
	vfree(t);
	return err;
}

/**
 * luo_file_refuse_unclaimed() - end of boot: refuse the files no handler took
 *
 * Their memory is released, zeroed, by KHO.
 *
 * Context: Process context, late in boot.
 */
void luo_file_refuse_unclaimed(void)
{
	struct luo_file *lf, *tmp;

	mutex_lock(&luo_file_handlers_lock);
	luo_file_claims_closed = true;
	list_for_each_entry_safe(lf, tmp, &luo_file_unclaimed, unclaimed) {
		list_del_init(&lf->unclaimed);
		lf->retrieve_status = -EIO;
		pr_err("session %s: file %#llx refused: no handler %s\n",
		       lf->session, lf->token, lf->compatible);
	}
	mutex_unlock(&luo_file_handlers_lock);
}

/**
 * luo_retrieve_file() - get back a handed-over file by its token
 * @fs: the session's files.
 * @token: the token.
 * @filep: set to the file, with a reference for the caller.
 *
 * A token retrieved before gives the same file again.
 *
 * Context: Process context, the session locked.
 * Return: 0; -ENOENT if the session has no such token; the errno the file
 * was refused with, or its handler's.
 */
int luo_retrieve_file(struct luo_file_set *fs, u64 token, struct file **filep)
{
	struct liveupdate_file_op_args args;
	struct luo_file *lf = xa_load(&fs->tokens, token);
	int err;

	if (!lf)
		return -ENOENT;
	if (lf->retrieve_status < 0)
		return lf->retrieve_status;
	if (!lf->file) {
		luo_file_args(lf, &args);
		args.file = NULL;
		err = lf->fh->ops->retrieve(&args);
		if (!err && !args.file)
			err = -EIO;
		if (err) {
			lf->retrieve_status = err;
			return err;
		}
		lf->file = args.file;
		lf->private_data = args.private_data;
		lf->retrieve_status = 1;
	}
	*filep = get_file(lf->file);
	return 0;
}

/**
 * luo_file_finish() - end the live update of a session's files
 * @fs: the session's files.
 *
 * If every handler can finish, each file's finish op runs, last file
 * first; a file never retrieved gives its memory back, zeroed.  The set
 * is empty then.
 *
 * Context: Process context, the session locked.
 * Return: 0; -EBUSY, with nothing done, if a handler cannot finish yet.
 */
int luo_file_finish(struct luo_file_set *fs)
{
	struct liveupdate_file_op_args args;
	struct luo_file *lf, *tmp;

	list_for_each_entry(lf, &fs->files, list) {
		if (!lf->fh || !lf->fh->ops->can_finish)
			continue;
		luo_file_args(lf, &args);
		if (!lf->fh->ops->can_finish(&args))
			return -EBUSY;
	}
	list_for_each_entry_safe_reverse(lf, tmp, &fs->files, list) {
		if (lf->fh) {
			luo_file_args(lf, &args);
			lf->fh->ops->finish(&args);
			module_put(lf->fh->ops->owner);
		}
		if (lf->file)
			fput(lf->file);
		if (!list_empty(&lf->unclaimed)) {
			mutex_lock(&luo_file_handlers_lock);
			list_del(&lf->unclaimed);
			mutex_unlock(&luo_file_handlers_lock);
		}
		luo_file_free(fs, lf);
	}
	return 0;
}

static bool luo_file_handler_busy(struct liveupdate_file_handler *fh)
{
	struct luo_file *lf;
	unsigned long id;

	xa_for_each(&luo_file_preserved, id, lf)
		if (lf->fh == fh)
			return true;
	return false;
}

/**
 * liveupdate_register_file_handler() - register a kind of preservable file
 * @fh: the handler: its ops and compatible string.
 *
 * Files of the previous kernel that name @fh's compatible string are
 * claimed at once, if LUO has read the handover already.  Register no
 * later than late_initcall: what is not claimed by the end of boot is
 * refused.
 *
 * Context: Process context; may sleep.
 * Return: 0; -EOPNOTSUPP if live update is off; -EINVAL if a required op
 * is missing or the compatible string is empty or unterminated; -EEXIST
 * if a handler of the same compatible string is registered.
 */
int liveupdate_register_file_handler(struct liveupdate_file_handler *fh)
{
	const struct liveupdate_file_ops *ops = fh->ops;

	if (!liveupdate_enabled())
		return -EOPNOTSUPP;
	if (!ops || !ops->can_preserve || !ops->preserve || !ops->unpreserve ||
	    !ops->retrieve || !ops->finish ||
	    luo_check_string(fh->compatible, sizeof(fh->compatible)) < 0)
		return -EINVAL;

	mutex_lock(&luo_file_handlers_lock);
	if (luo_file_handler_by_name(fh->compatible)) {
		mutex_unlock(&luo_file_handlers_lock);
		return -EEXIST;
	}
	list_add_tail(&fh->list, &luo_file_handlers);
	if (!luo_file_claims_closed)
		luo_file_claim_for(fh);
	mutex_unlock(&luo_file_handlers_lock);
	return 0;
}
EXPORT_SYMBOL_GPL(liveupdate_register_file_handler);

/**
 * liveupdate_unregister_file_handler() - unregister a file handler
 * @fh: a handler registered with liveupdate_register_file_handler().
 *
 * Context: Process context; may sleep.
 * Return: 0; -EOPNOTSUPP if live update is off; -ENOENT if @fh is not
 * registered; -EBUSY while files it preserves are in a session.
 */
int liveupdate_unregister_file_handler(struct liveupdate_file_handler *fh)
{
	int err = 0;

	if (!liveupdate_enabled())
		return -EOPNOTSUPP;
	mutex_lock(&luo_file_handlers_lock);
	if (luo_file_handler_by_name(fh->compatible) != fh)
		err = -ENOENT;
	else if (luo_file_handler_busy(fh))
		err = -EBUSY;
	else
		list_del_init(&fh->list);
	mutex_unlock(&luo_file_handlers_lock);
	return err;
}
EXPORT_SYMBOL_GPL(liveupdate_unregister_file_handler);
