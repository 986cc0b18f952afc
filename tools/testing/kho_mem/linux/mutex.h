/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TOOLS_KHO_MEM_LINUX_MUTEX_H
#define _TOOLS_KHO_MEM_LINUX_MUTEX_H

/* Uncontended, a kernel mutex costs one atomic operation each way. */
#include <linux/spinlock.h>

struct mutex {
	spinlock_t l;	/* the mutex's own lock word */
};

#define mutex_init(m)	spin_lock_init(&(m)->l)
#define mutex_lock(m)	spin_lock(&(m)->l)
#define mutex_unlock(m)	spin_unlock(&(m)->l)

#endif
