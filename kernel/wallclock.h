/*
 * The wall clock from the CMOS clock's second edges (docs/time.md). The RTC
 * only tells whole seconds, so one reading leaves the time up to a second
 * unknown; later readings, each timed to land where the last estimate put
 * a second's edge, halve what is unknown, to a millisecond in about ten
 * seconds. Once settled, a reading now and then, far from an edge, checks
 * that the TSC-based clock still agrees with the RTC; when it does not, the
 * estimate starts over from that reading. Pure logic on monotonic
 * nanoseconds, so the host tests drive it with a simulated RTC.
 */
#ifndef KERNEL_WALLCLOCK_H
#define KERNEL_WALLCLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define WALLCLOCK_SETTLED_NS 1000000ULL		/* the edge known to within this: settled */
#define WALLCLOCK_CHECK_FIRST_NS 8000000000ULL	/* then checks this long apart, */
#define WALLCLOCK_CHECK_MAX_NS 1024000000000ULL /* doubling up to this */
#define WALLCLOCK_MARGIN_NS 20000000ULL		/* a probe is set at least this far ahead */
#define WALLCLOCK_SLEW_MAX_NS 1000000000ULL	/* a step back up to this is slewed */

struct wallclock {
	uint64_t sec; /* an RTC reading: seconds since 1970 */
	/* The RTC turned to sec at a monotonic time in (lo, hi]; lo may be before boot. */
	int64_t lo, hi;
	uint64_t check_ns; /* settled: the time between checks */
	uint64_t planned;  /* when the last probe was asked for (wallclock_next) */
	int64_t late_ns;   /* how late probes come, on average: they are aimed that early */
	unsigned samples, restarts;
};

/* The RTC read sec at monotonic time mono. */
void wallclock_start(struct wallclock *w, uint64_t sec, uint64_t mono);

/* Nanoseconds since 1970 at monotonic time 0, by the best estimate so far. */
uint64_t wallclock_epoch_ns(const struct wallclock *w);

bool wallclock_settled(const struct wallclock *w);

/* When to read the RTC next, a monotonic time after now. */
uint64_t wallclock_next(struct wallclock *w, uint64_t now);

/*
 * The RTC read sec at monotonic time mono. true if that fits the estimate
 * (which it then narrows); false if it does not, and the estimate starts
 * over from this reading.
 */
bool wallclock_sample(struct wallclock *w, uint64_t sec, uint64_t mono);

/*
 * The monotonic clock skipped ns (a pause it does not count): what was at
 * monotonic time t is now at t - ns, and the estimate moves so.
 */
void wallclock_shift(struct wallclock *w, uint64_t ns);

/*
 * A better estimate that puts the wall clock back is not a step back: the
 * clock runs at half speed from the monotonic time from until it has made
 * up ns (the time stands at most as still as a clock at half speed). A
 * step back of more than WALLCLOCK_SLEW_MAX_NS (the estimate started over)
 * and every step forward are taken at once.
 */
struct wallclock_slew {
	uint64_t from, ns;
};

/* What the wall clock is ahead of the estimate at monotonic time now. */
uint64_t wallclock_slew_left(const struct wallclock_slew *s, uint64_t now);

/* The estimate of the wall clock at monotonic 0 goes from old_epoch to new_epoch at now. */
void wallclock_slew_set(struct wallclock_slew *s, uint64_t old_epoch, uint64_t new_epoch,
			uint64_t now);

#endif
