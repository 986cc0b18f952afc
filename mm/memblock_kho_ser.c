// SPDX-License-Identifier: GPL-2.0-only
/*
 * memblock's reserve_mem regions across kexec: writing the KHO subtree
 * "memblock" (include/linux/kho/abi/memblock.h) and reading it back.
 *
 * The reader gets an FDT from the previous kernel and trusts none of it:
 * the header and the total size are checked before anything else is read
 * (libfdt checks every offset against them from then on), a region is
 * found by its exact node name, a name listed twice is refused, and each
 * property must have exactly its size.  What the FDT cannot say (whether
 * the range is RAM and was preserved) is memblock's to check.
 */

#include <kunit/visibility.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/libfdt.h>
#include <linux/string.h>

#include "memblock_kho_ser.h"

/* reserve_mem= limits names to 15 characters */
#define RESERVE_MEM_KHO_NAME_MAX	15

/**
 * reserve_mem_kho_name_ok() - whether a region's name can name an FDT node
 * @name: the name given to reserve_mem=.
 *
 * A node name is made of letters, digits and ",._+-"; "@" would start a
 * unit address and "/" a path, so a name with them cannot be handed over.
 *
 * Context: Any context.
 * Return: true if @name is 1 to 15 characters of that set.
 */
bool reserve_mem_kho_name_ok(const char *name)
{
	size_t i, len = strnlen(name, RESERVE_MEM_KHO_NAME_MAX + 1);

	if (!len || len > RESERVE_MEM_KHO_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && !strchr(",._+-", c))
			return false;
	}
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(reserve_mem_kho_name_ok);

/**
 * reserve_mem_kho_write() - write the subtree that hands regions over
 * @fdt: buffer for the FDT.
 * @fdt_size: its size in bytes.
 * @regions: the regions, with distinct names that reserve_mem_kho_name_ok()
 *	accepts.
 * @nr: how many.
 *
 * Context: Any context.
 * Return: 0 on success; -EINVAL if a name is not fit for a node or is
 * repeated, or a region is empty or wraps; -ENOSPC if @fdt_size is too
 * small.
 */
int reserve_mem_kho_write(void *fdt, size_t fdt_size,
			  const struct reserve_mem_kho_region *regions,
			  unsigned int nr)
{
	unsigned int i, j;
	int err;

	for (i = 0; i < nr; i++) {
		const struct reserve_mem_kho_region *r = &regions[i];

		if (!reserve_mem_kho_name_ok(r->name) || !r->size ||
		    r->start + r->size < r->start)
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (!strcmp(regions[j].name, r->name))
				return -EINVAL;
	}
	err = fdt_create(fdt, fdt_size);
	err = err ?: fdt_finish_reservemap(fdt);
	err = err ?: fdt_begin_node(fdt, "");
	err = err ?: fdt_property_string(fdt, "compatible",
					 MEMBLOCK_KHO_NODE_COMPATIBLE);
	for (i = 0; i < nr && !err; i++) {
		err = fdt_begin_node(fdt, regions[i].name);
		err = err ?: fdt_property_string(fdt, "compatible",
						 RESERVE_MEM_KHO_NODE_COMPATIBLE);
		err = err ?: fdt_property_u64(fdt, RESERVE_MEM_KHO_PROP_START,
					      regions[i].start);
		err = err ?: fdt_property_u64(fdt, RESERVE_MEM_KHO_PROP_SIZE,
					      regions[i].size);
		err = err ?: fdt_end_node(fdt);
	}
	err = err ?: fdt_end_node(fdt);
	err = err ?: fdt_finish(fdt);
	return err ? -ENOSPC : 0;
}
EXPORT_SYMBOL_IF_KUNIT(reserve_mem_kho_write);

/* The u64 property @prop of @node, which must be exactly 8 bytes. */
static bool reserve_mem_kho_u64(const void *fdt, int node, const char *prop,
				u64 *val)
{
	const fdt64_t *p;
	int len;

	p = fdt_getprop(fdt, node, prop, &len);
	if (!p || len != sizeof(*p))
		return false;
	*val = fdt64_ld(p);
	return true;
}

/**
 * reserve_mem_kho_find() - find a region in the subtree the previous kernel wrote
 * @fdt: the subtree, as handed over.
 * @fdt_size: bytes that may be read at @fdt.
 * @name: the region's name.
 * @start: set to its physical address on success.
 * @size: set to its size on success.
 * @why: set to the reason on every error but -ENOENT, for the log line.
 *
 * Checks the FDT's header, that it fits in @fdt_size, and its compatible
 * first, then looks at every node under the root: only a node called exactly @name
 * counts (not "@name@1", not a longer name), and only once.
 *
 * Context: Any context.
 * Return: 0 on success; -ENOENT if no node is called @name; -EINVAL if the
 * FDT, its compatible or the node is malformed (a property missing or of
 * the wrong size, an empty or wrapping range); -EEXIST if two nodes have
 * the name.
 */
int reserve_mem_kho_find(const void *fdt, size_t fdt_size, const char *name,
			 u64 *start, u64 *size, const char **why)
{
	size_t len = strlen(name);
	int node, found = -1;
	u64 s, n;

	if (fdt_size < FDT_V17_SIZE || fdt_check_header(fdt) ||
	    fdt_totalsize(fdt) > fdt_size) {
		*why = "the subtree is not a valid FDT";
		return -EINVAL;
	}
	if (fdt_node_check_compatible(fdt, 0, MEMBLOCK_KHO_NODE_COMPATIBLE)) {
		*why = "the subtree is not " MEMBLOCK_KHO_NODE_COMPATIBLE;
		return -EINVAL;
	}
	fdt_for_each_subnode(node, fdt, 0) {
		const char *n_name;
		int n_len;

		n_name = fdt_get_name(fdt, node, &n_len);
		if (!n_name || n_len != len || memcmp(n_name, name, len))
			continue;
		if (found >= 0) {
			*why = "the name is listed twice";
			return -EEXIST;
		}
		found = node;
	}
	if (found < 0)
		return -ENOENT;
	if (fdt_node_check_compatible(fdt, found,
				      RESERVE_MEM_KHO_NODE_COMPATIBLE)) {
		*why = "the node is not " RESERVE_MEM_KHO_NODE_COMPATIBLE;
		return -EINVAL;
	}
	if (!reserve_mem_kho_u64(fdt, found, RESERVE_MEM_KHO_PROP_START, &s) ||
	    !reserve_mem_kho_u64(fdt, found, RESERVE_MEM_KHO_PROP_SIZE, &n)) {
		*why = "start or size is missing or not a u64";
		return -EINVAL;
	}
	if (!n || s + n < s) {
		*why = "the range is empty or wraps";
		return -EINVAL;
	}
	*start = s;
	*size = n;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(reserve_mem_kho_find);
