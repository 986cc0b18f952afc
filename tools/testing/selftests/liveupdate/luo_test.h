/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the Live Update Orchestrator selftests: the ioctls of
 * /dev/liveupdate and of session fds (each returns the new fd or 0, or
 * -errno), memfd patterns, /proc/self/pagemap, daemons that keep session
 * fds open across the kexec, and the test device of lib/test_liveupdate.c.
 */
#ifndef _LUO_TEST_H
#define _LUO_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/liveupdate.h>

#include "../kselftest.h"

#define LUO_DEVICE		"/dev/liveupdate"
#define LUO_TEST_DEVICE		"/dev/liveupdate_test"
#define LUO_PAGE		4096UL

static inline int luo_open(void)
{
	int fd = open(LUO_DEVICE, O_RDWR);

	return fd < 0 ? -errno : fd;
}

/*
 * For a program's main(): /dev/liveupdate, or a KTAP skip without it (a
 * kernel without LUO, or without liveupdate=on) and a failure otherwise.
 */
static inline int luo_open_or_exit(void)
{
	int fd = luo_open();

	if (fd < 0) {
		ksft_print_header();
		if (fd == -ENOENT)
			ksft_exit_skip("no %s\n", LUO_DEVICE);
		ksft_exit_fail_msg("open %s: %s\n", LUO_DEVICE, strerror(-fd));
	}
	return fd;
}

static inline int luo_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int luo_create_session(int luo_fd, const char *name)
{
	struct liveupdate_ioctl_create_session arg = { .size = sizeof(arg) };
	int ret;

	memcpy(arg.name, name, strnlen(name, sizeof(arg.name)));
	ret = luo_ioctl(luo_fd, LIVEUPDATE_IOCTL_CREATE_SESSION, &arg);
	return ret ? ret : arg.fd;
}

static inline int luo_retrieve_session(int luo_fd, const char *name)
{
	struct liveupdate_ioctl_retrieve_session arg = { .size = sizeof(arg) };
	int ret;

	memcpy(arg.name, name, strnlen(name, sizeof(arg.name)));
	ret = luo_ioctl(luo_fd, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &arg);
	return ret ? ret : arg.fd;
}

static inline int luo_preserve_fd(int session_fd, int fd, uint64_t token)
{
	struct liveupdate_session_preserve_fd arg = {
		.size = sizeof(arg),
		.fd = fd,
		.token = token,
	};

	return luo_ioctl(session_fd, LIVEUPDATE_SESSION_PRESERVE_FD, &arg);
}

static inline int luo_retrieve_fd(int session_fd, uint64_t token)
{
	struct liveupdate_session_retrieve_fd arg = {
		.size = sizeof(arg),
		.token = token,
	};
	int ret;

	ret = luo_ioctl(session_fd, LIVEUPDATE_SESSION_RETRIEVE_FD, &arg);
	return ret ? ret : arg.fd;
}

static inline int luo_finish(int session_fd)
{
	struct liveupdate_session_finish arg = { .size = sizeof(arg) };

	return luo_ioctl(session_fd, LIVEUPDATE_SESSION_FINISH, &arg);
}

/* The session's name into @name (LIVEUPDATE_SESSION_NAME_LENGTH bytes). */
static inline int luo_get_name(int session_fd, char *name)
{
	struct liveupdate_session_get_name arg = { .size = sizeof(arg) };
	int ret;

	ret = luo_ioctl(session_fd, LIVEUPDATE_SESSION_GET_NAME, &arg);
	if (!ret)
		memcpy(name, arg.name, sizeof(arg.name));
	return ret;
}

static inline bool fd_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	return flags >= 0 && (flags & FD_CLOEXEC);
}

/* Raise RLIMIT_NOFILE to at least @n; 0 or -errno. */
static inline int luo_raise_nofile(rlim_t n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur >= n)
		return 0;
	rl.rlim_cur = n;
	if (rl.rlim_max < n)
		rl.rlim_max = n;
	return setrlimit(RLIMIT_NOFILE, &rl) ? -errno : 0;
}

/*
 * The pattern: the 8-byte word at byte offset o of a file with seed s is
 * luo_mix(s ^ o / 8), so every page of every file starts with a value no
 * other page (and no other program) has.
 */
static inline uint64_t luo_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline uint8_t luo_pattern_byte(uint64_t seed, uint64_t off)
{
	return luo_mix(seed ^ (off >> 3)) >> ((off & 7) * 8);
}

static inline void luo_pattern(void *buf, uint64_t seed, uint64_t off,
			       size_t len)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = luo_pattern_byte(seed, off + i);
}

/* Write the pattern of @seed over [off, off + len) of @fd; 0 or -errno. */
static inline int luo_write_pattern(int fd, uint64_t seed, uint64_t off,
				    uint64_t len)
{
	static uint8_t buf[1 << 16];

	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);
		ssize_t w;

		luo_pattern(buf, seed, off, n);
		w = pwrite(fd, buf, n, off);
		if (w < 0)
			return -errno;
		if ((size_t)w != n)
			return -EIO;
		off += n;
		len -= n;
	}
	return 0;
}

/*
 * Compare [off, off + len) of @fd with the pattern of @seed, or with zeroes
 * if @zero: 0 if equal, 1 if not (*bad is the first byte that differs),
 * -errno if the read fails or ends early.
 */
