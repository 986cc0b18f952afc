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
 * A file is preserved once, whatever session or token: the tree of held
 * files is keyed by handler and get_id() (a memfd's inode).  A retrieved
 * file is held too until its session finishes, as in mainline.
 *
 * In the next kernel, KHO releases the handed-over memory that nobody has
 * restored by the end of boot.  So every incoming file is claimed during
 * boot: as soon as both its handler is registered and LUO has read the
 * handover, the handler's claim op validates the file's data and restores
 * its memory.  A file whose claim fails, or whose handler never registers
 * during boot, is refused alone: its retrieve returns the errno (-EIO for
 * a missing handler), and KHO releases, zeroed, what nobody restored.
 *
 * Tokens and ids are kept in red-black trees whose nodes are in struct
 * luo_file: a file costs one allocation, whatever the keys.
 *
 * Locking: a file set is protected by its session's mutex;
 * luo_file_handlers_lock protects the handler list, the handlers' file
 * counts and the list of unclaimed files; luo_file_ids_lock the tree of
 * held files.  Handler ops run under the session's mutex only (claims
 * under luo_file_handlers_lock, during boot).
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/rbtree.h>
#include <linux/slab.h>

#include "luo_internal.h"

static LIST_HEAD(luo_file_handlers);
static DEFINE_MUTEX(luo_file_handlers_lock);
/* Incoming files waiting for their handler, until the end of boot. */
static LIST_HEAD(luo_file_unclaimed);
static bool luo_file_claims_closed;

/* Every file preserved or retrieved, by (handler, id). */
static struct rb_root luo_file_ids = RB_ROOT;
static DEFINE_MUTEX(luo_file_ids_lock);

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

/* ---------------------------------------------------------------------- */
/* Trees of tokens and ids                                                */
/* ---------------------------------------------------------------------- */

static struct luo_file *luo_token_find(struct luo_file_set *fs, u64 token)
{
	struct rb_node *n = fs->tokens.rb_node;

	while (n) {
		struct luo_file *lf = rb_entry(n, struct luo_file, token_node);

		if (token < lf->token)
			n = n->rb_left;
		else if (token > lf->token)
			n = n->rb_right;
		else
			return lf;
	}
	return NULL;
}

static int luo_token_insert(struct luo_file_set *fs, struct luo_file *lf)
{
	struct rb_node **n = &fs->tokens.rb_node, *parent = NULL;

	while (*n) {
		struct luo_file *o = rb_entry(*n, struct luo_file, token_node);

		parent = *n;
		if (lf->token < o->token)
			n = &(*n)->rb_left;
		else if (lf->token > o->token)
			n = &(*n)->rb_right;
		else
			return -EEXIST;
	}
	rb_link_node(&lf->token_node, parent, n);
	rb_insert_color(&lf->token_node, &fs->tokens);
	lf->in_tokens = true;
	return 0;
}

static int luo_id_cmp(const struct luo_file *a, const struct luo_file *b)
{
	if (a->fh != b->fh)
		return a->fh < b->fh ? -1 : 1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return 0;
}

/* Enter @lf, with its fh and id set, in the tree of held files. */
static int luo_id_insert(struct luo_file *lf)
{
	struct rb_node **n, *parent = NULL;
	int err = 0;

	mutex_lock(&luo_file_ids_lock);
	n = &luo_file_ids.rb_node;
	while (*n) {
		struct luo_file *o = rb_entry(*n, struct luo_file, id_node);
		int c = luo_id_cmp(lf, o);

		parent = *n;
		if (c < 0) {
			n = &(*n)->rb_left;
		} else if (c > 0) {
			n = &(*n)->rb_right;
		} else {
			err = -EBUSY;
			goto out;
		}
	}
	rb_link_node(&lf->id_node, parent, n);
	rb_insert_color(&lf->id_node, &luo_file_ids);
	lf->in_ids = true;
out:
	mutex_unlock(&luo_file_ids_lock);
	return err;
}

static void luo_id_erase(struct luo_file *lf)
{
	if (!lf->in_ids)
		return;
	mutex_lock(&luo_file_ids_lock);
	rb_erase(&lf->id_node, &luo_file_ids);
	mutex_unlock(&luo_file_ids_lock);
	lf->in_ids = false;
}

static unsigned long luo_file_id(struct liveupdate_file_handler *fh,
				 struct file *file)
{
	return fh->ops->get_id ? fh->ops->get_id(file) : (unsigned long)file;
}

/* ---------------------------------------------------------------------- */
/* Handlers                                                               */
/* ---------------------------------------------------------------------- */

