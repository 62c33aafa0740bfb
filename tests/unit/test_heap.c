/*
 * The heap (kernel/heap.c) over pools of host memory. A long randomized run
 * checks every block's contents against a pattern before the block is freed
 * or resized, and the stats after every operation; the other cases pin down
 * alignment, the stats, running out of memory, growing, realloc, merging, and
 * what becomes of the misuses the heap promises to catch: double frees,
 * pointers it never handed out, and writes past the end of a block. After a
 * misuse, a shorter random run shows the heap still works.
 */
#define CHECK_SUITE "heap"
#include "tests/unit/check.h"

#include <errno.h>
#include <inttypes.h>

#include "kernel/heap.h"
#include "tests/unit/fake_kernel.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define KIB ((size_t)1024)
#define MIB (1024 * KIB)

/*
 * A pool's bytes beyond its payload: the pool record and the first block's
 * header (HEAP_POOL_OVERHEAD), and the 16-byte header of the zero-size block
 * that ends every pool (docs/memory.md). A pool of 2^k + POOL_EXTRA bytes is
 * one free block of 2^k bytes, a size on which a free list begins, so a
 * request for all of it finds it.
 */
#define POOL_EXTRA (HEAP_POOL_OVERHEAD + 16)
/* The canary word ends the payload, which is the request and the canary rounded up to 16. */
#define CANARY_AT(p, size) ((p) + (((size) + 8 + HEAP_ALIGN - 1) & ~(HEAP_ALIGN - 1)) - 8)
#define POOLS_MAX 64
/* Who the tests say they are: every report must name it. */
#define CALLER ((const void *)0xc0ffee)
#define CALLER_TEXT "0xc0ffee"

/* The largest block the random runs make, and the pattern their contents come from. */
#define BIG_MAX (256 * KIB)
#define NUDGE_MAX 64 /* a realloc that only nudges the size moves it by up to this */
#define PATTERN_SPAN (64 * KIB)
#define PATTERN_LEN (PATTERN_SPAN + BIG_MAX + NUDGE_MAX)

/* The long run: at least two million operations, in well under the case timeout. */
#define STRESS_SEED 0x2545f4914f6cdd1dULL
#define STRESS_OPS 2000000L
#define STRESS_POOL (4 * MIB + POOL_EXTRA)
/* The run after a misuse: enough to touch every slot many times. */
#define AFTER_OPS 100000L

/* The heap under test and the host memory behind it. */
static struct {
	struct heap heap;
	void *mem[POOLS_MAX]; /* what posix_memalign() gave, kept reachable */
	int pools;	      /* pools given to the heap */
	size_t capacity;      /* payload bytes of those pools, as each was added */
	int grow_calls;
	size_t grow_min; /* grow() adds pools of at least this many bytes; 0: just what is asked */
	bool grow_fails; /* grow() returns -ENOMEM */
	uint64_t rng;
	unsigned char pattern[PATTERN_LEN];
} t;

/* xorshift64*: small, fast, and the same sequence on every host. */
static uint64_t rnd(void)
{
	t.rng ^= t.rng >> 12;
	t.rng ^= t.rng << 25;
	t.rng ^= t.rng >> 27;
	return t.rng * 0x2545f4914f6cdd1dULL;
}

static size_t rnd_below(size_t n)
{
	return rnd() % n;
}

/* Random bytes, so that a block copied or shifted by any amount shows. */
static void pattern_init(void)
{
	t.rng = 0x9e3779b97f4a7c15ULL;
	for (size_t i = 0; i < PATTERN_LEN; i += sizeof(uint64_t)) {
		uint64_t r = rnd();

		memcpy(t.pattern + i, &r, sizeof(r));
	}
}

/* Where in the pattern a block with this key begins. */
static const unsigned char *pattern_at(uint64_t key)
{
	return t.pattern + key % PATTERN_SPAN;
}

static void fill(void *p, size_t n, uint64_t key)
{
	if (n > PATTERN_LEN - PATTERN_SPAN) {
		fprintf(stderr, "test_heap: fill(%zu bytes): the pattern is shorter\n", n);
		abort();
	}
	memcpy(p, pattern_at(key), n);
}

/* The first byte of p[0..n) that differs from the pattern for key, or n. */
static size_t first_change(const unsigned char *p, size_t n, uint64_t key)
{
	const unsigned char *want = pattern_at(key);
	size_t i = 0;

	if (!memcmp(p, want, n))
		return n;
	while (p[i] == want[i])
		i++;
	return i;
}

/* p[0..n) still holds what fill(p, n, key) put there. */
#define CHECK_FILLED(p, n, key) check_filled(__FILE__, __LINE__, (p), (n), (key))

static void check_filled(const char *file, int line, const void *p, size_t n, uint64_t key)
{
	size_t i = first_change(p, n, key);

	if (i < n)
		check_fail(file, line, "block %p of %zu bytes: byte %zu is %#x, not %#x", p, n, i,
			   ((const unsigned char *)p)[i], pattern_at(key)[i]);
}

/*
 * Gives h a pool of size bytes, 16 past a page boundary: the heap gets the
 * 16-byte alignment it asks for and no more. Returns heap_add_pool()'s result.
 */
static int pool_add(struct heap *h, size_t size)
{
	size_t before = h->stats.free;
	void *mem;
	int ret;

	if (t.pools == POOLS_MAX || posix_memalign(&mem, 4096, size + HEAP_ALIGN))
		return -ENOMEM;
	t.mem[t.pools++] = mem;
	ret = heap_add_pool(h, (char *)mem + HEAP_ALIGN, size);
	if (ret == 0)
		t.capacity += h->stats.free - before;
	return ret;
}

static int grow(struct heap *h, size_t need)
{
	t.grow_calls++;
	if (t.grow_fails)
		return -ENOMEM;
	return pool_add(h, need > t.grow_min ? need : t.grow_min);
}

/* Pools 16 bytes past a page boundary never line up with a granule: nothing is released. */
static const struct heap_ops grow_ops = { .grow = grow, .granule = 4096 };

/* A fresh heap with one pool of size bytes (none for 0); growable ones grow by 4 MiB. */
static struct heap *setup(size_t size, bool growable)
{
	pattern_init();
	heap_init(&t.heap, growable ? &grow_ops : NULL);
	t.capacity = 0;
	t.grow_calls = 0;
	t.grow_fails = false;
	t.grow_min = STRESS_POOL;
	if (size)
		CHECK_EQ(pool_add(&t.heap, size), 0);
	fake_log_clear();
	return &t.heap;
}

/* A request that takes all of a free block of capacity bytes: what is left is the canary's. */
static size_t all_of(size_t capacity)
{
	return capacity - HEAP_ALIGN;
}

static void *alloc(size_t size)
{
	return heap_alloc(&t.heap, size, HEAP_ALIGN, CALLER);
}

