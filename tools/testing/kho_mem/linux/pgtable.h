/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TOOLS_KHO_MEM_LINUX_PGTABLE_H
#define _TOOLS_KHO_MEM_LINUX_PGTABLE_H

#include <asm/page.h>

#define PUD_SHIFT	30

#endif