/* Take a handler for a file; luo_file_handlers_lock held. */
static bool luo_file_get_handler(struct liveupdate_file_handler *fh)
{
	if (!try_module_get(fh->ops->owner))
		return false;
	fh->nr_files++;
	return true;
}

static void luo_file_put_handler(struct liveupdate_file_handler *fh)
{
	mutex_lock(&luo_file_handlers_lock);
	fh->nr_files--;
	mutex_unlock(&luo_file_handlers_lock);
	module_put(fh->ops->owner);
}

static struct liveupdate_file_handler *luo_file_handler_by_name(const char *name)
{
	struct liveupdate_file_handler *fh;

	list_for_each_entry(fh, &luo_file_handlers, list)
		if (!strcmp(fh->compatible, name))
			return fh;
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* This kernel: preserve, freeze, unpreserve                              */
/* ---------------------------------------------------------------------- */

/**
 * luo_file_set_init() - make an empty file set
 * @fs: the set.
 *
 * Context: Any context.
 */
void luo_file_set_init(struct luo_file_set *fs)
{
	INIT_LIST_HEAD(&fs->files);
	fs->tokens = RB_ROOT;
	fs->count = 0;
}

static void luo_file_free(struct luo_file_set *fs, struct luo_file *lf)
{
	if (lf->in_tokens)
		rb_erase(&lf->token_node, &fs->tokens);
	list_del(&lf->list);
	fs->count--;
	kfree(lf);
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

	if (luo_token_find(fs, token))
		return -EEXIST;
	file = fget(fd);
	if (!file)
		return -EBADF;

	mutex_lock(&luo_file_handlers_lock);
	list_for_each_entry(fh, &luo_file_handlers, list)
		if (fh->ops->can_preserve(fh, file))
			break;
	if (list_entry_is_head(fh, &luo_file_handlers, list) ||
	    !luo_file_get_handler(fh))
		fh = NULL;
	mutex_unlock(&luo_file_handlers_lock);
	err = -ENOENT;
	if (!fh)
		goto err_fput;

	err = -ENOMEM;
	lf = kzalloc(sizeof(*lf), GFP_KERNEL_ACCOUNT);
	if (!lf)
		goto err_handler;
	lf->fh = fh;
	lf->file = file;
	lf->token = token;
	lf->id = luo_file_id(fh, file);
	INIT_LIST_HEAD(&lf->unclaimed);
	err = luo_id_insert(lf);	/* -EBUSY if held already */
	if (err)
		goto err_free;

	luo_file_args(lf, &args);
	err = fh->ops->preserve(&args);
	if (err)
		goto err_id;
	lf->serialized_data = args.serialized_data;
	lf->private_data = args.private_data;
	WARN_ON(luo_token_insert(fs, lf));
	list_add_tail(&lf->list, &fs->files);
	fs->count++;
	return 0;

err_id:
	luo_id_erase(lf);
err_free:
	kfree(lf);
err_handler:
	luo_file_put_handler(fh);
err_fput:
	fput(file);
	return err;
}

static void luo_file_unpreserve_one(struct luo_file_set *fs,
				    struct luo_file *lf)
{
	struct liveupdate_file_op_args args;

