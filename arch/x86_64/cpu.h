#ifndef ARCH_X86_64_CPU_H
#define ARCH_X86_64_CPU_H

#include <stdbool.h>

enum cpu_feature {
	CPU_TSC,
	CPU_APIC,
	CPU_SSE2,
	CPU_SSE3,
	CPU_SSSE3,
	CPU_SSE41,
	CPU_SSE42,
	CPU_POPCNT,
	CPU_X2APIC,
	CPU_TSC_DEADLINE,
	CPU_XSAVE,
	CPU_AVX,
	CPU_RDRAND,
	CPU_HYPERVISOR,
	CPU_FSGSBASE,
	CPU_AVX2,
	CPU_ERMS,
	CPU_NX,
	CPU_PAGE1GB,
	CPU_RDTSCP,
	CPU_INVARIANT_TSC,
	CPU_FEATURE_COUNT,
};

/*
 * Reads the CPU's identity and features (logged at info), turns on NX and,
 * where the CPU has it, XSAVE with every state the kernel knows (x87, SSE,
 * AVX). SSE itself is on from boot/entry.asm. 0, or -ENODEV for a CPU
 * without what Ceres needs (a TSC and a local APIC).
 */
int cpu_init(void);

bool cpu_has(enum cpu_feature f);

#endif
