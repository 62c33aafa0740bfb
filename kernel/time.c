/*
 * The clocks (docs/time.md). The monotonic clock is the TSC, scaled: boot
 * measures the TSC's rate in a quarter of a millisecond against the PIT and
 * the PM timer together (or takes the rate the platform reports), and a
 * kernel timer later refines it over a second or more against the PM
 * timer. The wall clock is the CMOS clock's time, read when first needed
 * and then kept to its second edges (kernel/wallclock.c).
 */
#include "kernel/time.h"

#include <stdbool.h>

#include "arch/x86_64/arch.h"
#include "arch/x86_64/rtc.h"
#include "boot/boot.h"
#include "kernel/calib.h"
#include "kernel/printk.h"
#include "kernel/wallclock.h"

/* ns = base_ns + ((tsc - base_tsc) * mult) >> TIME_SHIFT. */
#define TIME_SHIFT 32
/* The follower's first run, after boot: it reads the CMOS clock if nobody has. */
#define FOLLOW_START_NS (100 * NSEC_PER_MSEC)
/* The rate is refined over at least this long, and no longer than the PM timer's wrap allows. */
#define REFINE_MIN_NS (1000 * NSEC_PER_MSEC)
#define REFINE_ERR_MAX_PPM 200
/* What the platform reports is checked, and not trusted when this far off. */
#define REPORTED_AGREE_PPM 20000
/* CPUID 0x16's base frequency is nominal: the measured may differ by this much. */
#define BASE_AGREE_PPM 200000
/* A quick figure this far from the refined one is worth a warning. */
#define REFINE_WARN_PPM 10000
/* What an assumed TSC runs at when there is nothing to measure it against. */
#define TSC_FALLBACK_HZ 1000000000ULL
#define PPM_PER_PERCENT 10000
#define HZ_PER_KHZ 1000ULL
#define HZ_PER_MHZ 1000000ULL

/* One piece of the TSC-to-ns line: the rate changes only when it is refined. */
struct scale {
	uint64_t base_tsc, base_ns;
	uint64_t mult;	   /* TSC ticks to ns, 32.32 fixed point */
	uint64_t mult_inv; /* ns to TSC ticks, 32.32: no division on the timer's path */
};

static struct {
	uint64_t hz;
	struct scale now, before; /* before: for TSC readings taken before the last refinement */
	unsigned seq;		  /* odd while the scale changes (a sequence lock) */
	struct tsc_refs refs;
	struct tsc_mark mark; /* a PM timer mark to refine from */
	bool refining, reported;
	uint64_t epoch_at_boot_ns;  /* the wall clock when the monotonic one read 0 */
	struct wallclock_slew slew; /* a better estimate that put it back, being made up */
	unsigned wall_seq;	    /* odd while those two change */
	bool started;		    /* the CMOS clock was read (when first needed) */
	bool rtc;		    /* ... and it answered */
	struct wallclock wall;
} clock;

static struct scale scale_for(uint64_t hz, uint64_t base_tsc, uint64_t base_ns)
{
	return (struct scale){
		.base_tsc = base_tsc,
		.base_ns = base_ns,
		.mult = (NSEC_PER_SEC << TIME_SHIFT) / hz,
		.mult_inv = (uint64_t)(((unsigned __int128)hz << TIME_SHIFT) / NSEC_PER_SEC),
	};
}

static bool enough(const struct tsc_ref_windows *pit, const struct tsc_ref_windows *pm)
{
	struct calib_result r;

	return calib_choose((struct tsc_ref_windows[]){ *pit, *pm }, 2, &r) == 0 && r.agreed &&
	       r.outliers == 0;
}

static void log_untrusted(uint64_t hz, const char *source, const struct calib_result *m,
			  bool measured, uint64_t base)
{
	pr_warn("time: TSC at %lu.%03lu MHz (%s), which the sources do not confirm: timers and "
		"the clock may run fast or slow",
		(unsigned long)(hz / HZ_PER_MHZ), (unsigned long)(hz / HZ_PER_KHZ % 1000), source);
	if (measured)
		pr_warn("time: measured %lu kHz from %d of %d estimates (%d refused, %d outliers), "
			"%u.%02u%% apart; CPUID base %lu MHz",
			(unsigned long)(m->hz / HZ_PER_KHZ), m->used,
			m->used + m->refused + m->outliers, m->refused, m->outliers,
			m->spread_ppm / PPM_PER_PERCENT, m->spread_ppm % PPM_PER_PERCENT / 100,
			(unsigned long)(base / HZ_PER_MHZ));
	else
		pr_warn("time: no PIT or PM timer answered: nothing to measure the TSC against");
}

