// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kexec HandOver (KHO): test and benchmark hooks.
 *
 * Built only with CONFIG_KEXEC_HANDOVER_DEBUG, for test kernels:
 *
 * - module parameters, writable by root, that make the outgoing handover
 *   bad in one way each, so that the next kernel must refuse it:
 *   kexec_handover.test_corrupt_map (the preserved-memory map),
 *   kexec_handover.test_corrupt_subtree ("outside": every subtree pointer
 *   beyond RAM; "unpreserved": at RAM that is not preserved; "header": one
 *   byte past the sub-FDT, inside its preserved unit) and
 *   kexec_handover.test_corrupt_scratch ("tiny": every scratch area one
 *   pageblock long; "misaligned": the first area one page off);
 * - kexec_handover.test_fail_finalize: kho_finalize() fails, as it does
 *   when memory runs out, and the kexec is refused;
 * - kexec_handover.test_overlap: kho_finalize() first preserves one page
 *   inside the first preserved unit larger than a page, as a component
 *   that preserves memory twice with different orders would, so that the
 *   serialization must refuse the handover; the page is unpreserved again
 *   afterwards;
 * - kexec_handover.test_restore_delay_ms and test_restore_delay_comm: the
 *   next kho_restore_folio() by a task of that name holds its claim that
 *   long before it counts it, so that a test can call kho_finish() while
 *   a restore is in flight;
 * - kho_debug_naive_reserve (command line): reserve every preserved unit
 *   on its own in the next kernel, as a baseline for the coalesced reserve;
 * - kho_debug_fail_reserve=N|last (command line): the Nth (or the last)
 *   reservation of the early reserve step fails, as when memblock runs
 *   out of room;
 * - kho_debug_no_zone (command line): the first run of preserved units
 *   is treated as lying in no memory zone;
 * - kho_debug_overlap=reserved|nomap (command line): before the early
 *   reserve step, reserve or mark NOMAP the first page of the first
 *   preserved range, as firmware or an early allocation might;
 * - the cycle counter that times the early reserve step, which runs
 *   before sched_clock() does.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/kho/abi/kho_mem.h>
#include <linux/kho_mem.h>
#include <linux/delay.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/timex.h>

#include "kexec_handover_internal.h"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "kexec_handover."

static bool test_corrupt_map;
module_param(test_corrupt_map, bool, 0600);
MODULE_PARM_DESC(test_corrupt_map, "corrupt the outgoing map (test only)");

static char test_corrupt_subtree[16];
module_param_string(test_corrupt_subtree, test_corrupt_subtree,
		    sizeof(test_corrupt_subtree), 0600);
MODULE_PARM_DESC(test_corrupt_subtree,
		 "outside|unpreserved|header: corrupt every outgoing subtree pointer (test only)");

static char test_corrupt_scratch[16];
module_param_string(test_corrupt_scratch, test_corrupt_scratch,
		    sizeof(test_corrupt_scratch), 0600);
MODULE_PARM_DESC(test_corrupt_scratch,
		 "tiny|misaligned: corrupt the outgoing scratch array (test only)");

static bool test_fail_finalize;
module_param(test_fail_finalize, bool, 0600);
MODULE_PARM_DESC(test_fail_finalize, "make kho_finalize() fail (test only)");

static unsigned int test_restore_delay_ms;
module_param(test_restore_delay_ms, uint, 0600);
MODULE_PARM_DESC(test_restore_delay_ms,
		 "hold the next folio restore this long (test only)");

static char test_restore_delay_comm[TASK_COMM_LEN];
module_param_string(test_restore_delay_comm, test_restore_delay_comm,
		    sizeof(test_restore_delay_comm), 0600);
MODULE_PARM_DESC(test_restore_delay_comm,
		 "the task whose next folio restore test_restore_delay_ms holds (test only)");

static bool naive_reserve __initdata;

static int __init kho_parse_naive(char *p)
{
	naive_reserve = true;
	return 0;
}
early_param("kho_debug_naive_reserve", kho_parse_naive);

static unsigned long fail_reserve __initdata;
static bool fail_reserve_last __initdata;

static int __init kho_parse_fail_reserve(char *p)
{
	if (p && !strcmp(p, "last")) {
		fail_reserve_last = true;
		return 0;
	}
	return kstrtoul(p, 0, &fail_reserve);
}
early_param("kho_debug_fail_reserve", kho_parse_fail_reserve);

static bool no_zone __initdata;

static int __init kho_parse_no_zone(char *p)
{
	no_zone = true;
	return 0;
}
early_param("kho_debug_no_zone", kho_parse_no_zone);

bool __init kho_debug_no_zone(unsigned long run)
{
	if (!no_zone || run)
		return false;
	pr_warn("test: run %lu lies in no zone\n", run);
	return true;
}

static char overlap[16] __initdata;

static int __init kho_parse_overlap(char *p)
{
	strscpy(overlap, p ?: "", sizeof(overlap));
	return 0;
}
early_param("kho_debug_overlap", kho_parse_overlap);

int __init kho_debug_reserve_fault(unsigned long nr, unsigned long total)
{
	if (nr != (fail_reserve_last ? total : fail_reserve))
		return 0;
	pr_warn("test: failing reservation %lu of %lu of the reserve step\n",
		nr, total);
	return -ENOMEM;
}

