/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PCI devices kept running across kexec: what the next kernel is told.
 *
 * This is an ABI between two kernels, which may be different builds: change
 * it only with a new compatible string.  Integers are in the CPU's byte
 * order (both kernels run on the same machine) and the struct is packed.
 *
 * drivers/pci/liveupdate.c publishes one KHO subtree, PCI_LU_SUBTREE, while
 * at least one device is preserved: an FDT of one preserved page whose root
 * node has the compatible PCI_LU_COMPATIBLE and the property
 * PCI_LU_PROP_DEVICES, an array of struct pci_lu_dev_ser: every device a
 * driver preserved (PCI_LU_DEV_KEPT) and every bridge above one
 * (PCI_LU_DEV_BRIDGE), each once, in ascending order of (domain, bdf).  No
 * driver name and no driver state is in it: the driver that preserved a
 * device hands its own state over itself, keyed by the same (domain, bdf).
 *
 * The next kernel trusts none of it: a table that is not a whole number of
 * entries, longer than PCI_LU_MAX_DEVICES, out of order, with a repeated
 * device, an unknown or missing flag or a non-zero reserved field is
 * refused whole with one log line, and the boot goes on as if nothing was
 * kept.
 */
#ifndef _LINUX_KHO_ABI_PCI_H
#define _LINUX_KHO_ABI_PCI_H

#include <linux/bits.h>
#include <linux/types.h>

#define PCI_LU_SUBTREE		"pci"
#define PCI_LU_COMPATIBLE	"pci-lts-v1"
#define PCI_LU_PROP_DEVICES	"devices"

/* What fits in the one-page FDT, with room for its header and names. */
#define PCI_LU_MAX_DEVICES	256

#define PCI_LU_DEV_KEPT		BIT(0)	/* preserved by its driver */
#define PCI_LU_DEV_BRIDGE	BIT(1)	/* a bridge above a kept device */
#define PCI_LU_DEV_FLAGS	(PCI_LU_DEV_KEPT | PCI_LU_DEV_BRIDGE)

/**
 * struct pci_lu_dev_ser - one kept PCI device
 * @domain: its PCI domain (segment).
 * @bdf: PCI_DEVID(bus, devfn).
 * @flags: PCI_LU_DEV_* flags, at least one.
 * @reserved: zero.
 */
struct pci_lu_dev_ser {
	u32 domain;
	u16 bdf;
	u8 flags;
	u8 reserved;
} __packed;

/*
 * A device's saved config state (struct pci_saved_state, as
 * pci_store_saved_state() takes it) in a form that does not depend on the
 * kernel's build: struct pci_lu_state_ser, then @nr_caps times a struct
 * pci_lu_cap_ser followed by its @size bytes of data.  A driver hands it
 * over with its own state (pci_liveupdate_state_save() and
 * pci_liveupdate_state_load()); the next kernel takes it only when every
 * capability matches one the device has, with the same size.
 */
#define PCI_LU_STATE_MAX	8192	/* bytes, header and capabilities */

/**
 * struct pci_lu_state_ser - a saved config state
 * @config_space: the first 64 bytes of config space.
 * @nr_caps: capability buffers that follow.
 */
struct pci_lu_state_ser {
	u32 config_space[16];
	u32 nr_caps;
} __packed;

/**
 * struct pci_lu_cap_ser - one capability's saved state
 * @cap_nr: PCI_CAP_ID_* or PCI_EXT_CAP_ID_*.
 * @extended: 1 for an extended capability, else 0.
 * @reserved: zero.
 * @size: bytes of data that follow, a multiple of 4.
 */
struct pci_lu_cap_ser {
	u16 cap_nr;
	u8 extended;
	u8 reserved;
	u32 size;
} __packed;

#endif /* _LINUX_KHO_ABI_PCI_H */
