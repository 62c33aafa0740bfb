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
 * Reads the CPU's identity and features and turns on NX, FSGSBASE and,
 * where the CPU has it, XSAVE with every state the kernel knows (x87, SSE,
 * AVX); SSE itself is on from boot/entry.asm. The first thing the kernel
 * does: these bits are part of what an emulator translates code for, so
 * code run before them would be translated again after. Logs nothing. 0.
 */
int cpu_init(void);

/*
 * Logs the identity and features (at info), and checks for what Ceres
 * needs: 0, or -ENODEV without a TSC and a local APIC.
 */
int cpu_report(void);

bool cpu_has(enum cpu_feature f);

#endif
