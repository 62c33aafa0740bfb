/*
 * The kernel's allocator (kernel/malloc.c): the kernel's own heap. The
 * standard names (malloc, free, ...) are the application's heap, which
 * kernel code never uses; number parsing without errno is in lib/kc/strto.h.
 */
#ifndef _STDLIB_H
#define _STDLIB_H

#include <stddef.h>

void *kmalloc(size_t size);
/* kmalloc() for a caller that tries a smaller size next: no warning when memory is out. */
void *kmalloc_try(size_t size);
void *kcalloc(size_t n, size_t size);
void *krealloc(void *p, size_t size);
void kfree(void *p);
/* align: a power of two. */
void *kaligned_alloc(size_t align, size_t size);

#endif
