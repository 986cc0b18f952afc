/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TOOLS_KHO_MEM_LINUX_BITS_H
#define _TOOLS_KHO_MEM_LINUX_BITS_H

#define BIT(nr)			(1UL << (nr))
#define BITS_PER_LONG		64
#define BIT_WORD(nr)		((nr) / BITS_PER_LONG)
#define BIT_MASK(nr)		(1UL << ((nr) % BITS_PER_LONG))

#endif
