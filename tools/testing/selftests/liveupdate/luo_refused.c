// SPDX-License-Identifier: GPL-2.0
/*
 * A kexec refused by a file handler, and then the real one.
 *
 * Stage 1 preserves, in two sessions, a memfd and files of the test
 * handler of lib/test_liveupdate.c (/dev/liveupdate_test), makes the
 * freeze of one of them fail, loads a kernel with kexec_file_load(2) and
 * calls reboot(LINUX_REBOOT_CMD_KEXEC): it must fail with the handler's
 * errno, after the files before it were frozen and unfrozen again, last
 * first, and the files after it not frozen at all.  Two more refused
 * attempts (another errno, then a file of the second session).  After
 * each, everything must be as before: the sessions work, the memfd is
 * still preserved with its data.  Then the failure is cleared, the memfd
 * position and a test file's state are changed, and daemons keep the
 * sessions for the real kexec, which the caller does.  Stage 2 retrieves
 * everything and checks that what was carried over is the state at the
 * real kexec.
 *
 *   luo_refused [-k KERNEL] [-i INITRD] [-c CMDLINE]
 *
 * The kernel, initrd and command line default to $LUO_KERNEL, $LUO_INITRD
 * and $LUO_CMDLINE (else /proc/cmdline).  The refused attempts SKIP
 * without a kernel and initrd, or without the test device.  If the kexec
 * is not refused, the machine kexecs into the loaded kernel: the test then
 * never reports its end, which is a failure too.
 */
#include <linux/reboot.h>
#include <sys/reboot.h>

#include "../kselftest_harness.h"
#include "luo_test.h"

#define STATE_SESSION	"luo-refused-state"
#define SESSION_A	"luo-refused-a"
#define SESSION_B	"luo-refused-b"
#define STATE_MAGIC	"luo-refused-v1"
#define MEMFD_SIZE	(256 * LUO_PAGE)
#define MEMFD_SEED	0x7265667573656431ULL
#define POS1		777
#define POS2		4242
#define STATE0		0x1111222233334444ULL
#define STATE_FINAL	0xf1a1f1a1f1a1f1a1ULL

/* Files in preservation (= freeze) order: session a, then session b. */
enum { T1, M1, T2, T3, T4, NR_FILES };
static const struct {
	const char *session;
	uint64_t token;
	bool memfd;
} files[NR_FILES] = {
	[T1] = { SESSION_A, 1 },
	[M1] = { SESSION_A, 2, true },
	[T2] = { SESSION_A, 3 },
	[T3] = { SESSION_A, 4 },
	[T4] = { SESSION_B, 1 },
};

struct state {
	char magic[16];
	uint32_t stage;
	uint32_t attempts;		/* refused kexecs done */
	uint64_t extra_token;		/* preserved after the refusals */
};

static const char *kernel_path, *initrd_path, *cmdline;
static int luo_fd = -1, stage, in_state = -1;
static struct state in;

FIXTURE(refused) {
	int sa, sb, fd[NR_FILES];
};

FIXTURE_SETUP(refused)
{
	int i, ret;

	self->sa = -1;
	self->sb = -1;
	for (i = 0; i < NR_FILES; i++)
		self->fd[i] = -1;
	if (stage != 1)
		SKIP(return, "stage %d", stage);
	if (access(LUO_TEST_DEVICE, R_OK | W_OK))
		SKIP(return, "no %s (CONFIG_LIVEUPDATE_TEST)", LUO_TEST_DEVICE);
	if (!kernel_path || !initrd_path)
		SKIP(return, "no kernel and initrd to load (-k, -i)");
	self->sa = luo_create_session(luo_fd, SESSION_A);
	self->sb = luo_create_session(luo_fd, SESSION_B);
	ASSERT_LE(0, self->sa);
	ASSERT_LE(0, self->sb);
	for (i = 0; i < NR_FILES; i++) {
		int s = !strcmp(files[i].session, SESSION_A) ? self->sa : self->sb;

		if (files[i].memfd) {
			self->fd[i] = luo_memfd("luo-refused", MFD_CLOEXEC);
			ASSERT_LE(0, self->fd[i]);
			ASSERT_EQ(0, ftruncate(self->fd[i], MEMFD_SIZE));
			ASSERT_EQ(0, luo_write_pattern(self->fd[i], MEMFD_SEED,
						       0, MEMFD_SIZE));
			ASSERT_EQ(POS1, lseek(self->fd[i], POS1, SEEK_SET));
		} else {
			self->fd[i] = open(LUO_TEST_DEVICE, O_RDWR);
			ASSERT_LE(0, self->fd[i]);
			ASSERT_EQ(0, tdev_cmd(self->fd[i], "state=%#llx",
					      STATE0 + i));
		}
		ret = luo_preserve_fd(s, self->fd[i], files[i].token);
		ASSERT_EQ(0, ret) TH_LOG("file %d: %s", i, strerror(-ret));
	}
}

