// SPDX-License-Identifier: GPL-2.0
/*
 * A corrupt handover: the next kernel refuses what is bad, alone, zeroes
 * its memory and takes the rest.  For kernels with CONFIG_LIVEUPDATE_DEBUG
 * booted with liveupdate.test_corrupt= naming the sessions below, e.g.
 *
 *	liveupdate.test_corrupt=name@c-name,dup@c-dup,table@c-table,
 *		overlap@c-overlap,token@c-token,compat@c-compat,data@c-data
 *
 * (one word).  Stage 1 (no session "c-good") preserves two or three
 * memfds with patterns in each session and records every page's PFN in
 * session c-good; stage 2 reads the list back from
 * /sys/module/liveupdate/parameters/test_corrupt and checks, session by
 * session, that what the list made bad is refused with the errno the
 * format says (a bad session is not there at all: ENOENT), that nothing
 * refused left its data in memory (read through /dev/liveupdate_test),
 * and that everything else is there, byte for byte.
 */
#include "../kselftest_harness.h"
#include "luo_test.h"

#define CORRUPT_PARAM	"/sys/module/liveupdate/parameters/test_corrupt"
#define PAGES		16
#define MAX_TOKENS	3
#define STATE_TOKEN	100

/* In the order they are created, which is the order they are written. */
enum { GOOD, NAME, DUPVICTIM, DUP, TABLE, OVVICTIM, OVERLAP, TOKEN, COMPAT,
	DATA, GOOD2, NR_SESSIONS };

static const struct {
	const char *name;
	const char *mode;	/* its corruption */
	int nr_files;
} sessions[NR_SESSIONS] = {
	[GOOD] = { "c-good", NULL, 2 },
	[NAME] = { "c-name", "name", 2 },
	[DUPVICTIM] = { "c-dupvictim", NULL, 2 },
	[DUP] = { "c-dup", "dup", 2 },
	[TABLE] = { "c-table", "table", 2 },
	[OVVICTIM] = { "c-ovvictim", NULL, 2 },
	[OVERLAP] = { "c-overlap", "overlap", 2 },
	[TOKEN] = { "c-token", "token", 3 },
	[COMPAT] = { "c-compat", "compat", 2 },
	[DATA] = { "c-data", "data", 2 },
	[GOOD2] = { "c-good2", NULL, 2 },
};

struct state {
	uint64_t pfns[NR_SESSIONS][MAX_TOKENS][PAGES];
};

static int luo_fd = -1, good = -ENOENT;
static char corrupt[256];

static uint64_t seed_of(int s, int t)
{
	return luo_mix(0xc0aa0000ULL + s * 16 + t);
}

static bool corrupted(int s)
{
	char want[80];
	const char *p;
	size_t len;

	if (!sessions[s].mode)
		return false;
	len = snprintf(want, sizeof(want), "%s@%s", sessions[s].mode,
		       sessions[s].name);
	for (p = corrupt; (p = strstr(p, want)); p += len)
		if ((p == corrupt || p[-1] == ',') &&
		    (p[len] == ',' || p[len] == '\0' || p[len] == '\n'))
			return true;
	return false;
}

/* Is session @s refused whole (so not there at all)? */
static bool session_refused(int s)
{
	/* A dup or an overlap makes the session before it bad too. */
	return (corrupted(NAME) && s == NAME) ||
	       (corrupted(DUP) && (s == DUP || s == DUPVICTIM)) ||
	       (corrupted(TABLE) && s == TABLE) ||
	       (corrupted(OVERLAP) && (s == OVERLAP || s == OVVICTIM));
}

/*
 * What RETRIEVE_FD of file @t (token t + 1) of a session taken returns:
 * 0, or the errno of its refusal; *refused says whether it was refused.
 */
static int expected(int s, int t, bool *refused)
{
	*refused = true;
	/*
	 * The second file got the first one's token: both are refused
	 * (which one is real cannot be told), and token 2 is no more.
	 */
	if (corrupted(TOKEN) && s == TOKEN && t <= 1)
		return t ? -ENOENT : -EINVAL;
	/* A handler no kernel has: refused at the end of boot. */
	if (corrupted(COMPAT) && s == COMPAT && t == 0)
		return -EIO;
	/* Handler data that is not the handler's: its claim refuses it. */
	if (corrupted(DATA) && s == DATA && t == 0)
		return -EINVAL;
	*refused = false;
	return 0;
}

FIXTURE(corrupt) {
	int unused;
};

FIXTURE_SETUP(corrupt)
{
}

FIXTURE_TEARDOWN(corrupt)
{
}

