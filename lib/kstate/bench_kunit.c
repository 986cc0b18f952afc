// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit benchmark of KSTATE against hand-written FDT properties.
 *
 * 10,000 instances of a device-state struct of 40 fields (scalars of every
 * width, a string, a buffer, fixed arrays, a nested struct, a fixed array
 * of structs and a variable array of structs) are saved and loaded:
 *
 * - with KSTATE: kstate_write_stream() of a registry holding them all, then
 *   kstate_in_open() (which builds the index) and kstate_in_restore() of
 *   each one by id;
 * - as a driver would write them without KSTATE: one FDT node per
 *   instance, one property per field (libfdt's sequential-write API), and
 *   back with fdt_getprop() per field, walking the nodes in order.
 *
 * It prints the time per instance, the bytes per instance, and how the
 * stream compares to the fields it carries.  Only correctness is asserted;
 * the figures are printed, never tested.
 */
#include <kunit/test.h>
#include <linux/dma-mapping.h>
#include <linux/ktime.h>
#include <linux/libfdt.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <linux/vmalloc.h>

#include "kstate_internal.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define KB_NR		10000
#define KB_MSIX_MAX	32

struct kb_bar {
	u64 start;
	u64 size;
	u32 flags;
	u8 index;
	bool mapped;
};

struct kb_msix {
	u64 addr;
	u32 data;
	u32 ctrl;
};

struct kb_link {
	u8 speed;
	u8 width;
	u16 status;
	u32 caps;
};

struct kb_dev {
	u32 devid;
	u16 vendor;
	u16 device;
	u16 subsys_vendor;
	u16 subsys_device;
	u8 revision;
	u8 irq_pin;
	u8 irq_line;
	u8 cache_line;
	u8 latency;
	u8 class_code[3];
	u16 command;
	u16 status;
	u32 state;
	u32 flags;
	u64 features;
	u64 driver_features;
	u64 dma_mask;
	u64 coherent_dma_mask;
	s32 numa_node;
	s32 power_state;
	bool enabled;
	bool bus_master;
	bool intx_masked;
	bool reset_pending;
	char name[16];
	struct kb_bar bars[6];
	struct kb_link link;
	u32 nr_msix;
	struct kb_msix msix[KB_MSIX_MAX];
	u32 pcie_cap[15];
	u64 iommu_domain;
	u32 pasid;
	u32 group_id;
	u64 counters[8];
	u8 cfg[64];
	u64 last_reset_ns;
	u32 err_count;
	u16 aer_mask;
	bool msi_enabled;
};

static const struct kstate_field kb_bar_fields[] = {
	KSTATE_U64(struct kb_bar, start, 1),
	KSTATE_U64(struct kb_bar, size, 1),
	KSTATE_U32(struct kb_bar, flags, 1),
	KSTATE_U8(struct kb_bar, index, 1),
	KSTATE_BOOL(struct kb_bar, mapped, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description kb_bar_desc = {
	.name = "bench,bar", .version_id = 1, .size = sizeof(struct kb_bar),
	.fields = kb_bar_fields,
};

static const struct kstate_field kb_msix_fields[] = {
	KSTATE_U64(struct kb_msix, addr, 1),
	KSTATE_U32(struct kb_msix, data, 1),
	KSTATE_U32(struct kb_msix, ctrl, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description kb_msix_desc = {
	.name = "bench,msix", .version_id = 1, .size = sizeof(struct kb_msix),
	.fields = kb_msix_fields,
};

static const struct kstate_field kb_link_fields[] = {
	KSTATE_U8(struct kb_link, speed, 1),
	KSTATE_U8(struct kb_link, width, 1),
	KSTATE_U16(struct kb_link, status, 1),
	KSTATE_U32(struct kb_link, caps, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description kb_link_desc = {
	.name = "bench,link", .version_id = 1, .size = sizeof(struct kb_link),
	.fields = kb_link_fields,
};

static const struct kstate_field kb_dev_fields[] = {
	KSTATE_SCALAR_RULE(struct kb_dev, devid, KSTATE_U32, u32, 1,
			   KSTATE_MUST_EQUAL),
	KSTATE_U16(struct kb_dev, vendor, 1),
	KSTATE_U16(struct kb_dev, device, 1),
	KSTATE_U16(struct kb_dev, subsys_vendor, 1),
	KSTATE_U16(struct kb_dev, subsys_device, 1),
	KSTATE_U8(struct kb_dev, revision, 1),
	KSTATE_U8(struct kb_dev, irq_pin, 1),
	KSTATE_U8(struct kb_dev, irq_line, 1),
	KSTATE_U8(struct kb_dev, cache_line, 1),
	KSTATE_U8(struct kb_dev, latency, 1),
	KSTATE_ARRAY(struct kb_dev, class_code, KSTATE_U8, 1),
	KSTATE_U16(struct kb_dev, command, 1),
	KSTATE_U16(struct kb_dev, status, 1),
	KSTATE_U32(struct kb_dev, state, 1),
	KSTATE_U32(struct kb_dev, flags, 1),
	KSTATE_U64(struct kb_dev, features, 1),
	KSTATE_U64(struct kb_dev, driver_features, 1),
	KSTATE_U64(struct kb_dev, dma_mask, 1),
	KSTATE_U64(struct kb_dev, coherent_dma_mask, 1),
	KSTATE_S32(struct kb_dev, numa_node, 1),
	KSTATE_S32(struct kb_dev, power_state, 1),
	KSTATE_BOOL(struct kb_dev, enabled, 1),
	KSTATE_BOOL(struct kb_dev, bus_master, 1),
	KSTATE_BOOL(struct kb_dev, intx_masked, 1),
	KSTATE_BOOL(struct kb_dev, reset_pending, 1),
	KSTATE_STRING(struct kb_dev, name, 1),
	KSTATE_STRUCT_ARRAY(struct kb_dev, bars, &kb_bar_desc, 1),
	KSTATE_STRUCT(struct kb_dev, link, &kb_link_desc, 1),
	KSTATE_U32(struct kb_dev, nr_msix, 1),
	KSTATE_VARRAY(struct kb_dev, msix, nr_msix, KSTATE_STRUCT,
		      &kb_msix_desc, 1),
	KSTATE_ARRAY(struct kb_dev, pcie_cap, KSTATE_U32, 1),
	KSTATE_U64(struct kb_dev, iommu_domain, 1),
	KSTATE_U32(struct kb_dev, pasid, 1),
	KSTATE_U32(struct kb_dev, group_id, 1),
	KSTATE_ARRAY(struct kb_dev, counters, KSTATE_U64, 1),
	KSTATE_BUFFER(struct kb_dev, cfg, 1),
	KSTATE_U64(struct kb_dev, last_reset_ns, 1),
	KSTATE_U32(struct kb_dev, err_count, 1),
	KSTATE_U16(struct kb_dev, aer_mask, 1),
	KSTATE_BOOL(struct kb_dev, msi_enabled, 1),
	KSTATE_END_OF_LIST()
};

static const struct kstate_description kb_dev_desc = {
	.name = "bench,device",
	.version_id = 1,
	.size = sizeof(struct kb_dev),
	.fields = kb_dev_fields,
};

static u64 kb_id(unsigned int i)
{
	return 0x80860000ULL | (i * 8 + 1);
}

static void kb_fill(struct kb_dev *d, unsigned int i)
{
	unsigned int j;

	d->devid = kb_id(i);
	d->vendor = 0x8086;
	d->device = 0x1500 + i % 64;
	d->subsys_vendor = 0x8086;
	d->subsys_device = i;
	d->revision = i % 7;
	d->irq_pin = 1;
	d->irq_line = 16 + i % 8;
	d->cache_line = 16;
	d->latency = 0;
	d->class_code[0] = 2;
	d->class_code[2] = i % 3;
	d->command = 0x406;
	d->status = 0x10;
	d->state = 3;
	d->flags = i * 0x9e3779b9;
	d->features = 0xfff0000ffULL * i;
	d->driver_features = ~0ULL - i;
	d->dma_mask = DMA_BIT_MASK(64);
	d->coherent_dma_mask = DMA_BIT_MASK(48);
	d->numa_node = i % 2;
	d->power_state = -1 + (i % 4);
	d->enabled = true;
	d->bus_master = i & 1;
	d->reset_pending = !(i % 5);
	snprintf(d->name, sizeof(d->name), "0000:%02x:%02x.%u", i >> 8 & 0xff,
		 i >> 3 & 0x1f, i & 7);
	for (j = 0; j < 6; j++) {
		d->bars[j].start = 0xf0000000ULL + ((u64)i << 20) + (j << 16);
		d->bars[j].size = j < 3 ? 0x10000 : 0;
		d->bars[j].flags = 0x40200;
		d->bars[j].index = j;
		d->bars[j].mapped = j < 3;
	}
	d->link.speed = 4;
	d->link.width = 16;
	d->link.status = 0x1044;
	d->link.caps = 0x7f;
	d->nr_msix = 8 + i % 17;
	for (j = 0; j < d->nr_msix; j++) {
		d->msix[j].addr = 0xfee00000ULL | (j << 12);
		d->msix[j].data = 0x4000 + j;
		d->msix[j].ctrl = j & 1;
	}
	for (j = 0; j < 15; j++)
		d->pcie_cap[j] = i ^ (j << 24);
	d->iommu_domain = 0xffff888000000000ULL + i * 0x1000;
	d->pasid = i;
	d->group_id = i / 4;
	for (j = 0; j < 8; j++)
		d->counters[j] = (u64)i * 1000003 * (j + 1);
	for (j = 0; j < 64; j++)
		d->cfg[j] = i + j;
	d->last_reset_ns = 1000000000ULL * i;
	d->err_count = i % 3;
	d->aer_mask = 0x2000;
	d->msi_enabled = true;
}

/* Bytes of field data an instance carries, as the table describes it. */
static size_t kb_payload(const struct kstate_description *d, const void *obj)
{
	const struct kstate_field *f;
	size_t n = 0;
	u32 i, cnt;

	for (f = d->fields; f->kind != KSTATE_KIND_NONE; f++) {
		switch (f->kind) {
		case KSTATE_STRING:
			n += strlen(obj + f->offset);
			break;
		case KSTATE_STRUCT:
			n += kb_payload(f->desc, obj + f->offset);
			break;
		case KSTATE_ARRAY:
		case KSTATE_VARRAY:
			cnt = f->kind == KSTATE_ARRAY ? f->count :
			      *(const u32 *)(obj + f->len_offset);
			for (i = 0; i < cnt; i++)
				n += f->elem == KSTATE_STRUCT ?
				     kb_payload(f->desc, obj + f->offset +
						i * f->size) : f->size;
			break;
		default:
			n += f->size;
			break;
		}
	}
	return n;
}

/* ---- the FDT a driver would write by hand -------------------------------- */

#define KB_P32(name, v)	(err = err ?: fdt_property_u32(fdt, name, v))
#define KB_P64(name, v)	(err = err ?: fdt_property_u64(fdt, name, v))

static int kb_fdt_save_one(void *fdt, const struct kb_dev *d)
{
	char node[24];
	fdt32_t cells[15];
	fdt64_t cnt[8];
	u32 j;
	int err;

	snprintf(node, sizeof(node), "dev@%x", d->devid);
	err = fdt_begin_node(fdt, node);
	KB_P32("devid", d->devid);
	KB_P32("vendor", d->vendor);
	KB_P32("device", d->device);
	KB_P32("subsys-vendor", d->subsys_vendor);
	KB_P32("subsys-device", d->subsys_device);
	KB_P32("revision", d->revision);
	KB_P32("irq-pin", d->irq_pin);
	KB_P32("irq-line", d->irq_line);
	KB_P32("cache-line", d->cache_line);
	KB_P32("latency", d->latency);
	err = err ?: fdt_property(fdt, "class-code", d->class_code, 3);
	KB_P32("command", d->command);
	KB_P32("status", d->status);
	KB_P32("state", d->state);
	KB_P32("flags", d->flags);
	KB_P64("features", d->features);
	KB_P64("driver-features", d->driver_features);
	KB_P64("dma-mask", d->dma_mask);
	KB_P64("coherent-dma-mask", d->coherent_dma_mask);
	KB_P32("numa-node", d->numa_node);
	KB_P32("power-state", d->power_state);
	KB_P32("enabled", d->enabled);
	KB_P32("bus-master", d->bus_master);
	KB_P32("intx-masked", d->intx_masked);
	KB_P32("reset-pending", d->reset_pending);
	err = err ?: fdt_property_string(fdt, "name", d->name);
	KB_P32("nr-msix", d->nr_msix);
	for (j = 0; j < 15; j++)
		cells[j] = cpu_to_fdt32(d->pcie_cap[j]);
	err = err ?: fdt_property(fdt, "pcie-cap", cells, sizeof(cells));
	KB_P64("iommu-domain", d->iommu_domain);
	KB_P32("pasid", d->pasid);
	KB_P32("group-id", d->group_id);
	for (j = 0; j < 8; j++)
		cnt[j] = cpu_to_fdt64(d->counters[j]);
	err = err ?: fdt_property(fdt, "counters", cnt, sizeof(cnt));
	err = err ?: fdt_property(fdt, "cfg", d->cfg, sizeof(d->cfg));
	KB_P64("last-reset-ns", d->last_reset_ns);
	KB_P32("err-count", d->err_count);
	KB_P32("aer-mask", d->aer_mask);
	KB_P32("msi-enabled", d->msi_enabled);
	/* subnodes come after every property of their parent */
	for (j = 0; j < 6; j++) {
		snprintf(node, sizeof(node), "bar@%u", j);
		err = err ?: fdt_begin_node(fdt, node);
		KB_P64("start", d->bars[j].start);
		KB_P64("size", d->bars[j].size);
		KB_P32("flags", d->bars[j].flags);
		KB_P32("index", d->bars[j].index);
		KB_P32("mapped", d->bars[j].mapped);
		err = err ?: fdt_end_node(fdt);
	}
	err = err ?: fdt_begin_node(fdt, "link");
	KB_P32("speed", d->link.speed);
	KB_P32("width", d->link.width);
	KB_P32("status", d->link.status);
	KB_P32("caps", d->link.caps);
	err = err ?: fdt_end_node(fdt);
	for (j = 0; j < d->nr_msix; j++) {
		snprintf(node, sizeof(node), "msix@%u", j);
		err = err ?: fdt_begin_node(fdt, node);
		KB_P64("addr", d->msix[j].addr);
		KB_P32("data", d->msix[j].data);
		KB_P32("ctrl", d->msix[j].ctrl);
		err = err ?: fdt_end_node(fdt);
	}
	return err ?: fdt_end_node(fdt);
}

static bool kb_get(const void *fdt, int node, const char *name, void *buf,
		   int len)
{
	int plen;
	const void *p = fdt_getprop(fdt, node, name, &plen);

	if (!p || plen != len)
		return false;
	memcpy(buf, p, len);
	return true;
}

static bool kb_u32(const void *fdt, int node, const char *name, u32 *v)
{
	fdt32_t x;

	if (!kb_get(fdt, node, name, &x, sizeof(x)))
		return false;
	*v = fdt32_to_cpu(x);
	return true;
}

static bool kb_u64(const void *fdt, int node, const char *name, u64 *v)
{
	fdt64_t x;

	if (!kb_get(fdt, node, name, &x, sizeof(x)))
		return false;
	*v = fdt64_to_cpu(x);
	return true;
}

/* Narrow fields through a u32, as a hand-written loader would. */
#define KB_G32(name, field)						\
	(ok = ok && kb_u32(fdt, node, name, &v) && (((field) = v), true))
#define KB_G64(name, field)						\
	(ok = ok && kb_u64(fdt, node, name, &(field)))

static bool kb_fdt_load_one(const void *fdt, int dnode, struct kb_dev *d)
{
	fdt32_t cells[15];
	fdt64_t cnt[8];
	const char *s;
	char name[24];
	bool ok = true;
	int node = dnode, len;
	u32 v, j;

	KB_G32("devid", d->devid);
	KB_G32("vendor", d->vendor);
	KB_G32("device", d->device);
	KB_G32("subsys-vendor", d->subsys_vendor);
	KB_G32("subsys-device", d->subsys_device);
	KB_G32("revision", d->revision);
	KB_G32("irq-pin", d->irq_pin);
	KB_G32("irq-line", d->irq_line);
	KB_G32("cache-line", d->cache_line);
	KB_G32("latency", d->latency);
	ok = ok && kb_get(fdt, node, "class-code", d->class_code, 3);
	KB_G32("command", d->command);
	KB_G32("status", d->status);
	KB_G32("state", d->state);
	KB_G32("flags", d->flags);
	KB_G64("features", d->features);
	KB_G64("driver-features", d->driver_features);
	KB_G64("dma-mask", d->dma_mask);
	KB_G64("coherent-dma-mask", d->coherent_dma_mask);
	KB_G32("numa-node", d->numa_node);
	KB_G32("power-state", d->power_state);
	KB_G32("enabled", d->enabled);
	KB_G32("bus-master", d->bus_master);
	KB_G32("intx-masked", d->intx_masked);
	KB_G32("reset-pending", d->reset_pending);
	s = ok ? fdt_getprop(fdt, node, "name", &len) : NULL;
	ok = s && len <= sizeof(d->name) && s[len - 1] == '\0';
	if (ok)
		memcpy(d->name, s, len);
	for (j = 0; ok && j < 6; j++) {
		snprintf(name, sizeof(name), "bar@%u", j);
		node = fdt_subnode_offset(fdt, dnode, name);
		ok = node >= 0;
		KB_G64("start", d->bars[j].start);
		KB_G64("size", d->bars[j].size);
		KB_G32("flags", d->bars[j].flags);
		KB_G32("index", d->bars[j].index);
		KB_G32("mapped", d->bars[j].mapped);
	}
	node = ok ? fdt_subnode_offset(fdt, dnode, "link") : -1;
	ok = ok && node >= 0;
	KB_G32("speed", d->link.speed);
	KB_G32("width", d->link.width);
	KB_G32("status", d->link.status);
	KB_G32("caps", d->link.caps);
	node = dnode;
	KB_G32("nr-msix", d->nr_msix);
	ok = ok && d->nr_msix <= KB_MSIX_MAX;
	for (j = 0; ok && j < d->nr_msix; j++) {
		snprintf(name, sizeof(name), "msix@%u", j);
		node = fdt_subnode_offset(fdt, dnode, name);
		ok = node >= 0;
		KB_G64("addr", d->msix[j].addr);
		KB_G32("data", d->msix[j].data);
		KB_G32("ctrl", d->msix[j].ctrl);
	}
	node = dnode;
	ok = ok && kb_get(fdt, node, "pcie-cap", cells, sizeof(cells));
	for (j = 0; ok && j < 15; j++)
		d->pcie_cap[j] = fdt32_to_cpu(cells[j]);
	KB_G64("iommu-domain", d->iommu_domain);
	KB_G32("pasid", d->pasid);
	KB_G32("group-id", d->group_id);
	ok = ok && kb_get(fdt, node, "counters", cnt, sizeof(cnt));
	for (j = 0; ok && j < 8; j++)
		d->counters[j] = fdt64_to_cpu(cnt[j]);
	ok = ok && kb_get(fdt, node, "cfg", d->cfg, sizeof(d->cfg));
	KB_G64("last-reset-ns", d->last_reset_ns);
	KB_G32("err-count", d->err_count);
	KB_G32("aer-mask", d->aer_mask);
	KB_G32("msi-enabled", d->msi_enabled);
	return ok;
}

/* ---- the benchmark ------------------------------------------------------- */

static u64 kb_per(u64 ns)
{
	return div_u64(ns, KB_NR);
}

/* @a / @b in tenths */
static u64 kb_ratio10(u64 a, u64 b)
{
	return div64_u64(a * 10, max_t(u64, b, 1));
}

static void kstate_bench_vs_fdt(struct kunit *test)
{
	struct kb_dev *src, *dst;
	struct kstate_out *out;
	struct kstate_writer *w;
	struct kstate_in *in;
	size_t fdt_cap = SZ_64M, payload = 0, table, fdt_size;
	u64 t0, ks_save, ks_open, ks_load, fdt_save, fdt_load, fdt_lookup;
	void *stream, *fdt;
	const u8 *p;
	unsigned int i, bad = 0;
	int node, err;

	src = vzalloc(array_size(KB_NR, sizeof(*src)));
	dst = vzalloc(array_size(KB_NR, sizeof(*dst)));
	out = kzalloc(sizeof(*out), GFP_KERNEL);
	w = kzalloc(sizeof(*w), GFP_KERNEL);
	in = kzalloc(sizeof(*in), GFP_KERNEL);
	fdt = vmalloc(fdt_cap);
	KUNIT_ASSERT_TRUE(test, src && dst && out && w && in && fdt);

	kstate_out_init(out);
	for (i = 0; i < KB_NR; i++) {
		kb_fill(&src[i], i);
		payload += kb_payload(&kb_dev_desc, &src[i]);
		KUNIT_ASSERT_EQ(test, 0, kstate_out_add(out, &kb_dev_desc,
							&src[i], kb_id(i)));
	}

	/* KSTATE */
	kstate_writer_init(w, &kstate_nomem_ops);
	t0 = ktime_get_ns();
	err = kstate_write_stream(w, out);
	ks_save = ktime_get_ns() - t0;
	KUNIT_ASSERT_EQ(test, 0, err);
	stream = kstate_writer_linearize(w);
	KUNIT_ASSERT_NOT_NULL(test, stream);
	/* the shared part: the header and the tables before the first INST */
	for (p = stream + sizeof(struct kstate_stream_hdr); *p == KSTATE_REC_DESC;
	     p += KSTATE_REC_HDR_SIZE + get_unaligned_le32(p + 1))
		;
	table = p - (const u8 *)stream;

	kstate_in_init(in);
	t0 = ktime_get_ns();
	err = kstate_in_open(in, stream, w->size, &kstate_nomem_ops);
	ks_open = ktime_get_ns() - t0;
	KUNIT_ASSERT_EQ(test, 0, err);
	t0 = ktime_get_ns();
	for (i = KB_NR; i--; ) {
		dst[i].devid = kb_id(i);
		bad += !!kstate_in_restore(in, &kb_dev_desc, &dst[i], kb_id(i));
	}
	ks_load = ktime_get_ns() - t0;
	KUNIT_EXPECT_EQ(test, bad, 0);
	KUNIT_EXPECT_EQ(test, 0, memcmp(src, dst, array_size(KB_NR, sizeof(*src))));

	/* FDT */
	memset(dst, 0, array_size(KB_NR, sizeof(*dst)));
	t0 = ktime_get_ns();
	err = fdt_create(fdt, fdt_cap) ?: fdt_finish_reservemap(fdt) ?:
	      fdt_begin_node(fdt, "");
	for (i = 0; !err && i < KB_NR; i++)
		err = kb_fdt_save_one(fdt, &src[i]);
	err = err ?: fdt_end_node(fdt) ?: fdt_finish(fdt);
	fdt_save = ktime_get_ns() - t0;
	KUNIT_ASSERT_EQ(test, 0, err);
	fdt_size = fdt_totalsize(fdt);

	t0 = ktime_get_ns();
	i = 0;
	fdt_for_each_subnode(node, fdt, 0) {
		if (i >= KB_NR || !kb_fdt_load_one(fdt, node, &dst[i]))
			bad++;
		i++;
	}
	fdt_load = ktime_get_ns() - t0;
	KUNIT_EXPECT_EQ(test, bad, 0);
	KUNIT_EXPECT_EQ(test, i, KB_NR);
	KUNIT_EXPECT_EQ(test, 0, memcmp(src, dst, array_size(KB_NR, sizeof(*src))));

	/* finding one node by id: a scan of its siblings */
	t0 = ktime_get_ns();
	for (i = 0; i < 100; i++) {
		char name[24];

		snprintf(name, sizeof(name), "dev@%x",
			 (u32)kb_id(i * (KB_NR / 100) + KB_NR / 200));
		bad += fdt_subnode_offset(fdt, 0, name) < 0;
	}
	fdt_lookup = div_u64(ktime_get_ns() - t0, 100);
	KUNIT_EXPECT_EQ(test, bad, 0);

	kunit_info(test, "KSTATE vs FDT: %u instances of a %zu-byte struct with 40 fields (payload %zu bytes per instance)\n",
		   KB_NR, sizeof(struct kb_dev), payload / KB_NR);
	kunit_info(test, "%-36s %10s %10s %8s %s\n", "", "KSTATE", "FDT",
		   "ratio", "target");
	kunit_info(test, "%-36s %10llu %10llu %5llu.%llux %s\n",
		   "save, ns per instance", kb_per(ks_save), kb_per(fdt_save),
		   kb_ratio10(fdt_save, ks_save) / 10,
		   kb_ratio10(fdt_save, ks_save) % 10,
		   fdt_save >= 3 * ks_save ? ">= 3x: met" : ">= 3x: MISSED");
	kunit_info(test, "%-36s %10llu %10llu %5llu.%llux %s\n",
		   "load, ns per instance", kb_per(ks_open + ks_load),
		   kb_per(fdt_load),
		   kb_ratio10(fdt_load, ks_open + ks_load) / 10,
		   kb_ratio10(fdt_load, ks_open + ks_load) % 10,
		   fdt_load >= 3 * (ks_open + ks_load) ? ">= 3x: met" :
							">= 3x: MISSED");
	kunit_info(test, "%-36s %10llu %10s\n", "  of which index build, ns per inst",
		   kb_per(ks_open), "-");
	kunit_info(test, "%-36s %10s %10llu %8s (by name; KSTATE finds by id in the index)\n",
		   "  FDT node lookup by id, ns", "-", fdt_lookup, "");
	kunit_info(test, "%-36s %10zu %10zu %7zu%% %s\n",
		   "bytes per instance", w->size / KB_NR, fdt_size / KB_NR,
		   w->size * 100 / fdt_size,
		   2 * w->size <= fdt_size ? "<= 50%: met" : "<= 50%: MISSED");
	kunit_info(test, "%-36s %10zu %10s\n", "  shared tables, bytes once", table,
		   "-");
	kunit_info(test, "%-36s %10zu %10zu\n", "  raw struct (sizeof) / payload",
		   sizeof(struct kb_dev), payload / KB_NR);
	kunit_info(test, "%-36s %9zu%% %10s %8s %s\n",
		   "overhead beyond the payload",
		   ((w->size - table) - payload) * 100 / payload, "", "",
		   ((w->size - table) - payload) * 10 <= payload ?
		   "<= 10%: met" : "<= 10%: MISSED");

	kstate_in_close(in);
	kvfree(stream);
	kstate_writer_destroy(w);
	kstate_out_destroy(out);
	vfree(fdt);
	vfree(src);
	vfree(dst);
	kfree(out);
	kfree(w);
	kfree(in);
}

static struct kunit_case kstate_bench_cases[] = {
	KUNIT_CASE_SLOW(kstate_bench_vs_fdt),
	{}
};

static struct kunit_suite kstate_bench_suite = {
	.name = "kstate_bench",
	.test_cases = kstate_bench_cases,
};

kunit_test_suite(kstate_bench_suite);

MODULE_DESCRIPTION("KUnit benchmark of KSTATE against FDT properties");
MODULE_LICENSE("GPL");
