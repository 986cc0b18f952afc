/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The state vfio-pci hands over for a device kept running across kexec,
 * described for KSTATE (vfio_pci_kho_state.c), and its checks.
 */
#ifndef _VFIO_PCI_KHO_STATE_H
#define _VFIO_PCI_KHO_STATE_H

#include <linux/kstate.h>
#include <linux/pci_regs.h>
#include <linux/types.h>

/* Capacity limits of the saved arrays. */
#define VFIO_PCI_KHO_CFG_MAX		4096	/* PCI_CFG_SPACE_EXP_SIZE */
#define VFIO_PCI_KHO_PCI_STATE_MAX	8192	/* PCI_LU_STATE_MAX */

/**
 * struct vfio_pci_kho_ident - what identifies the device at a devid
 * @vendor: PCI vendor id.
 * @device: PCI device id.
 * @subsystem_vendor: subsystem vendor id.
 * @subsystem_device: subsystem id.
 * @class: class code (24 bits).
 * @revision: revision id.
 * @hdr_type: header type.
 * @cfg_size: bytes of config space (256 or 4096).
 * @bar_len: length of each standard BAR (0 if none).
 * @bar_flags: IORESOURCE_IO, _MEM, _MEM_64 and _PREFETCH of each BAR.
 */
struct vfio_pci_kho_ident {
	u16 vendor;
	u16 device;
	u16 subsystem_vendor;
	u16 subsystem_device;
	u32 class;
	u8 revision;
	u8 hdr_type;
	u16 cfg_size;
	u64 bar_len[PCI_STD_NUM_BARS];
	u32 bar_flags[PCI_STD_NUM_BARS];
};

/**
 * struct vfio_pci_kho_state - vfio-pci's software state of one device
 * @ident: the device it belongs to; must match the device found there.
 * @vconfig_len: bytes at @vconfig, equal to @ident.cfg_size.
 * @vconfig: vfio-pci's virtual config space, as userspace sees it.
 * @rbar: the BAR values vfio-pci writes back after a reset.
 * @bardirty: @vconfig's BARs must be recomputed before they are read.
 * @virq_disabled: userspace disabled INTx through the command register.
 * @reset_works: a function reset was available when the device opened.
 * @pci_2_3: the device supports INTx masking (PCI 2.3).
 * @nointx: INTx is masked because it is broken on this device.
 * @needs_reset: the device must be reset at its next close.
 * @irq_type: VFIO_PCI_*_IRQ_INDEX userspace had set up, or
 *	VFIO_PCI_NUM_IRQS for none.
 * @irq_count: vectors of that type userspace had set up.
 * @msix_bar: BAR that holds the MSI-X table, or 0xff.
 * @msix_size: bytes of the MSI-X table.
 * @msix_offset: its offset in @msix_bar.
 * @power_state: the device's PCI power state (PCI_D0 ... PCI_D3cold).
 * @pci_state_len: bytes at @pci_state.
 * @pci_state: the config state saved after the reset at first open, which
 *	vfio-pci restores when the device closes (struct pci_lu_state_ser).
 */
struct vfio_pci_kho_state {
	struct vfio_pci_kho_ident ident;
	u32 vconfig_len;
	u8 *vconfig;
	u32 rbar[7];
	bool bardirty;
	bool virq_disabled;
	bool reset_works;
	bool pci_2_3;
	bool nointx;
	bool needs_reset;
	s32 irq_type;
	u32 irq_count;
	u8 msix_bar;
	u16 msix_size;
	u32 msix_offset;
	u8 power_state;
	u32 pci_state_len;
	u8 *pci_state;
};

extern const struct kstate_description vfio_pci_kho_state_desc;
extern const struct kstate_field vfio_pci_kho_state_fields[];

int vfio_pci_kho_state_pre_load(void *obj);

const char *vfio_pci_kho_state_check(const struct vfio_pci_kho_state *st,
				     const struct vfio_pci_kho_ident *real,
				     int nr_irq_types);
void vfio_pci_kho_state_free(struct vfio_pci_kho_state *st);

#endif /* _VFIO_PCI_KHO_STATE_H */
