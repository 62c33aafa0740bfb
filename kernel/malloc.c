/*
 * The kernel's heap and the application's (kernel/malloc.h). musl lets a
 * static program bring its own malloc(), so the application's is exported
 * (tools/kernel.exports); its errors set the application's errno
 * (abi_set_errno). The kernel's pages are never the application's, and a
 * heap gives its pages back only to the page allocator. The lock is "no
 * preemption" (sched_preempt_disable): one CPU, and interrupt handlers
 * never allocate, so nothing else can enter a heap meanwhile; it costs a
 * counter, where turning interrupts off costs a flags read that emulators
 * make slow. The heaps grow from the page allocator on demand.
 */
#include "kernel/malloc.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/irq.h"
#include "kernel/list.h"
#include "kernel/page.h"
#include "lib/abi/abi.h"
#include "sched/sched.h"

static int grow(struct heap *h, size_t need);
static void release(struct heap *h, void *mem, size_t size);

static const struct heap_ops page_source = {
	.grow = grow,
	.release = release,
	.granule = PAGE_SIZE,
};

struct owned_heap {
	struct heap heap;
	bool app; /* its pages are the application's (page_set_app) */
	bool ready;
};

static struct owned_heap kheap, app_heap = { .app = true };

static struct heap *heap_of(struct owned_heap *o)
{
	if (!o->ready) {
		heap_init(&o->heap, &page_source);
		heap_enable_cache(&o->heap);
		o->ready = true;
	}
	return &o->heap;
}

/* Called from inside heap_alloc(), preemption off. */
static int grow(struct heap *h, size_t need)
{
	struct owned_heap *o = container_of(h, struct owned_heap, heap);
	size_t pages = (need + PAGE_SIZE - 1) / PAGE_SIZE;
	size_t want = pages < MALLOC_GROW_MIN / PAGE_SIZE ? MALLOC_GROW_MIN / PAGE_SIZE : pages;
	void *mem = page_alloc(want);
	int err;

	if (!mem && want > pages)
		mem = page_alloc(want = pages);
	if (!mem)
		return -ENOMEM;
	err = heap_add_pool(h, mem, want * PAGE_SIZE);
	if (err)
		page_free(mem, want);
	else if (o->app)
		page_set_app(mem, want, true);
	return err;
}

/* Called from inside heap_free(), preemption off. */
static void release(struct heap *h, void *mem, size_t size)
{
	if (container_of(h, struct owned_heap, heap)->app)
		page_set_app(mem, size / PAGE_SIZE, false);
	page_free(mem, size / PAGE_SIZE);
}

static void *alloc(struct owned_heap *o, size_t size, size_t align, const void *caller)
{
	void *p;

	assert(!irq_in_handler());
	sched_preempt_disable();
	p = heap_alloc(heap_of(o), size, align, caller);
	sched_preempt_enable();
	return p;
}

static void *zalloc(struct owned_heap *o, size_t n, size_t size, const void *caller)
{
	size_t total;
	void *p;

	if (__builtin_mul_overflow(n, size, &total))
		return NULL;
	p = alloc(o, total, HEAP_ALIGN, caller);
	if (p)
		memset(p, 0, total);
	return p;
}

static void release_block(struct owned_heap *o, void *p, const void *caller)
{
	if (!p)
		return;
	assert(!irq_in_handler());
	sched_preempt_disable();
	heap_free(heap_of(o), p, caller);
	sched_preempt_enable();
}

static void *resize(struct owned_heap *o, void *p, size_t size, const void *caller)
{
	void *q;

	sched_preempt_disable();
	q = heap_realloc(heap_of(o), p, size, caller);
	sched_preempt_enable();
	return q;
}

/* The kernel's heap. */

void *kmalloc(size_t size)
{
	return alloc(&kheap, size, HEAP_ALIGN, __builtin_return_address(0));
}

void *kmalloc_try(size_t size)
{
	void *p;

	assert(!irq_in_handler());
	sched_preempt_disable();
	p = heap_try_alloc(heap_of(&kheap), size, HEAP_ALIGN, __builtin_return_address(0));
	sched_preempt_enable();
	return p;
}

void *kcalloc(size_t n, size_t size)
{
	return zalloc(&kheap, n, size, __builtin_return_address(0));
}

void *kaligned_alloc(size_t align, size_t size)
{
	if (!align || align & (align - 1))
		return NULL;
	return alloc(&kheap, size, align, __builtin_return_address(0));
}

void kfree(void *p)
{
	release_block(&kheap, p, __builtin_return_address(0));
}

void *krealloc(void *p, size_t size)
{
	return resize(&kheap, p, size, __builtin_return_address(0));
}

/* The application's, as C and POSIX name them; errors set its errno. */

void *malloc(size_t size)
{
	void *p = alloc(&app_heap, size, HEAP_ALIGN, __builtin_return_address(0));

	if (!p)
		abi_set_errno(ENOMEM);
	return p;
}

void *calloc(size_t n, size_t size)
{
	void *p = zalloc(&app_heap, n, size, __builtin_return_address(0));

	if (!p)
		abi_set_errno(ENOMEM);
	return p;
}

void *aligned_alloc(size_t align, size_t size)
{
	void *p;

	if (!align || align & (align - 1)) {
		abi_set_errno(EINVAL);
		return NULL;
	}
	p = alloc(&app_heap, size, align, __builtin_return_address(0));
	if (!p)
		abi_set_errno(ENOMEM);
	return p;
}

int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	if (align < sizeof(void *) || align & (align - 1))
		return EINVAL;
	p = alloc(&app_heap, size, align, __builtin_return_address(0));
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void free(void *p)
{
	release_block(&app_heap, p, __builtin_return_address(0));
}

void *realloc(void *p, size_t size)
{
	void *q = resize(&app_heap, p, size, __builtin_return_address(0));

	if (!q && size)
		abi_set_errno(ENOMEM);
	return q;
}

size_t malloc_usable_size(void *p)
{
	size_t n;

	if (!p)
		return 0;
	sched_preempt_disable();
	n = heap_size(heap_of(&app_heap), p);
	sched_preempt_enable();
	return n;
}

void kmalloc_stats(struct heap_stats *st)
{
	sched_preempt_disable();
	*st = heap_of(&kheap)->stats;
	sched_preempt_enable();
}

void malloc_app_stats(struct heap_stats *st)
{
	sched_preempt_disable();
	*st = heap_of(&app_heap)->stats;
	sched_preempt_enable();
}
