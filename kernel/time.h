/*
 * Time since boot. Every user of time (printk, TCP, 9P, the scheduler)
 * reads it through clock_monotonic_ns(), so host tests can supply a fake.
 */
#ifndef KERNEL_TIME_H
#define KERNEL_TIME_H

#include <stdint.h>

/* Finds the TSC frequency and reads the wall clock. Until then the clock reads 0. */
void time_init(void);

/* Nanoseconds since the kernel's first instruction. */
uint64_t clock_monotonic_ns(void);

/* Nanoseconds since 1970-01-01 UTC: the CMOS clock at boot plus the monotonic clock. */
uint64_t clock_realtime_ns(void);

/* Converts a TSC reading into nanoseconds since the first instruction. */
uint64_t time_tsc_to_ns(uint64_t tsc);

/* The TSC value at which the monotonic clock reads ns (UINT64_MAX if beyond reach). */
uint64_t time_ns_to_tsc(uint64_t ns);

uint64_t time_tsc_hz(void);

#endif
