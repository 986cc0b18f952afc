// SPDX-License-Identifier: GPL-2.0-only
/*
 * Intel VT-d across kexec: the DMA translation of a device kept running.
 *
 * A device that a VMM keeps across a live update (drivers/vfio/kho.c) may
 * be doing DMA through its IOMMU domain the whole time.  Its translation
 * therefore never stops: at the kexec this kernel preserves the pages of
 * VT-d tables that the device's context entry reaches (the unit's root
 * table, the context table and the domain's second-level page tables),
 * lists them and the device in the KHO subtree "intel-iommu"
 * (include/linux/kho/abi/intel_iommu.h), clears the context entry of every
 * other device of the unit and leaves translation on.
 *
 * The next kernel takes the unit over as the kdump kernel does: it keeps
 * translation on and copies the kept devices' context entries, with their
 * domain ids reserved, into its own root and context tables, so that the
 * device goes on translating through the old page tables until the VMM
 * attaches a domain of its own.  Every table page it follows must be one
 * the previous kernel listed, once; every page a device can reach must
 * be preserved memory.  A device that fails is refused with one log line
 * and gets no context entry: its DMA is blocked, nothing else changes.
 * A handover refused as a whole leaves a unit that was on translating
 * with nothing taken over: every kept device's DMA is blocked.
 * The old page tables are claimed and freed when their last copied
 * context entry is torn down; the old root and context tables stay
 * unclaimed and are released with the rest of the handover.
 *
 * Only legacy-mode tables are handed over: a unit in scalable mode (PASID
 * tables, first-level tables) refuses to keep a device.
 */
#define pr_fmt(fmt) "DMAR-KHO: " fmt

#include <linux/bsearch.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/intel_iommu.h>
#include <linux/libfdt.h>
#include <linux/pci.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>

#include "iommu.h"
#include "liveupdate.h"

#define KHO_FDT_SIZE		PAGE_SIZE
#define KHO_PTE_ADDR		GENMASK_ULL(51, 12)
#define KHO_PTE_LARGE		BIT_ULL(7)
#define KHO_CTX_TT(lo)		(((lo) >> 2) & 3)
#define KHO_CTX_AW(hi)		((hi) & 7)
#define KHO_CTX_DID(hi)		(((hi) >> 8) & 0xffff)

/* A walk of a second-level page table. */
struct kho_walk {
	int (*table)(struct kho_walk *w, phys_addr_t phys);
	int (*leaf)(struct kho_walk *w, phys_addr_t phys, u64 size);
};

static int kho_walk_level(struct kho_walk *w, phys_addr_t table, int level)
{
	const u64 *pte;
	int i, err;

	err = w->table(w, table);
	if (err)
		return err;
	pte = phys_to_virt(table);
	for (i = 0; i < VTD_PAGE_SIZE / sizeof(*pte); i++) {
		u64 v = READ_ONCE(pte[i]);

		if (!(v & (DMA_PTE_READ | DMA_PTE_WRITE)))
			continue;
		if (level == 1 || (v & KHO_PTE_LARGE)) {
			/* superpages are 2 MiB and 1 GiB */
			if (level > 3)
				return -EINVAL;
			err = w->leaf(w, v & KHO_PTE_ADDR,
				      VTD_PAGE_SIZE << (LEVEL_STRIDE * (level - 1)));
		} else {
			err = kho_walk_level(w, v & KHO_PTE_ADDR, level - 1);
		}
		if (err)
			return err;
	}
	return 0;
}

/* The levels of a context entry's page table, or 0 if it has none. */
static int kho_ctx_levels(struct intel_iommu *iommu,
			  const struct context_entry *ce)
{
	unsigned int aw = KHO_CTX_AW(ce->hi);

	if (!(ce->lo & 1) || KHO_CTX_TT(ce->lo) > CONTEXT_TT_DEV_IOTLB ||
	    aw < 1 || aw > 3 || !(cap_sagaw(iommu->cap) & BIT(aw)))
		return 0;
	return agaw_to_level(aw);
}

static u32 kho_sid(struct intel_iommu *iommu, u8 bus, u8 devfn)
{
	return (u32)iommu->segment << 16 | PCI_DEVID(bus, devfn);
}

/* This kernel ------------------------------------------------------------ */

