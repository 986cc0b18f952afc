// SPDX-License-Identifier: GPL-2.0
/*
 * Hugetlb memfds kept across a kexec by the Live Update Orchestrator.
 *
 * Run it, kexec, run it again.  It learns its stage from a state session
 * it leaves behind ("luo-hugetlb-state", a shmem memfd under token 0
 * holding what stage 2 must find): ENOENT on RETRIEVE_SESSION means
 * stage 1.  Both kernels must have the same hugetlb pool on their command
 * line (e.g. "hugepagesz=1G hugepages=4 hugepagesz=2M hugepages=64").
 *
 * Stage 1, without a kexec, checks what preserving does to a hugetlb
 * memfd (its size is fixed: ftruncate() and fallocate() fail with EPERM
 * until the session is closed, which lifts that and keeps the data) and
 * that a named hugetlbfs file is refused.  Then it fills a memfd of 1 GiB
 * pages and one of 2 MiB pages with a pattern, leaving holes (folios never
 * faulted), seals them, records the PFN of each folio from
 * /proc/self/pagemap and preserves both in a session; a second session
 * holds a 1 GiB-page and a 2 MiB-page memfd that stage 2 never retrieves.
 * Last it records the pool counters of every hstate (sysfs, per node, and
 * /proc/meminfo) and leaves daemons holding the session fds.
 *
 * Stage 2 checks, before anything else touches hugetlb, that the pool
 * counters are those of stage 1, then retrieves the files and checks every
 * byte, the same PFNs (the same physical huge pages), the holes, sizes,
 * st_blocks and seals; the errnos of a second RETRIEVE_SESSION, of an
 * unknown token and of preserving a retrieved file before FINISH; that
 * FINISH of the session never retrieved returns its huge pages to the
 * pool (free counts grow by its folios, exactly) and that they no longer
 * hold its data (read through the test device of lib/test_liveupdate.c,
 * which shows what a free huge page holds: hugetlb zeroes a page when it
 * faults it in, so reading a new memfd proves nothing about that); and
 * that once every file is closed the pool is whole and unreserved.
 *
 * Holes: a hugetlbfs read() of a hole copies zeroes without allocating,
 * while a fault through a mapping would allocate a huge page.  So a hole
 * is checked by read() (zeroes), by st_blocks (which counts the folios in
 * the page cache) and by the free counts, which must not drop.  pagemap
 * only shows page tables, not the page cache, so it cannot tell a hole.
 *
 *   luo_hugetlb [-g GIB] [-m MIB] [-G LIST] [-H LIST] [-u GIB] [-U MIB]
 *
 *   -g GIB   size of the 1 GiB-page memfd (default 2)
 *   -m MIB   size of the 2 MiB-page memfd (default 32)
 *   -G LIST  its 1 GiB pages left as holes, e.g. 1,3 (default none)
 *   -H LIST  its 2 MiB pages left as holes (default 5; "-" for none)
 *   -u GIB   size of the unretrieved 1 GiB-page memfd (default 1)
 *   -U MIB   size of the unretrieved 2 MiB-page memfd (default 16)
 *
 * A file whose page size the kernel has no pool for, or too small a pool,
 * is left out (its tests skip); without any hugetlb pool it all skips.
 * Run as root (pagemap PFNs, the test device, the hugetlbfs mount).
 */
#define _GNU_SOURCE
#include <sys/mount.h>
#include <linux/falloc.h>
#include <linux/kcmp.h>
#include <linux/memfd.h>

#include "../kselftest_harness.h"
#include "luo_test.h"

#define STATE_SESSION	"luo-hugetlb-state"
#define STATE_MAGIC	"luo-hugetlb-v1"
#define HP_SYSFS	"/sys/kernel/mm/hugepages"
#define NODE_SYSFS	"/sys/devices/system/node"
#define MAX_FOLIOS	2048
#define MAX_NODES	8
#define WORDS		(LUO_PAGE / 8)
#define K_WORD		0x9e3779b97f4a7c15ULL
#define PEEKS		8		/* 4 KiB pages peeked per folio */
#define SZ_2M		(2ULL << 20)
#define SZ_1G		(1024ULL << 20)

#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB	(21U << 26)
#endif
#ifndef MFD_HUGE_1GB
#define MFD_HUGE_1GB	(30U << 26)
#endif

enum { S_DATA, S_UNRETRIEVED, NR_SESSIONS };

static const char *const session_names[NR_SESSIONS] = {
	[S_DATA] = "luo-hugetlb-data",
	[S_UNRETRIEVED] = "luo-hugetlb-unretrieved",
};

/* The hstates, by index. */
enum { H_2M, H_1G, NR_HSTATES };

static const uint64_t hsize[NR_HSTATES] = { SZ_2M, SZ_1G };
static const char *const hname[NR_HSTATES] = { "2048kB", "1048576kB" };

enum { F_1G, F_2M, F_UNR_1G, F_UNR_2M, NR_FILES };

struct fspec {
	const char *what;
	int hs;
	int session;
	uint64_t token;
	unsigned int seals;
};

static const struct fspec files[NR_FILES] = {
	[F_1G] = { "guest-1g", H_1G, S_DATA, 1, F_SEAL_SEAL },
	[F_2M] = { "guest-2m", H_2M, S_DATA, 2, F_SEAL_SHRINK | F_SEAL_GROW },
	[F_UNR_1G] = { "unretrieved-1g", H_1G, S_UNRETRIEVED, 1, 0 },
	[F_UNR_2M] = { "unretrieved-2m", H_2M, S_UNRETRIEVED, 2, 0 },
};

struct pool {
	int64_t total[NR_HSTATES], free[NR_HSTATES];
	int64_t resv[NR_HSTATES], surplus[NR_HSTATES];
	int64_t node_total[NR_HSTATES][MAX_NODES];
	int64_t node_free[NR_HSTATES][MAX_NODES];
	int64_t node_surplus[NR_HSTATES][MAX_NODES];
	/* /proc/meminfo: the default hstate, and all of them in kB */
	int64_t mi_total, mi_free, mi_resv, mi_surp, mi_size_kb, mi_hugetlb_kb;
	uint32_t nodes;
};

