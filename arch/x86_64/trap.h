/*
 * Traps and interrupts: the GDT with its TSS and IST stacks, the IDT, and the
 * register frame every vector's entry stub builds (arch/x86_64/entry.asm).
 */
#ifndef ARCH_X86_64_TRAP_H
#define ARCH_X86_64_TRAP_H

#include <stdbool.h>
#include <stdint.h>

/* Pushed by entry.asm, lowest address first; matches its push order. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* Loads the kernel's GDT (with the TSS and IST stacks) and the IDT. 0. */
int trap_init(void);

/* Called by entry.asm with interrupts off. */
void trap_dispatch(struct trap_frame *f);

/* Warns of stray and spurious interrupts seen so far (for the exit report). */
void trap_report(void);

#endif
