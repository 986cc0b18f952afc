// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the Live Update Orchestrator's handover tables: entries
 * written by luo_ser_session() and luo_ser_file() pass the next kernel's
 * checks, and corrupt or truncated tables are refused, whole or entry by
 * entry as the format says.
 */

#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/vmalloc.h>

#include "luo_internal.h"

#define LUO_TEST_MANY	10000

static unsigned long *luo_test_bitmap(struct kunit *test, u64 nr)
{
	unsigned long *bad = kunit_kcalloc(test, BITS_TO_LONGS(nr),
					   sizeof(long), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, bad);
	return bad;
}

static void luo_check_string_test(struct kunit *test)
{
	char s[8] = "abc";

	KUNIT_EXPECT_EQ(test, luo_check_string(s, sizeof(s)), 3);
	memset(s, 'x', sizeof(s) - 1);
	s[7] = '\0';
	KUNIT_EXPECT_EQ(test, luo_check_string(s, sizeof(s)), 7);
	/* unterminated */
	s[7] = 'x';
	KUNIT_EXPECT_EQ(test, luo_check_string(s, sizeof(s)), -EINVAL);
	/* empty */
	s[0] = '\0';
	KUNIT_EXPECT_EQ(test, luo_check_string(s, sizeof(s)), -EINVAL);
}

static void luo_ser_session_test(struct kunit *test)
{
	struct luo_session_ser e;

	memset(&e, 0xa5, sizeof(e));
	luo_ser_session(&e, "vm-1", 7, 3);
	KUNIT_EXPECT_STREQ(test, e.name, "vm-1");
	/* the rest of the name is zeroed: no stale bytes cross the kexec */
	KUNIT_EXPECT_EQ(test, e.name[sizeof(e.name) - 1], 0);
	KUNIT_EXPECT_EQ(test, e.first_file, 7);
	KUNIT_EXPECT_EQ(test, e.nr_files, 3);
}

static void luo_ser_file_test(struct kunit *test)
{
	struct luo_file_ser e;

	memset(&e, 0xa5, sizeof(e));
	luo_ser_file(&e, "memfd-lts-v1", 0x123000, ~0ULL);
	KUNIT_EXPECT_STREQ(test, e.compatible, "memfd-lts-v1");
	KUNIT_EXPECT_EQ(test, e.compatible[sizeof(e.compatible) - 1], 0);
	KUNIT_EXPECT_EQ(test, e.data, 0x123000);
	KUNIT_EXPECT_EQ(test, e.token, ~0ULL);
}

/* A written session table passes, and so does an empty one. */
static void luo_sessions_written_pass_test(struct kunit *test)
{
	struct luo_session_ser t[4];
	unsigned long *bad = luo_test_bitmap(test, 4);

	luo_ser_session(&t[0], "a", 0, 1);
	luo_ser_session(&t[1], "b", 1, 0);
	luo_ser_session(&t[2], "c", 1, 5);
	/* no files: any start inside the table is fine */
	luo_ser_session(&t[3], "d", 6, 0);
	KUNIT_EXPECT_EQ(test, luo_check_sessions(t, 4, sizeof(t), 6, bad), 0);
	KUNIT_EXPECT_TRUE(test, bitmap_empty(bad, 4));
	KUNIT_EXPECT_EQ(test, luo_check_sessions(t, 0, 0, 0, bad), 0);
}

/* A count the memory cannot hold refuses the whole table. */
static void luo_sessions_truncated_test(struct kunit *test)
{
	struct luo_session_ser t[2];
	unsigned long *bad = luo_test_bitmap(test, 3);

	luo_ser_session(&t[0], "a", 0, 0);
	luo_ser_session(&t[1], "b", 0, 0);
	KUNIT_EXPECT_EQ(test, luo_check_sessions(t, 3, sizeof(t), 0, bad),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, luo_check_sessions(t, 2, sizeof(t) - 1, 0, bad),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, luo_check_sessions(t, 1ULL << 40, ~0ULL, 0, bad),
			-EINVAL);
}