/* One hugetlb memfd as stage 1 left it. */
struct frec {
	uint32_t present;		/* created and preserved */
	uint32_t seals;
	uint64_t size, nfolios, blocks, seed;
	uint8_t hole[MAX_FOLIOS];
	uint64_t pfn[MAX_FOLIOS];	/* first PFN of each folio, 0 if none */
};

struct state {
	char magic[16];
	uint32_t stage;
	uint32_t root;			/* PFNs recorded */
	uint32_t handler;		/* a hugetlb memfd was preserved */
	uint32_t kept[NR_SESSIONS];	/* handed to a daemon */
	uint32_t pad;
	struct frec f[NR_FILES];
	struct pool pool;		/* at the end of stage 1 */
};

static int luo_fd = -1;
static int stage;
static struct state in;			/* what stage 1 left (stage 2) */
static struct state *out;		/* what stage 1 leaves (shared) */
static int in_ses[NR_SESSIONS];
static uint64_t opt_size[NR_FILES] = {
	[F_1G] = 2 * SZ_1G, [F_2M] = 32 * (1ULL << 20),
	[F_UNR_1G] = SZ_1G, [F_UNR_2M] = 16 * (1ULL << 20),
};

static uint8_t opt_hole[NR_FILES][MAX_FOLIOS];

