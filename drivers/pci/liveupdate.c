// SPDX-License-Identifier: GPL-2.0-only
/*
 * PCI devices kept running across kexec.
 *
 * A driver that keeps a device working across a live update (vfio-pci for
 * a device assigned to a VM) preserves it here.  The PCI core then leaves
 * the device, and every bridge above it, alone on the way down: no
 * pci_clear_master() in pci_device_shutdown(), so DMA in flight lands.
 * The set is handed to the next kernel as the KHO subtree "pci"
 * (include/linux/kho/abi/pci.h), which it reads at arch_initcall, before
 * the buses are scanned.  There a kept device is "incoming" until its
 * driver calls pci_liveupdate_finish(): enumeration does not disable its
 * MSI or MSI-X, and only a driver that manages DMA itself
 * (driver_managed_dma, as vfio-pci) may bind to it, so that no ordinary
 * driver takes over a device that is writing into a guest's memory.
 *
 * Bus numbers and BARs need nothing here: x86 keeps what it finds unless
 * pci=assign-busses or pci=realloc is given, which a host doing live
 * updates must not use.
 */
#define pr_fmt(fmt) "pci-liveupdate: " fmt

#include <linux/init.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/pci.h>
#include <linux/libfdt.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pci_liveupdate.h>
#include <linux/xarray.h>

#include "pci.h"

/* A device's key in both sets: domain and PCI_DEVID(bus, devfn). */
static unsigned long pci_lu_key(u32 domain, u16 bdf)
{
	return (unsigned long)domain << 16 | bdf;
}

static unsigned long pci_lu_dev_key(struct pci_dev *pdev)
{
	return pci_lu_key(pci_domain_nr(pdev->bus), pci_dev_id(pdev));
}

/*
 * Outgoing: per device, how many preserves keep it (bits 0-15) and as
 * what (PCI_LU_DEV_* << 16), stored as an xarray value.
 */
static DEFINE_MUTEX(pci_lu_lock);
static DEFINE_XARRAY(pci_lu_out);
static struct page *pci_lu_fdt_page;
static bool pci_lu_published;

/* Incoming: the devices the previous kernel kept, with their flags. */
static DEFINE_XARRAY(pci_lu_in);

#define PCI_LU_REF_MASK		0xffffUL
#define PCI_LU_FLAGS_SHIFT	16

/* Rewrite the FDT from the outgoing set.  Called with pci_lu_lock held. */
static int pci_lu_write_fdt(void)
{
	struct pci_lu_dev_ser *devs;
	void *fdt = page_address(pci_lu_fdt_page);
	unsigned long key, nr = 0;
	void *entry;
	int err;

	devs = kcalloc(PCI_LU_MAX_DEVICES, sizeof(*devs), GFP_KERNEL);
	if (!devs)
		return -ENOMEM;
	xa_for_each(&pci_lu_out, key, entry) {
		unsigned long v = xa_to_value(entry);

		devs[nr].domain = key >> 16;
		devs[nr].bdf = key & 0xffff;
		devs[nr].flags = v >> PCI_LU_FLAGS_SHIFT;
		nr++;
	}
	err = fdt_create(fdt, PAGE_SIZE) ?: fdt_finish_reservemap(fdt) ?:
	      fdt_begin_node(fdt, "") ?:
	      fdt_property_string(fdt, "compatible", PCI_LU_COMPATIBLE) ?:
	      fdt_property(fdt, PCI_LU_PROP_DEVICES, devs,
			   nr * sizeof(*devs)) ?:
	      fdt_end_node(fdt) ?: fdt_finish(fdt);
	kfree(devs);
	return err ? -EINVAL : 0;
}

/* Publish the subtree on the first preserve.  Called with the lock held. */
static int pci_lu_publish(void)
{
	int err;

	if (pci_lu_published)
		return 0;
	if (!pci_lu_fdt_page) {
		pci_lu_fdt_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!pci_lu_fdt_page)
			return -ENOMEM;
		err = kho_preserve_pages(pci_lu_fdt_page, 1);
		if (err) {
			__free_page(pci_lu_fdt_page);
			pci_lu_fdt_page = NULL;
			return err;
		}
	}
	err = pci_lu_write_fdt() ?:
	      kho_add_subtree(PCI_LU_SUBTREE, page_address(pci_lu_fdt_page));
	if (!err)
		pci_lu_published = true;
	return err;
}

