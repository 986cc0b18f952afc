/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TOOLS_KHO_MEM_LINUX_SPINLOCK_H
#define _TOOLS_KHO_MEM_LINUX_SPINLOCK_H

/* Single threaded: the lock only has to exist. */
struct kho_fuzz_spinlock {
	int unused;
};

#define spinlock_t	struct kho_fuzz_spinlock

#endif
