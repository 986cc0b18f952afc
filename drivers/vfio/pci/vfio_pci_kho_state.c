// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci's handed-over device state: its KSTATE description and the
 * checks of what the previous kernel saved against the device found at
 * the same devid.
 *
 * The description is versioned by KSTATE: fields are matched by name, a
 * field a newer kernel adds is optional for an older one unless it says
 * otherwise, and a saved version below min_version_id is refused.  None of
 * this needs a device, so the KUnit suite (vfio_pci_kho_kunit.c) runs it
 * on any architecture.
 */
#include <kunit/visibility.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/unaligned.h>

#include "vfio_pci_kho_state.h"

static const struct kstate_field vfio_pci_kho_ident_fields[] = {
	KSTATE_U16(struct vfio_pci_kho_ident, vendor, 1),
	KSTATE_U16(struct vfio_pci_kho_ident, device, 1),
	KSTATE_U16(struct vfio_pci_kho_ident, subsystem_vendor, 1),
	KSTATE_U16(struct vfio_pci_kho_ident, subsystem_device, 1),
	KSTATE_U32(struct vfio_pci_kho_ident, class, 1),
	KSTATE_U8(struct vfio_pci_kho_ident, revision, 1),
	KSTATE_U8(struct vfio_pci_kho_ident, hdr_type, 1),
	KSTATE_U16(struct vfio_pci_kho_ident, cfg_size, 1),
	KSTATE_ARRAY(struct vfio_pci_kho_ident, bar_len, KSTATE_U64, 1),
	KSTATE_ARRAY(struct vfio_pci_kho_ident, bar_flags, KSTATE_U32, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description vfio_pci_kho_ident_desc = {
	.name = "vfio-pci,ident",
	.version_id = 1,
	.min_version_id = 1,
	.size = sizeof(struct vfio_pci_kho_ident),
	.fields = vfio_pci_kho_ident_fields,
};

const struct kstate_field vfio_pci_kho_state_fields[] = {
	KSTATE_STRUCT(struct vfio_pci_kho_state, ident,
		      &vfio_pci_kho_ident_desc, 1),
	KSTATE_PTR_VARRAY(struct vfio_pci_kho_state, vconfig, vconfig_len,
			  VFIO_PCI_KHO_CFG_MAX, KSTATE_U8, NULL, 1),
	KSTATE_ARRAY(struct vfio_pci_kho_state, rbar, KSTATE_U32, 1),
	KSTATE_BOOL(struct vfio_pci_kho_state, bardirty, 1),
	KSTATE_BOOL(struct vfio_pci_kho_state, virq_disabled, 1),
	KSTATE_BOOL(struct vfio_pci_kho_state, reset_works, 1),
	KSTATE_BOOL(struct vfio_pci_kho_state, pci_2_3, 1),
	KSTATE_BOOL(struct vfio_pci_kho_state, nointx, 1),
	KSTATE_BOOL(struct vfio_pci_kho_state, needs_reset, 1),
	KSTATE_S32(struct vfio_pci_kho_state, irq_type, 1),
	KSTATE_U32(struct vfio_pci_kho_state, irq_count, 1),
	KSTATE_U8(struct vfio_pci_kho_state, msix_bar, 1),
	KSTATE_U16(struct vfio_pci_kho_state, msix_size, 1),
	KSTATE_U32(struct vfio_pci_kho_state, msix_offset, 1),
	KSTATE_U8(struct vfio_pci_kho_state, power_state, 1),
	KSTATE_PTR_VARRAY(struct vfio_pci_kho_state, pci_state, pci_state_len,
			  VFIO_PCI_KHO_PCI_STATE_MAX, KSTATE_U8, NULL, 1),
	KSTATE_END_OF_LIST()
};
EXPORT_SYMBOL_IF_KUNIT(vfio_pci_kho_state_fields);

/**
 * vfio_pci_kho_state_pre_load() - clear a state before it is loaded
 * @obj: the struct vfio_pci_kho_state to load into.
 *
 * Fields the saved version lacks must not pass for valid ones: everything
 * is zeroed and the interrupt type is set to none that exists.
 *
 * Context: Any context.
 * Return: 0.
 */
int vfio_pci_kho_state_pre_load(void *obj)
{
	struct vfio_pci_kho_state *st = obj;

	memset(st, 0, sizeof(*st));
	st->irq_type = -1;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vfio_pci_kho_state_pre_load);

/*
 * The KSTATE description of struct vfio_pci_kho_state.  Instances are
 * keyed by the device's PCI domain << 16 | PCI_DEVID().
 */
const struct kstate_description vfio_pci_kho_state_desc = {
	.name = "vfio-pci,device",
	.version_id = 1,
	.min_version_id = 1,
	.size = sizeof(struct vfio_pci_kho_state),
	.fields = vfio_pci_kho_state_fields,
	.pre_load = vfio_pci_kho_state_pre_load,
};
EXPORT_SYMBOL_IF_KUNIT(vfio_pci_kho_state_desc);

/**
 * vfio_pci_kho_state_check() - check handed-over state against the device
 * @st: what the previous kernel saved, untrusted.
 * @real: the identity of the device found at the same devid.
 * @nr_irq_types: VFIO_PCI_NUM_IRQS.
 *
 * Context: Any context.
 * Return: NULL if @st may be used for the device, else why not (for the
 * one log line of the refusal).
 */
const char *vfio_pci_kho_state_check(const struct vfio_pci_kho_state *st,
				     const struct vfio_pci_kho_ident *real,
				     int nr_irq_types)
{
	const struct vfio_pci_kho_ident *id = &st->ident;
	int i;

	if (id->vendor != real->vendor || id->device != real->device ||
	    id->subsystem_vendor != real->subsystem_vendor ||
	    id->subsystem_device != real->subsystem_device ||
	    id->class != real->class || id->revision != real->revision ||
	    id->hdr_type != real->hdr_type)
		return "another device is at this address";
	if (id->cfg_size != real->cfg_size)
		return "config space size differs";
	for (i = 0; i < PCI_STD_NUM_BARS; i++)
		if (id->bar_len[i] != real->bar_len[i] ||
		    id->bar_flags[i] != real->bar_flags[i])
			return "BARs differ";
	if (!st->vconfig || st->vconfig_len != real->cfg_size)
		return "virtual config space has the wrong size";
	if (get_unaligned_le16(st->vconfig + PCI_VENDOR_ID) != real->vendor ||
	    get_unaligned_le16(st->vconfig + PCI_DEVICE_ID) != real->device)
		return "virtual config space is not this device's";
	if (st->irq_type < 0 || st->irq_type > nr_irq_types)
		return "unknown interrupt type";
	if (st->irq_type == nr_irq_types && st->irq_count)
		return "vectors without an interrupt type";
	if (st->power_state > PCI_D3cold)
		return "unknown power state";
	if (st->msix_bar != 0xff &&
	    (st->msix_bar >= PCI_STD_NUM_BARS ||
	     (u64)st->msix_offset + st->msix_size > real->bar_len[st->msix_bar]))
		return "MSI-X table outside its BAR";
	if (st->pci_state_len && !st->pci_state)
		return "saved config state missing";
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(vfio_pci_kho_state_check);

/**
 * vfio_pci_kho_state_free() - free a state and the arrays it points to
 * @st: a state, or NULL.
 *
 * Context: Process context.
 */
void vfio_pci_kho_state_free(struct vfio_pci_kho_state *st)
{
	if (!st)
		return;
	kvfree(st->vconfig);
	kvfree(st->pci_state);
	kfree(st);
}
EXPORT_SYMBOL_IF_KUNIT(vfio_pci_kho_state_free);
