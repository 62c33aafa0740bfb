/*
 * Saving and restoring a thread's x87/SSE/AVX registers (docs/scheduler.md):
 * XSAVE with every feature in XCR0 where the CPU has it, FXSAVE otherwise.
 */
#ifndef ARCH_X86_64_FPU_H
#define ARCH_X86_64_FPU_H

#include <stddef.h>

#define FPU_AREA_ALIGN 64

/* Chooses XSAVE or FXSAVE; after cpu_init(). */
void fpu_init(void);

/* Bytes a save area needs (aligned to FPU_AREA_ALIGN by the caller). */
size_t fpu_area_size(void);

/* Fills a save area with the state a new thread starts from. */
void fpu_area_init(void *area);

void fpu_save(void *area);
void fpu_restore(const void *area);

#endif