/* A device to keep, from its preserve until its unpreserve. */
struct kho_kept {
	struct list_head list;
	struct device *dev;
	struct intel_iommu *iommu;
	u8 bus, devfn;
	bool frozen;
	unsigned long nr_pages;
	struct xarray pages;	/* pfn of each table page it reaches */
};

static struct {
	struct mutex lock;	/* the whole of kho_out */
	struct list_head kept;
	struct xarray pages;	/* pfn -> xa_mk_value(kept devices using it) */
	unsigned long nr_pages;
	void *fdt;
	u64 *page_table;
	struct kho_vmalloc page_handle;
	struct intel_iommu_kho_dev *dev_table;
	struct kho_vmalloc dev_handle;
	bool ready;
} kho_out = {
	.lock = __MUTEX_INITIALIZER(kho_out.lock),
	.kept = LIST_HEAD_INIT(kho_out.kept),
	.pages = XARRAY_INIT(kho_out.pages, 0),
};

static struct kho_kept *kho_find_kept(struct device *dev)
{
	struct kho_kept *k;

	list_for_each_entry(k, &kho_out.kept, list)
		if (k->dev == dev)
			return k;
	return NULL;
}

/* Put @table (preserved as @h, or NULL: none) where @ptr/@handle were. */
static void kho_swap(void *table, const struct kho_vmalloc *h, void **ptr,
		     struct kho_vmalloc *handle, const char *prop,
		     const char *nr_prop, u64 nr)
{
	__be64 be = cpu_to_be64(nr);

	if (*ptr) {
		WARN_ON_ONCE(kho_unpreserve_vmalloc(handle));
		vfree(*ptr);
	}
	*ptr = table;
	*handle = *h;
	WARN_ON_ONCE(fdt_setprop_inplace(kho_out.fdt, 0, prop, h, sizeof(*h)));
	WARN_ON_ONCE(fdt_setprop_inplace(kho_out.fdt, 0, nr_prop, &be,
					 sizeof(be)));
}

/*
 * Write both tables from the frozen devices; lock held.  On failure the
 * handover is as before.
 */
static int kho_publish(void)
{
	struct kho_vmalloc dh = {}, ph = {};
	struct intel_iommu_kho_dev *devs = NULL;
	unsigned long pfn, i = 0, nr_devs = 0;
	u64 *pages = NULL;
	struct kho_kept *k;
	void *entry;
	int err;

	list_for_each_entry(k, &kho_out.kept, list)
		nr_devs += k->frozen;
	if (nr_devs) {
		err = -ENOMEM;
		devs = vzalloc(array_size(nr_devs, sizeof(*devs)));
		pages = vmalloc(array_size(kho_out.nr_pages, sizeof(*pages)));
		if (!devs || !pages)
			goto free;
		list_for_each_entry(k, &kho_out.kept, list) {
			if (!k->frozen)
				continue;
			devs[i].reg_base = k->iommu->reg_phys;
			devs[i++].sid = kho_sid(k->iommu, k->bus, k->devfn);
		}
		i = 0;
		xa_for_each(&kho_out.pages, pfn, entry)
			pages[i++] = PFN_PHYS(pfn);
		err = kho_preserve_vmalloc(devs, &dh);
		if (err)
			goto free;
		err = kho_preserve_vmalloc(pages, &ph);
		if (err) {
			WARN_ON_ONCE(kho_unpreserve_vmalloc(&dh));
			goto free;
		}
	}
	kho_swap(devs, &dh, (void **)&kho_out.dev_table, &kho_out.dev_handle,
		 INTEL_IOMMU_KHO_PROP_DEVICES, INTEL_IOMMU_KHO_PROP_NR_DEVICES,
		 nr_devs);
	kho_swap(pages, &ph, (void **)&kho_out.page_table,
		 &kho_out.page_handle, INTEL_IOMMU_KHO_PROP_PAGES,
		 INTEL_IOMMU_KHO_PROP_NR_PAGES, nr_devs ? kho_out.nr_pages : 0);
	return 0;
free:
	vfree(devs);
	vfree(pages);
	return err;
}

