/*
 * The heap: a two-level segregated fit allocator (TLSF) over pools of
 * memory, O(1) per operation (docs/memory.md). This file knows nothing of
 * pages or interrupts, so the host tests run it as is; kernel/malloc.c
 * wraps one heap with a lock, grows it from the page allocator and gives
 * back what it no longer needs.
 */
#ifndef KERNEL_HEAP_H
#define KERNEL_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/sfit.h"

#define HEAP_ALIGN 16
#define HEAP_POOL_OVERHEAD 64 /* bytes at a pool's start the heap keeps (and 16 at its end) */
#define HEAP_MAX_ALLOC ((size_t)1 << 44)
/*
 * When this many more bytes are free than after the last look, the heap
 * gives back what it can: whole free pools and the free tops of pools. The
 * bar doubles (up to HEAP_TRIM_MAX) each time the heap must grow right
 * after giving memory back, so that a loop of malloc and free does not move
 * the same memory back and forth.
 */
#define HEAP_TRIM_MIN ((size_t)1 << 20)
#define HEAP_TRIM_MAX ((size_t)64 << 20)

struct heap_block;

/*
 * The front end (heap_enable_cache): freed blocks of up to HEAP_CACHE_MAX
 * payload bytes wait on a list per size, unmerged, for the next request of
 * that size, which takes one in a few steps. Bounded: HEAP_CACHE_DEPTH
 * blocks a size, HEAP_CACHE_BYTES in all; the rest are freed as before.
 */
#define HEAP_CACHE_MAX 2048
#define HEAP_CACHE_DEPTH 64
#define HEAP_CACHE_BYTES ((size_t)1 << 20)
#define HEAP_CACHE_CLASSES (HEAP_CACHE_MAX / HEAP_ALIGN + 1)

struct heap_stats {
	size_t in_use;	   /* bytes the live allocations asked for */
	size_t peak;	   /* the most in_use has been */
	size_t free;	   /* payload bytes in free blocks */
	size_t pool_bytes; /* all pools together */
	size_t released;   /* bytes given back to ops->release, in all */
	size_t cached;	   /* payload bytes in freed blocks on the front end's lists */
	uint64_t allocs, frees, failures;
	uint64_t double_frees, overflows, bad_pointers;
};

struct heap;

/* Where a heap's memory comes from and goes back to. */
struct heap_ops {
	/* No free block fits: add a pool of at least need bytes (heap_add_pool), 0 or -ENOMEM. */
	int (*grow)(struct heap *h, size_t need);
	/* [mem, mem + size), whole granules of what grow added, is no longer used. May be NULL. */
	void (*release)(struct heap *h, void *mem, size_t size);
	size_t granule; /* a power of two; pools are added in whole granules */
};

struct heap {
	struct sfit index;
	struct heap_block *lists[SFIT_FL_COUNT][SFIT_SL_COUNT];
	struct heap_pool *pools;
	const struct heap_ops *ops;
	size_t trim_at;	   /* see HEAP_TRIM_MIN */
	size_t trim_floor; /* free bytes after the last trim, or fewer since */
	bool trimmed;	   /* memory went back since the last grow */
	bool cache_on;
	struct heap_block *cache[HEAP_CACHE_CLASSES]; /* by payload size / HEAP_ALIGN */
	uint16_t cache_len[HEAP_CACHE_CLASSES];
	struct heap_stats stats;
};

/* An empty heap; ops may be NULL (a fixed heap: pools come from heap_add_pool only). */
void heap_init(struct heap *h, const struct heap_ops *ops);

/* Turns the front end on (see HEAP_CACHE_MAX); before the first allocation. */
void heap_enable_cache(struct heap *h);
/* Frees, for good, every block that waits on the front end's lists. */
void heap_cache_flush(struct heap *h);

/* Gives [mem, mem + size) to the heap; mem 16-byte aligned. 0 or -EINVAL. */
int heap_add_pool(struct heap *h, void *mem, size_t size);

/*
 * size bytes aligned to align (a power of two), or NULL when memory is out
 * (warned, counted). caller is reported with any misuse that involves it.
 */
void *heap_alloc(struct heap *h, size_t size, size_t align, const void *caller);
/* heap_alloc() for a caller that tries a smaller size next: a failure is counted, not warned. */
void *heap_try_alloc(struct heap *h, size_t size, size_t align, const void *caller);

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
