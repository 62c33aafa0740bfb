#include "kernel/heap.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "kernel/ksyms.h"
#include "kernel/printk.h"
#include "kernel/sfit.h"

/*
 * A block: a 16-byte header, then the payload. prev is the block just below
 * in memory (NULL for a pool's first); size is the payload's size, a
 * multiple of 16, with BLOCK_FREE in bit 0 and BLOCK_CACHED (freed, on a
 * front-end list, unmerged) in bit 1. Free blocks keep their list
 * links in the payload. Every pool ends with a zero-size used block, so
 * "the block above" always exists.
 */
struct heap_block {
	struct heap_block *prev;
	size_t size;
	struct heap_block *next_free, *prev_free; /* only while free */
};

struct heap_pool {
	struct heap_pool *next;
	uintptr_t lo, hi; /* the blocks: [lo, hi) */
};

#define HDR offsetof(struct heap_block, next_free)
#define BLOCK_FREE ((size_t)1)
#define BLOCK_CACHED ((size_t)2) /* used, as far as merging goes, but freed: on a cache list */
#define BLOCK_FLAGS (BLOCK_FREE | BLOCK_CACHED)
#define MIN_PAYLOAD 16
#define SMALL_SHIFT 8 /* below 2^8 bytes, lists are 16 bytes apart */
/*
 * Every allocation ends with a canary word: CANARY ^ its address ^ the
 * slack between the requested size and the canary. Up to SLACK_CHECKED
 * bytes of that slack, right after the requested size, are filled with
 * SLACK_BYTE, so an overflow of even one byte changes the fill or the
 * canary. The slack is at most a rounding (15) plus an unsplit remainder.
 */
#define CANARY 0x5AFEC0DEB10C4A11ULL
#define CANARY_SIZE sizeof(uint64_t)
#define SLACK_FILL 0xA5A5A5A5A5A5A5A5ULL
#define SLACK_CHECKED 8
#define SLACK_MAX (HEAP_ALIGN + HDR + MIN_PAYLOAD)

static size_t bsize(const struct heap_block *b)
{
	return b->size & ~BLOCK_FLAGS;
}

static bool is_free(const struct heap_block *b)
{
	return b->size & BLOCK_FREE;
}

static void *payload(struct heap_block *b)
{
	return (char *)b + HDR;
}

static struct heap_block *block_of(const void *p)
{
	return (struct heap_block *)((uintptr_t)p - HDR);
}

static struct heap_block *next_block(struct heap_block *b)
{
	return (struct heap_block *)((char *)payload(b) + bsize(b));
}

static void list_insert(struct heap *h, struct heap_block *b)
{
	int fl, sl;

	sfit_class(SMALL_SHIFT, bsize(b), &fl, &sl);
	b->prev_free = NULL;
	b->next_free = h->lists[fl][sl];
	if (b->next_free)
		b->next_free->prev_free = b;
	h->lists[fl][sl] = b;
	sfit_mark(&h->index, fl, sl);
	h->stats.free += bsize(b);
}

static void list_remove(struct heap *h, struct heap_block *b)
{
	int fl, sl;

	sfit_class(SMALL_SHIFT, bsize(b), &fl, &sl);
	if (b->prev_free)
		b->prev_free->next_free = b->next_free;
	else
		h->lists[fl][sl] = b->next_free;
	if (b->next_free)
		b->next_free->prev_free = b->prev_free;
	if (!h->lists[fl][sl])
		sfit_unmark(&h->index, fl, sl);
	h->stats.free -= bsize(b);
}

/* A free block of at least size bytes, taken off its list, or NULL. */
static struct heap_block *take(struct heap *h, size_t size)
{
	int fl, sl;
	struct heap_block *b;

	if (!sfit_find(&h->index, SMALL_SHIFT, size, &fl, &sl))
		return NULL;
	b = h->lists[fl][sl];
	list_remove(h, b);
	return b;
}

