/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Live Update Orchestrator: what the rest of the kernel calls.
 */
#ifndef _LINUX_LIVEUPDATE_H
#define _LINUX_LIVEUPDATE_H

#include <linux/kexec_handover.h>

#ifdef CONFIG_LIVEUPDATE
int liveupdate_reboot(void);
#else
/* Without the orchestrator only KHO's own memory map is handed over. */
static inline int liveupdate_reboot(void)
{
	return kho_finalize();
}
#endif

#endif /* _LINUX_LIVEUPDATE_H */
