// SPDX-License-Identifier: GPL-2.0
/*
 * Memfds kept across two kexecs by the Live Update Orchestrator.
 *
 * Run it, kexec, run it again, kexec, run it a third time.  It learns its
 * stage from a state session it leaves behind ("luo-selftest-state", a
 * memfd under token 0 holding what the next stage must find): ENOENT on
 * RETRIEVE_SESSION means stage 1.
 *
 * Stage 1 preserves memfds with patterns, holes, a 2 MiB range (one large
 * folio if shmem uses them: --thp asks it to), seals, a file position,
 * status flags, extreme tokens; a session whose files are not retrieved;
 * an empty session; and, with lib/test_liveupdate.c, files of the test
 * handler (a state that freeze must capture, one whose claim fails, one
 * whose handler is missing in the next kernel).  It records the PFN of
 * every data page from /proc/self/pagemap, leaves daemons holding the
 * session fds and exits for the caller to kexec.
 *
 * Stage 2 retrieves everything and checks it byte for byte, at the same
 * physical pages, with the same seals, position and flags; checks the
 * errnos of the incoming side; finishes every session and checks that the
 * memory of unretrieved files comes back zeroed; then preserves one memfd
 * again, writes more into it and leaves it for stage 3, which checks it;
 * a session stage 2 never retrieves must be gone in stage 3, its memory
 * zeroed.  With --scale, 10,000 sessions of 10 memfds go across too.
 *
 * Run as root (pagemap PFNs, the test device).  KTAP output; the tests of
 * the other stages are not listed.
 */
#include <sys/wait.h>
#include <time.h>
#include <linux/kcmp.h>

#include "../kselftest_harness.h"
#include "luo_test.h"

#define STATE_SESSION	"luo-selftest-state"
#define STATE_MAGIC	"luo-kexec-v1"
#define THP_SHMEM	"/sys/kernel/mm/transparent_hugepage/shmem_enabled"
#define ORPHAN_PARAM	"/sys/module/test_liveupdate/parameters/orphan_handler"
#define MAX_PFNS	32768
#define MAX_RUNS	16
#define PAGE		LUO_PAGE
#define FL_MASK		(O_ACCMODE | O_APPEND | O_NONBLOCK | O_NOATIME | O_DIRECT)

#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC	0x0020
#endif

enum {
	S_DATA, S_UNRETRIEVED, S_EMPTY, S_TESTDEV, S_STAGE3, S_FORGOTTEN,
	NR_SESSIONS,
};

static const char *const session_names[NR_SESSIONS] = {
	[S_DATA] = "luo-kexec-data",
	[S_UNRETRIEVED] = "luo-kexec-unretrieved",
	[S_EMPTY] = "luo-kexec-empty",
	[S_TESTDEV] = "luo-kexec-testdev",
	[S_STAGE3] = "luo-kexec-stage3",
	[S_FORGOTTEN] = "luo-kexec-forgotten",
};

struct extent {
	uint32_t first, npages;
};

/* One memfd of stage 1. */
struct mspec {
	const char *what;
	int session;
	uint64_t token;
	uint64_t size;
	struct extent data[5];		/* written before preserve */
	struct extent late;		/* written after preserve */
	struct extent stage2[2];	/* written by stage 2 (big only) */
	unsigned int mfd_flags;
	unsigned int seals;
	int fl;				/* F_SETFL status flags */
	bool via_write;			/* write(): leaves the position */
	bool via_mmap;			/* through a shared mapping */
	bool no_retrieve;
};

enum { BIG, SEALED, POS, EMPTY, TOKEN0, TOKENMAX, APPEND, MMAPPED,
	UNR_BIG, UNR_SMALL, FORGOT, NR_SPECS };

static const struct mspec specs[NR_SPECS] = {
	[BIG] = { "big", S_DATA, 1, 2048 * PAGE,
		  { { 0, 300 }, { 512, 512 }, { 1500, 1 }, { 2000, 48 } },
		  { 1200, 20 }, { { 0, 2 }, { 1300, 10 } },
		  MFD_ALLOW_SEALING, 0 },
	[SEALED] = { "sealed", S_DATA, 2, 256 * PAGE, { { 0, 256 } },
		     .mfd_flags = MFD_ALLOW_SEALING,
		     .seals = F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW },
	[POS] = { "pos", S_DATA, 3, 3 * PAGE + 123, { { 0, 4 } },
		  .via_write = true },
	[EMPTY] = { "empty", S_DATA, 4, 0 },
	[TOKEN0] = { "token0", S_DATA, 0, PAGE, { { 0, 1 } } },
	[TOKENMAX] = { "tokenmax", S_DATA, UINT64_MAX, 5000, { { 0, 2 } } },
	[APPEND] = { "append", S_DATA, 5, 2 * PAGE, { { 0, 2 } },
		     .fl = O_APPEND },
	[MMAPPED] = { "mmapped", S_DATA, 6, 96 * PAGE, { { 0, 64 } },
		      .mfd_flags = MFD_ALLOW_SEALING, .via_mmap = true,
		      .seals = F_SEAL_FUTURE_WRITE | F_SEAL_EXEC | F_SEAL_SEAL },
	[UNR_BIG] = { "unretrieved-64M", S_UNRETRIEVED, 1, 16384 * PAGE,
		      { { 0, 16384 } }, .no_retrieve = true },
	[UNR_SMALL] = { "unretrieved-small", S_UNRETRIEVED, 2, 3 * PAGE,
			{ { 0, 3 } }, .no_retrieve = true },
	[FORGOT] = { "forgotten", S_FORGOTTEN, 1, 256 * PAGE, { { 0, 256 } },
		     .no_retrieve = true },
};

/* The test handler's files of stage 1 (lib/test_liveupdate.c). */
enum { T_STATE, T_UNRETRIEVED, T_BADSTATE, T_ORPHAN, NR_TFILES };
#define TDEV_STATE	0x5eed0000cafe0001ULL
#define TDEV_MAGIC	0x3154534554554f4cULL	/* "LUOTEST1" */

/* What one memfd looked like when the kexec came. */
struct frec {
	uint64_t size, pos, blocks;
	uint32_t seals, fl;
	uint32_t nruns, pad;
	uint64_t runs[MAX_RUNS][2];	/* [SEEK_DATA, SEEK_HOLE) */
};

struct state {
	char magic[16];
	uint32_t stage;			/* the stage that wrote it */
	uint32_t thp;			/* shmem_enabled=always was set */
	uint32_t root;			/* PFNs recorded */
	uint32_t tdev;			/* the test handler's files exist */
	uint32_t scale;			/* the --scale sessions exist */
	struct frec f[NR_SPECS];
	uint64_t tdev_pfn[NR_TFILES];
	uint64_t pfns[MAX_PFNS];
};

