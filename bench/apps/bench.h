/*
 * What every benchmark program shares. Standard headers only, so that the
 * programs build against musl for Ceres and natively (make APP=x linux),
 * and statically against glibc for the Linux guest (bench/linux-guest.sh).
 */
#ifndef BENCH_APPS_BENCH_H
#define BENCH_APPS_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Prints "RESULT name mean" for total over n events, with one decimal,
 * truncated: in integers, so that every libc prints the same digits.
 */
static inline void bench_report(const char *name, uint64_t total, uint64_t n)
{
	uint64_t tenths = total * 10 / n;

	printf("RESULT %s %lu.%lu\n", name, (unsigned long)(tenths / 10),
	       (unsigned long)(tenths % 10));
}

#endif
