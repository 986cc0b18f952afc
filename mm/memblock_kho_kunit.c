// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the reserve_mem handover format (mm/memblock_kho_ser.c):
 * what reserve_mem_kho_write() writes is what reserve_mem_kho_find() reads
 * back, and the reader refuses each kind of malformed subtree a previous
 * kernel could hand over, each with its own errno, on input that is
 * otherwise valid.
 */

#include <kunit/test.h>
#include <linux/libfdt.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "memblock_kho_ser.h"

#define MK_FDT_SIZE	4096

static const struct reserve_mem_kho_region mk_regions[] = {
	{ .name = "trace", .start = 0x1234000, .size = 8 << 20 },
	{ .name = "pstore.ram-1", .start = 0x7ffff000000, .size = 100 },
	{ .name = "tracer", .start = 0x4000, .size = 4096 },
};

struct mk_node {
	const char *name;
	const char *compatible;	/* NULL: none */
	int start_len;		/* bytes of "start": 8, or 4, or 0 for none */
	u64 start;
	u64 size;
};

/* A buffer for an FDT, freed with the test. */
static void *mk_buf(struct kunit *test)
{
	void *fdt = kunit_kzalloc(test, MK_FDT_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, fdt);
	return fdt;
}

/* Write a subtree by hand, with whatever defects the nodes carry. */
static void *mk_fdt(struct kunit *test, const char *root_compatible,
		    const struct mk_node *nodes, unsigned int nr)
{
	void *fdt = mk_buf(test);
	unsigned int i;
	int err;

	err = fdt_create(fdt, MK_FDT_SIZE);
	err = err ?: fdt_finish_reservemap(fdt);
	err = err ?: fdt_begin_node(fdt, "");
	err = err ?: fdt_property_string(fdt, "compatible", root_compatible);
	for (i = 0; i < nr && !err; i++) {
		const struct mk_node *n = &nodes[i];
		u32 start32 = cpu_to_fdt32((u32)n->start);

		err = fdt_begin_node(fdt, n->name);
		if (!err && n->compatible)
			err = fdt_property_string(fdt, "compatible",
						  n->compatible);
		if (!err && n->start_len == 8)
			err = fdt_property_u64(fdt, "start", n->start);
		if (!err && n->start_len == 4)
			err = fdt_property(fdt, "start", &start32,
					   sizeof(start32));
		err = err ?: fdt_property_u64(fdt, "size", n->size);
		err = err ?: fdt_end_node(fdt);
	}
	err = err ?: fdt_end_node(fdt);
	err = err ?: fdt_finish(fdt);
	KUNIT_ASSERT_EQ(test, err, 0);
	return fdt;
}

static int mk_find(const void *fdt, const char *name, u64 *start, u64 *size)
{
	const char *why = NULL;

	return reserve_mem_kho_find(fdt, MK_FDT_SIZE, name, start, size, &why);
}

static void reserve_mem_kho_round_trip_test(struct kunit *test)
{
	void *fdt = mk_buf(test);
	unsigned int i;
	u64 start, size;

	KUNIT_ASSERT_EQ(test, reserve_mem_kho_write(fdt, MK_FDT_SIZE,
						    mk_regions,
						    ARRAY_SIZE(mk_regions)), 0);
	for (i = 0; i < ARRAY_SIZE(mk_regions); i++) {
		start = 0;
		size = 0;
		KUNIT_EXPECT_EQ(test, mk_find(fdt, mk_regions[i].name, &start,
					      &size), 0);
		KUNIT_EXPECT_EQ(test, start, mk_regions[i].start);
		KUNIT_EXPECT_EQ(test, size, mk_regions[i].size);
	}
	KUNIT_EXPECT_EQ(test, fdt_node_check_compatible(fdt, 0, "memblock-v1"),
			0);
	KUNIT_EXPECT_EQ(test, mk_find(fdt, "pstore", &start, &size), -ENOENT);
}

static void reserve_mem_kho_empty_test(struct kunit *test)
{
	void *fdt = mk_buf(test);
	u64 start, size;

	KUNIT_ASSERT_EQ(test, reserve_mem_kho_write(fdt, MK_FDT_SIZE, NULL, 0),
			0);
	KUNIT_EXPECT_EQ(test, mk_find(fdt, "trace", &start, &size), -ENOENT);
}

