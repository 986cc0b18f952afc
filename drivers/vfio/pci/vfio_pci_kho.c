// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci devices kept running across kexec.
 *
 * The outgoing side is called through struct vfio_device_ops by the VFIO
 * live update file handler (drivers/vfio/kho.c): preserve refuses what
 * cannot be kept safely and registers the device's state with KSTATE,
 * keyed by PCI domain << 16 | devid; freeze takes that state at the kexec.
 * Nothing touches the device: it is not reset, its bus mastering and
 * interrupt configuration stay as they are (drivers/pci/liveupdate.c keeps
 * the shutdown path off it).
 *
 * In the next kernel vfio-pci binds to every kept device from its init
 * (by driver_override, set here; the handover names no driver).  The bind
 * restores the state and checks it against the device found there; a
 * mismatch refuses it with one log line and the device becomes an
 * ordinary vfio-pci device.  A kept device holds a runtime PM reference
 * until it is opened or its live update finishes, so that it never goes
 * to D3hot unopened.  The first open takes the device as it is: no bus
 * master clear, no reset, no INTx change; vfio-pci's virtual config space
 * and its post-reset saved state come from the previous kernel, so a later
 * close still restores a sane device.
 */
#include <linux/iommu.h>
#include <linux/kstate.h>
#include <linux/pci.h>
#include <linux/pci_liveupdate.h>
#include <linux/pm_runtime.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

#include "vfio_pci_kho_state.h"
#include "vfio_pci_priv.h"

static u64 vfio_pci_kho_key(struct pci_dev *pdev)
{
	return (u64)pci_domain_nr(pdev->bus) << 16 | pci_dev_id(pdev);
}

static void vfio_pci_kho_ident(struct pci_dev *pdev,
			       struct vfio_pci_kho_ident *id)
{
	const unsigned long kinds = IORESOURCE_IO | IORESOURCE_MEM |
				    IORESOURCE_MEM_64 | IORESOURCE_PREFETCH;
	int i;

	memset(id, 0, sizeof(*id));
	id->vendor = pdev->vendor;
	id->device = pdev->device;
	id->subsystem_vendor = pdev->subsystem_vendor;
	id->subsystem_device = pdev->subsystem_device;
	id->class = pdev->class;
	id->revision = pdev->revision;
	id->hdr_type = pdev->hdr_type;
	id->cfg_size = pdev->cfg_size;
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		id->bar_len[i] = pci_resource_len(pdev, i);
		id->bar_flags[i] = pci_resource_flags(pdev, i) & kinds;
	}
}

static int vfio_pci_kho_count(struct device *dev, void *data)
{
	(*(unsigned int *)data)++;
	return 0;
}

/* How many devices share @pdev's IOMMU group (1 without a group). */
static unsigned int vfio_pci_kho_group_size(struct pci_dev *pdev)
{
	struct iommu_group *group = iommu_group_get(&pdev->dev);
	unsigned int n = 0;

	if (!group)
		return 1;
	iommu_group_for_each_dev(group, &n, vfio_pci_kho_count);
	iommu_group_put(group);
	return n;
}

/**
 * vfio_pci_core_kho_preserve() - keep an open device running across kexec
 * @core_vdev: the device.
 *
 * Context: Process context, from the VFIO live update file handler.
 * Return: 0; -EOPNOTSUPP for a virtual function or a physical function
 * with VFs enabled; -EBUSY if the device shares its IOMMU group or its
 * reset domain with another device; -EEXIST if it is preserved already;
 * or the error of KSTATE or of the PCI core.
 */
int vfio_pci_core_kho_preserve(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	struct pci_dev *pdev = vdev->pdev;
	struct vfio_pci_kho_state *st;
	int err;

	if (pdev->is_virtfn || pci_num_vf(pdev))
		return -EOPNOTSUPP;
	if (vfio_pci_kho_group_size(pdev) > 1 ||
	    core_vdev->dev_set->device_count > 1)
		return -EBUSY;
	if (vdev->kho_out)
		return -EEXIST;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	err = pci_liveupdate_preserve(pdev);
	if (err)
		goto free;
	err = kstate_register(&vfio_pci_kho_state_desc, st,
			      vfio_pci_kho_key(pdev));
	if (err)
		goto unpreserve;
	vdev->kho_out = st;
	return 0;

unpreserve:
	pci_liveupdate_unpreserve(pdev);
free:
	kfree(st);
	return err;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_kho_preserve);

