// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kexec HandOver (KHO): preservation of vmalloc areas.
 *
 * A vmalloc area is preserved as its pages plus a page list: preserved
 * pages that each hold the physical addresses of up to
 * KHO_VMALLOC_PER_CHUNK pages of the area and the address of the next page
 * of the list (include/linux/kho/abi/kexec_handover.h).  The owner keeps
 * the small handle, struct kho_vmalloc, in its own preserved state; the
 * next kernel checks the handle and every page of the list and maps the
 * pages again.
 *
 * Preserve and unpreserve hold the outgoing side for the whole operation,
 * so that a kexec freezes either all of an area or none of it.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "kexec_handover_internal.h"

/* The page of a page list at @phys, or NULL at the end of the list. */
static struct kho_vmalloc_chunk *kho_vmalloc_chunk(u64 phys)
{
	return phys ? phys_to_virt(phys) : NULL;
}

/* Whether every page of the list from @first, and of the area, is preserved. */
static bool kho_vmalloc_preserved(u64 first)
{
	struct kho_vmalloc_chunk *c;
	u64 i;

	for (c = kho_vmalloc_chunk(first); c;
	     c = kho_vmalloc_chunk(le64_to_cpu(c->next))) {
		if (!kho_out_preserved(PHYS_PFN(virt_to_phys(c))))
			return false;
		for (i = 0; i < le64_to_cpu(c->nr); i++)
			if (!kho_out_preserved(PHYS_PFN(le64_to_cpu(c->phys[i]))))
				return false;
	}
	return true;
}

/* Unpreserve the list from @first and the area's pages; the first error. */
static int kho_vmalloc_unpreserve_all(u64 first)
{
	struct kho_vmalloc_chunk *c;
	int err = 0, e;
	u64 i;

	for (c = kho_vmalloc_chunk(first); c;
	     c = kho_vmalloc_chunk(le64_to_cpu(c->next))) {
		for (i = 0; i < le64_to_cpu(c->nr); i++) {
			e = kho_out_unpreserve(PHYS_PFN(le64_to_cpu(c->phys[i])), 1);
			err = err ?: e;
		}
		e = kho_out_unpreserve(PHYS_PFN(virt_to_phys(c)), 1);
		err = err ?: e;
	}
	return err;
}

static void kho_vmalloc_free_list(u64 first)
{
	while (first) {
		struct kho_vmalloc_chunk *c = phys_to_virt(first);

		first = le64_to_cpu(c->next);
		free_page((unsigned long)c);
	}
}

/**
 * kho_preserve_vmalloc() - preserve a vmalloc area across kexec
 * @ptr: start of an area from vmalloc() or vmalloc_huge().
 * @preservation: filled with the handle to store for the next kernel.
 *
 * The area's pages and a list of them are preserved; the next kernel maps
 * them again with kho_restore_vmalloc().
 *
 * Context: Process context; may sleep.
 * Return: 0 on success; -EINVAL if @ptr is not the start of a vmalloc
 * area; -EOPNOTSUPP for other kinds of areas or with KHO off; -EBUSY,
 * -EEXIST or -ENOMEM as for kho_preserve_folio().  On error nothing is
 * preserved.
 */
int kho_preserve_vmalloc(void *ptr, struct kho_vmalloc *preservation)
{
	struct vm_struct *vm = find_vm_area(ptr);
	struct kho_vmalloc_chunk *c, *prev = NULL;
	unsigned int i;
	u64 first = 0;
	u16 flags;
	int err;

	if (!vm || vm->addr != ptr || !vm->pages)
		return -EINVAL;
	if (!(vm->flags & VM_ALLOC) ||
	    (vm->flags & ~(VM_ALLOC | VM_ALLOW_HUGE_VMAP | VM_UNINITIALIZED |
			   VM_NO_GUARD | VM_DEFER_KMEMLEAK | VM_USERMAP)))
		return -EOPNOTSUPP;
	flags = KHO_VMALLOC_VM_ALLOC;
	if (vm->flags & VM_ALLOW_HUGE_VMAP)
		flags |= KHO_VMALLOC_VM_ALLOW_HUGE;

	err = kho_out_lock();
	if (err)
		return err;
	for (i = 0; i < vm->nr_pages; i++) {
		if (!prev || le64_to_cpu(prev->nr) == KHO_VMALLOC_PER_CHUNK) {
			c = (void *)get_zeroed_page(GFP_KERNEL);
			if (!c) {
				err = -ENOMEM;
				goto fail;
			}
			err = kho_out_preserve(PHYS_PFN(virt_to_phys(c)), 1);
			if (err) {
				free_page((unsigned long)c);
				goto fail;
			}
			if (prev)
				prev->next = cpu_to_le64(virt_to_phys(c));
			else
				first = virt_to_phys(c);
			prev = c;
		}
		err = kho_out_preserve(page_to_pfn(vm->pages[i]), 1);
		if (err)
			goto fail;
		prev->phys[le64_to_cpu(prev->nr)] =
			cpu_to_le64(page_to_phys(vm->pages[i]));
		le64_add_cpu(&prev->nr, 1);
	}
	kho_out_unlock();

	preservation->first = first;
	preservation->total_pages = vm->nr_pages;
	preservation->flags = flags;
	preservation->order = 0;
	return 0;

fail:
	/* everything in the list was preserved by this call */
	WARN_ON(kho_vmalloc_unpreserve_all(first));
	kho_out_unlock();
	kho_vmalloc_free_list(first);
	return err;
}
EXPORT_SYMBOL_GPL(kho_preserve_vmalloc);

