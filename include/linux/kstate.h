/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * KSTATE: descriptor-driven save and restore of kernel state across kexec.
 *
 * A component describes a struct once (struct kstate_description), registers
 * each object with an instance id, and gets the object back in the next
 * kernel with kstate_restore(), in any order.  See
 * Documentation/core-api/kho/kstate.rst.
 */
#ifndef _LINUX_KSTATE_H
#define _LINUX_KSTATE_H

#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/stddef.h>
#include <linux/types.h>

struct kstate_description;
struct kstate_writer;
struct kstate_reader;
struct seq_buf;

/**
 * enum kstate_kind - what a field holds
 * @KSTATE_KIND_NONE: not a kind (terminates a field table).
 * @KSTATE_U8: unsigned 8-bit integer.
 * @KSTATE_U16: unsigned 16-bit integer.
 * @KSTATE_U32: unsigned 32-bit integer.
 * @KSTATE_U64: unsigned 64-bit integer.
 * @KSTATE_S8: signed 8-bit integer.
 * @KSTATE_S16: signed 16-bit integer.
 * @KSTATE_S32: signed 32-bit integer.
 * @KSTATE_S64: signed 64-bit integer.
 * @KSTATE_BOOL: bool, saved as 0 or 1.
 * @KSTATE_STRING: NUL-terminated string in a char array of @size bytes.
 * @KSTATE_ARRAY: @count elements of kind @elem, in place.
 * @KSTATE_VARRAY: up to @count elements of kind @elem, in place; the number
 *	in use is the integer field at @len_offset.
 * @KSTATE_BUFFER: @size opaque bytes.
 * @KSTATE_STRUCT: a nested struct described by @desc.
 * @KSTATE_PTR: a pointer to @count elements of kind @elem (one @desc
 *	struct: @elem = KSTATE_STRUCT, @count = 1), or to as many as the
 *	integer field at @len_offset says, at most @count.  Dereferenced on
 *	save; allocated on load when NULL and @alloc is set.
 * @KSTATE_FOLIO: a struct folio pointer; the folio is preserved.
 * @KSTATE_PAGES: a struct page pointer to as many pages as the integer
 *	field at @len_offset says, at most @count; the pages are preserved.
 * @KSTATE_CUSTOM: saved and loaded by @save and @load.
 * @KSTATE_NR_KINDS: number of kinds.
 *
 * Scalars are stored little-endian with their width, so a field may change
 * width or signedness between versions when the value still fits.
 *
 * The values of this enum and of &enum kstate_rule are written into the
 * stream: they are ABI (include/linux/kho/abi/kstate.h); only append.
 */
enum kstate_kind {
	KSTATE_KIND_NONE,
	KSTATE_U8,
	KSTATE_U16,
	KSTATE_U32,
	KSTATE_U64,
	KSTATE_S8,
	KSTATE_S16,
	KSTATE_S32,
	KSTATE_S64,
	KSTATE_BOOL,
	KSTATE_STRING,
	KSTATE_ARRAY,
	KSTATE_VARRAY,
	KSTATE_BUFFER,
	KSTATE_STRUCT,
	KSTATE_PTR,
	KSTATE_FOLIO,
	KSTATE_PAGES,
	KSTATE_CUSTOM,
	KSTATE_NR_KINDS
};

/**
 * enum kstate_rule - how a field is treated beyond its kind
 * @KSTATE_REQUIRED: a kernel that does not know the field fails the
 *	instance.
 * @KSTATE_OPTIONAL: a kernel that does not know the field skips it.
 * @KSTATE_MUST_EQUAL: the saved value must equal the object's value at
 *	load (for example an identity the caller already set); the load fails
 *	otherwise.  Required, like %KSTATE_REQUIRED.
 * @KSTATE_DEPRECATED: not saved any more; skipped when an older kernel
 *	saved it.  Only the name is needed.
 */
enum kstate_rule {
	KSTATE_REQUIRED,
	KSTATE_OPTIONAL,
	KSTATE_MUST_EQUAL,
	KSTATE_DEPRECATED,
};