static inline int luo_check_range(int fd, bool zero, uint64_t seed,
				  uint64_t off, uint64_t len, uint64_t *bad)
{
	static uint8_t buf[1 << 16];

	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);
		ssize_t r = pread(fd, buf, n, off);
		size_t i;

		if (r < 0)
			return -errno;
		if ((size_t)r != n)
			return -EIO;
		for (i = 0; i < n; i++) {
			uint8_t want = zero ? 0 : luo_pattern_byte(seed, off + i);

			if (buf[i] != want) {
				if (bad)
					*bad = off + i;
				return 1;
			}
		}
		off += n;
		len -= n;
	}
	return 0;
}

static inline int luo_memfd(const char *name, unsigned int flags)
{
	int fd = syscall(__NR_memfd_create, name, flags);

	return fd < 0 ? -errno : fd;
}

/*
 * The PFNs of @npages pages mapped at @addr (0 for a page not present),
 * from /proc/self/pagemap: 0, or -errno.  Without CAP_SYS_ADMIN the kernel
 * reports every PFN as 0.
 */
static inline int luo_pagemap(const void *addr, size_t npages, uint64_t *pfns)
{
	off_t off = (uintptr_t)addr / LUO_PAGE * sizeof(uint64_t);
	size_t done = 0;
	int fd, ret = 0;

	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return -errno;
	while (done < npages) {
		ssize_t r = pread(fd, pfns + done,
				  (npages - done) * sizeof(uint64_t),
				  off + done * sizeof(uint64_t));

		if (r <= 0) {
			ret = r < 0 ? -errno : -EIO;
			break;
		}
		done += r / sizeof(uint64_t);
	}
	close(fd);
	for (done = 0; !ret && done < npages; done++) {
		uint64_t e = pfns[done];

		pfns[done] = (e >> 63) ? e & ((1ULL << 55) - 1) : 0;
	}
	return ret;
}

/*
 * Fork a daemon that keeps the @n fds of @keep open and runs @fn(@arg), or
 * sleeps, until it is killed: the sessions it holds are handed over at the
 * kexec.  Every other fd is closed (/dev/liveupdate among them), stdin,
 * stdout and stderr go to /dev/null so that whoever reads our output sees
 * its end; mappings stay.  Returns the daemon's pid or -errno.
 */
static inline int luo_int_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static inline pid_t luo_daemonize_fn(const int *keep, int n,
				     void (*fn)(void *), void *arg)
{
	unsigned int from = 3;
	int i, null, *sorted;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid)
		return pid < 0 ? -errno : pid;
	setsid();
	signal(SIGHUP, SIG_IGN);
	null = open("/dev/null", O_RDWR);
	for (i = 0; i < 3; i++)
		if (null >= 0 && null != i)
			dup2(null, i);
	/* Close [3, ~0U] except the fds kept. */
	sorted = malloc((n + 1) * sizeof(int));
	if (!sorted)
		_exit(1);
	memcpy(sorted, keep, n * sizeof(int));
	qsort(sorted, n, sizeof(int), luo_int_cmp);
	for (i = 0; i < n; i++) {
		if (sorted[i] < (int)from)
			continue;
		if ((unsigned int)sorted[i] > from)
			syscall(__NR_close_range, from, sorted[i] - 1, 0);
		from = sorted[i] + 1;
	}
	syscall(__NR_close_range, from, ~0U, 0);
	free(sorted);
	if (fn)
		fn(arg);
	for (;;)
		pause();
}

static inline pid_t luo_daemonize(const int *keep, int n)
{
	return luo_daemonize_fn(keep, n, NULL, NULL);
}

/* Value of "key=" in the text of the test device file @fd, or @def. */
static inline uint64_t tdev_get(int fd, const char *key, uint64_t def)
{
	char buf[1024], pat[64];
	const char *p;
	ssize_t n;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return def;
	buf[n] = '\0';
	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(buf, pat);
	if (!p)
		return def;
	return strtoull(p + strlen(pat), NULL, 0);
}

static inline int tdev_cmd(int fd, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return write(fd, buf, n) == n ? 0 : -errno;
}

/*
 * The first 32 bytes of the page at @pfn, through the test device (root
 * only, test kernels only): 0 or -errno.
 */
static inline int tdev_peek(int fd, uint64_t pfn, uint8_t *out)
{
	char buf[1024];
	const char *p;
	ssize_t n;
	int i, ret;

	ret = tdev_cmd(fd, "peek=%#llx", (unsigned long long)pfn);
	if (ret)
		return ret;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	p = strstr(buf, " peek=");
	if (!p || strlen(p + 6) < 64)
		return -EIO;
	for (i = 0; i < 32; i++) {
		unsigned int v;

		if (sscanf(p + 6 + 2 * i, "%2x", &v) != 1)
			return -EIO;
		out[i] = v;
	}
	return 0;
}

static inline uint64_t meminfo_kb(const char *key)
{
	char line[256];
	uint64_t v = 0;
	size_t len = strlen(key);
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ':')
			v = strtoull(line + len + 1, NULL, 10);
	fclose(f);
	return v;
}

#endif /* _LUO_TEST_H */
