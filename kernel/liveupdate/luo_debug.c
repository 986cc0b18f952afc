// SPDX-License-Identifier: GPL-2.0-only
/*
 * Live Update Orchestrator (LUO): test hooks.
 *
 * Built only with CONFIG_LIVEUPDATE_DEBUG, for test kernels: the kernel
 * parameter liveupdate.test_corrupt (also writable by root in
 * /sys/module/liveupdate/parameters/) makes the outgoing
 * handover bad in the ways listed, so that end-to-end tests can check that
 * the next kernel refuses exactly what is bad and takes the rest.  It is a
 * comma-separated list of MODE@SESSION, each applied to the session of
 * that name when the kexec writes the tables, or "fdt":
 *
 * - name@S: S's name loses its NUL;
 * - dup@S: S gets the name of the session written before it;
 * - table@S: S's files lie outside the file table;
 * - overlap@S: S's files start where those of the session before it do;
 * - token@S: S's second file gets the token of its first;
 * - compat@S: S's first file names a handler no kernel has;
 * - data@S: the handler data of S's first file is moved by 8 bytes;
 * - fdt: the "LUO" subtree gets another compatible string.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/moduleparam.h>
#include <linux/string.h>

#include "luo_internal.h"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "liveupdate."

static char test_corrupt[256];
module_param_string(test_corrupt, test_corrupt, sizeof(test_corrupt), 0600);
MODULE_PARM_DESC(test_corrupt,
		 "MODE@SESSION,...: corrupt the outgoing handover (test only)");

/* Whether the list has @mode for @session (NULL: a mode without one). */
static bool luo_debug_has(const char *mode, const char *session)
{
	size_t mlen = strlen(mode);
	const char *p = test_corrupt;

	while (*p) {
		size_t len = strcspn(p, ",\n");

		if (len >= mlen && !strncmp(p, mode, mlen)) {
			const char *rest = p + mlen;
			size_t rlen = len - mlen;

			if (!session && !rlen)
				return true;
			if (session && rlen == strlen(session) + 1 &&
			    *rest == '@' && !strncmp(rest + 1, session, rlen - 1))
				return true;
		}
		p += len;
		p += strspn(p, ",\n");
	}
	return false;
}

/**
 * luo_debug_corrupt_session() - corrupt a session's entries as asked
 * @e: the session's entry in the session table.
 * @prev: the entry written before it, or NULL.
 * @files: its entries in the file table.
 *
 * Context: The reboot path.
 */
void luo_debug_corrupt_session(struct luo_session_ser *e,
			       const struct luo_session_ser *prev,
			       struct luo_file_ser *files)
{
	char name[LUO_SESSION_NAME_LEN];

	strscpy(name, e->name);
	if (luo_debug_has("name", name))
		memset(e->name, 'x', sizeof(e->name));
	if (prev && luo_debug_has("dup", name))
		memcpy(e->name, prev->name, sizeof(e->name));
	if (luo_debug_has("table", name))
		e->first_file = U64_MAX;
	if (prev && luo_debug_has("overlap", name))
		e->first_file = prev->first_file;
	if (!e->nr_files)
		return;
	if (e->nr_files > 1 && luo_debug_has("token", name))
		files[1].token = files[0].token;
	if (luo_debug_has("compat", name))
		strscpy(files[0].compatible, "liveupdate-bogus-v1");
	if (luo_debug_has("data", name))
		files[0].data += 8;
}

/**
 * luo_debug_compatible() - the compatible string to write in the subtree
 *
 * Context: The reboot path.
 * Return: LUO_FDT_COMPATIBLE, or another one if asked.
 */
const char *luo_debug_compatible(void)
{
	return luo_debug_has("fdt", NULL) ? "luo-lts-v0" : LUO_FDT_COMPATIBLE;
}
