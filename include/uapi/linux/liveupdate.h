/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * Live Update Orchestrator (LUO) userspace API.
 *
 * /dev/liveupdate lets a process keep open files, such as the memfd that
 * holds a virtual machine's memory, across a kexec: it creates named
 * sessions, preserves file descriptors into a session under tokens of its
 * choosing and keeps the session fds open across reboot(LINUX_REBOOT_CMD_KEXEC).
 * In the next kernel a process retrieves each session by name and each
 * file by token, then finishes the session.
 *
 * Every ioctl is _IO(LIVEUPDATE_IOCTL_TYPE, nr): the size of the argument
 * struct travels in its first member, @size, which the caller sets to
 * sizeof() the struct it was built with.  A smaller size (down to the last
 * member the kernel needs) is zero-extended; a larger one is accepted if
 * the bytes the kernel does not know are zero, E2BIG otherwise.
 *
 * See Documentation/userspace-api/liveupdate.rst.
 */
#ifndef _UAPI_LINUX_LIVEUPDATE_H
#define _UAPI_LINUX_LIVEUPDATE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define LIVEUPDATE_IOCTL_TYPE		0xBA

/* Session names are NUL-terminated: at most 63 bytes and the NUL. */
#define LIVEUPDATE_SESSION_NAME_LENGTH	64

/* Command numbers on /dev/liveupdate. */
enum {
	LIVEUPDATE_CMD_BASE = 0x00,
	LIVEUPDATE_CMD_CREATE_SESSION = LIVEUPDATE_CMD_BASE,
	LIVEUPDATE_CMD_RETRIEVE_SESSION = 0x01,
};

/* Command numbers on a session fd. */
enum {
	LIVEUPDATE_CMD_SESSION_BASE = 0x40,
	LIVEUPDATE_CMD_SESSION_PRESERVE_FD = LIVEUPDATE_CMD_SESSION_BASE,
	LIVEUPDATE_CMD_SESSION_RETRIEVE_FD = 0x41,
	LIVEUPDATE_CMD_SESSION_FINISH = 0x42,
	LIVEUPDATE_CMD_SESSION_GET_NAME = 0x43,
};

/**
 * struct liveupdate_ioctl_create_session - LIVEUPDATE_IOCTL_CREATE_SESSION
 * @size: sizeof(struct liveupdate_ioctl_create_session).
 * @fd: output: the new session's fd (close-on-exec).
 * @name: input: the session's name, unique among the sessions created in
 *	this kernel, NUL-terminated, 1 to 63 bytes long.
 *
 * Creates an outgoing session: the files preserved into it are handed to
 * the next kernel if the session fd is still open at the kexec.  Closing
 * the fd before then un-preserves them.
 *
 * Return: 0; EINVAL for an empty or unterminated name, EEXIST if an
 * outgoing session of this name exists, ENOMEM.
 */
struct liveupdate_ioctl_create_session {
	__u32		size;
	__s32		fd;
	__u8		name[LIVEUPDATE_SESSION_NAME_LENGTH];
};

#define LIVEUPDATE_IOCTL_CREATE_SESSION					\
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_CREATE_SESSION)

/**
 * struct liveupdate_ioctl_retrieve_session - LIVEUPDATE_IOCTL_RETRIEVE_SESSION
 * @size: sizeof(struct liveupdate_ioctl_retrieve_session).
 * @fd: output: the session's fd (close-on-exec).
 * @name: input: the name the previous kernel's session had.
 *
 * Retrieves an incoming session, once.  Closing its fd finishes it.
 *
 * Return: 0; ENOENT if the previous kernel handed over no session of this
 * name (or nothing at all), EINVAL if it was retrieved already.
 */
struct liveupdate_ioctl_retrieve_session {
	__u32		size;
	__s32		fd;
	__u8		name[LIVEUPDATE_SESSION_NAME_LENGTH];
};

#define LIVEUPDATE_IOCTL_RETRIEVE_SESSION				\
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_RETRIEVE_SESSION)

/**
 * struct liveupdate_session_preserve_fd - LIVEUPDATE_SESSION_PRESERVE_FD
 * @size: sizeof(struct liveupdate_session_preserve_fd).
 * @fd: input: the file to preserve.
 * @token: input: the key that retrieves the file in the next kernel,
 *	unique within the session.
 *
 * Only on an outgoing session (EINVAL otherwise).
 *
 * Return: 0; EEXIST if @token is taken in this session, EBADF for a bad
 * @fd, ENOENT if no file handler can preserve this kind of file, EBUSY if
 * the file is preserved already (in any session, or retrieved from the
 * previous kernel and not finished), ENOMEM, or the handler's errno.
 */
struct liveupdate_session_preserve_fd {
	__u32		size;
	__s32		fd;
	__aligned_u64	token;
};

#define LIVEUPDATE_SESSION_PRESERVE_FD					\
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_PRESERVE_FD)

/**
 * struct liveupdate_session_retrieve_fd - LIVEUPDATE_SESSION_RETRIEVE_FD
 * @size: sizeof(struct liveupdate_session_retrieve_fd).
 * @fd: output: a new fd (close-on-exec) for the file.
 * @token: input: the token the file was preserved with.
 *
 * Only on an incoming session (EINVAL otherwise).  Retrieving a token
 * again gives another fd for the same open file.
 *
 * Return: 0; ENOENT if the session holds no such token, or the errno with
 * which the file's state was refused (logged when the kernel booted).
 */
struct liveupdate_session_retrieve_fd {
	__u32		size;
	__s32		fd;
	__aligned_u64	token;
};

#define LIVEUPDATE_SESSION_RETRIEVE_FD					\
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_RETRIEVE_FD)

/**
 * struct liveupdate_session_finish - LIVEUPDATE_SESSION_FINISH
 * @size: sizeof(struct liveupdate_session_finish).
 * @reserved: zero.
 *
 * Only on an incoming session (EINVAL otherwise): ends the live update of
 * its files.  The memory of files that were not retrieved is zeroed and
 * freed.
 *
 * Return: 0; EBUSY if a file's handler cannot finish yet (nothing done).
 */
struct liveupdate_session_finish {
	__u32		size;
	__u32		reserved;
};

#define LIVEUPDATE_SESSION_FINISH					\
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_FINISH)

/**
 * struct liveupdate_session_get_name - LIVEUPDATE_SESSION_GET_NAME
 * @size: sizeof(struct liveupdate_session_get_name).
 * @reserved: zero.
 * @name: output: the session's name, NUL-terminated.
 *
 * Return: 0; EINVAL if @reserved is not zero.
 */
struct liveupdate_session_get_name {
	__u32		size;
	__u32		reserved;
	__u8		name[LIVEUPDATE_SESSION_NAME_LENGTH];
};

#define LIVEUPDATE_SESSION_GET_NAME					\
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_GET_NAME)

#endif /* _UAPI_LINUX_LIVEUPDATE_H */
