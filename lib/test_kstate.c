// SPDX-License-Identifier: GPL-2.0-only
/*
 * End-to-end test of KSTATE across a kexec with Kexec HandOver (KHO).
 *
 * In a kernel booted without a handover, at late_initcall, the test
 * allocates objects=N device-state objects, fills every field from
 * (seed, index), and registers each with KSTATE under a sparse 64-bit
 * instance id, as a driver would with its PCI devids.  The objects stay
 * allocated: KSTATE saves them when the kexec happens.  Every tenth object
 * owns a folio filled with a pattern, which KSTATE preserves with KHO.
 *
 * In the next kernel (a KHO boot, with the same objects= and seed=), the
 * test restores the objects in reverse index order into zeroed objects,
 * verifies every field and every folio against what (seed, index) gives,
 * checks that an id never registered gives -ENOENT and a second restore
 * -EALREADY, calls kstate_finish(), and prints the time the restores took
 * and one result line, "test_kstate: PASS: ..." or "test_kstate: FAIL: ...".
 *
 * Parameters (test_kstate.<name>= on the kernel command line):
 *
 * - objects=N: the number of objects; 0 (the default) does nothing.
 * - seed=S: the seed of the contents; the same in both kernels.
 */

#define pr_fmt(fmt) "test_kstate: " fmt

#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/init.h>
#include <linux/kexec_handover.h>
#include <linux/kstate.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/prandom.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/sprintf.h>
#include <linux/string.h>
#include <linux/types.h>

static unsigned int test_ks_objects;
module_param_named(objects, test_ks_objects, uint, 0444);
MODULE_PARM_DESC(objects, "Number of objects to register, then to restore");

static unsigned int test_ks_seed = 1;
module_param_named(seed, test_ks_seed, uint, 0444);
MODULE_PARM_DESC(seed, "Seed of the contents of the objects");

#define TEST_KS_MAX_OBJECTS	100000
#define TEST_KS_ID_BASE		0x808600000000ULL	/* a devid space */
#define TEST_KS_VERSION		2
#define TEST_KS_NR_QUEUES	4
#define TEST_KS_MAX_REGS	16
#define TEST_KS_MAX_VECTORS	64
#define TEST_KS_FOLIO_EVERY	10
#define TEST_KS_F_ERRLOG	BIT(0)		/* has the errlog subsection */
#define TEST_KS_NO_ERR_ADDR	(~0ULL)		/* errlog default */
#define TEST_KS_GOLDEN		0x9e3779b97f4a7c15ULL

/**
 * struct test_ks_queue - the state of one queue of a device
 * @base: DMA address of the ring.
 * @size: number of entries.
 * @head: consumer index.
 * @tail: producer index.
 * @vector: interrupt vector.
 * @enabled: whether the queue runs.
 */
struct test_ks_queue {
	u64 base;
	u32 size;
	u16 head;
	u16 tail;
	u8 vector;
	bool enabled;
};

/**
 * struct test_ks_dev - the state of a device, as a driver would keep it
 * @devid: the instance id; must equal the saved one on restore.
 * @vendor: vendor id.
 * @device: device id.
 * @revision: revision id.
 * @features: negotiated features, TEST_KS_F_*.
 * @temperature: last temperature reading.
 * @clock_offset: clock calibration.
 * @freq_adjust: frequency adjustment.
 * @timestamp: last device timestamp.
 * @link_up: link state.
 * @name: interface name.
 * @admin: the admin queue.
 * @queues: the I/O queues.
 * @nr_regs: number of saved registers in @regs.
 * @regs: saved registers.
 * @nr_vectors: number of entries in @vectors.
 * @vectors: the MSI-X table, or NULL; allocated on restore.
 * @folio_csum: checksum of @folio, computed by pre_save.
 * @folio: a folio of device memory (every tenth object), or NULL.
 * @err_count: errors logged; in the errlog subsection.
 * @err_addr: address of the last error; in the errlog subsection.
 * @saves: pre_save calls, not saved.
 * @loads: post_load calls, not saved.
 * @loaded_version: version the object was restored from, not saved.
 */