/**
 * struct kstate_field - one field of a described struct
 * @name: unique within its description; fields are matched by name.
 * @kind: what the field holds.
 * @rule: see &enum kstate_rule.
 * @elem: element kind of %KSTATE_ARRAY, %KSTATE_VARRAY and %KSTATE_PTR: a
 *	scalar kind or %KSTATE_STRUCT.
 * @version_id: the description version that added the field.
 * @offset: offset of the field in the struct.
 * @size: scalars, %KSTATE_STRING and %KSTATE_BUFFER: bytes; arrays and
 *	pointers: bytes per element.
 * @count: %KSTATE_ARRAY: elements; %KSTATE_VARRAY: capacity;
 *	%KSTATE_PTR: elements, or the most accepted when @len_size is set;
 *	%KSTATE_PAGES: the most pages accepted.
 * @len_offset: offset of the unsigned length field, when @len_size is set.
 * @len_size: size of that field (1, 2, 4 or 8), or 0.
 * @alloc: %KSTATE_PTR: allocate the target on load when the pointer is
 *	NULL (kvcalloc(); the owner frees it with kvfree()).
 * @desc: the description of %KSTATE_STRUCT fields and struct elements.
 * @save: %KSTATE_CUSTOM: write the field with kstate_write().
 * @load: %KSTATE_CUSTOM: read it back with kstate_read().  @len is what
 *	@save wrote.
 */
struct kstate_field {
	const char *name;
	enum kstate_kind kind;
	enum kstate_rule rule;
	enum kstate_kind elem;
	u32 version_id;
	size_t offset;
	size_t size;
	u32 count;
	size_t len_offset;
	u8 len_size;
	bool alloc;
	const struct kstate_description *desc;
	int (*save)(struct kstate_writer *w, const void *obj,
		    const struct kstate_field *field);
	int (*load)(struct kstate_reader *r, void *obj,
		    const struct kstate_field *field, size_t len);
};

/**
 * struct kstate_description - how to save and restore one struct type
 * @name: the id of the type in the stream, vendor-prefixed where it helps
 *	("vfio-pci,device"); at most %KSTATE_NAME_MAX bytes.
 * @version_id: current version of the description.
 * @min_version_id: oldest saved version this kernel still loads.
 * @size: sizeof() the struct; every field must lie inside it.
 * @fields: the field table, ended by KSTATE_END_OF_LIST().
 * @subsections: NULL-terminated; saved when their @needed says so.  Their
 *	fields are offsets into the same object.
 * @needed: a subsection is saved only when this returns true (or is NULL).
 * @optional: as a subsection: a kernel that does not know it skips it
 *	instead of failing the instance.
 * @pre_save: called before the object is written; an error fails the save.
 * @post_save: called after the object is written.
 * @pre_load: called before anything is loaded into the object.
 * @post_load: called after a successful load, with the saved version.
 */
struct kstate_description {
	const char *name;
	u32 version_id;
	u32 min_version_id;
	size_t size;
	const struct kstate_field *fields;
	const struct kstate_description * const *subsections;
	bool (*needed)(const void *obj);
	bool optional;
	int (*pre_save)(void *obj);
	int (*post_save)(void *obj);
	int (*pre_load)(void *obj);
	int (*post_load)(void *obj, u32 version_id);
};

#define KSTATE_NAME_MAX		64	/* description and field names */
#define KSTATE_MAX_DEPTH	8	/* nested structs, pointers, subsections */

/*
 * The helpers take the member last, as a variadic argument, so that it is
 * named once: .name, .offset and .size of @type's member, checked to be of
 * type @t by __KSTATE_TYPED(), or of an array member by __KSTATE_ARRAY_AT().
 */
#define __KSTATE_AT(type, ...)						\
	.name = #__VA_ARGS__, .offset = offsetof(type, __VA_ARGS__),	\
	.size = sizeof_field(type, __VA_ARGS__)
#define __KSTATE_TYPED(t, type, ...)					\
	.name = #__VA_ARGS__, .offset = offsetof(type, __VA_ARGS__),	\
	.size = sizeof_field(type, __VA_ARGS__) +			\
		BUILD_BUG_ON_ZERO(!__same_type(((type *)0)->__VA_ARGS__, t))
