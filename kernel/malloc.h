/*
 * Two heaps over kernel/heap.c (docs/memory.md): the kernel's, behind
 * kmalloc() and friends, and the application's, behind the malloc() family
 * the kernel exports to it (tools/kernel.exports). Apart, so that the
 * application's pages are known as its own: a system call may write only
 * there (kernel/uaccess.c), and a bad pointer or length cannot reach the
 * kernel's structures.
 */
#ifndef KERNEL_MALLOC_H
#define KERNEL_MALLOC_H

#include "kernel/heap.h"

/* A heap grows by at least this much at a time (less if RAM is short). */
#define MALLOC_GROW_MIN (64 * 1024)

/* Snapshots of the heaps' counters. */
void kmalloc_stats(struct heap_stats *st);
void malloc_app_stats(struct heap_stats *st);

#endif
