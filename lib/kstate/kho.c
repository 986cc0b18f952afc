// SPDX-License-Identifier: GPL-2.0-only
/*
 * KSTATE: the KHO glue.
 *
 * Memory crosses the kexec through the KHO preserve and restore API
 * (kstate_kho_ops()).  A saved stream is published as the KHO subtree
 * "kstate", an FDT of one page that gives the first directory page and the
 * size of the stream (include/linux/kho/abi/kstate.h).  In the next kernel
 * kstate_kho_take_handover() reads that subtree, claims the stream's pages
 * and opens it.
 *
 * Nothing here keeps the registry or the streams: core.c does, calls these
 * functions under its save lock (or from its initcall), and is their only
 * caller.
 */
#define pr_fmt(fmt) "kstate: " fmt

#include <linux/init.h>
#include <linux/kexec_handover.h>
#include <linux/libfdt.h>
#include <linux/mm.h>
#include <linux/unaligned.h>

#include "kstate_internal.h"

static struct page *kstate_fdt_page;	/* the published subtree */

static void kstate_kho_free_pages(struct page *page, unsigned long nr)
{
	while (nr--)
		__free_page(page++);
}

static const struct kstate_mem_ops kstate_kho_mem_ops = {
	.preserve_pages = kho_preserve_pages,
	.unpreserve_pages = kho_unpreserve_pages,
	.restore_pages = kho_restore_pages,
	.free_pages = kstate_kho_free_pages,
	.preserve_folio = kho_preserve_folio,
	.unpreserve_folio = kho_unpreserve_folio,
	.restore_folio = kho_restore_folio,
	.free_folio = folio_put,
};

/* The KHO memory ops, or NULL when KHO is disabled. */
const struct kstate_mem_ops *kstate_kho_ops(void)
{
	return kho_is_enabled() ? &kstate_kho_mem_ops : NULL;
}

/*
 * Publish the stream whose first directory page is at @dir as the KHO
 * subtree, or update the subtree published before.  The caller serializes.
 */
int kstate_kho_publish(phys_addr_t dir, u64 size)
{
	void *fdt;
	int err;

	if (kstate_fdt_page) {
		fdt = page_address(kstate_fdt_page);
		err = fdt_setprop_inplace_u64(fdt, 0, KSTATE_FDT_PROP_DIR, dir) ?:
		      fdt_setprop_inplace_u64(fdt, 0, KSTATE_FDT_PROP_SIZE, size);
		return err ? -EINVAL : 0;
	}
	kstate_fdt_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!kstate_fdt_page)
		return -ENOMEM;
	fdt = page_address(kstate_fdt_page);
	err = fdt_create(fdt, PAGE_SIZE) ?: fdt_finish_reservemap(fdt) ?:
	      fdt_begin_node(fdt, "") ?:
	      fdt_property_string(fdt, "compatible", KSTATE_FDT_COMPATIBLE) ?:
	      fdt_property_u64(fdt, KSTATE_FDT_PROP_DIR, dir) ?:
	      fdt_property_u64(fdt, KSTATE_FDT_PROP_SIZE, size) ?:
	      fdt_end_node(fdt) ?: fdt_finish(fdt);
	if (err) {
		err = -EINVAL;
		goto free;
	}
	err = kho_preserve_pages(kstate_fdt_page, 1);
	if (err)
		goto free;
	err = kho_add_subtree(KSTATE_FDT_NAME, fdt);
	if (!err)
		return 0;
	kho_unpreserve_pages(kstate_fdt_page, 1);
free:
	__free_page(kstate_fdt_page);
	kstate_fdt_page = NULL;
	return err;
}

/* Withdraw the subtree, if one is published.  The caller serializes. */
void kstate_kho_unpublish(void)
{
	if (!kstate_fdt_page)
		return;
	kho_remove_subtree(page_address(kstate_fdt_page));
	kho_unpreserve_pages(kstate_fdt_page, 1);
	__free_page(kstate_fdt_page);
	kstate_fdt_page = NULL;
}

/*
 * In the next kernel: claim the stream the previous one published and open
 * it as @in.  A bad subtree refuses the handover (one log line).
 */
void __init kstate_kho_take_handover(struct kstate_in *in)
{
	const u64 *dir = NULL, *size = NULL;
	struct page *page;
	phys_addr_t phys;
	const void *fdt;
	int len, err;

	if (kho_retrieve_subtree(KSTATE_FDT_NAME, &phys))
		return;
	page = PAGE_ALIGNED(phys) ? kho_restore_pages(phys, 1) : NULL;
	if (!page) {
		pr_err("refusing the handover: subtree not preserved\n");
		in->state = KSTATE_IN_REFUSED;
		return;
	}
	fdt = page_address(page);
	if (!fdt_check_header(fdt) && fdt_totalsize(fdt) <= PAGE_SIZE &&
	    !fdt_node_check_compatible(fdt, 0, KSTATE_FDT_COMPATIBLE)) {
		dir = fdt_getprop(fdt, 0, KSTATE_FDT_PROP_DIR, &len);
		if (len != sizeof(*dir))
			dir = NULL;
		size = fdt_getprop(fdt, 0, KSTATE_FDT_PROP_SIZE, &len);
		if (len != sizeof(*size))
			size = NULL;
	}
	if (!dir || !size) {
		pr_err("refusing the handover: bad subtree\n");
		in->state = KSTATE_IN_REFUSED;
		__free_page(page);
		return;
	}
	err = kstate_in_load_pages(in, fdt64_to_cpu(get_unaligned(dir)),
				   fdt64_to_cpu(get_unaligned(size)),
				   &kstate_kho_mem_ops);
	__free_page(page);
	if (!err)
		pr_info("handover: %u instances of %u descriptions, %zu bytes\n",
			in->nr_index, in->nr_descs, in->size);
}