static void reserve_mem_kho_write_refuses_test(struct kunit *test)
{
	struct reserve_mem_kho_region r[2] = { mk_regions[0], mk_regions[2] };
	void *fdt = mk_buf(test);

	r[1].name = "trace";
	KUNIT_EXPECT_EQ(test, reserve_mem_kho_write(fdt, MK_FDT_SIZE, r, 2),
			-EINVAL);
	r[1].name = "a/b";
	KUNIT_EXPECT_EQ(test, reserve_mem_kho_write(fdt, MK_FDT_SIZE, r, 2),
			-EINVAL);
	r[1] = mk_regions[2];
	r[1].size = 0;
	KUNIT_EXPECT_EQ(test, reserve_mem_kho_write(fdt, MK_FDT_SIZE, r, 2),
			-EINVAL);
	r[1].size = 2;
	r[1].start = U64_MAX;
	KUNIT_EXPECT_EQ(test, reserve_mem_kho_write(fdt, MK_FDT_SIZE, r, 2),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, reserve_mem_kho_write(fdt, 64, mk_regions,
						    ARRAY_SIZE(mk_regions)),
			-ENOSPC);
}

static void reserve_mem_kho_name_test(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, reserve_mem_kho_name_ok("trace"));
	KUNIT_EXPECT_TRUE(test, reserve_mem_kho_name_ok("a,b._+-Z9"));
	KUNIT_EXPECT_TRUE(test, reserve_mem_kho_name_ok("fifteen_chars_x"));
	KUNIT_EXPECT_FALSE(test, reserve_mem_kho_name_ok("sixteen_chars_xy"));
	KUNIT_EXPECT_FALSE(test, reserve_mem_kho_name_ok(""));
	KUNIT_EXPECT_FALSE(test, reserve_mem_kho_name_ok("trace@0"));
	KUNIT_EXPECT_FALSE(test, reserve_mem_kho_name_ok("a/b"));
	KUNIT_EXPECT_FALSE(test, reserve_mem_kho_name_ok("a b"));
}

/* Only a node called exactly by the name counts. */
static void reserve_mem_kho_exact_name_test(struct kunit *test)
{
	static const struct mk_node nodes[] = {
		{ "trace@1000", "reserve-mem-v1", 8, 0x1000, 4096 },
		{ "tracer", "reserve-mem-v1", 8, 0x2000, 4096 },
		{ "trac", "reserve-mem-v1", 8, 0x3000, 4096 },
	};
	void *fdt = mk_fdt(test, "memblock-v1", nodes, ARRAY_SIZE(nodes));
	u64 start, size;

	KUNIT_EXPECT_EQ(test, mk_find(fdt, "trace", &start, &size), -ENOENT);
	KUNIT_EXPECT_EQ(test, mk_find(fdt, "tracer", &start, &size), 0);
	KUNIT_EXPECT_EQ(test, start, 0x2000);
}

static void reserve_mem_kho_duplicate_test(struct kunit *test)
{
	static const struct mk_node nodes[] = {
		{ "trace", "reserve-mem-v1", 8, 0x1000, 4096 },
		{ "other", "reserve-mem-v1", 8, 0x8000, 4096 },
		{ "trace", "reserve-mem-v1", 8, 0x2000, 4096 },
	};
	void *fdt = mk_fdt(test, "memblock-v1", nodes, ARRAY_SIZE(nodes));
	u64 start = 0, size = 0;

	KUNIT_EXPECT_EQ(test, mk_find(fdt, "trace", &start, &size), -EEXIST);
	KUNIT_EXPECT_EQ(test, start, 0);
	KUNIT_EXPECT_EQ(test, mk_find(fdt, "other", &start, &size), 0);
}

