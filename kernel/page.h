/*
 * Physical page frames: free runs over the RAM the loader reported
 * (docs/memory.md). Memory is identity mapped, so a page's address is both
 * its physical address and a pointer to it.
 */
#ifndef KERNEL_PAGE_H
#define KERNEL_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/bootinfo.h"

#define PAGE_SIZE 4096UL
#define PAGE_SHIFT 12

/*
 * Takes the RAM in the memory map below limit (the part the boot page
 * tables map), less what is in use: page 0, the kernel image, the loader's
 * information and modules. 0, or -ENOMEM when no room for the allocator's
 * own records is left below limit (no usable RAM), or -E2BIG for more
 * frames than it can count.
 */
int page_init(const struct bootinfo *bi, uint64_t limit);

/* Adds the RAM at and above limit, once the kernel's page tables map it. */
int page_add_high(const struct bootinfo *bi, uint64_t limit);

/* n contiguous pages, page aligned, or NULL. Exactly n pages are used. */
void *page_alloc(size_t n);

/*
 * Gives back n pages: any run of pages that page_alloc() handed out, whole
 * or in part. A range that is partly free already is reported and ignored.
 */
void page_free(void *p, size_t n);

struct page_stats {
	uint64_t total;	  /* bytes the allocator manages */
	uint64_t free;	  /* bytes free now */
	uint64_t largest; /* bytes in the longest free run */
	uint64_t bad_frees;
};

void page_stats(struct page_stats *st);

#endif
