/*
 * The interrupt vectors Ceres uses, in one place: the CPU's exceptions it
 * names, the range handed out to devices and timers (kernel/irq.c), and the
 * LAPIC's spurious vector.
 */
#ifndef ARCH_X86_64_VECTORS_H
#define ARCH_X86_64_VECTORS_H

#define VEC_DIVIDE_ERROR 0
#define VEC_DEBUG 1
#define VEC_NMI 2
#define VEC_BREAKPOINT 3
#define VEC_INVALID_OPCODE 6
#define VEC_DEVICE_NOT_AVAILABLE 7
#define VEC_DOUBLE_FAULT 8
#define VEC_GENERAL_PROTECTION 13
#define VEC_PAGE_FAULT 14
#define VEC_X87_FP 16
#define VEC_ALIGNMENT_CHECK 17
#define VEC_MACHINE_CHECK 18
#define VEC_SIMD_FP 19
#define VEC_EXCEPTIONS 32 /* 0-31 are the CPU's */

#define VEC_IRQ_FIRST 0x30
#define VEC_IRQ_LAST 0xEF

#define VEC_LAPIC_SPURIOUS 0xFF

#define VEC_COUNT 256

#endif
