#ifndef ARCH_X86_64_GDT_H
#define ARCH_X86_64_GDT_H

#include <stdint.h>

#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
#define GDT_TSS 0x18

/*
 * Interrupt stack table slots. Every vector arrives on one: the stack it
 * interrupts may be an application's, whose 128 bytes below rsp (the red
 * zone) hold live data that a frame pushed there would overwrite.
 * Exceptions stay on theirs (they end the kernel, or return at once);
 * interrupts move below the red zone of the stack they interrupted before
 * anything can switch threads (arch/x86_64/entry.asm). So do #DB and #BP,
 * which may hold the world for gdb (kernel/gdbstub.c): they arrive on a
 * stack of their own, so that a breakpoint in the handler of another
 * exception does not land on that handler's frame, and leave it at once,
 * so that a breakpoint hit while gdb is served does not land on the first.
 */
enum ist_slot {
	IST_DOUBLE_FAULT = 1,
	IST_NMI = 2,
	IST_MACHINE_CHECK = 3,
	IST_EXCEPTION = 4,
	IST_IRQ = 5,
	IST_DEBUG = 6,
	IST_COUNT = 6,
};

/*
 * Loads the GDT, reloads the segment registers, and loads the TSS; the IST
 * stacks are registered with kernel/stack.c.
 */
void gdt_init(void);

#endif
