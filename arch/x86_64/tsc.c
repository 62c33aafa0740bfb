/*
 * Reading the TSC against the PIT and the ACPI PM timer, and what the CPU
 * reports of its frequency (docs/time.md). kernel/time.c decides.
 */
#include "arch/x86_64/tsc.h"

#include "arch/x86_64/arch.h"

#define CPUID_FEATURES 0x1
#define CPUID_ECX_HYPERVISOR (1u << 31)
#define CPUID_TSC_CRYSTAL 0x15
#define CPUID_FREQUENCIES 0x16 /* eax: base MHz */
#define CPUID_BASE_MHZ_MASK 0xFFFF
#define CPUID_HV_BASE 0x40000000
#define CPUID_HV_TIMING 0x40000010 /* eax: TSC kHz (VMware's convention, also KVM's) */
#define HZ_PER_MHZ 1000000
#define HZ_PER_KHZ 1000

/*
 * PIT channel 0 counts down from 65536 over and over (mode 2) with its gate
 * always open: channel 2 needs port 0x61's gate, which some machines
 * (QEMU's microvm) do not have.
 */
#define PIT_CH0_DATA 0x40
#define PIT_CMD 0x43
#define PIT_CMD_CH0_LOHI_RATE 0x34
#define PIT_CMD_CH0_LATCH 0x00
#define PIT_MASK 0xFFFF

#define PM_MASK_24 0xFFFFFF
#define PM_MASK_32 0xFFFFFFFF

/* One window lasts about this long, in each reference's ticks (~0.25 ms). */
#define WINDOW_PIT_TICKS 298
#define WINDOW_PM_TICKS 895
/* Each end of a window: the tightest of this many bracketed reads. */
#define END_READS 3
/* A reference that has not moved in this many reads is not there. */
#define DEAD_READS 4000

struct refs {
	uint16_t pm_port;
	uint32_t pm_mask;
	bool pit, pm; /* still counting */
};

/* A reference read between two TSC reads: the middle, the width, the value. */
struct reading {
	uint64_t tsc, width;
	uint32_t value;
};

static uint32_t pit_read(const struct refs *r)
{
	uint32_t lo, hi;

	(void)r;
	outb(PIT_CMD, PIT_CMD_CH0_LATCH);
	lo = inb(PIT_CH0_DATA);
	hi = inb(PIT_CH0_DATA);
	return hi << 8 | lo;
}

static uint32_t pm_read(const struct refs *r)
{
	return inl(r->pm_port) & r->pm_mask;
}

static void read_once(const struct refs *r, uint32_t (*read)(const struct refs *),
		      struct reading *out)
{
	uint64_t before = rdtsc();

	out->value = read(r);
	out->width = rdtsc() - before;
	out->tsc = before + out->width / 2;
}

/* The tightest of END_READS readings: the one the host disturbed least. */
static void read_end(const struct refs *r, uint32_t (*read)(const struct refs *),
		     struct reading *out)
{
	struct reading x;

	read_once(r, read, out);
	for (int i = 1; i < END_READS; i++) {
		read_once(r, read, &x);
		if (x.width < out->width)
			*out = x;
	}
}

static uint32_t pit_elapsed(uint32_t from, uint32_t to)
{
	return (from - to) & PIT_MASK; /* it counts down */
}

static uint32_t pm_elapsed(uint32_t mask, uint32_t from, uint32_t to)
{
	return (to - from) & mask;
}

/*
 * Waits until one reference has run a window's length (the PIT if it
 * counts, else the PM timer), noticing one that does not move at all.
 * Returns false if no reference is left.
 */
static bool wait_window(struct refs *r, uint32_t pit0, uint32_t pm0)
{
	for (int reads = 0; r->pit || r->pm; reads++) {
		uint32_t pit = r->pit ? pit_elapsed(pit0, pit_read(r)) : 0;
		uint32_t pm = r->pm ? pm_elapsed(r->pm_mask, pm0, pm_read(r)) : 0;

		if ((r->pit && pit >= WINDOW_PIT_TICKS) || (!r->pit && pm >= WINDOW_PM_TICKS))
			return true;
		if (reads == DEAD_READS) {
			r->pit &= pit != 0;
			r->pm &= pm != 0;
		}
	}
	return false;
}

static void add_window(struct tsc_ref_windows *ref, const struct reading *a,
		       const struct reading *b, uint32_t ticks)
{
	if (ref->n < TSC_WINDOWS_MAX)
		ref->w[ref->n++] =
			(struct tsc_window){ b->tsc - a->tsc, (a->width + b->width) / 2, ticks };
}

