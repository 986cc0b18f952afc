// SPDX-License-Identifier: GPL-2.0
/*
 * The uAPI of the Live Update Orchestrator without a kexec: /dev/liveupdate
 * and session fds, every errno of their ioctls, the size-first argument
 * rules, what preserving does to a memfd and what closing undoes, and the
 * scale (10,000 sessions, 100,000 files).  SKIPs without /dev/liveupdate
 * (a kernel without CONFIG_LIVEUPDATE, or booted without liveupdate=on).
 *
 * Run as root.
 */
#include <dirent.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <linux/falloc.h>
#include <linux/magic.h>

#include "../kselftest_harness.h"
#include "luo_test.h"

#define NAME_MAX_LEN	(LIVEUPDATE_SESSION_NAME_LENGTH - 1)

FIXTURE(liveupdate) {
	int luo_fd;
};

FIXTURE_SETUP(liveupdate)
{
	self->luo_fd = luo_open();
	if (self->luo_fd == -ENOENT)
		SKIP(return, "no %s: LUO off (CONFIG_LIVEUPDATE, liveupdate=on)",
		     LUO_DEVICE);
	ASSERT_LE(0, self->luo_fd) TH_LOG("open %s: %s", LUO_DEVICE,
					  strerror(-self->luo_fd));
}

FIXTURE_TEARDOWN(liveupdate)
{
	if (self->luo_fd >= 0)
		close(self->luo_fd);
}

