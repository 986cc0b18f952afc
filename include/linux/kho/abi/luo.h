/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Live Update Orchestrator (LUO): the state one kernel hands the next.
 *
 * This is an ABI between two kernels, which may be different builds: change
 * it only with a new compatible string.  The FDT's u64 properties are
 * big-endian, as FDT cells are; the structs are packed and in the CPU's
 * byte order (both kernels run on the same machine).
 *
 * The KHO subtree "LUO" is an FDT in one preserved page:
 *
 *	/ {
 *		compatible = "luo-lts-v1";
 *		liveupdate-number = <u64: 1 on the first live update, then + 1>;
 *		nr-sessions = <u64: entries in the session table>;
 *		sessions = [struct kho_vmalloc: the session table];
 *		nr-files = <u64: entries in the file table>;
 *		files = [struct kho_vmalloc: the file table];
 *	};
 *
 * The session table is an array of struct luo_session_ser, the file table
 * an array of struct luo_file_ser, each in a preserved vmalloc area
 * (kho_preserve_vmalloc()): one table of files for all sessions, so that a
 * session costs 80 bytes and a file 64, however many there are.  Session i
 * owns files [first_file, first_file + nr_files) of the file table, in the
 * order they were preserved.  An empty table has the count 0 and an
 * all-zero struct kho_vmalloc.
 *
 * A file's @data is its handler's: typically the physical address of the
 * handler's own preserved state, whose format the handler's compatible
 * string names (see include/linux/kho/abi/memfd.h).
 *
 * The next kernel trusts none of it: a table whose count does not fit in
 * its area is refused whole; a session whose name is empty, unterminated
 * or repeated, or whose files lie outside the file table or overlap
 * another session's, is refused; a file whose compatible is empty or
 * unterminated, or whose token repeats in its session, is refused alone.
 */
#ifndef _LINUX_KHO_ABI_LUO_H
#define _LINUX_KHO_ABI_LUO_H

#include <linux/kho/abi/kexec_handover.h>
#include <linux/types.h>

#define LUO_FDT_NAME			"LUO"
#define LUO_FDT_COMPATIBLE		"luo-lts-v1"
#define LUO_FDT_PROP_NUMBER		"liveupdate-number"
#define LUO_FDT_PROP_NR_SESSIONS	"nr-sessions"
#define LUO_FDT_PROP_SESSIONS		"sessions"
#define LUO_FDT_PROP_NR_FILES		"nr-files"
#define LUO_FDT_PROP_FILES		"files"

#define LUO_SESSION_NAME_LEN		64	/* including the NUL */
#define LUO_COMPATIBLE_LEN		48	/* including the NUL */

/**
 * struct luo_file_ser - one preserved file (64 bytes)
 * @compatible: the compatible string of the file's handler, NUL-terminated.
 * @data: the handler's serialized data for the file.
 * @token: the token userspace preserved the file with.
 */
struct luo_file_ser {
	char compatible[LUO_COMPATIBLE_LEN];
	__u64 data;
	__u64 token;
} __packed;

/**
 * struct luo_session_ser - one preserved session (80 bytes)
 * @name: the session's name, NUL-terminated.
 * @first_file: the index of its first file in the file table.
 * @nr_files: its number of files.
 */
struct luo_session_ser {
	char name[LUO_SESSION_NAME_LEN];
	__u64 first_file;
	__u64 nr_files;
} __packed;

#endif /* _LINUX_KHO_ABI_LUO_H */
