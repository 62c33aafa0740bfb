/*
 * Interval timers for the one process (docs/abi.md), as Linux's
 * kernel/time/itimer.c has them.
 *
 * ITIMER_REAL is a kernel timer on the monotonic clock. When it fires it
 * sends SIGALRM to the process with si_code SI_KERNEL, and it is reloaded
 * from its interval only when that SIGALRM is taken off the pending set
 * (itimer_alarm_taken), as Linux does: a blocked SIGALRM holds the timer
 * until it is taken, and an ignored one, which is dropped, stops it.
 *
 * ITIMER_VIRTUAL and ITIMER_PROF count the process's CPU time
 * (sched_busy_ns(); all of it is user time here, so the two count the same
 * clock), and send SIGVTALRM and SIGPROF. A kernel timer looks at the CPU
 * time at the earliest moment it could have reached the expiry (one CPU:
 * the CPU time grows at most as fast as the monotonic clock), and looks
 * again if it has not, no sooner than a tick later. As on Linux, a CPU
 * timer's first expiry is a tick later than asked, and it is reloaded as
 * it fires.
 *
 * State changes with interrupts off: the timers fire in the timer
 * interrupt.
 */
#include "lib/abi/itimer.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "kernel/time.h"
#include "kernel/uaccess.h"
#include "lib/abi/abi.h"
#include "lib/abi/signal.h"
#include "sched/sched.h"

#define ITIMER_REAL 0
#define ITIMER_VIRTUAL 1
#define ITIMER_PROF 2
#define ITIMER_COUNT 3

#define SIGALRM 14
#define SIGVTALRM 26
#define SIGPROF 27
#define SI_KERNEL 0x80

#define USEC_PER_SEC 1000000
/* Linux's TICK_NSEC at Debian's HZ of 250: a CPU timer's granularity. */
#define TICK_NS (4 * NSEC_PER_MSEC)
/* Linux's KTIME_MAX: a longer time saturates. */
#define ITIMER_NS_MAX ((uint64_t)INT64_MAX)

/* struct itimerval: the interval first. */
struct abi_itimerval {
	struct abi_timeval interval, value;
};

struct itimer {
	struct sched_timer timer;
	uint64_t expires;  /* REAL: monotonic ns; CPU: process CPU ns; 0: disarmed */
	uint64_t interval; /* ns; 0: one shot */
	bool queued;	   /* REAL: the kernel timer is pending */
};

static struct {
	struct itimer it[ITIMER_COUNT];
} itimers;

static const int signals[ITIMER_COUNT] = { SIGALRM, SIGVTALRM, SIGPROF };

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* A struct timeval as ns: 0, or -EINVAL as Linux's timeval_valid() says. */
static int ns_of(const struct abi_timeval *tv, uint64_t *ns)
{
	if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= USEC_PER_SEC)
		return -EINVAL;
	if ((uint64_t)tv->tv_sec >= ITIMER_NS_MAX / NSEC_PER_SEC)
		*ns = ITIMER_NS_MAX;
	else
		*ns = (uint64_t)tv->tv_sec * NSEC_PER_SEC + (uint64_t)tv->tv_usec * NSEC_PER_USEC;
	return 0;
}

static void real_fire(struct sched_timer *t)
{
	(void)t;
	itimers.it[ITIMER_REAL].queued = false;
	signal_send(0, SIGALRM, SI_KERNEL);
}

static void real_start(struct itimer *it)
{
	it->queued = true;
	it->timer.wakes = true; /* its SIGALRM may end a pause() */
	sched_timer_start(&it->timer, it->expires, real_fire);
}

/* Linux's itimer_get_remtime(): a pending timer has at least 1 us left. */
static uint64_t real_left(const struct itimer *it)
{
	uint64_t now = clock_monotonic_ns();

	if (!it->queued)
		return 0;
	return it->expires > now ? it->expires - now : NSEC_PER_USEC;
}

void itimer_alarm_taken(void)
{
	struct itimer *it = &itimers.it[ITIMER_REAL];
	uint64_t now = clock_monotonic_ns();

	if (it->queued || !it->interval)
		return;
	/* Linux's hrtimer_forward(): the first period's end after now. */
	if (it->expires <= now)
		it->expires = add_sat(it->expires,
				      ((now - it->expires) / it->interval + 1) * it->interval);
	real_start(it);
}

