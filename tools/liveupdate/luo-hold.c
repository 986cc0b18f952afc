// SPDX-License-Identifier: GPL-2.0
/*
 * luo-hold: keep memfds, such as a virtual machine's guest RAM, across a
 * kexec with the Live Update Orchestrator (/dev/liveupdate).
 *
 * The kernel hands a file over to the next kernel only if it is preserved
 * in a LUO session whose fd some process still has open at the kexec.  A
 * VMM that does not use /dev/liveupdate itself is helped from outside, by
 * the script that updates the host:
 *
 * "luo-hold preserve" opens the memfds (fds of the VMM, through
 * /proc/PID/fd/N), copies small files such as the VMM's saved device state
 * into memfds of its own, preserves them all in a session with a manifest
 * of their names and sizes, and leaves a holder process that keeps the
 * session open until the kexec.  Killing the holder cancels.
 *
 * "luo-hold restore", in the next kernel, retrieves the session, checks the
 * files against the manifest, finishes the session and executes the new
 * VMM with the files at fds 3, 4, ...
 *
 * The uAPI: Documentation/userspace-api/liveupdate.rst.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/liveupdate.h>

#define LUO_DEVICE	"/dev/liveupdate"
#define NAME_MAX_LEN	(LIVEUPDATE_SESSION_NAME_LENGTH - 1)
#define NAME_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZ" \
			"abcdefghijklmnopqrstuvwxyz0123456789_.-"
#define MANIFEST_NAME	"luo-hold-manifest"
#define MANIFEST_HEADER	"luo-hold-manifest 1\n"
#define MANIFEST_TOKEN	0x6c756f2d686f6c64ULL	/* "luo-hold" */
#define MANIFEST_MAX	(1024 * 1024)
#define FIRST_FD	3
#define UNTIL_KEXEC	\
	"until the kexec (kexec_file_load, e.g. kexec -s -l ... && kexec -e)"
#define HINT_NO_LUO	\
	"is the kernel booted with liveupdate=on (and CONFIG_LIVEUPDATE)?"
#define HINT_NO_HANDLER	\
	"not a file the kernel can preserve (an unlinked memfd?)"

enum { ST_OK, ST_FAIL, ST_USAGE, ST_NOSESSION, ST_NOEXEC = 127 };

/* A file of the session, in command (preserve) or manifest order. */
struct file {
	const char *name;
	const char *source;		/* preserve: the SOURCE */
	int fd;
	bool copied;			/* preserve: into a memfd of ours */
	unsigned long long token;	/* restore */
	unsigned long long size;
};

static const char *session = "luo-hold";
static bool quiet;

static const char synopsis[] =
"Usage: luo-hold preserve [-s SESSION] [-p PIDFILE] [-q] NAME=SOURCE...\n"
"       luo-hold restore  [-s SESSION] [-q] [--] COMMAND [ARG...]\n"
"       luo-hold -h | --help\n";

static const char help[] =
"\n"
"Keeps memfds, such as a virtual machine's guest RAM, across a kexec with\n"
"the Live Update Orchestrator (/dev/liveupdate, liveupdate=on).\n"
"\n"
"preserve  preserves each SOURCE as NAME in the session SESSION and leaves\n"
"          a holder process that keeps the session open: the next kernel\n"
"          gets it at the kexec (made with kexec_file_load: kexec -s).\n"
"          Killing the holder cancels; nothing is handed over then.\n"
"restore   in the next kernel: retrieves the files of SESSION, finishes\n"
"          the session and executes COMMAND with the files at fds 3, 4,\n"
"          ... in the order given to preserve (no other fd above 2 stays\n"
"          open).  In each ARG, {NAME} becomes the fd of NAME, and\n"
"          LUO_HOLD_FDS is set to NAME=FD,...  A session is retrieved\n"
"          once: if restore fails after that, the files are lost.\n"
"/dev/liveupdate has one opener at a time: luo-hold waits up to 5 s for it.\n"
"\n"
"  -s SESSION  the session's name, 1 to 63 printable bytes, no '/'\n"
"              (default luo-hold)\n"
"  -p PIDFILE  write the pid of the holder process to PIDFILE\n"
"  -q          print errors only\n"
"\n"
"NAME is 1 to 63 of A-Z a-z 0-9 _ . - and SOURCE one of:\n"
"  PATH  a memfd (such as /proc/PID/fd/N, an fd of another process) is\n"
"        preserved in place, a regular file copied into a new memfd\n"
"  fd:N  the same for luo-hold's inherited fd N\n"
"  -     standard input, copied into a new memfd (once only)\n"
"\n"
"Exit status: 0 success; 1 failure (a failed preserve preserves nothing);\n"
"2 usage error; 3 restore found no such session; 127 restore could not\n"
"execute COMMAND.\n"
"\n"
"Example: QEMU's guest RAM is -object memory-backend-memfd,id=ram,share=on,\n"
"... at its fd $N (the one linked to /memfd:...); M stands for the word\n"
"memory-backend-file,id=ram,size=...,share=on,mem-path=/proc/self/fd/{ram};\n"
"monitor commands are typed one at a time; {state} is fd 4:\n"
"  (qemu) stop; migrate_set_capability x-ignore-shared on\n"
"  (qemu) migrate \"exec:cat > /run/vm1.state\"\n"
"  luo-hold preserve -s vm1 ram=/proc/$QEMU_PID/fd/$N state=/run/vm1.state\n"
"  kexec -s -l /boot/vmlinuz-new --initrd=... --reuse-cmdline && kexec -e\n"
"  luo-hold restore -s vm1 -- qemu-system-x86_64 -object $M -incoming defer\n"
"  (qemu) migrate_set_capability x-ignore-shared on; migrate_incoming fd:4;"
" cont\n";