/* Cuts b (used, off any list) to size bytes when the rest makes a block. */
static void split(struct heap *h, struct heap_block *b, size_t size)
{
	struct heap_block *rest, *after;

	if (bsize(b) < size + HDR + MIN_PAYLOAD)
		return;
	rest = (struct heap_block *)((char *)payload(b) + size);
	rest->size = (bsize(b) - size - HDR) | BLOCK_FREE;
	rest->prev = b;
	b->size = size | (b->size & BLOCK_FREE);
	after = next_block(rest);
	after->prev = rest;
	if (is_free(after)) { /* keep free blocks merged */
		list_remove(h, after);
		rest->size += HDR + bsize(after);
		next_block(rest)->prev = rest;
	}
	list_insert(h, rest);
}

static struct heap_block *release(struct heap *h, struct heap_block *b);

/*
 * Memory that starts where a pool ends extends that pool: the old end
 * marker becomes the header of a free block over the new memory. The page
 * allocator tends to hand out neighbouring runs, so the heap stays one or
 * a few pools, and finding a pointer's pool stays cheap.
 */
static bool extend_pool(struct heap *h, void *mem, size_t size)
{
	for (struct heap_pool *pool = h->pools; pool; pool = pool->next) {
		struct heap_block *b, *end;

		if (pool->hi != (uintptr_t)mem)
			continue;
		b = (struct heap_block *)(pool->hi - HDR); /* the old end marker */
		b->size = size - HDR;			   /* used, for release() */
		pool->hi += size;
		end = next_block(b);
		end->prev = b;
		end->size = 0;
		h->stats.pool_bytes += size;
		release(h, b); /* merges with a free block below, and lists it */
		return true;
	}
	return false;
}

int heap_add_pool(struct heap *h, void *mem, size_t size)
{
	struct heap_pool *pool = mem;
	struct heap_block *b, *end;

	if ((uintptr_t)mem % HEAP_ALIGN || size < HEAP_POOL_OVERHEAD + MIN_PAYLOAD + HDR)
		return -EINVAL;
	size &= ~(size_t)(HEAP_ALIGN - 1);
	if (extend_pool(h, mem, size))
		return 0;
	/* The pool record, then one free block, then the end marker. */
	pool->lo = (uintptr_t)mem + HEAP_POOL_OVERHEAD - HDR;
	pool->hi = (uintptr_t)mem + size;
	b = (struct heap_block *)pool->lo;
	b->prev = NULL;
	b->size = (pool->hi - pool->lo - 2 * HDR) | BLOCK_FREE;
	end = next_block(b);
	end->prev = b;
	end->size = 0;
	pool->next = h->pools;
	h->pools = pool;
	h->stats.pool_bytes += size;
	list_insert(h, b);
	return 0;
}

void heap_init(struct heap *h, const struct heap_ops *ops)
{
	memset(h, 0, sizeof(*h));
	h->ops = ops;
	h->trim_at = HEAP_TRIM_MIN;
}

void heap_enable_cache(struct heap *h)
{
	h->cache_on = true;
}

#define CALLER_MAX 64

/* Out of line, so that the hot paths carry no buffer (and no stack canary). */
static __attribute__((noinline, cold)) void report_oom(size_t size, size_t align,
						       const void *caller)
{
	char fn[CALLER_MAX];

	ksyms_describe((uintptr_t)caller, fn, sizeof(fn));
	pr_warn("heap: out of memory: %zu bytes (aligned to %zu) asked from %p (%s)", size, align,
		caller, fn);
}

static __attribute__((noinline, cold)) void report(const char *what, const void *p,
						   const void *caller)
{
	char fn[CALLER_MAX];

	ksyms_describe((uintptr_t)caller, fn, sizeof(fn));
	pr_err("heap: %s %p, from %p (%s)", what, p, caller, fn);
}

