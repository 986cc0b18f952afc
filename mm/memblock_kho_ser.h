/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * memblock's reserve_mem regions across kexec: the encoding of the KHO
 * subtree and its checks (mm/memblock_kho_ser.c), which need nothing but
 * the FDT, shared by memblock and its KUnit suite.
 */
#ifndef _MM_MEMBLOCK_KHO_SER_H
#define _MM_MEMBLOCK_KHO_SER_H

#include <linux/kho/abi/memblock.h>
#include <linux/types.h>

/**
 * struct reserve_mem_kho_region - one reserve_mem region to hand over
 * @name: its name, as given to reserve_mem=.
 * @start: physical address of its first byte.
 * @size: its length in bytes.
 */
struct reserve_mem_kho_region {
	const char *name;
	u64 start;
	u64 size;
};

bool reserve_mem_kho_name_ok(const char *name);
int reserve_mem_kho_write(void *fdt, size_t fdt_size,
			  const struct reserve_mem_kho_region *regions,
			  unsigned int nr);
int reserve_mem_kho_find(const void *fdt, size_t fdt_size, const char *name,
			 u64 *start, u64 *size, const char **why);

#endif /* _MM_MEMBLOCK_KHO_SER_H */