/* Sets the TSC's rate: reported (and checked), or measured (and bounded). */
static void calibrate(void)
{
	const char *source = "measured";
	uint64_t reported = tsc_reported_hz(&source), base = tsc_base_hz(), hz;
	struct tsc_ref_windows w[CALIB_REFS_MAX];
	struct calib_result m;
	bool measured, trusted;

	tsc_measure(&clock.refs, &w[0], &w[1], reported ? 1 : TSC_WINDOWS_MAX, enough);
	measured = calib_choose(w, CALIB_REFS_MAX, &m) == 0;
	clock.reported = reported != 0;
	if (reported) {
		hz = reported;
		trusted = !measured || calib_ppm_apart(m.hz, reported) <= REPORTED_AGREE_PPM;
	} else if (measured) {
		hz = m.hz;
		source = m.refs_used == 2 ? "measured against the PIT and the PM timer"
					  : "measured against one timer";
		trusted = m.agreed && (!base || calib_ppm_apart(hz, base) <= BASE_AGREE_PPM);
	} else {
		hz = TSC_FALLBACK_HZ;
		source = "assumed: nothing to measure it against";
		trusted = false;
	}
	clock.hz = hz;
	clock.now = clock.before = scale_for(hz, boot_tsc, 0); /* timestamps from here on */
	if (trusted) {
		pr_info("time: TSC at %lu.%03lu MHz (%s)", (unsigned long)(hz / HZ_PER_MHZ),
			(unsigned long)(hz / HZ_PER_KHZ % 1000), source);
		pr_debug("time: %d estimates from %d PIT and %d PM timer windows, within %u ppm",
			 m.used, w[0].n, w[1].n, m.spread_ppm);
	} else {
		log_untrusted(hz, source, &m, measured, base);
	}
}

int time_init(const struct tsc_refs *refs)
{
	clock.refs = *refs;
	calibrate();
	clock.refining = tsc_pm_mark(&clock.refs, &clock.mark);
	return 0;
}

static uint64_t to_ns(const struct scale *s, uint64_t tsc)
{
	return s->base_ns +
	       (uint64_t)(((unsigned __int128)(tsc - s->base_tsc) * s->mult) >> TIME_SHIFT);
}

uint64_t time_tsc_to_ns(uint64_t tsc)
{
	unsigned seq;
	uint64_t ns;

	do {
		seq = clock.seq;
		__asm__ volatile("" : : : "memory");
		ns = tsc >= clock.now.base_tsc ? to_ns(&clock.now, tsc) : to_ns(&clock.before, tsc);
		__asm__ volatile("" : : : "memory");
	} while (seq != clock.seq || seq & 1);
	return ns;
}

/* Saturates: a deadline too far to express (centuries away) becomes UINT64_MAX. */
uint64_t time_ns_to_tsc(uint64_t ns)
{
	const struct scale *s = &clock.now;
	unsigned __int128 tsc;

	if (ns < s->base_ns) /* in the past: any earlier TSC value does */
		return s->base_tsc;
	tsc = ((unsigned __int128)(ns - s->base_ns) * s->mult_inv >> TIME_SHIFT) + s->base_tsc;
	return tsc > UINT64_MAX ? UINT64_MAX : (uint64_t)tsc;
}

uint64_t clock_monotonic_ns(void)
{
	return time_tsc_to_ns(rdtsc());
}

uint64_t time_tsc_hz(void)
{
	return clock.hz;
}

/*
 * The rate over the long window since the boot mark. Adopted if the window
 * is tight; the line is rebased so that the clock does not jump. Returns
 * false if it is too soon, and takes a new mark if too late (the PM timer
 * may have wrapped). Interrupts off.
 */
static bool refine(uint64_t now_ns)
{
	uint64_t wrap_ns = tsc_pm_wrap_ticks(&clock.refs) * NSEC_PER_SEC / TSC_PM_TIMER_HZ;
	uint64_t since = now_ns - to_ns(&clock.now, clock.mark.tsc), hz;
	struct tsc_mark b;
	struct tsc_window w;
	uint32_t err;

	if (since < REFINE_MIN_NS)
		return false;
	if (since > wrap_ns / 2 || !tsc_pm_mark(&clock.refs, &b)) {
		clock.refining = tsc_pm_mark(&clock.refs, &clock.mark);
		return false;
	}
	w = tsc_pm_window(&clock.refs, &clock.mark, &b);
	hz = calib_window_hz(&w, TSC_PM_TIMER_HZ, &err);
	if (!hz || err > REFINE_ERR_MAX_PPM) {
		clock.mark = b; /* a disturbed end: try again from here */
		return false;
	}
	clock.refining = false;
	if (calib_ppm_apart(hz, clock.hz) > REFINE_WARN_PPM)
		pr_warn("time: the TSC runs at %lu kHz, not the %lu kHz measured at boot (%s)",
			(unsigned long)(hz / HZ_PER_KHZ), (unsigned long)(clock.hz / HZ_PER_KHZ),
			clock.reported ? "the platform's figure is kept" : "corrected");
	if (clock.reported)
		return true;
	clock.seq++;
	__asm__ volatile("" : : : "memory");
	clock.before = clock.now;
	clock.now = scale_for(hz, b.tsc, to_ns(&clock.before, b.tsc));
	clock.hz = hz;
	__asm__ volatile("" : : : "memory");
	clock.seq++;
	pr_debug("time: TSC at %lu Hz over %lu ms against the PM timer (within %u ppm)",
		 (unsigned long)hz, (unsigned long)(since / NSEC_PER_MSEC), err);
	return true;
}

