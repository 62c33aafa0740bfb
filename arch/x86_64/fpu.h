/*
 * A thread's x87/SSE/AVX registers (docs/scheduler.md): saved with XSAVE
 * (every feature in XCR0) where the CPU has it, FXSAVE otherwise.
 */
#ifndef ARCH_X86_64_FPU_H
#define ARCH_X86_64_FPU_H

#include <stdbool.h>
#include <stddef.h>

#define FPU_AREA_ALIGN 64

/* Chooses XSAVE or FXSAVE; after cpu_init(). 0. */
int fpu_init(void);

/* Bytes a save area needs (aligned to FPU_AREA_ALIGN by the caller). */
size_t fpu_area_size(void);

/* Fills a save area with the state a new thread starts from. */
void fpu_area_init(void *area);

/*
 * Lazy switching (docs/scheduler.md): the registers stay with the thread
 * that last used them until another thread touches the FPU. fpu_switch()
 * is called at every thread switch with the incoming thread's area and
 * sets CR0.TS; the thread's first FPU or SSE instruction traps (#NM) into
 * fpu_trap(), which moves the registers over if they are another's.
 */
void fpu_switch(void *area);

/* Handles #NM; false if it was not caused by lazy switching. */
bool fpu_trap(void);

/*
 * The running thread's state (its area is cur) into dst, an area of the
 * same size and alignment: from the registers if it owns them.
 */
void fpu_copy_current(void *dst, void *cur);

/* Replaces the running thread's state (area cur) with src's, as of its next FPU use. */
void fpu_load_current(void *cur, const void *src);

/* area is about to be freed: the registers no longer belong to it. */
void fpu_release(void *area);

#endif