static void release(void *p)
{
	heap_free(&t.heap, p, CALLER);
}

/* The random run. */

#define SLOTS 4096

struct slot {
	unsigned char *p; /* NULL while empty */
	size_t size;
	uint64_t key; /* the block holds pattern_at(key)[0..size) */
	uint32_t gen; /* blocks this slot has held */
};

static struct {
	struct slot slot[SLOTS];
	uint64_t seed;
	long op;		 /* the operation running, for messages */
	size_t live, live_bytes; /* blocks in the table, and the bytes they asked for */
	size_t peak;		 /* the most in_use has been, by our count */
	struct heap_stats base;	 /* the heap's stats when the run began */
} st;

#define STRESS_FAIL(fmt, ...)                                                                    \
	check_fail(__FILE__, __LINE__, "stress seed %#" PRIx64 ", operation %ld: " fmt, st.seed, \
		   st.op, ##__VA_ARGS__)

/* Mostly small, some medium, a few large: what a program asks malloc() for. */
static size_t rnd_size(void)
{
	size_t r = rnd_below(1000);

	if (r < 900)
		return 1 + rnd_below(256);
	if (r < 990)
		return 257 + rnd_below(8 * KIB - 256);
	return 8 * KIB + 1 + rnd_below(BIG_MAX - 8 * KIB);
}

/* Mostly the default, sometimes 32 to 4096. */
static size_t rnd_align(void)
{
	return rnd_below(10) ? HEAP_ALIGN : (size_t)32 << rnd_below(8);
}

/* A new size for a block of old bytes: a fresh draw, or a nudge up or down. */
static size_t rnd_resize(size_t old)
{
	size_t delta = 1 + rnd_below(NUDGE_MAX);

	if (rnd_below(2))
		return rnd_size();
	if (old > delta && (rnd_below(2) || old + delta > BIG_MAX))
		return old - delta;
	return old + delta;
}

/* The first n bytes of s's block still hold its pattern. */
static bool slot_intact(const struct slot *s, size_t n)
{
	size_t i = first_change(s->p, n, s->key);

	if (i == n)
		return true;
	STRESS_FAIL("slot %td, block %p of %zu bytes: byte %zu is %#x, not %#x", s - st.slot,
		    (void *)s->p, s->size, i, s->p[i], pattern_at(s->key)[i]);
	return false;
}

static bool heap_size_ok(struct heap *h, const struct slot *s)
{
	if (heap_size(h, s->p) == s->size)
		return true;
	STRESS_FAIL("heap_size(%p) is %zu, not %zu", (void *)s->p, heap_size(h, s->p), s->size);
	return false;
}

static bool stress_alloc(struct heap *h, struct slot *s)
{
	size_t size = rnd_size(), align = rnd_align();
	unsigned char *p = heap_alloc(h, size, align, CALLER);

	if (!p || (uintptr_t)p % align) {
		STRESS_FAIL("heap_alloc(%zu, align %zu) gave %p", size, align, (void *)p);
		return false;
	}
	s->p = p;
	s->size = size;
	s->gen++;
	s->key = ((uint64_t)(s - st.slot) << 32 | s->gen) * 0x9e3779b97f4a7c15ULL >> 20;
	fill(p, size, s->key);
	st.live++;
	st.live_bytes += size;
	return heap_size_ok(h, s);
}

/*
 * Resizes s's block; the bytes both sizes share must come along. A block
 * that moves is allocated before the old one is freed, so for a moment both
 * count in in_use, and in the peak.
 */
static bool stress_realloc(struct heap *h, struct slot *s)
{
	size_t size = rnd_resize(s->size), in_use = h->stats.in_use;
	unsigned char *p = heap_realloc(h, s->p, size, CALLER);

	if (!p || (uintptr_t)p % HEAP_ALIGN) {
		STRESS_FAIL("heap_realloc(%p of %zu, %zu) gave %p", (void *)s->p, s->size, size,
			    (void *)p);
		return false;
	}
	if (p != s->p && in_use + size > st.peak)
		st.peak = in_use + size;
	s->p = p;
	if (!slot_intact(s, size < s->size ? size : s->size))
		return false;
	if (size > s->size)
		memcpy(p + s->size, pattern_at(s->key) + s->size, size - s->size);
	st.live_bytes += size - s->size;
	s->size = size;
	return heap_size_ok(h, s);
}

static void stress_free(struct heap *h, struct slot *s)
{
	heap_free(h, s->p, CALLER);
	s->p = NULL;
	st.live--;
	st.live_bytes -= s->size;
}

/* One random operation on one random slot; a block is checked before it changes. */
static bool stress_op(struct heap *h)
{
	struct slot *s = &st.slot[rnd_below(SLOTS)];

	if (!s->p)
		return stress_alloc(h, s);
	if (!slot_intact(s, s->size))
		return false;
	if (rnd_below(2))
		return stress_realloc(h, s);
	stress_free(h, s);
	return true;
}

/* The stats agree with the table, exactly, and no misuse was seen. */
static bool stress_stats_ok(const struct heap *h)
{
	const struct heap_stats *now = &h->stats, *base = &st.base;

	if (now->in_use > st.peak)
		st.peak = now->in_use;
	if (now->in_use == base->in_use + st.live_bytes && now->peak == st.peak &&
	    now->allocs - now->frees == base->allocs - base->frees + st.live &&
	    now->failures == base->failures && now->double_frees == base->double_frees &&
	    now->overflows == base->overflows && now->bad_pointers == base->bad_pointers)
		return true;
	STRESS_FAIL("stats: in_use %zu (want %zu), peak %zu (want %zu), allocs - frees %" PRIu64
		    " (want %" PRIu64 "), failures %" PRIu64 ", double frees %" PRIu64
		    ", overflows %" PRIu64 ", bad pointers %" PRIu64,
		    now->in_use, base->in_use + st.live_bytes, now->peak, st.peak,
		    now->allocs - now->frees, base->allocs - base->frees + st.live, now->failures,
		    now->double_frees, now->overflows, now->bad_pointers);
	return false;
}

/*
 * ops random operations on h, then frees what is left; false after the first
 * failure, which names the seed and the operation. h may hold other blocks.
 */
static bool stress_run(struct heap *h, uint64_t seed, long ops)
{
	memset(&st, 0, sizeof(st));
	st.seed = t.rng = seed;
	st.base = h->stats;
	st.peak = h->stats.peak;
	for (st.op = 0; st.op < ops; st.op++)
		if (!stress_op(h) || !stress_stats_ok(h))
			return false;
	for (int i = 0; i < SLOTS; i++) {
		if (st.slot[i].p && !slot_intact(&st.slot[i], st.slot[i].size))
			return false;
		if (st.slot[i].p)
			stress_free(h, &st.slot[i]);
	}
	return stress_stats_ok(h);
}

TEST(stress)
{
	struct heap *h = setup(STRESS_POOL, true);
	const struct heap_stats *s = &h->stats;
	void *whole[POOLS_MAX];
	int pools;

	fprintf(stderr, "heap: stress: seed %#llx, %ld operations\n", STRESS_SEED, STRESS_OPS);
	CHECK(stress_run(h, STRESS_SEED, STRESS_OPS));
	fprintf(stderr, "heap: stress: grow() called %d times, peak %zu bytes in use\n",
		t.grow_calls, s->peak);
	CHECK_EQ(s->in_use, 0);
	CHECK_EQ(s->allocs, s->frees);
	CHECK(s->allocs > STRESS_OPS / 4);
	CHECK_EQ(s->failures + s->double_frees + s->overflows + s->bad_pointers, 0);
	/* The run outgrows the first pool; every call added one. */
	CHECK(t.grow_calls > 0);
	CHECK_EQ(t.grow_calls, t.pools - 1);
	CHECK_EQ(s->pool_bytes, t.pools * STRESS_POOL);
	/* All free again: each pool is one free block, all of which one request takes. */
	CHECK_EQ(s->free, t.capacity);
	pools = t.pools;
	t.grow_fails = true;
	for (int i = 0; i < pools; i++) {
		whole[i] = alloc(all_of(STRESS_POOL - POOL_EXTRA));
		CHECK(whole[i]);
	}
	CHECK_EQ(s->free, 0);
	for (int i = 0; i < pools; i++)
		release(whole[i]);
	CHECK_EQ(s->free, t.capacity);
	CHECK_EQ(s->failures, 0);
}

/* Alignment and sizes. */

TEST(alignment)
{
	static const size_t sizes[] = { 1, 15, 16, 17, 100, 4000, 70000 };
	struct heap *h = setup(16 * MIB + POOL_EXTRA, false);
	unsigned char *p[17 * ARRAY_SIZE(sizes)], *pad[ARRAY_SIZE(p)];
	size_t size[ARRAY_SIZE(p)];
	int n = 0;

	for (size_t align = 1; align <= 64 * KIB; align *= 2) {
		for (size_t i = 0; i < ARRAY_SIZE(sizes); i++, n++) {
			CHECK_CONTEXT("align %zu, size %zu", align, sizes[i]);
			size[n] = sizes[i];
			p[n] = heap_alloc(h, size[n], align, CALLER);
			CHECK(p[n]);
			if (!p[n])
				return;
			CHECK_EQ((uintptr_t)p[n] % (align > HEAP_ALIGN ? align : HEAP_ALIGN), 0);
			CHECK_EQ(heap_size(h, p[n]), size[n]);
			fill(p[n], size[n], n);
			/* Moves the next block's start off whatever this one was aligned to. */
			pad[n] = alloc(1 + n % 40);
			CHECK(pad[n]);
		}
	}
	CHECK_CONTEXT("after all");
	for (int i = 0; i < n; i++) {
		CHECK_FILLED(p[i], size[i], i);
		CHECK_EQ(heap_size(h, p[i]), size[i]);
		release(p[i]);
		release(pad[i]);
	}
	CHECK_EQ(h->stats.in_use, 0);
	CHECK_EQ(h->stats.free, t.capacity);
}

TEST(alignment_not_a_power_of_two_fails)
{
	static const size_t aligns[] = { 3, 24, 48, 100, 4095, 65537 };
	struct heap *h = setup(MIB + POOL_EXTRA, false);

	for (size_t i = 0; i < ARRAY_SIZE(aligns); i++) {
		CHECK_CONTEXT("align %zu", aligns[i]);
		CHECK(!heap_alloc(h, 64, aligns[i], CALLER));
	}
	CHECK_EQ(h->stats.in_use, 0);
	CHECK_EQ(h->stats.allocs, 0);
	CHECK_EQ(h->stats.free, t.capacity);
}

/* Stats. */

/* Checks the stats that the requests so far imply. */
#define CHECK_STATS(h, in_use_, peak_, live)                            \
	do {                                                            \
		CHECK_EQ((h)->stats.in_use, (in_use_));                 \
		CHECK_EQ((h)->stats.peak, (peak_));                     \
		CHECK_EQ((h)->stats.allocs - (h)->stats.frees, (live)); \
	} while (0)

TEST(stats_follow_requests)
{
	struct heap *h = setup(MIB + POOL_EXTRA, false);
	void *a, *b, *c, *d, *p;

	CHECK_EQ(h->stats.pool_bytes, MIB + POOL_EXTRA);
	CHECK_EQ(h->stats.free, MIB);
	CHECK_STATS(h, 0, 0, 0);
	a = alloc(10);
	b = alloc(1000);
	c = heap_alloc(h, 1, 64, CALLER);
	CHECK_STATS(h, 1011, 1011, 3);
	CHECK_EQ(h->stats.allocs, 3);
	release(b);
	CHECK_STATS(h, 11, 1011, 2);
	CHECK_EQ(h->stats.frees, 1);
	/* In place, into b's space; then c stands right behind a. */
	CHECK(heap_realloc(h, a, 1030, CALLER) == a);
	CHECK_STATS(h, 1031, 1031, 2);
	d = alloc(500);
	CHECK_STATS(h, 1531, 1531, 3);
	/* Moving: the new block is there before the old one goes, and the peak saw both. */
	p = heap_realloc(h, a, 2000, CALLER);
	CHECK(p && p != a);
	a = p;
	CHECK_STATS(h, 2501, 1531 + 2000, 3);
	d = heap_realloc(h, d, 100, CALLER);
	CHECK_STATS(h, 2101, 3531, 3);
	/* Failures change nothing but their counter. */
	CHECK(!alloc(2 * MIB));
	CHECK(!heap_realloc(h, d, 2 * MIB, CALLER));
	CHECK_STATS(h, 2101, 3531, 3);
	CHECK_EQ(h->stats.failures, 2);
	release(a);
	release(c);
	release(d);
	CHECK_STATS(h, 0, 3531, 0);
	CHECK_EQ(h->stats.free, MIB);
	CHECK_EQ(h->stats.pool_bytes, MIB + POOL_EXTRA);
	CHECK_EQ(h->stats.double_frees + h->stats.overflows + h->stats.bad_pointers, 0);
}

/* Running out of memory. */

#define SMALL_POOL (64 * KIB)

/* Blocks that fill() keys by their own address, so they can be checked in any order. */
static void fill_own(void *p)
{
	fill(p, heap_size(&t.heap, p), (uintptr_t)p);
}

static void check_own_and_free(void *p)
{
	CHECK_FILLED(p, heap_size(&t.heap, p), (uintptr_t)p);
	release(p);
}

/*
 * Allocates blocks of size bytes, then of 1 byte, until each fails, into p;
 * returns how many it got. Each ends with one failure. After it no free block
 * is left: every one holds 1 byte.
 */
static int exhaust(struct heap *h, void **p, int max, size_t size)
{
	int n = 0;

	for (int pass = 0; pass < 2; pass++, size = 1) {
		while (n < max && (p[n] = heap_alloc(h, size, HEAP_ALIGN, CALLER)) != NULL)
			fill_own(p[n++]);
	}
	CHECK(n < max);
	CHECK_EQ(h->stats.free, 0);
	return n;
}

/* Frees what exhaust() got (which must be intact); then the pool is whole again. */
static void check_whole_after_exhaust(struct heap *h, void **p, int n)
{
	void *big;

	for (int i = 0; i < n; i++)
		check_own_and_free(p[i]);
	CHECK_EQ(h->stats.in_use, 0);
	CHECK_EQ(h->stats.free, SMALL_POOL);
	big = alloc(all_of(SMALL_POOL));
	CHECK(big);
	release(big);
}

TEST(out_of_memory_without_grow)
{
	struct heap *h = setup(SMALL_POOL + POOL_EXTRA, false);
	void *p[SMALL_POOL / 16];
	struct heap_stats before;
	int n = exhaust(h, p, ARRAY_SIZE(p), 100);

	CHECK(n > (int)(SMALL_POOL / 256));
	CHECK_EQ(h->stats.failures, 2);
	CHECK_STRSTR(fake_log(), "out of memory");
	CHECK_STRSTR(fake_log(), CALLER_TEXT);
	/* More failures, of every kind of request, change nothing but their count. */
	before = h->stats;
	CHECK(!alloc(1));
	CHECK(!alloc(SMALL_POOL));
	CHECK(!heap_alloc(h, 1, 4096, CALLER));
	CHECK(!heap_realloc(h, p[0], 1000, CALLER));
	CHECK_EQ(h->stats.failures, before.failures + 4);
	CHECK_EQ(h->stats.in_use, before.in_use);
	CHECK_EQ(h->stats.free, before.free);
	CHECK_EQ(h->stats.allocs, before.allocs);
	CHECK_EQ(h->stats.frees, before.frees);
	check_whole_after_exhaust(h, p, n);
}

TEST(out_of_memory_when_grow_fails)
{
	struct heap *h = setup(SMALL_POOL + POOL_EXTRA, true);
	void *p[SMALL_POOL / 16];
	int n;

	t.grow_fails = true;
	n = exhaust(h, p, ARRAY_SIZE(p), 100);
	CHECK(n > (int)(SMALL_POOL / 256));
	CHECK_EQ(h->stats.failures, 2);
	CHECK_EQ(t.grow_calls, 2);
	CHECK_EQ(h->stats.pool_bytes, SMALL_POOL + POOL_EXTRA);
	CHECK_STRSTR(fake_log(), "out of memory");
	check_whole_after_exhaust(h, p, n);
}

TEST(a_try_that_fails_is_counted_not_warned)
{
	struct heap *h = setup(SMALL_POOL + POOL_EXTRA, true);

	t.grow_fails = true;
	CHECK(heap_try_alloc(h, 2 * SMALL_POOL, HEAP_ALIGN, NULL) == NULL);
	CHECK_EQ(h->stats.failures, 1);
	CHECK_EQ(fake_log_count(), 0);
	CHECK(heap_alloc(h, 2 * SMALL_POOL, HEAP_ALIGN, NULL) == NULL);
	CHECK_EQ(h->stats.failures, 2);
	CHECK_STRSTR(fake_log(), "out of memory");
}

TEST(requests_beyond_max_fail)
{
	static const size_t sizes[] = { HEAP_MAX_ALLOC, HEAP_MAX_ALLOC + 1, SIZE_MAX / 2,
					SIZE_MAX - 15,	SIZE_MAX - 7,	    SIZE_MAX };
	struct heap *h = setup(MIB + POOL_EXTRA, false);
	void *p = alloc(100);

	fill(p, 100, 1);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		CHECK_CONTEXT("size %#zx", sizes[i]);
		CHECK(!alloc(sizes[i]));
		CHECK(!heap_alloc(h, sizes[i], 4096, CALLER));
		CHECK(!heap_realloc(h, p, sizes[i], CALLER));
		CHECK(!heap_realloc(h, NULL, sizes[i], CALLER));
	}
	CHECK_CONTEXT("huge alignments");
	CHECK(!heap_alloc(h, 1, HEAP_MAX_ALLOC, CALLER));
	CHECK(!heap_alloc(h, 1, HEAP_MAX_ALLOC << 1, CALLER));
	CHECK(!heap_alloc(h, 1, (size_t)1 << 63, CALLER));
	CHECK_FILLED(p, 100, 1);
	CHECK_EQ(heap_size(h, p), 100);
	CHECK_EQ(h->stats.in_use, 100);
	release(p);
	CHECK_EQ(h->stats.free, MIB);
	p = alloc(all_of(MIB));
	CHECK(p);
}