/* Drop @k's references on the preserved table pages; lock held. */
static void kho_put_pages(struct kho_kept *k)
{
	unsigned long pfn, refs;
	void *entry;

	xa_for_each(&k->pages, pfn, entry) {
		entry = xa_load(&kho_out.pages, pfn);
		if (WARN_ON_ONCE(!entry))
			continue;
		refs = xa_to_value(entry) - 1;
		if (refs) {
			xa_store(&kho_out.pages, pfn, xa_mk_value(refs), GFP_KERNEL);
			continue;
		}
		xa_erase(&kho_out.pages, pfn);
		kho_out.nr_pages--;
		WARN_ON_ONCE(kho_unpreserve_pages(pfn_to_page(pfn), 1));
	}
	xa_destroy(&k->pages);
}

/* Take a reference on each of @k's table pages, preserving new ones. */
static int kho_get_pages(struct kho_kept *k)
{
	unsigned long pfn, rest;
	void *entry, *old;
	int err = 0;

	xa_for_each(&k->pages, pfn, entry) {
		old = xa_load(&kho_out.pages, pfn);
		if (old) {
			err = xa_err(xa_store(&kho_out.pages, pfn,
					      xa_mk_value(xa_to_value(old) + 1),
					      GFP_KERNEL));
		} else {
			err = kho_preserve_pages(pfn_to_page(pfn), 1);
			if (!err) {
				err = xa_insert(&kho_out.pages, pfn,
						xa_mk_value(1), GFP_KERNEL);
				if (err)
					kho_unpreserve_pages(pfn_to_page(pfn), 1);
				else
					kho_out.nr_pages++;
			}
		}
		if (err)
			break;
	}
	if (!err)
		return 0;
	/* forget the pages from @pfn on, then drop the references taken */
	xa_for_each_start(&k->pages, rest, entry, pfn)
		xa_erase(&k->pages, rest);
	kho_put_pages(k);
	return err;
}

struct kho_out_walk {
	struct kho_walk w;
	struct kho_kept *k;
	unsigned long tables;
};

static int kho_out_table(struct kho_walk *w, phys_addr_t phys)
{
	struct kho_out_walk *ow = container_of(w, struct kho_out_walk, w);

	ow->tables++;
	return xa_insert(&ow->k->pages, PHYS_PFN(phys), xa_mk_value(0),
			 GFP_KERNEL);
}

static int kho_out_leaf(struct kho_walk *w, phys_addr_t phys, u64 size)
{
	return 0;
}

/* The table pages of @k's translation, into @k->pages. */
static int kho_collect(struct kho_kept *k)
{
	struct kho_out_walk ow = {
		.w = { .table = kho_out_table, .leaf = kho_out_leaf },
		.k = k,
	};
	struct intel_iommu *iommu = k->iommu;
	struct context_entry *context, ce = {};
	phys_addr_t ctx_page = 0;
	int levels, err;

	spin_lock(&iommu->lock);
	context = iommu_context_addr(iommu, k->bus, k->devfn, 0);
	if (context) {
		ce = *context;
		ctx_page = virt_to_phys(context) & PAGE_MASK;
	}
	spin_unlock(&iommu->lock);
	levels = kho_ctx_levels(iommu, &ce);
	if (!levels)
		return -EINVAL;
	k->nr_pages = 0;
	err = xa_insert(&k->pages, PHYS_PFN(virt_to_phys(iommu->root_entry)),
			xa_mk_value(0), GFP_KERNEL) ?:
	      xa_insert(&k->pages, PHYS_PFN(ctx_page), xa_mk_value(0),
			GFP_KERNEL) ?:
	      kho_walk_level(&ow.w, ce.lo & KHO_PTE_ADDR, levels);
	if (err) {
		xa_destroy(&k->pages);
		return err == -EBUSY ? -ELOOP : err;
	}
	k->nr_pages = 2 + ow.tables;
	return 0;
}

/**
 * intel_iommu_kho_preserve() - keep @dev's translation across the kexec
 * @dev: a PCI device attached to a paging domain.
 *
 * Context: Process context; the device's group mutex held.
 * Return: 0; -EOPNOTSUPP if the handover is off, the unit is in scalable
 * mode or the domain is not a second-level one; -EEXIST if @dev is kept
 * already; -ENOMEM.
 */