TEST_F_TIMEOUT(corrupt, preserve, 300)
{
	int fds[NR_SESSIONS], s, t, m, ret;
	static struct state st;
	uint8_t *map;

	if (good != -ENOENT)
		SKIP(return, "stage 2");
	for (s = 0; s < NR_SESSIONS; s++) {
		fds[s] = luo_create_session(luo_fd, sessions[s].name);
		ASSERT_LE(0, fds[s]) TH_LOG("%s: %s", sessions[s].name,
					    strerror(-fds[s]));
		for (t = 0; t < sessions[s].nr_files; t++) {
			m = luo_memfd("luo-corrupt", MFD_CLOEXEC);
			ASSERT_LE(0, m);
			ASSERT_EQ(0, ftruncate(m, PAGES * LUO_PAGE));
			ASSERT_EQ(0, luo_write_pattern(m, seed_of(s, t), 0,
						       PAGES * LUO_PAGE));
			ret = luo_preserve_fd(fds[s], m, t + 1);
			ASSERT_EQ(0, ret) TH_LOG("%s: %s", sessions[s].name,
						 strerror(-ret));
			map = mmap(NULL, PAGES * LUO_PAGE, PROT_READ,
				   MAP_SHARED | MAP_POPULATE, m, 0);
			ASSERT_NE(MAP_FAILED, map);
			ASSERT_EQ(0, luo_pagemap(map, PAGES, st.pfns[s][t]));
			munmap(map, PAGES * LUO_PAGE);
			close(m);
		}
	}
	m = luo_memfd("luo-corrupt-state", MFD_CLOEXEC);
	ASSERT_LE(0, m);
	ASSERT_EQ(sizeof(st), pwrite(m, &st, sizeof(st), 0));
	ASSERT_EQ(0, luo_preserve_fd(fds[GOOD], m, STATE_TOKEN));
	close(m);
	ASSERT_LT(0, luo_daemonize(fds, NR_SESSIONS));
	for (s = 0; s < NR_SESSIONS; s++)
		close(fds[s]);
	ksft_print_msg("%d sessions preserved; kexec with liveupdate.test_corrupt=...\n",
		       NR_SESSIONS);
}

/* Pages of @pfns still holding the data of file @t of @s. */
static int still_there(int tdev, int s, int t, const uint64_t *pfns)
{
	uint8_t got[32], want[32];
	int p, hits = 0;

	for (p = 0; p < PAGES; p++) {
		if (!pfns[p] || tdev_peek(tdev, pfns[p], got))
			return -1;
		luo_pattern(want, seed_of(s, t), p * LUO_PAGE, sizeof(want));
		hits += !memcmp(got, want, sizeof(want));
	}
	return hits;
}

TEST_F_TIMEOUT(corrupt, refused_alone, 300)
{
	int s, t, fd, ses, want, tdev, hits, taken = 0, gone = 0;
	bool refused;
	static struct state st;
	uint64_t bad = 0;

	if (good == -ENOENT)
		SKIP(return, "stage 1");
	ASSERT_LE(0, good) TH_LOG("c-good: %s", strerror(-good));
	fd = luo_retrieve_fd(good, STATE_TOKEN);
	ASSERT_LE(0, fd);
	ASSERT_EQ(sizeof(st), pread(fd, &st, sizeof(st), 0));
	close(fd);
	tdev = open(LUO_TEST_DEVICE, O_RDWR);
	if (tdev < 0)
		ksft_print_msg("no %s: zeroing not checked\n", LUO_TEST_DEVICE);
	ksft_print_msg("corrupted: %s\n", corrupt);

	for (s = 0; s < NR_SESSIONS; s++) {
		ses = s == GOOD ? good : luo_retrieve_session(luo_fd,
							      sessions[s].name);
		for (t = 0; t < sessions[s].nr_files; t++) {
			want = expected(s, t, &refused);
			if (session_refused(s)) {
				EXPECT_EQ(-ENOENT, ses) TH_LOG("%s was not refused",
							       sessions[s].name);
				refused = true;
			} else {
				ASSERT_LE(0, ses) TH_LOG("%s: %s", sessions[s].name,
							 strerror(-ses));
				fd = luo_retrieve_fd(ses, t + 1);
				EXPECT_EQ(want, fd < 0 ? fd : 0)
					TH_LOG("%s token %d: %s", sessions[s].name,
					       t + 1, strerror(-fd));
				if (fd >= 0) {
					taken++;
					EXPECT_EQ(0, luo_check_range(fd, false,
								     seed_of(s, t), 0,
								     PAGES * LUO_PAGE,
								     &bad))
						TH_LOG("%s token %d: byte %llu",
						       sessions[s].name, t + 1,
						       (unsigned long long)bad);
					close(fd);
				}
			}
			gone += refused;
			if (!refused || tdev < 0)
				continue;
			/* Refused: its memory was released, zeroed. */
			hits = still_there(tdev, s, t, st.pfns[s][t]);
			EXPECT_EQ(0, hits) TH_LOG("%s token %d: %d of %d pages still hold its data",
						  sessions[s].name, t + 1, hits, PAGES);
		}
		if (ses >= 0) {
			EXPECT_EQ(0, luo_finish(ses));
			if (s != GOOD)
				close(ses);
		}
	}
	ksft_print_msg("%d files taken, byte for byte; %d refused%s\n", taken,
		       gone, tdev >= 0 ? ", none of their pages left with data" : "");
	if (tdev >= 0)
		close(tdev);
}

int main(int argc, char **argv)
{
	static char *hargv[2];
	ssize_t n;
	int fd;

	luo_fd = luo_open_or_exit();
	fd = open(CORRUPT_PARAM, O_RDONLY);
	if (fd < 0) {
		ksft_print_header();
		ksft_exit_skip("no %s (CONFIG_LIVEUPDATE_DEBUG)\n",
			       CORRUPT_PARAM);
	}
	n = read(fd, corrupt, sizeof(corrupt) - 1);
	corrupt[n > 0 ? n : 0] = '\0';
	corrupt[strcspn(corrupt, "\n")] = '\0';
	close(fd);
	good = luo_retrieve_session(luo_fd, sessions[GOOD].name);
	hargv[0] = argv[0];
	return test_harness_run(1, hargv);
}