/* Growing. */

TEST(grow_adds_pools_on_demand)
{
	struct heap *h = setup(0, true);
	void *a, *b, *c;

	t.grow_min = 512 * KIB + POOL_EXTRA;
	CHECK_EQ(h->stats.pool_bytes, 0);
	a = alloc(200 * KIB);
	CHECK(a);
	CHECK_EQ(t.grow_calls, 1);
	b = alloc(200 * KIB); /* fits beside a */
	CHECK(b);
	CHECK_EQ(t.grow_calls, 1);
	c = alloc(200 * KIB);
	CHECK(c);
	CHECK_EQ(t.grow_calls, 2);
	if (!a || !b || !c)
		return;
	CHECK_EQ(h->stats.pool_bytes, 2 * (512 * KIB + POOL_EXTRA));
	CHECK_EQ(h->stats.failures, 0);
	fill(a, 200 * KIB, 1);
	fill(b, 200 * KIB, 2);
	fill(c, 200 * KIB, 3);
	CHECK_FILLED(a, 200 * KIB, 1);
	CHECK_FILLED(b, 200 * KIB, 2);
	release(a);
	release(b);
	release(c);
	CHECK_EQ(h->stats.free, t.capacity);
	CHECK_EQ(t.capacity, 2 * 512 * KIB);
}

