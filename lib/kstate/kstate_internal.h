/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * KSTATE internals, shared by lib/kstate/ and its KUnit suites.
 *
 * The library is layered so that everything but the KHO glue runs without
 * KHO: the registry (struct kstate_out), the writer of a stream into a list
 * of pages (struct kstate_writer), and the reader, which validates a stream,
 * indexes its instances and loads them into objects (struct kstate_in).
 * Memory handed over page by page goes through struct kstate_mem_ops: the
 * KHO preserve/restore API in the kernel, a stub in KUnit.
 */
#ifndef _LIB_KSTATE_INTERNAL_H
#define _LIB_KSTATE_INTERNAL_H

#include <linux/kstate.h>
#include <linux/kho/abi/kstate.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>

struct folio;
struct page;
struct seq_buf;

/**
 * struct kstate_mem_ops - how pages and folios cross the kexec
 * @preserve_pages: keep @nr pages at @page for the next kernel.
 * @unpreserve_pages: undo @preserve_pages.
 * @restore_pages: claim @nr pages at @phys; NULL if they were not
 *	preserved or were claimed already.
 * @free_pages: give back pages that @restore_pages returned.
 * @preserve_folio: keep @folio for the next kernel.
 * @unpreserve_folio: undo @preserve_folio.
 * @restore_folio: claim the folio at @phys; NULL as for @restore_pages.
 * @free_folio: give back a folio that @restore_folio returned.
 */
struct kstate_mem_ops {
	int (*preserve_pages)(struct page *page, unsigned long nr);
	int (*unpreserve_pages)(struct page *page, unsigned long nr);
	struct page *(*restore_pages)(phys_addr_t phys, unsigned long nr);
	void (*free_pages)(struct page *page, unsigned long nr);
	int (*preserve_folio)(struct folio *folio);
	int (*unpreserve_folio)(struct folio *folio);
	struct folio *(*restore_folio)(phys_addr_t phys);
	void (*free_folio)(struct folio *folio);
};

/* Preserves nothing and restores nothing: for dumps of what would be saved. */
extern const struct kstate_mem_ops kstate_nomem_ops;

#define KSTATE_OUT_HASH_BITS	10

/*
 * The registry of objects to save, in registration order and hashed by id,
 * and the descriptions they use, by name.
 */
struct kstate_out {
	struct mutex lock;		/* protects all of it */
	struct list_head entries;
	struct list_head names;
	struct hlist_head hash[1 << KSTATE_OUT_HASH_BITS];
	unsigned long nr;
};

/* Memory a stream preserved, undone when the stream is discarded. */
struct kstate_memref {
	void *ptr;		/* struct page * or struct folio * */
	unsigned long nr;	/* pages; 0 for a folio */
};

/**
 * struct kstate_writer - a stream being written into pages
 * @ops: how memory fields and the stream pages are preserved.
 * @pages: the data pages, in stream order.
 * @nr_pages: pages in use.
 * @cap_pages: room in @pages.
 * @size: bytes written.
 * @descs: the descriptions in the table, in stream order.
 * @nr_descs: number of them.
 * @cap_descs: room in @descs.
 * @mem: memory preserved for memory fields.
 * @nr_mem: entries in @mem.
 * @cap_mem: room in @mem.
 * @dir: the directory pages, once published.
 * @nr_dir: number of them.
 * @published: the pages are preserved.
 * @no_hooks: a dump, not a handover: pre_save and post_save are not called.
 * @nr_instances: instances written.
 * @depth: nesting depth while writing.
 */
struct kstate_writer {
	const struct kstate_mem_ops *ops;
	struct page **pages;
	unsigned int nr_pages, cap_pages;
	size_t size;
	const struct kstate_description **descs;
	unsigned int nr_descs, cap_descs;
	struct kstate_memref *mem;
	unsigned int nr_mem, cap_mem;
	struct page **dir;
	unsigned int nr_dir;
	bool published;
	bool no_hooks;
	u32 nr_instances;
	int depth;
};

/* A field of a saved table, as parsed. */
struct kstate_sfield {
	const char *name;
	u16 name_len;
	u8 kind, rule, elem;
	u32 version, size, count, desc;
};

/*
 * The fields of a saved table matched to the fields of one loader
 * description, by name: @field[i] loads saved field i, or is NULL.
 */
struct kstate_smap {
	struct kstate_smap *next;
	const struct kstate_description *desc;
	const char *missing;	/* a loader field the saved table lacks */
	const struct kstate_field *field[];
};

/* A description of a saved table, as parsed. */
struct kstate_sdesc {
	const char *name;
	u16 name_len;
	bool valid;
	u8 flags;
	u32 version, min_version;
	u16 nr_fields, nr_subs;
	struct kstate_sfield *fields;
	u16 *by_name;		/* field numbers, sorted by name */
	u32 *subs;
	struct kstate_smap *maps;	/* one per loader description used */
};

/* An instance in the index; @off fits: a stream is at most 4 GiB - 1. */
struct kstate_sinst {
	u32 desc;
	u64 id;
	u32 off, len;		/* of the body, after desc and id */
	u8 state;
};

