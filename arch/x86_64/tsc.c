#include "arch/x86_64/tsc.h"

#include "arch/x86_64/arch.h"

#define CPUID_FEATURES 0x1
#define CPUID_ECX_HYPERVISOR (1u << 31)
#define CPUID_TSC_CRYSTAL 0x15
#define CPUID_HV_BASE 0x40000000
#define CPUID_HV_TIMING 0x40000010 /* eax: TSC kHz (VMware's convention, also KVM's) */

#define PIT_HZ 1193182
#define PIT_CH2_DATA 0x42
#define PIT_CMD 0x43
#define PIT_CMD_CH2_LOHI_MODE0 0xB0
#define PORT_B 0x61
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20
#define CALIBRATE_MS 2
/* What an assumed TSC runs at if the PIT never answers (no PIT at all). */
#define FALLBACK_HZ 1000000000ULL

static uint64_t from_hypervisor(void)
{
	if (!(cpuid(CPUID_FEATURES, 0).ecx & CPUID_ECX_HYPERVISOR))
		return 0;
	if (cpuid(CPUID_HV_BASE, 0).eax < CPUID_HV_TIMING)
		return 0;
	return (uint64_t)cpuid(CPUID_HV_TIMING, 0).eax * 1000;
}

static uint64_t from_cpuid_crystal(void)
{
	struct cpuid_regs r;

	if (cpuid(0, 0).eax < CPUID_TSC_CRYSTAL)
		return 0;
	r = cpuid(CPUID_TSC_CRYSTAL, 0);
	if (!r.eax || !r.ebx || !r.ecx)
		return 0;
	return (uint64_t)r.ecx * r.ebx / r.eax;
}

/* Counts TSC ticks while PIT channel 2 counts down CALIBRATE_MS. */
static uint64_t from_pit(void)
{
	uint16_t count = PIT_HZ * CALIBRATE_MS / 1000;
	uint8_t b = inb(PORT_B) & ~(PORT_B_GATE2 | PORT_B_SPEAKER);
	uint64_t start, spins = 0;

	outb(PORT_B, b);
	outb(PIT_CMD, PIT_CMD_CH2_LOHI_MODE0);
	outb(PIT_CH2_DATA, count & 0xFF);
	outb(PIT_CH2_DATA, count >> 8);
	start = rdtsc();
	outb(PORT_B, b | PORT_B_GATE2);
	while (!(inb(PORT_B) & PORT_B_OUT2))
		if (++spins > 100000000)
			return 0;
	return (rdtsc() - start) * 1000 / CALIBRATE_MS;
}

uint64_t tsc_calibrate(const char **how)
{
	uint64_t hz;

	if ((hz = from_hypervisor())) {
		*how = "hypervisor leaf";
	} else if ((hz = from_cpuid_crystal())) {
		*how = "CPUID 0x15";
	} else if ((hz = from_pit())) {
		*how = "measured against the PIT";
	} else {
		hz = FALLBACK_HZ;
		*how = "no PIT: assumed 1 GHz";
	}
	return hz;
}