/*
 * heap.h: grow() is to "add a pool of at least need bytes"; one of exactly
 * need bytes must then hold the request that asked for it.
 */
TEST(grow_of_exactly_need_bytes_suffices)
{
	static const size_t sizes[] = { 1, 100, 1000, 5000, 70000, 300000, MIB };
	static const size_t aligns[] = { 16, 64, 4096 };

	for (size_t a = 0; a < ARRAY_SIZE(aligns); a++) {
		for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
			struct heap *h = setup(0, true);
			unsigned char *p;

			CHECK_CONTEXT("size %zu, align %zu", sizes[i], aligns[a]);
			t.grow_min = 0;
			t.grow_calls = 0;
			p = heap_alloc(h, sizes[i], aligns[a], CALLER);
			CHECK(p);
			CHECK_EQ(t.grow_calls, 1);
			CHECK_EQ((uintptr_t)p % aligns[a], 0);
			CHECK_EQ(h->stats.failures, 0);
		}
	}
}

/* Double frees. */

TEST(double_free_is_caught)
{
	struct heap *h = setup(16 * MIB + POOL_EXTRA, true);
	void *a = alloc(100), *guard = alloc(100);
	size_t free_bytes;

	fill(guard, 100, 7);
	release(a);
	free_bytes = h->stats.free;
	release(a);
	CHECK_EQ(h->stats.double_frees, 1);
	CHECK_EQ(h->stats.frees, 1);
	CHECK_EQ(h->stats.in_use, 100);
	CHECK_EQ(h->stats.free, free_bytes);
	CHECK_STRSTR(fake_log(), "double free");
	CHECK_STRSTR(fake_log(), CALLER_TEXT);
	CHECK_EQ(heap_size(h, a), 0);
	/* realloc() of a freed block is one too, and gives nothing. */
	CHECK(!heap_realloc(h, a, 200, CALLER));
	CHECK_EQ(h->stats.double_frees, 2);
	CHECK_EQ(h->stats.allocs, 2);
	CHECK_FILLED(guard, 100, 7);
	CHECK(stress_run(h, 1, AFTER_OPS));
	release(guard);
	CHECK_EQ(h->stats.in_use, 0);
	CHECK_EQ(h->stats.free, t.capacity);
}

