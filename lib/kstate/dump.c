// SPDX-License-Identifier: GPL-2.0-only
/*
 * KSTATE: render a saved stream as YAML-like text.
 *
 * The dump reads only the stream: its saved tables say how to decode every
 * instance, so it works for descriptions the running kernel does not know.
 * It is as careful as a restore; a malformed instance is reported with an
 * "error:" line and the dump goes on with the next one.
 */
#include <kunit/visibility.h>
#include <linux/ctype.h>
#include <linux/seq_buf.h>
#include <linux/slab.h>
#include <linux/unaligned.h>

#include "kstate_internal.h"

struct kstate_dumper {
	struct seq_buf *s;
	struct kstate_in *in;
	const char *err;
	u32 stack[KSTATE_MAX_DEPTH + 1];	/* the tables being dumped */
	unsigned int nr_stack;
};

static bool kstate_dget(struct kstate_dumper *dd, struct kstate_reader *r,
			void *buf, size_t len)
{
	if (len > (size_t)(r->end - r->p)) {
		dd->err = "truncated";
		return false;
	}
	if (buf)
		memcpy(buf, r->p, len);
	r->p += len;
	return true;
}

static bool kstate_dget32(struct kstate_dumper *dd, struct kstate_reader *r,
			  u32 *v)
{
	__le32 x;

	if (!kstate_dget(dd, r, &x, sizeof(x)))
		return false;
	*v = le32_to_cpu(x);
	return true;
}

static void kstate_indent(struct kstate_dumper *dd, int indent)
{
	seq_buf_printf(dd->s, "%*s", indent, "");
}

static bool kstate_dump_scalar(struct kstate_dumper *dd,
			       struct kstate_reader *r, unsigned int kind,
			       unsigned int size)
{
	u8 buf[8] = {};
	u64 v;

	if (!kstate_dget(dd, r, buf, size))
		return false;
	v = get_unaligned_le64(buf);
	if (kind == KSTATE_BOOL)
		seq_buf_printf(dd->s, v == 1 ? "true" : v ? "%llu" : "false", v);
	else if (kind >= KSTATE_S8 && kind <= KSTATE_S64)
		seq_buf_printf(dd->s, "%lld",
			       size < 8 ? sign_extend64(v, size * 8 - 1) : (s64)v);
	else
		seq_buf_printf(dd->s, "%llu", v);
	return true;
}

static bool kstate_dump_bytes(struct kstate_dumper *dd,
			      struct kstate_reader *r, bool string)
{
	const u8 *p;
	u32 len, i;

	if (!kstate_dget32(dd, r, &len))
		return false;
	p = r->p;
	if (!kstate_dget(dd, r, NULL, len))
		return false;
	if (!string) {
		seq_buf_puts(dd->s, "!hex \"");
		for (i = 0; i < len; i++)
			seq_buf_printf(dd->s, "%02x", p[i]);
		seq_buf_putc(dd->s, '"');
		return true;
	}
	seq_buf_putc(dd->s, '"');
	for (i = 0; i < len; i++) {
		if (p[i] == '"' || p[i] == '\\')
			seq_buf_printf(dd->s, "\\%c", p[i]);
		else if (isprint(p[i]))
			seq_buf_putc(dd->s, p[i]);
		else
			seq_buf_printf(dd->s, "\\x%02x", p[i]);
	}
	seq_buf_putc(dd->s, '"');
	return true;
}

static bool kstate_dump_struct(struct kstate_dumper *dd,
			       struct kstate_reader *r, u32 sdi, int indent,
			       int depth);
static bool kstate_dump_fields(struct kstate_dumper *dd,
			       struct kstate_reader *r, u32 sdi, int indent,
			       int depth);

static bool kstate_dump_elems(struct kstate_dumper *dd,
			      struct kstate_reader *r,
			      const struct kstate_sfield *sf, u32 n,
			      int indent, int depth)
{
	u32 i;

	if (!n) {
		seq_buf_puts(dd->s, " []\n");
		return true;
	}
	if (sf->elem != KSTATE_STRUCT) {
		if ((u64)n * sf->size > (size_t)(r->end - r->p)) {
			dd->err = "truncated";
			return false;
		}
		seq_buf_puts(dd->s, " [");
		for (i = 0; i < n; i++) {
			if (i)
				seq_buf_puts(dd->s, ", ");
			kstate_dump_scalar(dd, r, sf->elem, sf->size);
		}
		seq_buf_puts(dd->s, "]\n");
		return true;
	}
	seq_buf_putc(dd->s, '\n');
	for (i = 0; i < n; i++) {
		kstate_indent(dd, indent);
		seq_buf_puts(dd->s, "-\n");
		if (!kstate_dump_struct(dd, r, sf->desc, indent + 2, depth + 1))
			return false;
	}
	return true;
}