/**
 * vfio_pci_core_kho_unpreserve() - undo vfio_pci_core_kho_preserve()
 * @core_vdev: the device.
 *
 * Context: Process context.
 */
void vfio_pci_core_kho_unpreserve(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);

	if (WARN_ON_ONCE(!vdev->kho_out))
		return;
	kstate_unregister(&vfio_pci_kho_state_desc, vdev->kho_out,
			  vfio_pci_kho_key(vdev->pdev));
	pci_liveupdate_unpreserve(vdev->pdev);
	vfio_pci_kho_state_free(vdev->kho_out);
	vdev->kho_out = NULL;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_kho_unpreserve);

/**
 * vfio_pci_core_kho_freeze() - take the state to hand over, at the kexec
 * @core_vdev: a preserved device.
 *
 * Copies what vfio-pci keeps in software for the device into its KSTATE
 * object.  May run again after a refused kexec.
 *
 * Context: Process context.
 * Return: 0; -ENOMEM; -ENOSPC if the saved config state is too large.
 */
int vfio_pci_core_kho_freeze(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	struct vfio_pci_kho_state *st = vdev->kho_out;
	struct pci_dev *pdev = vdev->pdev;
	unsigned long index;
	ssize_t len;
	void *ctx;
	int err = 0;

	if (WARN_ON_ONCE(!st))
		return -EINVAL;

	mutex_lock(&vdev->igate);
	down_read(&vdev->memory_lock);
	kvfree(st->vconfig);
	kvfree(st->pci_state);
	st->vconfig = NULL;
	st->pci_state = NULL;
	st->pci_state_len = 0;

	vfio_pci_kho_ident(pdev, &st->ident);
	st->vconfig = kvmemdup(vdev->vconfig, pdev->cfg_size, GFP_KERNEL);
	if (!st->vconfig) {
		err = -ENOMEM;
		goto out;
	}
	st->vconfig_len = pdev->cfg_size;
	memcpy(st->rbar, vdev->rbar, sizeof(st->rbar));
	st->bardirty = vdev->bardirty;
	st->virq_disabled = vdev->virq_disabled;
	st->reset_works = vdev->reset_works;
	st->pci_2_3 = vdev->pci_2_3;
	st->nointx = vdev->nointx;
	st->needs_reset = vdev->needs_reset;
	st->irq_type = vdev->irq_type;
	st->irq_count = 0;
	xa_for_each(&vdev->ctx, index, ctx)
		st->irq_count++;
	st->msix_bar = vdev->msix_bar;
	st->msix_size = vdev->msix_size;
	st->msix_offset = vdev->msix_offset;
	st->power_state = pdev->current_state;

	len = pci_liveupdate_state_save(vdev->pci_saved_state, NULL, 0);
	if (len == -EINVAL)
		goto out;		/* vfio-pci could not store one */
	if (len < 0) {
		err = len;
		goto out;
	}
	st->pci_state = kvmalloc(len, GFP_KERNEL);
	if (!st->pci_state) {
		err = -ENOMEM;
		goto out;
	}
	st->pci_state_len = len;
	len = pci_liveupdate_state_save(vdev->pci_saved_state, st->pci_state,
					len);
	if (len < 0)
		err = len;
out:
	up_read(&vdev->memory_lock);
	mutex_unlock(&vdev->igate);
	return err;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_kho_freeze);

static void vfio_pci_kho_release_in(struct vfio_pci_core_device *vdev)
{
	vfio_pci_kho_state_free(vdev->kho_in);
	vdev->kho_in = NULL;
	kfree(vdev->kho_pci_state);
	vdev->kho_pci_state = NULL;
	if (!vdev->disable_idle_d3)
		pm_runtime_put(&vdev->pdev->dev);
}