/* a merged with b, which was free, when a was freed: a's header is still a block's. */
TEST(double_free_after_merge_is_caught)
{
	struct heap *h = setup(16 * MIB + POOL_EXTRA, true);
	void *a = alloc(100), *b = alloc(200), *c = alloc(300);
	struct heap_stats before;

	fill(c, 300, 3);
	release(b);
	release(a);
	before = h->stats;
	release(a);
	CHECK_EQ(h->stats.double_frees, 1);
	CHECK_STRSTR(fake_log(), "double free");
	/* b's header now lies inside a's free block: freeing b again must be caught too. */
	release(b);
	CHECK_EQ(h->stats.double_frees + h->stats.bad_pointers, 2);
	CHECK_EQ(h->stats.frees, before.frees);
	CHECK_EQ(h->stats.free, before.free);
	CHECK_EQ(h->stats.in_use, 300);
	CHECK_FILLED(c, 300, 3);
	CHECK(stress_run(h, 2, AFTER_OPS));
	release(c);
	CHECK_EQ(h->stats.free, t.capacity);
}

/* Pointers the heap never handed out. */

static char global_bytes[64] __attribute__((aligned(16)));

TEST(free_of_pointer_outside_pools_is_caught)
{
	struct heap *h = setup(16 * MIB + POOL_EXTRA, true);
	char stack_bytes[64] __attribute__((aligned(16)));
	char *pool = (char *)t.mem[0] + HEAP_ALIGN;
	void *bad[] = { stack_bytes, stack_bytes + 16, global_bytes, &t.heap, pool, pool + 16,
			/* the pool's first header, and its end */
			pool + HEAP_POOL_OVERHEAD - 16, pool + 16 * MIB + POOL_EXTRA, (void *)16,
			(void *)UINTPTR_MAX };
	void *p = alloc(100);

	fill(p, 100, 5);
	memset(stack_bytes, 0x5a, sizeof(stack_bytes));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		CHECK_CONTEXT("pointer %zu, %p", i, bad[i]);
		fake_log_clear();
		release(bad[i]);
		CHECK_EQ(h->stats.bad_pointers, 2 * i + 1);
		CHECK_STRSTR(fake_log(), "did not hand out");
		CHECK_STRSTR(fake_log(), CALLER_TEXT);
		CHECK_EQ(heap_size(h, bad[i]), 0);
		CHECK(!heap_realloc(h, bad[i], 10, CALLER));
		CHECK_EQ(h->stats.bad_pointers, 2 * i + 2);
	}
	CHECK_CONTEXT("after");
	for (size_t i = 0; i < sizeof(stack_bytes); i++)
		CHECK_EQ(stack_bytes[i], 0x5a);
	CHECK_EQ(h->stats.frees + h->stats.double_frees + h->stats.overflows, 0);
	CHECK_FILLED(p, 100, 5);
	CHECK(stress_run(h, 3, AFTER_OPS));
	release(p);
	CHECK_EQ(h->stats.free, t.capacity);
}

/*
 * Pointers into a live block, filled as any program fills its memory: what
 * lies before such a pointer is data, not a header, and must not be trusted.
 */
TEST(free_of_pointer_into_block_is_caught)
{
	static const size_t offsets[] = { 1, 8, 15, 255, 16, 32, 48, 64, 128, 240 };
	struct heap *h = setup(16 * MIB + POOL_EXTRA, true);
	unsigned char *p = alloc(256), *after = alloc(256);

	fill(p, 256, 1);
	fill(after, 256, 2);
	for (size_t i = 0; i < ARRAY_SIZE(offsets); i++) {
		CHECK_CONTEXT("block + %zu", offsets[i]);
		fake_log_clear();
		release(p + offsets[i]);
		CHECK_EQ(h->stats.bad_pointers, i + 1);
		CHECK_STRSTR(fake_log(), "did not hand out");
		CHECK_EQ(heap_size(h, p + offsets[i]), 0);
	}
	CHECK_CONTEXT("after");
	CHECK_EQ(h->stats.frees, 0);
	CHECK_FILLED(p, 256, 1);
	CHECK_FILLED(after, 256, 2);
	CHECK_EQ(heap_size(h, p), 256);
	CHECK(stress_run(h, 4, AFTER_OPS));
	release(p);
	release(after);
	CHECK_EQ(h->stats.free, t.capacity);
}

/* b merged into a when both were freed; a's space went to x, so b points into x now. */
TEST(free_of_stale_pointer_into_reused_block_is_caught)
{
	struct heap *h = setup(16 * MIB + POOL_EXTRA, true);
	void *a = alloc(200), *b = alloc(200), *guard = alloc(200), *x;

	release(a);
	release(b);
	x = alloc(400);
	CHECK(x == a);
	fill(x, 400, 3);
	release(b);
	CHECK_EQ(h->stats.double_frees + h->stats.bad_pointers, 1);
	CHECK_EQ(h->stats.frees, 2);
	CHECK_FILLED(x, 400, 3);
	CHECK_EQ(heap_size(h, x), 400);
	release(x);
	release(guard);
	CHECK_EQ(h->stats.free, t.capacity);
}

/* Writes past the end. */

static const size_t larger_sizes[] = { 100, 120, 127, 128, 129, 255, 256, 1000, 4088, 4096, 65536 };
#define OVERFLOW_SIZES (64 + (int)ARRAY_SIZE(larger_sizes))