/* The payload size for a request: room for the canary, rounded up. */
static size_t payload_for(size_t size)
{
	size_t p = (size + CANARY_SIZE + HEAP_ALIGN - 1) & ~(size_t)(HEAP_ALIGN - 1);

	return p < MIN_PAYLOAD ? MIN_PAYLOAD : p;
}

/*
 * Fixed-size copies compile to single moves (lib/kc/include/string.h); a
 * variable-length memcpy would be a call. The fill is stored as a whole
 * word: when the slack is shorter than 8 bytes, the canary written after
 * it covers the rest.
 */
static void seal(struct heap_block *b, size_t size)
{
	char *p = payload(b);
	size_t slack = bsize(b) - CANARY_SIZE - size;
	uint64_t canary = CANARY ^ (uintptr_t)p ^ slack, fill = SLACK_FILL;

	memcpy(p + size, &fill, sizeof(fill));
	memcpy(p + bsize(b) - CANARY_SIZE, &canary, sizeof(canary));
}

/* The requested size of live block b, or (size_t)-1 if its end was overwritten. */
static size_t sealed_size(struct heap_block *b)
{
	const unsigned char *p = payload(b);
	uint64_t canary, fill, mask;
	size_t slack, size;

	memcpy(&canary, p + bsize(b) - CANARY_SIZE, sizeof(canary));
	slack = canary ^ CANARY ^ (uintptr_t)p;
	if (slack > SLACK_MAX || slack > bsize(b) - CANARY_SIZE)
		return (size_t)-1;
	size = bsize(b) - CANARY_SIZE - slack;
	memcpy(&fill, p + size, sizeof(fill)); /* may reach into the canary: masked off */
	mask = slack >= SLACK_CHECKED ? ~0ULL : (1ULL << (8 * slack)) - 1;
	if ((fill ^ SLACK_FILL) & mask)
		return (size_t)-1;
	return size;
}

static struct heap_pool *pool_of(struct heap *h, const void *p)
{
	for (struct heap_pool *pool = h->pools; pool; pool = pool->next)
		if ((uintptr_t)p >= pool->lo + HDR && (uintptr_t)p < pool->hi)
			return pool;
	return NULL;
}

/*
 * Does p point at the payload of a block, free or not? Everything is read
 * only after it is known to lie inside p's pool, so a pointer into the middle
 * of a block, whose "header" is the program's data, is refused, not followed.
 */
static bool is_block(struct heap *h, const void *p)
{
	struct heap_pool *pool = pool_of(h, p);
	struct heap_block *b = block_of(p), *prev;
	uintptr_t end;

	if (!pool || (uintptr_t)p % HEAP_ALIGN || bsize(b) % HEAP_ALIGN)
		return false;
	end = (uintptr_t)p + bsize(b);
	if (end < (uintptr_t)p || end + HDR > pool->hi || next_block(b)->prev != b)
		return false;
	prev = b->prev;
	if ((uintptr_t)b == pool->lo)
		return prev == NULL;
	return (uintptr_t)prev % HEAP_ALIGN == 0 && (uintptr_t)prev >= pool->lo &&
	       (uintptr_t)prev < (uintptr_t)b && next_block(prev) == b;
}

/*
 * The block behind p if p looks like a live allocation: a block in a pool
 * whose header agrees with its neighbours, not free. Reports and counts
 * otherwise.
 */
static struct heap_block *checked_block(struct heap *h, void *p, const void *caller)
{
	struct heap_block *b = block_of(p);

	if (!is_block(h, p)) {
		h->stats.bad_pointers++;
		report("free of a pointer the heap did not hand out:", p, caller);
		return NULL;
	}
	if (b->size & BLOCK_FLAGS) {
		h->stats.double_frees++;
		report("double free of", p, caller);
		return NULL;
	}
	return b;
}

/* A free block with a payload at an align boundary and size bytes after it. */
static struct heap_block *take_aligned(struct heap *h, size_t size, size_t align)
{
	struct heap_block *b, *front;
	uintptr_t p, a;