static int64_t read_long(const char *path)
{
	char buf[64];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

static int64_t hs_read(int hs, const char *what)
{
	char path[128];

	snprintf(path, sizeof(path), HP_SYSFS "/hugepages-%s/%s", hname[hs],
		 what);
	return read_long(path);
}

static int64_t node_read(int node, int hs, const char *what)
{
	char path[160];

	snprintf(path, sizeof(path), NODE_SYSFS "/node%d/hugepages/hugepages-%s/%s",
		 node, hname[hs], what);
	return read_long(path);
}

static void read_pool(struct pool *p)
{
	int hs, n;

	memset(p, 0, sizeof(*p));
	for (hs = 0; hs < NR_HSTATES; hs++) {
		p->total[hs] = hs_read(hs, "nr_hugepages");
		p->free[hs] = hs_read(hs, "free_hugepages");
		p->resv[hs] = hs_read(hs, "resv_hugepages");
		p->surplus[hs] = hs_read(hs, "surplus_hugepages");
		for (n = 0; n < MAX_NODES; n++) {
			p->node_total[hs][n] = node_read(n, hs, "nr_hugepages");
			p->node_free[hs][n] = node_read(n, hs, "free_hugepages");
			p->node_surplus[hs][n] = node_read(n, hs,
							   "surplus_hugepages");
			if (p->node_total[hs][n] >= 0 && n + 1 > (int)p->nodes)
				p->nodes = n + 1;
		}
	}
	p->mi_total = meminfo_kb("HugePages_Total");
	p->mi_free = meminfo_kb("HugePages_Free");
	p->mi_resv = meminfo_kb("HugePages_Rsvd");
	p->mi_surp = meminfo_kb("HugePages_Surp");
	p->mi_size_kb = meminfo_kb("Hugepagesize");
	p->mi_hugetlb_kb = meminfo_kb("Hugetlb");
}

static void print_pool(const char *when, const struct pool *p)
{
	unsigned int n;
	int hs;

	for (hs = 0; hs < NR_HSTATES; hs++) {
		char nodes[256] = "";
		int len = 0;

		if (p->total[hs] < 0)
			continue;
		for (n = 0; n < p->nodes; n++)
			len += snprintf(nodes + len, sizeof(nodes) - len,
					" node%u=%lld/%lld/%lld", n,
					(long long)p->node_total[hs][n],
					(long long)p->node_free[hs][n],
					(long long)p->node_surplus[hs][n]);
		ksft_print_msg("luo_hugetlb: pool %s %s nr=%lld free=%lld resv=%lld surp=%lld%s\n",
			       when, hname[hs], (long long)p->total[hs],
			       (long long)p->free[hs], (long long)p->resv[hs],
			       (long long)p->surplus[hs], nodes);
	}
	ksft_print_msg("luo_hugetlb: meminfo %s HugePages_Total=%lld HugePages_Free=%lld\n",
		       when, (long long)p->mi_total, (long long)p->mi_free);
	ksft_print_msg("luo_hugetlb: meminfo %s HugePages_Rsvd=%lld HugePages_Surp=%lld\n",
		       when, (long long)p->mi_resv, (long long)p->mi_surp);
	ksft_print_msg("luo_hugetlb: meminfo %s Hugepagesize=%lld Hugetlb=%lld\n", when,
		       (long long)p->mi_size_kb, (long long)p->mi_hugetlb_kb);
}

static bool count_eq(struct __test_metadata *_metadata, const char *what,
		     const char *hs, int64_t now, int64_t then)
{
	if (now == then)
		return true;
	TH_LOG("%s %s: %lld, stage 1 had %lld", hs, what, (long long)now,
	       (long long)then);
	return false;
}

/*
 * Every counter of @a equal to @b's, the reserved ones only if @resv;
 * those that are not are logged.
 */
static bool pool_equal(struct __test_metadata *_metadata,
		       const struct pool *a, const struct pool *b, bool resv)
{
	bool ok = true;
	int hs, n;

	for (hs = 0; hs < NR_HSTATES; hs++) {
		const char *h = hname[hs];

		ok &= count_eq(_metadata, "total", h, a->total[hs], b->total[hs]);
		ok &= count_eq(_metadata, "free", h, a->free[hs], b->free[hs]);
		if (resv)
			ok &= count_eq(_metadata, "resv", h, a->resv[hs],
				       b->resv[hs]);
		ok &= count_eq(_metadata, "surplus", h, a->surplus[hs],
			       b->surplus[hs]);
		for (n = 0; n < MAX_NODES; n++) {
			ok &= count_eq(_metadata, "node total", h,
				       a->node_total[hs][n],
				       b->node_total[hs][n]);
			ok &= count_eq(_metadata, "node free", h,
				       a->node_free[hs][n], b->node_free[hs][n]);
			ok &= count_eq(_metadata, "node surplus", h,
				       a->node_surplus[hs][n],
				       b->node_surplus[hs][n]);
		}
	}
	ok &= count_eq(_metadata, "HugePages_Total", "meminfo", a->mi_total,
		       b->mi_total);
	ok &= count_eq(_metadata, "HugePages_Free", "meminfo", a->mi_free,
		       b->mi_free);
	if (resv)
		ok &= count_eq(_metadata, "HugePages_Rsvd", "meminfo",
			       a->mi_resv, b->mi_resv);
	ok &= count_eq(_metadata, "HugePages_Surp", "meminfo", a->mi_surp,
		       b->mi_surp);
	ok &= count_eq(_metadata, "Hugepagesize", "meminfo", a->mi_size_kb,
		       b->mi_size_kb);
	ok &= count_eq(_metadata, "Hugetlb", "meminfo", a->mi_hugetlb_kb,
		       b->mi_hugetlb_kb);
	return ok;
}

static int hugetlb_memfd(const char *name, int hs)
{
	return luo_memfd(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB |
			 (hs == H_1G ? MFD_HUGE_1GB : MFD_HUGE_2MB));
}

/*
 * The pattern: word i of the 4 KiB page p of a file with seed s is
 * luo_mix(s ^ p) + i * K_WORD, cheap enough for GiBs under TCG and
 * different in every page of every file.
 */
static void fill_pattern(uint64_t *w, uint64_t seed, uint64_t first_page,
			 uint64_t npages)
{
	uint64_t p, i;

	for (p = 0; p < npages; p++, w += WORDS) {
		uint64_t v = luo_mix(seed ^ (first_page + p));

		for (i = 0; i < WORDS; i++, v += K_WORD)
			w[i] = v;
	}
}

/* The first 4 KiB page of [first_page, +npages) that differs, or ~0. */
static uint64_t check_pattern(const uint64_t *w, uint64_t seed,
			      uint64_t first_page, uint64_t npages)
{
	uint64_t p, i;

	for (p = 0; p < npages; p++, w += WORDS) {
		uint64_t v = luo_mix(seed ^ (first_page + p));

		for (i = 0; i < WORDS; i++, v += K_WORD)
			if (w[i] != v)
				return first_page + p;
	}
	return UINT64_MAX;
}

static uint64_t file_seed(int f)
{
	return luo_mix(0x6875676574ULL + f * 0x1001);
}

/* The 4 KiB pages of folio @i peeked: spread over it. */
static uint64_t peek_page(int f, uint64_t k)
{
	uint64_t n = hsize[files[f].hs] / LUO_PAGE;

	return k * (n / PEEKS) + (k & 1) * (n / PEEKS / 2);
}

/*
 * How many of the PEEKS pages of each folio of @r hold the pattern now, and
 * how many are zero in their first 32 bytes: through the test device.
 */
static int peek_file(struct __test_metadata *_metadata, int tdev, int f,
		     const struct frec *r, long *hits, long *zero)
{
	uint64_t pages_per = hsize[files[f].hs] / LUO_PAGE, i, k;
	uint8_t got[32];
	uint64_t want[4];
	int ret, j;

	*hits = 0;
	*zero = 0;
	for (i = 0; i < r->nfolios; i++) {
		if (r->hole[i] || !r->pfn[i])
			continue;
		for (k = 0; k < PEEKS; k++) {
			uint64_t p = peek_page(f, k);

			ret = tdev_peek(tdev, r->pfn[i] + p, got);
			if (ret) {
				TH_LOG("peek pfn %#llx: %s",
				       (unsigned long long)r->pfn[i] + p,
				       strerror(-ret));
				return ret;
			}
			want[0] = luo_mix(r->seed ^ (i * pages_per + p));
			for (j = 1; j < 4; j++)
				want[j] = want[j - 1] + K_WORD;
			*hits += !memcmp(got, want, sizeof(got));
			for (j = 0; j < 32 && !got[j]; j++)
				;
			*zero += j == 32;
		}
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

static uint64_t folios_present(const struct frec *r)
{
	uint64_t i, n = 0;

	for (i = 0; i < r->nfolios; i++)
		n += !r->hole[i];
	return n;
}

/* Folios of the present files of @session (-1: all) in hstate @hs. */
static uint64_t folios_of(const struct state *st, int session, int hs)
{
	uint64_t n = 0;
	int f;

	for (f = 0; f < NR_FILES; f++)
		if (st->f[f].present && files[f].hs == hs &&
		    (session < 0 || files[f].session == session))
			n += folios_present(&st->f[f]);
	return n;
}

/*
 * Stage 1: hugetlb memfd @f, filled except its holes, sealed, recorded in
 * out->f[f].  Returns the fd or -errno.
 */
static int make_file(struct __test_metadata *_metadata, int f)
{
	const struct fspec *s = &files[f];
	struct frec *r = &out->f[f];
	uint64_t hp = hsize[s->hs], i;
	struct stat st;
	uint8_t *map;
	int fd;

	memset(r, 0, sizeof(*r));
	r->size = opt_size[f];
	r->nfolios = r->size / hp;
	r->seed = file_seed(f);
	memcpy(r->hole, opt_hole[f], sizeof(r->hole));
	fd = hugetlb_memfd(s->what, s->hs);
	if (fd < 0) {
		TH_LOG("memfd_create %s: %s", s->what, strerror(-fd));
		return fd;
	}
	if (ftruncate(fd, r->size)) {
		TH_LOG("ftruncate %s: %s", s->what, strerror(errno));
		goto fail;
	}
	map = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		TH_LOG("mmap %s: %s", s->what, strerror(errno));
		goto fail;
	}
	for (i = 0; i < r->nfolios; i++) {
		if (r->hole[i])
			continue;
		fill_pattern((uint64_t *)(map + i * hp), r->seed,
			     i * (hp / LUO_PAGE), hp / LUO_PAGE);
	}
	munmap(map, r->size);
	if (s->seals && fcntl(fd, F_ADD_SEALS, s->seals)) {
		TH_LOG("F_ADD_SEALS %s: %s", s->what, strerror(errno));
		goto fail;
	}
	r->seals = fcntl(fd, F_GET_SEALS);
	if (fstat(fd, &st))
		goto fail;
	r->blocks = st.st_blocks;
	return fd;
fail:
	i = errno;
	close(fd);
	return i ? -(int)i : -EIO;
}

/*
 * The first PFN of each folio of file @f, once it is preserved (the
 * handler pins the folios where they are then): 0 or -errno.
 */
static int record_pfns(int f, int fd)
{
	struct frec *r = &out->f[f];
	uint64_t hp = hsize[files[f].hs], i;
	uint8_t *map;
	int ret = 0;

	if (!out->root)
		return 0;
	map = mmap(NULL, r->size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	for (i = 0; i < r->nfolios && !ret; i++) {
		if (r->hole[i])
			continue;
		/* A read fault of a folio in the page cache: no allocation. */
		(void)__atomic_load_n(&map[i * hp], __ATOMIC_RELAXED);
		ret = luo_pagemap(map + i * hp, 1, &r->pfn[i]);
	}
	munmap(map, r->size);
	return ret;
}

/* KHO's scratch areas, from debugfs, for a failure's log. */
static void log_scratch(void)
{
	char buf[512], *line, *save = NULL;
	ssize_t n;
	int fd;

	fd = open("/sys/kernel/debug/kho/out/scratch", O_RDONLY);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		ksft_print_msg("luo_hugetlb: KHO scratch area %s\n", line);
}

/* Is there a pool for file @f of stage 1, with room for it? */
static bool file_fits(int f, uint64_t *free_left)
{
	int hs = files[f].hs;
	uint64_t need = opt_size[f] / hsize[hs];

	if (!need || need > MAX_FOLIOS || opt_size[f] % hsize[hs])
		return false;
	if (free_left[hs] < need)
		return false;
	free_left[hs] -= need;
	return true;
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

/* No kexec: while preserved, the size is fixed; closing lifts that. */
TEST_F(stage1, size_fixed_while_preserved)
{
	uint64_t *map, bad;
	int fd, s, ret;

	if (hs_read(H_2M, "free_hugepages") < 2)
		SKIP(return, "fewer than 2 free 2 MiB huge pages");
	fd = hugetlb_memfd("luo-hugetlb-size", H_2M);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 2 * SZ_2M));
	map = mmap(NULL, 2 * SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	fill_pattern(map, 7, 0, SZ_2M / LUO_PAGE);
	s = luo_create_session(luo_fd, "luo-hugetlb-size");
	ASSERT_LE(0, s);
	ret = luo_preserve_fd(s, fd, 1);
	if (ret == -ENOENT)
		SKIP(return, "no hugetlb file handler (CONFIG_LIVEUPDATE_HUGETLB)");
	ASSERT_EQ(0, ret) TH_LOG("PRESERVE_FD: %s", strerror(-ret));
	EXPECT_EQ(-1, ftruncate(fd, 4 * SZ_2M));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, ftruncate(fd, SZ_2M));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				0, SZ_2M));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, fallocate(fd, 0, 2 * SZ_2M, SZ_2M));
	EXPECT_EQ(EPERM, errno);
	/* The same file through another preserve: EBUSY. */
	EXPECT_EQ(-EBUSY, luo_preserve_fd(s, fd, 2));
	/* Inside the size, writes and faults still work (the hole). */
	fill_pattern(map + SZ_2M / 8, 8, 0, 1);
	bad = check_pattern(map, 7, 0, SZ_2M / LUO_PAGE);
	EXPECT_EQ(UINT64_MAX, bad);
	/* Closing the session un-preserves: the size may change again. */
	close(s);
	EXPECT_EQ(0, fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       SZ_2M, SZ_2M)) TH_LOG("%s", strerror(errno));
	bad = check_pattern(map, 7, 0, SZ_2M / LUO_PAGE);
	EXPECT_EQ(UINT64_MAX, bad) TH_LOG("page %llu", (unsigned long long)bad);
	munmap(map, 2 * SZ_2M);
	EXPECT_EQ(0, ftruncate(fd, SZ_2M)) TH_LOG("%s", strerror(errno));
	close(fd);
}