/* Bad names and files outside the file table refuse their session alone. */
static void luo_sessions_bad_entry_test(struct kunit *test)
{
	struct luo_session_ser t[6];
	unsigned long *bad = luo_test_bitmap(test, 6);

	luo_ser_session(&t[0], "good", 0, 2);
	luo_ser_session(&t[1], "", 2, 0);
	luo_ser_session(&t[2], "unterminated", 2, 0);
	memset(t[2].name, 'n', sizeof(t[2].name));
	/* one file past the end of the table */
	luo_ser_session(&t[3], "too-many", 2, 9);
	/* a start past the end, and a count that wraps around */
	luo_ser_session(&t[4], "far", 11, 0);
	luo_ser_session(&t[5], "wrap", 3, U64_MAX);
	KUNIT_ASSERT_EQ(test, luo_check_sessions(t, 6, sizeof(t), 10, bad), 0);
	KUNIT_EXPECT_FALSE(test, test_bit(0, bad));
	KUNIT_EXPECT_TRUE(test, test_bit(1, bad));
	KUNIT_EXPECT_TRUE(test, test_bit(2, bad));
	KUNIT_EXPECT_TRUE(test, test_bit(3, bad));
	KUNIT_EXPECT_TRUE(test, test_bit(4, bad));
	KUNIT_EXPECT_TRUE(test, test_bit(5, bad));
}

/* Sessions that share files are refused, all of them, and only they. */
static void luo_sessions_overlap_test(struct kunit *test)
{
	struct luo_session_ser t[5];
	unsigned long *bad = luo_test_bitmap(test, 5);

	luo_ser_session(&t[0], "a", 0, 10);	/* overlaps c, not b */
	luo_ser_session(&t[1], "b", 10, 2);
	luo_ser_session(&t[2], "c", 4, 1);
	luo_ser_session(&t[3], "d", 12, 3);
	luo_ser_session(&t[4], "e", 14, 1);	/* inside d */
	KUNIT_ASSERT_EQ(test, luo_check_sessions(t, 5, sizeof(t), 15, bad), 0);
	KUNIT_EXPECT_TRUE(test, test_bit(0, bad));
	KUNIT_EXPECT_FALSE(test, test_bit(1, bad));
	KUNIT_EXPECT_TRUE(test, test_bit(2, bad));
	KUNIT_EXPECT_TRUE(test, test_bit(3, bad));
	KUNIT_EXPECT_TRUE(test, test_bit(4, bad));
}

/* Every session of a repeated name is refused, the others are not. */
static void luo_sessions_duplicate_test(struct kunit *test)
{
	struct luo_session_ser t[5];
	unsigned long *bad = luo_test_bitmap(test, 5);

	luo_ser_session(&t[0], "x", 0, 0);
	luo_ser_session(&t[1], "y", 0, 0);
	luo_ser_session(&t[2], "x", 0, 0);
	luo_ser_session(&t[3], "z", 0, 0);
	luo_ser_session(&t[4], "x", 0, 0);
	KUNIT_ASSERT_EQ(test, luo_check_sessions(t, 5, sizeof(t), 0, bad), 0);
	KUNIT_EXPECT_TRUE(test, test_bit(0, bad));
	KUNIT_EXPECT_FALSE(test, test_bit(1, bad));
	KUNIT_EXPECT_TRUE(test, test_bit(2, bad));
	KUNIT_EXPECT_FALSE(test, test_bit(3, bad));
	KUNIT_EXPECT_TRUE(test, test_bit(4, bad));
}

/* Many sessions: all pass, and one repeat among them is found. */
static void luo_sessions_many_test(struct kunit *test)
{
	unsigned long *bad = luo_test_bitmap(test, LUO_TEST_MANY);
	size_t bytes = array_size(LUO_TEST_MANY, sizeof(struct luo_session_ser));
	struct luo_session_ser *t;
	char name[LUO_SESSION_NAME_LEN];
	int i;

	t = vmalloc(bytes);
	KUNIT_ASSERT_NOT_NULL(test, t);
	for (i = 0; i < LUO_TEST_MANY; i++) {
		snprintf(name, sizeof(name), "session-%d", i);
		luo_ser_session(&t[i], name, 10 * i, 10);
	}
	KUNIT_EXPECT_EQ(test, luo_check_sessions(t, LUO_TEST_MANY, bytes,
						 10 * LUO_TEST_MANY, bad), 0);
	KUNIT_EXPECT_TRUE(test, bitmap_empty(bad, LUO_TEST_MANY));

	luo_ser_session(&t[LUO_TEST_MANY - 1], "session-17",
			10 * (LUO_TEST_MANY - 1), 10);
	KUNIT_EXPECT_EQ(test, luo_check_sessions(t, LUO_TEST_MANY, bytes,
						 10 * LUO_TEST_MANY, bad), 0);
	KUNIT_EXPECT_EQ(test, bitmap_weight(bad, LUO_TEST_MANY), 2);
	KUNIT_EXPECT_TRUE(test, test_bit(17, bad));
	KUNIT_EXPECT_TRUE(test, test_bit(LUO_TEST_MANY - 1, bad));
	vfree(t);
}

