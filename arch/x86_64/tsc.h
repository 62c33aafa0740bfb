#ifndef ARCH_X86_64_TSC_H
#define ARCH_X86_64_TSC_H

#include <stdint.h>

/*
 * Returns the TSC frequency in Hz and, in *how, where it came from: the
 * hypervisor's timing leaf, CPUID leaf 0x15, or a measurement against the
 * PIT. Never returns 0.
 */
uint64_t tsc_calibrate(const char **how);

#endif
