/*
 * The wall clock from the RTC's second edges (kernel/wallclock.c), against
 * a simulated RTC whose seconds turn at a phase the follower does not know:
 * it must settle to a millisecond, from a first reading taken right after
 * boot as well as later, with probes that arrive late; and when the
 * monotonic clock runs at the wrong rate it must notice and start over.
 */
#define CHECK_SUITE "wallclock"
#include "tests/unit/check.h"

#include "kernel/wallclock.h"

#define MS 1000000LL
#define SEC 1000000000LL
#define EPOCH 1800000000ULL /* the RTC's seconds at monotonic 0 (before the phase) */

/* The RTC at monotonic time mono: it turns phase ns into each second. */
static uint64_t rtc_at(int64_t mono, int64_t phase)
{
	return EPOCH + (uint64_t)((mono - phase + 10 * SEC) / SEC) - 10;
}

/* The true wall clock at monotonic 0, in ns since 1970. */
static uint64_t true_epoch(int64_t phase)
{
	return EPOCH * (uint64_t)SEC - (uint64_t)phase;
}

/* Follows from a first reading at start: up to max probes, each late by up to late_max. */
static int follow(struct wallclock *w, int64_t phase, int64_t start, int64_t late_max, int max)
{
	uint64_t x = 0x2545f4914f6cdd1dULL, now = (uint64_t)start;
	int probes = 0;

	wallclock_start(w, rtc_at(start, phase), (uint64_t)start);
	while (!wallclock_settled(w) && probes < max) {
		now = wallclock_next(w, now);
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		now += late_max ? x % (uint64_t)late_max : 0;
		CHECK(wallclock_sample(w, rtc_at((int64_t)now, phase), now));
		probes++;
	}
	return probes;
}

static int64_t error_ns(const struct wallclock *w, int64_t phase)
{
	return (int64_t)(wallclock_epoch_ns(w) - true_epoch(phase));
}

TEST(settles_to_a_millisecond_in_about_ten_probes)
{
	static const int64_t phases[] = { 0, 1, 5 * MS, SEC / 2, SEC - 1, 999 * MS };

	for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		struct wallclock w = { 0 };
		int probes = follow(&w, phases[i], 3 * SEC + 123 * MS, 0, 40);

		CHECK_CONTEXT("phase %lld ns", (long long)phases[i]);
		CHECK(wallclock_settled(&w));
		CHECK(probes <= 12);
		CHECK(llabs(error_ns(&w, phases[i])) <= MS);
	}
}

/* The first reading 18 ms after boot: the edge may lie before boot. */
TEST(a_first_reading_right_after_boot)
{
	static const int64_t phases[] = { 10 * MS, 17 * MS, 19 * MS, 600 * MS };

	for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		struct wallclock w = { 0 };

		follow(&w, phases[i], 18 * MS, 0, 40);
		CHECK_CONTEXT("phase %lld ns", (long long)phases[i]);
		CHECK(wallclock_settled(&w));
		CHECK(llabs(error_ns(&w, phases[i])) <= MS);
	}
}

/* Timer wakeups up to 3 ms late at random, as on a loaded host. */
TEST(late_probes_still_settle)
{
	struct wallclock w = { 0 };
	int probes = follow(&w, 314 * MS, 2 * SEC, 3 * MS, 80);

	CHECK(wallclock_settled(&w));
	CHECK(probes <= 60);
	CHECK(llabs(error_ns(&w, 314 * MS)) <= MS);
}

TEST(before_it_settles_the_error_is_under_a_second)
{
	struct wallclock w = { 0 };

	wallclock_start(&w, rtc_at(5 * SEC, 0), 5 * SEC);
	CHECK(llabs(error_ns(&w, 0)) <= SEC / 2);
}

TEST(once_settled_checks_come_further_apart)
{
	struct wallclock w = { 0 };
	uint64_t now, a, b;

	follow(&w, 77 * MS, SEC, 0, 40);
	now = 20 * SEC;
	a = wallclock_next(&w, now);
	CHECK(wallclock_sample(&w, rtc_at((int64_t)a, 77 * MS), a));
	b = wallclock_next(&w, a);
	CHECK(b - a > WALLCLOCK_CHECK_FIRST_NS);
	/* A check lands mid-second, far from any edge. */
	CHECK(llabs(((int64_t)b - 77 * MS) % SEC - SEC / 2) <= MS);
}

/* The monotonic clock runs 2% fast: the RTC soon disagrees, and the estimate restarts. */
TEST(a_wrong_rate_is_noticed)
{
	struct wallclock w = { 0 };
	uint64_t now;
	bool mismatch = false;

	follow(&w, 0, SEC, 0, 40);
	now = 2 * SEC;
	for (int i = 0; i < 20 && !mismatch; i++) {
		now = wallclock_next(&w, now);
		/* The guest's ns are 2% short: the RTC has run further. */
		mismatch = !wallclock_sample(&w, rtc_at((int64_t)(now * 102 / 100), 0), now);
	}
	CHECK(mismatch);
	CHECK_EQ(w.restarts, 1);
	CHECK(!wallclock_settled(&w));
}

