/*
 * Physical page frames: free runs over the RAM the loader reported
 * (docs/memory.md). Memory is identity mapped, so a page's address is both
 * its physical address and a pointer to it.
 */
#ifndef KERNEL_PAGE_H
#define KERNEL_PAGE_H

#include <stdbool.h>
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

/* Exactly the n pages at p (page aligned), if all are free; else NULL. */
void *page_alloc_at(void *p, size_t n);
/* Where the longest free run starts, and its length in pages (*n); NULL if none. */
void *page_largest_run(size_t *n);
/*
 * Gives back n pages: any run of pages that page_alloc() handed out, whole
 * or in part. A range that is partly free already is reported and ignored.
 */
void page_free(void *p, size_t n);

/*
 * Marks n pages at p as the application's (its heap, mappings, stacks and
 * image), or not. A system call writes only to the application's pages
 * (kernel/uaccess.c); page_free() clears the mark.
 */
void page_set_app(void *p, size_t n, bool app);
/* Is all of [addr, addr + len) the application's? Any context. */
bool page_is_app(uint64_t addr, size_t len);

struct page_stats {
	uint64_t total;	   /* bytes the allocator manages */
	uint64_t free;	   /* bytes free now */
	uint64_t largest;  /* bytes in the longest free run */
	uint64_t app;	   /* bytes of the application's pages (page_set_app): its RSS */
	uint64_t app_peak; /* the most app has been */
	uint64_t bad_frees;
};

void page_stats(struct page_stats *st);

#endif