enum {
	KSTATE_INST_NEW,
	KSTATE_INST_DONE,	/* restored (or a restore got half way) */
	KSTATE_INST_BAD,	/* duplicate or truncated */
};

/**
 * struct kstate_in - a saved stream, validated and indexed
 * @lock: serializes restores.
 * @ops: how memory fields are restored.
 * @data: the stream.
 * @size: its length.
 * @vaddr: vmap() of @pages, or NULL when @data belongs to the caller.
 * @pages: the restored data pages.
 * @nr_pages: number of them.
 * @descs: the saved tables.
 * @nr_descs: number of them.
 * @by_name: numbers of the named tables, sorted by name.
 * @nr_named: number of them.
 * @index: instances sorted by (description, id).
 * @nr_index: number of them.
 * @cap_index: room in @index.
 * @state: one of KSTATE_IN_*.
 * @checked: the description validated last.
 * @nr_name_cmps: name comparisons made while opening (the work the checks
 *	of unique names take).
 * @last_error: why the stream was refused, or why the last failed restore
 *	failed, as logged.
 */
struct kstate_in {
	struct mutex lock;		/* serializes restores and dumps */
	const struct kstate_mem_ops *ops;
	const u8 *data;
	size_t size;
	void *vaddr;
	struct page **pages;
	unsigned int nr_pages;
	struct kstate_sdesc *descs;
	u32 nr_descs;
	u32 *by_name;
	u32 nr_named;
	struct kstate_sinst *index;
	u32 nr_index;
	unsigned int cap_index;
	int state;
	const struct kstate_description *checked;
	unsigned long nr_name_cmps;
	char last_error[112];
};

enum {
	KSTATE_IN_NONE,		/* nothing was handed over */
	KSTATE_IN_OPEN,
	KSTATE_IN_REFUSED,	/* the stream as a whole was bad */
	KSTATE_IN_FINISHED,
};

/* Cursor of a KSTATE_CUSTOM load, bounded to what its save wrote. */
struct kstate_reader {
	const u8 *p, *end;
};

/* registry.c */
int kstate_grow(void **array, unsigned int nr, unsigned int *cap,
		size_t esize);
void kstate_out_init(struct kstate_out *out);
int kstate_out_add(struct kstate_out *out,
		   const struct kstate_description *desc, void *obj, u64 id);
int kstate_out_del(struct kstate_out *out,
		   const struct kstate_description *desc, void *obj, u64 id);
void kstate_out_destroy(struct kstate_out *out);
int kstate_out_for_each(struct kstate_out *out,
			int (*fn)(void *arg, const struct kstate_description *d,
				  void *obj, u64 id), void *arg);
int kstate_validate_desc(const struct kstate_description *desc);

/* save.c */
void kstate_writer_init(struct kstate_writer *w,
			const struct kstate_mem_ops *ops);
int kstate_write_stream(struct kstate_writer *w, struct kstate_out *out);
int kstate_writer_publish(struct kstate_writer *w, phys_addr_t *dir);
void *kstate_writer_linearize(const struct kstate_writer *w);
void kstate_writer_destroy(struct kstate_writer *w);

/* load.c */
void kstate_in_init(struct kstate_in *in);
int kstate_in_open(struct kstate_in *in, const void *data, size_t size,
		   const struct kstate_mem_ops *ops);
int kstate_in_load_pages(struct kstate_in *in, phys_addr_t dir, u64 size,
			 const struct kstate_mem_ops *ops);
int kstate_in_restore(struct kstate_in *in,
		      const struct kstate_description *desc, void *obj,
		      u64 id);
void kstate_in_close(struct kstate_in *in);

/* kho.c: the handover through KHO */
#ifdef CONFIG_KEXEC_HANDOVER
const struct kstate_mem_ops *kstate_kho_ops(void);
int kstate_kho_publish(phys_addr_t dir, u64 size);
void kstate_kho_unpublish(void);
void kstate_kho_take_handover(struct kstate_in *in);
#else
static inline const struct kstate_mem_ops *kstate_kho_ops(void)
{
	return NULL;
}

static inline int kstate_kho_publish(phys_addr_t dir, u64 size)
{
	return 0;
}

static inline void kstate_kho_unpublish(void) { }
static inline void kstate_kho_take_handover(struct kstate_in *in) { }
#endif

/* core.c */
void kstate_set_test_ops(const struct kstate_mem_ops *ops);
int kstate_dump_outgoing(struct seq_buf *s);
int kstate_dump_incoming(struct seq_buf *s);

/* dump.c */
int kstate_in_dump(struct kstate_in *in, struct seq_buf *s);

/* Shared helpers (load.c). */
bool kstate_kind_is_scalar(unsigned int kind);
unsigned int kstate_scalar_width(unsigned int kind);
bool kstate_name_ok(const char *name, size_t len);
const char *kstate_kind_name(unsigned int kind);
const char *kstate_rule_name(unsigned int rule);

#endif /* _LIB_KSTATE_INTERNAL_H */