/*
 * gdb held the guest for 7.3 s, which the monotonic clock skips
 * (time_skip): the RTC ran on. Shifted, the estimate says the wall clock is
 * that much further at monotonic 0, and the RTC's later readings still fit
 * it, to the millisecond; unshifted, they would not.
 */
TEST(a_skipped_pause_moves_the_estimate_and_later_readings_fit)
{
	const int64_t phase = 321 * MS, pause = 7300 * MS;
	struct wallclock w = { 0 }, stale;
	uint64_t now;

	follow(&w, phase, SEC, 0, 40);
	CHECK(wallclock_settled(&w));
	stale = w;
	wallclock_shift(&w, (uint64_t)pause);
	CHECK(llabs(error_ns(&w, phase) - pause) <= MS);
	now = 30 * SEC;
	for (int i = 0; i < 5; i++) {
		now = wallclock_next(&w, now);
		CHECK(wallclock_sample(&w, rtc_at((int64_t)now + pause, phase), now));
	}
	CHECK_EQ(w.restarts, 0);
	CHECK(llabs(error_ns(&w, phase) - pause) <= MS);
	now = wallclock_next(&stale, 30 * SEC);
	CHECK(!wallclock_sample(&stale, rtc_at((int64_t)now + pause, phase), now));
}

/*
 * The shown time (the estimate plus what the slew has left) never runs
 * backwards while the estimate settles, whichever way it moves, and is the
 * estimate again once the slew is spent.
 */
TEST(the_shown_time_never_runs_backwards)
{
	static const int64_t phases[] = { 0, 1, 300 * MS, SEC / 2, 999 * MS };

	for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		struct wallclock w = { 0 };
		struct wallclock_slew slew = { 0 };
		uint64_t now = 3 * SEC, epoch, last = 0, shown, next;
		bool backwards = false;

		CHECK_CONTEXT("phase %lld ns", (long long)phases[i]);
		wallclock_start(&w, rtc_at((int64_t)now, phases[i]), now);
		epoch = wallclock_epoch_ns(&w);
		for (int probes = 0; probes < 40 && !wallclock_settled(&w); probes++) {
			next = wallclock_next(&w, now);
			for (uint64_t t = now; t <= next; t += MS) {
				shown = epoch + t + wallclock_slew_left(&slew, t);
				backwards |= shown < last;
				last = shown;
			}
			now = next;
			CHECK(wallclock_sample(&w, rtc_at((int64_t)now, phases[i]), now));
			wallclock_slew_set(&slew, epoch, wallclock_epoch_ns(&w), now);
			epoch = wallclock_epoch_ns(&w);
			shown = epoch + now + wallclock_slew_left(&slew, now);
			backwards |= shown < last;
			last = shown;
		}
		CHECK(wallclock_settled(&w));
		CHECK(!backwards);
		CHECK_EQ(wallclock_slew_left(&slew, now + 2 * WALLCLOCK_SLEW_MAX_NS), 0);
	}
}

/* Half speed: a 100 ms step back is made up in 200 ms. */
TEST(a_slew_runs_the_clock_at_half_speed)
{
	struct wallclock_slew slew = { 0 };

	wallclock_slew_set(&slew, 10 * SEC, 10 * SEC - 100 * MS, 5 * SEC);
	CHECK_EQ(wallclock_slew_left(&slew, 5 * SEC), 100 * MS);
	CHECK_EQ(wallclock_slew_left(&slew, 5 * SEC + 100 * MS), 50 * MS);
	CHECK_EQ(wallclock_slew_left(&slew, 5 * SEC + 200 * MS), 0);
	/* A second step back while the first is being made up adds to what is left. */
	slew = (struct wallclock_slew){ 0 };
	wallclock_slew_set(&slew, 10 * SEC, 10 * SEC - 100 * MS, 5 * SEC);
	wallclock_slew_set(&slew, 10 * SEC - 100 * MS, 10 * SEC - 120 * MS, 5 * SEC + 100 * MS);
	CHECK_EQ(wallclock_slew_left(&slew, 5 * SEC + 100 * MS), 70 * MS);
}

/* Forward, and back by more than WALLCLOCK_SLEW_MAX_NS: at once. */
TEST(steps_forward_and_large_steps_back_are_taken_at_once)
{
	struct wallclock_slew slew = { 0 };

	wallclock_slew_set(&slew, 10 * SEC, 10 * SEC + 5 * MS, SEC);
	CHECK_EQ(wallclock_slew_left(&slew, SEC), 0);
	wallclock_slew_set(&slew, 10 * SEC, 10 * SEC - WALLCLOCK_SLEW_MAX_NS - 1, SEC);
	CHECK_EQ(wallclock_slew_left(&slew, SEC), 0);
	/* Forward while a slew runs: what is left is given up where the new estimate is ahead. */
	wallclock_slew_set(&slew, 10 * SEC, 10 * SEC - 100 * MS, SEC);
	wallclock_slew_set(&slew, 10 * SEC - 100 * MS, 10 * SEC + 10 * MS, SEC);
	CHECK_EQ(wallclock_slew_left(&slew, SEC), 0);
}
