// SPDX-License-Identifier: GPL-2.0-only
/*
 * Live Update Orchestrator (LUO): the reboot path.
 *
 * The state that a kernel hands over on a kexec is built in layers: KHO
 * preserves memory and carries named sub-FDTs; KSTATE writes the state of
 * kernel objects into a stream that it preserves through KHO.  KHO knows
 * nothing of the layers above it, so the order of the last steps is kept
 * here: kernel_kexec() calls liveupdate_reboot() before anything shuts
 * down, which has every upper layer write its state while preservation
 * still works, and then has KHO freeze and serialize the handover.
 *
 * A step that fails undoes the steps before it, in reverse order, and the
 * kexec is refused: the system goes on with nothing preserved that was not
 * preserved before the attempt.
 */

#define pr_fmt(fmt) "liveupdate: " fmt

#include <linux/kexec_handover.h>
#include <linux/kstate.h>
#include <linux/liveupdate.h>
#include <linux/printk.h>

/**
 * liveupdate_reboot() - write everything that is handed over, just before kexec
 *
 * Saves KSTATE's stream (kstate_save()), then has KHO serialize the
 * preserved memory and write the root FDT (kho_finalize()).  If KHO
 * refuses, KSTATE's save is discarded again (kstate_discard()).
 *
 * Context: Process context, from kernel_kexec() with the kexec lock held.
 * Return: 0 if the handover is written (or KHO is off); a negative errno,
 * with one log line, if the kexec must not go on.  Nothing is left
 * preserved by a failed call.
 */
int liveupdate_reboot(void)
{
	int err;

	if (!kho_is_enabled())
		return 0;

	err = kstate_save();
	if (err) {
		pr_err("cannot save KSTATE (%d), kexec refused\n", err);
		return err;
	}

	/* KHO logs its own refusal */
	err = kho_finalize();
	if (err)
		kstate_discard();
	return err;
}
