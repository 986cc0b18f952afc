// SPDX-License-Identifier: GPL-2.0-only
/*
 * Live Update Orchestrator (LUO): the size-first ioctl arguments.
 *
 * Every LUO ioctl is _IO(LIVEUPDATE_IOCTL_TYPE, nr) and carries the size
 * of its argument struct in the struct's first u32, so that the struct can
 * grow: both /dev/liveupdate and the session fds decode their ioctls here,
 * from a table of struct luo_ioctl_op.  The errnos are mainline's: a
 * number outside the table is -EINVAL, a number in it with other
 * direction or size bits is -ENOTTY, a size below the last member the
 * kernel needs is -EINVAL, unknown non-zero bytes past the kernel's
 * struct are -E2BIG.
 */

#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/uaccess.h>

#include "luo_internal.h"

/* Every struct that returns an fd has it here. */
#define LUO_IOCTL_FD_OFFSET	4

static_assert(offsetof(struct liveupdate_ioctl_create_session, fd) == LUO_IOCTL_FD_OFFSET);
static_assert(offsetof(struct liveupdate_ioctl_retrieve_session, fd) == LUO_IOCTL_FD_OFFSET);
static_assert(offsetof(struct liveupdate_session_retrieve_fd, fd) == LUO_IOCTL_FD_OFFSET);
static_assert(sizeof(struct liveupdate_ioctl_create_session) <= LUO_IOCTL_MAX_SIZE);
static_assert(sizeof(struct liveupdate_ioctl_retrieve_session) <= LUO_IOCTL_MAX_SIZE);
static_assert(sizeof(struct liveupdate_session_preserve_fd) <= LUO_IOCTL_MAX_SIZE);
static_assert(sizeof(struct liveupdate_session_retrieve_fd) <= LUO_IOCTL_MAX_SIZE);
static_assert(sizeof(struct liveupdate_session_finish) <= LUO_IOCTL_MAX_SIZE);
static_assert(sizeof(struct liveupdate_session_get_name) <= LUO_IOCTL_MAX_SIZE);

/**
 * luo_ioctl() - decode, run and answer one LUO ioctl
 * @ops: the table; entry i handles number @base + i.
 * @nr_ops: entries in @ops.
 * @base: the ioctl number of @ops[0].
 * @type: what the fd is, for the ops' @gate (LUO_IOCTL_GATE_*).
 * @ctx: passed to the op.
 * @lock: held for reading while the op runs (LUO's state lock, which the
 *	reboot path takes for writing); user memory is only touched
 *	outside it, so that a fault cannot hold up a kexec.
 * @cmd: the ioctl command.
 * @arg: its user pointer.
 *
 * Ops with @answer copy the struct back (at most @size bytes of it).  An
 * op that makes a file returns it in its @file argument: the file gets an
 * fd (close-on-exec), which is written at offset 4 of the answer.  If the
 * answer cannot be copied out, the fd is given back and the op's @undo
 * (or fput()) undoes the op.
 *
 * Context: Process context.
 * Return: 0 or a negative errno, for the ioctl to return.
 */
long luo_ioctl(const struct luo_ioctl_op *ops, unsigned int nr_ops,
	       unsigned int base, unsigned int type, void *ctx,
	       struct rw_semaphore *lock, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	union {
		u64 align;
		u8 bytes[LUO_IOCTL_MAX_SIZE];
	} buf;
	const struct luo_ioctl_op *op;
	struct file *file = NULL;
	unsigned int nr = _IOC_NR(cmd);
	u32 usize;
	int fd = -1, err;

	if (nr < base || nr - base >= nr_ops)
		return -EINVAL;
	op = &ops[nr - base];
	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (op->cmd != cmd)
		return -ENOIOCTLCMD;
	if (!(op->gate & type))
		return -EINVAL;
	if (usize < op->min_size)
		return -EINVAL;
	err = copy_struct_from_user(buf.bytes, op->size, uarg, usize);
	if (err)
		return err;

	if (down_read_killable(lock))
		return -EINTR;
	err = op->execute(ctx, buf.bytes, &file);
	up_read(lock);
	if (err)
		return err;

	if (file) {
		fd = get_unused_fd_flags(O_CLOEXEC);
		if (fd < 0) {
			err = fd;
			goto undo;
		}
		memcpy(buf.bytes + LUO_IOCTL_FD_OFFSET, &fd, sizeof(fd));
	}
	if (op->answer &&
	    copy_to_user(uarg, buf.bytes, min_t(size_t, usize, op->size))) {
		err = -EFAULT;
		if (file)
			put_unused_fd(fd);
		goto undo;
	}
	if (file)
		fd_install(fd, file);
	return 0;

undo:
	if (op->undo) {
		/* waits, if the kexec got frozen in between: then it is handed over */
		down_read(lock);
		op->undo(ctx, buf.bytes, file);
		up_read(lock);
	} else if (file) {
		fput(file);
	}
	return err;
}