static int luo_fd = -1;
static int stage;
static bool want_thp, want_scale;
static struct state in;			/* what the previous stage left */
static struct state *out;		/* what this stage leaves (shared) */
static int in_ses[NR_SESSIONS];		/* incoming sessions, or -errno */

static uint64_t spec_seed(int i, int gen)
{
	return luo_mix(0xc0ffee00ULL + i * 0x101 + gen * 0x10000);
}

static uint64_t spec_npages(int i)
{
	return (specs[i].size + PAGE - 1) / PAGE;
}

static uint64_t pfn_first(int i)
{
	uint64_t n = 0;
	int j;

	for (j = 0; j < i; j++)
		n += spec_npages(j);
	return n;
}

static bool in_extent(const struct extent *e, uint64_t p)
{
	return e->npages && p >= e->first && p < e->first + e->npages;
}

/* Does page @p of file @i hold data, and of which seed? */
static bool page_data(int i, uint64_t p, bool after_stage2, uint64_t *seed)
{
	const struct mspec *m = &specs[i];
	int j;

	if (after_stage2)
		for (j = 0; j < 2; j++)
			if (in_extent(&m->stage2[j], p)) {
				*seed = spec_seed(i, 2);
				return true;
			}
	*seed = spec_seed(i, 1);
	for (j = 0; j < 5; j++)
		if (in_extent(&m->data[j], p))
			return true;
	return in_extent(&m->late, p);
}

/*
 * Was page @p of file @i added after preserve (written into a hole)?  Its
 * folio is taken by freeze, which may have to move it out of memory KHO
 * cannot hand over (its scratch areas): its PFN before the kexec is not
 * final, so only its content is checked.
 */
static bool page_late(int i, uint64_t p, bool after_stage2)
{
	const struct mspec *m = &specs[i];
	uint64_t seed;
	int j;

	if (after_stage2) {
		for (j = 0; j < 2; j++)
			if (in_extent(&m->stage2[j], p))
				return !page_data(i, p, false, &seed);
		return false;
	}
	for (j = 0; j < 5; j++)
		if (in_extent(&m->data[j], p))
			return false;
	return in_extent(&m->late, p);
}

static uint64_t page_len(int i, uint64_t p)
{
	uint64_t left = specs[i].size - p * PAGE;

	return left < PAGE ? left : PAGE;
}

static int write_extent(int fd, int i, const struct extent *e, uint64_t seed,
			uint8_t *map)
{
	uint64_t off = e->first * PAGE, len = e->npages * PAGE;

	if (off >= specs[i].size)
		return 0;
	if (len > specs[i].size - off)
		len = specs[i].size - off;
	if (map) {
		luo_pattern(map + off, seed, off, len);
		return 0;
	}
	if (specs[i].via_write) {
		static uint8_t buf[1 << 16];

		while (len) {
			size_t n = len < sizeof(buf) ? len : sizeof(buf);

			luo_pattern(buf, seed, off, n);
			if (write(fd, buf, n) != (ssize_t)n)
				return -EIO;
			off += n;
			len -= n;
		}
		return 0;
	}
	return luo_write_pattern(fd, seed, off, len);
}

/* Stage 1: memfd @i as its spec says, before preserve. */
static int make_memfd(int i)
{
	const struct mspec *m = &specs[i];
	uint8_t *map = NULL;
	int fd, j, ret = 0;

	fd = luo_memfd(m->what, MFD_CLOEXEC | m->mfd_flags);
	if (fd < 0)
		return fd;
	if (ftruncate(fd, m->size))
		goto fail;
	if (m->via_mmap) {
		map = mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, 0);
		if (map == MAP_FAILED)
			goto fail;
	}
	for (j = 0; j < 5 && !ret; j++)
		ret = write_extent(fd, i, &m->data[j], spec_seed(i, 1), map);
	if (map)
		munmap(map, m->size);
	if (ret)
		goto fail;
	if (m->fl && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | m->fl))
		goto fail;
	if (m->seals && fcntl(fd, F_ADD_SEALS, m->seals))
		goto fail;
	return fd;
fail:
	ret = -errno;
	close(fd);
	return ret ? ret : -EIO;
}

/* Size, position, blocks, seals, flags and data runs of @fd. */
static int record(int fd, struct frec *r)
{
	off_t pos = lseek(fd, 0, SEEK_CUR), o = 0, h;
	struct stat st;

	memset(r, 0, sizeof(*r));
	if (pos < 0 || fstat(fd, &st))
		return -errno;
	r->size = st.st_size;
	r->pos = pos;
	r->blocks = st.st_blocks;
	r->seals = fcntl(fd, F_GET_SEALS);
	r->fl = fcntl(fd, F_GETFL) & FL_MASK;
	while (r->nruns < MAX_RUNS) {
		o = lseek(fd, o, SEEK_DATA);
		if (o < 0)
			break;
		h = lseek(fd, o, SEEK_HOLE);
		if (h < 0)
			break;
		r->runs[r->nruns][0] = o;
		r->runs[r->nruns][1] = h;
		r->nruns++;
		o = h;
	}
	if (lseek(fd, pos, SEEK_SET) != pos)
		return -errno;
	return 0;
}