/* Withdraw the subtree when nothing is kept.  Called with the lock held. */
static void pci_lu_unpublish(void)
{
	if (!pci_lu_published || !xa_empty(&pci_lu_out))
		return;
	WARN_ON_ONCE(kho_remove_subtree(page_address(pci_lu_fdt_page)));
	pci_lu_published = false;
}

/* Drop one reference of @key.  Called with the lock held. */
static void pci_lu_put(unsigned long key)
{
	unsigned long v = xa_to_value(xa_load(&pci_lu_out, key));

	if ((v & PCI_LU_REF_MASK) > 1)
		xa_store(&pci_lu_out, key, xa_mk_value(v - 1), GFP_KERNEL);
	else
		xa_erase(&pci_lu_out, key);
}

static int pci_lu_get(unsigned long key, u8 flag)
{
	void *entry = xa_load(&pci_lu_out, key);
	unsigned long v = entry ? xa_to_value(entry) : 0;

	if ((v & PCI_LU_REF_MASK) == PCI_LU_REF_MASK)
		return -EBUSY;
	v = (v + 1) | (unsigned long)flag << PCI_LU_FLAGS_SHIFT;
	return xa_err(xa_store(&pci_lu_out, key, xa_mk_value(v), GFP_KERNEL));
}

static unsigned long pci_lu_out_count(void)
{
	unsigned long key, nr = 0;
	void *entry;

	xa_for_each(&pci_lu_out, key, entry)
		nr++;
	return nr;
}

/**
 * pci_liveupdate_preserve() - keep a device running across the next kexec
 * @pdev: the device; its driver keeps it bound and in use until then.
 *
 * Records @pdev and every bridge above it for the next kernel and stops
 * the shutdown path from clearing their bus mastering.  Preserves nest:
 * each needs one pci_liveupdate_unpreserve().
 *
 * Context: Process context; may sleep.
 * Return: 0; -EOPNOTSUPP for a virtual function or without KHO; -ENOSPC
 * beyond PCI_LU_MAX_DEVICES devices and bridges; -ENOMEM; -EBUSY once
 * the kexec is under way.
 */
int pci_liveupdate_preserve(struct pci_dev *pdev)
{
	struct pci_dev *p;
	unsigned long nr_new = 0;
	int err;

	if (pdev->is_virtfn || !kho_is_enabled())
		return -EOPNOTSUPP;

	mutex_lock(&pci_lu_lock);
	for (p = pdev; p; p = pci_upstream_bridge(p))
		if (!xa_load(&pci_lu_out, pci_lu_dev_key(p)))
			nr_new++;
	if (pci_lu_out_count() + nr_new > PCI_LU_MAX_DEVICES) {
		err = -ENOSPC;
		goto out;
	}
	for (p = pdev; p; p = pci_upstream_bridge(p)) {
		err = pci_lu_get(pci_lu_dev_key(p), p == pdev ?
				 PCI_LU_DEV_KEPT : PCI_LU_DEV_BRIDGE);
		if (err)
			goto undo;
	}
	err = pci_lu_publish();
	if (!err && pci_lu_published)
		err = pci_lu_write_fdt();
	if (!err)
		goto out;
	p = NULL;
undo:
	for (struct pci_dev *q = pdev; q != p; q = pci_upstream_bridge(q))
		pci_lu_put(pci_lu_dev_key(q));
	pci_lu_unpublish();
out:
	mutex_unlock(&pci_lu_lock);
	return err;
}
EXPORT_SYMBOL_GPL(pci_liveupdate_preserve);

/**
 * pci_liveupdate_unpreserve() - undo pci_liveupdate_preserve()
 * @pdev: a device preserved before.
 *
 * Context: Process context; may sleep.
 */
void pci_liveupdate_unpreserve(struct pci_dev *pdev)
{
	struct pci_dev *p;

	mutex_lock(&pci_lu_lock);
	if (!xa_load(&pci_lu_out, pci_lu_dev_key(pdev))) {
		WARN_ON_ONCE(1);
		goto out;
	}
	for (p = pdev; p; p = pci_upstream_bridge(p))
		pci_lu_put(pci_lu_dev_key(p));
	if (pci_lu_published && !xa_empty(&pci_lu_out))
		WARN_ON_ONCE(pci_lu_write_fdt());
	pci_lu_unpublish();
out:
	mutex_unlock(&pci_lu_lock);
}
EXPORT_SYMBOL_GPL(pci_liveupdate_unpreserve);