static bool kstate_dump_field(struct kstate_dumper *dd,
			      struct kstate_reader *r,
			      const struct kstate_sfield *sf, int indent,
			      int depth)
{
	u32 n, order_or_nr;
	u64 phys;
	u8 b;

	kstate_indent(dd, indent);
	seq_buf_printf(dd->s, "%.*s:", sf->name_len, sf->name);
	switch (sf->kind) {
	case KSTATE_U8 ... KSTATE_BOOL:
		seq_buf_putc(dd->s, ' ');
		if (!kstate_dump_scalar(dd, r, sf->kind, sf->size))
			return false;
		break;
	case KSTATE_STRING:
	case KSTATE_BUFFER:
	case KSTATE_CUSTOM:
		seq_buf_putc(dd->s, ' ');
		if (!kstate_dump_bytes(dd, r, sf->kind == KSTATE_STRING))
			return false;
		break;
	case KSTATE_STRUCT:
		seq_buf_putc(dd->s, '\n');
		return kstate_dump_struct(dd, r, sf->desc, indent + 2,
					  depth + 1);
	case KSTATE_ARRAY:
		return kstate_dump_elems(dd, r, sf, sf->count, indent + 2, depth);
	case KSTATE_VARRAY:
		return kstate_dget32(dd, r, &n) &&
		       kstate_dump_elems(dd, r, sf, n, indent + 2, depth);
	case KSTATE_PTR:
		if (!kstate_dget(dd, r, &b, 1))
			return false;
		if (!b) {
			seq_buf_puts(dd->s, " null\n");
			return true;
		}
		return kstate_dget32(dd, r, &n) &&
		       kstate_dump_elems(dd, r, sf, n, indent + 2, depth);
	case KSTATE_FOLIO:
	case KSTATE_PAGES:
		order_or_nr = 0;
		if (!kstate_dget(dd, r, &phys, 8) ||
		    !kstate_dget(dd, r, &order_or_nr,
				 sf->kind == KSTATE_FOLIO ? 1 : 4))
			return false;
		seq_buf_printf(dd->s, " {phys: %#llx, %s: %u}",
			       le64_to_cpu((__force __le64)phys),
			       sf->kind == KSTATE_FOLIO ? "order" : "pages",
			       le32_to_cpu((__force __le32)order_or_nr));
		break;
	default:
		dd->err = "unknown kind";
		return false;
	}
	seq_buf_putc(dd->s, '\n');
	return true;
}

static bool kstate_dump_struct(struct kstate_dumper *dd,
			       struct kstate_reader *r, u32 sdi, int indent,
			       int depth)
{
	unsigned int i;
	bool ok;

	if (depth > KSTATE_MAX_DEPTH || !dd->in->descs[sdi].valid) {
		dd->err = depth > KSTATE_MAX_DEPTH ? "nested too deep" :
						     "invalid table";
		return false;
	}
	/* As on load: a table inside itself is refused, not followed. */
	for (i = 0; i < dd->nr_stack; i++) {
		if (dd->stack[i] == sdi) {
			dd->err = "recursive table";
			return false;
		}
	}
	if (dd->nr_stack >= ARRAY_SIZE(dd->stack)) {
		dd->err = "nested too deep";
		return false;
	}
	dd->stack[dd->nr_stack++] = sdi;
	ok = kstate_dump_fields(dd, r, sdi, indent, depth);
	dd->nr_stack--;
	return ok;
}

static bool kstate_dump_fields(struct kstate_dumper *dd,
			       struct kstate_reader *r, u32 sdi, int indent,
			       int depth)
{
	struct kstate_sdesc *sd = &dd->in->descs[sdi];
	struct kstate_reader sub;
	u32 i, ssdi, len;
	u16 nr;

	for (i = 0; i < sd->nr_fields; i++)
		if (!kstate_dump_field(dd, r, &sd->fields[i], indent, depth))
			return false;
	if (!sd->nr_subs)
		return true;
	if (!kstate_dget(dd, r, &nr, 2))
		return false;
	nr = le16_to_cpu((__force __le16)nr);
	for (i = 0; i < nr; i++) {
		if (!kstate_dget32(dd, r, &ssdi) || !kstate_dget32(dd, r, &len))
			return false;
		sub.p = r->p;
		sub.end = r->p + len;
		if (!kstate_dget(dd, r, NULL, len))
			return false;
		if (ssdi >= dd->in->nr_descs || !dd->in->descs[ssdi].valid) {
			dd->err = "bad subsection";
			return false;
		}
		kstate_indent(dd, indent);
		seq_buf_printf(dd->s, "subsection \"%.*s\":\n",
			       dd->in->descs[ssdi].name_len,
			       dd->in->descs[ssdi].name);
		if (!kstate_dump_struct(dd, &sub, ssdi, indent + 2, depth + 1))
			return false;
	}
	return true;
}