/* The PFNs of the data pages of file @i into @pfns (0 for the others). */
static int data_pfns(int fd, int i, bool after_stage2, uint64_t *pfns)
{
	uint64_t n = spec_npages(i), p, seed;
	uint8_t *map;
	int ret;

	memset(pfns, 0, n * sizeof(*pfns));
	if (!n)
		return 0;
	map = mmap(NULL, specs[i].size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	/* Fault in the data pages only: a read fault would fill a hole. */
	for (p = 0; p < n; p++)
		if (page_data(i, p, after_stage2, &seed))
			(void)__atomic_load_n(&map[p * PAGE], __ATOMIC_RELAXED);
	ret = luo_pagemap(map, n, pfns);
	for (p = 0; p < n; p++)
		if (!page_data(i, p, after_stage2, &seed))
			pfns[p] = 0;
	munmap(map, specs[i].size);
	return ret;
}

/* Content of file @i: 0 if right, else the 1-based offset of a bad byte. */
static uint64_t check_content(int fd, int i, bool after_stage2)
{
	uint64_t p, seed, bad = 0;

	for (p = 0; p < spec_npages(i); p++) {
		bool data = page_data(i, p, after_stage2, &seed);
		int ret = luo_check_range(fd, !data, seed, p * PAGE,
					  page_len(i, p), &bad);

		if (ret)
			return ret < 0 ? p * PAGE + 1 : bad + 1;
	}
	return 0;
}

static int keep_in_daemon(struct __test_metadata *_metadata, int fd)
{
	pid_t pid = luo_daemonize(&fd, 1);

	if (pid < 0)
		TH_LOG("fork: %s", strerror(-pid));
	return pid;
}

/* Stage 1: the memfds of @session, preserved and recorded. */
static void preserve_session(struct __test_metadata *_metadata, int session)
{
	int s, fds[NR_SPECS], i, ret;

	s = luo_create_session(luo_fd, session_names[session]);
	ASSERT_LE(0, s) TH_LOG("CREATE_SESSION %s: %s",
			       session_names[session], strerror(-s));
	for (i = 0; i < NR_SPECS; i++) {
		fds[i] = -1;
		if (specs[i].session != session)
			continue;
		fds[i] = make_memfd(i);
		ASSERT_LE(0, fds[i]) TH_LOG("memfd %s: %s", specs[i].what,
					    strerror(-fds[i]));
		ret = luo_preserve_fd(s, fds[i], specs[i].token);
		ASSERT_EQ(0, ret) TH_LOG("PRESERVE_FD %s: %s", specs[i].what,
					 strerror(-ret));
	}
	/* Pages added after preserve belong to the file at the kexec too. */
	for (i = 0; i < NR_SPECS; i++)
		if (fds[i] >= 0 && specs[i].late.npages)
			ASSERT_EQ(0, write_extent(fds[i], i, &specs[i].late,
						  spec_seed(i, 1), NULL));
	for (i = 0; i < NR_SPECS; i++) {
		uint64_t *pfns = out->pfns + pfn_first(i), p, n = 0;

		if (fds[i] < 0)
			continue;
		ASSERT_EQ(0, record(fds[i], &out->f[i]));
		ASSERT_EQ(0, data_pfns(fds[i], i, false, pfns));
		for (p = 0; p < spec_npages(i); p++)
			n += !!pfns[p];
		ksft_print_msg("%s: token %#llx, %llu bytes, %llu blocks, %u runs, %llu PFNs\n",
			       specs[i].what,
			       (unsigned long long)specs[i].token,
			       (unsigned long long)out->f[i].size,
			       (unsigned long long)out->f[i].blocks,
			       out->f[i].nruns, (unsigned long long)n);
		if (out->root && i == BIG) {
			bool pmd = !(pfns[512] % 512);

			for (p = 513; p < 1024; p++)
				pmd = pmd && pfns[p] == pfns[512] + p - 512;
			ksft_print_msg("big: the 2 MiB range at 2 MiB is %s\n",
				       pmd ? "one PMD-size folio" :
				       "not physically contiguous");
		}
		close(fds[i]);
	}
	ASSERT_LT(0, keep_in_daemon(_metadata, s));
	close(s);
}

/*
 * --scale: 10,000 sessions of 10 memfds each, 100,000 files, across the
 * kexec.  Every fifth file has a page of data.  Its fixture comes first, so
 * that stage1.state records it.
 */
#define SCALE_SESSIONS	10000
#define SCALE_FILES	10

static uint64_t scale_seed(int i, int j)
{
	return luo_mix(0x5ca1e000000ULL + i * SCALE_FILES + j);
}

FIXTURE(scale1) {
	int unused;
};

FIXTURE_SETUP(scale1)
{
}

FIXTURE_TEARDOWN(scale1)
{
}

TEST_F_TIMEOUT(scale1, sessions_and_files, 1200)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	int *s = calloc(SCALE_SESSIONS, sizeof(int));
	int i, j, m, ret;

	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, luo_raise_nofile(SCALE_SESSIONS + 256));
	for (i = 0; i < SCALE_SESSIONS; i++) {
		snprintf(name, sizeof(name), "luo-scale-%05d", i);
		s[i] = luo_create_session(luo_fd, name);
		ASSERT_LE(0, s[i]) TH_LOG("%s: %s", name, strerror(-s[i]));
		for (j = 0; j < SCALE_FILES; j++) {
			m = luo_memfd("luo-scale", MFD_CLOEXEC);
			ASSERT_LE(0, m);
			if (!(j % 5)) {
				ASSERT_EQ(0, ftruncate(m, PAGE));
				ASSERT_EQ(0, luo_write_pattern(m, scale_seed(i, j), 0, PAGE));
			}
			ret = luo_preserve_fd(s[i], m, j);
			ASSERT_EQ(0, ret) TH_LOG("%s file %d: %s", name, j, strerror(-ret));
			close(m);
		}
	}
	ASSERT_LT(0, luo_daemonize(s, SCALE_SESSIONS));
	for (i = 0; i < SCALE_SESSIONS; i++)
		close(s[i]);
	free(s);
	out->scale = 1;
	ksft_print_msg("%d sessions, %d files preserved\n", SCALE_SESSIONS,
		       SCALE_SESSIONS * SCALE_FILES);
}

FIXTURE(scale2) {
	int unused;
};

FIXTURE_SETUP(scale2)
{
}

FIXTURE_TEARDOWN(scale2)
{
}

TEST_F_TIMEOUT(scale2, retrieve_all, 1200)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	uint64_t bad, t0 = 0;
	struct timespec ts;
	int i, j, s, fd, ret;
	struct stat st;

	if (!in.scale)
		SKIP(return, "stage 1 ran without --scale");
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
	for (i = 0; i < SCALE_SESSIONS; i++) {
		snprintf(name, sizeof(name), "luo-scale-%05d", i);
		s = luo_retrieve_session(luo_fd, name);
		ASSERT_LE(0, s) TH_LOG("%s: %s", name, strerror(-s));
		for (j = 0; j < SCALE_FILES; j++) {
			fd = luo_retrieve_fd(s, j);
			ASSERT_LE(0, fd) TH_LOG("%s file %d: %s", name, j, strerror(-fd));
			ASSERT_EQ(0, fstat(fd, &st));
			ASSERT_EQ(j % 5 ? 0 : PAGE, st.st_size);
			if (!(j % 5))
				ASSERT_EQ(0, luo_check_range(fd, false, scale_seed(i, j), 0,
							     PAGE, &bad))
					TH_LOG("%s file %d: byte %llu", name, j,
					       (unsigned long long)bad);
			close(fd);
		}
		EXPECT_EQ(-ENOENT, luo_retrieve_fd(s, SCALE_FILES));
		ret = luo_finish(s);
		ASSERT_EQ(0, ret) TH_LOG("%s: FINISH: %s", name, strerror(-ret));
		close(s);
	}
	EXPECT_EQ(-ENOENT, luo_retrieve_session(luo_fd, "luo-scale-10000"));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ksft_print_msg("%d sessions, %d files retrieved, checked and finished in %llu ms\n",
		       SCALE_SESSIONS, SCALE_SESSIONS * SCALE_FILES,
		       (unsigned long long)(ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000 - t0));
}

FIXTURE(stage1) {
	int unused;
};

FIXTURE_SETUP(stage1)
{
}

FIXTURE_TEARDOWN(stage1)
{
}

TEST_F_TIMEOUT(stage1, data_session, 300)
{
	preserve_session(_metadata, S_DATA);
}