static void msg(const char *hint, const char *fmt, ...)
{
	va_list ap;

	fputs("luo-hold: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (hint)
		fprintf(stderr, "; %s", hint);
	fputc('\n', stderr);
}

static int file_fail(const struct file *f, const char *what, const char *hint)
{
	msg(hint, "%s: %s: %s: %s", f->name, f->source, what, strerror(errno));
	return -1;
}

static int usage(void)
{
	fprintf(stderr, "%sTry 'luo-hold --help'.\n", synopsis);
	return ST_USAGE;
}

#define usage_error(...)	(msg(NULL, __VA_ARGS__), usage())

/* Zeroed: out of memory, there is nothing to save (exit closes a session). */
static void *zalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		msg(NULL, "%s", strerror(ENOMEM));
		exit(ST_FAIL);
	}
	return p;
}

static int print_help(void)
{
	return printf("%s%s", synopsis, help) < 0 || fflush(stdout);
}

static bool valid_name(const char *s)
{
	size_t n = strspn(s, NAME_CHARS);

	return n && n <= NAME_MAX_LEN && !s[n];
}

static bool valid_session(const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e ||
		    s[i] == '/')
			return false;
	return n && n <= NAME_MAX_LEN;
}

static int by_name(const void *a, const void *b)
{
	const struct file *x = *(struct file * const *)a;
	const struct file *y = *(struct file * const *)b;

	return strcmp(x->name, y->name);
}

/* Fill @sorted with the @n files by name: a name found twice, or NULL. */
static const char *sort_names(struct file *f, struct file **sorted, int n)
{
	int i;

	for (i = 0; i < n; i++)
		sorted[i] = &f[i];
	qsort(sorted, n, sizeof(*sorted), by_name);
	for (i = 1; i < n; i++)
		if (!strcmp(sorted[i - 1]->name, sorted[i]->name))
			return sorted[i]->name;
	return NULL;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		buf += w;
		len -= w;
	}
	return 0;
}

/*
 * Make the @n fds of @fds fds 3, 4, ... (dup2() clears FD_CLOEXEC) and
 * close every other fd above 2.  Each moves above the targets first, so
 * that none is overwritten before it has moved.
 */
static int place_fds(int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, FIRST_FD + n);
		if (fds[i] < 0)
			return -1;
	}
	for (i = 0; i < n; i++)
		if (dup2(fds[i], FIRST_FD + i) < 0)
			return -1;
	return syscall(SYS_close_range, FIRST_FD + n, ~0U, 0);
}

/* The options of preserve (with @pidfile) or restore: the first operand. */
static int options(int argc, char **argv, const char *optstr,
		   const char **pidfile)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 2;		/* after the command */
	while ((opt = getopt_long(argc, argv, optstr, longopts, NULL)) != -1) {
		if (opt == 's')
			session = optarg;
		else if (opt == 'p')
			*pidfile = optarg;
		else if (opt == 'q')
			quiet = true;
		else if (opt == 'h')
			exit(print_help());
		else
			return -1;
	}
	if (!valid_session(session)) {
		usage_error("bad SESSION '%s': 1 to 63 printable bytes, no '/'",
			    session);
		return -1;
	}
	return optind;
}

