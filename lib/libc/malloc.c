/*
 * malloc() and friends over kernel/heap.c. Interrupts are off while the heap
 * changes (one CPU: that is the whole lock; every heap operation is O(1)).
 * The heap grows from the page allocator on demand.
 */
#include "lib/libc/malloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/arch.h"
#include "kernel/page.h"

static int grow(struct heap *h, size_t need);

static struct {
	struct heap heap;
	int ready;
} malloc_state;

static struct heap *heap_get(void)
{
	if (!malloc_state.ready) {
		heap_init(&malloc_state.heap, grow);
		malloc_state.ready = 1;
	}
	return &malloc_state.heap;
}

/* Called with interrupts off, from inside heap_alloc(). */
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

static void *alloc(size_t size, size_t align, const void *caller)
{
	unsigned long flags = irq_save();
	void *p = heap_alloc(heap_get(), size, align, caller);

	irq_restore(flags);
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
	unsigned long flags;

	if (!p)
		return;
	flags = irq_save();
	heap_free(heap_get(), p, __builtin_return_address(0));
	irq_restore(flags);
}

void *realloc(void *p, size_t size)
{
	unsigned long flags = irq_save();
	void *q = heap_realloc(heap_get(), p, size, __builtin_return_address(0));

	irq_restore(flags);
	if (!q && size)
		errno = ENOMEM;
	return q;
}

void malloc_stats(struct heap_stats *st)
{
	unsigned long flags = irq_save();

	*st = heap_get()->stats;
	irq_restore(flags);
}
