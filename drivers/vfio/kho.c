// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO device files across kexec: the Live Update Orchestrator's file
 * handler for VFIO PCI devices.
 *
 * A VMM preserves the fd of an open VFIO device in a /dev/liveupdate
 * session.  The device is not stopped: its driver (vfio-pci) takes the
 * state it keeps in software at the kexec and hands it over through
 * KSTATE, keyed by the device's PCI domain and devid, and the PCI core
 * keeps bus mastering on across the shutdown (drivers/pci/liveupdate.c).
 * The file's serialized data is only that key and how the file was opened
 * (group or cdev): nothing here is trusted beyond it, and the driver checks
 * its state against the device it finds.
 *
 * In the next kernel the device is "held" from boot: its driver binds to
 * it but nobody may open it through its group or its cdev until the VMM
 * retrieves the file from its session.  A group file is opened through
 * the group path (the VMM sets the group's container and IOMMU first); a
 * cdev file comes back as open(2) of the cdev gives it, for the VMM to
 * bind to its new iommufd and attach to an IOAS that maps guest memory
 * at the same IOVAs.  Finish releases what the driver held for a device
 * nobody retrieved.
 *
 * The device's DMA must stay valid across the kexec.  The memory it
 * writes into is a preserved memfd, at the same pages.  In VFIO's no-IOMMU
 * mode its bus addresses are those physical addresses.  Behind an IOMMU,
 * through a type1 container or an iommufd, the IOMMU driver keeps the
 * device's translation on and hands its tables over
 * (iommu_kho_preserve_device()): the device translates through them until
 * the next VMM attaches a domain of its own.  An iommufd IOAS fills its
 * domain before attaching it; a type1 container is attached first and
 * mapped after, so the VMM re-creates its mappings before it restarts the
 * device's work.  A device whose IOMMU driver cannot keep it is refused
 * with -EOPNOTSUPP.
 */
#define pr_fmt(fmt) "vfio-liveupdate: " fmt

#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/liveupdate.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/vfio.h>
#include <linux/xarray.h>

#include "vfio.h"

#define VFIO_PCI_LUO_COMPATIBLE	"vfio-pci-lts-v1"

/* Keys are the PCI domain << 16 | PCI_DEVID(); domains have 32 bits. */
#define VFIO_KHO_KEY_MAX	GENMASK_ULL(47, 0)
/* In the file's data: the device was opened through its cdev. */
#define VFIO_KHO_DATA_CDEV	BIT_ULL(63)

/* A device the previous kernel kept, until its file is finished. */
struct vfio_kho_in {
	struct vfio_device *device;	/* bound to a vfio driver, or NULL */
	bool cdev;			/* opened through its cdev */
	bool retrieved;
};

static DEFINE_MUTEX(vfio_kho_lock);
static DEFINE_XARRAY(vfio_kho_out);	/* key -> struct vfio_device */
static DEFINE_XARRAY(vfio_kho_in);	/* key -> struct vfio_kho_in */

static unsigned long vfio_kho_key(struct pci_dev *pdev)
{
	return (unsigned long)pci_domain_nr(pdev->bus) << 16 | pci_dev_id(pdev);
}

static bool vfio_kho_can_preserve(struct liveupdate_file_handler *handler,
				  struct file *file)
{
	struct vfio_device *device = vfio_device_from_file(file);

	return device && dev_is_pci(device->dev) &&
	       device->ops->kho_preserve;
}

static int vfio_kho_preserve(struct liveupdate_file_op_args *args)
{
	struct vfio_device_file *df = args->file->private_data;
	struct vfio_device *device = df->device;
	unsigned long key = vfio_kho_key(to_pci_dev(device->dev));
	int err;

	/* Paired with smp_store_release() of the group and cdev opens. */
	if (!smp_load_acquire(&df->access_granted))
		return -EINVAL;
	/* a cdev file is bound to an iommufd: behind an IOMMU */
	if (!df->group && vfio_device_is_noiommu(device))
		return -EOPNOTSUPP;

	mutex_lock(&vfio_kho_lock);
	err = xa_insert(&vfio_kho_out, key, device, GFP_KERNEL);
	if (err) {
		err = err == -EBUSY ? -EEXIST : err;
		goto out;
	}
	if (!vfio_device_is_noiommu(device)) {
		err = iommu_kho_preserve_device(device->dev);
		if (err) {
			xa_erase(&vfio_kho_out, key);
			goto out;
		}
	}
	err = device->ops->kho_preserve(device);
	if (err) {
		if (!vfio_device_is_noiommu(device))
			iommu_kho_unpreserve_device(device->dev);
		xa_erase(&vfio_kho_out, key);
		goto out;
	}
	args->serialized_data = key | (df->group ? 0 : VFIO_KHO_DATA_CDEV);
	args->private_data = device;
out:
	mutex_unlock(&vfio_kho_lock);
	return err;
}

static void vfio_kho_unpreserve(struct liveupdate_file_op_args *args)
{
	struct vfio_device *device = args->private_data;

	mutex_lock(&vfio_kho_lock);
	device->ops->kho_unpreserve(device);
	if (!vfio_device_is_noiommu(device))
		iommu_kho_unpreserve_device(device->dev);
	xa_erase(&vfio_kho_out, args->serialized_data & VFIO_KHO_KEY_MAX);
	mutex_unlock(&vfio_kho_lock);
}

static int vfio_kho_freeze(struct liveupdate_file_op_args *args)
{
	struct vfio_device *device = args->private_data;
	int err = device->ops->kho_freeze(device);

	if (err || vfio_device_is_noiommu(device))
		return err;
	return iommu_kho_freeze_device(device->dev);
}

static void vfio_kho_unfreeze(struct liveupdate_file_op_args *args)
{
	struct vfio_device *device = args->private_data;

	if (!vfio_device_is_noiommu(device))
		iommu_kho_unfreeze_device(device->dev);
}

/* Next kernel: the key is all there is; the driver checks the rest. */
static int vfio_kho_claim(struct liveupdate_file_op_args *args)
{
	u64 key = args->serialized_data & ~VFIO_KHO_DATA_CDEV;
	struct vfio_kho_in *in;
	int err;

	if (key > VFIO_KHO_KEY_MAX) {
		pr_err("file refused: bad device key %#llx\n",
		       args->serialized_data);
		return -EINVAL;
	}
	in = kzalloc(sizeof(*in), GFP_KERNEL);
	if (!in)
		return -ENOMEM;
	in->cdev = args->serialized_data & VFIO_KHO_DATA_CDEV;
	mutex_lock(&vfio_kho_lock);
	err = xa_insert(&vfio_kho_in, key, in, GFP_KERNEL);
	mutex_unlock(&vfio_kho_lock);
	if (err) {
		kfree(in);
		if (err == -EBUSY)
			pr_err("file refused: device %#llx handed over twice\n",
			       key);
		return err == -EBUSY ? -EINVAL : err;
	}
	return 0;
}

static int vfio_kho_retrieve(struct liveupdate_file_op_args *args)
{
	struct vfio_device *device;
	struct vfio_kho_in *in;
	struct file *file;
	int err = 0;

	mutex_lock(&vfio_kho_lock);
	in = xa_load(&vfio_kho_in, args->serialized_data & VFIO_KHO_KEY_MAX);
	device = in ? in->device : NULL;
	if (!device || !vfio_device_try_get_registration(device)) {
		err = -ENODEV;
		goto out;
	}
	if (in->retrieved || (in->cdev && vfio_device_is_noiommu(device))) {
		vfio_device_put_registration(device);
		err = in->retrieved ? -EALREADY : -EINVAL;
		goto out;
	}
	file = in->cdev ? vfio_device_cdev_open_file(device) :
			  vfio_device_open_file(device);
	if (IS_ERR(file)) {
		vfio_device_put_registration(device);
		err = PTR_ERR(file);
		goto out;
	}
	in->retrieved = true;
	device->kho_held = false;
	args->file = file;
out:
	mutex_unlock(&vfio_kho_lock);
	return err;
}

static void vfio_kho_finish(struct liveupdate_file_op_args *args)
{
	struct vfio_kho_in *in;

	mutex_lock(&vfio_kho_lock);
	in = xa_erase(&vfio_kho_in, args->serialized_data & VFIO_KHO_KEY_MAX);
	if (in && in->device) {
		in->device->kho_held = false;
		in->device->ops->kho_finish(in->device);
	}
	mutex_unlock(&vfio_kho_lock);
	kfree(in);
}

static const struct liveupdate_file_ops vfio_kho_file_ops = {
	.can_preserve = vfio_kho_can_preserve,
	.preserve = vfio_kho_preserve,
	.unpreserve = vfio_kho_unpreserve,
	.freeze = vfio_kho_freeze,
	.unfreeze = vfio_kho_unfreeze,
	.claim = vfio_kho_claim,
	.retrieve = vfio_kho_retrieve,
	.finish = vfio_kho_finish,
	.owner = THIS_MODULE,
};

static struct liveupdate_file_handler vfio_kho_handler = {
	.ops = &vfio_kho_file_ops,
	.compatible = VFIO_PCI_LUO_COMPATIBLE,
};

/**
 * vfio_kho_incoming() - whether the previous kernel kept @pdev for VFIO
 * @pdev: a PCI device.
 *
 * A driver calls this while it binds: a device kept for VFIO is bound
 * only by a VFIO driver, which takes the device as it is (no reset) and
 * restores its own state from KSTATE.
 *
 * Context: Process context.
 * Return: true until the device's file is finished.
 */
bool vfio_kho_incoming(struct pci_dev *pdev)
{
	bool found;

	mutex_lock(&vfio_kho_lock);
	found = xa_load(&vfio_kho_in, vfio_kho_key(pdev));
	mutex_unlock(&vfio_kho_lock);
	return found;
}
EXPORT_SYMBOL_GPL(vfio_kho_incoming);

/**
 * vfio_kho_next_incoming() - find the next kept PCI device
 * @key: in: where to start; out: the device found, PCI domain << 16 |
 *	PCI_DEVID().
 *
 * vfio-pci walks the kept devices with it at init, to bind to them.
 *
 * Context: Process context.
 * Return: true if a device at @key or after it was kept.
 */
bool vfio_kho_next_incoming(u64 *key)
{
	unsigned long index = *key;
	void *entry;

	mutex_lock(&vfio_kho_lock);
	entry = xa_find(&vfio_kho_in, &index, VFIO_KHO_KEY_MAX, XA_PRESENT);
	mutex_unlock(&vfio_kho_lock);
	*key = index;
	return entry;
}
EXPORT_SYMBOL_GPL(vfio_kho_next_incoming);

/**
 * vfio_kho_refuse() - the driver refused the state handed over for @pdev
 * @pdev: a device vfio_kho_incoming() reported.
 *
 * The device becomes an ordinary one; retrieving its file fails with
 * -ENODEV.
 *
 * Context: Process context.
 */
void vfio_kho_refuse(struct pci_dev *pdev)
{
	struct vfio_kho_in *in;

	mutex_lock(&vfio_kho_lock);
	in = xa_erase(&vfio_kho_in, vfio_kho_key(pdev));
	mutex_unlock(&vfio_kho_lock);
	kfree(in);
}
EXPORT_SYMBOL_GPL(vfio_kho_refuse);

/* A VFIO driver registered @device: hold it if it was kept. */
void vfio_kho_device_added(struct vfio_device *device)
{
	struct vfio_kho_in *in;

	if (!dev_is_pci(device->dev))
		return;
	mutex_lock(&vfio_kho_lock);
	in = xa_load(&vfio_kho_in, vfio_kho_key(to_pci_dev(device->dev)));
	if (in && !in->retrieved && !in->device) {
		in->device = device;
		device->kho_held = true;
	}
	mutex_unlock(&vfio_kho_lock);
}

void vfio_kho_device_removed(struct vfio_device *device)
{
	struct vfio_kho_in *in;

	if (!dev_is_pci(device->dev))
		return;
	mutex_lock(&vfio_kho_lock);
	in = xa_load(&vfio_kho_in, vfio_kho_key(to_pci_dev(device->dev)));
	if (in && in->device == device)
		in->device = NULL;
	mutex_unlock(&vfio_kho_lock);
}

int __init vfio_kho_init(void)
{
	int err;

	if (!liveupdate_enabled())
		return 0;
	err = liveupdate_register_file_handler(&vfio_kho_handler);
	if (err)
		pr_err("file handler not registered (%d)\n", err);
	return 0;
}
