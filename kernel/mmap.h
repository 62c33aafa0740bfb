/*
 * The application's memory mappings (docs/abi.md): anonymous mmap and its
 * relatives over the page allocator. Memory is identity mapped, so a
 * mapping is a run of physical pages at its own address; permissions are
 * page-table bits, and PROT_NONE pages are unmapped from the tables.
 */
#ifndef KERNEL_MMAP_H
#define KERNEL_MMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

long sys_mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off);
long sys_munmap(void *addr, size_t len);
long sys_mprotect(void *addr, size_t len, int prot);
long sys_madvise(void *addr, size_t len, int advice);
long sys_mremap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr);
long sys_msync(void *addr, size_t len, int flags);
long sys_brk(void *addr);

/* Unmaps [start, start + len) now: what munmap() deferred while a thread ran on it. */
void mmap_unmap_now(uint64_t start, size_t len);

/*
 * The writable mapping addr is in, as a stack: [*lo, *hi); or, if addr is
 * in a PROT_NONE mapping right below a writable one (a musl thread's guard
 * page), that one, with *in_guard. False if neither. Safe in crash reports.
 */
bool mmap_find_stack(uint64_t addr, uintptr_t *lo, uintptr_t *hi, bool *in_guard);

struct mmap_stats {
	uint64_t regions, bytes; /* mapped now */
	uint64_t peak_bytes;
};
void mmap_stats(struct mmap_stats *st);

#endif
