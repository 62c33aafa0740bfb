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

#define CR0_TS (1ULL << 3)

static struct {
	bool xsave;
	size_t size;
	void *owner;   /* whose state the registers hold; NULL: nobody's */
	void *current; /* the running thread's area */
	bool ts;       /* CR0.TS is set: the next FPU instruction traps */
} fpu;

int fpu_init(void)
{
	fpu.xsave = cpu_has(CPU_XSAVE);
	/* EBX of leaf 0xD: the size XSAVE needs for the features now in XCR0. */
	fpu.size = fpu.xsave ? cpuid(CPUID_XSAVE, 0).ebx : FXSAVE_SIZE;
	pr_info("fpu: %s, %zu bytes per thread", fpu.xsave ? "XSAVE" : "FXSAVE", fpu.size);
	return 0;
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

static void fpu_save(void *area)
{
	if (fpu.xsave)
		__asm__ volatile("xsave64 (%0)" : : "r"(area), "a"(-1), "d"(-1) : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

static void fpu_restore(const void *area)
{
	if (fpu.xsave)
		__asm__ volatile("xrstor64 (%0)" : : "r"(area), "a"(-1), "d"(-1) : "memory");
	else
		__asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

static void set_ts(bool on)
{
	if (on != fpu.ts) {
		write_cr0(on ? read_cr0() | CR0_TS : read_cr0() & ~CR0_TS);
		fpu.ts = on;
	}
}

void fpu_switch(void *area)
{
	fpu.current = area;
	set_ts(true);
}

bool fpu_trap(void)
{
	if (!fpu.ts || !fpu.current)
		return false;
	set_ts(false);
	if (fpu.owner == fpu.current)
		return true; /* its registers are there still */
	if (fpu.owner)
		fpu_save(fpu.owner);
	fpu_restore(fpu.current);
	fpu.owner = fpu.current;
	return true;
}

void fpu_release(void *area)
{
	if (fpu.owner == area)
		fpu.owner = NULL;
}

void fpu_copy_current(void *dst, void *cur)
{
	if (fpu.owner == cur) {
		memset(dst, 0, fpu.size); /* XSAVE leaves the header's reserved bytes be */
		fpu_save(dst);
	} else
		memcpy(dst, cur, fpu.size);
}

void fpu_load_current(void *cur, const void *src)
{
	memcpy(cur, src, fpu.size);
	if (fpu.owner == cur) {
		fpu.owner = NULL; /* the registers are stale: the next use reloads cur */
		set_ts(true);
	}
}
