/*
 * malloc() and friends over kernel/heap.c. The lock is "no preemption"
 * (sched_preempt_disable): one CPU, and interrupt handlers never allocate,
 * so nothing else can enter the heap meanwhile; it costs a counter, where
 * turning interrupts off costs a flags read that emulators make slow. The
 * heap grows from the page allocator on demand.
 */
#include "lib/libc/malloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <assert.h>

#include "kernel/irq.h"
#include "kernel/page.h"
#include "sched/sched.h"

static int grow(struct heap *h, size_t need);
static void release(struct heap *h, void *mem, size_t size);

static const struct heap_ops page_source = {
	.grow = grow,
	.release = release,
	.granule = PAGE_SIZE,
};

static struct {
	struct heap heap;
	int ready;
} malloc_state;

static struct heap *heap_get(void)
{
	if (!malloc_state.ready) {
		heap_init(&malloc_state.heap, &page_source);
		malloc_state.ready = 1;
	}
	return &malloc_state.heap;
}

/* Called from inside heap_alloc(), preemption off. */
static int grow(struct heap *h, size_t need)
{
	size_t pages = (need + PAGE_SIZE - 1) / PAGE_SIZE;
	size_t want = pages < MALLOC_GROW_MIN / PAGE_SIZE ? MALLOC_GROW_MIN / PAGE_SIZE : pages;
	void *mem = page_alloc(want);

	if (!mem && want > pages)
		mem = page_alloc(want = pages);
	if (!mem)
		return -ENOMEM;
	return heap_add_pool(h, mem, want * PAGE_SIZE);
}

/* Called from inside heap_free(), preemption off. */
static void release(struct heap *h, void *mem, size_t size)
{
	(void)h;
	page_free(mem, size / PAGE_SIZE);
}

static void *alloc(size_t size, size_t align, const void *caller)
{
	void *p;

	assert(!irq_in_handler());
	sched_preempt_disable();
	p = heap_alloc(heap_get(), size, align, caller);
	sched_preempt_enable();
	if (!p)
		errno = ENOMEM;
	return p;
}

void *malloc(size_t size)
{
	return alloc(size, HEAP_ALIGN, __builtin_return_address(0));
}

void *calloc(size_t n, size_t size)
{
	size_t total;
	void *p;

	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	p = alloc(total, HEAP_ALIGN, __builtin_return_address(0));
	if (p)
		memset(p, 0, total);
	return p;
}

void *aligned_alloc(size_t align, size_t size)
{
	if (!align || align & (align - 1)) {
		errno = EINVAL;
		return NULL;
	}
	return alloc(size, align, __builtin_return_address(0));
}

int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	if (align < sizeof(void *) || align & (align - 1))
		return EINVAL;
	p = alloc(size, align, __builtin_return_address(0));
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void free(void *p)
{
	if (!p)
		return;
	assert(!irq_in_handler());
	sched_preempt_disable();
	heap_free(heap_get(), p, __builtin_return_address(0));
	sched_preempt_enable();
}

void *realloc(void *p, size_t size)
{
	void *q;

	sched_preempt_disable();
	q = heap_realloc(heap_get(), p, size, __builtin_return_address(0));
	sched_preempt_enable();
	if (!q && size)
		errno = ENOMEM;
	return q;
}

void malloc_stats(struct heap_stats *st)
{
	sched_preempt_disable();
	*st = heap_get()->stats;
	sched_preempt_enable();
}