/* A memfd of @size bytes holding the pattern of @seed. */
static int pattern_memfd(uint64_t size, uint64_t seed)
{
	int fd = luo_memfd("luo-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return fd;
	if (ftruncate(fd, size) || luo_write_pattern(fd, seed, 0, size)) {
		close(fd);
		return -EIO;
	}
	return fd;
}

static int count_open_fds(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the fd of the directory itself */
}

TEST_F(liveupdate, device_node)
{
	struct stat st;

	ASSERT_EQ(0, stat(LUO_DEVICE, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
}

TEST_F(liveupdate, open_exclusive)
{
	int fd, dupfd, status;

	/* A second opener, here and in another process. */
	EXPECT_EQ(-EBUSY, luo_open());
	if (!fork())
		_exit(luo_open() == -EBUSY ? 0 : 1);
	ASSERT_LT(0, wait(&status));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("a child process could open %s too", LUO_DEVICE);

	/* The slot is freed by the last close of the open file. */
	dupfd = dup(self->luo_fd);
	ASSERT_LE(0, dupfd);
	close(self->luo_fd);
	self->luo_fd = -1;
	EXPECT_EQ(-EBUSY, luo_open());
	close(dupfd);
	fd = luo_open();
	ASSERT_LE(0, fd) TH_LOG("reopen after close: %s", strerror(-fd));
	EXPECT_EQ(-EBUSY, luo_open());
	close(fd);
	fd = luo_open();
	EXPECT_LE(0, fd);
	self->luo_fd = fd;
}

TEST_F(liveupdate, create_session)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	int s;

	s = luo_create_session(self->luo_fd, "luo-test-create");
	ASSERT_LE(0, s) TH_LOG("CREATE_SESSION: %s", strerror(-s));
	EXPECT_NE(self->luo_fd, s);
	EXPECT_TRUE(fd_cloexec(s));
	ASSERT_EQ(0, luo_get_name(s, name));
	EXPECT_STREQ("luo-test-create", name);
	close(s);
}

TEST_F(liveupdate, create_duplicate_name)
{
	struct liveupdate_ioctl_create_session arg = {
		.size = sizeof(arg),
		.name = "luo-test-dup\0trailing bytes",
	};
	int s1, s2, s3;

	s1 = luo_create_session(self->luo_fd, "luo-test-dup");
	ASSERT_LE(0, s1);
	EXPECT_EQ(-EEXIST, luo_create_session(self->luo_fd, "luo-test-dup"));
	/* Names compare up to their NUL. */
	EXPECT_EQ(-EEXIST, luo_ioctl(self->luo_fd,
				     LIVEUPDATE_IOCTL_CREATE_SESSION, &arg));
	s2 = luo_create_session(self->luo_fd, "luo-test-dup2");
	EXPECT_LE(0, s2);
	/* The name is free again once its session is closed. */
	close(s1);
	s3 = luo_create_session(self->luo_fd, "luo-test-dup");
	EXPECT_LE(0, s3) TH_LOG("name not freed on close: %s", strerror(-s3));
	close(s2);
	close(s3);
}

TEST_F(liveupdate, create_name_length)
{
	struct liveupdate_ioctl_create_session arg = { .size = sizeof(arg) };
	char name[LIVEUPDATE_SESSION_NAME_LENGTH], got[sizeof(name)];
	int s;

	/* Empty. */
	EXPECT_EQ(-EINVAL, luo_ioctl(self->luo_fd,
				     LIVEUPDATE_IOCTL_CREATE_SESSION, &arg));
	/* 64 bytes, no NUL. */
	memset(arg.name, 'x', sizeof(arg.name));
	EXPECT_EQ(-EINVAL, luo_ioctl(self->luo_fd,
				     LIVEUPDATE_IOCTL_CREATE_SESSION, &arg));
	/* 63 bytes and the NUL: the longest name, returned in full. */
	memset(name, 'y', NAME_MAX_LEN);
	name[NAME_MAX_LEN] = '\0';
	s = luo_create_session(self->luo_fd, name);
	ASSERT_LE(0, s) TH_LOG("63-byte name: %s", strerror(-s));
	ASSERT_EQ(0, luo_get_name(s, got));
	EXPECT_EQ(NAME_MAX_LEN, strnlen(got, sizeof(got)));
	EXPECT_STREQ(name, got);
	close(s);
	/* One byte. */
	s = luo_create_session(self->luo_fd, "z");
	EXPECT_LE(0, s);
	close(s);
}

TEST_F(liveupdate, retrieve_absent)
{
	int s;

	/* No incoming session of that name (none at all on a fresh boot). */
	EXPECT_EQ(-ENOENT, luo_retrieve_session(self->luo_fd,
						"luo-test-never-created"));
	/* An outgoing session is not an incoming one. */
	s = luo_create_session(self->luo_fd, "luo-test-outgoing");
	ASSERT_LE(0, s);
	EXPECT_EQ(-ENOENT, luo_retrieve_session(self->luo_fd,
						"luo-test-outgoing"));
	close(s);
}

TEST_F(liveupdate, ioctl_unknown_nr)
{
	struct liveupdate_session_get_name arg = { .size = sizeof(arg) };
	static const unsigned int dev_nrs[] = { 0x02, 0x03, 0x3f, 0x40, 0x43,
						0xff };
	static const unsigned int ses_nrs[] = { 0x00, 0x01, 0x3f, 0x44, 0x45,
						0xff };
	unsigned int i;
	int s;

	s = luo_create_session(self->luo_fd, "luo-test-nr");
	ASSERT_LE(0, s);
	for (i = 0; i < ARRAY_SIZE(dev_nrs); i++)
		EXPECT_EQ(-EINVAL, luo_ioctl(self->luo_fd,
					     _IO(LIVEUPDATE_IOCTL_TYPE,
						 dev_nrs[i]), &arg))
			TH_LOG("device nr %#x", dev_nrs[i]);
	for (i = 0; i < ARRAY_SIZE(ses_nrs); i++)
		EXPECT_EQ(-EINVAL, luo_ioctl(s, _IO(LIVEUPDATE_IOCTL_TYPE,
						    ses_nrs[i]), &arg))
			TH_LOG("session nr %#x", ses_nrs[i]);
	close(s);
}

TEST_F(liveupdate, ioctl_wrong_encoding)
{
	struct liveupdate_ioctl_create_session c = {
		.size = sizeof(c),
		.name = "luo-test-enc",
	};
	struct liveupdate_session_get_name g = { .size = sizeof(g) };
	struct liveupdate_session_preserve_fd p = { .size = sizeof(p) };
	static const unsigned long dev_cmds[] = {
		_IOWR(LIVEUPDATE_IOCTL_TYPE, 0x00,
		      struct liveupdate_ioctl_create_session),
		_IOW(LIVEUPDATE_IOCTL_TYPE, 0x00, __u32),
		_IO(0xBB, 0x00),
		_IOR(LIVEUPDATE_IOCTL_TYPE, 0x01,
		     struct liveupdate_ioctl_retrieve_session),
	};
	const unsigned long get_name_r = _IOR(LIVEUPDATE_IOCTL_TYPE, 0x43,
					      struct liveupdate_session_get_name);
	const unsigned long preserve_rw = _IOWR(LIVEUPDATE_IOCTL_TYPE, 0x40,
						struct liveupdate_session_preserve_fd);
	unsigned int i;
	int s, m;

	/* nr in range, other direction/size/type bits: ENOTTY, no effect. */
	for (i = 0; i < ARRAY_SIZE(dev_cmds); i++)
		EXPECT_EQ(-ENOTTY, luo_ioctl(self->luo_fd, dev_cmds[i], &c))
			TH_LOG("cmd %#lx", dev_cmds[i]);
	s = luo_create_session(self->luo_fd, "luo-test-enc");
	ASSERT_LE(0, s) TH_LOG("a refused ioctl created the session: %s",
			       strerror(-s));
	EXPECT_EQ(-ENOTTY, luo_ioctl(s, get_name_r, &g));
	m = pattern_memfd(LUO_PAGE, 1);
	ASSERT_LE(0, m);
	p.fd = m;
	p.token = 1;
	EXPECT_EQ(-ENOTTY, luo_ioctl(s, preserve_rw, &p));
	/* Nothing was preserved by it. */
	EXPECT_EQ(0, luo_preserve_fd(s, m, 1));
	close(m);
	close(s);
}

TEST_F(liveupdate, ioctl_size_too_small)
{
	union {
		struct liveupdate_ioctl_create_session c;
		struct liveupdate_session_preserve_fd p;
		struct liveupdate_session_get_name g;
		struct liveupdate_session_finish f;
		__u32 size;
	} a;
	static const struct {
		unsigned long cmd;
		__u32 size;
		bool session;
	} t[] = {
		{ LIVEUPDATE_IOCTL_CREATE_SESSION,
		  sizeof(struct liveupdate_ioctl_create_session), false },
		{ LIVEUPDATE_IOCTL_RETRIEVE_SESSION,
		  sizeof(struct liveupdate_ioctl_retrieve_session), false },
		{ LIVEUPDATE_SESSION_PRESERVE_FD,
		  sizeof(struct liveupdate_session_preserve_fd), true },
		{ LIVEUPDATE_SESSION_RETRIEVE_FD,
		  sizeof(struct liveupdate_session_retrieve_fd), true },
		{ LIVEUPDATE_SESSION_FINISH,
		  sizeof(struct liveupdate_session_finish), true },
		{ LIVEUPDATE_SESSION_GET_NAME,
		  sizeof(struct liveupdate_session_get_name), true },
	};
	unsigned int i;
	int s, s2, m;

	/* The sizes of mainline's structs, to the byte. */
	EXPECT_EQ(72, sizeof(struct liveupdate_ioctl_create_session));
	EXPECT_EQ(72, sizeof(struct liveupdate_ioctl_retrieve_session));
	EXPECT_EQ(16, sizeof(struct liveupdate_session_preserve_fd));
	EXPECT_EQ(16, sizeof(struct liveupdate_session_retrieve_fd));
	EXPECT_EQ(8, sizeof(struct liveupdate_session_finish));
	EXPECT_EQ(72, sizeof(struct liveupdate_session_get_name));

	s = luo_create_session(self->luo_fd, "luo-test-small");
	ASSERT_LE(0, s);
	m = pattern_memfd(LUO_PAGE, 2);
	ASSERT_LE(0, m);
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		__u32 sizes[] = { 0, 4, t[i].size - 1 };
		unsigned int j;

		for (j = 0; j < ARRAY_SIZE(sizes); j++) {
			memset(&a, 0, sizeof(a));
			memcpy(a.c.name, "luo-test-small-new", 19);
			a.p.fd = m;
			a.size = sizes[j];
			EXPECT_EQ(-EINVAL, luo_ioctl(t[i].session ? s :
						     self->luo_fd, t[i].cmd, &a))
				TH_LOG("cmd %#lx size %u", t[i].cmd, sizes[j]);
		}
	}
	/* None of them did anything. */
	EXPECT_EQ(0, luo_preserve_fd(s, m, 0));
	s2 = luo_create_session(self->luo_fd, "luo-test-small-new");
	EXPECT_LE(0, s2) TH_LOG("a refused CREATE_SESSION created it");
	close(s2);
	close(m);
	close(s);
}

TEST_F(liveupdate, ioctl_size_larger)
{
	struct {
		struct liveupdate_ioctl_create_session c;
		__u8 tail[LUO_PAGE];
	} cb;
	struct {
		struct liveupdate_session_preserve_fd p;
		__u64 tail[2];
	} pb;
	struct {
		struct liveupdate_session_get_name g;
		__u64 tail;
	} gb;
	int s, s2, m;

	/* A non-zero byte the kernel does not know: E2BIG, nothing done. */
	memset(&cb, 0, sizeof(cb));
	cb.c.size = sizeof(cb);
	memcpy(cb.c.name, "luo-test-large", 15);
	cb.tail[LUO_PAGE - 1] = 1;
	EXPECT_EQ(-E2BIG, luo_ioctl(self->luo_fd,
				    LIVEUPDATE_IOCTL_CREATE_SESSION, &cb));
	cb.tail[LUO_PAGE - 1] = 0;
	cb.tail[0] = 0x80;
	EXPECT_EQ(-E2BIG, luo_ioctl(self->luo_fd,
				    LIVEUPDATE_IOCTL_CREATE_SESSION, &cb));
	/* A zero tail is fine, up to a page of it. */
	cb.tail[0] = 0;
	ASSERT_EQ(0, luo_ioctl(self->luo_fd, LIVEUPDATE_IOCTL_CREATE_SESSION,
			       &cb));
	s = cb.c.fd;
	EXPECT_LE(0, s);
	cb.c.size = sizeof(cb.c) + 8;
	memcpy(cb.c.name, "luo-test-large-8", 17);
	ASSERT_EQ(0, luo_ioctl(self->luo_fd, LIVEUPDATE_IOCTL_CREATE_SESSION,
			       &cb));
	s2 = cb.c.fd;

	m = pattern_memfd(LUO_PAGE, 3);
	ASSERT_LE(0, m);
	memset(&pb, 0, sizeof(pb));
	pb.p.size = sizeof(pb);
	pb.p.fd = m;
	pb.p.token = 7;
	pb.tail[1] = 1ULL << 63;
	EXPECT_EQ(-E2BIG, luo_ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD, &pb));
	pb.tail[1] = 0;
	EXPECT_EQ(0, luo_ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD, &pb))
		TH_LOG("the E2BIG attempt preserved the file");

	memset(&gb, 0, sizeof(gb));
	gb.g.size = sizeof(gb);
	gb.tail = 5;
	EXPECT_EQ(-E2BIG, luo_ioctl(s, LIVEUPDATE_SESSION_GET_NAME, &gb));
	gb.tail = 0;
	ASSERT_EQ(0, luo_ioctl(s, LIVEUPDATE_SESSION_GET_NAME, &gb));
	EXPECT_STREQ("luo-test-large", (char *)gb.g.name);
	/* Only the kernel's struct is written back. */
	EXPECT_EQ(0, gb.tail);
	close(m);
	close(s2);
	close(s);
}