TEST_F_TIMEOUT(stage1, unretrieved, 300)
{
	preserve_session(_metadata, S_UNRETRIEVED);
}

/* Never retrieved by stage 2: finished at its kexec, zeroed. */
TEST_F(stage1, forgotten_session)
{
	preserve_session(_metadata, S_FORGOTTEN);
}

TEST_F(stage1, empty)
{
	int s = luo_create_session(luo_fd, session_names[S_EMPTY]);

	ASSERT_LE(0, s);
	ASSERT_LT(0, keep_in_daemon(_metadata, s));
	close(s);
}

TEST_F(stage1, testdev)
{
	int s, t[NR_TFILES], i, ret;

	t[0] = open(LUO_TEST_DEVICE, O_RDWR);
	if (t[0] < 0)
		SKIP(return, "no %s (CONFIG_LIVEUPDATE_TEST)", LUO_TEST_DEVICE);
	for (i = 1; i < NR_TFILES; i++) {
		t[i] = open(LUO_TEST_DEVICE, O_RDWR);
		ASSERT_LE(0, t[i]);
	}
	ASSERT_EQ(0, tdev_cmd(t[T_UNRETRIEVED], "state=%#llx",
			      TDEV_STATE + T_UNRETRIEVED));
	ASSERT_EQ(0, tdev_cmd(t[T_BADSTATE], "bad-state"));
	ASSERT_EQ(0, tdev_cmd(t[T_ORPHAN], "handler=orphan"));
	s = luo_create_session(luo_fd, session_names[S_TESTDEV]);
	ASSERT_LE(0, s);
	for (i = 0; i < NR_TFILES; i++) {
		ret = luo_preserve_fd(s, t[i], i + 1);
		ASSERT_EQ(0, ret) TH_LOG("test file %d: %s", i, strerror(-ret));
		out->tdev_pfn[i] = tdev_get(t[i], "pfn", 0);
		EXPECT_NE(0, out->tdev_pfn[i]);
	}
	/* Set after preserve: freeze takes the state at the kexec. */
	ASSERT_EQ(0, tdev_cmd(t[T_STATE], "state=%#llx", TDEV_STATE));
	EXPECT_EQ(0, tdev_get(t[T_STATE], "freezes", 1));
	out->tdev = 1;
	ASSERT_LT(0, keep_in_daemon(_metadata, s));
	for (i = 0; i < NR_TFILES; i++)
		close(t[i]);
	close(s);
}

/* Last: what stage 2 must find. */
TEST_F(stage1, state)
{
	int s, m, ret;

	memcpy(out->magic, STATE_MAGIC, sizeof(STATE_MAGIC));
	out->stage = 1;
	m = luo_memfd("luo-selftest-state", MFD_CLOEXEC);
	ASSERT_LE(0, m);
	ASSERT_EQ(sizeof(*out), pwrite(m, out, sizeof(*out), 0));
	s = luo_create_session(luo_fd, STATE_SESSION);
	ASSERT_LE(0, s) TH_LOG("%s: %s", STATE_SESSION, strerror(-s));
	ret = luo_preserve_fd(s, m, 0);
	ASSERT_EQ(0, ret) TH_LOG("%s", strerror(-ret));
	ASSERT_LT(0, keep_in_daemon(_metadata, s));
	close(s);
	close(m);
	ksft_print_msg("stage 1 done: kexec now, then run this again\n");
}

/* Stage 2. */

FIXTURE(stage2) {
	int unused;
};

FIXTURE_SETUP(stage2)
{
}

FIXTURE_TEARDOWN(stage2)
{
}

TEST_F(stage2, state)
{
	EXPECT_EQ(0, memcmp(in.magic, STATE_MAGIC, sizeof(STATE_MAGIC)));
	EXPECT_EQ(1, in.stage);
	if (!in.root)
		ksft_print_msg("stage 1 ran without CAP_SYS_ADMIN: no PFNs\n");
}

TEST_F(stage2, sessions)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	int i;

	for (i = S_DATA; i <= S_TESTDEV; i++) {
		if (i == S_TESTDEV && !in.tdev) {
			EXPECT_EQ(-ENOENT, in_ses[i]);
			continue;
		}
		ASSERT_LE(0, in_ses[i]) TH_LOG("RETRIEVE_SESSION %s: %s",
					       session_names[i],
					       strerror(-in_ses[i]));
		EXPECT_TRUE(fd_cloexec(in_ses[i]));
		ASSERT_EQ(0, luo_get_name(in_ses[i], name));
		EXPECT_STREQ(session_names[i], name);
		/* Once only. */
		EXPECT_EQ(-EINVAL, luo_retrieve_session(luo_fd,
							session_names[i]));
	}
	EXPECT_EQ(-ENOENT, luo_retrieve_session(luo_fd, "luo-kexec-absent"));
	EXPECT_EQ(-ENOENT, luo_retrieve_session(luo_fd,
						session_names[S_STAGE3]));
}

TEST_F(stage2, incoming_gates)
{
	int m, s, s2, ret;

	ASSERT_LE(0, in_ses[S_DATA]);
	m = luo_memfd("luo-gate", MFD_CLOEXEC);
	ASSERT_LE(0, m);
	/* An incoming session takes no new files. */
	EXPECT_EQ(-EINVAL, luo_preserve_fd(in_ses[S_DATA], m, 99));
	EXPECT_EQ(-EINVAL, luo_preserve_fd(in_ses[S_EMPTY], m, 99));
	/* Its name does not conflict with an outgoing session's. */
	s = luo_create_session(luo_fd, session_names[S_DATA]);
	EXPECT_LE(0, s) TH_LOG("CREATE_SESSION with an incoming name: %s",
			       strerror(-s));
	s2 = luo_create_session(luo_fd, session_names[S_DATA]);
	EXPECT_EQ(-EEXIST, s2);
	ret = luo_preserve_fd(s, m, 1);
	EXPECT_EQ(0, ret);
	close(s);
	close(m);
}

TEST_F(stage2, contents)
{
	uint64_t bad;
	struct stat st;
	int i, fd;

	ASSERT_LE(0, in_ses[S_DATA]);
	for (i = 0; i < NR_SPECS; i++) {
		if (specs[i].session != S_DATA)
			continue;
		fd = luo_retrieve_fd(in_ses[S_DATA], specs[i].token);
		ASSERT_LE(0, fd) TH_LOG("RETRIEVE_FD %s: %s", specs[i].what,
					strerror(-fd));
		EXPECT_TRUE(fd_cloexec(fd));
		ASSERT_EQ(0, fstat(fd, &st));
		EXPECT_TRUE(S_ISREG(st.st_mode));
		EXPECT_EQ(specs[i].size, st.st_size) TH_LOG("%s", specs[i].what);
		EXPECT_EQ(in.f[i].size, st.st_size);
		bad = check_content(fd, i, false);
		EXPECT_EQ(0, bad) TH_LOG("%s: byte %#llx differs (or a read failed there)",
					 specs[i].what,
					 (unsigned long long)bad - 1);
		close(fd);
	}
}

