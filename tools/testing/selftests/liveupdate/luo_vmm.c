// SPDX-License-Identifier: GPL-2.0
/*
 * A virtual machine monitor's guest memory across a kexec.
 *
 * Stage 1 (no session "luo-vmm" yet) maps a memfd of -s MiB (default 384),
 * fills it with round 0 of a pattern, preserves it and leaves a writer
 * that, like a running guest, rewrites it page after page, round after
 * round, until the kexec stops it: word i of page p in round r is
 * base(p, i) + r * K, stored in ascending order.  After each page the
 * writer stores its progress (pages written since round 1) and the TSC in
 * a second preserved memfd, the heartbeat.
 *
 * Stage 2 retrieves both and checks every byte: with R the round of the
 * first word, pages [0, F) are at round R, then at most one torn page
 * (its bytes [0, k) at R, the rest at R - 1), then every other page at
 * R - 1, and the heartbeat agrees (progress F or F - 1 pages).  No slack.
 * It reports the structure and the TSC of the last write, of the retrieve
 * and of the end of the verification ("# luo_vmm: ..." lines).
 *
 *   luo_vmm [-s MIB] [-n]	(-n: no writer, the memory only held)
 */
#include <time.h>

#include "../kselftest_harness.h"
#include "luo_test.h"

#define SESSION		"luo-vmm"
#define TOKEN_MEM	1
#define TOKEN_HB	2
#define HB_MAGIC	0x6c756f2d766d6d31ULL	/* "luo-vmm1" */
#define WORDS		(LUO_PAGE / 8)
#define K_ROUND		0x00000100000001b3ULL	/* odd: invertible */

struct heartbeat {
	uint64_t magic;
	uint64_t npages;
	uint64_t writer;		/* 1 if a writer ran */
	uint64_t start_tsc;
	uint64_t progress;		/* pages written, rounds >= 1 */
	uint64_t tsc;			/* after the last page */
};

static int luo_fd = -1, session = -ENOENT;
static uint64_t size_mb = 384;
static bool no_writer;

static inline uint64_t rdtsc(void)
{
#ifdef __x86_64__
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
#else
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
#endif
}

static inline uint64_t base(uint64_t p, uint64_t i)
{
	return (p * 0x9e3779b97f4a7c15ULL) ^ (i * 0xc2b2ae3d27d4eb4fULL) ^
	       (i << 48);
}

/* In ascending order, word by word: what a torn page may look like. */
static void write_page(uint64_t *w, uint64_t p, uint64_t r)
{
	uint64_t i, add = r * K_ROUND;

	for (i = 0; i < WORDS; i++)
		__atomic_store_n(&w[i], base(p, i) + add, __ATOMIC_RELEASE);
}

struct writer {
	uint64_t *mem;
	struct heartbeat *hb;
};

static void writer_loop(void *arg)
{
	struct writer *wr = arg;
	uint64_t n = wr->hb->npages, r, p, done = 0;

	for (r = 1;; r++) {
		for (p = 0; p < n; p++) {
			write_page(wr->mem + p * WORDS, p, r);
			__atomic_store_n(&wr->hb->progress, ++done,
					 __ATOMIC_RELEASE);
			__atomic_store_n(&wr->hb->tsc, rdtsc(), __ATOMIC_RELEASE);
		}
	}
}