TEST_F(liveupdate, ioctl_efault)
{
	struct liveupdate_ioctl_create_session *c;
	struct liveupdate_session_get_name *g;
	int s, before;
	uint8_t *page;

	page = mmap(NULL, 2 * LUO_PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	ASSERT_EQ(0, mprotect(page + LUO_PAGE, LUO_PAGE, PROT_NONE));

	EXPECT_EQ(-EFAULT, luo_ioctl(self->luo_fd,
				     LIVEUPDATE_IOCTL_CREATE_SESSION, NULL));
	EXPECT_EQ(-EFAULT, luo_ioctl(self->luo_fd,
				     LIVEUPDATE_IOCTL_CREATE_SESSION,
				     page + LUO_PAGE));
	/* The size is readable, the rest of the struct is not. */
	c = (void *)(page + LUO_PAGE - 8);
	memset(c, 0, 8);
	c->size = sizeof(*c);
	EXPECT_EQ(-EFAULT, luo_ioctl(self->luo_fd,
				     LIVEUPDATE_IOCTL_CREATE_SESSION, c));

	/* Readable but not writable: the new fd cannot be written back. */
	c = (void *)page;
	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	memcpy(c->name, "luo-test-efault", 16);
	ASSERT_EQ(0, mprotect(page, LUO_PAGE, PROT_READ));
	before = count_open_fds();
	EXPECT_EQ(-EFAULT, luo_ioctl(self->luo_fd,
				     LIVEUPDATE_IOCTL_CREATE_SESSION, c));
	EXPECT_EQ(before, count_open_fds()) TH_LOG("an fd was left installed");
	/* ... and no session was left behind. */
	s = luo_create_session(self->luo_fd, "luo-test-efault");
	EXPECT_LE(0, s) TH_LOG("session left after EFAULT: %s", strerror(-s));

	EXPECT_EQ(-EFAULT, luo_ioctl(s, LIVEUPDATE_SESSION_GET_NAME, NULL));
	ASSERT_EQ(0, mprotect(page, LUO_PAGE, PROT_READ | PROT_WRITE));
	g = (void *)page;
	memset(g, 0, sizeof(*g));
	g->size = sizeof(*g);
	ASSERT_EQ(0, mprotect(page, LUO_PAGE, PROT_READ));
	EXPECT_EQ(-EFAULT, luo_ioctl(s, LIVEUPDATE_SESSION_GET_NAME, g));
	EXPECT_EQ(-EFAULT, luo_ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD,
				     page + LUO_PAGE));
	close(s);
	munmap(page, 2 * LUO_PAGE);
}

