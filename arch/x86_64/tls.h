/*
 * Thread-local storage the x86-64 way ("variant II" of the ELF TLS ABI):
 * a thread's variables sit just below its thread pointer (the FS base), and
 * the pointer points at a word that holds its own value (%fs:0).
 */
#ifndef ARCH_X86_64_TLS_H
#define ARCH_X86_64_TLS_H

#include <stddef.h>
#include <stdint.h>

/* The thread pointer's own word, after the variables. */
#define ARCH_TLS_TCB_SIZE sizeof(uint64_t)

/*
 * Lays out a block of area + ARCH_TLS_TCB_SIZE bytes: the initial image
 * (image_size bytes), zeros up to area, then the word the thread pointer
 * points at. Returns the thread pointer.
 */
uint64_t arch_tls_setup(unsigned char *block, size_t area, const void *image, size_t image_size);

#endif
