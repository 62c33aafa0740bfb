/*
 * Measuring the TSC against the platform's other clocks: the PIT and the
 * ACPI PM timer (docs/time.md). This is only the hardware's side: reads
 * bracketed by TSC reads, gathered into windows; kernel/time.c and
 * kernel/calib.c decide what the windows mean.
 */
#ifndef ARCH_X86_64_TSC_H
#define ARCH_X86_64_TSC_H

#include <stdbool.h>
#include <stdint.h>

#define TSC_WINDOWS_MAX 8
#define TSC_PIT_HZ 1193182
#define TSC_PM_TIMER_HZ 3579545 /* the ACPI PM timer, by the specification */

/* Clocks to measure against besides the PIT (found in the ACPI tables). */
struct tsc_refs {
	uint16_t pm_port; /* the ACPI PM timer's port, 0 if none */
	bool pm_wide;	  /* it counts 32 bits, not 24 */
};

/*
 * Two reads of a reference clock, each between two TSC reads: what lies
 * between the brackets does not matter, so a host that deschedules the
 * guest mid-window changes nothing, and a bracket that was interrupted is
 * wide and known to be.
 */
struct tsc_window {
	uint64_t tsc_ticks; /* TSC ticks from the middle of one bracket to the other's */
	uint64_t tsc_slop;  /* half of each bracket's width, summed */
	uint64_t ref_ticks; /* the reference's ticks over the same span */
};

struct tsc_ref_windows {
	const char *name;
	uint64_t hz; /* the reference's own frequency */
	int n;
	struct tsc_window w[TSC_WINDOWS_MAX];
};

/*
 * Measures windows of about 0.25 ms against the PIT and the PM timer
 * together (each end of each window the tightest of a few bracketed reads)
 * until enough() says so or max windows are done. A reference that does
 * not count is left out.
 */
void tsc_measure(const struct tsc_refs *refs, struct tsc_ref_windows *pit,
		 struct tsc_ref_windows *pm, int max,
		 bool (*enough)(const struct tsc_ref_windows *pit,
				const struct tsc_ref_windows *pm));

/* What the platform says the TSC runs at (hypervisor leaf, CPUID 0x15), and where from; 0 if nothing. */
uint64_t tsc_reported_hz(const char **source);

/* CPUID 0x16's nominal base frequency, 0 if none: a loose bound on a measurement. */
uint64_t tsc_base_hz(void);

/* A PM timer reading between TSC reads, for a long window (kernel/time.c refines with it). */
struct tsc_mark {
	uint64_t tsc, width;
	uint32_t pm;
};

/* Takes a mark; false without a PM timer. */
bool tsc_pm_mark(const struct tsc_refs *refs, struct tsc_mark *m);

/* The window from a to b (b less than one wrap of the PM timer after a). */
struct tsc_window tsc_pm_window(const struct tsc_refs *refs, const struct tsc_mark *a,
				const struct tsc_mark *b);

/* The PM timer's ticks before it wraps (2^24 or 2^32). */
uint64_t tsc_pm_wrap_ticks(const struct tsc_refs *refs);

#endif