static uint64_t cpu_now(void)
{
	return sched_busy_ns();
}

static void cpu_check(struct sched_timer *t);

/* Looks again when the CPU time could reach the expiry, a tick from now at the soonest. */
static void cpu_watch(struct itimer *it, uint64_t cpu)
{
	uint64_t wait = it->expires > cpu ? it->expires - cpu : 0;

	sched_timer_start(&it->timer,
			  add_sat(clock_monotonic_ns(), wait > TICK_NS ? wait : TICK_NS),
			  cpu_check);
}

static void cpu_check(struct sched_timer *t)
{
	struct itimer *it = container_of(t, struct itimer, timer);
	uint64_t cpu = cpu_now();

	if (cpu >= it->expires) {
		it->expires = it->interval ? add_sat(it->expires, it->interval) : 0;
		signal_send(0, signals[it - itimers.it], SI_KERNEL);
	}
	if (it->expires)
		cpu_watch(it, cpu);
}

/* Linux's get_cpu_itimer(): one about to fire has a tick left. */
static uint64_t cpu_left(const struct itimer *it, uint64_t cpu)
{
	if (!it->expires)
		return 0;
	return it->expires < cpu ? TICK_NS : it->expires - cpu;
}

/* Arms (value > 0) or disarms timer which; what was left and its interval go to *old. */
static void arm(int which, uint64_t value, uint64_t interval, uint64_t old[2])
{
	struct itimer *it = &itimers.it[which];
	unsigned long flags = irq_save();
	uint64_t cpu = which == ITIMER_REAL ? 0 : cpu_now();

	sched_timer_stop(&it->timer);
	old[0] = which == ITIMER_REAL ? real_left(it) : cpu_left(it, cpu);
	old[1] = it->interval;
	it->queued = false;
	if (which == ITIMER_REAL) {
		it->interval = value ? interval : 0;
		it->expires = value ? add_sat(clock_monotonic_ns(), value) : 0;
		if (value)
			real_start(it);
	} else {
		it->interval = interval; /* Linux keeps a CPU timer's interval even disarmed */
		it->expires = value ? add_sat(cpu, add_sat(value, TICK_NS)) : 0;
		if (value)
			cpu_watch(it, cpu);
	}
	irq_restore(flags);
}

static void left(int which, uint64_t out[2])
{
	struct itimer *it = &itimers.it[which];
	unsigned long flags = irq_save();

	out[0] = which == ITIMER_REAL ? real_left(it) : cpu_left(it, cpu_now());
	out[1] = it->interval;
	irq_restore(flags);
}

static int put(void *app, const uint64_t v[2])
{
	struct abi_itimerval out = { .value = abi_timeval_of(v[0]),
				     .interval = abi_timeval_of(v[1]) };

	return copy_to_app(app, &out, sizeof(out)) < 0 ? -EFAULT : 0;
}

/* Linux's order: the new value is read and checked first, then which. */
long sys_setitimer(int which, const void *value, void *old)
{
	struct abi_itimerval in = { 0 };
	uint64_t v = 0, iv = 0, prev[2];

	if (value && copy_from_app(&in, value, sizeof(in)) < 0)
		return -EFAULT;
	if (ns_of(&in.value, &v) < 0 || ns_of(&in.interval, &iv) < 0)
		return -EINVAL;
	if (which < ITIMER_REAL || which > ITIMER_PROF)
		return -EINVAL;
	arm(which, v, iv, prev);
	return old ? put(old, prev) : 0;
}

long sys_getitimer(int which, void *value)
{
	uint64_t now[2];

	if (which < ITIMER_REAL || which > ITIMER_PROF)
		return -EINVAL;
	left(which, now);
	return put(value, now);
}

/* Whole seconds left, rounded to the nearest, and up from under one: Linux's alarm_setitimer(). */
long sys_alarm(unsigned seconds)
{
	uint64_t prev[2], s, ns;

	arm(ITIMER_REAL, (uint64_t)seconds * NSEC_PER_SEC, 0, prev);
	s = prev[0] / NSEC_PER_SEC;
	ns = prev[0] % NSEC_PER_SEC;
	if ((!s && ns) || ns >= NSEC_PER_SEC / 2)
		s++;
	return (long)s;
}