static void luo_files_written_pass_test(struct kunit *test)
{
	struct luo_file_ser t[3];
	unsigned long *bad = luo_test_bitmap(test, 3);

	luo_ser_file(&t[0], "memfd-lts-v1", 0x1000, 0);
	luo_ser_file(&t[1], "memfd-lts-v1", 0x2000, 1);
	luo_ser_file(&t[2], "liveupdate-test-v1", 7, ~0ULL);
	KUNIT_EXPECT_EQ(test, luo_check_files(t, 3, sizeof(t), bad), 0);
	KUNIT_EXPECT_TRUE(test, bitmap_empty(bad, 3));
}

static void luo_files_truncated_test(struct kunit *test)
{
	struct luo_file_ser t[2];
	unsigned long *bad = luo_test_bitmap(test, 3);

	luo_ser_file(&t[0], "memfd-lts-v1", 0, 1);
	luo_ser_file(&t[1], "memfd-lts-v1", 0, 2);
	KUNIT_EXPECT_EQ(test, luo_check_files(t, 3, sizeof(t), bad), -EINVAL);
	KUNIT_EXPECT_EQ(test, luo_check_files(t, 2, sizeof(t) - 1, bad), -EINVAL);
}

/* Bad handler names and repeated tokens refuse their files alone. */
static void luo_files_bad_entry_test(struct kunit *test)
{
	struct luo_file_ser t[6];
	unsigned long *bad = luo_test_bitmap(test, 6);

	luo_ser_file(&t[0], "memfd-lts-v1", 0, 10);
	luo_ser_file(&t[1], "", 0, 11);
	luo_ser_file(&t[2], "memfd-lts-v1", 0, 12);
	memset(t[2].compatible, 'c', sizeof(t[2].compatible));
	luo_ser_file(&t[3], "memfd-lts-v1", 0, 13);
	luo_ser_file(&t[4], "memfd-lts-v1", 0, 10);
	luo_ser_file(&t[5], "memfd-lts-v1", 0, 14);
	KUNIT_ASSERT_EQ(test, luo_check_files(t, 6, sizeof(t), bad), 0);
	KUNIT_EXPECT_TRUE(test, test_bit(0, bad));
	KUNIT_EXPECT_TRUE(test, test_bit(1, bad));
	KUNIT_EXPECT_TRUE(test, test_bit(2, bad));
	KUNIT_EXPECT_FALSE(test, test_bit(3, bad));
	KUNIT_EXPECT_TRUE(test, test_bit(4, bad));
	KUNIT_EXPECT_FALSE(test, test_bit(5, bad));
}

/* A file refused for its name does not make a twin token look repeated. */
static void luo_files_bad_then_duplicate_test(struct kunit *test)
{
	struct luo_file_ser t[2];
	unsigned long *bad = luo_test_bitmap(test, 2);

	luo_ser_file(&t[0], "", 0, 5);
	luo_ser_file(&t[1], "memfd-lts-v1", 0, 5);
	KUNIT_ASSERT_EQ(test, luo_check_files(t, 2, sizeof(t), bad), 0);
	KUNIT_EXPECT_TRUE(test, test_bit(0, bad));
	KUNIT_EXPECT_FALSE(test, test_bit(1, bad));
}

static struct kunit_case luo_tables_test_cases[] = {
	KUNIT_CASE(luo_check_string_test),
	KUNIT_CASE(luo_ser_session_test),
	KUNIT_CASE(luo_ser_file_test),
	KUNIT_CASE(luo_sessions_written_pass_test),
	KUNIT_CASE(luo_sessions_truncated_test),
	KUNIT_CASE(luo_sessions_bad_entry_test),
	KUNIT_CASE(luo_sessions_overlap_test),
	KUNIT_CASE(luo_sessions_duplicate_test),
	KUNIT_CASE(luo_sessions_many_test),
	KUNIT_CASE(luo_files_written_pass_test),
	KUNIT_CASE(luo_files_truncated_test),
	KUNIT_CASE(luo_files_bad_entry_test),
	KUNIT_CASE(luo_files_bad_then_duplicate_test),
	{}
};

static struct kunit_suite luo_tables_test_suite = {
	.name = "liveupdate_tables",
	.test_cases = luo_tables_test_cases,
};

kunit_test_suite(luo_tables_test_suite);

MODULE_DESCRIPTION("KUnit tests of the Live Update Orchestrator's handover tables");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