static void kstate_dump_table(struct kstate_dumper *dd,
			      const struct kstate_sdesc *sd)
{
	struct seq_buf *s = dd->s;
	u32 i;

	if (!sd->name) {
		seq_buf_puts(s, "  - error: \"unreadable description\"\n");
		return;
	}
	seq_buf_printf(s, "  - name: \"%.*s\"\n", sd->name_len, sd->name);
	if (!sd->valid) {
		seq_buf_puts(s, "    error: \"invalid description\"\n");
		return;
	}
	seq_buf_printf(s, "    version: %u\n    min_version: %u\n",
		       sd->version, sd->min_version);
	if (sd->flags & KSTATE_DESC_OPTIONAL)
		seq_buf_puts(s, "    optional: true\n");
	seq_buf_puts(s, "    fields:\n");
	for (i = 0; i < sd->nr_fields; i++) {
		const struct kstate_sfield *sf = &sd->fields[i];

		seq_buf_printf(s, "      - {name: %.*s, kind: %s, rule: %s, version: %u, size: %u",
			       sf->name_len, sf->name,
			       kstate_kind_name(sf->kind),
			       kstate_rule_name(sf->rule), sf->version,
			       sf->size);
		if (sf->kind == KSTATE_ARRAY || sf->kind == KSTATE_VARRAY ||
		    sf->kind == KSTATE_PTR || sf->kind == KSTATE_PAGES)
			seq_buf_printf(s, ", count: %u", sf->count);
		if (sf->kind == KSTATE_ARRAY || sf->kind == KSTATE_VARRAY ||
		    sf->kind == KSTATE_PTR)
			seq_buf_printf(s, ", elem: %s",
				       kstate_kind_name(sf->elem));
		if (sf->desc != KSTATE_NO_DESC)
			seq_buf_printf(s, ", desc: \"%.*s\"",
				       dd->in->descs[sf->desc].name_len,
				       dd->in->descs[sf->desc].name ?: "");
		seq_buf_puts(s, "}\n");
	}
	for (i = 0; i < sd->nr_subs; i++)
		seq_buf_printf(s, "%s\"%.*s\"", i ? ", " : "    subsections: [",
			       dd->in->descs[sd->subs[i]].name_len,
			       dd->in->descs[sd->subs[i]].name ?: "");
	if (sd->nr_subs)
		seq_buf_puts(s, "]\n");
}

/**
 * kstate_in_dump() - render an opened stream as YAML-like text
 * @in: the stream.
 * @s: where to write.
 *
 * Context: Process context; takes @in->lock.
 * Return: 0; -ENOENT if @in holds no stream; -EOVERFLOW if @s is too small.
 */
int kstate_in_dump(struct kstate_in *in, struct seq_buf *s)
{
	struct kstate_dumper dd = { .s = s, .in = in };
	u32 i;

	mutex_lock(&in->lock);
	if (in->state != KSTATE_IN_OPEN) {
		mutex_unlock(&in->lock);
		return -ENOENT;
	}
	seq_buf_printf(s, "stream:\n  version: %u\n  size: %zu\n",
		       KSTATE_STREAM_VERSION, in->size);
	seq_buf_printf(s, "  descriptions: %u\n  instances: %u\n",
		       in->nr_descs, in->nr_index);
	seq_buf_puts(s, "descriptions:\n");
	for (i = 0; i < in->nr_descs; i++)
		kstate_dump_table(&dd, &in->descs[i]);
	seq_buf_puts(s, "instances:\n");
	for (i = 0; i < in->nr_index; i++) {
		const struct kstate_sinst *inst = &in->index[i];
		const struct kstate_sdesc *sd = &in->descs[inst->desc];
		struct kstate_reader r = {
			in->data + inst->off, in->data + inst->off + inst->len
		};

		seq_buf_printf(s, "  - description: \"%.*s\"\n    id: %llu\n",
			       sd->name_len, sd->name ?: "", inst->id);
		if (inst->state == KSTATE_INST_BAD) {
			seq_buf_puts(s, "    error: \"duplicate or truncated\"\n");
			continue;
		}
		seq_buf_printf(s, "    version: %u\n    fields:\n", sd->version);
		dd.err = NULL;
		if (!kstate_dump_struct(&dd, &r, inst->desc, 6, 0) ||
		    r.p != r.end)
			seq_buf_printf(s, "    error: \"%s\"\n",
				       dd.err ?: "trailing bytes");
	}
	mutex_unlock(&in->lock);
	return seq_buf_has_overflowed(s) ? -EOVERFLOW : 0;
}
EXPORT_SYMBOL_IF_KUNIT(kstate_in_dump);
