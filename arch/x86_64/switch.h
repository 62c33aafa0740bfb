#ifndef ARCH_X86_64_SWITCH_H
#define ARCH_X86_64_SWITCH_H

#include <stdint.h>

/* Saves this thread's rsp in *save_sp and continues the one at next_sp. */
void switch_stack(uint64_t *save_sp, uint64_t next_sp);

/*
 * The stack a new thread starts from: what switch_stack() pops (six
 * registers, all zero) and the address it returns to.
 */
struct switch_frame {
	uint64_t r15, r14, r13, r12, rbx, rbp;
	uint64_t ret;
};

#endif
