/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kexec HandOver (KHO): state shared by the core and its debugfs interface.
 */
#ifndef _KERNEL_KEXEC_HANDOVER_INTERNAL_H
#define _KERNEL_KEXEC_HANDOVER_INTERNAL_H

#include <linux/kho/abi/kexec_handover.h>
#include <linux/list.h>
#include <linux/types.h>

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

/* The scratch areas this kernel hands to the next one. */
extern struct kho_scratch_abi kho_scratch[KHO_SCRATCH_MAX];
extern unsigned int kho_scratch_cnt;

/* Incoming handover, valid when is_kho_boot(). */
const void *kho_in_fdt(void);
size_t kho_in_room(phys_addr_t phys);

/* Outgoing root FDT (a page block of KHO_FDT_MAX_SIZE bytes). */
void *kho_out_fdt(void);

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
