/*
 * The scheduler's tests that only the inside of the kernel can make (a
 * kernel test: ktest.h); the rest are in tests/apps/schedtest, through
 * musl's pthreads. Prints "ok - ..." or "not ok - ..." per check and exits
 * with the number of failures. argv[1], if given, names the one test to run.
 */
#include "tests/ktests/ktest.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernel/time.h"
#include "sched/sched.h"

/* How long the far-deadline test spins, and the interrupts it lets pass. */
#define FAR_SPIN_NS (200 * NSEC_PER_MSEC)
#define FAR_IRQS_MAX 20

/*
 * Just past the point where the deadline, turned into TSC ticks, no longer
 * fits in 64 bits (some 280 years at 2 GHz): wrapped, it would lie in the
 * past, and the timer would fire again and again.
 */
static void *far_sleeper(void *arg)
{
	uint64_t ns = (uint64_t)(((unsigned __int128)1 << 64) * NSEC_PER_SEC / time_tsc_hz()) +
		      NSEC_PER_MSEC;

	(void)arg;
	thread_sleep_until(ns, false);
	return NULL;
}

/* A sleep until the end of time must not make the timer fire over and over. */
static void test_far_deadline(void)
{
	struct sched_stats before, after;
	struct thread *t = thread_create("schedk-far", far_sleeper, NULL, 0, true);

	ktest_check(t != NULL, "timer: a thread to sleep until the end of time");
	thread_sleep_ns(10 * NSEC_PER_MSEC, false);
	/* Spin, not sleep: the far deadline must be the only one left. */
	sched_stats(&before);
	for (uint64_t end = clock_monotonic_ns() + FAR_SPIN_NS; clock_monotonic_ns() < end;)
		;
	sched_stats(&after);
	ktest_print("# timer interrupts in 200 ms with a sleeper until the end of time: %lu",
		    (unsigned long)(after.timer_irqs - before.timer_irqs));
	ktest_check(after.timer_irqs - before.timer_irqs < FAR_IRQS_MAX,
		    "timer: a deadline beyond reach does not storm the timer");
}

int ktest_main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} tests[] = {
		{ "far-deadline", test_far_deadline },
	};
	const char *only = argc > 1 ? argv[1] : NULL;
	int ran = 0;

	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (only && strcmp(only, tests[i].name))
			continue;
		tests[i].fn();
		ran++;
	}
	ktest_check(ran > 0, "schedk: at least one test ran");
	ktest_print("schedk: %d failed", ktest_failures);
	return ktest_failures;
}
