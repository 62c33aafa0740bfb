#ifndef ARCH_X86_64_GDT_H
#define ARCH_X86_64_GDT_H

#include <stdint.h>

#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
#define GDT_TSS 0x18

/* Interrupt stack table slots: faults that must not trust the current stack. */
enum ist_slot {
	IST_DOUBLE_FAULT = 1,
	IST_NMI = 2,
	IST_MACHINE_CHECK = 3,
	IST_COUNT = 3,
};

/*
 * Loads the GDT, reloads the segment registers, and loads the TSS; the IST
 * stacks are registered with kernel/stack.c.
 */
void gdt_init(void);

#endif
