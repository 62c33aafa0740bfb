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
