/*
 * The system-call entry's side of the ABI (arch/x86_64/syscall_entry.asm): the
 * frame it saves, and the MSRs that route `syscall` to it.
 */
#ifndef ARCH_X86_64_SYSCALL_H
#define ARCH_X86_64_SYSCALL_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/arch.h"

/* Every register at the call, as syscall_entry.asm saves it (lowest address first). */
struct syscall_frame {
	uint64_t r15, r14, r13, r12, rbp, rbx;
	uint64_t r11, r10, r9, r8, rdx, rcx; /* r11 and rcx: what `syscall` left (rflags, rip) */
	uint64_t rsi, rdi;
	uint64_t rax;		   /* the call's number coming in, its result going out */
	uint64_t rsp, rip, rflags; /* the application's, restored on the way out */
};

/*
 * gdb single-steps a thread in a system call by setting TF in its frame
 * (arch/x86_64/gdb_arch.c): the way back must then restore the flags, which
 * only the full return does.
 */
static inline bool syscall_frame_stepping(const struct syscall_frame *f)
{
	return f->rflags & RFLAGS_TF;
}

/* The bytes below the application's rsp that belong to it (the red zone). */
#define SYSCALL_RED_ZONE 128

/* Routes `syscall` to syscall_entry, which calls syscall_dispatch(frame). 0. */
int syscall_init(void);

/*
 * Called by syscall_entry.asm with interrupts on; leaves the result in f->rax.
 * Returns 0 for the usual way back (rcx and r11 clobbered, as the ABI
 * allows), or 1 to restore every register of f (a signal handler's return).
 */
int syscall_dispatch(struct syscall_frame *f);

/* Where `syscall` lands (IA32_LSTAR): a single step over the instruction traps here. */
extern const char syscall_entry[];

/*
 * Where a thread made by clone() first runs, with interrupts off: a struct
 * syscall_frame at rsp.
 */
extern const char syscall_new_thread[];

/*
 * Starts the application: rsp = sp (argc, argv, envp, auxv, as Linux lays
 * them out), every other register zero, a jump to entry.
 */
__attribute__((noreturn)) void arch_enter_app(uintptr_t entry, uintptr_t sp);

#endif