TEST_F(liveupdate, preserve_bad_fd)
{
	int s, m;

	s = luo_create_session(self->luo_fd, "luo-test-ebadf");
	ASSERT_LE(0, s);
	EXPECT_EQ(-EBADF, luo_preserve_fd(s, -1, 1));
	m = pattern_memfd(LUO_PAGE, 4);
	ASSERT_LE(0, m);
	close(m);
	EXPECT_EQ(-EBADF, luo_preserve_fd(s, m, 1));
	EXPECT_EQ(-EBADF, luo_preserve_fd(s, 1 << 20, 1));
	/* The failed tokens were not taken. */
	m = pattern_memfd(LUO_PAGE, 4);
	ASSERT_LE(0, m);
	EXPECT_EQ(0, luo_preserve_fd(s, m, 1));
	close(m);
	close(s);
}

TEST_F(liveupdate, preserve_no_handler)
{
	int s, s2, fd, pipefd[2];

	s = luo_create_session(self->luo_fd, "luo-test-enoent");
	ASSERT_LE(0, s);
	fd = open("/dev/null", O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOENT, luo_preserve_fd(s, fd, 1));
	close(fd);
	ASSERT_EQ(0, pipe(pipefd));
	EXPECT_EQ(-ENOENT, luo_preserve_fd(s, pipefd[0], 2));
	EXPECT_EQ(-ENOENT, luo_preserve_fd(s, pipefd[1], 3));
	close(pipefd[0]);
	close(pipefd[1]);
	fd = open("/", O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOENT, luo_preserve_fd(s, fd, 4));
	close(fd);
	fd = open("/proc/self/status", O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOENT, luo_preserve_fd(s, fd, 5));
	close(fd);
	/* LUO's own files are not preservable either. */
	EXPECT_EQ(-ENOENT, luo_preserve_fd(s, self->luo_fd, 6));
	EXPECT_EQ(-ENOENT, luo_preserve_fd(s, s, 7));
	s2 = luo_create_session(self->luo_fd, "luo-test-enoent-2");
	ASSERT_LE(0, s2);
	EXPECT_EQ(-ENOENT, luo_preserve_fd(s, s2, 8));
	close(s2);
	close(s);
}