static void reserve_mem_kho_compatible_test(struct kunit *test)
{
	static const struct mk_node good[] = {
		{ "trace", "reserve-mem-v1", 8, 0x1000, 4096 },
	};
	static const struct mk_node bad[] = {
		{ "trace", "reserve-mem-v2", 8, 0x1000, 4096 },
		{ "nocompat", NULL, 8, 0x1000, 4096 },
	};
	void *fdt;
	u64 start, size;

	fdt = mk_fdt(test, "memblock-v2", good, ARRAY_SIZE(good));
	KUNIT_EXPECT_EQ(test, mk_find(fdt, "trace", &start, &size), -EINVAL);
	fdt = mk_fdt(test, "memblock-v1", bad, ARRAY_SIZE(bad));
	KUNIT_EXPECT_EQ(test, mk_find(fdt, "trace", &start, &size), -EINVAL);
	KUNIT_EXPECT_EQ(test, mk_find(fdt, "nocompat", &start, &size),
			-EINVAL);
}

static void reserve_mem_kho_props_test(struct kunit *test)
{
	static const struct mk_node nodes[] = {
		{ "short", "reserve-mem-v1", 4, 0x1000, 4096 },
		{ "nostart", "reserve-mem-v1", 0, 0, 4096 },
		{ "empty", "reserve-mem-v1", 8, 0x1000, 0 },
		{ "wraps", "reserve-mem-v1", 8, U64_MAX - 4095, 4096 },
		{ "ends", "reserve-mem-v1", 8, U64_MAX - 4096, 4096 },
	};
	void *fdt = mk_fdt(test, "memblock-v1", nodes, ARRAY_SIZE(nodes));
	u64 start, size;

	KUNIT_EXPECT_EQ(test, mk_find(fdt, "short", &start, &size), -EINVAL);
	KUNIT_EXPECT_EQ(test, mk_find(fdt, "nostart", &start, &size), -EINVAL);
	KUNIT_EXPECT_EQ(test, mk_find(fdt, "empty", &start, &size), -EINVAL);
	KUNIT_EXPECT_EQ(test, mk_find(fdt, "wraps", &start, &size), -EINVAL);
	KUNIT_EXPECT_EQ(test, mk_find(fdt, "ends", &start, &size), 0);
	KUNIT_EXPECT_EQ(test, start, U64_MAX - 4096);
}

/* A header that is not one, or an FDT larger than what may be read. */
static void reserve_mem_kho_header_test(struct kunit *test)
{
	void *fdt = mk_buf(test);
	const char *why = NULL;
	u64 start, size;

	KUNIT_ASSERT_EQ(test, reserve_mem_kho_write(fdt, MK_FDT_SIZE,
						    mk_regions, 1), 0);
	KUNIT_EXPECT_EQ(test, reserve_mem_kho_find(fdt, fdt_totalsize(fdt),
						   "trace", &start, &size,
						   &why), 0);
	KUNIT_EXPECT_EQ(test, reserve_mem_kho_find(fdt, fdt_totalsize(fdt) - 1,
						   "trace", &start, &size,
						   &why), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, why);
	KUNIT_EXPECT_EQ(test, reserve_mem_kho_find(fdt, 16, "trace", &start,
						   &size, &why), -EINVAL);
	fdt_set_magic(fdt, 0x12345678);
	KUNIT_EXPECT_EQ(test, mk_find(fdt, "trace", &start, &size), -EINVAL);
}

static struct kunit_case reserve_mem_kho_test_cases[] = {
	KUNIT_CASE(reserve_mem_kho_round_trip_test),
	KUNIT_CASE(reserve_mem_kho_empty_test),
	KUNIT_CASE(reserve_mem_kho_write_refuses_test),
	KUNIT_CASE(reserve_mem_kho_name_test),
	KUNIT_CASE(reserve_mem_kho_exact_name_test),
	KUNIT_CASE(reserve_mem_kho_duplicate_test),
	KUNIT_CASE(reserve_mem_kho_compatible_test),
	KUNIT_CASE(reserve_mem_kho_props_test),
	KUNIT_CASE(reserve_mem_kho_header_test),
	{}
};

static struct kunit_suite reserve_mem_kho_test_suite = {
	.name = "reserve_mem_kho",
	.test_cases = reserve_mem_kho_test_cases,
};

kunit_test_suite(reserve_mem_kho_test_suite);

MODULE_DESCRIPTION("KUnit tests of the reserve_mem handover format");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
