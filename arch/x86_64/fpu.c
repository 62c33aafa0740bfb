#include "arch/x86_64/fpu.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "kernel/printk.h"

#define CPUID_XSAVE 0xD
#define FXSAVE_SIZE 512
#define XSAVE_HEADER_SIZE 64
#define MXCSR_OFFSET 24
#define MXCSR_DEFAULT 0x1F80 /* all SIMD exceptions masked, round to nearest */
#define FCW_OFFSET 0
#define FCW_DEFAULT 0x037F /* what fninit sets */

static struct {
	bool xsave;
	size_t size;
} fpu;

void fpu_init(void)
{
	fpu.xsave = cpu_has(CPU_XSAVE);
	/* EBX of leaf 0xD: the size XSAVE needs for the features now in XCR0. */
	fpu.size = fpu.xsave ? cpuid(CPUID_XSAVE, 0).ebx : FXSAVE_SIZE;
	pr_info("fpu: %s, %zu bytes per thread", fpu.xsave ? "XSAVE" : "FXSAVE", fpu.size);
}

size_t fpu_area_size(void)
{
	return fpu.size;
}

void fpu_area_init(void *area)
{
	uint16_t fcw = FCW_DEFAULT;
	uint32_t mxcsr = MXCSR_DEFAULT;

	/* A zero XSAVE header means every component is in its initial state. */
	memset(area, 0, fpu.size);
	memcpy((char *)area + FCW_OFFSET, &fcw, sizeof(fcw));
	memcpy((char *)area + MXCSR_OFFSET, &mxcsr, sizeof(mxcsr));
}

void fpu_save(void *area)
{
	if (fpu.xsave)
		__asm__ volatile("xsave64 (%0)" : : "r"(area), "a"(-1), "d"(-1) : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

void fpu_restore(const void *area)
{
	if (fpu.xsave)
		__asm__ volatile("xrstor64 (%0)" : : "r"(area), "a"(-1), "d"(-1) : "memory");
	else
		__asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}