/**
 * pci_liveupdate_outgoing() - whether the next kernel takes @pdev running
 * @pdev: a device or bridge.
 *
 * Context: Any context.
 * Return: true if @pdev is preserved or is a bridge above a preserved
 * device.
 */
bool pci_liveupdate_outgoing(struct pci_dev *pdev)
{
	return xa_load(&pci_lu_out, pci_lu_dev_key(pdev));
}

/**
 * pci_liveupdate_incoming() - whether @pdev was kept running for its driver
 * @pdev: a device.
 *
 * Context: Any context.
 * Return: true from boot until pci_liveupdate_finish() if the previous
 * kernel preserved @pdev (bridges above it are not "incoming").
 */
bool pci_liveupdate_incoming(struct pci_dev *pdev)
{
	return xa_to_value(xa_load(&pci_lu_in, pci_lu_dev_key(pdev))) &
	       PCI_LU_DEV_KEPT;
}
EXPORT_SYMBOL_GPL(pci_liveupdate_incoming);

/**
 * pci_liveupdate_finish() - the live update of @pdev is over
 * @pdev: an incoming device.
 *
 * From now on @pdev is an ordinary device: any driver may bind to it once
 * its current one unbinds.
 *
 * Context: Process context.
 */
void pci_liveupdate_finish(struct pci_dev *pdev)
{
	xa_erase(&pci_lu_in, pci_lu_dev_key(pdev));
}
EXPORT_SYMBOL_GPL(pci_liveupdate_finish);

/**
 * pci_liveupdate_state_save() - encode a saved config state for the next kernel
 * @state: what pci_store_saved_state() returned.
 * @buf: where to write it, or NULL to learn the size.
 * @len: room at @buf.
 *
 * Writes @state in the build-independent form of struct pci_lu_state_ser
 * (include/linux/kho/abi/pci.h), which pci_liveupdate_state_load() reads.
 *
 * Context: Any context.
 * Return: the size of the encoding; -EINVAL if @state is NULL; -ENOSPC if
 * it is larger than @len (or than PCI_LU_STATE_MAX).
 */
ssize_t pci_liveupdate_state_save(const struct pci_saved_state *state,
				  void *buf, size_t len)
{
	const struct pci_cap_saved_data *cap;
	struct pci_lu_state_ser hdr = {};
	size_t size = sizeof(hdr);

	if (!state)
		return -EINVAL;
	for (cap = state->cap; cap->size;
	     cap = (void *)cap + sizeof(*cap) + cap->size) {
		size += sizeof(struct pci_lu_cap_ser) + cap->size;
		hdr.nr_caps++;
	}
	if (size > PCI_LU_STATE_MAX)
		return -ENOSPC;
	if (!buf)
		return size;
	if (size > len)
		return -ENOSPC;

	memcpy(hdr.config_space, state->config_space,
	       sizeof(hdr.config_space));
	memcpy(buf, &hdr, sizeof(hdr));
	buf += sizeof(hdr);
	for (cap = state->cap; cap->size;
	     cap = (void *)cap + sizeof(*cap) + cap->size) {
		struct pci_lu_cap_ser c = {
			.cap_nr = cap->cap_nr,
			.extended = cap->cap_extended,
			.size = cap->size,
		};

		memcpy(buf, &c, sizeof(c));
		memcpy(buf + sizeof(c), cap->data, cap->size);
		buf += sizeof(c) + cap->size;
	}
	return size;
}
EXPORT_SYMBOL_GPL(pci_liveupdate_state_save);

/**
 * pci_liveupdate_state_load() - decode a config state the previous kernel saved
 * @pdev: the device it belongs to.
 * @buf: what pci_liveupdate_state_save() wrote, untrusted.
 * @len: its length.
 *
 * Context: Process context; may sleep.
 * Return: a state for pci_load_saved_state(), to be freed with kfree();
 * ERR_PTR(-EINVAL) if @buf is malformed or names a capability @pdev has
 * no save buffer of that size for; ERR_PTR(-ENOMEM).
 */