FIXTURE_TEARDOWN(refused)
{
}

static uint64_t get(const int *fd, int i, const char *key)
{
	return tdev_get(fd[i], key, UINT64_MAX);
}

static int try_kexec(void)
{
	int kfd, ifd, ret;

	kfd = open(kernel_path, O_RDONLY);
	ifd = open(initrd_path, O_RDONLY);
	if (kfd < 0 || ifd < 0)
		return -errno;
	ret = syscall(__NR_kexec_file_load, kfd, ifd, strlen(cmdline) + 1,
		      cmdline, 0UL);
	close(kfd);
	close(ifd);
	if (ret)
		return -errno;
	sync();
	ret = reboot(LINUX_REBOOT_CMD_KEXEC);
	return ret ? -errno : 0;
}

/* After a refused kexec: as before, still preserved, still working. */
static void check_intact(struct __test_metadata *_metadata, int sa, int sb,
			 const int *fd, int attempt)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	uint64_t bad = 0;
	struct stat st;
	int m, s, ret;

	ASSERT_EQ(0, luo_get_name(sa, name));
	EXPECT_STREQ(SESSION_A, name);
	ASSERT_EQ(0, luo_get_name(sb, name));
	EXPECT_STREQ(SESSION_B, name);
	EXPECT_EQ(0, luo_check_range(fd[M1], false, MEMFD_SEED, 0,
				     MEMFD_SIZE, &bad))
		TH_LOG("memfd differs at %#llx", (unsigned long long)bad);
	EXPECT_EQ(POS1, lseek(fd[M1], 0, SEEK_CUR));
	EXPECT_EQ(-EPERM, ftruncate(fd[M1], 2 * MEMFD_SIZE) ? -errno : 0)
		TH_LOG("the memfd is no longer preserved");
	ASSERT_EQ(0, fstat(fd[M1], &st));
	EXPECT_EQ(MEMFD_SIZE, st.st_size);
	EXPECT_EQ(-EBUSY, luo_preserve_fd(sb, fd[M1], 99));
	EXPECT_EQ(-EBUSY, luo_preserve_fd(sb, fd[T1], 99));
	/* The ioctls work again: new sessions, new files. */
	s = luo_create_session(luo_fd, "luo-refused-after");
	EXPECT_LE(0, s) TH_LOG("CREATE_SESSION after the refusal: %s",
			       strerror(-s));
	m = luo_memfd("luo-refused-extra", MFD_CLOEXEC);
	ASSERT_LE(0, m);
	ret = luo_preserve_fd(s, m, 1);
	EXPECT_EQ(0, ret) TH_LOG("PRESERVE_FD after the refusal: %s",
				 strerror(-ret));
	close(m);
	close(s);
	TH_LOG("attempt %d refused, everything intact", attempt);
}