/* A hugetlbfs file with a name is not a memfd: refused (ENOENT). */
TEST_F(stage1, linked_hugetlbfs_file_refused)
{
	char dir[] = "/tmp/luo-hugetlbfs-XXXXXX", path[64];
	int fd, s, ret;

	ASSERT_NE(NULL, mkdtemp(dir));
	if (mount("none", dir, "hugetlbfs", 0, "pagesize=2M")) {
		ret = errno;
		rmdir(dir);
		SKIP(return, "cannot mount hugetlbfs: %s", strerror(ret));
	}
	snprintf(path, sizeof(path), "%s/guest", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, SZ_2M));
	s = luo_create_session(luo_fd, "luo-hugetlb-linked");
	ASSERT_LE(0, s);
	ret = luo_preserve_fd(s, fd, 1);
	EXPECT_EQ(-ENOENT, ret) TH_LOG("PRESERVE_FD of %s: %s", path,
				       strerror(-ret));
	close(s);
	ASSERT_EQ(0, unlink(path));
	close(fd);
	umount(dir);
	rmdir(dir);
}

/* The files of @session, made, preserved and recorded. */
static void preserve_session(struct __test_metadata *_metadata, int session)
{
	int fds[NR_FILES], f, s, ret, n = 0;

	s = luo_create_session(luo_fd, session_names[session]);
	ASSERT_LE(0, s) TH_LOG("CREATE_SESSION %s: %s", session_names[session],
			       strerror(-s));
	for (f = 0; f < NR_FILES; f++) {
		struct frec *r = &out->f[f];

		fds[f] = -1;
		if (files[f].session != session || !r->present)
			continue;
		fds[f] = make_file(_metadata, f);
		ASSERT_LE(0, fds[f]);
		ret = luo_preserve_fd(s, fds[f], files[f].token);
		if (ret == -ENOENT)
			SKIP(return, "no hugetlb file handler (CONFIG_LIVEUPDATE_HUGETLB)");
		if (ret) {
			/* Where the folios are, and KHO's scratch areas. */
			record_pfns(f, fds[f]);
			ksft_print_msg("luo_hugetlb: %s: pfn of folio 0 %#llx, not preserved\n",
				       files[f].what,
				       (unsigned long long)r->pfn[0]);
			log_scratch();
		}
		ASSERT_EQ(0, ret) TH_LOG("PRESERVE_FD %s: %s", files[f].what,
					 strerror(-ret));
		r->present = 1;
		out->handler = 1;
		ASSERT_EQ(0, record_pfns(f, fds[f]));
		ksft_print_msg("luo_hugetlb: %s: %llu MiB of %s pages, %llu folios, %llu holes\n",
			       files[f].what,
			       (unsigned long long)r->size >> 20, hname[files[f].hs],
			       (unsigned long long)folios_present(r),
			       (unsigned long long)(r->nfolios - folios_present(r)));
		ksft_print_msg("luo_hugetlb: %s: seals %#x, pfn of folio 0 %#llx\n",
			       files[f].what, r->seals,
			       (unsigned long long)r->pfn[0]);
		n++;
	}
	if (!n)
		SKIP(return, "no hugetlb pool for the files of %s",
		     session_names[session]);
	ASSERT_LT(0, keep_in_daemon(_metadata, s));
	out->kept[session] = 1;
	for (f = 0; f < NR_FILES; f++)
		if (fds[f] >= 0)
			close(fds[f]);
	close(s);
}