/* Every size up to 64, then some larger ones around rounding steps. */
static size_t overflow_size(int i)
{
	return i < 64 ? (size_t)i + 1 : larger_sizes[i - 64];
}

/*
 * The block at p (size bytes, aligned to align) was written past its end:
 * freeing it must report that and keep it, and the next request for the
 * same size must get other memory.
 */
static void check_overflow_caught(unsigned char *p, size_t size, size_t align, uint64_t key)
{
	struct heap *h = &t.heap;
	struct heap_stats before = h->stats;
	unsigned char *q;

	fake_log_clear();
	release(p);
	CHECK_EQ(h->stats.overflows, before.overflows + 1);
	CHECK_EQ(h->stats.frees, before.frees);
	CHECK_EQ(h->stats.in_use, before.in_use);
	CHECK_EQ(h->stats.free, before.free);
	CHECK_STRSTR(fake_log(), "write past the end");
	CHECK_STRSTR(fake_log(), CALLER_TEXT);
	CHECK_FILLED(p, size, key);
	CHECK_EQ(heap_size(h, p), 0);
	q = heap_alloc(h, size, align, CALLER);
	CHECK(q && (q >= p + size + 1 || q + size <= p));
	fill(q, size, key + 1);
	release(q);
	CHECK_EQ(h->stats.frees, before.frees + 1);
	CHECK_EQ(h->stats.overflows, before.overflows + 1);
}

TEST(write_one_past_end_is_caught)
{
	static const size_t aligns[] = { HEAP_ALIGN, 64 };
	struct heap *h = setup(16 * MIB + POOL_EXTRA, true);
	size_t kept = 0;
	int n = 0;

	for (size_t a = 0; a < ARRAY_SIZE(aligns); a++) {
		for (int i = 0; i < OVERFLOW_SIZES; i++, n++) {
			size_t size = overflow_size(i);
			unsigned char *p = heap_alloc(h, size, aligns[a], CALLER);

			CHECK_CONTEXT("size %zu, align %zu", size, aligns[a]);
			CHECK(p);
			if (!p)
				return;
			fill(p, size, n);
			/* Its complement: the byte changes, whatever the heap put there. */
			p[size] = (unsigned char)~p[size];
			check_overflow_caught(p, size, aligns[a], n);
			kept += size;
		}
	}
	CHECK_CONTEXT("after");
	CHECK_EQ(h->stats.overflows, n);
	CHECK_EQ(h->stats.in_use, kept);
	CHECK(stress_run(h, 5, AFTER_OPS));
	CHECK_EQ(h->stats.in_use, kept);
}

TEST(overwritten_canary_is_caught)
{
	struct heap *h = setup(16 * MIB + POOL_EXTRA, true);
	unsigned char *neighbour = alloc(24);
	int n = 0;

	for (int i = 0; i < 64; i++) {
		size_t size = overflow_size(i);

		/* The whole word: zeros, ones, and another block's canary word. */
		for (int how = 0; how < 3 + 8; how++, n++) {
			unsigned char *p = alloc(size), *canary;

			CHECK_CONTEXT("size %zu, overwrite %d", size, how);
			CHECK(p);
			if (!p)
				return;
			fill(p, size, n);
			canary = CANARY_AT(p, size);
			if (how == 0)
				memset(canary, 0, 8);
			else if (how == 1)
				memset(canary, 0xff, 8);
			else if (how == 2)
				memcpy(canary, CANARY_AT(neighbour, 24), 8);
			else /* one byte of it */
				canary[how - 3] = (unsigned char)~canary[how - 3];
			check_overflow_caught(p, size, HEAP_ALIGN, n);
		}
	}
	CHECK_CONTEXT("after");
	CHECK_EQ(h->stats.overflows, n);
	CHECK_EQ(heap_size(h, neighbour), 24);
	CHECK(stress_run(h, 6, AFTER_OPS));
}

TEST(writes_within_size_are_not_overflows)
{
	static const unsigned char bytes[] = { 0x00, 0xa5, 0xff, 0x5a };
	struct heap *h = setup(MIB + POOL_EXTRA, false);

	for (int i = 0; i < OVERFLOW_SIZES; i++) {
		size_t size = overflow_size(i);

		for (size_t b = 0; b < ARRAY_SIZE(bytes); b++) {
			unsigned char *p = heap_alloc(h, size, b % 2 ? 64 : HEAP_ALIGN, CALLER);

			CHECK_CONTEXT("size %zu, byte %#x", size, bytes[b]);
			CHECK(p);
			if (!p)
				return;
			memset(p, bytes[b], size);
			CHECK_EQ(heap_size(h, p), size);
			/* And again after a resize, across its new size. */
			p = heap_realloc(h, p, size + b * 8, CALLER);
			CHECK(p);
			if (!p)
				return;
			memset(p, bytes[b], size + b * 8);
			release(p);
		}
	}
	CHECK_CONTEXT("after");
	CHECK_EQ(h->stats.overflows, 0);
	CHECK_EQ(h->stats.in_use, 0);
	CHECK_EQ(h->stats.allocs, h->stats.frees);
	CHECK_EQ(h->stats.free, MIB);
	CHECK_EQ(fake_log_count(), 0);
}

/* realloc. */

TEST(realloc_of_null_allocates)
{
	struct heap *h = setup(MIB + POOL_EXTRA, false);
	unsigned char *p = heap_realloc(h, NULL, 100, CALLER);

	CHECK(p);
	CHECK_EQ((uintptr_t)p % HEAP_ALIGN, 0);
	CHECK_EQ(heap_size(h, p), 100);
	CHECK_EQ(h->stats.allocs, 1);
	CHECK_EQ(h->stats.in_use, 100);
	fill(p, 100, 1);
	release(p);
	CHECK_EQ(h->stats.frees, 1);
	CHECK_EQ(h->stats.free, MIB);
}

TEST(realloc_grows_in_place_into_free_neighbour)
{
	struct heap *h = setup(MIB + POOL_EXTRA, false);
	unsigned char *a = alloc(100), *b = alloc(100), *c = alloc(100), *p;

	fill(a, 100, 1);
	fill(c, 100, 3);
	release(b);
	/* Into the freed b, which had 100 bytes and a header. */
	p = heap_realloc(h, a, 200, CALLER);
	CHECK(p == a);
	CHECK_FILLED(a, 100, 1);
	CHECK_EQ(heap_size(h, a), 200);
	fill(a, 200, 1);
	CHECK_FILLED(c, 100, 3);
	/* Into the rest of the pool. */
	p = heap_realloc(h, c, 500 * KIB, CALLER);
	CHECK(p == c);
	CHECK_FILLED(c, 100, 3);
	CHECK_EQ(heap_size(h, c), 500 * KIB);
	CHECK_EQ(h->stats.allocs, 3);
	CHECK_EQ(h->stats.in_use, 200 + 500 * KIB);
	release(a);
	release(c);
	CHECK_EQ(h->stats.free, MIB);
}

