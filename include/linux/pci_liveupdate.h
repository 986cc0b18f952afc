/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PCI devices kept running across kexec (drivers/pci/liveupdate.c).
 */
#ifndef _LINUX_PCI_LIVEUPDATE_H
#define _LINUX_PCI_LIVEUPDATE_H

#include <linux/errno.h>
#include <linux/types.h>

struct pci_dev;
struct pci_saved_state;

#ifdef CONFIG_PCI_LIVEUPDATE
int pci_liveupdate_preserve(struct pci_dev *pdev);
void pci_liveupdate_unpreserve(struct pci_dev *pdev);
bool pci_liveupdate_outgoing(struct pci_dev *pdev);
bool pci_liveupdate_incoming(struct pci_dev *pdev);
void pci_liveupdate_finish(struct pci_dev *pdev);
ssize_t pci_liveupdate_state_save(const struct pci_saved_state *state,
				  void *buf, size_t len);
struct pci_saved_state *pci_liveupdate_state_load(struct pci_dev *pdev,
						  const void *buf, size_t len);
#else
static inline int pci_liveupdate_preserve(struct pci_dev *pdev)
{
	return -EOPNOTSUPP;
}

static inline void pci_liveupdate_unpreserve(struct pci_dev *pdev) { }
static inline bool pci_liveupdate_outgoing(struct pci_dev *pdev)
{
	return false;
}

static inline bool pci_liveupdate_incoming(struct pci_dev *pdev)
{
	return false;
}

static inline void pci_liveupdate_finish(struct pci_dev *pdev) { }
#endif

#endif /* _LINUX_PCI_LIVEUPDATE_H */
