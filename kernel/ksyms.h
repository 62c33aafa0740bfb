/*
 * The kernel's own symbol table (function names and addresses), generated
 * at link time by tools/ksyms.sh, for symbolized backtraces.
 */
#ifndef KERNEL_KSYMS_H
#define KERNEL_KSYMS_H

#include <stddef.h>
#include <stdint.h>

/* The function containing addr and addr's offset into it, or NULL. */
const char *ksyms_lookup(uintptr_t addr, uintptr_t *offset);

/* Writes "function+0xoffset" for addr, or "?" if no function holds it. */
void ksyms_describe(uintptr_t addr, char *buf, size_t size);

#endif