int intel_iommu_kho_preserve(struct device *dev)
{
	struct device_domain_info *info = dev_iommu_priv_get(dev);
	struct kho_kept *k;
	int err = 0;

	if (!kho_out.ready || !dev_is_pci(dev) || !info || !info->domain)
		return -EOPNOTSUPP;
	if (sm_supported(info->iommu) || info->domain->use_first_level ||
	    pci_real_dma_dev(to_pci_dev(dev)) != to_pci_dev(dev))
		return -EOPNOTSUPP;
	mutex_lock(&kho_out.lock);
	if (kho_find_kept(dev)) {
		err = -EEXIST;
		goto out;
	}
	k = kzalloc(sizeof(*k), GFP_KERNEL);
	if (!k) {
		err = -ENOMEM;
		goto out;
	}
	k->dev = dev;
	k->iommu = info->iommu;
	k->bus = info->bus;
	k->devfn = info->devfn;
	xa_init(&k->pages);
	list_add_tail(&k->list, &kho_out.kept);
out:
	mutex_unlock(&kho_out.lock);
	return err;
}

/**
 * intel_iommu_kho_freeze() - take @dev's translation as it is at the kexec
 * @dev: a device intel_iommu_kho_preserve() accepted.
 *
 * Preserves every page of VT-d tables that @dev's context entry reaches
 * and lists them in the handover.
 *
 * Context: Process context, in the reboot path; mappings no longer change.
 * Return: 0; -ENOENT if @dev is not kept; -EINVAL if it has no
 * translation; -ENOMEM or an error of the preservation.
 */
int intel_iommu_kho_freeze(struct device *dev)
{
	unsigned long nr = 0;
	struct kho_kept *k;
	int err;

	mutex_lock(&kho_out.lock);
	k = kho_find_kept(dev);
	err = !k ? -ENOENT : k->frozen ? -EBUSY : kho_collect(k);
	if (!err) {
		err = kho_get_pages(k);
		if (!err) {
			k->frozen = true;
			err = kho_publish();
			if (err) {
				k->frozen = false;
				kho_put_pages(k);
			}
		}
		nr = k->nr_pages;
	}
	mutex_unlock(&kho_out.lock);
	if (err)
		dev_err(dev, "DMA translation not kept for the kexec (%d)\n", err);
	else
		dev_info(dev, "DMA translation kept for the kexec: %lu pages of VT-d tables\n",
			 nr);
	return err;
}

static void kho_unfreeze_locked(struct kho_kept *k)
{
	if (!k->frozen)
		return;
	k->frozen = false;
	kho_put_pages(k);
	WARN_ON_ONCE(kho_publish());
}

/**
 * intel_iommu_kho_unfreeze() - undo intel_iommu_kho_freeze()
 * @dev: the device.
 *
 * Context: Process context.
 */
void intel_iommu_kho_unfreeze(struct device *dev)
{
	struct kho_kept *k;

	mutex_lock(&kho_out.lock);
	k = kho_find_kept(dev);
	if (k)
		kho_unfreeze_locked(k);
	mutex_unlock(&kho_out.lock);
}

/**
 * intel_iommu_kho_unpreserve() - undo intel_iommu_kho_preserve()
 * @dev: the device.
 *
 * Context: Process context.
 */
void intel_iommu_kho_unpreserve(struct device *dev)
{
	struct kho_kept *k;

	mutex_lock(&kho_out.lock);
	k = kho_find_kept(dev);
	if (k) {
		kho_unfreeze_locked(k);
		list_del(&k->list);
		kfree(k);
	}
	mutex_unlock(&kho_out.lock);
}

static bool kho_is_kept(struct intel_iommu *iommu, int bus, int devfn)
{
	struct kho_kept *k;

	list_for_each_entry(k, &kho_out.kept, list)
		if (k->frozen && k->iommu == iommu && k->bus == bus &&
		    k->devfn == devfn)
			return true;
	return false;
}

/**
 * intel_iommu_kho_shutdown() - leave @iommu translating for its kept devices
 * @iommu: a DMAR unit, at the kexec.
 *
 * Clears the context entry of every device of @iommu but the kept ones,
 * and the root entry of every bus without one (its context table is not
 * handed over), and invalidates the context cache and the IOTLB.
 *
 * Context: machine shutdown: one CPU, interrupts off, the sessions frozen.
 * Return: true if @iommu has a kept device and must stay on.
 */