	if (align <= HEAP_ALIGN)
		return take(h, size);
	b = take(h, size + align + HDR + MIN_PAYLOAD);
	if (!b)
		return NULL;
	p = (uintptr_t)payload(b);
	a = (p + align - 1) & ~(uintptr_t)(align - 1);
	while (a != p && a - p < HDR + MIN_PAYLOAD)
		a += align;
	if (a == p)
		return b;
	/* Split the front off as a free block of its own. */
	front = b;
	b = block_of((void *)a);
	b->size = bsize(front) - (a - p);
	b->prev = front;
	next_block(b)->prev = b;
	front->size = (a - p - HDR) | BLOCK_FREE;
	list_insert(h, front);
	return b;
}

/*
 * The size of a pool whose one free block take_aligned() will surely find:
 * the search looks for room for the alignment too, and rounds a size up to
 * its list's boundary; the pool keeps its head and end marker.
 */
static size_t pool_size_for(size_t need, size_t align)
{
	size_t want = align > HEAP_ALIGN ? need + align + HDR + MIN_PAYLOAD : need;

	if (want >= (size_t)1 << SMALL_SHIFT)
		want += (size_t)1 << (sfit_fls64(want) - SFIT_SL_SHIFT);
	return want + HEAP_POOL_OVERHEAD + HDR;
}

void heap_cache_flush(struct heap *h)
{
	for (unsigned c = 0; c < HEAP_CACHE_CLASSES; c++) {
		while (h->cache[c]) {
			struct heap_block *b = h->cache[c];

			memcpy(&h->cache[c], payload(b), sizeof(b));
			h->stats.cached -= bsize(b);
			b->size &= ~BLOCK_CACHED;
			release(h, b);
		}
		h->cache_len[c] = 0;
	}
}

/* Counts a new allocation of size bytes. */
static void count_alloc(struct heap *h, size_t size)
{
	h->stats.allocs++;
	h->stats.in_use += size;
	if (h->stats.in_use > h->stats.peak)
		h->stats.peak = h->stats.in_use;
}

/* The front end's path: a cached block of exactly need bytes, or NULL. */
static void *cache_take(struct heap *h, size_t size, size_t need)
{
	unsigned c = (unsigned)(need / HEAP_ALIGN);
	struct heap_block *b = h->cache[c];

	if (!b)
		return NULL;
	memcpy(&h->cache[c], payload(b), sizeof(b));
	h->cache_len[c]--;
	h->stats.cached -= bsize(b);
	b->size &= ~BLOCK_CACHED;
	seal(b, size);
	count_alloc(h, size);
	return payload(b);
}

/* Everything but the front end's path: the segregated lists, growing, running out. */
static __attribute__((noinline)) void *alloc_slow(struct heap *h, size_t size, size_t align,
						  const void *caller, bool quiet)
{
	size_t need;
	struct heap_block *b;

	if (align & (align - 1) || size > HEAP_MAX_ALLOC || align > HEAP_MAX_ALLOC)
		return NULL;
	need = payload_for(size);
	b = take_aligned(h, need, align);
	if (!b && h->stats.cached) { /* what waits on the lists may merge into room */
		heap_cache_flush(h);
		b = take_aligned(h, need, align);
	}
	if (!b && h->ops && h->ops->grow) {
		/* Growing right after giving memory back: keep more next time. */
		if (h->trimmed && h->trim_at < HEAP_TRIM_MAX)
			h->trim_at *= 2;
		h->trimmed = false;
		if (h->ops->grow(h, pool_size_for(need, align)) == 0)
			b = take_aligned(h, need, align);
	}
	if (!b) {
		h->stats.failures++;
		if (!quiet)
			report_oom(size, align, caller);
		return NULL;
	}
	b->size &= ~BLOCK_FREE;
	split(h, b, need);
	seal(b, size);
	if (h->stats.free < h->trim_floor)
		h->trim_floor = h->stats.free;
	count_alloc(h, size);
	return payload(b);
}

