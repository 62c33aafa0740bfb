/*
 * Time since boot, and the wall clock (docs/time.md). Every user of time
 * (printk, TCP, 9P, the scheduler) reads it through clock_monotonic_ns(),
 * so host tests can supply a fake.
 */
#ifndef KERNEL_TIME_H
#define KERNEL_TIME_H

#include <stdint.h>

#include "arch/x86_64/tsc.h"

#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC 1000000000ULL

/*
 * Finds the TSC frequency (against refs too) and reads the wall clock.
 * Until then the clock reads 0. A frequency the sources do not agree on is
 * used with a warning. Returns 0.
 */
int time_init(const struct tsc_refs *refs);

/*
 * Reads the RTC to refine the wall clock or check it; called from a timer
 * at the time the last call (or time_follow_first) asked for. Returns when
 * to call it next (a monotonic time; UINT64_MAX: never). Interrupts off.
 */
uint64_t time_follow_rtc(void);

/* When time_follow_rtc() wants its first call: soon after boot. */
uint64_t time_follow_first(void);

/* Nanoseconds since the kernel's first instruction. */
uint64_t clock_monotonic_ns(void);

/* Nanoseconds since 1970-01-01 UTC: the CMOS clock's time, kept by the TSC. */
uint64_t clock_realtime_ns(void);

/* Converts a TSC reading into nanoseconds since the first instruction. */
uint64_t time_tsc_to_ns(uint64_t tsc);

/* The TSC value at which the monotonic clock reads ns (UINT64_MAX if beyond reach). */
uint64_t time_ns_to_tsc(uint64_t ns);

uint64_t time_tsc_hz(void);

/*
 * The monotonic clock skips [from_tsc, to_tsc): the time gdb held the guest
 * (kernel/gdbstub.c), so that sleepers and TCP timers do not all fall due at
 * once. The wall clock keeps real time. Interrupts off.
 */
void time_skip(uint64_t from_tsc, uint64_t to_tsc);

#endif
