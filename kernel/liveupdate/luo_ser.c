// SPDX-License-Identifier: GPL-2.0-only
/*
 * Live Update Orchestrator (LUO): the session and file tables of the
 * handover, their entries written and checked.
 *
 * The tables come from the previous kernel and are untrusted.  Writing and
 * checking them needs nothing but the tables themselves, so that KUnit runs
 * both on any architecture: a table that does not fit the
 * memory it came in is refused whole; otherwise each entry that is bad is
 * marked in a bitmap and refused alone, and the others go on.  Duplicate
 * names and tokens are found by sorting, so the checks stay O(n log n)
 * however large the tables are.
 */

#include <kunit/visibility.h>
#include <linux/bitmap.h>
#include <linux/errno.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "luo_internal.h"

static_assert(LUO_SESSION_NAME_LEN == LIVEUPDATE_SESSION_NAME_LENGTH);
static_assert(LUO_COMPATIBLE_LEN == LIVEUPDATE_HNDL_COMPAT_LENGTH);
static_assert(sizeof(struct luo_session_ser) == 80);
static_assert(sizeof(struct luo_file_ser) == 64);

/**
 * luo_ser_session() - write one entry of the session table
 * @e: the entry.
 * @name: the session's name.
 * @first_file: the index of its first file in the file table.
 * @nr_files: its number of files.
 *
 * Context: Any context.
 */
void luo_ser_session(struct luo_session_ser *e, const char *name,
		     u64 first_file, u64 nr_files)
{
	memset(e, 0, sizeof(*e));
	strscpy(e->name, name);
	e->first_file = first_file;
	e->nr_files = nr_files;
}
EXPORT_SYMBOL_IF_KUNIT(luo_ser_session);

/**
 * luo_ser_file() - write one entry of a file table
 * @e: the entry.
 * @compatible: the compatible string of the file's handler.
 * @data: the handler's serialized data.
 * @token: the file's token.
 *
 * Context: Any context.
 */
void luo_ser_file(struct luo_file_ser *e, const char *compatible, u64 data,
		  u64 token)
{
	memset(e, 0, sizeof(*e));
	strscpy(e->compatible, compatible);
	e->data = data;
	e->token = token;
}
EXPORT_SYMBOL_IF_KUNIT(luo_ser_file);

/**
 * luo_check_string() - check a fixed-size string from the handover
 * @s: the buffer.
 * @size: its size.
 *
 * Context: Any context.
 * Return: the string's length if it is not empty and is NUL-terminated
 * inside @size bytes, -EINVAL otherwise.
 */
int luo_check_string(const char *s, size_t size)
{
	size_t len = strnlen(s, size);

	if (!len || len == size)
		return -EINVAL;
	return len;
}
EXPORT_SYMBOL_IF_KUNIT(luo_check_string);

struct luo_dup_ctx {
	const void *table;
	size_t size;		/* of one entry */
	int (*cmp)(const void *a, const void *b);
};

static int luo_cmp_idx(const void *a, const void *b, const void *priv)
{
	const struct luo_dup_ctx *ctx = priv;
	const char *t = ctx->table;

	return ctx->cmp(t + *(const u32 *)a * ctx->size,
			t + *(const u32 *)b * ctx->size);
}

/*
 * Mark in @bad every entry whose key equals another entry's: which of them
 * is the real one cannot be told, so all of them are refused.  Entries
 * marked already take no part.
 */
static int luo_mark_duplicates(const void *table, size_t size, u64 nr,
			       int (*cmp)(const void *a, const void *b),
			       unsigned long *bad)
{
	struct luo_dup_ctx ctx = { table, size, cmp };
	u32 *idx, n = 0, i, j;

	if (nr < 2)
		return 0;
	idx = kvmalloc_array(nr, sizeof(*idx), GFP_KERNEL);
	if (!idx)
		return -ENOMEM;
	for (i = 0; i < nr; i++)
		if (!test_bit(i, bad))
			idx[n++] = i;
	sort_r(idx, n, sizeof(*idx), luo_cmp_idx, NULL, &ctx);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && !luo_cmp_idx(&idx[i], &idx[j], &ctx); j++)
			;
		if (j - i > 1)
			for (; i < j; i++)
				__set_bit(idx[i], bad);
	}
	kvfree(idx);
	return 0;
}

static int luo_session_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct luo_session_ser *)a)->name,
		      ((const struct luo_session_ser *)b)->name);
}