TEST_F_TIMEOUT(stage1, data_session, 600)
{
	preserve_session(_metadata, S_DATA);
}

/* Never retrieved: stage 2 finishes it and gets its pages back. */
TEST_F_TIMEOUT(stage1, unretrieved, 600)
{
	preserve_session(_metadata, S_UNRETRIEVED);
}

/* Last: the pool as the kexec finds it, and what stage 2 must find. */
TEST_F(stage1, state)
{
	int s, m, ret, hs;

	memcpy(out->magic, STATE_MAGIC, sizeof(STATE_MAGIC));
	out->stage = 1;
	read_pool(&out->pool);
	print_pool("before kexec", &out->pool);
	for (hs = 0; hs < NR_HSTATES; hs++)
		ksft_print_msg("luo_hugetlb: preserved %s folios=%llu unretrieved=%llu\n",
			       hname[hs],
			       (unsigned long long)folios_of(out, -1, hs),
			       (unsigned long long)folios_of(out, S_UNRETRIEVED, hs));
	m = luo_memfd("luo-hugetlb-state", MFD_CLOEXEC);
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
	int i;

	if (!in.handler)
		SKIP(return, "stage 1 preserved no hugetlb memfd (no handler?)");
	for (i = 0; i < NR_SESSIONS; i++)
		if (!in.kept[i])
			SKIP(return, "stage 1 failed: %s not handed over",
			     session_names[i]);
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

/*
 * First, before any fault or retrieve: the pool of stage 1 as the kernel
 * booted, but for the reservations, which the files take when they are
 * retrieved (a reservation belongs to a file).
 */
TEST_F(stage2, pool_at_boot)
{
	struct pool now;

	read_pool(&now);
	print_pool("at boot", &now);
	EXPECT_TRUE(pool_equal(_metadata, &now, &in.pool, false));
}

TEST_F(stage2, sessions)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	int i;

	for (i = 0; i < NR_SESSIONS; i++) {
		ASSERT_LE(0, in_ses[i]) TH_LOG("RETRIEVE_SESSION %s: %s",
					       session_names[i],
					       strerror(-in_ses[i]));
		ASSERT_EQ(0, luo_get_name(in_ses[i], name));
		EXPECT_STREQ(session_names[i], name);
		/* Once only. */
		EXPECT_EQ(-EINVAL, luo_retrieve_session(luo_fd,
							session_names[i]));
	}
	EXPECT_EQ(-ENOENT, luo_retrieve_session(luo_fd, "luo-hugetlb-absent"));
}

/* Retrieve file @f of stage 1: its fd, or -errno (logged). */
static int retrieve(struct __test_metadata *_metadata, int f)
{
	int fd = luo_retrieve_fd(in_ses[files[f].session], files[f].token);

	if (fd < 0)
		TH_LOG("RETRIEVE_FD %s: %s", files[f].what, strerror(-fd));
	return fd;
}

/* Once the files are retrieved: the pool of stage 1, exactly. */
TEST_F(stage2, pool_after_retrieve)
{
	struct pool now;
	int f, fd;

	for (f = 0; f < NR_FILES; f++) {
		if (!in.f[f].present || files[f].session != S_DATA)
			continue;
		fd = retrieve(_metadata, f);
		ASSERT_LE(0, fd);
		close(fd);
	}
	read_pool(&now);
	print_pool("after kexec", &now);
	EXPECT_TRUE(pool_equal(_metadata, &now, &in.pool, true));
}

