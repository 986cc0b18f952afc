// SPDX-License-Identifier: GPL-2.0
/*
 * luo-hold (tools/liveupdate/) without a kexec: its usage errors, and on a
 * kernel with /dev/liveupdate that "preserve" preserves a memfd of this
 * test in place (the test cannot preserve it again), copies a pipe and a
 * regular file, holds the session in a process of its own until that is
 * killed, refuses a second session of the same name, and leaves nothing
 * behind when it fails.
 *
 * The binary is $LUO_HOLD (default /bin/luo-hold).  Everything SKIPs
 * without it, and the tests of the "luo_hold" fixture also without
 * /dev/liveupdate.  Run as root.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "../kselftest_harness.h"
#include "luo_test.h"

#define SESSION		"luo-hold-selftest"
#define PROBE_SESSION	"luo-hold-selftest-probe"
#define NAME_MAX_LEN	(LIVEUPDATE_SESSION_NAME_LENGTH - 1)
#define RAM_SIZE	(16 * LUO_PAGE)
#define RAM_SEED	0x6c756f2d686f6c31ULL
#define FILE_SIZE	5000
#define FILE_SEED	0x6c756f2d686f6c32ULL
#define STDIN_BYTES	"device state, from a pipe\n"
#define OUTPUT_MAX	8192
#define ARGS_MAX	32

struct run {
	int status;		/* exit status, or 128 + the signal */
	char out[OUTPUT_MAX];
	char err[OUTPUT_MAX];
};

static const char *luo_hold_bin(void)
{
	const char *bin = getenv("LUO_HOLD");

	return bin && *bin ? bin : "/bin/luo-hold";
}