TEST_F_TIMEOUT(refused, handler_refuses_kexec, 600)
{
	int ret, s, m, i, keep[3];

	/* T2 fails: T1 and M1 were frozen and are unfrozen, T3, T4 never. */
	ASSERT_EQ(0, tdev_cmd(self->fd[T2], "fail-freeze=%d", EPROTO));
	ret = try_kexec();
	ASSERT_EQ(-EPROTO, ret) TH_LOG("reboot(KEXEC): %s", strerror(-ret));
	EXPECT_EQ(1, get(self->fd, T1, "freezes"));
	EXPECT_EQ(1, get(self->fd, T1, "unfreezes"));
	EXPECT_EQ(1, get(self->fd, T2, "freezes"));
	EXPECT_EQ(0, get(self->fd, T2, "unfreezes"));
	EXPECT_EQ(0, get(self->fd, T3, "freezes"));
	EXPECT_EQ(0, get(self->fd, T4, "freezes"));
	EXPECT_LT(get(self->fd, T1, "freeze_seq"), get(self->fd, T2, "freeze_seq"));
	EXPECT_LT(get(self->fd, T2, "freeze_seq"), get(self->fd, T1, "unfreeze_seq"));
	check_intact(_metadata, self->sa, self->sb, self->fd, 1);

	/* The default errno, EAGAIN. */
	ASSERT_EQ(0, tdev_cmd(self->fd[T2], "fail-freeze"));
	ret = try_kexec();
	ASSERT_EQ(-EAGAIN, ret) TH_LOG("reboot(KEXEC): %s", strerror(-ret));
	EXPECT_EQ(2, get(self->fd, T1, "unfreezes"));
	check_intact(_metadata, self->sa, self->sb, self->fd, 2);

	/* A file of the second session: all of the first is undone. */
	ASSERT_EQ(0, tdev_cmd(self->fd[T2], "fail-freeze=0"));
	ASSERT_EQ(0, tdev_cmd(self->fd[T4], "fail-freeze=%d", EXDEV));
	ret = try_kexec();
	ASSERT_EQ(-EXDEV, ret) TH_LOG("reboot(KEXEC): %s", strerror(-ret));
	EXPECT_EQ(3, get(self->fd, T1, "freezes"));
	EXPECT_EQ(3, get(self->fd, T1, "unfreezes"));
	EXPECT_EQ(3, get(self->fd, T2, "freezes"));
	EXPECT_EQ(1, get(self->fd, T2, "unfreezes"));
	EXPECT_EQ(1, get(self->fd, T3, "freezes"));
	EXPECT_EQ(1, get(self->fd, T3, "unfreezes"));
	EXPECT_EQ(1, get(self->fd, T4, "freezes"));
	EXPECT_EQ(0, get(self->fd, T4, "unfreezes"));
	/* Unfrozen last first. */
	EXPECT_LT(get(self->fd, T3, "unfreeze_seq"), get(self->fd, T2, "unfreeze_seq"));
	EXPECT_LT(get(self->fd, T2, "unfreeze_seq"), get(self->fd, T1, "unfreeze_seq"));
	for (i = 0; i < NR_FILES; i++)
		if (!files[i].memfd)
			EXPECT_EQ(1, get(self->fd, i, "preserved"));
	check_intact(_metadata, self->sa, self->sb, self->fd, 3);

	/* The real kexec takes the state as it is then. */
	ASSERT_EQ(0, tdev_cmd(self->fd[T4], "fail-freeze=0"));
	ASSERT_EQ(0, tdev_cmd(self->fd[T1], "state=%#llx", STATE_FINAL));
	ASSERT_EQ(POS2, lseek(self->fd[M1], POS2, SEEK_SET));
	m = luo_memfd("luo-refused-late", MFD_CLOEXEC);
	ASSERT_LE(0, m);
	ASSERT_EQ(0, luo_preserve_fd(self->sb, m, 77));
	close(m);

	s = luo_create_session(luo_fd, STATE_SESSION);
	ASSERT_LE(0, s);
	m = luo_memfd("luo-refused-state", MFD_CLOEXEC);
	ASSERT_LE(0, m);
	memcpy(in.magic, STATE_MAGIC, sizeof(STATE_MAGIC));
	in.stage = 1;
	in.attempts = 3;
	in.extra_token = 77;
	ASSERT_EQ(sizeof(in), pwrite(m, &in, sizeof(in), 0));
	ASSERT_EQ(0, luo_preserve_fd(s, m, 0));
	close(m);
	keep[0] = self->sa;
	keep[1] = self->sb;
	keep[2] = s;
	ASSERT_LT(0, luo_daemonize(keep, 3));
	close(s);
	TH_LOG("three kexecs refused; kexec now, then run this again");
}