/* A file on a tmpfs that has a name is not a memfd: ENOENT. */
TEST_F(liveupdate, preserve_linked_tmpfs_file)
{
	char dir[] = "/tmp/luo-tmpfs-XXXXXX", path[64];
	struct statfs sfs;
	int s, fd;

	ASSERT_NE(NULL, mkdtemp(dir));
	if (mount("tmpfs", dir, "tmpfs", 0, "size=1m")) {
		rmdir(dir);
		SKIP(return, "cannot mount a tmpfs: %s", strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstatfs(fd, &sfs));
	EXPECT_EQ(TMPFS_MAGIC, sfs.f_type);
	ASSERT_EQ(0, ftruncate(fd, LUO_PAGE));
	s = luo_create_session(self->luo_fd, "luo-test-tmpfs");
	ASSERT_LE(0, s);
	EXPECT_EQ(-ENOENT, luo_preserve_fd(s, fd, 1));
	close(s);
	close(fd);
	unlink(path);
	umount(dir);
	rmdir(dir);
}

TEST_F(liveupdate, preserve_token_exists)
{
	int s, m1, m2;

	s = luo_create_session(self->luo_fd, "luo-test-token");
	ASSERT_LE(0, s);
	m1 = pattern_memfd(LUO_PAGE, 5);
	m2 = pattern_memfd(LUO_PAGE, 6);
	ASSERT_LE(0, m1);
	ASSERT_LE(0, m2);
	ASSERT_EQ(0, luo_preserve_fd(s, m1, 42));
	EXPECT_EQ(-EEXIST, luo_preserve_fd(s, m2, 42));
	/* The token is looked up before the fd. */
	EXPECT_EQ(-EEXIST, luo_preserve_fd(s, -1, 42));
	/* The extreme tokens are tokens like any other. */
	EXPECT_EQ(0, luo_preserve_fd(s, m2, 0));
	close(m2);
	m2 = pattern_memfd(LUO_PAGE, 7);
	ASSERT_LE(0, m2);
	EXPECT_EQ(0, luo_preserve_fd(s, m2, UINT64_MAX));
	close(m2);
	m2 = pattern_memfd(LUO_PAGE, 8);
	ASSERT_LE(0, m2);
	EXPECT_EQ(-EEXIST, luo_preserve_fd(s, m2, UINT64_MAX));
	EXPECT_EQ(-EEXIST, luo_preserve_fd(s, m2, 0));
	close(m2);
	close(m1);
	close(s);
}

TEST_F(liveupdate, preserve_same_file_busy)
{
	int a, b, m, d, r;
	char path[64];

	a = luo_create_session(self->luo_fd, "luo-test-busy-a");
	b = luo_create_session(self->luo_fd, "luo-test-busy-b");
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	m = pattern_memfd(2 * LUO_PAGE, 9);
	ASSERT_LE(0, m);
	ASSERT_EQ(0, luo_preserve_fd(a, m, 1));
	/* Under another token, in another session, through other fds. */
	EXPECT_EQ(-EBUSY, luo_preserve_fd(a, m, 2));
	EXPECT_EQ(-EBUSY, luo_preserve_fd(b, m, 1));
	d = dup(m);
	ASSERT_LE(0, d);
	EXPECT_EQ(-EBUSY, luo_preserve_fd(b, d, 3));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", m);
	r = open(path, O_RDWR);
	ASSERT_LE(0, r);
	EXPECT_EQ(-EBUSY, luo_preserve_fd(b, r, 4))
		TH_LOG("a second open file of the same memfd was preserved");
	EXPECT_EQ(-EBUSY, luo_preserve_fd(a, r, 5));
	/* Once session a is closed, the memfd is free again. */
	close(a);
	EXPECT_EQ(0, luo_preserve_fd(b, r, 4));
	EXPECT_EQ(-EBUSY, luo_preserve_fd(b, m, 6));
	close(r);
	close(d);
	close(m);
	close(b);
}

TEST_F(liveupdate, outgoing_session_gates)
{
	struct liveupdate_session_finish f = { .size = sizeof(f) };
	int s, m;

	s = luo_create_session(self->luo_fd, "luo-test-gates");
	ASSERT_LE(0, s);
	m = pattern_memfd(LUO_PAGE, 10);
	ASSERT_LE(0, m);
	ASSERT_EQ(0, luo_preserve_fd(s, m, 1));
	EXPECT_EQ(-EINVAL, luo_retrieve_fd(s, 1));
	EXPECT_EQ(-EINVAL, luo_retrieve_fd(s, 2));
	EXPECT_EQ(-EINVAL, luo_finish(s));
	f.reserved = 1;
	EXPECT_EQ(-EINVAL, luo_ioctl(s, LIVEUPDATE_SESSION_FINISH, &f));
	/* Still preserved, still outgoing. */
	EXPECT_EQ(-EBUSY, luo_preserve_fd(s, m, 2));
	close(m);
	close(s);
}

TEST_F(liveupdate, get_name)
{
	struct liveupdate_session_get_name g;
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	int s;

	memset(name, 0, sizeof(name));
	memcpy(name, "luo-test-get-name-", 18);
	memset(name + 18, 'n', NAME_MAX_LEN - 18);
	s = luo_create_session(self->luo_fd, name);
	ASSERT_LE(0, s);

	memset(&g, 0xff, sizeof(g));
	g.size = sizeof(g);
	g.reserved = 0;
	ASSERT_EQ(0, luo_ioctl(s, LIVEUPDATE_SESSION_GET_NAME, &g));
	EXPECT_EQ(0, memcmp(g.name, name, NAME_MAX_LEN + 1))
		TH_LOG("got \"%.64s\"", g.name);

	g.reserved = 1;
	EXPECT_EQ(-EINVAL, luo_ioctl(s, LIVEUPDATE_SESSION_GET_NAME, &g));
	g.reserved = 0x80000000;
	EXPECT_EQ(-EINVAL, luo_ioctl(s, LIVEUPDATE_SESSION_GET_NAME, &g));
	close(s);
}

TEST_F(liveupdate, close_device_keeps_sessions)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	int s, m, m2, t;

	s = luo_create_session(self->luo_fd, "luo-test-keep");
	ASSERT_LE(0, s);
	m = pattern_memfd(LUO_PAGE, 11);
	ASSERT_LE(0, m);
	ASSERT_EQ(0, luo_preserve_fd(s, m, 1));
	close(self->luo_fd);
	self->luo_fd = -1;

	/* The session works on its own. */
	ASSERT_EQ(0, luo_get_name(s, name));
	EXPECT_STREQ("luo-test-keep", name);
	m2 = pattern_memfd(LUO_PAGE, 12);
	ASSERT_LE(0, m2);
	EXPECT_EQ(0, luo_preserve_fd(s, m2, 2));
	EXPECT_EQ(-EBUSY, luo_preserve_fd(s, m, 3));

	/* And it still exists for the next opener. */
	self->luo_fd = luo_open();
	ASSERT_LE(0, self->luo_fd);
	EXPECT_EQ(-EEXIST, luo_create_session(self->luo_fd, "luo-test-keep"));
	t = luo_create_session(self->luo_fd, "luo-test-keep-2");
	ASSERT_LE(0, t);
	EXPECT_EQ(-EBUSY, luo_preserve_fd(t, m, 1));
	close(t);
	close(m2);
	close(m);
	close(s);
}