static void start_references(struct refs *r, const struct tsc_refs *in)
{
	r->pit = true;
	outb(PIT_CMD, PIT_CMD_CH0_LOHI_RATE);
	outb(PIT_CH0_DATA, 0); /* a reload of 0 counts 65536 */
	outb(PIT_CH0_DATA, 0);
	r->pm = in->pm_port != 0;
	r->pm_port = in->pm_port;
	r->pm_mask = in->pm_wide ? PM_MASK_32 : PM_MASK_24;
}

void tsc_measure(const struct tsc_refs *in, struct tsc_ref_windows *pit, struct tsc_ref_windows *pm,
		 int max,
		 bool (*enough)(const struct tsc_ref_windows *pit,
				const struct tsc_ref_windows *pm))
{
	struct reading pit_a = { 0 }, pit_b, pm_a = { 0 }, pm_b;
	struct refs r;

	*pit = (struct tsc_ref_windows){ .name = "PIT", .hz = TSC_PIT_HZ };
	*pm = (struct tsc_ref_windows){ .name = "PM timer", .hz = TSC_PM_TIMER_HZ };
	start_references(&r, in);
	for (int i = 0; i < max && i < TSC_WINDOWS_MAX; i++) {
		if (r.pit)
			read_end(&r, pit_read, &pit_a);
		if (r.pm)
			read_end(&r, pm_read, &pm_a);
		if (!wait_window(&r, pit_a.value, pm_a.value))
			return;
		if (r.pit) {
			read_end(&r, pit_read, &pit_b);
			add_window(pit, &pit_a, &pit_b, pit_elapsed(pit_a.value, pit_b.value));
		}
		if (r.pm) {
			read_end(&r, pm_read, &pm_b);
			add_window(pm, &pm_a, &pm_b, pm_elapsed(r.pm_mask, pm_a.value, pm_b.value));
		}
		if (enough(pit, pm))
			return;
	}
}

static uint64_t from_hypervisor(void)
{
	if (!(cpuid(CPUID_FEATURES, 0).ecx & CPUID_ECX_HYPERVISOR))
		return 0;
	if (cpuid(CPUID_HV_BASE, 0).eax < CPUID_HV_TIMING)
		return 0;
	return (uint64_t)cpuid(CPUID_HV_TIMING, 0).eax * HZ_PER_KHZ;
}

static uint64_t from_crystal(void)
{
	struct cpuid_regs r;

	if (cpuid(0, 0).eax < CPUID_TSC_CRYSTAL)
		return 0;
	r = cpuid(CPUID_TSC_CRYSTAL, 0);
	if (!r.eax || !r.ebx || !r.ecx)
		return 0;
	return (uint64_t)r.ecx * r.ebx / r.eax;
}

uint64_t tsc_reported_hz(const char **source)
{
	uint64_t hz;

	if ((hz = from_hypervisor()))
		*source = "hypervisor leaf";
	else if ((hz = from_crystal()))
		*source = "CPUID 0x15";
	return hz;
}

uint64_t tsc_base_hz(void)
{
	if (cpuid(0, 0).eax < CPUID_FREQUENCIES)
		return 0;
	return (uint64_t)(cpuid(CPUID_FREQUENCIES, 0).eax & CPUID_BASE_MHZ_MASK) * HZ_PER_MHZ;
}

bool tsc_pm_mark(const struct tsc_refs *in, struct tsc_mark *m)
{
	struct refs r = { .pm_port = in->pm_port,
			  .pm_mask = in->pm_wide ? PM_MASK_32 : PM_MASK_24 };
	struct reading x;

	if (!in->pm_port)
		return false;
	read_end(&r, pm_read, &x);
	*m = (struct tsc_mark){ .tsc = x.tsc, .width = x.width, .pm = x.value };
	return true;
}

struct tsc_window tsc_pm_window(const struct tsc_refs *in, const struct tsc_mark *a,
				const struct tsc_mark *b)
{
	uint32_t mask = in->pm_wide ? PM_MASK_32 : PM_MASK_24;

	return (struct tsc_window){ b->tsc - a->tsc, (a->width + b->width) / 2,
				    pm_elapsed(mask, a->pm, b->pm) };
}

uint64_t tsc_pm_wrap_ticks(const struct tsc_refs *in)
{
	return in->pm_wide ? (uint64_t)PM_MASK_32 + 1 : (uint64_t)PM_MASK_24 + 1;
}