/*
 * The device has one opener at a time, each for an ioctl or two: wait up
 * to 5 s for another luo-hold (another VM's update) to be done with it.
 */
static int open_device(void)
{
	const struct timespec tick = { .tv_nsec = 50 * 1000 * 1000 };
	const char *hint = NULL;
	int fd, tries = 100;

	do {
		fd = open(LUO_DEVICE, O_RDWR | O_CLOEXEC);
	} while (fd < 0 && errno == EBUSY && --tries && !nanosleep(&tick, NULL));
	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		hint = HINT_NO_LUO;
	else if (errno == EBUSY)
		hint = "another process has " LUO_DEVICE " open";
	else if (errno == EACCES)
		hint = "run luo-hold as root";
	msg(hint, "%s: open: %s", LUO_DEVICE, strerror(errno));
	return -1;
}

/* The @n NAME=SOURCE operands @ops as @files: an exit status. */
static int parse_operands(char **ops, int n, struct file *files)
{
	struct file **sorted = zalloc(n, sizeof(*sorted));
	int i, nstdin = 0;
	const char *twice;

	for (i = 0; i < n; i++) {
		struct file *f = &files[i];
		const char *eq = strchr(ops[i], '=');
		char *name, *end;
		long fd;

		if (!eq)
			return usage_error("'%s': not NAME=SOURCE", ops[i]);
		name = zalloc(eq - ops[i] + 1, 1);	/* argv as it is */
		f->name = memcpy(name, ops[i], eq - ops[i]);
		f->source = eq + 1;
		f->fd = -1;
		if (!valid_name(f->name))
			return usage_error("bad NAME '%s': 1 to 63 of %s",
					   f->name, "A-Z a-z 0-9 _ . -");
		if (!*f->source)
			return usage_error("%s: empty SOURCE", f->name);
		if (!strcmp(f->source, "-") && nstdin++)
			return usage_error("%s: '-' again", f->name);
		if (strncmp(f->source, "fd:", 3))
			continue;
		errno = 0;
		fd = strtol(f->source + 3, &end, 10);
		if (f->source[3] < '0' || f->source[3] > '9' || *end ||
		    errno || fd > INT_MAX)
			return usage_error("%s: bad SOURCE '%s'", f->name,
					   f->source);
		f->fd = fd;
	}
	twice = sort_names(files, sorted, n);
	free(sorted);
	if (twice)
		return usage_error("NAME '%s' given twice", twice);
	return ST_OK;
}

