/* Clocks and sleeping: POSIX names over kernel/time.c and the scheduler. */
#include <time.h>

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <unistd.h>

#include "kernel/time.h"
#include "lib/libc/timespec.h"
#include "sched/sched.h"

int clock_gettime(clockid_t clock, struct timespec *ts)
{
	uint64_t ns;

	if (clock == CLOCK_MONOTONIC)
		ns = clock_monotonic_ns();
	else if (clock == CLOCK_REALTIME)
		ns = clock_realtime_ns();
	else
		return errno = EINVAL, -1;
	*ts = timespec_from_ns(ns);
	return 0;
}

int clock_getres(clockid_t clock, struct timespec *ts)
{
	if (clock != CLOCK_MONOTONIC && clock != CLOCK_REALTIME)
		return errno = EINVAL, -1;
	if (ts)
		*ts = (struct timespec){ 0, 1 };
	return 0;
}

int clock_nanosleep(clockid_t clock, int flags, const struct timespec *req, struct timespec *rem)
{
	uint64_t ns;

	if (clock != CLOCK_MONOTONIC && clock != CLOCK_REALTIME)
		return EINVAL;
	if (!timespec_valid(req))
		return EINVAL;
	ns = timespec_to_ns(req);
	if (flags & TIMER_ABSTIME)
		thread_sleep_until(timespec_deadline(clock, req));
	else
		thread_sleep_ns(ns);
	if (rem)
		*rem = (struct timespec){ 0, 0 };
	return 0;
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
	int err = clock_nanosleep(CLOCK_MONOTONIC, 0, req, rem);

	return err ? (errno = err, -1) : 0;
}

unsigned sleep(unsigned seconds)
{
	thread_sleep_ns((uint64_t)seconds * NSEC_PER_SEC);
	return 0;
}

int usleep(unsigned long usec)
{
	thread_sleep_ns(usec > UINT64_MAX / 1000 ? UINT64_MAX : (uint64_t)usec * 1000);
	return 0;
}

time_t time(time_t *t)
{
	time_t now = (time_t)(clock_realtime_ns() / NSEC_PER_SEC);

	if (t)
		*t = now;
	return now;
}

int sched_yield(void)
{
	thread_yield();
	return 0;
}