#define __KSTATE_ARRAY_AT(type, ...)					\
	.name = #__VA_ARGS__, .offset = offsetof(type, __VA_ARGS__),	\
	.size = sizeof_field(type, __VA_ARGS__[0]),			\
	.count = ARRAY_SIZE(((type *)0)->__VA_ARGS__)
#define __KSTATE_PTR_AT(type, ...)					\
	.name = #__VA_ARGS__, .offset = offsetof(type, __VA_ARGS__),	\
	.size = sizeof(*((type *)0)->__VA_ARGS__)
#define __KSTATE_LEN(type, ...)						\
	.len_offset = offsetof(type, __VA_ARGS__),			\
	.len_size = sizeof_field(type, __VA_ARGS__)

/* A scalar @_m of struct @type, of C type @_t, added in version @_ver. */
#define KSTATE_SCALAR(type, _m, _kind, _t, _ver)			\
	{ __KSTATE_TYPED(_t, type, _m), .kind = (_kind),		\
	  .version_id = (_ver) }
#define KSTATE_U8(type, _m, _ver)					\
	KSTATE_SCALAR(type, _m, KSTATE_U8, u8, _ver)
#define KSTATE_U16(type, _m, _ver)					\
	KSTATE_SCALAR(type, _m, KSTATE_U16, u16, _ver)
#define KSTATE_U32(type, _m, _ver)					\
	KSTATE_SCALAR(type, _m, KSTATE_U32, u32, _ver)
#define KSTATE_U64(type, _m, _ver)					\
	KSTATE_SCALAR(type, _m, KSTATE_U64, u64, _ver)
#define KSTATE_S8(type, _m, _ver)					\
	KSTATE_SCALAR(type, _m, KSTATE_S8, s8, _ver)
#define KSTATE_S16(type, _m, _ver)					\
	KSTATE_SCALAR(type, _m, KSTATE_S16, s16, _ver)
#define KSTATE_S32(type, _m, _ver)					\
	KSTATE_SCALAR(type, _m, KSTATE_S32, s32, _ver)
#define KSTATE_S64(type, _m, _ver)					\
	KSTATE_SCALAR(type, _m, KSTATE_S64, s64, _ver)
#define KSTATE_BOOL(type, _m, _ver)					\
	KSTATE_SCALAR(type, _m, KSTATE_BOOL, bool, _ver)

/* A scalar with a rule, e.g. KSTATE_MUST_EQUAL. */
#define KSTATE_SCALAR_RULE(type, _m, _kind, _t, _ver, _rule)		\
	{ __KSTATE_TYPED(_t, type, _m), .kind = (_kind),		\
	  .version_id = (_ver), .rule = (_rule) }

/* char @_m[N]: a NUL-terminated string of at most N - 1 bytes. */
#define KSTATE_STRING(type, _m, _ver)				\
	{ __KSTATE_AT(type, _m), .kind = KSTATE_STRING,		\
	  .version_id = (_ver) }

/* u8 @_m[N] or any opaque object: saved as bytes. */
#define KSTATE_BUFFER(type, _m, _ver)				\
	{ __KSTATE_AT(type, _m), .kind = KSTATE_BUFFER,		\
	  .version_id = (_ver) }

/* A fixed array of scalars of kind @_elem. */
#define KSTATE_ARRAY(type, _m, _elem, _ver)				\
	{ __KSTATE_ARRAY_AT(type, _m), .kind = KSTATE_ARRAY,	\
	  .elem = (_elem), .version_id = (_ver) }

/* A fixed array of structs described by @_desc. */
#define KSTATE_STRUCT_ARRAY(type, _m, _desc, _ver)			\
	{ __KSTATE_ARRAY_AT(type, _m), .kind = KSTATE_ARRAY,	\
	  .elem = KSTATE_STRUCT, .desc = (_desc), .version_id = (_ver) }

/*
 * An in-place array of kind @_elem (structs: KSTATE_STRUCT and @_desc) whose
 * used length is member @_len of the same struct.
 */
