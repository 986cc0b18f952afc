/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TOOLS_KHO_MEM_LINUX_TYPES_H
#define _TOOLS_KHO_MEM_LINUX_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef uint16_t __le16;
typedef uint32_t __le32;
typedef uint64_t __le64;
typedef uint64_t phys_addr_t;

#endif