TEST(realloc_moves_when_neighbour_is_used)
{
	struct heap *h = setup(MIB + POOL_EXTRA, false);
	unsigned char *a = alloc(100), *b = alloc(100), *p;

	fill(a, 100, 1);
	fill(b, 100, 2);
	p = heap_realloc(h, a, 1000, CALLER);
	CHECK(p && p != a);
	CHECK_FILLED(p, 100, 1);
	CHECK_EQ(heap_size(h, p), 1000);
	CHECK_EQ(heap_size(h, a), 0); /* a was freed */
	CHECK_FILLED(b, 100, 2);
	CHECK_EQ(h->stats.in_use, 1100);
	CHECK_EQ(h->stats.allocs - h->stats.frees, 2);
	/* Large blocks move too, all their bytes along. */
	fill(p, 1000, 1);
	a = heap_realloc(h, b, 200 * KIB, CALLER);
	CHECK(a && a != b);
	CHECK_FILLED(a, 100, 2);
	fill(a, 200 * KIB, 4);
	b = heap_realloc(h, p, 100 * KIB, CALLER);
	CHECK(b && b != p);
	CHECK_FILLED(b, 1000, 1);
	CHECK_FILLED(a, 200 * KIB, 4);
	release(a);
	release(b);
	CHECK_EQ(h->stats.in_use, 0);
	CHECK_EQ(h->stats.free, MIB);
}

TEST(realloc_shrinks_in_place)
{
	struct heap *h = setup(MIB + POOL_EXTRA, false);
	unsigned char *a = alloc(100 * KIB), *b = alloc(100), *p;
	size_t free_bytes;

	fill(a, 100 * KIB, 1);
	fill(b, 100, 2);
	free_bytes = h->stats.free;
	p = heap_realloc(h, a, 100, CALLER);
	CHECK(p == a);
	CHECK_FILLED(a, 100, 1);
	CHECK_EQ(heap_size(h, a), 100);
	CHECK_EQ(h->stats.in_use, 200);
	/* The tail is free: a's payload, but for 100 bytes, a canary and a header. */
	CHECK(h->stats.free >= free_bytes + 100 * KIB - 128);
	for (size_t size = 99; size > 0; size -= 7) {
		CHECK_CONTEXT("size %zu", size);
		p = heap_realloc(h, a, size, CALLER);
		CHECK(p == a);
		CHECK_FILLED(a, size, 1);
		CHECK_EQ(heap_size(h, a), size);
		if (size < 7)
			break;
	}
	CHECK_CONTEXT("after");
	CHECK_FILLED(b, 100, 2);
	release(a);
	release(b);
	CHECK_EQ(h->stats.free, MIB);
	CHECK_EQ(h->stats.in_use, 0);
}

TEST(realloc_of_overflowed_block_fails)
{
	struct heap *h = setup(MIB + POOL_EXTRA, false);
	unsigned char *p = alloc(20);

	fill(p, 20, 1);
	p[20] = (unsigned char)~p[20];
	CHECK(!heap_realloc(h, p, 40, CALLER));
	CHECK_EQ(h->stats.overflows, 1);
	CHECK_STRSTR(fake_log(), "write past the end");
	CHECK_STRSTR(fake_log(), CALLER_TEXT);
	CHECK(!heap_realloc(h, p, 10, CALLER));
	CHECK_EQ(h->stats.overflows, 2);
	CHECK_EQ(h->stats.in_use, 20);
	CHECK_EQ(h->stats.allocs, 1);
	CHECK_EQ(h->stats.frees, 0);
	CHECK_FILLED(p, 20, 1);
}

TEST(realloc_failure_keeps_block)
{
	struct heap *h = setup(SMALL_POOL + POOL_EXTRA, false);
	unsigned char *a = alloc(1000), *b = alloc(1000);

	fill(a, 1000, 1);
	fill(b, 1000, 2);
	CHECK(!heap_realloc(h, a, SMALL_POOL, CALLER));
	CHECK_EQ(h->stats.failures, 1);
	CHECK_FILLED(a, 1000, 1);
	CHECK_EQ(heap_size(h, a), 1000);
	CHECK_EQ(h->stats.in_use, 2000);
	release(a);
	release(b);
	CHECK_EQ(h->stats.free, SMALL_POOL);
}

/* Pools. */

TEST(add_pool_rejects_unaligned_or_small)
{
	static const size_t small[] = { 0, 16, HEAP_POOL_OVERHEAD, POOL_EXTRA, POOL_EXTRA + 15 };
	static const size_t offsets[] = { 1, 4, 8, 15 };
	struct heap *h = setup(0, false);
	unsigned char *mem = aligned_alloc(4096, 3 * MIB);

	for (size_t i = 0; i < ARRAY_SIZE(offsets); i++) {
		CHECK_CONTEXT("offset %zu", offsets[i]);
		CHECK_EQ(heap_add_pool(h, mem + offsets[i], MIB), -EINVAL);
	}
	for (size_t i = 0; i < ARRAY_SIZE(small); i++) {
		CHECK_CONTEXT("size %zu", small[i]);
		CHECK_EQ(heap_add_pool(h, mem, small[i]), -EINVAL);
	}
	CHECK_CONTEXT("after");
	CHECK_EQ(h->stats.pool_bytes, 0);
	CHECK_EQ(h->stats.free, 0);
	CHECK(!alloc(1));
	/* The smallest pool that holds a block, and one of a size that is no multiple of 16. */
	CHECK_EQ(heap_add_pool(h, mem, POOL_EXTRA + 16), 0);
	CHECK_EQ(h->stats.free, 16);
	CHECK_EQ(h->stats.pool_bytes, POOL_EXTRA + 16);
	CHECK_EQ(heap_add_pool(h, mem + MIB, MIB + POOL_EXTRA + 7), 0);
	CHECK_EQ(h->stats.free, 16 + MIB);
	CHECK(alloc(all_of(MIB)));
	CHECK(alloc(1));
	CHECK_EQ(h->stats.free, 0);
	free(mem);
}

TEST(add_pool_capacity)
{
	static const size_t sizes[] = { 4 * KIB, 64 * KIB + 48, MIB + POOL_EXTRA, 3 * MIB };
	struct heap *h = setup(0, false);
	size_t total = 0;

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t free_bytes = h->stats.free;

		CHECK_CONTEXT("size %zu", sizes[i]);
		CHECK_EQ(pool_add(h, sizes[i]), 0);
		total += sizes[i];
		CHECK_EQ(h->stats.pool_bytes, total);
		CHECK_EQ(h->stats.free - free_bytes, sizes[i] - POOL_EXTRA);
	}
	CHECK_EQ(h->stats.in_use, 0);
}

/* Merging. */

static int by_address(const void *a, const void *b)
{
	void *const *pa = a, *const *pb = b;
	uintptr_t x = (uintptr_t)pa[0], y = (uintptr_t)pb[0];

	return (x > y) - (x < y);
}