/* The front end's path first, in a function small enough to need no saved registers. */
static void *alloc_any(struct heap *h, size_t size, size_t align, const void *caller, bool quiet)
{
	void *p;

	if (h->cache_on && align <= HEAP_ALIGN && size <= HEAP_CACHE_MAX - CANARY_SIZE &&
	    (p = cache_take(h, size, payload_for(size))))
		return p;
	return alloc_slow(h, size, align, caller, quiet);
}

void *heap_alloc(struct heap *h, size_t size, size_t align, const void *caller)
{
	return alloc_any(h, size, align, caller, false);
}

void *heap_try_alloc(struct heap *h, size_t size, size_t align, const void *caller)
{
	return alloc_any(h, size, align, caller, true);
}

/* Frees used block b: merges it with free neighbours and lists it; returns the result. */
static struct heap_block *release(struct heap *h, struct heap_block *b)
{
	struct heap_block *n = next_block(b);

	b->size |= BLOCK_FREE;
	if (is_free(n)) {
		list_remove(h, n);
		b->size += HDR + bsize(n);
		next_block(b)->prev = b;
	}
	if (b->prev && is_free(b->prev)) {
		struct heap_block *p = b->prev;

		list_remove(h, p);
		p->size += HDR + bsize(b);
		next_block(p)->prev = p;
		b = p;
	}
	list_insert(h, b);
	return b;
}

/* Gives a whole free pool back (its one block b is free): record, blocks and end. */
static void release_pool(struct heap *h, struct heap_pool *pool, struct heap_block *b)
{
	uintptr_t mem = (uintptr_t)pool;
	size_t size = pool->hi - mem;

	list_remove(h, b);
	for (struct heap_pool **p = &h->pools; *p; p = &(*p)->next) {
		if (*p == pool) {
			*p = pool->next;
			break;
		}
	}
	h->stats.pool_bytes -= size;
	h->stats.released += size;
	h->ops->release(h, (void *)mem, size);
}

/* Cuts pool's free last block b down to end at a granule boundary, giving back the rest. */
static void release_top(struct heap *h, struct heap_pool *pool, struct heap_block *b)
{
	uintptr_t granule = h->ops->granule;
	uintptr_t new_hi =
		((uintptr_t)payload(b) + MIN_PAYLOAD + HDR + granule - 1) & ~(granule - 1);
	struct heap_block *end;

	if (new_hi >= pool->hi || pool->hi % granule)
		return;
	list_remove(h, b);
	b->size = (new_hi - HDR - (uintptr_t)payload(b)) | BLOCK_FREE;
	end = next_block(b);
	end->prev = b;
	end->size = 0;
	list_insert(h, b);
	h->stats.pool_bytes -= pool->hi - new_hi;
	h->stats.released += pool->hi - new_hi;
	h->ops->release(h, (void *)new_hi, pool->hi - new_hi);
	pool->hi = new_hi;
}

/*
 * When trim_at more bytes are free than after the last look, every pool
 * that is free as a whole goes back, and every pool's free top. Allocation
 * takes the low end of free blocks first, so free space gathers at the top
 * of pools. What cannot go back (free blocks between used ones) waits for
 * the next trim_at.
 */
static void trim(struct heap *h)
{
	struct heap_pool *pool, *next;

	if (!h->ops || !h->ops->release ||
	    h->stats.free + h->stats.cached < h->trim_floor + h->trim_at)
		return;
	heap_cache_flush(h); /* cached blocks keep their pools from going back */
	for (pool = h->pools; pool; pool = next) {
		struct heap_block *last = ((struct heap_block *)(pool->hi - HDR))->prev;
		uintptr_t granule = h->ops->granule;

		next = pool->next;
		if (!last || !is_free(last))
			continue;
		if ((uintptr_t)last == pool->lo && pool->hi % granule == 0 &&
		    (uintptr_t)pool % granule == 0)
			release_pool(h, pool, last);
		else
			release_top(h, pool, last);
	}
	h->trim_floor = h->stats.free;
	h->trimmed = true;
}

