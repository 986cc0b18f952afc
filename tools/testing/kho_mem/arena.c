// SPDX-License-Identifier: GPL-2.0
/*
 * The arena: the "physical memory" of the userspace builds.  One anonymous
 * mapping, reserved but not committed, handed out a page at a time; freed
 * pages go on a free list and are handed out again first.
 */
#include <sys/mman.h>

#include "kho_mem_internal.h"

unsigned char *kho_arena;
size_t kho_arena_size;
unsigned long kho_arena_pages_used;

static size_t arena_next;
static void *arena_free_list;

void kho_arena_init(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED) {
		perror("kho_arena_init");
		exit(2);
	}
	kho_arena = p;
	kho_arena_size = bytes;
	arena_next = 0;
	arena_free_list = NULL;
	kho_arena_pages_used = 0;
}

/* A zeroed page, or NULL once the arena is used up. */
void *kho_arena_alloc_page(void)
{
	void *page = arena_free_list;

	if (page) {
		arena_free_list = *(void **)page;
		memset(page, 0, PAGE_SIZE);
	} else {
		if (arena_next + PAGE_SIZE > kho_arena_size)
			return NULL;
		page = kho_arena + arena_next;	/* fresh: already zero */
		arena_next += PAGE_SIZE;
	}
	kho_arena_pages_used++;
	return page;
}

void kho_arena_free_page(void *page)
{
	if (!page)
		return;
	*(void **)page = arena_free_list;
	arena_free_list = page;
	kho_arena_pages_used--;
}