#define KSTATE_VARRAY(type, _m, _len, _elem, _desc, _ver)		\
	{ __KSTATE_ARRAY_AT(type, _m), __KSTATE_LEN(type, _len),	\
	  .kind = KSTATE_VARRAY, .elem = (_elem), .desc = (_desc),	\
	  .version_id = (_ver) }

/* A nested struct described by @_desc. */
#define KSTATE_STRUCT(type, _m, _desc, _ver)				\
	{ __KSTATE_AT(type, _m), .kind = KSTATE_STRUCT,		\
	  .desc = (_desc), .version_id = (_ver) }

/* A pointer to one struct described by @_desc; allocated on load if NULL. */
#define KSTATE_PTR_STRUCT(type, _m, _desc, _ver)			\
	{ __KSTATE_PTR_AT(type, _m), .kind = KSTATE_PTR,		\
	  .elem = KSTATE_STRUCT, .count = 1, .alloc = true,		\
	  .desc = (_desc), .version_id = (_ver) }

/*
 * A pointer to an array of scalars of kind @_elem (@_desc NULL) or of
 * structs (@_elem KSTATE_STRUCT), whose length is member @_len, at most
 * @_max; allocated on load if NULL.
 */
#define KSTATE_PTR_VARRAY(type, _m, _len, _max, _elem, _desc, _ver)	\
	{ __KSTATE_PTR_AT(type, _m), __KSTATE_LEN(type, _len),	\
	  .kind = KSTATE_PTR, .elem = (_elem), .count = (_max),		\
	  .alloc = true, .desc = (_desc), .version_id = (_ver) }

/* struct folio *@_m: the folio is preserved and restored. */
#define KSTATE_FOLIO(type, _m, _ver)					\
	{ __KSTATE_TYPED(struct folio *, type, _m),			\
	  .kind = KSTATE_FOLIO, .version_id = (_ver) }

/* struct page *@_m: member @_len pages, at most @_max, preserved. */
#define KSTATE_PAGES(type, _m, _len, _max, _ver)			\
	{ __KSTATE_TYPED(struct page *, type, _m),			\
	  __KSTATE_LEN(type, _len), .kind = KSTATE_PAGES,		\
	  .count = (_max), .version_id = (_ver) }

/* Saved and loaded by @_save and @_load. */
#define KSTATE_CUSTOM(type, _m, _save, _load, _ver)			\
	{ __KSTATE_AT(type, _m), .kind = KSTATE_CUSTOM,		\
	  .save = (_save), .load = (_load), .version_id = (_ver) }

/* A field that older versions saved and this one skips. */
#define KSTATE_DEPRECATED_FIELD(_name)					\
	{ .name = (_name), .kind = KSTATE_BUFFER,			\
	  .rule = KSTATE_DEPRECATED }

#define KSTATE_END_OF_LIST()	{ .kind = KSTATE_KIND_NONE }

#ifdef CONFIG_KSTATE
int kstate_register(const struct kstate_description *desc, void *obj,
		    u64 instance_id);
void kstate_unregister(const struct kstate_description *desc, void *obj,
		       u64 instance_id);
int kstate_restore(const struct kstate_description *desc, void *obj,
		   u64 instance_id);
void kstate_finish(void);
int kstate_save(void);
void kstate_discard(void);
int kstate_dump(struct seq_buf *s, const void *stream, size_t size);
int kstate_write(struct kstate_writer *w, const void *buf, size_t len);
int kstate_read(struct kstate_reader *r, void *buf, size_t len);
#else
static inline int kstate_register(const struct kstate_description *desc,
				  void *obj, u64 instance_id)
{
	return -EOPNOTSUPP;
}

static inline void kstate_unregister(const struct kstate_description *desc,
				     void *obj, u64 instance_id)
{
}

static inline int kstate_restore(const struct kstate_description *desc,
				 void *obj, u64 instance_id)
{
	return -ENOENT;
}

static inline void kstate_finish(void) { }
static inline int kstate_save(void) { return 0; }
static inline void kstate_discard(void) { }
#endif

#endif /* _LINUX_KSTATE_H */