bool intel_iommu_kho_shutdown(struct intel_iommu *iommu)
{
	struct context_entry *context;
	bool kept = false;
	int bus, devfn;
	struct kho_kept *k;

	list_for_each_entry(k, &kho_out.kept, list)
		kept |= k->frozen && k->iommu == iommu;
	if (!kept)
		return false;
	spin_lock(&iommu->lock);
	for (bus = 0; bus < 256; bus++) {
		bool bus_kept = false;

		for (devfn = 0; devfn < 256; devfn++) {
			context = iommu_context_addr(iommu, bus, devfn, 0);
			if (kho_is_kept(iommu, bus, devfn)) {
				bus_kept = true;
				continue;
			}
			if (!context || !context_present(context))
				continue;
			context_clear_entry(context);
			__iommu_flush_cache(iommu, context, sizeof(*context));
		}
		/* its context table is not handed over */
		if (!bus_kept) {
			iommu->root_entry[bus].lo = 0;
			iommu->root_entry[bus].hi = 0;
			__iommu_flush_cache(iommu, &iommu->root_entry[bus],
					    sizeof(iommu->root_entry[bus]));
		}
	}
	spin_unlock(&iommu->lock);
	iommu->flush.flush_context(iommu, 0, 0, 0, DMA_CCMD_GLOBAL_INVL);
	iommu->flush.flush_iotlb(iommu, 0, 0, 0, DMA_TLB_GLOBAL_FLUSH);
	pr_info("%s: translation left on for the kexec\n", iommu->name);
	return true;
}

/**
 * intel_iommu_kho_init() - add the empty handover subtree
 *
 * Context: Process context, once, at IOMMU init.
 */
void intel_iommu_kho_init(void)
{
	struct kho_vmalloc none = {};
	struct folio *folio;
	void *fdt;
	int err;

	if (!kho_is_enabled())
		return;
	folio = folio_alloc(GFP_KERNEL | __GFP_ZERO, get_order(KHO_FDT_SIZE));
	if (!folio)
		return;
	fdt = folio_address(folio);
	err = fdt_create(fdt, KHO_FDT_SIZE) ?:
	      fdt_finish_reservemap(fdt) ?:
	      fdt_begin_node(fdt, "") ?:
	      fdt_property_string(fdt, "compatible", INTEL_IOMMU_KHO_COMPATIBLE) ?:
	      fdt_property_u64(fdt, INTEL_IOMMU_KHO_PROP_NR_DEVICES, 0) ?:
	      fdt_property(fdt, INTEL_IOMMU_KHO_PROP_DEVICES, &none, sizeof(none)) ?:
	      fdt_property_u64(fdt, INTEL_IOMMU_KHO_PROP_NR_PAGES, 0) ?:
	      fdt_property(fdt, INTEL_IOMMU_KHO_PROP_PAGES, &none, sizeof(none)) ?:
	      fdt_end_node(fdt) ?:
	      fdt_finish(fdt);
	if (!err)
		err = kho_preserve_folio(folio);
	if (!err) {
		err = kho_add_subtree(INTEL_IOMMU_KHO_SUBTREE, fdt);
		if (err)
			WARN_ON_ONCE(kho_unpreserve_folio(folio));
	}
	if (err) {
		pr_err("no handover of DMA translation (%d)\n", err);
		folio_put(folio);
		return;
	}
	kho_out.fdt = fdt;
	kho_out.ready = true;
}

/* The next kernel --------------------------------------------------------- */

/* The old page tables of the copied context entries of one domain. */
struct kho_tables {
	struct intel_iommu *iommu;
	u16 did;
	unsigned int refs;	/* copied context entries that use them */
	struct xarray pfns;
};

static struct {
	bool parsed;
	bool refused;		/* devices were kept, the handover is bad */
	const struct intel_iommu_kho_dev *devs;
	u64 nr_devs;
	const u64 *pages;
	u64 nr_pages;
	unsigned long *visited;	/* a page table reached once already */
	struct xarray tables;	/* pfn of the top table -> struct kho_tables */
} kho_in = {
	.tables = XARRAY_INIT(kho_in.tables, 0),
};

