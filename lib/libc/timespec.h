/* struct timespec arithmetic shared by time.c, pthread.c and semaphore.c. */
#ifndef LIB_LIBC_TIMESPEC_H
#define LIB_LIBC_TIMESPEC_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "kernel/time.h"

static inline bool timespec_valid(const struct timespec *ts)
{
	return ts && ts->tv_sec >= 0 && ts->tv_nsec >= 0 && (uint64_t)ts->tv_nsec < NSEC_PER_SEC;
}

/* Saturates at UINT64_MAX (some 584 years): nobody waits that long. */
static inline uint64_t timespec_to_ns(const struct timespec *ts)
{
	uint64_t ns;

	if (__builtin_mul_overflow((uint64_t)ts->tv_sec, NSEC_PER_SEC, &ns) ||
	    __builtin_add_overflow(ns, (uint64_t)ts->tv_nsec, &ns))
		return UINT64_MAX;
	return ns;
}

static inline uint64_t ns_add_saturating(uint64_t a, uint64_t b)
{
	return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

static inline struct timespec timespec_from_ns(uint64_t ns)
{
	return (struct timespec){ (time_t)(ns / NSEC_PER_SEC), (long)(ns % NSEC_PER_SEC) };
}

/*
 * The monotonic deadline for an absolute time on clock; never 0 (which
 * means "no deadline" to the kernel), and now if the time has passed.
 */
static inline uint64_t timespec_deadline(clockid_t clock, const struct timespec *abstime)
{
	uint64_t want = timespec_to_ns(abstime), mono = clock_monotonic_ns();

	if (clock == CLOCK_REALTIME) {
		uint64_t real = clock_realtime_ns();

		want = want > real ? ns_add_saturating(mono, want - real) : mono;
	}
	return want ? want : 1;
}

#endif