/*
 * Fills a pool with blocks of random sizes and alignments, then frees them
 * in random order, by rising address, and by falling address: each time,
 * one request for the whole pool must then succeed.
 */
TEST(freed_neighbours_merge)
{
	enum { RANDOM, RISING, FALLING };
	struct heap *h = setup(MIB + POOL_EXTRA, false);
	static void *p[MIB / 32];
	void *whole;

	t.rng = 7;
	for (int order = RANDOM; order <= FALLING; order++) {
		int n = 0;

		CHECK_CONTEXT("order %d", order);
		while (n < (int)ARRAY_SIZE(p) &&
		       (p[n] = heap_alloc(h, 1 + rnd_below(2000), rnd_below(4) ? 16 : 256,
					  CALLER)) != NULL)
			fill_own(p[n++]);
		n += exhaust(h, p + n, ARRAY_SIZE(p) - n, 1);
		CHECK(n > 500);
		for (int i = 0; order == RANDOM && i < n; i++) {
			int j = i + rnd_below(n - i);
			void *x = p[i];

			p[i] = p[j];
			p[j] = x;
		}
		if (order != RANDOM)
			qsort(p, n, sizeof(p[0]), by_address);
		for (int i = 0; i < n; i++)
			check_own_and_free(p[order == FALLING ? n - 1 - i : i]);
		CHECK_EQ(h->stats.in_use, 0);
		CHECK_EQ(h->stats.free, MIB);
		whole = alloc(all_of(MIB));
		CHECK(whole);
		release(whole);
	}
	CHECK_EQ(h->stats.double_frees + h->stats.overflows + h->stats.bad_pointers, 0);
}

/* The front end (heap_enable_cache). */

static struct heap *setup_cached(size_t size, bool growable)
{
	struct heap *h = setup(size, growable);

	heap_enable_cache(h);
	return h;
}

TEST(stress_with_the_cache)
{
	struct heap *h = setup_cached(STRESS_POOL, true);
	const struct heap_stats *s = &h->stats;

	CHECK(stress_run(h, STRESS_SEED ^ 1, STRESS_OPS / 2));
	CHECK_EQ(s->in_use, 0);
	CHECK_EQ(s->allocs, s->frees);
	CHECK_EQ(s->failures + s->double_frees + s->overflows + s->bad_pointers, 0);
	CHECK(s->cached > 0 && s->cached <= HEAP_CACHE_BYTES);
	/* Every byte is free or waits on a list: nothing is lost. */
	heap_cache_flush(h);
	CHECK_EQ(s->cached, 0);
	CHECK_EQ(s->free, t.capacity);
}

TEST(cache_hands_back_the_block_just_freed)
{
	struct heap *h = setup_cached(MIB + POOL_EXTRA, false);
	unsigned char *a = alloc(100), *b;

	fill(a, 100, 3);
	release(a);
	CHECK(h->stats.cached > 0);
	CHECK_EQ(heap_size(h, a), 0); /* not live while it waits */
	b = alloc(90);		      /* the same size once rounded */
	CHECK(b == a);
	CHECK_EQ(h->stats.cached, 0);
	CHECK_EQ(heap_size(h, b), 90);
	CHECK_EQ(h->stats.in_use, 90);
	release(b);
	CHECK_EQ(h->stats.in_use, 0);
}

TEST(cache_double_free_is_caught)
{
	struct heap *h = setup_cached(16 * MIB + POOL_EXTRA, false);
	void *a = alloc(50);
	size_t cached;

	release(a);
	cached = h->stats.cached;
	release(a);
	CHECK_EQ(h->stats.double_frees, 1);
	CHECK_EQ(h->stats.frees, 1);
	CHECK_EQ(h->stats.cached, cached);
	CHECK_STRSTR(fake_log(), "double free");
	CHECK_STRSTR(fake_log(), CALLER_TEXT);
	CHECK(!heap_realloc(h, a, 60, CALLER)); /* realloc of it, too */
	CHECK_EQ(h->stats.double_frees, 2);
	CHECK(alloc(50) == a); /* and the list is intact */
	CHECK(stress_run(h, 2, AFTER_OPS));
}

TEST(cache_overflow_is_caught)
{
	struct heap *h = setup_cached(MIB + POOL_EXTRA, false);
	unsigned char *a = alloc(24);

	a[24] = 'X'; /* one byte past the end */
	release(a);
	CHECK_EQ(h->stats.overflows, 1);
	CHECK_EQ(h->stats.cached, 0); /* such a block never waits for reuse */
	CHECK_STRSTR(fake_log(), "write past the end");
	CHECK(alloc(24) != a);
}

TEST(cache_pointer_into_a_block_is_caught)
{
	struct heap *h = setup_cached(MIB + POOL_EXTRA, false);
	unsigned char *a = alloc(200);

	release(a + 32);
	CHECK_EQ(h->stats.bad_pointers, 1);
	CHECK_EQ(h->stats.cached, 0);
	release(a);
	CHECK(h->stats.cached > 0);
}

TEST(cache_gives_way_when_memory_runs_short)
{
	struct heap *h = setup_cached(MIB + POOL_EXTRA, false);
	void *p[64], *whole;

	for (int i = 0; i < 64; i++)
		p[i] = alloc(1000);
	for (int i = 0; i < 64; i++)
		release(p[i]);
	CHECK(h->stats.cached > 0);
	whole = alloc(all_of(MIB)); /* needs every byte, the cached ones too */
	CHECK(whole != NULL);
	CHECK_EQ(h->stats.cached, 0);
	CHECK_EQ(h->stats.failures, 0);
}

TEST(cache_is_bounded)
{
	enum { N = 3 * HEAP_CACHE_DEPTH };
	struct heap *h = setup_cached(16 * MIB + POOL_EXTRA, false);
	void *p[N], *big[64];
	size_t before = h->stats.free;

	for (int i = 0; i < N; i++)
		p[i] = alloc(100);
	for (int i = 0; i < N; i++)
		release(p[i]);
	/* 100 bytes and the canary take a 112-byte payload: that size's list is full. */
	CHECK_EQ(h->stats.cached, HEAP_CACHE_DEPTH * 112);
	CHECK_EQ(h->stats.frees, N);
	/* The bytes bound: blocks of 2 KiB until 1 MiB waits, then the rest are freed. */
	for (int round = 0; round < 32; round++) {
		for (int i = 0; i < 64; i++)
			big[i] = alloc(HEAP_CACHE_MAX - 8 - (size_t)round * 16);
		for (int i = 0; i < 64; i++)
			release(big[i]);
	}
	CHECK(h->stats.cached <= HEAP_CACHE_BYTES);
	CHECK_EQ(h->stats.in_use, 0);
	heap_cache_flush(h);
	CHECK_EQ(h->stats.free, before);
}