/* Holes stay holes: the same data runs and blocks as at the kexec. */
TEST_F(stage2, holes)
{
	struct frec r;
	unsigned int j;
	int i, fd;

	ASSERT_LE(0, in_ses[S_DATA]);
	for (i = 0; i < NR_SPECS; i++) {
		if (specs[i].session != S_DATA)
			continue;
		fd = luo_retrieve_fd(in_ses[S_DATA], specs[i].token);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, record(fd, &r));
		EXPECT_EQ(in.f[i].blocks, r.blocks)
			TH_LOG("%s: %llu blocks, %llu before the kexec",
			       specs[i].what, (unsigned long long)r.blocks,
			       (unsigned long long)in.f[i].blocks);
		EXPECT_EQ(in.f[i].nruns, r.nruns) TH_LOG("%s", specs[i].what);
		for (j = 0; j < r.nruns && j < in.f[i].nruns; j++) {
			EXPECT_EQ(in.f[i].runs[j][0], r.runs[j][0]);
			EXPECT_EQ(in.f[i].runs[j][1], r.runs[j][1]);
		}
		close(fd);
	}
}

TEST_F(stage2, pfns)
{
	static uint64_t pfns[MAX_PFNS];
	uint64_t p, same, data, late;
	int i, fd, ret;

	if (!in.root || geteuid())
		SKIP(return, "PFNs need CAP_SYS_ADMIN in both stages");
	ASSERT_LE(0, in_ses[S_DATA]);
	for (i = 0; i < NR_SPECS; i++) {
		const uint64_t *old = in.pfns + pfn_first(i);

		if (specs[i].session != S_DATA)
			continue;
		fd = luo_retrieve_fd(in_ses[S_DATA], specs[i].token);
		ASSERT_LE(0, fd);
		ret = data_pfns(fd, i, false, pfns);
		ASSERT_EQ(0, ret) TH_LOG("%s: %s", specs[i].what,
					 strerror(-ret));
		same = 0;
		data = 0;
		late = 0;
		for (p = 0; p < spec_npages(i); p++) {
			if (!old[p])
				continue;
			if (page_late(i, p, false)) {
				late += pfns[p] != old[p];
				continue;
			}
			data++;
			if (pfns[p] == old[p])
				same++;
			else if (data - same == 1)
				TH_LOG("%s page %llu: pfn %#llx, was %#llx",
				       specs[i].what, (unsigned long long)p,
				       (unsigned long long)pfns[p],
				       (unsigned long long)old[p]);
		}
		if (late)
			ksft_print_msg("%s: %llu pages written after preserve moved\n",
				       specs[i].what, (unsigned long long)late);
		EXPECT_EQ(data, same) TH_LOG("%s: %llu of %llu data pages moved", specs[i].what,
					     (unsigned long long)(data - same),
					     (unsigned long long)data);
		close(fd);
	}
}

TEST_F(stage2, seals)
{
	uint8_t b = 1;
	void *map;
	int i, fd;

	ASSERT_LE(0, in_ses[S_DATA]);
	for (i = 0; i < NR_SPECS; i++) {
		unsigned int want = in.f[i].seals, set = specs[i].seals;

		if (specs[i].session != S_DATA)
			continue;
		/* F_SEAL_EXEC on an executable memfd implies the write seals. */
		if (set & F_SEAL_EXEC)
			set |= F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW;
		if (!(specs[i].mfd_flags & MFD_ALLOW_SEALING))
			set |= F_SEAL_SEAL;
		fd = luo_retrieve_fd(in_ses[S_DATA], specs[i].token);
		ASSERT_LE(0, fd);
		EXPECT_EQ(set, want & set) TH_LOG("%s: seals %#x at the kexec",
						  specs[i].what, want);
		EXPECT_EQ(want, fcntl(fd, F_GET_SEALS))
			TH_LOG("%s: seals %#x, were %#x", specs[i].what,
			       fcntl(fd, F_GET_SEALS), want);
		close(fd);
	}
	/* And they still do what they say. */
	fd = luo_retrieve_fd(in_ses[S_DATA], specs[SEALED].token);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EPERM, pwrite(fd, &b, 1, 0) < 0 ? -errno : 0);
	EXPECT_EQ(-EPERM, ftruncate(fd, PAGE) ? -errno : 0);
	close(fd);
	fd = luo_retrieve_fd(in_ses[S_DATA], specs[POS].token);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EPERM, fcntl(fd, F_ADD_SEALS, F_SEAL_GROW) ? -errno : 0);
	close(fd);
	fd = luo_retrieve_fd(in_ses[S_DATA], specs[MMAPPED].token);
	ASSERT_LE(0, fd);
	map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT_EQ(MAP_FAILED, map);
	if (map != MAP_FAILED)
		munmap(map, PAGE);
	EXPECT_EQ(-EPERM, pwrite(fd, &b, 1, 0) < 0 ? -errno : 0);
	close(fd);
}

TEST_F(stage2, pos_flags)
{
	int i, fd, want;
	uint8_t b;

	ASSERT_LE(0, in_ses[S_DATA]);
	for (i = 0; i < NR_SPECS; i++) {
		if (specs[i].session != S_DATA)
			continue;
		fd = luo_retrieve_fd(in_ses[S_DATA], specs[i].token);
		ASSERT_LE(0, fd);
		EXPECT_EQ(in.f[i].pos, lseek(fd, 0, SEEK_CUR))
			TH_LOG("%s", specs[i].what);
		want = O_RDWR | specs[i].fl;
		EXPECT_EQ(want, in.f[i].fl);
		EXPECT_EQ(in.f[i].fl, fcntl(fd, F_GETFL) & FL_MASK)
			TH_LOG("%s: F_GETFL %#x, was %#x", specs[i].what,
			       fcntl(fd, F_GETFL), in.f[i].fl);
		EXPECT_EQ(O_RDWR, fcntl(fd, F_GETFL) & O_ACCMODE);
		close(fd);
	}
	EXPECT_EQ(specs[POS].size, in.f[POS].pos);
	/* read() goes on from the position. */
	fd = luo_retrieve_fd(in_ses[S_DATA], specs[POS].token);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, lseek(fd, -1, SEEK_CUR) < 0 ? -errno : 0);
	ASSERT_EQ(1, read(fd, &b, 1));
	EXPECT_EQ(luo_pattern_byte(spec_seed(POS, 1), specs[POS].size - 1), b);
	EXPECT_EQ(0, read(fd, &b, 1));
	close(fd);
}