static void read_output(int fd, char *buf)
{
	ssize_t n = pread(fd, buf, OUTPUT_MAX - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/*
 * Run luo-hold with the arguments @args (NULL-terminated), @in (or
 * nothing) on its stdin, a pipe, and its stdout and stderr into @r: 0 or
 * -errno.
 */
static int run_args(struct run *r, const char *in, const char *const *args)
{
	const char *argv[ARGS_MAX + 2] = { luo_hold_bin() };
	size_t len = in ? strlen(in) : 0;
	int i, out, err, p[2], status;
	pid_t pid;

	for (i = 0; args[i]; i++) {
		if (i == ARGS_MAX)
			return -E2BIG;
		argv[i + 1] = args[i];
	}
	out = luo_memfd("luo-hold-stdout", MFD_CLOEXEC);
	err = luo_memfd("luo-hold-stderr", MFD_CLOEXEC);
	if (out < 0 || err < 0 || pipe2(p, O_CLOEXEC))
		return -EMFILE;
	/* a pipe holds this much: written before luo-hold runs */
	if (write(p[1], in ? in : "", len) != (ssize_t)len || close(p[1]))
		return -EIO;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		if (dup2(p[0], 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(126);
		execv(argv[0], (char **)argv);
		_exit(126);
	}
	close(p[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
		    128 + WTERMSIG(status);
	read_output(out, r->out);
	read_output(err, r->err);
	return 0;
}

#define run(r, in, ...)							\
	run_args(r, in, (const char *[]){ __VA_ARGS__, NULL })

static bool has(const char *haystack, const char *needle)
{
	return strstr(haystack, needle);
}

/* Whether a session @name can be created (and closed again): 0 or -errno. */
static int session_free(const char *name)
{
	int dev = luo_open(), s;

	if (dev < 0)
		return dev;
	s = luo_create_session(dev, name);
	close(dev);
	if (s < 0)
		return s;
	close(s);
	return 0;
}

/* Poll up to 2 s for @name to be free: 0 or the last -errno. */
static int wait_session_free(const char *name)
{
	struct timespec ts = { .tv_nsec = 10 * 1000 * 1000 };
	int i, ret = -EEXIST;

	for (i = 0; i < 200 && ret == -EEXIST; i++) {
		ret = session_free(name);
		if (ret == -EEXIST)
			nanosleep(&ts, NULL);
	}
	return ret;
}

/* Preserve @fd in a session of the test's own, closed at once: 0, -errno. */
static int probe_preserve(int fd)
{
	int dev = luo_open(), s, ret;

	if (dev < 0)
		return dev;
	s = luo_create_session(dev, PROBE_SESSION);
	close(dev);
	if (s < 0)
		return s;
	ret = luo_preserve_fd(s, fd, 1);
	close(s);
	return ret;
}

static int count_fds(pid_t pid)
{
	struct dirent *de;
	char path[64];
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

FIXTURE(usage) {
	const char *bin;
};

FIXTURE_SETUP(usage)
{
	self->bin = luo_hold_bin();
	if (access(self->bin, X_OK))
		SKIP(return, "no %s (set LUO_HOLD)", self->bin);
}

FIXTURE_TEARDOWN(usage)
{
}

TEST_F(usage, help)
{
	struct run r;

	ASSERT_EQ(0, run(&r, NULL, "--help"));
	EXPECT_EQ(0, r.status);
	EXPECT_TRUE(has(r.out, "luo-hold preserve [-s SESSION]"));
	EXPECT_TRUE(has(r.out, "luo-hold restore  [-s SESSION]"));
	EXPECT_TRUE(has(r.out, "Exit status"));
	EXPECT_STREQ("", r.err);
	ASSERT_EQ(0, run(&r, NULL, "-h"));
	EXPECT_EQ(0, r.status);
	EXPECT_TRUE(has(r.out, "Usage:"));
	ASSERT_EQ(0, run(&r, NULL, "preserve", "--help"));
	EXPECT_EQ(0, r.status);
	EXPECT_TRUE(has(r.out, "Usage:"));
}

TEST_F(usage, no_arguments)
{
	struct run r;

	ASSERT_EQ(0, run_args(&r, NULL, (const char *[]){ NULL }));
	EXPECT_EQ(2, r.status);
	EXPECT_TRUE(has(r.err, "Usage:")) TH_LOG("stderr: %s", r.err);
	EXPECT_STREQ("", r.out);
}

TEST_F(usage, unknown_command)
{
	struct run r;

	ASSERT_EQ(0, run(&r, NULL, "hold", "ram=-"));
	EXPECT_EQ(2, r.status);
	EXPECT_TRUE(has(r.err, "Usage:"));
	ASSERT_EQ(0, run(&r, NULL, "-q", "preserve", "ram=-"));
	EXPECT_EQ(2, r.status);
}

TEST_F(usage, operands)
{
	struct run r;

	ASSERT_EQ(0, run(&r, NULL, "preserve"));
	EXPECT_EQ(2, r.status) TH_LOG("no NAME=SOURCE");
	ASSERT_EQ(0, run(&r, NULL, "preserve", "-s", SESSION));
	EXPECT_EQ(2, r.status) TH_LOG("no NAME=SOURCE");
	ASSERT_EQ(0, run(&r, NULL, "preserve", "-x", "ram=-"));
	EXPECT_EQ(2, r.status) TH_LOG("bad option");
	ASSERT_EQ(0, run(&r, NULL, "preserve", "-s"));
	EXPECT_EQ(2, r.status) TH_LOG("-s without SESSION");
	ASSERT_EQ(0, run(&r, NULL, "preserve", "ram=fd:x"));
	EXPECT_EQ(2, r.status) TH_LOG("bad fd:N");
	ASSERT_EQ(0, run(&r, NULL, "preserve", "a=-", "b=-"));
	EXPECT_EQ(2, r.status) TH_LOG("- twice");
	/* Without COMMAND, the files would be lost. */
	ASSERT_EQ(0, run(&r, NULL, "restore"));
	EXPECT_EQ(2, r.status);
	ASSERT_EQ(0, run(&r, NULL, "restore", "-s", SESSION, "--"));
	EXPECT_EQ(2, r.status);
}

struct held {
	int ram;			/* the memfd, held in place */
	char ram_op[64];		/* ram=/proc/PID/fd/N */
	char file_op[64];		/* file=PATH, a regular file */
	char pidfile[64];
	pid_t holder;			/* once luo-hold preserve worked */
};

FIXTURE(luo_hold) {
	struct held h;
};

FIXTURE_SETUP(luo_hold)
{
	const char *dir = access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";
	const char *bin = luo_hold_bin();
	struct held *h = &self->h;
	char path[48];
	int fd;

	h->ram = -1;
	if (access(bin, X_OK))
		SKIP(return, "no %s (set LUO_HOLD)", bin);
	fd = luo_open();
	if (fd == -ENOENT)
		SKIP(return, "no %s: no LUO (CONFIG_LIVEUPDATE, liveupdate=on)",
		     LUO_DEVICE);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", LUO_DEVICE, strerror(-fd));
	close(fd);		/* one opener at a time: luo-hold is one */

	/* The holder becomes our child when luo-hold exits. */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	h->ram = luo_memfd("luo-hold-selftest-ram",
			   MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ASSERT_LE(0, h->ram);
	ASSERT_EQ(0, ftruncate(h->ram, RAM_SIZE));
	ASSERT_EQ(0, luo_write_pattern(h->ram, RAM_SEED, 0, RAM_SIZE));
	snprintf(h->ram_op, sizeof(h->ram_op), "ram=/proc/%d/fd/%d",
		 getpid(), h->ram);

	/* A regular file, on tmpfs if there is one: copied, not in place. */
	snprintf(path, sizeof(path), "%s/luo_hold.XXXXXX", dir);
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, luo_write_pattern(fd, FILE_SEED, 0, FILE_SIZE));
	close(fd);
	snprintf(h->file_op, sizeof(h->file_op), "file=%s", path);
	snprintf(h->pidfile, sizeof(h->pidfile), "/tmp/luo_hold.%d.pid",
		 getpid());
}

FIXTURE_TEARDOWN(luo_hold)
{
	struct held *h = &self->h;

	if (h->holder > 0) {
		kill(h->holder, SIGKILL);
		waitpid(h->holder, NULL, 0);
	}
	if (h->ram >= 0)
		close(h->ram);
	if (h->file_op[0])
		unlink(h->file_op + strlen("file="));
	unlink(h->pidfile);
}

/*
 * "luo-hold preserve -s SESSION -p PIDFILE @ops..." with @in on stdin;
 * on success the holder's pid, from PIDFILE, goes to @h->holder.
 */
static int preserve_args(struct held *h, struct run *r, const char *in,
			 const char *const *ops)
{
	const char *args[ARGS_MAX + 1] = {
		"preserve", "-s", SESSION, "-p", h->pidfile,
	};
	int i, fd, ret;
	char buf[32];
	ssize_t n;

	for (i = 0; ops[i]; i++) {
		if (i + 5 == ARGS_MAX)
			return -E2BIG;
		args[i + 5] = ops[i];
	}
	ret = run_args(r, in, args);
	if (ret || r->status)
		return ret;
	fd = open(h->pidfile, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	h->holder = atoi(buf);
	return h->holder > 0 ? 0 : -EINVAL;
}

#define preserve(h, r, in, ...)						\
	preserve_args(h, r, in, (const char *[]){ __VA_ARGS__, NULL })

/* The memfd in place, STDIN_BYTES and the regular file copied. */
static int preserve_all(struct held *h, struct run *r, const char *opt)
{
	return preserve(h, r, STDIN_BYTES, opt, h->ram_op, "state=-",
			h->file_op);
}

/* After a luo-hold that failed: nothing preserved, no session left. */
static void check_nothing_held(struct __test_metadata *_metadata,
			       struct held *h)
{
	EXPECT_EQ(0, probe_preserve(h->ram)) TH_LOG("the memfd is held");
	EXPECT_EQ(0, session_free(SESSION)) TH_LOG("the session exists");
	EXPECT_EQ(0, h->holder);
}

TEST_F(luo_hold, bad_name)
{
	struct held *h = &self->h;
	static const char *const bad[] = {
		"=-", "a/b=-", "a b=-", "a:b=-", "ram=-", "ram", "\xc3\xa9=-",
	};
	char name[NAME_MAX_LEN + 4];
	struct run r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(0, preserve(h, &r, "", h->ram_op, bad[i]));
		EXPECT_EQ(2, r.status) TH_LOG("NAME=SOURCE %s", bad[i]);
		EXPECT_TRUE(has(r.err, "Usage:"));
		EXPECT_STREQ("", r.out);
		check_nothing_held(_metadata, h);
	}
	memset(name, 'n', NAME_MAX_LEN + 1);
	memcpy(name + NAME_MAX_LEN + 1, "=-", 3);
	ASSERT_EQ(0, preserve(h, &r, "", h->ram_op, name));
	EXPECT_EQ(2, r.status) TH_LOG("a NAME of 64 characters");
	check_nothing_held(_metadata, h);

	/* Bad session names (the last -s counts). */
	ASSERT_EQ(0, preserve(h, &r, "", "-s", "", h->ram_op));
	EXPECT_EQ(2, r.status) TH_LOG("empty SESSION");
	ASSERT_EQ(0, preserve(h, &r, "", "-s", "a/b", h->ram_op));
	EXPECT_EQ(2, r.status) TH_LOG("SESSION with a /");
	memset(name, 's', NAME_MAX_LEN + 1);
	name[NAME_MAX_LEN + 1] = '\0';
	ASSERT_EQ(0, preserve(h, &r, "", "-s", name, h->ram_op));
	EXPECT_EQ(2, r.status) TH_LOG("SESSION of 64 characters");
	check_nothing_held(_metadata, h);

	/* The longest NAME is fine ("-" copies the empty stdin). */
	memset(name, 'n', NAME_MAX_LEN);
	memcpy(name + NAME_MAX_LEN, "=-", 3);
	ASSERT_EQ(0, preserve(h, &r, "", "-q", name));
	EXPECT_EQ(0, r.status) TH_LOG("63-character NAME: %s", r.err);
	EXPECT_STREQ("", r.out) TH_LOG("-q");
	EXPECT_EQ(-EEXIST, session_free(SESSION));
}

TEST_F(luo_hold, missing_source)
{
	struct held *h = &self->h;
	struct run r;

	ASSERT_EQ(0, preserve(h, &r, STDIN_BYTES, h->ram_op, "state=-",
			      "file=/nonexistent/luo-hold-selftest"));
	EXPECT_EQ(1, r.status);
	EXPECT_TRUE(has(r.err, "/nonexistent/luo-hold-selftest"))
		TH_LOG("stderr: %s", r.err);
	check_nothing_held(_metadata, h);

	ASSERT_EQ(0, preserve(h, &r, "", h->ram_op, "x=fd:999"));
	EXPECT_EQ(1, r.status) TH_LOG("fd:999 is not open");
	check_nothing_held(_metadata, h);

	ASSERT_EQ(0, preserve(h, &r, "", h->ram_op, "x=/dev/null"));
	EXPECT_EQ(1, r.status) TH_LOG("not a memfd or a regular file");
	check_nothing_held(_metadata, h);
}

TEST_F(luo_hold, device_busy)
{
	struct held *h = &self->h;
	int dev = luo_open();
	struct run r;

	ASSERT_LE(0, dev);
	ASSERT_EQ(0, preserve(h, &r, "", h->ram_op));
	close(dev);
	EXPECT_EQ(1, r.status);
	EXPECT_TRUE(has(r.err, "another process has /dev/liveupdate open"))
		TH_LOG("stderr: %s", r.err);
	check_nothing_held(_metadata, h);
}

/* A preserve refused by the kernel once the session exists. */
TEST_F(luo_hold, preserve_refused)
{
	struct held *h = &self->h;
	char again[80];
	int dev, s;
	struct run r;

	/* The memfd twice: the first preserve is undone with the session. */
	snprintf(again, sizeof(again), "again=%s", h->ram_op + strlen("ram="));
	ASSERT_EQ(0, preserve(h, &r, STDIN_BYTES, "state=-", h->ram_op,
			      again));
	EXPECT_EQ(1, r.status);
	EXPECT_TRUE(has(r.err, "preserved already")) TH_LOG("%s", r.err);
	check_nothing_held(_metadata, h);

	/* The memfd preserved in a session of the test's own. */
	dev = luo_open();
	ASSERT_LE(0, dev);
	s = luo_create_session(dev, PROBE_SESSION);
	close(dev);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, luo_preserve_fd(s, h->ram, 1));
	ASSERT_EQ(0, preserve(h, &r, STDIN_BYTES, "state=-", h->ram_op));
	close(s);
	EXPECT_EQ(1, r.status);
	EXPECT_TRUE(has(r.err, "preserved already")) TH_LOG("%s", r.err);
	check_nothing_held(_metadata, h);
}

TEST_F(luo_hold, restore_no_session)
{
	struct run r;

	ASSERT_EQ(0, run(&r, NULL, "restore", "-s", "luo-hold-selftest-none",
			 "--", luo_hold_bin(), "--help"));
	EXPECT_EQ(3, r.status) TH_LOG("stderr: %s", r.err);
	EXPECT_TRUE(has(r.err, "no session luo-hold-selftest-none"));
	EXPECT_STREQ("", r.out) TH_LOG("COMMAND ran");
}

TEST_F(luo_hold, preserve)
{
	struct held *h = &self->h;
	char line[256];
	struct run r;

	ASSERT_EQ(0, preserve_all(h, &r, "--"));
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	EXPECT_STREQ("", r.err);

	snprintf(line, sizeof(line),
		 "luo-hold: session %s: ram: %lu bytes, token 1\n", SESSION,
		 RAM_SIZE);
	EXPECT_TRUE(has(r.out, line)) TH_LOG("stdout: %s", r.out);
	snprintf(line, sizeof(line),
		 "luo-hold: session %s: state: %zu bytes, token 2, copied\n",
		 SESSION, strlen(STDIN_BYTES));
	EXPECT_TRUE(has(r.out, line)) TH_LOG("stdout: %s", r.out);
	snprintf(line, sizeof(line),
		 "luo-hold: session %s: file: %d bytes, token 3, copied\n",
		 SESSION, FILE_SIZE);
	EXPECT_TRUE(has(r.out, line)) TH_LOG("stdout: %s", r.out);
	snprintf(line, sizeof(line),
		 "luo-hold: session %s held by process %d until the kexec",
		 SESSION, h->holder);
	EXPECT_TRUE(has(r.out, line)) TH_LOG("stdout: %s", r.out);

	/* The holder: alive, a session of its own, fds 0 to 3 only. */
	EXPECT_EQ(0, kill(h->holder, 0));
	EXPECT_EQ(h->holder, getsid(h->holder));
	EXPECT_EQ(4, count_fds(h->holder));

	/* The memfd is held, in place: the kernel fixed its size. */
	EXPECT_EQ(-EBUSY, probe_preserve(h->ram));
	EXPECT_EQ(-1, ftruncate(h->ram, 2 * RAM_SIZE));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-EEXIST, session_free(SESSION));
	EXPECT_EQ(0, luo_check_range(h->ram, false, RAM_SEED, 0, RAM_SIZE,
				     NULL));
}

TEST_F(luo_hold, same_session_twice)
{
	struct held *h = &self->h;
	struct run r, r2;

	ASSERT_EQ(0, preserve_all(h, &r, "-q"));
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	EXPECT_STREQ("", r.out) TH_LOG("-q");

	/* Not with preserve(): that would take over h->holder. */
	ASSERT_EQ(0, run(&r2, STDIN_BYTES, "preserve", "-s", SESSION, "x=-"));
	EXPECT_EQ(1, r2.status);
	EXPECT_TRUE(has(r2.err, "exists already")) TH_LOG("stderr: %s", r2.err);

	/* The first one is untouched. */
	EXPECT_EQ(0, kill(h->holder, 0));
	EXPECT_EQ(-EBUSY, probe_preserve(h->ram));
}

TEST_F(luo_hold, kill_releases)
{
	struct held *h = &self->h;
	struct run r;
	int status;

	ASSERT_EQ(0, preserve_all(h, &r, "-q"));
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	ASSERT_EQ(-EBUSY, probe_preserve(h->ram));

	/* SIGTERM keeps its default action: the operator's cancel. */
	ASSERT_EQ(0, kill(h->holder, SIGTERM));
	ASSERT_EQ(h->holder, waitpid(h->holder, &status, 0));
	h->holder = 0;
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);

	EXPECT_EQ(0, wait_session_free(SESSION));
	EXPECT_EQ(0, probe_preserve(h->ram));
	EXPECT_EQ(0, ftruncate(h->ram, 2 * RAM_SIZE));
	EXPECT_EQ(0, luo_check_range(h->ram, false, RAM_SEED, 0, RAM_SIZE,
				     NULL));
}

TEST_HARNESS_MAIN
