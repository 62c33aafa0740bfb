/*
 * Reading and writing memory an application named in a system call. One
 * address space, so there is nothing to translate: these make a bad
 * pointer (NULL, unmapped, not canonical, read-only for a write) an
 * -EFAULT instead of a kernel crash, through an exception fixup table
 * (arch/x86_64/uaccess.asm). A write must also land wholly in the
 * application's pages (kernel/page.h): a pointer or a length that reaches
 * the kernel's own memory is an -EFAULT too. Reads may come from anywhere
 * mapped (string literals live in the shared rodata). Every -EFAULT is
 * counted.
 */
#ifndef KERNEL_UACCESS_H
#define KERNEL_UACCESS_H

#include <stddef.h>
#include <stdint.h>

/* 0, or -EFAULT (and part of dst may be written). */
int copy_from_app(void *dst, const void *app_src, size_t n);
/* 0, or -EFAULT (and part of app_dst may be written, if all of it is the application's). */
int copy_to_app(void *app_dst, const void *src, size_t n);
/* 0, or -EFAULT. */
int clear_app(void *app_dst, size_t n);

/*
 * The string at app_src into buf (size bytes, NUL included): its length,
 * -EFAULT, or -ENAMETOOLONG when no NUL comes within size - 1 bytes.
 */
long strncpy_from_app(char *buf, const char *app_src, size_t size);

/* How many bad pointers have been answered with -EFAULT. */
uint64_t uaccess_faults(void);

#endif
