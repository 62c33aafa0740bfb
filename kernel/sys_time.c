/*
 * Clocks and sleeping for the application (kernel/sys_time.h). Every
 * clock Linux has reads one of three things here: the wall clock, the
 * monotonic clock (which does not stop, so BOOTTIME is the same), or CPU
 * time. The coarse clocks are as fine as the others.
 */
#include "kernel/sys_time.h"

#include <errno.h>
#include <stdbool.h>

#include "kernel/irq.h"
#include "kernel/time.h"
#include "kernel/uaccess.h"
#include "lib/abi/abi.h"
#include "sched/sched.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define CLOCK_REALTIME_ALARM 8
#define CLOCK_BOOTTIME_ALARM 9
#define CLOCK_TAI 11
#define TIMER_ABSTIME 1

/* A CPU-time clock of a thread or process (pthread_getcpuclockid, clock_getcpuclockid). */
#define CPUCLOCK_PERTHREAD 4
#define CPUCLOCK_SCHED 2
#define CPUCLOCK_TYPE 3

static bool has_tid(struct thread *t, void *arg)
{
	return thread_id(t) == *(uint64_t *)arg && *thread_abi(t);
}

/* A negative clock id: ~(pid or tid) << 3, then the per-thread bit and the kind. */
static int cpu_clock(int clk, uint64_t *ns)
{
	uint64_t id = (uint64_t)(~clk >> 3);
	unsigned long flags;
	struct thread *t;

	if ((clk & CPUCLOCK_TYPE) > CPUCLOCK_SCHED)
		return -EINVAL;
	if (!(clk & CPUCLOCK_PERTHREAD)) {
		if (id != 0 && id != 1)
			return -EINVAL;
		*ns = sched_busy_ns();
		return 0;
	}
	if (!id) {
		*ns = thread_runtime_ns(thread_self());
		return 0;
	}
	flags = irq_save();
	t = sched_find_thread(has_tid, &id);
	*ns = t ? thread_runtime_ns(t) : 0;
	irq_restore(flags);
	return t ? 0 : -EINVAL;
}

static int read_clock(int clk, uint64_t *ns)
{
	if (clk < 0)
		return cpu_clock(clk, ns);
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_REALTIME_ALARM:
	case CLOCK_TAI: /* no leap second offset is set: TAI reads as UTC, as on Linux */
		*ns = clock_realtime_ns();
		return 0;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
	case CLOCK_BOOTTIME_ALARM:
		*ns = clock_monotonic_ns();
		return 0;
	case CLOCK_PROCESS_CPUTIME_ID:
		*ns = sched_busy_ns();
		return 0;
	case CLOCK_THREAD_CPUTIME_ID:
		*ns = thread_runtime_ns(thread_self());
		return 0;
	default:
		return -EINVAL;
	}
}

long sys_clock_gettime(int clk, void *ts)
{
	uint64_t ns;
	int err = read_clock(clk, &ns);

	return err < 0 ? err : abi_put_timespec(ts, ns);
}

long sys_clock_getres(int clk, void *ts)
{
	uint64_t ns;
	int err = read_clock(clk, &ns);

	if (err < 0)
		return err;
	return ts ? abi_put_timespec(ts, 1) : 0;
}

long sys_gettimeofday(void *tv, void *tz)
{
	uint64_t ns = clock_realtime_ns();
	struct abi_timeval v = abi_timeval_of(ns);
	int32_t zone[2] = { 0, 0 }; /* UTC, no daylight saving */

	if (tv && copy_to_app(tv, &v, sizeof(v)) < 0)
		return -EFAULT;
	if (tz && copy_to_app(tz, zone, sizeof(zone)) < 0)
		return -EFAULT;
	return 0;
}

long sys_time(int64_t *t)
{
	int64_t s = (int64_t)(clock_realtime_ns() / NSEC_PER_SEC);

	if (t && copy_to_app(t, &s, sizeof(s)) < 0)
		return -EFAULT;
	return s;
}

/* Sleeps to the monotonic deadline; on a signal, the time left goes to rem. */
static long sleep_until(uint64_t deadline, void *rem)
{
	uint64_t now;

	if (thread_sleep_until(deadline, true) == 0)
		return 0;
	now = clock_monotonic_ns();
	if (rem && abi_put_timespec(rem, deadline > now ? deadline - now : 0) < 0)
		return -EFAULT;
	return -EINTR;
}

long sys_nanosleep(const void *req, void *rem)
{
	uint64_t ns;
	int err = abi_get_timespec(req, &ns);

	return err < 0 ? err : sleep_until(abi_deadline_after(ns), rem);
}

long sys_clock_nanosleep(int clk, int flags, const void *req, void *rem)
{
	uint64_t ns, now;
	int err;

	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_BOOTTIME:
	case CLOCK_TAI:
		break;
	case CLOCK_THREAD_CPUTIME_ID:
		return -EINVAL;
	default:
		return clk == CLOCK_PROCESS_CPUTIME_ID || clk < 0 ? -EOPNOTSUPP : -EINVAL;
	}
	err = abi_get_timespec(req, &ns);
	if (err < 0)
		return err;
	if (!(flags & TIMER_ABSTIME))
		return sleep_until(abi_deadline_after(ns), rem);
	if (clk == CLOCK_MONOTONIC || clk == CLOCK_BOOTTIME)
		return sleep_until(ns, NULL);
	/* An absolute wall-clock time: as far from now, on the monotonic clock. */
	now = clock_realtime_ns();
	return sleep_until(abi_deadline_after(ns > now ? ns - now : 0), NULL);
}