static uint64_t progress_of(struct heartbeat *hb)
{
	return __atomic_load_n(&hb->progress, __ATOMIC_ACQUIRE);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

FIXTURE(vmm) {
	int unused;
};

FIXTURE_SETUP(vmm)
{
}

FIXTURE_TEARDOWN(vmm)
{
}

TEST_F_TIMEOUT(vmm, start, 900)
{
	uint64_t npages = size_mb << 20 >> 12, p, t0, p0;
	int m, hbfd, ret, keep[1];
	struct heartbeat *hb;
	struct writer wr;
	uint64_t *mem;
	pid_t pid;

	if (session != -ENOENT)
		SKIP(return, "stage 2: session %s handed over", SESSION);
	ASSERT_LT(0, npages);
	m = luo_memfd("luo-vmm-guest", MFD_CLOEXEC);
	hbfd = luo_memfd("luo-vmm-heartbeat", MFD_CLOEXEC);
	ASSERT_LE(0, m);
	ASSERT_LE(0, hbfd);
	ASSERT_EQ(0, ftruncate(m, npages * LUO_PAGE));
	ASSERT_EQ(0, ftruncate(hbfd, LUO_PAGE));
	mem = mmap(NULL, npages * LUO_PAGE, PROT_READ | PROT_WRITE,
		   MAP_SHARED, m, 0);
	ASSERT_NE(MAP_FAILED, mem);
	hb = mmap(NULL, LUO_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, hbfd, 0);
	ASSERT_NE(MAP_FAILED, hb);

	t0 = mono_ns();
	for (p = 0; p < npages; p++)
		write_page(mem + p * WORDS, p, 0);
	ksft_print_msg("luo_vmm: %llu MiB filled (round 0) in %llu ms\n",
		       (unsigned long long)size_mb,
		       (unsigned long long)(mono_ns() - t0) / 1000000);
	hb->magic = HB_MAGIC;
	hb->npages = npages;
	hb->writer = !no_writer;
	hb->start_tsc = rdtsc();

	session = luo_create_session(luo_fd, SESSION);
	ASSERT_LE(0, session) TH_LOG("%s", strerror(-session));
	ret = luo_preserve_fd(session, m, TOKEN_MEM);
	ASSERT_EQ(0, ret) TH_LOG("PRESERVE_FD: %s", strerror(-ret));
	ret = luo_preserve_fd(session, hbfd, TOKEN_HB);
	ASSERT_EQ(0, ret) TH_LOG("PRESERVE_FD: %s", strerror(-ret));

	keep[0] = session;
	wr.mem = mem;
	wr.hb = hb;
	pid = luo_daemonize_fn(keep, 1, no_writer ? NULL : writer_loop, &wr);
	ASSERT_LT(0, pid);
	if (!no_writer) {
		/* It writes: some progress in the first seconds. */
		for (p = 0; p < 300 && !progress_of(hb); p++)
			usleep(100000);
		ASSERT_NE(0, progress_of(hb)) TH_LOG("the writer wrote nothing");
		p0 = progress_of(hb);
		t0 = mono_ns();
		usleep(500000);
		p = (progress_of(hb) - p0) * 1000000000ULL / (mono_ns() - t0);
		ksft_print_msg("luo_vmm: writer %d: %llu pages/s (%llu MiB/s)\n",
			       pid, (unsigned long long)p,
			       (unsigned long long)p >> 8);
	}
	munmap(hb, LUO_PAGE);
	munmap(mem, npages * LUO_PAGE);
	close(m);
	close(hbfd);
	close(session);
	ksft_print_msg("luo_vmm: %llu MiB preserved in %s; kexec now, then run this again\n",
		       (unsigned long long)size_mb,
		       SESSION);
}

/* Bytes of @page matching round r from the start; WORDS * 8 if all do. */
static size_t match_prefix(const uint8_t *page, uint64_t p, uint64_t r)
{
	uint64_t want[WORDS], i;
	const uint8_t *w = (const uint8_t *)want;
	size_t k;

	for (i = 0; i < WORDS; i++)
		want[i] = base(p, i) + r * K_ROUND;
	if (!memcmp(page, want, LUO_PAGE))
		return LUO_PAGE;
	for (k = 0; k < LUO_PAGE && page[k] == w[k]; k++)
		;
	return k;
}

static bool match_from(const uint8_t *page, uint64_t p, uint64_t r, size_t k)
{
	uint64_t want[WORDS], i;

	for (i = 0; i < WORDS; i++)
		want[i] = base(p, i) + r * K_ROUND;
	return !memcmp(page + k, (uint8_t *)want + k, LUO_PAGE - k);
}

static uint64_t mod_inverse(uint64_t k)
{
	uint64_t x = k;
	int i;

	for (i = 0; i < 6; i++)
		x *= 2 - k * x;
	return x;
}

TEST_F_TIMEOUT(vmm, verify, 900)
{
	uint64_t tsc_retrieved, tsc_verified, t0, npages, p, r, full, torn_k;
	uint64_t older = 0, torn = UINT64_MAX, progress;
	uint8_t first[LUO_PAGE];
	char line[256];
	int n;
	const struct heartbeat *hb;
	const uint8_t *mem;
	struct stat st;
	int m, hbfd, ret;

	if (session == -ENOENT)
		SKIP(return, "stage 1");
	ASSERT_LE(0, session) TH_LOG("RETRIEVE_SESSION: %s", strerror(-session));
	m = luo_retrieve_fd(session, TOKEN_MEM);
	tsc_retrieved = rdtsc();
	ASSERT_LE(0, m) TH_LOG("RETRIEVE_FD: %s", strerror(-m));
	hbfd = luo_retrieve_fd(session, TOKEN_HB);
	ASSERT_LE(0, hbfd) TH_LOG("RETRIEVE_FD: %s", strerror(-hbfd));
	hb = mmap(NULL, LUO_PAGE, PROT_READ, MAP_SHARED, hbfd, 0);
	ASSERT_NE(MAP_FAILED, hb);
	ASSERT_EQ(HB_MAGIC, hb->magic);
	npages = hb->npages;
	ASSERT_EQ(0, fstat(m, &st));
	ASSERT_EQ(npages * LUO_PAGE, st.st_size);
	mem = mmap(NULL, npages * LUO_PAGE, PROT_READ, MAP_SHARED, m, 0);
	ASSERT_NE(MAP_FAILED, mem);

	/* The round of the first word. */
	r = (*(const uint64_t *)mem - base(0, 0)) * mod_inverse(K_ROUND);
	ASSERT_GT(1ULL << 32, r) TH_LOG("page 0 holds no round of the pattern");
	if (hb->writer)
		ASSERT_LE(1, r) TH_LOG("the writer never ran before the kexec");

	t0 = mono_ns();
	for (full = 0; full < npages; full++)
		if (match_prefix(mem + full * LUO_PAGE, full, r) != LUO_PAGE)
			break;
	torn_k = 0;
	p = full;
	if (p < npages) {
		ASSERT_LE(1, r) TH_LOG("page %llu is not at round 0",
				       (unsigned long long)p);
		torn_k = match_prefix(mem + p * LUO_PAGE, p, r);
		ASSERT_TRUE(match_from(mem + p * LUO_PAGE, p, r - 1, torn_k))
			TH_LOG("page %llu: [0, %llu) at round %llu, the rest not at %llu",
			       (unsigned long long)p,
			       (unsigned long long)torn_k,
			       (unsigned long long)r,
			       (unsigned long long)r - 1);
		if (torn_k)
			torn = p++;
		for (; p < npages; p++, older++)
			ASSERT_TRUE(match_from(mem + p * LUO_PAGE, p, r - 1, 0))
				TH_LOG("page %llu is neither at round %llu nor at round %llu",
				       (unsigned long long)p,
				       (unsigned long long)r,
				       (unsigned long long)r - 1);
	}
	tsc_verified = rdtsc();
	n = snprintf(line, sizeof(line), "size_mb=%llu round=%llu full_pages=%llu ",
		     (unsigned long long)(npages * LUO_PAGE >> 20),
		     (unsigned long long)r, (unsigned long long)full);
	snprintf(line + n, sizeof(line) - n, "torn_page=%lld torn_bytes=%llu ",
		 torn == UINT64_MAX ? -1LL : (long long)torn,
		 (unsigned long long)torn_k);
	ksft_print_msg("luo_vmm: %solder_pages=%llu verify_ms=%llu\n", line,
		       (unsigned long long)older,
		       (unsigned long long)(mono_ns() - t0) / 1000000);
	ksft_print_msg("luo_vmm: tsc last_write=%llu retrieved=%llu verified=%llu\n",
		       (unsigned long long)hb->tsc,
		       (unsigned long long)tsc_retrieved,
		       (unsigned long long)tsc_verified);

	/* The heartbeat was stored after each page: at most one behind. */
	if (hb->writer) {
		progress = (r - 1) * npages + full;
		ASSERT_TRUE(hb->progress == progress ||
			    hb->progress + 1 == progress)
			TH_LOG("heartbeat says %llu pages written, the memory %llu",
			       (unsigned long long)hb->progress,
			       (unsigned long long)progress);
	}
	memcpy(first, mem, LUO_PAGE);
	ret = luo_finish(session);
	EXPECT_EQ(0, ret) TH_LOG("FINISH: %s", strerror(-ret));
	/* Still the VMM's memory after the finish. */
	EXPECT_EQ(0, memcmp(first, mem, LUO_PAGE));
	munmap((void *)mem, npages * LUO_PAGE);
	munmap((void *)hb, LUO_PAGE);
	close(hbfd);
	close(m);
}

int main(int argc, char **argv)
{
	static char *hargv[2];
	int opt;

	while ((opt = getopt(argc, argv, "s:n")) != -1) {
		switch (opt) {
		case 's':
			size_mb = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			no_writer = true;
			break;
		default:
			fprintf(stderr, "usage: %s [-s MIB] [-n]\n", argv[0]);
			return 2;
		}
	}
	optind = 1;
	luo_fd = luo_open_or_exit();
	session = luo_retrieve_session(luo_fd, SESSION);
	hargv[0] = argv[0];
	return test_harness_run(1, hargv);
}