/* Every byte: the pattern in each folio, zeroes in each hole (read()). */
static void check_file(struct __test_metadata *_metadata, int f, int fd)
{
	const struct frec *r = &in.f[f];
	uint64_t hp = hsize[files[f].hs], i, bad, free0;
	static uint8_t buf[1 << 20];
	struct stat st;
	uint8_t *map;
	uint64_t off;

	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(r->size, st.st_size);
	EXPECT_EQ(r->blocks, st.st_blocks) TH_LOG("%s: st_blocks", files[f].what);
	map = mmap(NULL, r->size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap %s: %s", files[f].what,
					  strerror(errno));
	free0 = hs_read(files[f].hs, "free_hugepages");
	for (i = 0; i < r->nfolios; i++) {
		if (r->hole[i]) {
			/* read(): zeroes, nothing allocated (no fault) */
			for (off = 0; off < hp; off += sizeof(buf)) {
				ASSERT_EQ(sizeof(buf),
					  pread(fd, buf, sizeof(buf),
						i * hp + off));
				for (bad = 0; bad < sizeof(buf) && !buf[bad];
				     bad++)
					;
				EXPECT_EQ(sizeof(buf), bad)
					TH_LOG("%s: hole %llu holds data",
					       files[f].what,
					       (unsigned long long)i);
			}
			continue;
		}
		bad = check_pattern((uint64_t *)(map + i * hp), r->seed,
				    i * (hp / LUO_PAGE), hp / LUO_PAGE);
		EXPECT_EQ(UINT64_MAX, bad) TH_LOG("%s: 4 KiB page %llu differs",
						  files[f].what,
						  (unsigned long long)bad);
	}
	EXPECT_EQ(free0, hs_read(files[f].hs, "free_hugepages"))
		TH_LOG("%s: reading the holes allocated huge pages",
		       files[f].what);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(r->blocks, st.st_blocks) TH_LOG("%s: st_blocks after the reads",
						  files[f].what);
	munmap(map, r->size);
}

TEST_F_TIMEOUT(stage2, contents, 600)
{
	int f, fd, n = 0;

	for (f = 0; f < NR_FILES; f++) {
		if (!in.f[f].present || files[f].session != S_DATA)
			continue;
		fd = retrieve(_metadata, f);
		ASSERT_LE(0, fd);
		EXPECT_TRUE(fd_cloexec(fd));
		check_file(_metadata, f, fd);
		close(fd);
		n++;
	}
	if (!n)
		SKIP(return, "stage 1 preserved no data file");
}

/* The same physical huge pages, folio by folio. */
TEST_F(stage2, pfns)
{
	uint64_t i, pfn, last, first, moved = 0, n = 0;
	int f, fd;

	if (!in.root || geteuid())
		SKIP(return, "no PFNs (not root)");
	for (f = 0; f < NR_FILES; f++) {
		const struct frec *r = &in.f[f];
		uint64_t hp = hsize[files[f].hs];
		uint8_t *map;

		if (!r->present || files[f].session != S_DATA)
			continue;
		fd = retrieve(_metadata, f);
		ASSERT_LE(0, fd);
		map = mmap(NULL, r->size, PROT_READ, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, map);
		first = 0;
		for (i = 0; i < r->nfolios; i++) {
			if (r->hole[i])
				continue;
			/* Map the folio (a read fault of a cached folio). */
			(void)__atomic_load_n(&map[i * hp], __ATOMIC_RELAXED);
			ASSERT_EQ(0, luo_pagemap(map + i * hp, 1, &pfn));
			if (!i)
				first = pfn;
			ASSERT_EQ(0, luo_pagemap(map + (i + 1) * hp - LUO_PAGE,
						 1, &last));
			if (pfn != r->pfn[i] ||
			    last != pfn + hp / LUO_PAGE - 1) {
				TH_LOG("%s folio %llu: pfn %#llx..%#llx, stage 1 had %#llx",
				       files[f].what, (unsigned long long)i,
				       (unsigned long long)pfn,
				       (unsigned long long)last,
				       (unsigned long long)r->pfn[i]);
				moved++;
			}
			n++;
		}
		ksft_print_msg("luo_hugetlb: %s: %llu folios, pfn of folio 0 %#llx (was %#llx)\n",
			       files[f].what,
			       (unsigned long long)folios_present(r),
			       (unsigned long long)first,
			       (unsigned long long)r->pfn[0]);
		munmap(map, r->size);
		close(fd);
	}
	ksft_print_msg("luo_hugetlb: pfns_same=%llu of %llu folios\n",
		       (unsigned long long)(n - moved), (unsigned long long)n);
	EXPECT_EQ(0, moved);
}

