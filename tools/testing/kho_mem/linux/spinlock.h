/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TOOLS_KHO_MEM_LINUX_SPINLOCK_H
#define _TOOLS_KHO_MEM_LINUX_SPINLOCK_H

/*
 * A test-and-set lock: what an uncontended kernel spinlock costs on SMP
 * (one atomic exchange, one release store), for the benchmark's sake.
 * Replaces tools/include's pthread mutex for the tracker and the xarray.
 */
#include <stdbool.h>

struct kho_mem_spinlock {
	int locked;
};

#define spinlock_t	struct kho_mem_spinlock

static inline void spin_lock_init(spinlock_t *l)
{
	l->locked = 0;
}

static inline void spin_lock(spinlock_t *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		;
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

#define spin_lock_bh(l)			spin_lock(l)
#define spin_unlock_bh(l)		spin_unlock(l)
#define spin_lock_irq(l)		spin_lock(l)
#define spin_unlock_irq(l)		spin_unlock(l)
#define spin_lock_irqsave(l, f)		((void)(f), spin_lock(l))
#define spin_unlock_irqrestore(l, f)	((void)(f), spin_unlock(l))

#endif