struct pci_saved_state *pci_liveupdate_state_load(struct pci_dev *pdev,
						  const void *buf, size_t len)
{
	struct pci_lu_state_ser hdr;
	struct pci_saved_state *state;
	struct pci_cap_saved_data *out;
	size_t off, size;
	u32 i;

	if (len < sizeof(hdr) || len > PCI_LU_STATE_MAX)
		return ERR_PTR(-EINVAL);
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.nr_caps > len / sizeof(struct pci_lu_cap_ser))
		return ERR_PTR(-EINVAL);

	/* Walk once to check it and size the kernel's form. */
	size = sizeof(*state) + sizeof(*out);
	for (i = 0, off = sizeof(hdr); i < hdr.nr_caps; i++) {
		struct pci_cap_saved_state *mine;
		struct pci_lu_cap_ser c;

		if (len - off < sizeof(c))
			return ERR_PTR(-EINVAL);
		memcpy(&c, buf + off, sizeof(c));
		off += sizeof(c);
		if (c.extended > 1 || c.reserved || !c.size || c.size % 4 ||
		    c.size > len - off)
			return ERR_PTR(-EINVAL);
		mine = c.extended ? pci_find_saved_ext_cap(pdev, c.cap_nr) :
		       c.cap_nr <= 0xff ? pci_find_saved_cap(pdev, c.cap_nr) :
		       NULL;
		if (!mine || mine->cap.size != c.size)
			return ERR_PTR(-EINVAL);
		off += c.size;
		size += sizeof(*out) + c.size;
	}
	if (off != len)
		return ERR_PTR(-EINVAL);

	state = kzalloc(size, GFP_KERNEL);
	if (!state)
		return ERR_PTR(-ENOMEM);
	memcpy(state->config_space, hdr.config_space,
	       sizeof(state->config_space));
	out = state->cap;
	for (i = 0, off = sizeof(hdr); i < hdr.nr_caps; i++) {
		struct pci_lu_cap_ser c;

		memcpy(&c, buf + off, sizeof(c));
		out->cap_nr = c.cap_nr;
		out->cap_extended = c.extended;
		out->size = c.size;
		memcpy(out->data, buf + off + sizeof(c), c.size);
		off += sizeof(c) + c.size;
		out = (void *)out + sizeof(*out) + c.size;
	}
	return state;
}
EXPORT_SYMBOL_GPL(pci_liveupdate_state_load);

/* Check the previous kernel's table; return why it is refused, or NULL. */
static const char *pci_lu_check(const struct pci_lu_dev_ser *devs, int len)
{
	unsigned long prev = 0;
	int i, nr;

	if (len < 0 || len % sizeof(*devs))
		return "table is not a whole number of entries";
	nr = len / sizeof(*devs);
	if (nr > PCI_LU_MAX_DEVICES)
		return "too many devices";
	for (i = 0; i < nr; i++) {
		unsigned long key = pci_lu_key(devs[i].domain, devs[i].bdf);

		if (!devs[i].flags || devs[i].flags & ~PCI_LU_DEV_FLAGS ||
		    devs[i].reserved)
			return "unknown flags";
		if (i && key <= prev)
			return "devices out of order or repeated";
		prev = key;
	}
	return NULL;
}

static int __init pci_liveupdate_init(void)
{
	const struct pci_lu_dev_ser *devs;
	const char *why;
	phys_addr_t phys;
	void *fdt;
	int i, len;

	if (kho_retrieve_subtree(PCI_LU_SUBTREE, &phys))
		return 0;
	fdt = phys_to_virt(phys);
	if (fdt_node_check_compatible(fdt, 0, PCI_LU_COMPATIBLE)) {
		why = "unknown compatible";
		goto refuse;
	}
	devs = fdt_getprop(fdt, 0, PCI_LU_PROP_DEVICES, &len);
	why = devs ? pci_lu_check(devs, len) : "no device table";
	if (why)
		goto refuse;
	for (i = 0; i < len / sizeof(*devs); i++) {
		unsigned long key = pci_lu_key(devs[i].domain, devs[i].bdf);

		if (xa_err(xa_store(&pci_lu_in, key,
				    xa_mk_value(devs[i].flags), GFP_KERNEL))) {
			xa_destroy(&pci_lu_in);
			why = "out of memory";
			goto refuse;
		}
		if (devs[i].flags & PCI_LU_DEV_KEPT)
			pr_info("%04x:%02x:%02x.%d kept running by the previous kernel\n",
				devs[i].domain, PCI_BUS_NUM(devs[i].bdf),
				PCI_SLOT(devs[i].bdf), PCI_FUNC(devs[i].bdf));
	}
	return 0;

refuse:
	pr_err("handed-over device table refused (%s), no device is kept\n",
	       why);
	return 0;
}

/* Before the buses are scanned (subsys_initcall). */
arch_initcall(pci_liveupdate_init);