TEST_F(liveupdate, close_session_unpreserves)
{
	const uint64_t size = 64 * LUO_PAGE, pos = 5 * LUO_PAGE + 17;
	uint64_t bad = 0;
	uint8_t b;
	int s, t, m;

	s = luo_create_session(self->luo_fd, "luo-test-unpreserve");
	ASSERT_LE(0, s);
	m = pattern_memfd(size, 13);
	ASSERT_LE(0, m);
	ASSERT_EQ(pos, lseek(m, pos, SEEK_SET));
	ASSERT_EQ(0, luo_preserve_fd(s, m, 1));
	EXPECT_EQ(-EPERM, ftruncate(m, 2 * size) ? -errno : 0);
	close(s);

	/* An ordinary memfd again: size changes work, content and pos kept. */
	EXPECT_EQ(pos, lseek(m, 0, SEEK_CUR));
	ASSERT_EQ(1, read(m, &b, 1));
	EXPECT_EQ(luo_pattern_byte(13, pos), b);
	EXPECT_EQ(0, luo_check_range(m, false, 13, 0, size, &bad))
		TH_LOG("content differs at %#llx", (unsigned long long)bad);
	EXPECT_EQ(0, ftruncate(m, 2 * size));
	EXPECT_EQ(0, ftruncate(m, size));

	/* The name and the file can be used again. */
	s = luo_create_session(self->luo_fd, "luo-test-unpreserve");
	ASSERT_LE(0, s);
	EXPECT_EQ(0, luo_preserve_fd(s, m, 1));
	t = luo_create_session(self->luo_fd, "luo-test-unpreserve-2");
	ASSERT_LE(0, t);
	EXPECT_EQ(-EBUSY, luo_preserve_fd(t, m, 1));
	close(t);
	close(s);
	EXPECT_EQ(0, luo_check_range(m, false, 13, 0, size, &bad));
	close(m);
}

TEST_F(liveupdate, preserve_empty_memfd)
{
	struct stat st;
	int s, m;

	s = luo_create_session(self->luo_fd, "luo-test-empty-memfd");
	ASSERT_LE(0, s);
	m = luo_memfd("luo-test-empty", MFD_CLOEXEC);
	ASSERT_LE(0, m);
	ASSERT_EQ(0, luo_preserve_fd(s, m, 1));
	ASSERT_EQ(0, fstat(m, &st));
	EXPECT_EQ(0, st.st_size);
	EXPECT_EQ(-EPERM, ftruncate(m, LUO_PAGE) ? -errno : 0);
	close(s);
	EXPECT_EQ(0, ftruncate(m, LUO_PAGE));
	close(m);
}