/*
 * The first reading of the CMOS clock, when the wall clock is first asked
 * for or the follower first runs: boot does not wait for it.
 */
static void start_wall(void)
{
	unsigned long flags = irq_save();
	uint64_t epoch;

	if (!clock.started) {
		clock.started = true;
		epoch = rtc_read_epoch();
		clock.rtc = epoch != 0;
		if (clock.rtc) {
			wallclock_start(&clock.wall, epoch, clock_monotonic_ns());
			clock.epoch_at_boot_ns = wallclock_epoch_ns(&clock.wall);
		} else {
			pr_warn("time: the CMOS clock is unreadable; the wall clock starts at "
				"1970");
		}
	}
	irq_restore(flags);
}

uint64_t time_follow_first(void)
{
	return clock_monotonic_ns() + FOLLOW_START_NS;
}

static void sample_rtc(uint64_t now)
{
	uint64_t epoch = rtc_read_epoch(), estimate;
	unsigned long flags;
	int64_t off_ms;

	if (!epoch)
		return;
	if (!wallclock_sample(&clock.wall, epoch, now)) {
		off_ms = (int64_t)(epoch * NSEC_PER_SEC - clock_realtime_ns()) /
			 (int64_t)NSEC_PER_MSEC;
		pr_warn("time: the CMOS clock reads %lu, %ld ms from what the TSC kept: the TSC "
			"may "
			"not run at %lu kHz; starting the wall clock over from the CMOS clock",
			(unsigned long)epoch, (long)off_ms, (unsigned long)(clock.hz / HZ_PER_KHZ));
	}
	/* A step back is slewed (kernel/wallclock.h); readers retry across the change. */
	estimate = wallclock_epoch_ns(&clock.wall);
	flags = irq_save();
	clock.wall_seq++;
	__asm__ volatile("" : : : "memory");
	wallclock_slew_set(&clock.slew, clock.epoch_at_boot_ns, estimate, now);
	clock.epoch_at_boot_ns = estimate;
	__asm__ volatile("" : : : "memory");
	clock.wall_seq++;
	irq_restore(flags);
}

uint64_t time_follow_rtc(void)
{
	uint64_t now = clock_monotonic_ns(), next = UINT64_MAX;

	if (!clock.started)
		start_wall();
	else if (clock.rtc)
		sample_rtc(now);
	if (clock.refining && !refine(now))
		next = to_ns(&clock.now, clock.mark.tsc) + REFINE_MIN_NS;
	now = clock_monotonic_ns();
	if (clock.rtc) {
		uint64_t w = wallclock_next(&clock.wall, now);

		next = w < next ? w : next;
	}
	return next > now ? next : now + 1;
}

/*
 * The monotonic clock goes on at to_tsc from where it stood at from_tsc,
 * as if the time between had not passed: the line is rebased under the
 * sequence counter, the wall clock's estimate moves with it (the wall
 * clock keeps real time), and a rate measurement under way starts over
 * (the PM timer may have wrapped meanwhile). Interrupts off.
 */
void time_skip(uint64_t from_tsc, uint64_t to_tsc)
{
	struct scale s = clock.now;
	uint64_t paused;

	if (to_tsc <= from_tsc || from_tsc < clock.now.base_tsc)
		return;
	s.base_tsc = to_tsc;
	s.base_ns = to_ns(&clock.now, from_tsc);
	paused = to_ns(&clock.now, to_tsc) - s.base_ns;
	clock.seq++;
	__asm__ volatile("" : : : "memory");
	clock.before = clock.now;
	clock.now = s;
	__asm__ volatile("" : : : "memory");
	clock.seq++;
	if (clock.rtc) {
		clock.wall_seq++;
		__asm__ volatile("" : : : "memory");
		clock.epoch_at_boot_ns += paused;
		wallclock_shift(&clock.wall, paused);
		__asm__ volatile("" : : : "memory");
		clock.wall_seq++;
	}
	if (clock.refining)
		clock.refining = tsc_pm_mark(&clock.refs, &clock.mark);
}

uint64_t clock_realtime_ns(void)
{
	struct wallclock_slew slew;
	uint64_t epoch, now;
	unsigned seq;

	if (!clock.started)
		start_wall();
	do {
		seq = clock.wall_seq;
		__asm__ volatile("" : : : "memory");
		epoch = clock.epoch_at_boot_ns;
		slew = clock.slew;
		__asm__ volatile("" : : : "memory");
	} while (seq != clock.wall_seq || seq & 1);
	now = clock_monotonic_ns();
	return epoch + now + wallclock_slew_left(&slew, now);
}
