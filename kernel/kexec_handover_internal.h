/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kexec HandOver (KHO): what the files of the KHO core share.
 *
 * kexec_handover.c           the API: outgoing side, subtrees, finalize, init
 * kexec_handover_incoming.c  the handover from the previous kernel: populate,
 *                            walk, reserve, claim, restore, release
 * kexec_handover_scratch.c   the scratch areas
 * kexec_handover_vmalloc.c   preservation of vmalloc areas
 * kexec_handover_debug.c     test and benchmark hooks (KEXEC_HANDOVER_DEBUG)
 * kexec_handover_debugfs.c   /sys/kernel/debug/kho/
 */
#ifndef _KERNEL_KEXEC_HANDOVER_INTERNAL_H
#define _KERNEL_KEXEC_HANDOVER_INTERNAL_H

#include <linux/init.h>
#include <linux/kho/abi/kexec_handover.h>
#include <linux/list.h>
#include <linux/types.h>

struct kho_stats;
struct page;

/**
 * struct kho_subtree - a sub-FDT linked into the outgoing root FDT
 * @list: entry in the list of subtrees.
 * @name: node name in the root FDT.
 * @fdt: the owner's FDT.
 * @debugfs: its debugfs blob, if any.
 */
struct kho_subtree {
	struct list_head list;
	const char *name;
	void *fdt;
	struct dentry *debugfs;
};

/* kexec_handover_scratch.c: the scratch areas this kernel uses and hands on */
extern struct kho_scratch_abi kho_scratch[KHO_SCRATCH_MAX];
extern unsigned int kho_scratch_cnt;
bool __init kho_scratch_reserve(void);
void __init kho_scratch_mark_cma(void);
void __init kho_scratch_release(void);

/* kexec_handover_incoming.c */
bool __init kho_in_present(void);
void __init kho_in_reserve(phys_addr_t low_end);
void __init kho_in_init(void);
void kho_in_get_stats(struct kho_stats *stats);
const void *kho_in_fdt(void);
int kho_in_subtree(unsigned int i, const char **name, phys_addr_t *phys);
void kho_discard_pages(struct page *page, unsigned long nr_pages);

/* kexec_handover.c: the outgoing side */
void *kho_out_fdt(void);
int kho_out_lock(void);
void kho_out_unlock(void);
int kho_out_preserve(unsigned long pfn, unsigned long nr_pages);
int kho_out_unpreserve(unsigned long pfn, unsigned long nr_pages);
bool kho_out_preserved(unsigned long pfn);

struct kho_mem_tracker;
struct kho_mem_unit;
struct kho_mem_walk_args;

#ifdef CONFIG_KEXEC_HANDOVER_DEBUG
bool __init kho_debug_naive_reserve(void);
int __init kho_debug_reserve_fault(unsigned long nr, unsigned long total);
bool __init kho_debug_no_zone(unsigned long run);
bool __init kho_debug_overlap(const struct kho_mem_walk_args *args);
int __init kho_debug_reserve_units(unsigned long pfn, unsigned int order,
				   unsigned long nr_units);
void kho_debug_corrupt_map(phys_addr_t *mem_map);
phys_addr_t kho_debug_subtree_phys(phys_addr_t phys);
void kho_debug_corrupt_scratch(struct kho_scratch_abi *sa, unsigned int cnt);
int kho_debug_fail_finalize(void);
bool kho_debug_add_overlap(struct kho_mem_tracker *t,
			   struct kho_mem_unit *unit);
void kho_debug_restore_window(void);
u64 kho_debug_cycles(void);
u64 kho_debug_cycles_to_ns(u64 cycles);
#else
static inline bool kho_debug_naive_reserve(void) { return false; }
static inline int kho_debug_reserve_fault(unsigned long nr,
					  unsigned long total)
{
	return 0;
}

static inline bool kho_debug_no_zone(unsigned long run) { return false; }
static inline bool kho_debug_overlap(const struct kho_mem_walk_args *args)
{
	return false;
}

static inline int kho_debug_reserve_units(unsigned long pfn, unsigned int order,
					  unsigned long nr_units)
{
	return 0;
}

static inline void kho_debug_corrupt_map(phys_addr_t *mem_map) { }
static inline phys_addr_t kho_debug_subtree_phys(phys_addr_t phys)
{
	return phys;
}

static inline void kho_debug_corrupt_scratch(struct kho_scratch_abi *sa,
					     unsigned int cnt)
{
}

static inline int kho_debug_fail_finalize(void) { return 0; }
static inline bool kho_debug_add_overlap(struct kho_mem_tracker *t,
					 struct kho_mem_unit *unit)
{
	return false;
}

static inline void kho_debug_restore_window(void) { }
static inline u64 kho_debug_cycles(void) { return 0; }
static inline u64 kho_debug_cycles_to_ns(u64 cycles) { return 0; }
#endif

#ifdef CONFIG_KEXEC_HANDOVER_DEBUGFS
void kho_debugfs_snapshot_in(void);
void kho_debugfs_init(void);
void kho_debugfs_add_subtree(struct kho_subtree *st);
void kho_debugfs_remove_subtree(struct kho_subtree *st);
#else
static inline void kho_debugfs_snapshot_in(void) { }
static inline void kho_debugfs_init(void) { }
static inline void kho_debugfs_add_subtree(struct kho_subtree *st) { }
static inline void kho_debugfs_remove_subtree(struct kho_subtree *st) { }
#endif

#endif /* _KERNEL_KEXEC_HANDOVER_INTERNAL_H */