TEST_F(liveupdate, preserve_keeps_pos)
{
	const size_t len = 3 * LUO_PAGE + 100;
	uint8_t *buf = malloc(len), b;
	int s, m;

	ASSERT_NE(NULL, buf);
	m = luo_memfd("luo-test-pos", MFD_CLOEXEC);
	ASSERT_LE(0, m);
	luo_pattern(buf, 14, 0, len);
	ASSERT_EQ(len, write(m, buf, len));
	s = luo_create_session(self->luo_fd, "luo-test-pos");
	ASSERT_LE(0, s);
	ASSERT_EQ(0, luo_preserve_fd(s, m, 1));
	EXPECT_EQ(len, lseek(m, 0, SEEK_CUR));
	ASSERT_EQ(LUO_PAGE, lseek(m, LUO_PAGE, SEEK_SET));
	ASSERT_EQ(1, read(m, &b, 1));
	EXPECT_EQ(buf[LUO_PAGE], b);
	EXPECT_EQ(0, luo_check_range(m, false, 14, 0, len, NULL));
	close(s);
	EXPECT_EQ(LUO_PAGE + 1, lseek(m, 0, SEEK_CUR));
	close(m);
	free(buf);
}

/* Preserving changes neither the data, nor the holes, nor a mapping. */
TEST_F(liveupdate, preserve_keeps_contents)
{
	const uint64_t size = 256 * LUO_PAGE;
	uint64_t bad = 0;
	struct stat st1, st2;
	uint8_t *map;
	int s, m;

	m = luo_memfd("luo-test-contents", MFD_CLOEXEC);
	ASSERT_LE(0, m);
	ASSERT_EQ(0, ftruncate(m, size));
	/* Data in pages [0, 64) and [128, 129), holes elsewhere. */
	ASSERT_EQ(0, luo_write_pattern(m, 15, 0, 64 * LUO_PAGE));
	ASSERT_EQ(0, luo_write_pattern(m, 15, 128 * LUO_PAGE, LUO_PAGE));
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, m, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(luo_pattern_byte(15, 5), map[5]);
	ASSERT_EQ(0, fstat(m, &st1));

	s = luo_create_session(self->luo_fd, "luo-test-contents");
	ASSERT_LE(0, s);
	ASSERT_EQ(0, luo_preserve_fd(s, m, 1));
	ASSERT_EQ(0, fstat(m, &st2));
	EXPECT_EQ(st1.st_size, st2.st_size);
	EXPECT_EQ(st1.st_blocks, st2.st_blocks)
		TH_LOG("preserve filled holes: %lld -> %lld blocks",
		       (long long)st1.st_blocks, (long long)st2.st_blocks);
	EXPECT_EQ(64 * LUO_PAGE, lseek(m, 0, SEEK_HOLE));
	EXPECT_EQ(128 * LUO_PAGE, lseek(m, 64 * LUO_PAGE, SEEK_DATA));
	EXPECT_EQ(0, luo_check_range(m, false, 15, 0, 64 * LUO_PAGE, &bad))
		TH_LOG("differs at %#llx", (unsigned long long)bad);
	EXPECT_EQ(0, luo_check_range(m, true, 0, 64 * LUO_PAGE,
				     64 * LUO_PAGE, &bad));
	EXPECT_EQ(0, luo_check_range(m, false, 15, 128 * LUO_PAGE, LUO_PAGE,
				     &bad));
	EXPECT_EQ(0, luo_check_range(m, true, 0, 129 * LUO_PAGE,
				     size - 129 * LUO_PAGE, &bad));
	EXPECT_EQ(luo_pattern_byte(15, 5), map[5]);
	EXPECT_EQ(luo_pattern_byte(15, 128 * LUO_PAGE + 9),
		  map[128 * LUO_PAGE + 9]);
	close(s);
	EXPECT_EQ(0, luo_check_range(m, false, 15, 0, 64 * LUO_PAGE, &bad));
	munmap(map, size);
	close(m);
}

