/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Live Update Orchestrator (LUO): what its files share.
 */
#ifndef _KERNEL_LIVEUPDATE_LUO_INTERNAL_H
#define _KERNEL_LIVEUPDATE_LUO_INTERNAL_H

#include <linux/bits.h>
#include <linux/kho/abi/luo.h>
#include <linux/liveupdate.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/rwsem.h>
#include <linux/types.h>

/**
 * struct luo_file - one file of a session
 * @fh: its handler; incoming: NULL until claimed, and for a refused file.
 * @file: outgoing: the file, with LUO's reference; incoming: the file
 *	retrieve made, or NULL.
 * @token: the token userspace chose.
 * @id: the key of the file in the tree of held files (with @fh).
 * @serialized_data: the handler's data for the next kernel, or from the
 *	previous one.
 * @private_data: the handler's pointer.
 * @retrieve_status: incoming: 0 until retrieved, 1 after, or the errno
 *	with which the file was refused or its retrieve failed.
 * @frozen: outgoing: its freeze ran and was not undone.
 * @in_tokens: it is in its set's tree of tokens.
 * @in_ids: it is in the tree of held files.
 * @compatible: incoming: the handler the previous kernel named.
 * @session: incoming: the name of its session, for log lines.
 * @list: in the file set, in the order of preservation.
 * @unclaimed: incoming: in the list of files waiting for their handler.
 * @token_node: in its set's tree of tokens.
 * @id_node: in the tree of held files.
 */
struct luo_file {
	struct liveupdate_file_handler *fh;
	struct file *file;
	u64 token;
	unsigned long id;
	u64 serialized_data;
	void *private_data;
	int retrieve_status;
	bool frozen;
	bool in_tokens;
	bool in_ids;
	char compatible[LUO_COMPATIBLE_LEN];
	const char *session;
	struct list_head list;
	struct list_head unclaimed;
	struct rb_node token_node;
	struct rb_node id_node;
};

/**
 * struct luo_file_set - the files of one session
 * @files: struct luo_file, in the order of preservation.
 * @tokens: its files by token.
 * @count: number of files.
 */
struct luo_file_set {
	struct list_head files;
	struct rb_root tokens;
	unsigned long count;
};

/* The size-first ioctls, in luo_ioctl.c. */
#define LUO_IOCTL_MAX_SIZE	72
#define LUO_IOCTL_GATE_DEVICE	BIT(0)
#define LUO_IOCTL_GATE_OUT	BIT(1)	/* a session created here */
#define LUO_IOCTL_GATE_IN	BIT(2)	/* a session from the previous kernel */
#define LUO_IOCTL_GATE_SESSION	(LUO_IOCTL_GATE_OUT | LUO_IOCTL_GATE_IN)

/**
 * struct luo_ioctl_op - one LUO ioctl
 * @cmd: its command.
 * @size: the size of its struct in this kernel.
 * @min_size: the smallest size userspace may pass (the end of the last
 *	member the kernel reads).
 * @gate: the kinds of fd it is valid on (LUO_IOCTL_GATE_*).
 * @answer: the struct is copied back to userspace.
 * @execute: runs it on the struct, copied in and zero-extended; may
 *	return a new file in its last argument.
 * @undo: optional; undoes an op whose answer could not be copied out,
 *	given the struct and the new file (or NULL).
 */
struct luo_ioctl_op {
	unsigned int cmd;
	u32 size;
	u32 min_size;
	unsigned int gate;
	bool answer;
	int (*execute)(void *ctx, void *arg, struct file **file);
	void (*undo)(void *ctx, void *arg, struct file *file);
};

long luo_ioctl(const struct luo_ioctl_op *ops, unsigned int nr_ops,
	       unsigned int base, unsigned int type, void *ctx,
	       struct rw_semaphore *lock, unsigned int cmd, unsigned long arg);

/* The handover tables, written and checked; pure functions, in luo_ser.c. */
void luo_ser_session(struct luo_session_ser *e, const char *name,
		     u64 first_file, u64 nr_files);
void luo_ser_file(struct luo_file_ser *e, const char *compatible, u64 data,
		  u64 token);
int luo_check_string(const char *s, size_t size);
int luo_check_sessions(const struct luo_session_ser *t, u64 nr, u64 bytes,
		       u64 nr_files, unsigned long *bad);
int luo_check_files(const struct luo_file_ser *t, u64 nr, u64 bytes,
		    unsigned long *bad);

#ifdef CONFIG_LIVEUPDATE
extern struct rw_semaphore luo_state_rwsem;

/* luo_file.c */
void luo_file_set_init(struct luo_file_set *fs);
int luo_preserve_file(struct luo_file_set *fs, u64 token, int fd);
void luo_file_unpreserve_token(struct luo_file_set *fs, u64 token);
void luo_file_unpreserve_files(struct luo_file_set *fs);
int luo_file_freeze(struct luo_file_set *fs, struct luo_file_ser *table);
void luo_file_unfreeze(struct luo_file_set *fs);
int luo_file_deserialize(struct luo_file_set *fs, const char *session,
			 const struct luo_file_ser *t, u64 nr);
void luo_file_refuse_unclaimed(void);
int luo_retrieve_file(struct luo_file_set *fs, u64 token,
		      struct file **filep);
int luo_file_finish(struct luo_file_set *fs);
void luo_file_abort(struct luo_file_set *fs);
void luo_file_discard_unretrieved(struct luo_file_set *fs);

/* luo_session.c */
int luo_session_create(const char *name, struct file **filep);
int luo_session_retrieve(const char *name, struct file **filep);
void luo_session_unretrieve(struct file *file);

/**
 * struct luo_tables - the handover's tables, as written or read
 * @sessions: the session table's handle.
 * @nr_sessions: its entries.
 * @files: the file table's handle.
 * @nr_files: its entries.
 */
struct luo_tables {
	struct kho_vmalloc sessions;
	u64 nr_sessions;
	struct kho_vmalloc files;
	u64 nr_files;
};

int luo_session_serialize(struct luo_tables *out);
void luo_session_unserialize(void);
void luo_session_discard_unretrieved(void);
int luo_session_deserialize(const struct luo_tables *in);
void luo_session_abort_incoming(void);

/* luo_debug.c: test hooks */
#ifdef CONFIG_LIVEUPDATE_DEBUG
void luo_debug_corrupt_session(struct luo_session_ser *e,
			       const struct luo_session_ser *prev,
			       struct luo_file_ser *files);
const char *luo_debug_compatible(void);
#else
static inline void luo_debug_corrupt_session(struct luo_session_ser *e,
					     const struct luo_session_ser *prev,
					     struct luo_file_ser *files)
{
}

static inline const char *luo_debug_compatible(void)
{
	return LUO_FDT_COMPATIBLE;
}
#endif
#endif /* CONFIG_LIVEUPDATE */

#endif /* _KERNEL_LIVEUPDATE_LUO_INTERNAL_H */