/**
 * kho_unpreserve_vmalloc() - undo kho_preserve_vmalloc()
 * @preservation: the handle kho_preserve_vmalloc() filled in.
 *
 * All or nothing: the area's pages and its page list are unpreserved and
 * the list is freed, or, on error, nothing changes.
 *
 * Context: Process context; may sleep.
 * Return: 0 on success; -EINVAL for an empty handle; -ENOENT if the area
 * is not (or no longer entirely) preserved; -EOPNOTSUPP if KHO is off;
 * -EBUSY once the kexec is under way.
 */
int kho_unpreserve_vmalloc(struct kho_vmalloc *preservation)
{
	int err;

	if (!preservation->first)
		return -EINVAL;
	err = kho_out_lock();
	if (err)
		return err;
	if (!kho_vmalloc_preserved(preservation->first)) {
		kho_out_unlock();
		return -ENOENT;
	}
	err = kho_vmalloc_unpreserve_all(preservation->first);
	kho_out_unlock();
	/* only a concurrent unpreserve of the same pages can make it fail */
	if (WARN_ON_ONCE(err))
		return err;
	kho_vmalloc_free_list(preservation->first);
	memset(preservation, 0, sizeof(*preservation));
	return 0;
}
EXPORT_SYMBOL_GPL(kho_unpreserve_vmalloc);

/**
 * kho_restore_vmalloc() - map a preserved vmalloc area again
 * @preservation: the handle kho_preserve_vmalloc() filled in.
 *
 * The handle and the page list come from the previous kernel and are
 * checked: every page must be a preserved, unrestored page.
 *
 * Context: Process context; may sleep.
 * Return: the address of the area, which vfree() frees; NULL on error.
 */
void *kho_restore_vmalloc(const struct kho_vmalloc *preservation)
{
	unsigned long total = preservation->total_pages, n = 0;
	u64 next = preservation->first;
	unsigned long nr_chunks = 0;
	struct page **pages;
	void *addr;

	if (!total || !next || preservation->order ||
	    !(preservation->flags & KHO_VMALLOC_VM_ALLOC) ||
	    total > totalram_pages())
		return NULL;
	pages = kvmalloc_array(total, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return NULL;

	while (next) {
		struct page *cp = kho_restore_pages(next, 1);
		struct kho_vmalloc_chunk *c;
		u64 i, nr;

		if (!cp)
			goto fail;
		c = page_address(cp);
		nr = le64_to_cpu(c->nr);
		next = le64_to_cpu(c->next);
		if (++nr_chunks > DIV_ROUND_UP(total, KHO_VMALLOC_PER_CHUNK) ||
		    nr > KHO_VMALLOC_PER_CHUNK || nr > total - n) {
			kho_discard_pages(cp, 1);
			goto fail;
		}
		for (i = 0; i < nr; i++) {
			pages[n] = kho_restore_pages(le64_to_cpu(c->phys[i]), 1);
			if (!pages[n]) {
				kho_discard_pages(cp, 1);
				goto fail;
			}
			n++;
		}
		__free_page(cp);
	}
	if (n != total)
		goto fail;

	addr = vmap(pages, total, VM_MAP | VM_MAP_PUT_PAGES, PAGE_KERNEL);
	if (addr)
		return addr;
fail:
	/* the pages may hold a tenant's data */
	while (n)
		kho_discard_pages(pages[--n], 1);
	kvfree(pages);
	return NULL;
}
EXPORT_SYMBOL_GPL(kho_restore_vmalloc);
