/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TOOLS_KHO_MEM_LINUX_XARRAY_H
#define _TOOLS_KHO_MEM_LINUX_XARRAY_H

/*
 * The walk needs no xarray.  The writer, which the fuzzer does not call,
 * sees empty ones.
 */
struct xarray {
	int unused;
};

static inline unsigned long xa_no_index(const struct xarray *xa)
{
	return 0;
}

#define xa_for_each(xa, index, entry) \
	for ((index) = xa_no_index(xa), (entry) = NULL; false; )

#endif
