/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * KSTATE: the stream format and its KHO subtree.
 *
 * This is an ABI between two kernels, which may be different builds: change
 * it only by bumping KSTATE_STREAM_VERSION (see
 * Documentation/core-api/kho/kstate.rst).  Every integer is little-endian
 * and nothing is aligned.
 *
 * The KHO subtree "kstate" is an FDT:
 *
 *	/ {
 *		compatible = "kstate-v1";
 *		dir = <u64: physical address of the first directory page>;
 *		size = <u64: bytes in the stream>;
 *	};
 *
 * The stream is the concatenation of its data pages, which need not be
 * contiguous: directory pages (struct kstate_dir_page), linked by @next,
 * list their physical addresses in order.  Every page is preserved with KHO.
 *
 * The stream:
 *
 *	header	struct kstate_stream_hdr
 *	record*	u8 tag, le32 length, then length bytes of body
 *
 * Kinds and rules are the values of enum kstate_kind and enum kstate_rule
 * in include/linux/kstate.h, which are part of this ABI.
 *
 * KSTATE_REC_DESC records (the tables) all come before the KSTATE_REC_INST
 * records.  A description is numbered by its position among them.
 *
 *	DESC	str name; le32 version; le32 min_version; u8 flags;
 *		le16 nr_fields; le16 nr_subsections;
 *		nr_fields x { str name; u8 kind; u8 rule; u8 elem;
 *			      le32 version; le32 size; le32 count;
 *			      le32 desc (KSTATE_NO_DESC or a number) }
 *		nr_subsections x le32 desc
 *	INST	le32 desc; le64 instance id; a struct of desc
 *
 * where str is a le16 length and that many bytes, without a NUL, and a
 * struct of a description is the value of each of its fields in table
 * order, then, only if its table lists subsections, le16 nr and nr times
 * { le32 desc; le32 length; a struct of that subsection's description }.
 * Values:
 *
 *	scalars		size bytes (bool: one byte, 0 or 1)
 *	STRING		le32 length, bytes (length < size)
 *	BUFFER, CUSTOM	le32 length, bytes
 *	STRUCT		a struct of desc (no length: the table has it)
 *	ARRAY		count elements (count >= 1)
 *	VARRAY		le32 n (<= count), n elements
 *	PTR		u8 present; if 1: le32 n (<= count), n elements
 *	FOLIO		le64 physical address (0: NULL), u8 order
 *	PAGES		le64 physical address (0: NULL), le32 pages
 *
 * An element is a scalar value, or a struct of desc for struct elements.
 * A description has at least one field or subsection, so every struct
 * takes at least one byte and element counts are bounded by the data.
 */
#ifndef _LINUX_KHO_ABI_KSTATE_H
#define _LINUX_KHO_ABI_KSTATE_H

#include <linux/types.h>

#define KSTATE_FDT_NAME		"kstate"
#define KSTATE_FDT_COMPATIBLE	"kstate-v1"
#define KSTATE_FDT_PROP_DIR	"dir"
#define KSTATE_FDT_PROP_SIZE	"size"

#define KSTATE_STREAM_MAGIC	0x3154534bU	/* "KST1" */
/* Offsets into a stream fit in 32 bits; a longer stream is refused. */
#define KSTATE_STREAM_MAX_SIZE	0xffffffffULL
#define KSTATE_STREAM_VERSION	1
#define KSTATE_DIR_MAGIC	0x5249444bU	/* "KDIR" */

/**
 * struct kstate_stream_hdr - start of the stream
 * @magic: %KSTATE_STREAM_MAGIC.
 * @version: %KSTATE_STREAM_VERSION.
 * @size: bytes in the stream, this header included.
 * @nr_descs: number of DESC records.
 * @nr_instances: number of INST records; the reader takes it only as a
 *	hint for the size of its index.
 */
struct kstate_stream_hdr {
	__le32 magic;
	__le32 version;
	__le64 size;
	__le32 nr_descs;
	__le32 nr_instances;
} __packed;

#define KSTATE_REC_DESC		1
#define KSTATE_REC_INST		2
#define KSTATE_REC_HDR_SIZE	5	/* u8 tag, le32 length */

#define KSTATE_DESC_OPTIONAL	0x1	/* flags: a subsection others may skip */
#define KSTATE_NO_DESC		0xffffffffU

/**
 * struct kstate_dir_page - one page of the directory of data pages
 * @magic: %KSTATE_DIR_MAGIC.
 * @nr: entries used in @pages.
 * @next: physical address of the next directory page, or 0.
 * @pages: physical addresses of data pages, in stream order.
 */
struct kstate_dir_page {
	__le32 magic;
	__le32 nr;
	__le64 next;
	__le64 pages[];
} __packed;

#endif /* _LINUX_KHO_ABI_KSTATE_H */