static const void *kho_in_prop(const void *fdt, const char *name, int len)
{
	int got;
	const void *p = fdt_getprop(fdt, 0, name, &got);

	return p && got == len ? p : NULL;
}

/* A preserved vmalloc area of @nr entries of @size bytes, or NULL. */
static const void *kho_in_array(const void *fdt, const char *prop,
				const char *nr_prop, size_t size, u64 *nr)
{
	const struct kho_vmalloc *h = kho_in_prop(fdt, prop, sizeof(*h));
	const __be64 *n = kho_in_prop(fdt, nr_prop, sizeof(*n));

	if (!h || !n)
		return NULL;
	*nr = be64_to_cpup(n);
	if (!*nr || *nr > totalram_pages() ||
	    (u64)h->total_pages * PAGE_SIZE < *nr * size)
		return NULL;
	return kho_restore_vmalloc(h);
}

/* Read the handover once; false if there is none or it is refused. */
static bool kho_in_parse(void)
{
	const __be64 *nr;
	const void *fdt;
	phys_addr_t phys;
	u64 i;

	if (kho_in.parsed)
		return kho_in.devs;
	kho_in.parsed = true;
	if (!is_kho_boot() ||
	    kho_retrieve_subtree(INTEL_IOMMU_KHO_SUBTREE, &phys))
		return false;
	fdt = phys_to_virt(phys);
	if (fdt_node_check_compatible(fdt, 0, INTEL_IOMMU_KHO_COMPATIBLE)) {
		pr_err("handover refused: not %s\n", INTEL_IOMMU_KHO_COMPATIBLE);
		return false;
	}
	nr = kho_in_prop(fdt, INTEL_IOMMU_KHO_PROP_NR_DEVICES, sizeof(*nr));
	if (!nr)
		goto bad;
	if (!be64_to_cpup(nr))
		return false;	/* nothing kept */
	kho_in.devs = kho_in_array(fdt, INTEL_IOMMU_KHO_PROP_DEVICES,
				   INTEL_IOMMU_KHO_PROP_NR_DEVICES,
				   sizeof(*kho_in.devs), &kho_in.nr_devs);
	kho_in.pages = kho_in_array(fdt, INTEL_IOMMU_KHO_PROP_PAGES,
				    INTEL_IOMMU_KHO_PROP_NR_PAGES,
				    sizeof(*kho_in.pages), &kho_in.nr_pages);
	if (!kho_in.devs || !kho_in.pages)
		goto bad;
	for (i = 0; i < kho_in.nr_pages; i++) {
		if (!PAGE_ALIGNED(kho_in.pages[i]) ||
		    (i && kho_in.pages[i] <= kho_in.pages[i - 1]))
			goto bad;
	}
	kho_in.visited = bitmap_zalloc(kho_in.nr_pages, GFP_KERNEL);
	if (!kho_in.visited)
		goto bad;
	return true;
bad:
	pr_err("handover refused: bad device or page table; DMA of the kept devices is blocked\n");
	vfree(kho_in.devs);
	vfree(kho_in.pages);
	kho_in.devs = NULL;
	kho_in.pages = NULL;
	kho_in.nr_devs = 0;
	kho_in.nr_pages = 0;
	kho_in.refused = true;
	return false;
}

/**
 * intel_iommu_kho_incoming() - whether the previous kernel kept a device
 *	translating on @iommu
 * @iommu: a DMAR unit, at init.
 *
 * A unit found on whose handover is refused stays on too, with nothing
 * taken over: turning it off would send a kept device's DMA untranslated
 * to the physical addresses its IOVAs name.
 *
 * Context: Process context, IOMMU init.
 * Return: true if @iommu must not be turned off.
 */
bool intel_iommu_kho_incoming(struct intel_iommu *iommu)
{
	u64 i;

	if (!kho_in_parse())
		return kho_in.refused;
	for (i = 0; i < kho_in.nr_devs; i++)
		if (kho_in.devs[i].reg_base == iommu->reg_phys)
			return true;
	return false;
}

static int kho_cmp_u64(const void *key, const void *elt)
{
	u64 a = *(const u64 *)key, b = *(const u64 *)elt;

	return a < b ? -1 : a > b;
}