static int luo_session_first_cmp(const void *a, const void *b)
{
	u64 x = ((const struct luo_session_ser *)a)->first_file;
	u64 y = ((const struct luo_session_ser *)b)->first_file;

	return x < y ? -1 : x > y;
}

/*
 * Mark in @bad every session whose files overlap another's: in the order
 * of their first file, a session that starts before the furthest end so
 * far overlaps the session that has that end.
 */
static int luo_mark_overlaps(const struct luo_session_ser *t, u64 nr,
			     unsigned long *bad)
{
	struct luo_dup_ctx ctx = { t, sizeof(*t), luo_session_first_cmp };
	u32 *idx, n = 0, i, far = 0;
	u64 end = 0;

	if (nr < 2)
		return 0;
	idx = kvmalloc_array(nr, sizeof(*idx), GFP_KERNEL);
	if (!idx)
		return -ENOMEM;
	for (i = 0; i < nr; i++)
		if (!test_bit(i, bad) && t[i].nr_files)
			idx[n++] = i;
	sort_r(idx, n, sizeof(*idx), luo_cmp_idx, NULL, &ctx);
	for (i = 0; i < n; i++) {
		const struct luo_session_ser *e = &t[idx[i]];

		if (i && e->first_file < end) {
			__set_bit(idx[i], bad);
			__set_bit(far, bad);
		}
		if (!i || e->first_file + e->nr_files > end) {
			end = e->first_file + e->nr_files;
			far = idx[i];
		}
	}
	kvfree(idx);
	return 0;
}

/**
 * luo_check_sessions() - check the session table of the handover
 * @t: the table.
 * @nr: the number of entries the previous kernel says it has.
 * @bytes: the size of the memory @t came in.
 * @nr_files: the number of entries of the file table.
 * @bad: a bitmap of @nr bits, zeroed; set for each session refused.
 *
 * A session is refused if its name is empty, unterminated or the name of
 * another session, or if its files are not inside the file table or
 * overlap another session's.
 *
 * Context: Process context; may sleep.
 * Return: 0 with @bad filled in; -EINVAL if the table does not fit in
 * @bytes (nothing may be used then); -ENOMEM.
 */
int luo_check_sessions(const struct luo_session_ser *t, u64 nr, u64 bytes,
		       u64 nr_files, unsigned long *bad)
{
	int err;
	u64 i;

	if (nr > bytes / sizeof(*t) || nr > U32_MAX)
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		if (luo_check_string(t[i].name, sizeof(t[i].name)) < 0 ||
		    t[i].first_file > nr_files ||
		    t[i].nr_files > nr_files - t[i].first_file)
			__set_bit(i, bad);
	}
	err = luo_mark_overlaps(t, nr, bad);
	if (err)
		return err;
	return luo_mark_duplicates(t, sizeof(*t), nr, luo_session_name_cmp, bad);
}
EXPORT_SYMBOL_IF_KUNIT(luo_check_sessions);

static int luo_file_token_cmp(const void *a, const void *b)
{
	u64 x = ((const struct luo_file_ser *)a)->token;
	u64 y = ((const struct luo_file_ser *)b)->token;

	return x < y ? -1 : x > y;
}

/**
 * luo_check_files() - check the file table of one handed-over session
 * @t: the table.
 * @nr: the number of entries the previous kernel says it has.
 * @bytes: the size of the memory @t came in.
 * @bad: a bitmap of @nr bits, zeroed; set for each file refused.
 *
 * A file is refused if its handler's compatible string is empty or
 * unterminated, or if its token is another file's in the session.
 *
 * Context: Process context; may sleep.
 * Return: 0 with @bad filled in; -EINVAL if the table does not fit in
 * @bytes; -ENOMEM.
 */
int luo_check_files(const struct luo_file_ser *t, u64 nr, u64 bytes,
		    unsigned long *bad)
{
	u64 i;

	if (nr > bytes / sizeof(*t) || nr > U32_MAX)
		return -EINVAL;
	for (i = 0; i < nr; i++)
		if (luo_check_string(t[i].compatible, sizeof(t[i].compatible)) < 0)
			__set_bit(i, bad);
	return luo_mark_duplicates(t, sizeof(*t), nr, luo_file_token_cmp, bad);
}
EXPORT_SYMBOL_IF_KUNIT(luo_check_files);