TEST_F(stage2, same_file)
{
	int fd1, fd2, ret;
	off_t pos;

	ASSERT_LE(0, in_ses[S_DATA]);
	fd1 = luo_retrieve_fd(in_ses[S_DATA], specs[POS].token);
	fd2 = luo_retrieve_fd(in_ses[S_DATA], specs[POS].token);
	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	EXPECT_NE(fd1, fd2);
	ret = syscall(__NR_kcmp, getpid(), getpid(), KCMP_FILE, fd1, fd2);
	EXPECT_EQ(0, ret) TH_LOG("kcmp: %d (%s)", ret, strerror(errno));
	/* One open file: one position. */
	pos = lseek(fd1, 0, SEEK_CUR);
	ASSERT_EQ(100, lseek(fd2, 100, SEEK_SET));
	EXPECT_EQ(100, lseek(fd1, 0, SEEK_CUR));
	ASSERT_EQ(pos, lseek(fd2, pos, SEEK_SET));
	close(fd1);
	close(fd2);
}

TEST_F(stage2, unknown_token)
{
	static const uint64_t tokens[] = { 7, 12345, UINT64_MAX - 1,
					   1ULL << 32 };
	unsigned int i;

	ASSERT_LE(0, in_ses[S_DATA]);
	for (i = 0; i < ARRAY_SIZE(tokens); i++)
		EXPECT_EQ(-ENOENT, luo_retrieve_fd(in_ses[S_DATA], tokens[i]));
	EXPECT_EQ(-ENOENT, luo_retrieve_fd(in_ses[S_EMPTY], 1));
	EXPECT_EQ(-ENOENT, luo_retrieve_fd(in_ses[S_EMPTY], 0));
}

static bool orphan_handler_registered(void)
{
	char c = '?';
	int fd = open(ORPHAN_PARAM, O_RDONLY);

	if (fd >= 0) {
		if (read(fd, &c, 1) != 1)
			c = '?';
		close(fd);
	}
	return c != 'N' && c != '0';
}

TEST_F(stage2, testdev)
{
	int s = in_ses[S_TESTDEV], a, a2, d, ret;

	if (!in.tdev)
		SKIP(return, "stage 1 had no test device");
	ASSERT_LE(0, s);
	a = luo_retrieve_fd(s, T_STATE + 1);
	ASSERT_LE(0, a) TH_LOG("RETRIEVE_FD: %s", strerror(-a));
	EXPECT_TRUE(fd_cloexec(a));
	EXPECT_EQ(TDEV_STATE, tdev_get(a, "state", 0))
		TH_LOG("the state set after preserve was not carried over");
	EXPECT_EQ(1, tdev_get(a, "retrieved", 0));
	a2 = luo_retrieve_fd(s, T_STATE + 1);
	ASSERT_LE(0, a2);
	EXPECT_EQ(0, syscall(__NR_kcmp, getpid(), getpid(), KCMP_FILE, a, a2));
	close(a2);
	close(a);
	/* A claim that failed refuses that file alone, with its errno. */
	EXPECT_EQ(-EBADMSG, luo_retrieve_fd(s, T_BADSTATE + 1));
	EXPECT_EQ(-EBADMSG, luo_retrieve_fd(s, T_BADSTATE + 1));
	/* No handler for the file in this kernel: EIO. */
	d = luo_retrieve_fd(s, T_ORPHAN + 1);
	if (orphan_handler_registered()) {
		EXPECT_LE(0, d) TH_LOG("%s", strerror(-d));
		ksft_print_msg("orphan handler on: files without a handler not tested\n");
	} else {
		EXPECT_EQ(-EIO, d);
		ret = luo_retrieve_fd(s, T_ORPHAN + 1);
		EXPECT_EQ(-EIO, ret);
	}
	if (d >= 0)
		close(d);
}

/* Pages still holding their stage 1 pattern (or test magic) now. */
static long peek_matches(struct __test_metadata *_metadata, int tdev,
			 const uint64_t *pfns, uint64_t n, int spec,
			 long *zero)
{
	uint8_t got[32], want[32];
	long hits = 0;
	uint64_t p;
	int i, ret;

	*zero = 0;
	for (p = 0; p < n; p++) {
		if (!pfns[p])
			continue;
		ret = tdev_peek(tdev, pfns[p], got);
		if (ret) {
			TH_LOG("peek pfn %#llx: %s",
			       (unsigned long long)pfns[p], strerror(-ret));
			return -1;
		}
		if (spec >= 0) {
			luo_pattern(want, spec_seed(spec, 1), p * PAGE, 32);
		} else {
			uint64_t magic = TDEV_MAGIC;

			memset(want, 0, sizeof(want));
			memcpy(want, &magic, sizeof(magic));
			memcpy(got + 8, want + 8, 24);
		}
		hits += !memcmp(got, want, 32);
		for (i = 0; i < 32 && !got[i]; i++)
			;
		*zero += i == 32;
	}
	return hits;
}

TEST_F(stage2, testdev_finish)
{
	int s = in_ses[S_TESTDEV], tdev, a;
	long hits, zero;

	if (!in.tdev)
		SKIP(return, "stage 1 had no test device");
	ASSERT_LE(0, s);
	tdev = open(LUO_TEST_DEVICE, O_RDWR);
	ASSERT_LE(0, tdev);
	/* Claimed and held until finish: the unretrieved file's page. */
	hits = peek_matches(_metadata, tdev, &in.tdev_pfn[T_UNRETRIEVED], 1,
			    -1, &zero);
	EXPECT_EQ(1, hits) TH_LOG("the unretrieved file's page lost its state before finish");
	/* Refused at claim, or without a handler: released at boot, zeroed. */
	hits = peek_matches(_metadata, tdev, &in.tdev_pfn[T_BADSTATE], 1, -1,
			    &zero);
	EXPECT_EQ(0, hits) TH_LOG("a refused file's page still holds its state");
	if (!orphan_handler_registered()) {
		hits = peek_matches(_metadata, tdev, &in.tdev_pfn[T_ORPHAN], 1,
				    -1, &zero);
		EXPECT_EQ(0, hits) TH_LOG("an orphan file's page was not zeroed");
	}

	/* can_finish says no: EBUSY, nothing done. */
	a = luo_retrieve_fd(s, T_STATE + 1);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, tdev_cmd(a, "busy=1"));
	EXPECT_EQ(-EBUSY, luo_finish(s));
	EXPECT_EQ(TDEV_STATE, tdev_get(a, "state", 0));
	hits = peek_matches(_metadata, tdev, &in.tdev_pfn[T_UNRETRIEVED], 1,
			    -1, &zero);
	EXPECT_EQ(1, hits) TH_LOG("a refused finish released memory");
	ASSERT_EQ(0, tdev_cmd(a, "busy=0"));
	EXPECT_EQ(0, luo_finish(s));
	EXPECT_EQ(0, luo_finish(s));
	EXPECT_EQ(TDEV_STATE, tdev_get(a, "state", 0));
	hits = peek_matches(_metadata, tdev, &in.tdev_pfn[T_UNRETRIEVED], 1,
			    -1, &zero);
	EXPECT_EQ(0, hits) TH_LOG("finish left the unretrieved state in memory");
	close(a);
	close(tdev);
}