/* The index of @phys in the page table, or -1; it must be preserved. */
static long kho_in_page(phys_addr_t phys)
{
	u64 key = phys;
	const u64 *p = bsearch(&key, kho_in.pages, kho_in.nr_pages,
			       sizeof(*p), kho_cmp_u64);

	if (!p || !kho_is_preserved(phys, PAGE_SIZE))
		return -1;
	return p - kho_in.pages;
}

struct kho_in_walk {
	struct kho_walk w;
	struct kho_tables *t;
	const char *why;
};

static int kho_in_table(struct kho_walk *w, phys_addr_t phys)
{
	struct kho_in_walk *iw = container_of(w, struct kho_in_walk, w);
	long i = kho_in_page(phys);

	if (i < 0) {
		iw->why = "a page table not handed over";
		return -EINVAL;
	}
	if (test_and_set_bit(i, kho_in.visited)) {
		iw->why = "a page table reached twice";
		return -ELOOP;
	}
	return xa_insert(&iw->t->pfns, PHYS_PFN(phys), xa_mk_value(0),
			 GFP_KERNEL);
}

/* Whether [@phys, @phys + @size) holds a page of VT-d tables. */
static bool kho_in_has_table(phys_addr_t phys, u64 size)
{
	u64 lo = 0, hi = kho_in.nr_pages;

	while (lo < hi) {		/* the first page at or above @phys */
		u64 mid = lo + (hi - lo) / 2;

		if (kho_in.pages[mid] < phys)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < kho_in.nr_pages && kho_in.pages[lo] - phys < size;
}

static int kho_in_leaf(struct kho_walk *w, phys_addr_t phys, u64 size)
{
	struct kho_in_walk *iw = container_of(w, struct kho_in_walk, w);

	if (!IS_ALIGNED(phys, size) || !kho_is_preserved(phys, size)) {
		iw->why = "a mapping of memory not preserved";
		return -EFAULT;
	}
	/* a device that could rewrite its own tables could reach anything */
	if (kho_in_has_table(phys, size)) {
		iw->why = "a mapping of the VT-d tables";
		return -EFAULT;
	}
	return 0;
}

/* Validate and claim the tables of a new domain; its walk leaves marks. */
static struct kho_tables *kho_in_tables(struct intel_iommu *iommu,
					const struct context_entry *ce,
					int levels, const char **why)
{
	struct kho_in_walk iw = {
		.w = { .table = kho_in_table, .leaf = kho_in_leaf },
	};
	unsigned long pfn;
	void *entry;
	int err;

	iw.t = kzalloc(sizeof(*iw.t), GFP_KERNEL);
	if (!iw.t) {
		*why = "no memory";
		return NULL;
	}
	xa_init(&iw.t->pfns);
	iw.t->iommu = iommu;
	iw.t->did = KHO_CTX_DID(ce->hi);
	err = kho_walk_level(&iw.w, ce->lo & KHO_PTE_ADDR, levels);
	if (err) {
		*why = iw.why ?: "a bad page table";
		goto free;
	}
	xa_for_each(&iw.t->pfns, pfn, entry) {
		/* claimed pages are kept, never freed, if a later one fails */
		if (!kho_restore_pages(PFN_PHYS(pfn), 1)) {
			*why = "a page table that cannot be claimed";
			goto free;
		}
	}
	err = xa_insert(&kho_in.tables, PHYS_PFN(ce->lo & KHO_PTE_ADDR), iw.t,
			GFP_KERNEL);
	if (!err)
		return iw.t;
	*why = "no memory";
free:
	xa_destroy(&iw.t->pfns);
	kfree(iw.t);
	return NULL;
}

/* Take over one kept device's context entry from the old tables. */
static const char *kho_in_device(struct intel_iommu *iommu,
				 phys_addr_t old_root, u8 bus, u8 devfn)
{
	const struct root_entry *re;
	struct context_entry ce, *context;
	struct kho_tables *t;
	const char *why = NULL;
	phys_addr_t ctx;
	int levels;
	u16 did;

	if (kho_in_page(old_root) < 0)
		return "a root table not handed over";
	re = phys_to_virt(old_root);
	ctx = READ_ONCE(re[bus].lo);
	if (!(ctx & 1))
		return "no context table";
	ctx &= KHO_PTE_ADDR;
	if (kho_in_page(ctx) < 0)
		return "a context table not handed over";
	ce = ((const struct context_entry *)phys_to_virt(ctx))[devfn];
	levels = kho_ctx_levels(iommu, &ce);
	if (!levels)
		return "a context entry without translation";
	did = KHO_CTX_DID(ce.hi);
	if (!did || did >= cap_ndoms(iommu->cap))
		return "a bad domain id";

	t = xa_load(&kho_in.tables, PHYS_PFN(ce.lo & KHO_PTE_ADDR));
	if (t) {
		if (t->iommu != iommu || t->did != did)
			return "page tables shared with another domain";
	} else {
		if (test_bit(did, iommu->domain_ids))
			return "a domain id used twice";
		t = kho_in_tables(iommu, &ce, levels, &why);
		if (!t)
			return why;
	}

	spin_lock(&iommu->lock);
	context = iommu_context_addr(iommu, bus, devfn, 1);
	if (context) {
		*context = ce;
		__iommu_flush_cache(iommu, context, sizeof(*context));
		set_bit(did, iommu->domain_ids);
		set_context_copied(iommu, bus, devfn);
		t->refs++;
	}
	spin_unlock(&iommu->lock);
	return context ? NULL : "no memory";
}

/**
 * intel_iommu_kho_takeover() - keep translating for the kept devices
 * @iommu: a DMAR unit for which intel_iommu_kho_incoming() is true, with
 *	its new root table allocated and translation still on.
 *
 * Copies each valid kept device's context entry into @iommu's new tables
 * and reserves its domain id; a device refused gets no entry (its DMA is
 * blocked), with one log line.
 *
 * Context: Process context, IOMMU init.
 * Return: 0, translation stays on; -EINVAL if @iommu's tables cannot be
 * taken over at all (scalable mode) and translation must go off; -ENOMEM.
 */
int intel_iommu_kho_takeover(struct intel_iommu *iommu)
{
	u64 rtaddr = dmar_readq(iommu->reg + DMAR_RTADDR_REG);
	unsigned int kept = 0, taken = 0;
	const char *why;
	u64 i;

	if ((rtaddr & DMA_RTADDR_SMT) || sm_supported(iommu)) {
		pr_err("%s: scalable-mode tables are not taken over\n",
		       iommu->name);
		return -EINVAL;
	}
	iommu->copied_tables = bitmap_zalloc(BIT_ULL(16), GFP_KERNEL);
	if (!iommu->copied_tables)
		return -ENOMEM;
	for (i = 0; i < kho_in.nr_devs; i++) {
		const struct intel_iommu_kho_dev *d = &kho_in.devs[i];
		u8 bus = d->sid >> 8, devfn = d->sid;

		if (d->reg_base != iommu->reg_phys)
			continue;
		kept++;
		why = d->sid >> 16 != iommu->segment ? "another segment" :
		      kho_in_device(iommu, rtaddr & KHO_PTE_ADDR, bus, devfn);
		if (why) {
			pr_err("%s: %04x:%02x:%02x.%d refused: %s; its DMA is blocked\n",
			       iommu->name, d->sid >> 16, bus, PCI_SLOT(devfn),
			       PCI_FUNC(devfn), why);
			continue;
		}
		taken++;
	}
	pr_info("%s: translation kept on for %u of %u kept devices\n",
		iommu->name, taken, kept);
	return 0;
}

/**
 * intel_iommu_kho_release() - a copied context entry is being torn down
 * @iommu: its DMAR unit.
 * @context: the entry, not yet cleared, after the caches were invalidated.
 *
 * Frees the old page tables once no copied entry uses them.
 *
 * Context: @iommu->lock held.
 */
void intel_iommu_kho_release(struct intel_iommu *iommu,
			     struct context_entry *context)
{
	unsigned long top = PHYS_PFN(context->lo & KHO_PTE_ADDR), pfn;
	struct kho_tables *t = xa_load(&kho_in.tables, top);
	void *entry;

	if (!t || t->iommu != iommu || --t->refs)
		return;
	xa_erase(&kho_in.tables, top);
	xa_for_each(&t->pfns, pfn, entry)
		__free_page(pfn_to_page(pfn));
	xa_destroy(&t->pfns);
	kfree(t);
}