/* A new memfd named @f->name with the rest of @in (all of it if @whole). */
static int copy_source(struct file *f, int in, bool whole)
{
	static char buf[1 << 16];
	off_t off = 0;
	ssize_t r;

	f->fd = memfd_create(f->name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (f->fd < 0)
		return file_fail(f, "memfd_create", NULL);
	for (;;) {
		r = whole ? pread(in, buf, sizeof(buf), off) :
			    read(in, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return file_fail(f, "read", NULL);
		if (!r)
			break;
		if (write_all(f->fd, buf, r))
			return file_fail(f, "write into a memfd", NULL);
		off += r;
	}
	if (lseek(f->fd, 0, SEEK_SET))	/* the position is preserved */
		return file_fail(f, "lseek", NULL);
	f->copied = true;
	return 0;
}

/*
 * Open the SOURCE of @f.  Every tmpfs and hugetlbfs file answers
 * F_GET_SEALS; an unlinked one is a memfd, which the kernel preserves in
 * place.  Other regular files (such as a state file in /run) are copied.
 */
static int open_source(struct file *f)
{
	bool inherited = f->fd >= 0;
	struct stat st;
	int in, ret;

	if (!strcmp(f->source, "-"))
		return copy_source(f, STDIN_FILENO, false);
	in = inherited ? f->fd : open(f->source, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (in < 0)
		return file_fail(f, "open", NULL);
	if (fstat(in, &st))
		return file_fail(f, "fstat", NULL);
	if (!S_ISREG(st.st_mode)) {
		msg(NULL, "%s: %s: not a memfd or a regular file", f->name,
		    f->source);
		return -1;
	}
	if (fcntl(in, F_GET_SEALS) >= 0 && !st.st_nlink) {
		f->fd = in;
		return 0;
	}
	ret = copy_source(f, in, true);
	if (!inherited && close(in) && !ret)
		ret = file_fail(f, "close", NULL);
	return ret;
}

static int preserve_fd(int s, int fd, unsigned long long token)
{
	struct liveupdate_session_preserve_fd arg = {
		.size = sizeof(arg),
		.fd = fd,
		.token = token,
	};

	return ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD, &arg);
}

static const char *preserve_hint(int err)
{
	if (err == ENOENT)
		return HINT_NO_HANDLER;
	if (err == EBUSY)
		return "preserved already, in this or another session";
	if (err == EPERM || err == EINVAL)
		return "the kernel's file handler refused it";
	return NULL;
}

/* The manifest: a sealed memfd, a header and "TOKEN SIZE NAME" lines. */
static int preserve_manifest(int s, const struct file *files, int n)
{
	const unsigned int seals = F_SEAL_SHRINK | F_SEAL_GROW |
				   F_SEAL_WRITE | F_SEAL_SEAL;
	const char *what = "write";
	size_t len;
	char *text;
	FILE *m;
	int i, fd;

	m = open_memstream(&text, &len);
	if (!m)
		goto fail;
	fputs(MANIFEST_HEADER, m);
	for (i = 0; i < n; i++)
		fprintf(m, "%d %llu %s\n", i + 1, files[i].size, files[i].name);
	if (fclose(m))
		goto fail;
	fd = memfd_create(MANIFEST_NAME, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || write_all(fd, text, len))
		goto fail;
	what = "seal";
	if (fcntl(fd, F_ADD_SEALS, seals))
		goto fail;
	if (preserve_fd(s, fd, MANIFEST_TOKEN)) {
		msg(preserve_hint(errno), "session %s: manifest: preserve: %s",
		    session, strerror(errno));
		return -1;
	}
	free(text);
	if (!close(fd))
		return 0;
	what = "close";
fail:
	msg(NULL, "session %s: manifest: %s: %s", session, what,
	    strerror(errno));
	return -1;
}

/*
 * The holder keeps the session open until the kexec or a signal, and
 * nothing else.  It tells the parent through @ready that it is set up,
 * and holds only once the parent has written a byte to @commit: a parent
 * that fails, or is killed, before it has reported success leaves nothing
 * held behind.
 */
static void hold(int s, int ready, int commit)
{
	int fds[3] = { s, ready, commit };
	sigset_t none;
	ssize_t r;
	int null;
	char c;

	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || setsid() < 0 || chdir("/") ||
	    dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0 ||
	    dup2(null, STDERR_FILENO) < 0 || place_fds(fds, 3) ||
	    signal(SIGHUP, SIG_IGN) == SIG_ERR ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
	    signal(SIGTERM, SIG_DFL) == SIG_ERR ||
	    signal(SIGINT, SIG_DFL) == SIG_ERR || sigemptyset(&none) ||
	    sigprocmask(SIG_SETMASK, &none, NULL) ||
	    write(FIRST_FD + 1, "", 1) != 1 || close(FIRST_FD + 1))
		_exit(ST_FAIL);
	do {
		r = read(FIRST_FD + 2, &c, 1);
	} while (r < 0 && errno == EINTR);
	if (r != 1 || close(FIRST_FD + 2))
		_exit(ST_FAIL);
	for (;;)
		pause();
}

/* Through a temporary file, so that PIDFILE is never seen half written. */
static int write_pidfile(const char *path, pid_t pid)
{
	int fd, len, err = 0;
	char *tmp, buf[16];

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return -1;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = snprintf(buf, sizeof(buf), "%d\n", pid);
	if (fchmod(fd, 0644) || write_all(fd, buf, len))
		err = errno;
	if (close(fd) && !err)
		err = errno;
	if (!err && rename(tmp, path))
		err = errno;
	if (err)
		unlink(tmp);
	free(tmp);
	errno = err;
	return err ? -1 : 0;
}

/* Fork the holder of session @s, wait until it is set up, say so. */
static int start_holder(int s, const struct file *files, int n,
			const char *pidfile)
{
	int i, p[2] = { -1, -1 }, q[2] = { -1, -1 };
	pid_t pid = -1;
	ssize_t r;
	char c;

	if (!pipe2(p, O_CLOEXEC) && !pipe2(q, O_CLOEXEC))
		pid = fork();
	if (pid < 0) {
		msg(NULL, "session %s: holder: %s", session, strerror(errno));
		return -1;
	}
	if (!pid)
		hold(s, p[1], q[0]);
	close(p[1]);
	close(q[0]);
	do {
		r = read(p[0], &c, 1);
	} while (r < 0 && errno == EINTR);
	close(p[0]);
	if (r != 1) {
		msg(NULL, "session %s: the holder process failed", session);
		goto kill;
	}
	if (pidfile && write_pidfile(pidfile, pid)) {
		msg(NULL, "%s: %s", pidfile, strerror(errno));
		goto kill;
	}
	for (i = 0; i < n && !quiet; i++)
		printf("luo-hold: session %s: %s: %llu bytes, token %d%s\n",
		       session, files[i].name, files[i].size, i + 1,
		       files[i].copied ? ", copied" : "");
	if (!quiet)
		printf("luo-hold: session %s held by process %d %s\n",
		       session, pid, UNTIL_KEXEC);
	if (fflush(stdout)) {
		msg(NULL, "stdout: %s", strerror(errno));
		goto unlink;
	}
	/* Reported: now the holder may hold. */
	if (write(q[1], "", 1) == 1 && !close(q[1]))
		return 0;
	msg(NULL, "session %s: the holder process failed", session);
unlink:
	if (pidfile)
		unlink(pidfile);
kill:
	close(q[1]);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static int cmd_preserve(int argc, char **argv)
{
	struct liveupdate_ioctl_create_session cs = { .size = sizeof(cs) };
	int i, n, first, dev, ret;
	const char *pidfile = NULL;
	struct file *files;
	struct stat st;

	first = options(argc, argv, "+s:p:qh", &pidfile);
	if (first < 0)
		return ST_USAGE;
	n = argc - first;
	if (!n)
		return usage_error("preserve: no NAME=SOURCE");
	files = zalloc(n, sizeof(*files));
	ret = parse_operands(argv + first, n, files);
	if (ret)
		return ret;

	signal(SIGPIPE, SIG_IGN);	/* a closed stdout is an error */
	/* inherited fds first, before any fd of ours can take their number */
	for (i = 0; i < n; i++) {
		if (files[i].fd >= 0 && fcntl(files[i].fd, F_GETFD) < 0) {
			file_fail(&files[i], "inherited fd", NULL);
			return ST_FAIL;
		}
	}
	for (i = 0; i < n; i++)
		if (open_source(&files[i]))
			return ST_FAIL;

	dev = open_device();
	if (dev < 0)
		return ST_FAIL;
	memcpy(cs.name, session, strlen(session));
	ret = ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &cs);
	if (ret && errno == EEXIST)
		msg(NULL, "session %s exists already (%s)", session,
		    "another luo-hold holds it?");
	else if (ret)
		msg(NULL, "session %s: create: %s", session, strerror(errno));
	close(dev);		/* nothing to lose: cs.fd is the session */
	if (ret)
		return ST_FAIL;

	for (i = 0; i < n; i++) {
		struct file *f = &files[i];

		if (preserve_fd(cs.fd, f->fd, i + 1)) {
			file_fail(f, "preserve", preserve_hint(errno));
			goto fail;
		}
		if (fstat(f->fd, &st)) {	/* fixed while preserved */
			file_fail(f, "fstat", NULL);
			goto fail;
		}
		f->size = st.st_size;
	}
	if (!preserve_manifest(cs.fd, files, n) &&
	    !start_holder(cs.fd, files, n, pidfile))
		return ST_OK;
fail:
	close(cs.fd);		/* un-preserves everything */
	return ST_FAIL;
}

/* Whether execvp() would find @cmd: checked before the session is taken. */
static bool command_found(const char *cmd)
{
	const char *path = getenv("PATH"), *p, *end;
	bool found = false;
	char *buf;

	if (strchr(cmd, '/'))
		return !access(cmd, X_OK);
	if (!path)
		path = "/bin:/usr/bin";
	buf = zalloc(strlen(path) + strlen(cmd) + 2, 1);
	for (p = path; !found; p = end + 1) {
		end = strchrnul(p, ':');
		sprintf(buf, "%.*s%s%s", (int)(end - p), p, end > p ? "/" : "",
			cmd);
		found = !access(buf, X_OK);
		if (!*end)
			break;
	}
	free(buf);
	return found;
}

static bool parse_num(char **p, char stop, unsigned long long *v)
{
	char *s = *p;

	for (*v = 0; *s >= '0' && *s <= '9'; s++) {
		if (*v > (ULLONG_MAX - (*s - '0')) / 10)
			return false;
		*v = *v * 10 + (*s - '0');
	}
	if (s == *p || *s != stop)
		return false;
	*p = s + 1;
	return true;
}

/*
 * Check the manifest, which comes from the previous kernel's userspace: a
 * header line and, for each of the @n lines, a token from 1 to n not seen
 * before, a size and a valid name.  The files in manifest order, or NULL.
 */
static struct file *parse_manifest(char *buf, size_t len, int *n)
{
	size_t hlen = strlen(MANIFEST_HEADER), line = 1;
	struct file *files, **sorted;
	const char *twice;
	char *p, *end;
	bool *seen;
	int i;

	if (len < hlen || memchr(buf, '\0', len) ||
	    memcmp(buf, MANIFEST_HEADER, hlen) || buf[len - 1] != '\n')
		goto bad;
	for (*n = 0, p = buf + hlen; p < buf + len; p++)
		*n += *p == '\n';
	if (!*n)
		goto bad;
	files = zalloc(*n, sizeof(*files));
	sorted = zalloc(*n, sizeof(*sorted));
	seen = zalloc(*n, sizeof(*seen));
	for (i = 0, p = buf + hlen; i < *n; i++, p = end + 1) {
		struct file *f = &files[i];

		line++;
		end = strchr(p, '\n');
		*end = '\0';
		if (!parse_num(&p, ' ', &f->token) ||
		    !parse_num(&p, ' ', &f->size) || !valid_name(p) ||
		    f->token < 1 || f->token > (unsigned long long)*n ||
		    seen[f->token - 1])
			goto bad;
		seen[f->token - 1] = true;
		f->name = p;
	}
	twice = sort_names(files, sorted, *n);
	free(sorted);
	free(seen);
	if (!twice)
		return files;
	msg(NULL, "session %s: manifest: %s twice", session, twice);
	return NULL;
bad:
	msg(NULL, "session %s: bad manifest (line %zu)", session, line);
	return NULL;
}

/* Retrieve the files of session @s by its manifest: *@n files or NULL. */
static struct file *retrieve_files(int s, int *n)
{
	struct liveupdate_session_retrieve_fd rf = {
		.size = sizeof(rf),
		.token = MANIFEST_TOKEN,
	};
	struct file *files;
	size_t len = 0;
	struct stat st;
	ssize_t r = 1;
	char *buf;
	int i;

	buf = zalloc(MANIFEST_MAX + 2, 1);
	if (ioctl(s, LIVEUPDATE_SESSION_RETRIEVE_FD, &rf))
		goto fail;
	while (r && len <= MANIFEST_MAX) {
		r = pread(rf.fd, buf + len, MANIFEST_MAX + 1 - len, len);
		if (r < 0 && errno != EINTR)
			goto fail;
		len += r > 0 ? r : 0;
	}
	if (len > MANIFEST_MAX) {
		msg(NULL, "session %s: manifest over 1 MiB", session);
		return NULL;
	}
	files = parse_manifest(buf, len, n);
	for (i = 0; files && i < *n; i++) {
		rf.token = files[i].token;
		if (ioctl(s, LIVEUPDATE_SESSION_RETRIEVE_FD, &rf) ||
		    fstat(rf.fd, &st)) {
			msg(NULL, "session %s: %s: retrieve: %s", session,
			    files[i].name, strerror(errno));
			return NULL;
		}
		if ((unsigned long long)st.st_size != files[i].size) {
			msg(NULL, "session %s: %s: %lld bytes, not %llu",
			    session, files[i].name, (long long)st.st_size,
			    files[i].size);
			return NULL;
		}
		files[i].fd = rf.fd;
	}
	return files;
fail:
	msg(errno == ENOENT ? "not made by luo-hold?" : NULL,
	    "session %s: manifest: %s", session, strerror(errno));
	return NULL;
}

/* @arg with each {NAME} of a file replaced by the file's fd. */
static char *substitute(const char *arg, struct file **sorted, int n)
{
	char name[NAME_MAX_LEN + 1], *out, *o;
	struct file key = { .name = name }, *k = &key, **hit;
	const char *p = arg, *end;

	out = zalloc(strlen(arg) * 4 + 1, 1);	/* "{x}": 10 digits */
	for (o = out; *p; ) {
		hit = NULL;
		end = *p != '{' ? NULL :
		      memchr(p + 1, '}', strnlen(p + 1, NAME_MAX_LEN + 1));
		if (end) {
			memcpy(name, p + 1, end - p - 1);
			name[end - p - 1] = '\0';
			hit = bsearch(&k, sorted, n, sizeof(*sorted), by_name);
		}
		if (hit) {
			o += sprintf(o, "%d", (*hit)->fd);
			p = end + 1;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

static int cmd_restore(int argc, char **argv)
{
	struct liveupdate_ioctl_retrieve_session rs = { .size = sizeof(rs) };
	struct liveupdate_session_finish fin = { .size = sizeof(fin) };
	int i, n = 0, first, dev, ret, *fds;
	struct file *files, **sorted;
	char **args, *env, *e;

	first = options(argc, argv, "+s:qh", NULL);
	if (first < 0)
		return ST_USAGE;
	if (first == argc)
		return usage_error("restore: no COMMAND");
	if (!command_found(argv[first])) {
		msg(NULL, "%s: command not found (session %s left as it is)",
		    argv[first], session);
		return ST_NOEXEC;
	}

	dev = open_device();
	if (dev < 0)
		return ST_FAIL;
	memcpy(rs.name, session, strlen(session));
	ret = ioctl(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &rs) ? errno : 0;
	close(dev);		/* nothing to lose: rs.fd is the session */
	if (ret == ENOENT) {
		msg(NULL, "no session %s was handed over by the %s", session,
		    "previous kernel");
		return ST_NOSESSION;
	}
	if (ret) {
		msg(ret == EINVAL ? "retrieved already" : NULL,
		    "session %s: retrieve: %s", session, strerror(ret));
		return ST_FAIL;
	}
	files = retrieve_files(rs.fd, &n);
	if (!files)
		return ST_FAIL;
	if (ioctl(rs.fd, LIVEUPDATE_SESSION_FINISH, &fin) || close(rs.fd)) {
		msg(NULL, "session %s: finish: %s", session, strerror(errno));
		return ST_FAIL;
	}

	sorted = zalloc(n, sizeof(*sorted));
	fds = zalloc(n, sizeof(*fds));
	args = zalloc(argc - first + 1, sizeof(*args));
	env = zalloc(n, NAME_MAX_LEN + 13);	/* ",NAME=FD" */
	for (e = env, i = 0; i < n; i++) {
		fds[i] = files[i].fd;
		files[i].fd = FIRST_FD + i;
		e += sprintf(e, "%s%s=%d", i ? "," : "", files[i].name,
			     files[i].fd);
	}
	sort_names(files, sorted, n);	/* no name twice: checked */
	args[0] = argv[first];
	for (i = 1; i < argc - first; i++)
		args[i] = substitute(argv[first + i], sorted, n);
	if (setenv("LUO_HOLD_FDS", env, 1) || place_fds(fds, n)) {
		msg(NULL, "session %s: %s", session, strerror(errno));
		return ST_FAIL;
	}
	for (i = 0; i < n && !quiet; i++)
		msg(NULL, "session %s: %s: fd %d, %llu bytes", session,
		    files[i].name, files[i].fd, files[i].size);
	execvp(args[0], args);
	msg(NULL, "%s: exec: %s", args[0], strerror(errno));
	return ST_NOEXEC;
}

int main(int argc, char **argv)
{
	int fd;

	if (argc < 2)
		return usage_error("no command");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return print_help();
	/* fds 0, 1 and 2 open, so that no file of ours becomes one */
	do {
		fd = open("/dev/null", O_RDWR);
	} while (fd >= 0 && fd <= STDERR_FILENO);
	if (fd < 0 || close(fd)) {
		msg(NULL, "/dev/null: %s", strerror(errno));
		return ST_FAIL;
	}
	if (!strcmp(argv[1], "preserve"))
		return cmd_preserve(argc, argv);
	if (!strcmp(argv[1], "restore"))
		return cmd_restore(argc, argv);
	return usage_error("unknown command '%s'", argv[1]);
}