TEST_F(stage2, seals)
{
	int f, fd, n = 0;

	for (f = 0; f < NR_FILES; f++) {
		if (!in.f[f].present || files[f].session != S_DATA)
			continue;
		fd = retrieve(_metadata, f);
		ASSERT_LE(0, fd);
		EXPECT_EQ(in.f[f].seals, fcntl(fd, F_GET_SEALS))
			TH_LOG("%s", files[f].what);
		/* And they still refuse. */
		if (in.f[f].seals & F_SEAL_SEAL) {
			EXPECT_EQ(-1, fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
			EXPECT_EQ(EPERM, errno);
		}
		if (in.f[f].seals & F_SEAL_GROW) {
			EXPECT_EQ(-1, ftruncate(fd, in.f[f].size * 2));
			EXPECT_EQ(EPERM, errno);
		}
		close(fd);
		n++;
	}
	if (!n)
		SKIP(return, "stage 1 preserved no data file");
}

TEST_F(stage2, same_file_and_tokens)
{
	int fd1, fd2, f, s;

	for (f = 0; f < NR_FILES; f++)
		if (in.f[f].present && files[f].session == S_DATA)
			break;
	if (f == NR_FILES)
		SKIP(return, "stage 1 preserved no data file");
	fd1 = retrieve(_metadata, f);
	fd2 = retrieve(_metadata, f);
	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	EXPECT_NE(fd1, fd2);
	EXPECT_EQ(0, syscall(__NR_kcmp, getpid(), getpid(), KCMP_FILE, fd1,
			     fd2)) TH_LOG("a second RETRIEVE_FD is another file");
	/* Unknown tokens. */
	EXPECT_EQ(-ENOENT, luo_retrieve_fd(in_ses[S_DATA], 99));
	EXPECT_EQ(-ENOENT, luo_retrieve_fd(in_ses[S_DATA], 0));
	/* A retrieved file cannot be preserved again before FINISH. */
	s = luo_create_session(luo_fd, "luo-hugetlb-again");
	ASSERT_LE(0, s);
	EXPECT_EQ(-EBUSY, luo_preserve_fd(s, fd1, 1));
	close(s);
	close(fd2);
	close(fd1);
}

/*
 * FINISH of the session never retrieved: its huge pages back in the pool,
 * free counts growing by its folios exactly, not holding its data.
 */
TEST_F_TIMEOUT(stage2, unretrieved_finish, 300)
{
	int s = in_ses[S_UNRETRIEVED], tdev = -1, f, hs, i, ret;
	int64_t before[NR_HSTATES], after[NR_HSTATES];
	uint64_t want[NR_HSTATES];
	long hits, zero;

	ASSERT_LE(0, s);
	if (in.root && !geteuid())
		tdev = open(LUO_TEST_DEVICE, O_RDWR);
	if (tdev < 0)
		ksft_print_msg("no %s or no PFNs: zeroing not checked\n",
			       LUO_TEST_DEVICE);
	for (f = 0; tdev >= 0 && f < NR_FILES; f++) {
		if (!in.f[f].present || files[f].session != S_UNRETRIEVED)
			continue;
		ASSERT_EQ(0, peek_file(_metadata, tdev, f, &in.f[f], &hits,
				       &zero));
		EXPECT_EQ(folios_present(&in.f[f]) * PEEKS, hits)
			TH_LOG("%s: before FINISH only %ld pages peeked hold their data",
			       files[f].what, hits);
	}
	for (hs = 0; hs < NR_HSTATES; hs++) {
		before[hs] = hs_read(hs, "free_hugepages");
		want[hs] = folios_of(&in, S_UNRETRIEVED, hs);
	}
	ret = luo_finish(s);
	ASSERT_EQ(0, ret) TH_LOG("FINISH: %s", strerror(-ret));
	EXPECT_EQ(0, luo_finish(s));
	EXPECT_EQ(-ENOENT, luo_retrieve_fd(s, files[F_UNR_1G].token));
	/* Back in the pool at once or soon after. */
	for (i = 0; i < 50; i++) {
		for (hs = 0; hs < NR_HSTATES; hs++)
			after[hs] = hs_read(hs, "free_hugepages");
		if (after[H_2M] >= before[H_2M] + (int64_t)want[H_2M] &&
		    after[H_1G] >= before[H_1G] + (int64_t)want[H_1G])
			break;
		usleep(100000);
	}
	for (hs = 0; hs < NR_HSTATES; hs++) {
		ksft_print_msg("luo_hugetlb: finish: %s free %lld -> %lld (+%llu folios)\n",
			       hname[hs], (long long)before[hs],
			       (long long)after[hs],
			       (unsigned long long)want[hs]);
		EXPECT_EQ(before[hs] + (int64_t)want[hs], after[hs])
			TH_LOG("%s: free count", hname[hs]);
		EXPECT_EQ(in.pool.total[hs], hs_read(hs, "nr_hugepages"))
			TH_LOG("%s: the pool changed size", hname[hs]);
	}
	for (f = 0; tdev >= 0 && f < NR_FILES; f++) {
		if (!in.f[f].present || files[f].session != S_UNRETRIEVED)
			continue;
		ASSERT_EQ(0, peek_file(_metadata, tdev, f, &in.f[f], &hits,
				       &zero));
		ksft_print_msg("luo_hugetlb: finished %s: %ld of %llu peeked hold data, %ld zero\n",
			       files[f].what, hits,
			       (unsigned long long)folios_present(&in.f[f]) * PEEKS,
			       zero);
		EXPECT_EQ(0, hits) TH_LOG("%s: freed into the pool, not zeroed",
					  files[f].what);
		EXPECT_EQ(folios_present(&in.f[f]) * PEEKS, zero);
	}
	if (tdev >= 0)
		close(tdev);
}

/*
 * Allocate from the pool again: a new memfd of each size faulted in reads
 * zero (hugetlb zeroes at fault: this shows the pool works, the peeks
 * above show the zeroing), and reports whether it got a freed page.
 */
TEST_F(stage2, pool_reuse)
{
	int hs, f, fd, n = 0;

	for (hs = 0; hs < NR_HSTATES; hs++) {
		uint64_t hp = hsize[hs], pfn = 0, i, p, bad = 0;
		const uint64_t *w;
		bool reused = false;
		uint8_t *map;

		if (hs_read(hs, "free_hugepages") < 1)
			continue;
		fd = hugetlb_memfd("luo-hugetlb-reuse", hs);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, ftruncate(fd, hp));
		map = mmap(NULL, hp, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, map);
		map[0] = 0;
		if (in.root && !geteuid())
			luo_pagemap(map, 1, &pfn);
		for (p = 0; p < hp / LUO_PAGE; p++) {
			w = (const uint64_t *)(map + p * LUO_PAGE);
			for (i = 0; i < 8; i++)
				bad += !!w[i];
		}
		for (f = 0; pfn && f < NR_FILES; f++)
			for (i = 0; in.f[f].present && i < in.f[f].nfolios; i++)
				reused |= files[f].session == S_UNRETRIEVED &&
					  in.f[f].pfn[i] == pfn;
		ksft_print_msg("luo_hugetlb: new %s page pfn %#llx: %s\n",
			       hname[hs], (unsigned long long)pfn,
			       reused ? "an unretrieved page, reused" :
			       "not one of the unretrieved pages");
		EXPECT_EQ(0, bad);
		munmap(map, hp);
		close(fd);
		n++;
	}
	if (!n)
		SKIP(return, "no free huge page");
}