/* The live block behind p and its requested size, or NULL after a report. */
static struct heap_block *live_block(struct heap *h, void *p, const void *caller, size_t *size)
{
	struct heap_block *b = checked_block(h, p, caller);

	if (!b)
		return NULL;
	*size = sealed_size(b);
	if (*size == (size_t)-1) {
		h->stats.overflows++;
		report("write past the end of the block at", p, caller);
		pr_err("heap: the block (%zu bytes of payload) is kept out of use", bsize(b));
		return NULL;
	}
	return b;
}

/*
 * The front end's path for p: a live small block (its flags clear, its
 * canary whole) goes on its size's list if there is room. The canary holds
 * p's address, so a pointer the heap did not hand out does not pass by
 * chance; the full checks run for everything else. True if it took p.
 */
static bool cache_put(struct heap *h, void *p)
{
	struct heap_block *b = block_of(p);
	size_t n, size;
	unsigned c;

	if ((uintptr_t)p % HEAP_ALIGN || b->size & BLOCK_FLAGS || (n = bsize(b)) > HEAP_CACHE_MAX ||
	    n < MIN_PAYLOAD)
		return false;
	c = (unsigned)(n / HEAP_ALIGN);
	if (h->cache_len[c] >= HEAP_CACHE_DEPTH || h->stats.cached + n > HEAP_CACHE_BYTES ||
	    (size = sealed_size(b)) == (size_t)-1)
		return false;
	b->size |= BLOCK_CACHED;
	memcpy(payload(b), &h->cache[c], sizeof(b));
	h->cache[c] = b;
	h->cache_len[c]++;
	h->stats.cached += n;
	h->stats.frees++;
	h->stats.in_use -= size;
	return true;
}

static __attribute__((noinline)) void free_slow(struct heap *h, void *p, const void *caller)
{
	struct heap_block *b;
	size_t size;

	if (!(b = live_block(h, p, caller, &size)))
		return;
	h->stats.frees++;
	h->stats.in_use -= size;
	release(h, b);
	trim(h);
}

void heap_free(struct heap *h, void *p, const void *caller)
{
	if (!p || (h->cache_on && cache_put(h, p)))
		return;
	free_slow(h, p, caller);
}

/* Grows used block b in place to need bytes by taking the free block above. */
static bool grow_in_place(struct heap *h, struct heap_block *b, size_t need)
{
	struct heap_block *n = next_block(b);

	if (bsize(b) >= need)
		return true;
	if (!is_free(n) || bsize(b) + HDR + bsize(n) < need)
		return false;
	list_remove(h, n);
	b->size += HDR + bsize(n);
	next_block(b)->prev = b;
	return true;
}

void *heap_realloc(struct heap *h, void *p, size_t size, const void *caller)
{
	struct heap_block *b;
	size_t old, need;
	void *q;

	if (!p)
		return heap_alloc(h, size, HEAP_ALIGN, caller);
	if (!(b = live_block(h, p, caller, &old)) || size > HEAP_MAX_ALLOC)
		return NULL;
	need = payload_for(size);
	if (grow_in_place(h, b, need)) {
		split(h, b, need);
		seal(b, size);
		h->stats.in_use += size - old;
		if (h->stats.in_use > h->stats.peak)
			h->stats.peak = h->stats.in_use;
		return p;
	}
	q = heap_alloc(h, size, HEAP_ALIGN, caller);
	if (!q)
		return NULL;
	memcpy(q, p, old < size ? old : size);
	heap_free(h, p, caller);
	return q;
}

size_t heap_size(struct heap *h, const void *p)
{
	struct heap_block *b = block_of(p);
	size_t size;

	if (!is_block(h, p) || b->size & BLOCK_FLAGS)
		return 0;
	size = sealed_size(b);
	return size == (size_t)-1 ? 0 : size;
}