TEST_F_TIMEOUT(stage2, unretrieved_finish, 300)
{
	const uint64_t *pfns = in.pfns + pfn_first(UNR_BIG);
	uint64_t before, after = 0, n = spec_npages(UNR_BIG);
	int s = in_ses[S_UNRETRIEVED], tdev, i, ret;
	long hits = -1, zero = 0;

	ASSERT_LE(0, s);
	tdev = in.root && !geteuid() ? open(LUO_TEST_DEVICE, O_RDWR) : -1;
	if (tdev >= 0) {
		hits = peek_matches(_metadata, tdev, pfns, n, UNR_BIG, &zero);
		EXPECT_EQ(n, hits) TH_LOG("before finish only %ld of %llu pages hold their data",
					  hits,
					  (unsigned long long)n);
	} else {
		ksft_print_msg("no %s or no PFNs: zeroing not checked\n",
			       LUO_TEST_DEVICE);
	}
	before = meminfo_kb("MemFree");
	ret = luo_finish(s);
	ASSERT_EQ(0, ret) TH_LOG("FINISH: %s", strerror(-ret));
	EXPECT_EQ(0, luo_finish(s));
	EXPECT_EQ(-ENOENT, luo_retrieve_fd(s, specs[UNR_BIG].token));
	/* The 64 MiB come back (freed at once or soon after). */
	for (i = 0; i < 50; i++) {
		after = meminfo_kb("MemFree");
		if (after >= before + 48 * 1024)
			break;
		usleep(100000);
	}
	ksft_print_msg("MemFree %llu kB before FINISH, %llu kB after\n",
		       (unsigned long long)before, (unsigned long long)after);
	EXPECT_LE(before + 48 * 1024, after);
	if (tdev >= 0) {
		hits = peek_matches(_metadata, tdev, pfns, n, UNR_BIG, &zero);
		ksft_print_msg("after FINISH: %ld of %llu pages hold their data, %ld zero\n",
			       hits,
			       (unsigned long long)n, zero);
		EXPECT_EQ(0, hits) TH_LOG("unretrieved memory freed, not zeroed");
		close(tdev);
	}
}

TEST_F(stage2, empty_finish)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	int s = in_ses[S_EMPTY];

	ASSERT_LE(0, s);
	ASSERT_EQ(0, luo_get_name(s, name));
	EXPECT_STREQ(session_names[S_EMPTY], name);
	EXPECT_EQ(0, luo_finish(s));
	EXPECT_EQ(0, luo_finish(s));
}

/* A session nobody retrieves: its memory is still held, with its data. */
TEST_F(stage2, forgotten_held)
{
	long hits, zero;
	int tdev;

	if (!in.root || geteuid())
		SKIP(return, "no PFNs");
	tdev = open(LUO_TEST_DEVICE, O_RDWR);
	if (tdev < 0)
		SKIP(return, "no %s", LUO_TEST_DEVICE);
	hits = peek_matches(_metadata, tdev, in.pfns + pfn_first(FORGOT),
			    spec_npages(FORGOT), FORGOT, &zero);
	EXPECT_EQ(spec_npages(FORGOT), hits);
	close(tdev);
	/* Its PFNs for stage 3. */
	memcpy(out->pfns + pfn_first(FORGOT), in.pfns + pfn_first(FORGOT),
	       spec_npages(FORGOT) * sizeof(uint64_t));
	out->tdev = in.tdev;
}

/* Write stage 2's pages into big, record it for stage 3. */
static void stage2_writes(struct __test_metadata *_metadata, int fd)
{
	int j;

	for (j = 0; j < 2; j++)
		ASSERT_EQ(0, write_extent(fd, BIG, &specs[BIG].stage2[j],
					  spec_seed(BIG, 2), NULL));
	ASSERT_EQ(0, record(fd, &out->f[BIG]));
	ASSERT_EQ(0, data_pfns(fd, BIG, true, out->pfns + pfn_first(BIG)));
}

TEST_F_TIMEOUT(stage2, finish_and_represerve, 120)
{
	int s = in_ses[S_DATA], big, st3, ret, early;
	uint64_t bad;

	ASSERT_LE(0, s);
	big = luo_retrieve_fd(s, specs[BIG].token);
	ASSERT_LE(0, big);
	st3 = luo_create_session(luo_fd, session_names[S_STAGE3]);
	ASSERT_LE(0, st3);
	/* Retrieved but not finished: still LUO's (as in mainline). */
	early = luo_preserve_fd(st3, big, 1);
	EXPECT_EQ(-EBUSY, early) TH_LOG("a retrieved file not yet finished was preserved again");

	ret = luo_finish(s);
	ASSERT_EQ(0, ret) TH_LOG("FINISH: %s", strerror(-ret));
	EXPECT_EQ(0, luo_finish(s));
	EXPECT_EQ(-ENOENT, luo_retrieve_fd(s, specs[BIG].token));
	EXPECT_EQ(-ENOENT, luo_retrieve_fd(s, specs[SEALED].token));

	/* An ordinary memfd now, with its data. */
	bad = check_content(big, BIG, false);
	EXPECT_EQ(0, bad) TH_LOG("byte %#llx", (unsigned long long)bad - 1);
	if (early) {
		EXPECT_EQ(0, ftruncate(big, specs[BIG].size + PAGE));
		EXPECT_EQ(0, ftruncate(big, specs[BIG].size));
	}

	/* Not preserved twice if the early attempt took it. */
	ret = early ? luo_preserve_fd(st3, big, 1) : 0;
	ASSERT_EQ(0, ret) TH_LOG("PRESERVE_FD after FINISH: %s", strerror(-ret));
	stage2_writes(_metadata, big);
	ASSERT_LT(0, keep_in_daemon(_metadata, st3));
	close(st3);
	close(big);
}

/* Last: what stage 3 must find. */
TEST_F(stage2, state_next)
{
	int s, m, ret;

	memcpy(out->magic, STATE_MAGIC, sizeof(STATE_MAGIC));
	out->stage = 2;
	out->root = in.root;
	m = luo_memfd("luo-selftest-state", MFD_CLOEXEC);
	ASSERT_LE(0, m);
	ASSERT_EQ(sizeof(*out), pwrite(m, out, sizeof(*out), 0));
	/* The incoming state session of this name is still open. */
	s = luo_create_session(luo_fd, STATE_SESSION);
	ASSERT_LE(0, s) TH_LOG("%s: %s", STATE_SESSION, strerror(-s));
	ret = luo_preserve_fd(s, m, 0);
	ASSERT_EQ(0, ret);
	ASSERT_LT(0, keep_in_daemon(_metadata, s));
	close(s);
	close(m);
	ksft_print_msg("stage 2 done: kexec now, then run this again\n");
}

