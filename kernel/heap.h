/*
 * The heap: a two-level segregated fit allocator (TLSF) over pools of
 * memory, O(1) per operation (docs/memory.md). This file knows nothing of
 * pages or interrupts, so the host tests run it as is; lib/libc/malloc.c
 * wraps one heap with a lock and grows it from the page allocator.
 */
#ifndef KERNEL_HEAP_H
#define KERNEL_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define HEAP_ALIGN 16
#define HEAP_SL_COUNT 16      /* second-level lists per power of two */
#define HEAP_FL_COUNT 40      /* first-level classes: sizes below 2^(40 + 7) */
#define HEAP_POOL_OVERHEAD 64 /* bytes at a pool's start the heap keeps (and 16 at its end) */
#define HEAP_MAX_ALLOC ((size_t)1 << 44)

struct heap_block;

struct heap_stats {
	size_t in_use;	   /* bytes the live allocations asked for */
	size_t peak;	   /* the most in_use has been */
	size_t free;	   /* payload bytes in free blocks */
	size_t pool_bytes; /* all pools together */
	uint64_t allocs, frees, failures;
	uint64_t double_frees, overflows, bad_pointers;
};

struct heap {
	uint64_t fl_bitmap;
	uint32_t sl_bitmap[HEAP_FL_COUNT];
	struct heap_block *lists[HEAP_FL_COUNT][HEAP_SL_COUNT];
	struct heap_pool *pools;
	/* Called when no free block fits: add a pool of at least need bytes
	 * (heap_add_pool) and return 0, or return -ENOMEM. May be NULL. */
	int (*grow)(struct heap *h, size_t need);
	struct heap_stats stats;
};

/* An empty heap; grow may be NULL. */
void heap_init(struct heap *h, int (*grow)(struct heap *h, size_t need));

/* Gives [mem, mem + size) to the heap; mem 16-byte aligned. 0 or -EINVAL. */
int heap_add_pool(struct heap *h, void *mem, size_t size);

/*
 * size bytes aligned to align (a power of two), or NULL when memory is out
 * (warned, counted). caller is reported with any misuse that involves it.
 */
void *heap_alloc(struct heap *h, size_t size, size_t align, const void *caller);

/*
 * Frees p (NULL is ignored). A double free, a pointer the heap never gave
 * out, or a block whose end was overwritten is reported and not freed.
 */
void heap_free(struct heap *h, void *p, const void *caller);

/* realloc(): grows or shrinks in place when it can. */
void *heap_realloc(struct heap *h, void *p, size_t size, const void *caller);

/* The size that was asked for p, or 0 if p is not a live allocation. */
size_t heap_size(struct heap *h, const void *p);

#endif