/**
 * vfio_pci_core_kho_finish() - the live update of a kept device is over
 * @core_vdev: a device bound as kept.
 *
 * Releases the state and the runtime PM reference of a device nobody
 * opened; any driver may bind to it once vfio-pci unbinds.
 *
 * Context: Process context.
 */
void vfio_pci_core_kho_finish(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);

	mutex_lock(&core_vdev->dev_set->lock);
	if (vdev->kho_in)
		vfio_pci_kho_release_in(vdev);
	mutex_unlock(&core_vdev->dev_set->lock);
	pci_liveupdate_finish(vdev->pdev);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_kho_finish);

/*
 * Binding: take the state of a kept device.  Return true if the device is
 * kept (the caller holds a runtime PM reference for it), false if it is
 * an ordinary device, or was kept with a state that is refused.
 */
bool vfio_pci_kho_probe(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	struct vfio_pci_kho_ident real;
	struct vfio_pci_kho_state *st;
	struct pci_saved_state *state = NULL;
	const char *why = NULL;
	int err;

	if (!pci_liveupdate_incoming(pdev) || !vfio_kho_incoming(pdev))
		return false;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st) {
		why = "out of memory";
		goto refuse;
	}
	err = kstate_restore(&vfio_pci_kho_state_desc, st,
			     vfio_pci_kho_key(pdev));
	if (err) {
		why = err == -ENOENT ? "no state was handed over" :
		      "the state is unreadable";
		goto refuse;
	}
	vfio_pci_kho_ident(pdev, &real);
	why = vfio_pci_kho_state_check(st, &real, VFIO_PCI_NUM_IRQS);
	if (why)
		goto refuse;
	if (st->pci_state_len) {
		state = pci_liveupdate_state_load(pdev, st->pci_state,
						  st->pci_state_len);
		if (IS_ERR(state)) {
			why = "the saved config state does not fit the device";
			goto refuse;
		}
	}
	vdev->kho_in = st;
	vdev->kho_pci_state = state;
	pci_info(pdev, "kept across kexec: bound as it is, not reset\n");
	return true;

refuse:
	pci_err(pdev, "kept state refused (%s): an ordinary device now\n",
		why);
	vfio_pci_kho_state_free(st);
	vfio_kho_refuse(pdev);
	pci_liveupdate_finish(pdev);
	return false;
}

/* Unbinding a kept device nobody opened. */
void vfio_pci_kho_remove(struct vfio_pci_core_device *vdev)
{
	if (vdev->kho_in)
		vfio_pci_kho_release_in(vdev);
}

/*
 * First open of a kept device: after vfio_config_init(), put back the
 * virtual config space userspace had, and drop the hold.  The caller
 * skipped the bus master clear, the reset and the INTx change.
 */
void vfio_pci_kho_enable(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_kho_state *st = vdev->kho_in;

	memcpy(vdev->vconfig, st->vconfig, st->vconfig_len);
	memcpy(vdev->rbar, st->rbar, sizeof(vdev->rbar));
	vdev->bardirty = st->bardirty;
	vdev->virq_disabled = st->virq_disabled;
	vdev->needs_reset = st->needs_reset;
	vfio_pci_kho_state_free(st);
	vdev->kho_in = NULL;
	if (!vdev->disable_idle_d3)
		pm_runtime_put(&vdev->pdev->dev);
}

/**
 * vfio_pci_core_kho_claim_devices() - bind @drv to every kept device
 * @drv: the vfio-pci driver, before it registers.
 *
 * Context: Process context.
 */
void vfio_pci_core_kho_claim_devices(struct pci_driver *drv)
{
	struct pci_dev *pdev;
	u64 key;

	for (key = 0; vfio_kho_next_incoming(&key); key++) {
		pdev = pci_get_domain_bus_and_slot(key >> 16,
						   PCI_BUS_NUM(key & 0xffff),
						   key & 0xff);
		if (!pdev)
			continue;
		if (!pdev->dev.driver &&
		    device_set_driver_override(&pdev->dev, drv->name))
			pci_err(pdev, "kept across kexec but not claimed\n");
		pci_dev_put(pdev);
	}
}
EXPORT_SYMBOL_GPL(vfio_pci_core_kho_claim_devices);