/* Stage 3. */

FIXTURE(stage3) {
	int unused;
};

FIXTURE_SETUP(stage3)
{
}

FIXTURE_TEARDOWN(stage3)
{
}

TEST_F(stage3, state)
{
	EXPECT_EQ(0, memcmp(in.magic, STATE_MAGIC, sizeof(STATE_MAGIC)));
	EXPECT_EQ(2, in.stage);
}

TEST_F(stage3, big)
{
	static uint64_t pfns[MAX_PFNS];
	const uint64_t *old = in.pfns + pfn_first(BIG);
	int s = in_ses[S_STAGE3], fd, ret;
	uint64_t bad, p, moved = 0;
	struct frec r;

	ASSERT_LE(0, s) TH_LOG("RETRIEVE_SESSION %s: %s",
			       session_names[S_STAGE3], strerror(-s));
	fd = luo_retrieve_fd(s, 1);
	ASSERT_LE(0, fd) TH_LOG("%s", strerror(-fd));
	bad = check_content(fd, BIG, true);
	EXPECT_EQ(0, bad) TH_LOG("byte %#llx", (unsigned long long)bad - 1);
	ASSERT_EQ(0, record(fd, &r));
	EXPECT_EQ(in.f[BIG].size, r.size);
	EXPECT_EQ(in.f[BIG].pos, r.pos);
	EXPECT_EQ(in.f[BIG].blocks, r.blocks);
	EXPECT_EQ(in.f[BIG].seals, r.seals);
	EXPECT_EQ(in.f[BIG].nruns, r.nruns);
	if (in.root && !geteuid()) {
		ASSERT_EQ(0, data_pfns(fd, BIG, true, pfns));
		for (p = 0; p < spec_npages(BIG); p++)
			moved += old[p] && !page_late(BIG, p, true) &&
				 pfns[p] != old[p];
		EXPECT_EQ(0, moved) TH_LOG("%llu pages moved",
					   (unsigned long long)moved);
	}
	ret = luo_finish(s);
	EXPECT_EQ(0, ret);
	bad = check_content(fd, BIG, true);
	EXPECT_EQ(0, bad);
	close(fd);
}

TEST_F(stage3, finished_sessions_gone)
{
	int i;

	/* Finished, or never retrieved: not handed over again. */
	for (i = 0; i < NR_SESSIONS; i++)
		if (i != S_STAGE3)
			EXPECT_EQ(-ENOENT, luo_retrieve_session(luo_fd,
								session_names[i]))
				TH_LOG("%s", session_names[i]);
}

/* The session stage 2 never retrieved was zeroed at its kexec. */
TEST_F(stage3, forgotten_zeroed)
{
	long hits, zero;
	int tdev;

	if (!in.root || geteuid())
		SKIP(return, "no PFNs");
	tdev = open(LUO_TEST_DEVICE, O_RDWR);
	if (tdev < 0)
		SKIP(return, "no %s", LUO_TEST_DEVICE);
	hits = peek_matches(_metadata, tdev, in.pfns + pfn_first(FORGOT),
			    spec_npages(FORGOT), FORGOT, &zero);
	ksft_print_msg("forgotten session: %ld of %llu pages hold their data, %ld zero\n",
		       hits, (unsigned long long)spec_npages(FORGOT), zero);
	EXPECT_EQ(0, hits) TH_LOG("an unretrieved session's memory was not zeroed");
	close(tdev);
}

static int read_state(int fd, struct state *st)
{
	ssize_t n = pread(fd, st, sizeof(*st), 0);

	if (n < 0)
		return -errno;
	if (n != sizeof(*st) || memcmp(st->magic, STATE_MAGIC,
				       sizeof(STATE_MAGIC)))
		return -EBADMSG;
	return 0;
}

static void set_thp(void)
{
	int fd = open(THP_SHMEM, O_WRONLY);

	if (fd < 0 || write(fd, "always", 6) != 6)
		ksft_print_msg("cannot set %s: %s\n", THP_SHMEM,
			       strerror(errno));
	else
		out->thp = 1;
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	static char fixture[16], scale[16], *hargv[6];
	int i, s, fd, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--thp")) {
			want_thp = true;
		} else if (!strcmp(argv[i], "--scale")) {
			want_scale = true;
		} else {
			fprintf(stderr, "usage: %s [--thp] [--scale]\n", argv[0]);
			return 2;
		}
	}
	luo_fd = luo_open();
	if (luo_fd == -ENOENT) {
		ksft_print_header();
		ksft_exit_skip("no %s: LUO off (CONFIG_LIVEUPDATE, liveupdate=on)\n", LUO_DEVICE);
	}
	if (luo_fd < 0) {
		ksft_print_header();
		ksft_exit_fail_msg("open %s: %s\n", LUO_DEVICE,
				   strerror(-luo_fd));
	}
	out = mmap(NULL, sizeof(*out), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (out == MAP_FAILED) {
		ksft_print_header();
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	}
	out->root = !geteuid();
	if (want_thp)
		set_thp();

	s = luo_retrieve_session(luo_fd, STATE_SESSION);
	if (s == -ENOENT) {
		stage = 1;
	} else {
		fd = s < 0 ? s : luo_retrieve_fd(s, 0);
		ret = fd < 0 ? fd : read_state(fd, &in);
		if (ret) {
			ksft_print_header();
			ksft_exit_fail_msg("state session %s: %s\n",
					   STATE_SESSION, strerror(-ret));
		}
		stage = in.stage + 1;
		close(fd);
		/* s stays open: closing it finishes it. */
	}
	for (i = 0; i < NR_SESSIONS; i++)
		in_ses[i] = -ENOENT;
	if (stage == 2)
		for (i = S_DATA; i <= S_TESTDEV; i++)
			in_ses[i] = luo_retrieve_session(luo_fd,
							 session_names[i]);
	if (stage == 3)
		in_ses[S_STAGE3] = luo_retrieve_session(luo_fd, session_names[S_STAGE3]);
	if (stage < 1 || stage > 3) {
		ksft_print_header();
		ksft_exit_fail_msg("state of stage %u: nothing to do\n",
				   in.stage);
	}
	snprintf(fixture, sizeof(fixture), "stage%d", stage);
	snprintf(scale, sizeof(scale), "scale%d", stage);
	hargv[0] = argv[0];
	hargv[1] = "-f";
	hargv[2] = fixture;
	hargv[3] = "-f";
	hargv[4] = scale;
	ksft_print_msg("luo_kexec: stage %d\n", stage);
	/* The scale tests with --scale, and in stage 2 if stage 1 made them. */
	return test_harness_run((stage == 1 && want_scale) ||
				(stage == 2 && in.scale) ? 5 : 3, hargv);
}
