/*
 * The one heap behind malloc() and friends, for the kernel and the
 * application alike. Not a POSIX header: the tests and the kernel read the
 * statistics through it.
 */
#ifndef LIB_LIBC_MALLOC_H
#define LIB_LIBC_MALLOC_H

#include "kernel/heap.h"

/* The heap grows by at least this much at a time (less if RAM is short). */
#define MALLOC_GROW_MIN (64 * 1024)

/* A snapshot of the heap's counters. */
void malloc_stats(struct heap_stats *st);

#endif