static int __init kho_debug_first_range(void *arg, unsigned long pfn,
					unsigned long nr_pages,
					unsigned long orders)
{
	*(unsigned long *)arg = pfn;
	return -ECANCELED;
}

bool __init kho_debug_overlap(const struct kho_mem_walk_args *args)
{
	static const struct kho_mem_walk_ops ops __initconst = {
		.range = kho_debug_first_range,
	};
	struct kho_mem_walk_result res;
	unsigned long pfn = 0;
	int err;

	if (!overlap[0])
		return false;
	kho_mem_walk(args, &ops, &pfn, &res);
	if (!pfn)
		return false;
	if (!strcmp(overlap, "reserved"))
		err = memblock_reserve(PFN_PHYS(pfn), PAGE_SIZE);
	else if (!strcmp(overlap, "nomap"))
		err = memblock_mark_nomap(PFN_PHYS(pfn), PAGE_SIZE);
	else
		return false;
	pr_warn("test: preserved pfn %#lx made %s (%d)\n", pfn, overlap, err);
	return !err;
}

bool __init kho_debug_naive_reserve(void)
{
	return naive_reserve;
}

/* With kho_debug_naive_reserve: one reservation per unit, as mainline does. */
int __init kho_debug_reserve_units(unsigned long pfn, unsigned int order,
				   unsigned long nr_units)
{
	unsigned long i;

	for (i = 0; naive_reserve && i < nr_units; i++) {
		phys_addr_t pa = PFN_PHYS(pfn + (i << order));

		if (memblock_reserve(pa, PAGE_SIZE << order) ||
		    memblock_reserved_mark_noinit(pa, PAGE_SIZE << order))
			return -ENOMEM;
	}
	return 0;
}

void kho_debug_corrupt_map(phys_addr_t *mem_map)
{
	if (!test_corrupt_map)
		return;
	if (*mem_map) {
		struct kho_mem_chunk_hdr *hdr = phys_to_virt(*mem_map);

		hdr->magic = cpu_to_le32(le32_to_cpu(hdr->magic) ^ 0xff);
	} else {
		*mem_map = 1;
	}
	pr_warn("test: corrupting the outgoing map\n");
}

phys_addr_t kho_debug_subtree_phys(phys_addr_t phys)
{
	if (sysfs_streq(test_corrupt_subtree, "outside"))
		return BIT_ULL(MAX_PHYSMEM_BITS) - PAGE_SIZE;
	if (sysfs_streq(test_corrupt_subtree, "unpreserved"))
		return virt_to_phys(kho_out_fdt());
	if (sysfs_streq(test_corrupt_subtree, "header"))
		return phys + 1;
	return phys;
}

void kho_debug_corrupt_scratch(struct kho_scratch_abi *sa, unsigned int cnt)
{
	unsigned int i;

	if (!cnt)
		return;
	if (sysfs_streq(test_corrupt_scratch, "tiny")) {
		for (i = 0; i < cnt; i++)
			sa[i].size = PAGE_SIZE << pageblock_order;
	} else if (sysfs_streq(test_corrupt_scratch, "misaligned")) {
		sa[0].addr += PAGE_SIZE;
		sa[0].size -= PAGE_SIZE;
	} else {
		return;
	}
	pr_warn("test: corrupting the outgoing scratch array (%s)\n",
		test_corrupt_scratch);
}

static bool test_overlap;
module_param(test_overlap, bool, 0600);
MODULE_PARM_DESC(test_overlap,
		 "preserve a page inside a preserved unit before the handover is written (test only)");

static int first_large_unit(void *arg, const struct kho_mem_unit *unit)
{
	struct kho_mem_unit *found = arg;

	if (!unit->order)
		return 0;
	*found = *unit;
	return 1;
}

bool kho_debug_add_overlap(struct kho_mem_tracker *t,
			   struct kho_mem_unit *unit)
{
	struct kho_mem_unit large;

	if (!test_overlap || kho_mem_visit_units(t, first_large_unit, &large) != 1)
		return false;
	unit->pfn = large.pfn + 1;
	unit->order = 0;
	if (kho_mem_preserve(t, unit->pfn, 0))
		return false;
	pr_warn("test: preserving pfn %#lx order 0 inside pfn %#lx order %u\n",
		unit->pfn, large.pfn, large.order);
	return true;
}

int kho_debug_fail_finalize(void)
{
	if (!test_fail_finalize)
		return 0;
	pr_warn("test: failing kho_finalize()\n");
	return -EIO;
}

void kho_debug_restore_window(void)
{
	unsigned int ms = READ_ONCE(test_restore_delay_ms);

	if (!ms || strcmp(current->comm, test_restore_delay_comm) ||
	    cmpxchg(&test_restore_delay_ms, ms, 0) != ms)
		return;
	pr_warn("test: holding a restore by %s for %u ms\n", current->comm, ms);
	msleep(ms);
}

u64 kho_debug_cycles(void)
{
	return get_cycles();
}

u64 kho_debug_cycles_to_ns(u64 cycles)
{
#ifdef CONFIG_X86
	if (tsc_khz)
		return div_u64(cycles * 1000000, tsc_khz);
#endif
	return cycles;
}
