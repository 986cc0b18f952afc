/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kexec HandOver (KHO): preserve memory across kexec.
 *
 * See Documentation/core-api/kho/ for the concepts and the API.
 */
#ifndef _LINUX_KEXEC_HANDOVER_H
#define _LINUX_KEXEC_HANDOVER_H

#include <linux/errno.h>
#include <linux/kho/abi/kexec_handover.h>
#include <linux/string.h>
#include <linux/types.h>

struct folio;
struct page;
struct kexec_buf;
struct resource;

/**
 * struct kho_stats - KHO's counters, in bytes
 * @preserved_out: memory preserved for the next kernel.
 * @preserved_in: memory the previous kernel handed over.
 * @restored: handed-over memory restored by its owners.
 * @released: handed-over memory nobody claimed, zeroed and freed.
 * @releasing: handed-over memory waiting to be zeroed and freed.
 * @meta_out: handover metadata written for the next kernel (root FDT and
 *	the chunk list), valid once the kexec is under way.
 */
struct kho_stats {
	u64 preserved_out;
	u64 preserved_in;
	u64 restored;
	u64 released;
	u64 releasing;
	u64 meta_out;
};

#ifdef CONFIG_KEXEC_HANDOVER
bool kho_is_enabled(void);
bool is_kho_boot(void);

int kho_preserve_folio(struct folio *folio);
int kho_unpreserve_folio(struct folio *folio);
int kho_preserve_pages(struct page *page, unsigned long nr_pages);
int kho_unpreserve_pages(struct page *page, unsigned long nr_pages);
int kho_preserve_vmalloc(void *ptr, struct kho_vmalloc *preservation);
int kho_unpreserve_vmalloc(struct kho_vmalloc *preservation);

struct folio *kho_restore_folio(phys_addr_t phys);
struct page *kho_restore_pages(phys_addr_t phys, unsigned long nr_pages);
void *kho_restore_vmalloc(const struct kho_vmalloc *preservation);

int kho_add_subtree(const char *name, void *fdt);
int kho_remove_subtree(void *fdt);
int kho_retrieve_subtree(const char *name, phys_addr_t *phys);

bool kho_scratch_overlap(phys_addr_t phys, size_t size);
bool kho_is_preserved(phys_addr_t phys, u64 size);
void kho_get_stats(struct kho_stats *stats);
int kho_finish(void);
void kho_release_wait(void);

/* Hooks for kexec, memblock and early boot. */
int kho_finalize(void);
int kho_locate_mem_hole(struct kexec_buf *kbuf,
			int (*func)(struct resource *, void *));
int kho_boot_data(phys_addr_t *fdt, u64 *fdt_size, phys_addr_t *scratch,
		  u64 *scratch_size);
void __init kho_populate(phys_addr_t fdt, u64 fdt_size, phys_addr_t scratch,
			 u64 scratch_size);
void __init kho_memblock_setup(phys_addr_t low_end);
void __init kho_memory_init(void);
int kho_pageblock_migratetype(unsigned long pfn, int migratetype);
#else
static inline bool kho_is_enabled(void) { return false; }
static inline bool is_kho_boot(void) { return false; }

static inline int kho_preserve_folio(struct folio *folio) { return -EOPNOTSUPP; }
static inline int kho_unpreserve_folio(struct folio *folio) { return -EOPNOTSUPP; }
static inline int kho_preserve_pages(struct page *page, unsigned long nr_pages)
{
	return -EOPNOTSUPP;
}

static inline int kho_unpreserve_pages(struct page *page, unsigned long nr_pages)
{
	return -EOPNOTSUPP;
}

static inline int kho_preserve_vmalloc(void *ptr, struct kho_vmalloc *p)
{
	return -EOPNOTSUPP;
}

static inline int kho_unpreserve_vmalloc(struct kho_vmalloc *p)
{
	return -EOPNOTSUPP;
}

static inline struct folio *kho_restore_folio(phys_addr_t phys) { return NULL; }
static inline struct page *kho_restore_pages(phys_addr_t phys,
					     unsigned long nr_pages)
{
	return NULL;
}

static inline void *kho_restore_vmalloc(const struct kho_vmalloc *p)
{
	return NULL;
}

static inline int kho_add_subtree(const char *name, void *fdt)
{
	return -EOPNOTSUPP;
}

static inline int kho_remove_subtree(void *fdt) { return -EOPNOTSUPP; }
static inline int kho_retrieve_subtree(const char *name, phys_addr_t *phys)
{
	return -EOPNOTSUPP;
}

static inline bool kho_is_preserved(phys_addr_t phys, u64 size)
{
	return false;
}

static inline bool kho_scratch_overlap(phys_addr_t phys, size_t size)
{
	return false;
}

static inline void kho_get_stats(struct kho_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
}

static inline int kho_finish(void) { return -ENOENT; }
static inline void kho_release_wait(void) { }
static inline int kho_finalize(void) { return 0; }
static inline int kho_boot_data(phys_addr_t *fdt, u64 *fdt_size,
				phys_addr_t *scratch, u64 *scratch_size)
{
	return -ENOENT;
}

static inline int kho_locate_mem_hole(struct kexec_buf *kbuf,
				      int (*func)(struct resource *, void *))
{
	return 0;
}

static inline void kho_populate(phys_addr_t fdt, u64 fdt_size,
				phys_addr_t scratch, u64 scratch_size) { }
static inline void kho_memblock_setup(phys_addr_t low_end) { }
static inline void kho_memory_init(void) { }
static inline int kho_pageblock_migratetype(unsigned long pfn, int migratetype)
{
	return migratetype;
}
#endif /* CONFIG_KEXEC_HANDOVER */

#endif /* _LINUX_KEXEC_HANDOVER_H */