/* FINISH of the data session: the memory stays the process's. */
TEST_F_TIMEOUT(stage2, data_finish, 600)
{
	int fds[NR_FILES], f, ret, hs, s;

	ASSERT_LE(0, in_ses[S_DATA]);
	for (f = 0; f < NR_FILES; f++) {
		fds[f] = -1;
		if (in.f[f].present && files[f].session == S_DATA) {
			fds[f] = retrieve(_metadata, f);
			ASSERT_LE(0, fds[f]);
		}
	}
	ret = luo_finish(in_ses[S_DATA]);
	ASSERT_EQ(0, ret) TH_LOG("FINISH: %s", strerror(-ret));
	for (f = 0; f < NR_FILES; f++)
		if (fds[f] >= 0)
			check_file(_metadata, f, fds[f]);
	/* Finished: may be preserved again, for the next kexec. */
	s = luo_create_session(luo_fd, "luo-hugetlb-again");
	ASSERT_LE(0, s);
	for (f = 0; f < NR_FILES; f++) {
		if (fds[f] < 0)
			continue;
		ret = luo_preserve_fd(s, fds[f], f + 1);
		EXPECT_EQ(0, ret) TH_LOG("PRESERVE_FD after FINISH: %s",
					 strerror(-ret));
	}
	close(s);
	for (f = 0; f < NR_FILES; f++)
		if (fds[f] >= 0)
			close(fds[f]);
	/* Every file closed: the pool is whole, nothing reserved. */
	for (hs = 0; hs < NR_HSTATES; hs++) {
		if (in.pool.total[hs] < 0)
			continue;
		EXPECT_EQ(in.pool.total[hs], hs_read(hs, "nr_hugepages"))
			TH_LOG("%s", hname[hs]);
		EXPECT_EQ(in.pool.total[hs], hs_read(hs, "free_hugepages"))
			TH_LOG("%s: free after every file is closed", hname[hs]);
		EXPECT_EQ(0, hs_read(hs, "resv_hugepages"))
			TH_LOG("%s: reserved after every file is closed",
			       hname[hs]);
		EXPECT_EQ(0, hs_read(hs, "surplus_hugepages"));
	}
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

/* "1,3" into @hole; "-" for none.  0 or -EINVAL. */
static int parse_holes(const char *s, uint8_t *hole)
{
	char *end;

	memset(hole, 0, MAX_FOLIOS);
	if (!strcmp(s, "-"))
		return 0;
	while (*s) {
		unsigned long i = strtoul(s, &end, 0);

		if (end == s || i >= MAX_FOLIOS)
			return -EINVAL;
		hole[i] = 1;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -EINVAL;
	}
	return 0;
}

static void usage(const char *prog)
{
	fprintf(stderr, "%s [-g GIB] [-m MIB] [-G LIST] [-H LIST] [-u GIB] [-U MIB]\n",
		prog);
	exit(2);
}

int main(int argc, char **argv)
{
	static char fixture[16], *hargv[4];
	uint64_t free_left[NR_HSTATES];
	int opt, s, fd, ret, f, hs, n = 0;

	opt_hole[F_2M][5] = 1;
	while ((opt = getopt(argc, argv, "g:m:G:H:u:U:")) != -1) {
		switch (opt) {
		case 'g':
			opt_size[F_1G] = strtoull(optarg, NULL, 0) * SZ_1G;
			break;
		case 'm':
			opt_size[F_2M] = strtoull(optarg, NULL, 0) << 20;
			break;
		case 'u':
			opt_size[F_UNR_1G] = strtoull(optarg, NULL, 0) * SZ_1G;
			break;
		case 'U':
			opt_size[F_UNR_2M] = strtoull(optarg, NULL, 0) << 20;
			break;
		case 'G':
			if (parse_holes(optarg, opt_hole[F_1G]))
				usage(argv[0]);
			break;
		case 'H':
			if (parse_holes(optarg, opt_hole[F_2M]))
				usage(argv[0]);
			break;
		default:
			usage(argv[0]);
		}
	}
	optind = 1;
	luo_fd = luo_open_or_exit();
	out = mmap(NULL, sizeof(*out), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (out == MAP_FAILED) {
		ksft_print_header();
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	}
	out->root = !geteuid();

	s = luo_retrieve_session(luo_fd, STATE_SESSION);
	if (s == -ENOENT) {
		stage = 1;
		/* The files that fit in the pools there are. */
		for (hs = 0; hs < NR_HSTATES; hs++) {
			int64_t v = hs_read(hs, "free_hugepages");

			free_left[hs] = v > 0 ? v : 0;
		}
		/* Keep a 2 MiB page for the tests without a kexec. */
		if (free_left[H_2M] >= 2)
			free_left[H_2M] -= 2;
		for (f = 0; f < NR_FILES; f++) {
			out->f[f].present = file_fits(f, free_left);
			n += out->f[f].present;
			if (!out->f[f].present && opt_size[f])
				ksft_print_msg("luo_hugetlb: %s left out: no room in the %s pool\n",
					       files[f].what, hname[files[f].hs]);
		}
		if (!n) {
			ksft_print_header();
			ksft_exit_skip("no hugetlb pool (hugepagesz= hugepages=)\n");
		}
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
	for (f = 0; f < NR_SESSIONS; f++)
		in_ses[f] = stage == 2 ?
			luo_retrieve_session(luo_fd, session_names[f]) : -ENOENT;
	if (stage != 1 && stage != 2) {
		ksft_print_header();
		ksft_exit_fail_msg("state of stage %u: nothing to do\n",
				   in.stage);
	}
	snprintf(fixture, sizeof(fixture), "stage%d", stage);
	hargv[0] = argv[0];
	hargv[1] = "-f";
	hargv[2] = fixture;
	ksft_print_msg("luo_hugetlb: stage %d\n", stage);
	return test_harness_run(3, hargv);
}
