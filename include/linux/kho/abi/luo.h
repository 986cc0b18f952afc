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
 *	};
 *
 * The session table is an array of struct luo_session_ser in a preserved
 * vmalloc area (kho_preserve_vmalloc()); each session's files are an array
 * of struct luo_file_ser in an area of their own.  With no session, or no
 * file, the count is 0 and the struct kho_vmalloc is all zeroes.
 *
 * A file's @data is its handler's: typically the physical address of the
 * handler's own preserved state, whose format the handler's compatible
 * string names (see include/linux/kho/abi/memfd.h).
 *
 * The next kernel trusts none of it: a session whose name is empty,
 * unterminated or repeated, or whose file table is not fully inside its
 * area, is refused; a file whose compatible is empty or unterminated, or
 * whose token repeats in its session, is refused alone.
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

#define LUO_SESSION_NAME_LEN		64	/* including the NUL */
#define LUO_COMPATIBLE_LEN		48	/* including the NUL */

/**
 * struct luo_file_ser - one preserved file
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
 * struct luo_session_ser - one preserved session
 * @name: the session's name, NUL-terminated.
 * @files: the session's file table, an array of struct luo_file_ser.
 * @nr_files: entries in @files.
 */
struct luo_session_ser {
	char name[LUO_SESSION_NAME_LEN];
	struct kho_vmalloc files;
	__u64 nr_files;
} __packed;

#endif /* _LINUX_KHO_ABI_LUO_H */