struct test_ks_dev {
	u64 devid;
	u16 vendor;
	u16 device;
	u8 revision;
	u32 features;
	s8 temperature;
	s16 clock_offset;
	s32 freq_adjust;
	s64 timestamp;
	bool link_up;
	char name[24];
	struct test_ks_queue admin;
	struct test_ks_queue queues[TEST_KS_NR_QUEUES];
	u32 nr_regs;
	u32 regs[TEST_KS_MAX_REGS];
	u16 nr_vectors;
	u64 *vectors;
	u32 folio_csum;
	struct folio *folio;
	u32 err_count;
	u64 err_addr;
	unsigned int saves;
	unsigned int loads;
	u32 loaded_version;
};

/* The objects: registered in the first kernel, restored in the next. */
static struct test_ks_dev *test_ks_devs;
static unsigned int test_ks_post_loads;

static u64 test_ks_id(unsigned int i)
{
	return TEST_KS_ID_BASE | ((u64)i * 3 + 1);
}

static bool test_ks_has_folio(unsigned int i)
{
	return i % TEST_KS_FOLIO_EVERY == 0;
}

static unsigned int test_ks_folio_order(unsigned int i)
{
	return (i / TEST_KS_FOLIO_EVERY) % 3;
}

/* Word @w of the pattern of object @i's folio. */
static u64 test_ks_word(unsigned int i, unsigned long w)
{
	u64 x = ((u64)test_ks_seed << 32 | i) * TEST_KS_GOLDEN + w;

	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static u32 test_ks_csum(u32 csum, u64 word)
{
	return rol32(csum, 5) ^ (u32)word ^ (u32)(word >> 32);
}

/* Checksum of a folio's contents. */
static u32 test_ks_folio_csum(struct folio *folio)
{
	unsigned long p, w, words = PAGE_SIZE / sizeof(u64);
	u32 csum = 0;
	const u64 *v;

	for (p = 0; p < folio_nr_pages(folio); p++) {
		v = kmap_local_folio(folio, p * PAGE_SIZE);
		for (w = 0; w < words; w++)
			csum = test_ks_csum(csum, v[w]);
		kunmap_local(v);
	}
	return csum;
}

/* The checksum the pattern of object @i's folio has. */
static u32 test_ks_pattern_csum(unsigned int i)
{
	unsigned long w, words = (PAGE_SIZE / sizeof(u64)) <<
				 test_ks_folio_order(i);
	u32 csum = 0;

	for (w = 0; w < words; w++)
		csum = test_ks_csum(csum, test_ks_word(i, w));
	return csum;
}

static void test_ks_fill_folio(struct folio *folio, unsigned int i)
{
	unsigned long p, w, words = PAGE_SIZE / sizeof(u64);
	u64 *v;

	for (p = 0; p < folio_nr_pages(folio); p++) {
		v = kmap_local_folio(folio, p * PAGE_SIZE);
		for (w = 0; w < words; w++)
			v[w] = test_ks_word(i, p * words + w);
		kunmap_local(v);
	}
}

/* Index of the first word of @folio that differs from the pattern, or -1. */
static long test_ks_check_folio(struct folio *folio, unsigned int i)
{
	unsigned long p, w, words = PAGE_SIZE / sizeof(u64);
	long bad = -1;
	const u64 *v;

	for (p = 0; p < folio_nr_pages(folio) && bad < 0; p++) {
		v = kmap_local_folio(folio, p * PAGE_SIZE);
		for (w = 0; w < words; w++) {
			if (v[w] != test_ks_word(i, p * words + w)) {
				bad = p * words + w;
				break;
			}
		}
		kunmap_local(v);
	}
	return bad;
}

/* ---- the descriptions -------------------------------------------------- */

static const struct kstate_field test_ks_queue_fields[] = {
	KSTATE_U64(struct test_ks_queue, base, 1),
	KSTATE_U32(struct test_ks_queue, size, 1),
	KSTATE_U16(struct test_ks_queue, head, 1),
	KSTATE_U16(struct test_ks_queue, tail, 1),
	KSTATE_U8(struct test_ks_queue, vector, 2),
	KSTATE_BOOL(struct test_ks_queue, enabled, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description test_ks_queue_desc = {
	.name = "test-kstate,queue",
	.version_id = TEST_KS_VERSION,
	.min_version_id = 1,
	.size = sizeof(struct test_ks_queue),
	.fields = test_ks_queue_fields,
};

/* The error log travels only for the devices that keep one. */
static bool test_ks_errlog_needed(const void *obj)
{
	const struct test_ks_dev *dev = obj;

	return dev->features & TEST_KS_F_ERRLOG;
}

static const struct kstate_field test_ks_errlog_fields[] = {
	KSTATE_U32(struct test_ks_dev, err_count, 1),
	KSTATE_U64(struct test_ks_dev, err_addr, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description test_ks_errlog_desc = {
	.name = "test-kstate,dev-errlog",
	.version_id = 1,
	.min_version_id = 1,
	.size = sizeof(struct test_ks_dev),
	.fields = test_ks_errlog_fields,
	.needed = test_ks_errlog_needed,
};

static const struct kstate_description * const test_ks_dev_subs[] = {
	&test_ks_errlog_desc,
	NULL
};

/* Snapshot what the device state derives from its memory: the checksum. */
static int test_ks_pre_save(void *obj)
{
	struct test_ks_dev *dev = obj;

	dev->saves++;
	dev->folio_csum = dev->folio ? test_ks_folio_csum(dev->folio) : 0;
	return 0;
}

/* Defaults for what the saved state may lack: the error log. */
static int test_ks_pre_load(void *obj)
{
	struct test_ks_dev *dev = obj;

	dev->err_count = 0;
	dev->err_addr = TEST_KS_NO_ERR_ADDR;
	return 0;
}

static int test_ks_post_load(void *obj, u32 version_id)
{
	struct test_ks_dev *dev = obj;

	dev->loads++;
	dev->loaded_version = version_id;
	test_ks_post_loads++;
	return 0;
}

static const struct kstate_field test_ks_dev_fields[] = {
	KSTATE_SCALAR_RULE(struct test_ks_dev, devid, KSTATE_U64, u64, 1,
			   KSTATE_MUST_EQUAL),
	KSTATE_U16(struct test_ks_dev, vendor, 1),
	KSTATE_U16(struct test_ks_dev, device, 1),
	KSTATE_U8(struct test_ks_dev, revision, 1),
	KSTATE_U32(struct test_ks_dev, features, 1),
	KSTATE_S8(struct test_ks_dev, temperature, 1),
	KSTATE_S16(struct test_ks_dev, clock_offset, 1),
	KSTATE_S32(struct test_ks_dev, freq_adjust, 1),
	KSTATE_S64(struct test_ks_dev, timestamp, 1),
	KSTATE_BOOL(struct test_ks_dev, link_up, 1),
	KSTATE_STRING(struct test_ks_dev, name, 1),
	KSTATE_STRUCT(struct test_ks_dev, admin, &test_ks_queue_desc, 1),
	KSTATE_STRUCT_ARRAY(struct test_ks_dev, queues, &test_ks_queue_desc, 1),
	KSTATE_VARRAY(struct test_ks_dev, regs, nr_regs, KSTATE_U32, NULL, 1),
	KSTATE_PTR_VARRAY(struct test_ks_dev, vectors, nr_vectors,
			  TEST_KS_MAX_VECTORS, KSTATE_U64, NULL, 2),
	KSTATE_U32(struct test_ks_dev, folio_csum, 2),
	KSTATE_FOLIO(struct test_ks_dev, folio, 2),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description test_ks_dev_desc = {
	.name = "test-kstate,dev",
	.version_id = TEST_KS_VERSION,
	.min_version_id = 1,
	.size = sizeof(struct test_ks_dev),
	.fields = test_ks_dev_fields,
	.subsections = test_ks_dev_subs,
	.pre_save = test_ks_pre_save,
	.pre_load = test_ks_pre_load,
	.post_load = test_ks_post_load,
};

/* ---- contents from (seed, index) --------------------------------------- */

static void test_ks_fill_queue(struct test_ks_queue *q, struct rnd_state *rnd)
{
	q->base = ((u64)prandom_u32_state(rnd) << 32 |
		   prandom_u32_state(rnd)) & ~0xfffULL;
	q->size = 1U << (6 + prandom_u32_state(rnd) % 7);
	q->head = prandom_u32_state(rnd) % q->size;
	q->tail = prandom_u32_state(rnd) % q->size;
	q->vector = prandom_u32_state(rnd);
	q->enabled = prandom_u32_state(rnd) & 1;
}

/*
 * Everything but the memory of object @i (@vectors, @folio), as it was
 * registered, or as it must be restored (@restored): the error log of a
 * device without one holds stale values before, and the defaults after.
 */
static void test_ks_fill(struct test_ks_dev *dev, unsigned int i,
			 bool restored)
{
	struct rnd_state rnd;
	unsigned int q;

	prandom_seed_state(&rnd, (u64)test_ks_seed << 32 | i);
	dev->devid = test_ks_id(i);
	dev->vendor = 0x8086;
	dev->device = 0x1500 + prandom_u32_state(&rnd) % 0x100;
	dev->revision = prandom_u32_state(&rnd);
	dev->features = prandom_u32_state(&rnd) & ~TEST_KS_F_ERRLOG;
	if (i % 3 == 0)
		dev->features |= TEST_KS_F_ERRLOG;
	dev->temperature = (s8)prandom_u32_state(&rnd);
	dev->clock_offset = -(s16)(prandom_u32_state(&rnd) & 0x7fff);
	dev->freq_adjust = (s32)prandom_u32_state(&rnd);
	dev->timestamp = -(s64)((u64)prandom_u32_state(&rnd) << 30 | i);
	dev->link_up = prandom_u32_state(&rnd) & 1;
	snprintf(dev->name, sizeof(dev->name), "ks%u-%08x", i,
		 prandom_u32_state(&rnd));
	test_ks_fill_queue(&dev->admin, &rnd);
	for (q = 0; q < TEST_KS_NR_QUEUES; q++)
		test_ks_fill_queue(&dev->queues[q], &rnd);
	dev->nr_regs = prandom_u32_state(&rnd) % (TEST_KS_MAX_REGS + 1);
	for (q = 0; q < dev->nr_regs; q++)
		dev->regs[q] = prandom_u32_state(&rnd);
	/* Every seventh device has MSI-X off: no table at all. */
	dev->nr_vectors = i % 7 ? 1 + prandom_u32_state(&rnd) %
					  TEST_KS_MAX_VECTORS : 0;
	dev->folio_csum = test_ks_has_folio(i) ? test_ks_pattern_csum(i) : 0;
	dev->err_count = prandom_u32_state(&rnd);
	dev->err_addr = (u64)prandom_u32_state(&rnd) << 12;
	if (restored && !(dev->features & TEST_KS_F_ERRLOG)) {
		dev->err_count = 0;
		dev->err_addr = TEST_KS_NO_ERR_ADDR;
	}
}

static u64 test_ks_vector(unsigned int i, unsigned int v)
{
	return test_ks_word(i, ~0UL - v) | 1;
}

/* ---- the first kernel: register ---------------------------------------- */

/*
 * A folio KHO can preserve: not in a scratch area.  Unmovable allocations
 * should never come from one; those that do anyway are kept on @rejects
 * until the caller frees them, so that we are not handed them again.
 */
static struct folio *test_ks_alloc_folio(unsigned int order,
					 struct list_head *rejects)
{
	struct folio *folio;

	for (;;) {
		folio = folio_alloc(GFP_KERNEL | __GFP_NOWARN, order);
		if (!folio || !kho_scratch_overlap(PFN_PHYS(folio_pfn(folio)),
						   folio_size(folio)))
			return folio;
		list_add(&folio->lru, rejects);
	}
}

static void test_ks_free_rejects(struct list_head *rejects)
{
	struct folio *folio, *tmp;

	list_for_each_entry_safe(folio, tmp, rejects, lru) {
		list_del(&folio->lru);
		folio_put(folio);
	}
}

static void test_ks_free_dev(struct test_ks_dev *dev)
{
	kvfree(dev->vectors);
	dev->vectors = NULL;
	if (dev->folio)
		folio_put(dev->folio);
	dev->folio = NULL;
}

static void test_ks_free_all(unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		test_ks_free_dev(&test_ks_devs[i]);
	kvfree(test_ks_devs);
	test_ks_devs = NULL;
}

static int test_ks_make(struct test_ks_dev *dev, unsigned int i,
			struct list_head *rejects)
{
	unsigned int v;

	test_ks_fill(dev, i, false);
	if (dev->nr_vectors) {
		dev->vectors = kvcalloc(dev->nr_vectors, sizeof(*dev->vectors),
					GFP_KERNEL);
		if (!dev->vectors)
			return -ENOMEM;
		for (v = 0; v < dev->nr_vectors; v++)
			dev->vectors[v] = test_ks_vector(i, v);
	}
	/* pre_save computes it again at the kexec: start from garbage. */
	dev->folio_csum = ~dev->folio_csum;
	if (test_ks_has_folio(i)) {
		dev->folio = test_ks_alloc_folio(test_ks_folio_order(i),
						 rejects);
		if (!dev->folio)
			return -ENOMEM;
		test_ks_fill_folio(dev->folio, i);
	}
	return 0;
}

static void test_ks_register(void)
{
	unsigned int nr = test_ks_objects, i, j;
	LIST_HEAD(rejects);
	int err = 0;

	test_ks_devs = kvcalloc(nr, sizeof(*test_ks_devs),
				GFP_KERNEL | __GFP_NOWARN);
	if (!test_ks_devs) {
		pr_err("FAIL: out of memory for %u objects\n", nr);
		return;
	}
	for (i = 0; i < nr; i++) {
		err = test_ks_make(&test_ks_devs[i], i, &rejects);
		if (err) {
			pr_err("FAIL: object %u: out of memory\n", i);
			break;
		}
		err = kstate_register(&test_ks_dev_desc, &test_ks_devs[i],
				      test_ks_id(i));
		if (err) {
			pr_err("FAIL: kstate_register(%#llx): %d\n",
			       test_ks_id(i), err);
			break;
		}
	}
	test_ks_free_rejects(&rejects);
	if (err) {
		for (j = 0; j < i; j++)
			kstate_unregister(&test_ks_dev_desc, &test_ks_devs[j],
					  test_ks_id(j));
		test_ks_free_all(i + 1);
		return;
	}
	/* The objects stay registered and allocated until the kexec. */
	pr_info("registered %u objects\n", nr);
}

/* ---- the next kernel: restore and verify ------------------------------- */

/**
 * struct test_ks_result - outcome of the restore
 * @errors: number of failed checks.
 * @reason: what the first failed check was.
 */
struct test_ks_result {
	unsigned int errors;
	char reason[160];
};

static __printf(2, 3)
void test_ks_error(struct test_ks_result *res, const char *fmt, ...)
{
	va_list args;

	if (!res->errors++) {
		va_start(args, fmt);
		vsnprintf(res->reason, sizeof(res->reason), fmt, args);
		va_end(args);
	}
}

static void test_ks_cmp(struct test_ks_result *res, unsigned int i,
			const char *field, u64 got, u64 want)
{
	if (got != want)
		test_ks_error(res, "object %u: %s is %#llx, not %#llx", i,
			      field, got, want);
}

static void test_ks_check_queue(struct test_ks_result *res, unsigned int i,
				const struct test_ks_queue *got,
				const struct test_ks_queue *want)
{
	test_ks_cmp(res, i, "base", got->base, want->base);
	test_ks_cmp(res, i, "size", got->size, want->size);
	test_ks_cmp(res, i, "head", got->head, want->head);
	test_ks_cmp(res, i, "tail", got->tail, want->tail);
	test_ks_cmp(res, i, "vector", got->vector, want->vector);
	test_ks_cmp(res, i, "enabled", got->enabled, want->enabled);
}

/* Compare restored object @i with what (seed, @i) gives. */
static void test_ks_verify(struct test_ks_result *res, unsigned int i,
			   const struct test_ks_dev *got,
			   struct test_ks_dev *want)
{
	unsigned int q, v;
	long bad;

	test_ks_fill(want, i, true);
	test_ks_cmp(res, i, "devid", got->devid, want->devid);
	test_ks_cmp(res, i, "vendor", got->vendor, want->vendor);
	test_ks_cmp(res, i, "device", got->device, want->device);
	test_ks_cmp(res, i, "revision", got->revision, want->revision);
	test_ks_cmp(res, i, "features", got->features, want->features);
	test_ks_cmp(res, i, "temperature", got->temperature, want->temperature);
	test_ks_cmp(res, i, "clock_offset", got->clock_offset,
		    want->clock_offset);
	test_ks_cmp(res, i, "freq_adjust", got->freq_adjust, want->freq_adjust);
	test_ks_cmp(res, i, "timestamp", got->timestamp, want->timestamp);
	test_ks_cmp(res, i, "link_up", got->link_up, want->link_up);
	if (strcmp(got->name, want->name))
		test_ks_error(res, "object %u: name is \"%s\", not \"%s\"", i,
			      got->name, want->name);
	test_ks_check_queue(res, i, &got->admin, &want->admin);
	for (q = 0; q < TEST_KS_NR_QUEUES; q++)
		test_ks_check_queue(res, i, &got->queues[q], &want->queues[q]);
	test_ks_cmp(res, i, "nr_regs", got->nr_regs, want->nr_regs);
	if (got->nr_regs == want->nr_regs &&
	    memcmp(got->regs, want->regs, want->nr_regs * sizeof(u32)))
		test_ks_error(res, "object %u: wrong regs", i);
	/* Registers beyond nr_regs are not saved: they stay zero. */
	if (got->nr_regs <= TEST_KS_MAX_REGS &&
	    memchr_inv(&got->regs[got->nr_regs], 0,
		       (TEST_KS_MAX_REGS - got->nr_regs) * sizeof(u32)))
		test_ks_error(res, "object %u: regs beyond nr_regs written", i);
	test_ks_cmp(res, i, "nr_vectors", got->nr_vectors, want->nr_vectors);
	if (!want->nr_vectors && got->vectors)
		test_ks_error(res, "object %u: vectors allocated, none saved", i);
	if (want->nr_vectors && !got->vectors)
		test_ks_error(res, "object %u: vectors not allocated", i);
	if (got->vectors && got->nr_vectors == want->nr_vectors) {
		for (v = 0; v < want->nr_vectors; v++) {
			if (got->vectors[v] != test_ks_vector(i, v)) {
				test_ks_error(res, "object %u: vector %u is %#llx, not %#llx",
					      i, v, got->vectors[v],
					      test_ks_vector(i, v));
				break;
			}
		}
	}
	test_ks_cmp(res, i, "folio_csum", got->folio_csum, want->folio_csum);
	test_ks_cmp(res, i, "err_count", got->err_count, want->err_count);
	test_ks_cmp(res, i, "err_addr", got->err_addr, want->err_addr);
	if (got->loads != 1 || got->loaded_version != TEST_KS_VERSION)
		test_ks_error(res, "object %u: post_load ran %u times, version %u",
			      i, got->loads, got->loaded_version);
	if (!test_ks_has_folio(i)) {
		if (got->folio)
			test_ks_error(res, "object %u: a folio, none saved", i);
		return;
	}
	if (!got->folio) {
		test_ks_error(res, "object %u: no folio", i);
		return;
	}
	if (folio_order(got->folio) != test_ks_folio_order(i)) {
		test_ks_error(res, "object %u: folio of order %u, not %u", i,
			      folio_order(got->folio), test_ks_folio_order(i));
		return;
	}
	bad = test_ks_check_folio(got->folio, i);
	if (bad >= 0)
		test_ks_error(res, "object %u: folio at %#llx: word %ld wrong", i,
			      (u64)PFN_PHYS(folio_pfn(got->folio)), bad);
	else if (test_ks_folio_csum(got->folio) != want->folio_csum)
		test_ks_error(res, "object %u: folio checksum differs", i);
}

/* The calls that must fail, on the stream still open. */
static void test_ks_check_errors(struct test_ks_result *res, unsigned int nr)
{
	struct test_ks_dev *dev, *copy;
	u64 ids[] = { test_ks_id(0) + 1, test_ks_id(nr), TEST_KS_ID_BASE };
	unsigned int k;
	int err;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	copy = kzalloc(sizeof(*copy), GFP_KERNEL);
	if (!dev || !copy) {
		test_ks_error(res, "out of memory");
		goto out;
	}
	for (k = 0; k < ARRAY_SIZE(ids); k++) {
		memset(dev, 0, sizeof(*dev));
		dev->devid = ids[k];
		err = kstate_restore(&test_ks_dev_desc, dev, ids[k]);
		if (err != -ENOENT)
			test_ks_error(res, "restore of unknown id %#llx: %d, not %d",
				      ids[k], err, -ENOENT);
		test_ks_free_dev(dev);
	}
	/* Restored already: the object is left alone. */
	for (k = 0; k < 2; k++) {
		unsigned int i = k ? nr - 1 : 0;

		memset(dev, 0, sizeof(*dev));
		dev->devid = test_ks_id(i);
		memcpy(copy, dev, sizeof(*dev));
		err = kstate_restore(&test_ks_dev_desc, dev, test_ks_id(i));
		if (err != -EALREADY)
			test_ks_error(res, "second restore of %#llx: %d, not %d",
				      test_ks_id(i), err, -EALREADY);
		else if (memcmp(dev, copy, sizeof(*dev)))
			test_ks_error(res, "second restore of %#llx changed the object",
				      test_ks_id(i));
		test_ks_free_dev(dev);
	}
out:
	kfree(copy);
	kfree(dev);
}

static void test_ks_restore(void)
{
	unsigned int nr = test_ks_objects, i, restored = 0;
	struct test_ks_result res = { };
	struct test_ks_dev *want;
	u64 t0, t1;
	int err;

	test_ks_devs = kvcalloc(nr, sizeof(*test_ks_devs),
				GFP_KERNEL | __GFP_NOWARN);
	want = kzalloc(sizeof(*want), GFP_KERNEL);
	if (!test_ks_devs || !want) {
		pr_err("FAIL: out of memory for %u objects\n", nr);
		kstate_finish();
		kfree(want);
		kvfree(test_ks_devs);
		test_ks_devs = NULL;
		return;
	}
	for (i = 0; i < nr; i++)
		test_ks_devs[i].devid = test_ks_id(i);

	t0 = ktime_get_ns();
	i = nr;
	while (i--) {
		err = kstate_restore(&test_ks_dev_desc, &test_ks_devs[i],
				     test_ks_id(i));
		if (err)
			test_ks_error(&res, "object %u: kstate_restore(%#llx): %d",
				      i, test_ks_id(i), err);
		else
			restored++;
	}
	t1 = ktime_get_ns();
	pr_info("restore of %u objects took %llu ns\n", nr, t1 - t0);

	if (test_ks_post_loads != restored)
		test_ks_error(&res, "post_load ran %u times for %u objects",
			      test_ks_post_loads, restored);
	for (i = 0; i < nr; i++) {
		if (test_ks_devs[i].loads)
			test_ks_verify(&res, i, &test_ks_devs[i], want);
	}
	test_ks_check_errors(&res, nr);

	kstate_finish();
	err = kstate_restore(&test_ks_dev_desc, &test_ks_devs[0],
			     test_ks_id(0));
	if (err != -ENOENT)
		test_ks_error(&res, "restore after kstate_finish(): %d, not %d",
			      err, -ENOENT);
	if (res.errors)
		pr_err("FAIL: %s (%u errors)\n", res.reason, res.errors);
	else
		pr_info("PASS: restored %u objects in reverse order, verified\n",
			nr);
	kfree(want);
	test_ks_free_all(nr);
}

static int __init test_ks_init(void)
{
	if (!test_ks_objects)
		return 0;
	if (test_ks_objects > TEST_KS_MAX_OBJECTS) {
		pr_err("FAIL: objects=%u, at most %u\n", test_ks_objects,
		       TEST_KS_MAX_OBJECTS);
		return 0;
	}
	if (is_kho_boot())
		test_ks_restore();
	else
		test_ks_register();
	return 0;
}
late_initcall(test_ks_init);