/* A preserved memfd keeps its size (EPERM) until its session is closed. */
TEST_F(liveupdate, preserved_size_frozen)
{
	const uint64_t size = 16 * LUO_PAGE;
	uint8_t *map, b = 0x5a;
	struct stat st;
	int s, m;

	m = pattern_memfd(size, 16);
	ASSERT_LE(0, m);
	s = luo_create_session(self->luo_fd, "luo-test-frozen");
	ASSERT_LE(0, s);
	ASSERT_EQ(0, luo_preserve_fd(s, m, 1));

	EXPECT_EQ(-EPERM, ftruncate(m, size + LUO_PAGE) ? -errno : 0);
	EXPECT_EQ(-EPERM, ftruncate(m, size - LUO_PAGE) ? -errno : 0);
	EXPECT_EQ(-EPERM, ftruncate(m, 0) ? -errno : 0);
	EXPECT_EQ(-EPERM, fallocate(m, 0, size, LUO_PAGE) ? -errno : 0);
	EXPECT_EQ(-EPERM, pwrite(m, &b, 1, size) < 0 ? -errno : 0);
	ASSERT_EQ(0, fstat(m, &st));
	EXPECT_EQ(size, st.st_size);

	/* Writes inside the file, by write() and by a mapping, go on. */
	EXPECT_EQ(1, pwrite(m, &b, 1, size - 1));
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
	ASSERT_NE(MAP_FAILED, map);
	map[0] = b;
	munmap(map, size);
	ASSERT_EQ(1, pread(m, &b, 1, 0));
	EXPECT_EQ(0x5a, b);

	close(s);
	EXPECT_EQ(0, ftruncate(m, size + LUO_PAGE));
	EXPECT_EQ(0, ftruncate(m, size - LUO_PAGE));
	close(m);
}

/* 10,000 sessions on one open /dev/liveupdate. */
TEST_F_TIMEOUT(liveupdate, scale_sessions, 600)
{
	enum { N = 10000 };
	char name[LIVEUPDATE_SESSION_NAME_LENGTH], got[sizeof(name)];
	int *fds = calloc(N, sizeof(int));
	int i, s;

	ASSERT_NE(NULL, fds);
	ASSERT_EQ(0, luo_raise_nofile(N + 256));
	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "luo-test-scale-%05d", i);
		fds[i] = luo_create_session(self->luo_fd, name);
		ASSERT_LE(0, fds[i]) TH_LOG("session %d: %s", i,
					    strerror(-fds[i]));
	}
	for (i = 0; i < N; i += 997) {
		snprintf(name, sizeof(name), "luo-test-scale-%05d", i);
		ASSERT_EQ(0, luo_get_name(fds[i], got));
		EXPECT_STREQ(name, got);
		EXPECT_EQ(-EEXIST, luo_create_session(self->luo_fd, name));
	}
	for (i = 0; i < N; i++)
		close(fds[i]);
	s = luo_create_session(self->luo_fd, "luo-test-scale-05000");
	EXPECT_LE(0, s);
	close(s);
	free(fds);
}

/*
 * 100,000 preserved files in all: 1,000 sessions of 100 memfds, and one
 * session of 2,000.  LUO keeps the files open, so ours are closed after
 * preserve except the first of each session, which is checked.
 */
TEST_F_TIMEOUT(liveupdate, scale_files, 1200)
{
	enum { SESSIONS = 1000, PER = 100, BIG = 2000 };
	int *ses = calloc(SESSIONS + 1, sizeof(int));
	int *first = calloc(SESSIONS + 1, sizeof(int));
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	int i, j, m, t, ret;
	long total = 0;

	ASSERT_NE(NULL, ses);
	ASSERT_NE(NULL, first);
	ASSERT_EQ(0, luo_raise_nofile(2 * SESSIONS + 1024));
	for (i = 0; i <= SESSIONS; i++) {
		int n = i < SESSIONS ? PER : BIG;

		snprintf(name, sizeof(name), "luo-test-files-%04d", i);
		ses[i] = luo_create_session(self->luo_fd, name);
		ASSERT_LE(0, ses[i]) TH_LOG("session %d: %s", i,
					    strerror(-ses[i]));
		for (j = 0; j < n; j++) {
			m = luo_memfd("luo-test-scale", MFD_CLOEXEC);
			ASSERT_LE(0, m) TH_LOG("memfd %ld: %s", total,
					       strerror(-m));
			/* Every 50th has a page of data. */
			if (!(j % 50))
				ASSERT_EQ(0, ftruncate(m, LUO_PAGE));
			ret = luo_preserve_fd(ses[i], m, j * 3 + 1);
			ASSERT_EQ(0, ret) TH_LOG("file %d of session %d (%ld in all): %s",
						 j, i, total, strerror(-ret));
			total++;
			if (j)
				close(m);
			else
				first[i] = m;
		}
	}
	EXPECT_EQ(SESSIONS * PER + BIG, total);
	TH_LOG("%ld files preserved in %d sessions", total, SESSIONS + 1);

	t = luo_create_session(self->luo_fd, "luo-test-files-check");
	ASSERT_LE(0, t);
	for (i = 0; i <= SESSIONS; i += 97)
		EXPECT_EQ(-EBUSY, luo_preserve_fd(t, first[i], i));
	EXPECT_EQ(-EEXIST, luo_preserve_fd(ses[SESSIONS], first[0],
					   (BIG - 1) * 3 + 1));
	for (i = 0; i <= SESSIONS; i++)
		close(ses[i]);
	/* All un-preserved. */
	for (i = 0; i <= SESSIONS; i += 97)
		EXPECT_EQ(0, luo_preserve_fd(t, first[i], i));
	close(t);
	for (i = 0; i <= SESSIONS; i++)
		close(first[i]);
	free(first);
	free(ses);
}

TEST_HARNESS_MAIN
