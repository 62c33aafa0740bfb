#include "arch/x86_64/cpu.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "arch/x86_64/arch.h"
#include "kernel/printk.h"

enum reg { EAX, EBX, ECX, EDX };

static const struct {
	const char *name;
	uint32_t leaf;
	enum reg reg;
	uint8_t bit;
} feature_table[CPU_FEATURE_COUNT] = {
	[CPU_TSC] = { "tsc", 0x1, EDX, 4 },
	[CPU_APIC] = { "apic", 0x1, EDX, 9 },
	[CPU_SSE2] = { "sse2", 0x1, EDX, 26 },
	[CPU_SSE3] = { "sse3", 0x1, ECX, 0 },
	[CPU_SSSE3] = { "ssse3", 0x1, ECX, 9 },
	[CPU_SSE41] = { "sse4.1", 0x1, ECX, 19 },
	[CPU_SSE42] = { "sse4.2", 0x1, ECX, 20 },
	[CPU_X2APIC] = { "x2apic", 0x1, ECX, 21 },
	[CPU_POPCNT] = { "popcnt", 0x1, ECX, 23 },
	[CPU_TSC_DEADLINE] = { "tsc-deadline", 0x1, ECX, 24 },
	[CPU_XSAVE] = { "xsave", 0x1, ECX, 26 },
	[CPU_AVX] = { "avx", 0x1, ECX, 28 },
	[CPU_RDRAND] = { "rdrand", 0x1, ECX, 30 },
	[CPU_HYPERVISOR] = { "hypervisor", 0x1, ECX, 31 },
	[CPU_FSGSBASE] = { "fsgsbase", 0x7, EBX, 0 },
	[CPU_AVX2] = { "avx2", 0x7, EBX, 5 },
	[CPU_ERMS] = { "erms", 0x7, EBX, 9 },
	[CPU_NX] = { "nx", 0x80000001, EDX, 20 },
	[CPU_PAGE1GB] = { "1g-pages", 0x80000001, EDX, 26 },
	[CPU_RDTSCP] = { "rdtscp", 0x80000001, EDX, 27 },
	[CPU_INVARIANT_TSC] = { "invariant-tsc", 0x80000007, EDX, 8 },
};

#define MSR_EFER 0xC0000080
#define EFER_NXE (1u << 11)
#define CR4_FSGSBASE (1u << 16)
#define CR4_OSXSAVE (1u << 18)
#define XCR0_X87 (1u << 0)
#define XCR0_SSE (1u << 1)
#define XCR0_AVX (1u << 2)
#define CPUID_EXT_BASE 0x80000000 /* eax: the highest extended leaf */
#define CPUID_BRAND_FIRST 0x80000002
#define CPUID_BRAND_LAST 0x80000004
#define FEATURE_LINE_MAX 256

static struct {
	uint32_t max_leaf, max_ext_leaf;
	uint64_t features; /* bit per enum cpu_feature */
	char vendor[13];
	char brand[49];
} cpu;

bool cpu_has(enum cpu_feature f)
{
	return cpu.features >> f & 1;
}

static uint32_t reg_of(struct cpuid_regs r, enum reg reg)
{
	return reg == EAX ? r.eax : reg == EBX ? r.ebx : reg == ECX ? r.ecx : r.edx;
}

static void read_identity(void)
{
	struct cpuid_regs r = cpuid(0, 0);

	cpu.max_leaf = r.eax;
	memcpy(cpu.vendor, &r.ebx, 4);
	memcpy(cpu.vendor + 4, &r.edx, 4);
	memcpy(cpu.vendor + 8, &r.ecx, 4);
	cpu.max_ext_leaf = cpuid(CPUID_EXT_BASE, 0).eax;
	if (cpu.max_ext_leaf >= CPUID_BRAND_LAST) {
		for (uint32_t l = CPUID_BRAND_FIRST; l <= CPUID_BRAND_LAST; l++) {
			r = cpuid(l, 0);
			memcpy(cpu.brand + (l - CPUID_BRAND_FIRST) * 16, &r, 16);
		}
	}
}

static void read_features(void)
{
	for (int f = 0; f < CPU_FEATURE_COUNT; f++) {
		uint32_t leaf = feature_table[f].leaf;
		uint32_t max = leaf >= CPUID_EXT_BASE ? cpu.max_ext_leaf : cpu.max_leaf;

		if (leaf <= max &&
		    reg_of(cpuid(leaf, 0), feature_table[f].reg) >> feature_table[f].bit & 1)
			cpu.features |= 1ULL << f;
	}
}

static void log_features(void)
{
	char line[FEATURE_LINE_MAX];
	size_t n = 0;

	for (int f = 0; f < CPU_FEATURE_COUNT; f++) {
		size_t len = strlen(feature_table[f].name);
		if (!cpu_has((enum cpu_feature)f) || n + len + 2 > sizeof(line))
			continue;
		line[n++] = ' ';
		memcpy(line + n, feature_table[f].name, len);
		n += len;
	}
	line[n] = '\0';
	pr_info("cpu: %s %s", cpu.vendor, cpu.brand[0] ? cpu.brand : "(no brand string)");
	pr_info("cpu: features:%s", line);
}

static void enable_xsave(void)
{
	uint64_t xcr0 = XCR0_X87 | XCR0_SSE;

	if (!cpu_has(CPU_XSAVE))
		return;
	write_cr4(read_cr4() | CR4_OSXSAVE);
	if (cpu_has(CPU_AVX))
		xcr0 |= XCR0_AVX;
	xsetbv(0, xcr0);
}

int cpu_init(void)
{
	read_identity();
	read_features();
	if (cpu_has(CPU_NX))
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	enable_xsave();
	/* wrfsbase: a thread switch sets the TLS base without a slow MSR write. */
	if (cpu_has(CPU_FSGSBASE))
		write_cr4(read_cr4() | CR4_FSGSBASE);
	return 0;
}

int cpu_report(void)
{
	if (printk_enabled(LOG_INFO))
		log_features();
	if (!cpu_has(CPU_TSC) || !cpu_has(CPU_APIC)) {
		pr_crit("cpu: Ceres needs a TSC and a local APIC; this CPU has %s",
			cpu_has(CPU_TSC) ? "no APIC" : "no TSC");
		return -ENODEV;
	}
	if (!cpu_has(CPU_NX))
		pr_warn("cpu: no NX bit; data pages stay executable");
	if (!cpu_has(CPU_XSAVE))
		pr_info("cpu: no XSAVE; FPU state will be kept with FXSAVE");
	return 0;
}