	luo_file_args(lf, &args);
	lf->fh->ops->unpreserve(&args);
	luo_id_erase(lf);
	luo_file_put_handler(lf->fh);
	fput(lf->file);
	luo_file_free(fs, lf);
}

/**
 * luo_file_unpreserve_token() - un-preserve one file of a session
 * @fs: the session's files, not frozen.
 * @token: its token.
 *
 * Context: Process context, the session locked.
 */
void luo_file_unpreserve_token(struct luo_file_set *fs, u64 token)
{
	struct luo_file *lf = luo_token_find(fs, token);

	if (lf)
		luo_file_unpreserve_one(fs, lf);
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
	struct luo_file *lf, *tmp;

	list_for_each_entry_safe_reverse(lf, tmp, &fs->files, list)
		luo_file_unpreserve_one(fs, lf);
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
 * luo_file_freeze() - take every file's final state and write its entries
 * @fs: the session's files.
 * @table: room for @fs->count entries of the file table.
 *
 * Calls each file's freeze op, first preserved first, then writes the
 * file's entry (struct luo_file_ser) for the next kernel.
 *
 * Context: Process context, from the reboot path.
 * Return: 0, or the errno of the handler, with the set unfrozen again.
 */
int luo_file_freeze(struct luo_file_set *fs, struct luo_file_ser *table)
{
	struct liveupdate_file_op_args args;
	struct luo_file *lf;
	int err;

	list_for_each_entry(lf, &fs->files, list) {
		if (!lf->fh->ops->freeze)
			continue;
		luo_file_args(lf, &args);
		err = lf->fh->ops->freeze(&args);
		if (err) {
			pr_err("Freeze failed for token[%#llx] handler[%s]: %d\n",
			       lf->token, lf->fh->compatible, err);
			luo_file_unfreeze(fs);
			return err;
		}
		lf->serialized_data = args.serialized_data;
		lf->private_data = args.private_data;
		lf->frozen = true;
	}
	list_for_each_entry(lf, &fs->files, list)
		luo_ser_file(table++, lf->fh->compatible, lf->serialized_data,
			     lf->token);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* The next kernel: claim, retrieve, finish                               */
/* ---------------------------------------------------------------------- */

/* Has its handler claim @lf; luo_file_handlers_lock held. */
static void luo_file_claim(struct luo_file *lf,
			   struct liveupdate_file_handler *fh)
{
	struct liveupdate_file_op_args args;
	int err = -EIO;

	list_del_init(&lf->unclaimed);
	if (!luo_file_get_handler(fh))
		goto refuse;
	lf->fh = fh;
	luo_file_args(lf, &args);
	err = fh->ops->claim ? fh->ops->claim(&args) : 0;
	if (!err) {
		lf->private_data = args.private_data;
		return;
	}
	lf->fh = NULL;
	fh->nr_files--;
	module_put(fh->ops->owner);
refuse:
	lf->retrieve_status = err;
	pr_err("session %*pE: file %#llx (%s) refused: %d\n",
	       (int)strlen(lf->session), lf->session, lf->token,
	       lf->compatible, err);
}

/**
 * luo_file_deserialize() - take the files of a handed-over session
 * @fs: the session's file set, empty.
 * @session: the session's name (kept for log lines).
 * @t: the session's entries in the file table.
 * @nr: their number.
 *
 * Files that are bad are refused alone (-EINVAL); the others are claimed
 * by their handlers, now or when the handler registers.
 *
 * Context: Process context, during boot.
 * Return: 0 or -ENOMEM; on error the caller gives back what was claimed
 * with luo_file_abort().
 */
int luo_file_deserialize(struct luo_file_set *fs, const char *session,
			 const struct luo_file_ser *t, u64 nr)
{
	struct liveupdate_file_handler *fh;
	unsigned long *bad;
	struct luo_file *lf;
	int err;
	u64 i;

	if (!nr)
		return 0;
	bad = kvcalloc(BITS_TO_LONGS(nr), sizeof(long), GFP_KERNEL);
	if (!bad)
		return -ENOMEM;
	err = luo_check_files(t, nr, nr * sizeof(*t), bad);
	if (err)
		goto out;

	for (i = 0; i < nr; i++) {
		lf = kzalloc(sizeof(*lf), GFP_KERNEL);
		if (!lf) {
			err = -ENOMEM;
			goto out;
		}
		memcpy(lf->compatible, t[i].compatible, sizeof(lf->compatible));
		lf->compatible[sizeof(lf->compatible) - 1] = '\0';
		lf->token = t[i].token;
		lf->serialized_data = t[i].data;
		lf->session = session;
		INIT_LIST_HEAD(&lf->unclaimed);
		list_add_tail(&lf->list, &fs->files);
		fs->count++;
		if (!test_bit(i, bad)) {
			/* the checks leave no two good files one token */
			WARN_ON(luo_token_insert(fs, lf));
			continue;
		}
		lf->retrieve_status = -EINVAL;
		pr_err("session %*pE: file %llu (token %#llx) refused: bad handler name or repeated token\n",
		       (int)strlen(session), session, i, lf->token);
	}
	/* a refused file's token finds it, unless a good file has it */
	list_for_each_entry(lf, &fs->files, list)
		if (lf->retrieve_status < 0)
			luo_token_insert(fs, lf);

	mutex_lock(&luo_file_handlers_lock);
	list_for_each_entry(lf, &fs->files, list) {
		if (lf->retrieve_status < 0)
			continue;
		list_add_tail(&lf->unclaimed, &luo_file_unclaimed);
		fh = luo_file_claims_closed ? NULL :
		     luo_file_handler_by_name(lf->compatible);
		if (fh)
			luo_file_claim(lf, fh);
	}
	mutex_unlock(&luo_file_handlers_lock);
out:
	kvfree(bad);
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
		pr_err("session %*pE: file %#llx refused: no handler %s\n",
		       (int)strlen(lf->session), lf->session, lf->token,
		       lf->compatible);
	}
	mutex_unlock(&luo_file_handlers_lock);
}

/**
 * luo_retrieve_file() - get back a handed-over file by its token
 * @fs: the session's files.
 * @token: the token.
 * @filep: set to the file, with a reference for the caller.
 *
 * A token retrieved before gives the same file again.  The file counts as
 * preserved until the session finishes.
 *
 * Context: Process context, the session locked.
 * Return: 0; -ENOENT if the session has no such token; the errno the file
 * was refused with, or its handler's.
 */
int luo_retrieve_file(struct luo_file_set *fs, u64 token, struct file **filep)
{
	struct liveupdate_file_op_args args;
	struct luo_file *lf = luo_token_find(fs, token);
	int err;

	if (!lf)
		return -ENOENT;
	if (lf->retrieve_status < 0)
		return lf->retrieve_status;
	if (!lf->fh)		/* not claimed yet: only during boot */
		return -EIO;
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
		lf->id = luo_file_id(lf->fh, lf->file);
		/* a new file: nobody else can hold it */
		WARN_ON(luo_id_insert(lf));
	}
	*filep = get_file(lf->file);
	return 0;
}

/* The end of one incoming file: finish, then free. */
static void luo_file_finish_one(struct luo_file_set *fs, struct luo_file *lf)
{
	struct liveupdate_file_op_args args;

	if (lf->fh) {
		luo_file_args(lf, &args);
		lf->fh->ops->finish(&args);
		luo_file_put_handler(lf->fh);
	}
	luo_id_erase(lf);
	if (lf->file)
		fput(lf->file);
	if (!list_empty(&lf->unclaimed)) {
		mutex_lock(&luo_file_handlers_lock);
		list_del(&lf->unclaimed);
		mutex_unlock(&luo_file_handlers_lock);
	}
	luo_file_free(fs, lf);
}

/**
 * luo_file_abort() - finish every file of a session, ready or not
 * @fs: the session's files.
 *
 * For a session that cannot go on (its state was refused, or LUO cannot
 * run): what was claimed is given back, zeroed, and the set is emptied.
 *
 * Context: Process context.
 */
void luo_file_abort(struct luo_file_set *fs)
{
	struct luo_file *lf, *tmp;

	list_for_each_entry_safe_reverse(lf, tmp, &fs->files, list)
		luo_file_finish_one(fs, lf);
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
	struct luo_file *lf;

	list_for_each_entry(lf, &fs->files, list) {
		if (!lf->fh || !lf->fh->ops->can_finish)
			continue;
		luo_file_args(lf, &args);
		if (!lf->fh->ops->can_finish(&args))
			return -EBUSY;
	}
	luo_file_abort(fs);
	return 0;
}

/**
 * luo_file_discard_unretrieved() - give back the memory nobody retrieved
 * @fs: the session's files.
 *
 * Once the kexec is certain: the files never retrieved are finished, their
 * memory zeroed, so that no tenant's data reaches the next kernel as free
 * memory.  Retrieved files are left alone.
 *
 * Context: Process context, from the reboot path.
 */
void luo_file_discard_unretrieved(struct luo_file_set *fs)
{
	struct liveupdate_file_op_args args;
	struct luo_file *lf;

	list_for_each_entry_reverse(lf, &fs->files, list) {
		if (!lf->fh || lf->file)
			continue;
		luo_file_args(lf, &args);
		lf->fh->ops->finish(&args);
		luo_file_put_handler(lf->fh);
		lf->fh = NULL;
		lf->retrieve_status = -ESTALE;
	}
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
	struct luo_file *lf, *tmp;

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
	fh->nr_files = 0;
	list_add_tail(&fh->list, &luo_file_handlers);
	list_for_each_entry_safe(lf, tmp, &luo_file_unclaimed, unclaimed)
		if (!strcmp(lf->compatible, fh->compatible))
			luo_file_claim(lf, fh);
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
 * registered; -EBUSY while it holds files, outgoing or incoming.
 */
int liveupdate_unregister_file_handler(struct liveupdate_file_handler *fh)
{
	int err = 0;

	if (!liveupdate_enabled())
		return -EOPNOTSUPP;
	mutex_lock(&luo_file_handlers_lock);
	if (luo_file_handler_by_name(fh->compatible) != fh)
		err = -ENOENT;
	else if (fh->nr_files)
		err = -EBUSY;
	else
		list_del_init(&fh->list);
	mutex_unlock(&luo_file_handlers_lock);
	return err;
}
EXPORT_SYMBOL_GPL(liveupdate_unregister_file_handler);