/* Stage 2: what the real kexec carried over. */
TEST(carried_over)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	int sa, sb, fd, i;
	uint64_t bad = 0;

	if (stage != 2)
		SKIP(return, "stage %d", stage);
	EXPECT_EQ(3, in.attempts);
	sa = luo_retrieve_session(luo_fd, SESSION_A);
	sb = luo_retrieve_session(luo_fd, SESSION_B);
	ASSERT_LE(0, sa) TH_LOG("%s", strerror(-sa));
	ASSERT_LE(0, sb) TH_LOG("%s", strerror(-sb));
	ASSERT_EQ(0, luo_get_name(sa, name));
	EXPECT_STREQ(SESSION_A, name);
	/* The sessions made to check the ioctls were closed: gone. */
	EXPECT_EQ(-ENOENT, luo_retrieve_session(luo_fd, "luo-refused-after"));
	for (i = 0; i < NR_FILES; i++) {
		fd = luo_retrieve_fd(!strcmp(files[i].session, SESSION_A) ? sa : sb,
				     files[i].token);
		ASSERT_LE(0, fd) TH_LOG("file %d: %s", i, strerror(-fd));
		if (files[i].memfd) {
			EXPECT_EQ(POS2, lseek(fd, 0, SEEK_CUR));
			EXPECT_EQ(0, luo_check_range(fd, false, MEMFD_SEED, 0,
						     MEMFD_SIZE, &bad))
				TH_LOG("differs at %#llx",
				       (unsigned long long)bad);
		} else {
			EXPECT_EQ(i == T1 ? STATE_FINAL : STATE0 + i,
				  tdev_get(fd, "state", 0)) TH_LOG("file %d", i);
			EXPECT_EQ(1, tdev_get(fd, "retrieved", 0));
		}
		close(fd);
	}
	fd = luo_retrieve_fd(sb, in.extra_token);
	EXPECT_LE(0, fd) TH_LOG("the memfd preserved after the refusals: %s",
				strerror(-fd));
	close(fd);
	EXPECT_EQ(0, luo_finish(sa));
	EXPECT_EQ(0, luo_finish(sb));
	close(sa);
	close(sb);
}

int main(int argc, char **argv)
{
	static char *hargv[2];
	static char buf[4096];
	int opt, fd, s;
	ssize_t n;

	kernel_path = getenv("LUO_KERNEL");
	initrd_path = getenv("LUO_INITRD");
	cmdline = getenv("LUO_CMDLINE");
	while ((opt = getopt(argc, argv, "k:i:c:")) != -1) {
		switch (opt) {
		case 'k':
			kernel_path = optarg;
			break;
		case 'i':
			initrd_path = optarg;
			break;
		case 'c':
			cmdline = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-k KERNEL] [-i INITRD] [-c CMDLINE]\n",
				argv[0]);
			return 2;
		}
	}
	optind = 1;
	if (!cmdline) {
		fd = open("/proc/cmdline", O_RDONLY);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		cmdline = buf;
		if (fd >= 0)
			close(fd);
	}
	luo_fd = luo_open_or_exit();
	stage = 1;
	s = luo_retrieve_session(luo_fd, STATE_SESSION);
	if (s != -ENOENT) {
		fd = s < 0 ? s : luo_retrieve_fd(s, 0);
		if (fd < 0 || pread(fd, &in, sizeof(in), 0) != sizeof(in) ||
		    memcmp(in.magic, STATE_MAGIC, sizeof(STATE_MAGIC))) {
			ksft_print_header();
			ksft_exit_fail_msg("bad state session %s\n",
					   STATE_SESSION);
		}
		stage = in.stage + 1;
		close(fd);
		in_state = s;
	}
	hargv[0] = argv[0];
	return test_harness_run(1, hargv);
}
