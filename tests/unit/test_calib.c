/*
 * Choosing the TSC's rate from windows (kernel/calib.c): exact arithmetic,
 * agreement, and the measurements that must not be believed: a window the
 * host disturbed (a wide bracket), a reference that lies, and figures no TSC
 * runs at (what microvm's missing PIT gate gave: 25-48 MHz).
 */
#define CHECK_SUITE "calib"
#include "tests/unit/check.h"

#include <errno.h>

#include "kernel/calib.h"

#define GHZ2 2000000000ULL

/* A window of ref_ticks of a reference at ref_hz, as a TSC at hz sees it. */
static struct tsc_window window(uint64_t hz, uint64_t ref_hz, uint64_t ref_ticks, uint64_t slop)
{
	return (struct tsc_window){ hz * ref_ticks / ref_hz, slop, ref_ticks };
}

static struct tsc_ref_windows pit(void)
{
	return (struct tsc_ref_windows){ .name = "PIT", .hz = TSC_PIT_HZ };
}

static struct tsc_ref_windows pm(void)
{
	return (struct tsc_ref_windows){ .name = "PM", .hz = TSC_PM_TIMER_HZ };
}

TEST(one_window_gives_the_rate_and_its_uncertainty)
{
	struct tsc_window w = window(GHZ2, TSC_PM_TIMER_HZ, 895, 2000);
	uint32_t err;
	uint64_t hz = calib_window_hz(&w, TSC_PM_TIMER_HZ, &err);

	CHECK(calib_ppm_apart(hz, GHZ2) < 10);
	/* 2000 ticks of brackets and one PM tick (~559 TSC ticks) over 0.25 ms */
	CHECK(err > 4000 && err < 6000);
}

TEST(two_references_that_agree)
{
	struct tsc_ref_windows r[2] = { pit(), pm() };
	struct calib_result res;

	r[0].w[r[0].n++] = window(GHZ2, TSC_PIT_HZ, 298, 500);
	r[1].w[r[1].n++] = window(GHZ2 + 100000, TSC_PM_TIMER_HZ, 895, 500);
	CHECK_EQ(calib_choose(r, 2, &res), 0);
	CHECK(res.agreed);
	CHECK_EQ(res.used, 2);
	CHECK_EQ(res.refs_used, 2);
	CHECK(calib_ppm_apart(res.hz, GHZ2) < 100);
}

TEST(one_estimate_is_not_agreement)
{
	struct tsc_ref_windows r[2] = { pit(), pm() };
	struct calib_result res;

	r[1].w[r[1].n++] = window(GHZ2, TSC_PM_TIMER_HZ, 895, 500);
	CHECK_EQ(calib_choose(r, 2, &res), 0);
	CHECK(!res.agreed);
}

/* The host took the CPU away inside a bracket: it is wide, and the window is refused. */
TEST(a_disturbed_window_is_refused)
{
	struct tsc_ref_windows r[2] = { pit(), pm() };
	struct calib_result res;

	r[0].w[r[0].n++] = window(GHZ2, TSC_PIT_HZ, 298, 500);
	r[0].w[r[0].n++] = window(GHZ2, TSC_PIT_HZ, 298, 500);
	r[0].w[r[0].n++] = (struct tsc_window){ 10 * GHZ2 / 4000, 9 * GHZ2 / 4000, 298 };
	CHECK_EQ(calib_choose(r, 2, &res), 0);
	CHECK_EQ(res.refused, 1);
	CHECK(res.agreed);
	CHECK(calib_ppm_apart(res.hz, GHZ2) < 100);
}

/* Narrow brackets but a wrong count (a reference that misbehaves): an outlier. */
TEST(an_outlier_does_not_move_the_answer)
{
	struct tsc_ref_windows r[2] = { pit(), pm() };
	struct calib_result res;

	for (int i = 0; i < 3; i++)
		r[1].w[r[1].n++] = window(GHZ2, TSC_PM_TIMER_HZ, 895, 400);
	r[0].w[r[0].n++] = window(GHZ2 * 3, TSC_PIT_HZ, 298, 400);
	CHECK_EQ(calib_choose(r, 2, &res), 0);
	CHECK_EQ(res.outliers, 1);
	CHECK_EQ(res.used, 3);
	CHECK(res.agreed);
	CHECK(calib_ppm_apart(res.hz, GHZ2) < 100);
}

TEST(half_and_half_is_not_agreement)
{
	struct tsc_ref_windows r[2] = { pit(), pm() };
	struct calib_result res;

	r[0].w[r[0].n++] = window(GHZ2, TSC_PIT_HZ, 298, 400);
	r[1].w[r[1].n++] = window(GHZ2 / 2 * 3, TSC_PM_TIMER_HZ, 895, 400);
	CHECK_EQ(calib_choose(r, 2, &res), 0);
	CHECK(!res.agreed);
}

/* A PIT whose output bit reads set at once (no port 0x61 gate) made 25-48 MHz. */
TEST(rates_no_tsc_runs_at_are_refused)
{
	struct tsc_ref_windows r[2] = { pit(), pm() };
	struct calib_result res;

	r[0].w[r[0].n++] = window(28000000, TSC_PIT_HZ, 298, 10);
	r[0].w[r[0].n++] = window(40000000000ULL, TSC_PIT_HZ, 298, 10);
	CHECK_EQ(calib_choose(r, 2, &res), -ERANGE);
	CHECK_EQ(res.refused, 2);
}

TEST(a_reference_that_never_counted_gives_nothing)
{
	struct tsc_ref_windows r[2] = { pit(), pm() };
	struct calib_result res;
	uint32_t err;

	r[0].w[r[0].n++] = (struct tsc_window){ 500000, 100, 0 };
	CHECK_EQ(calib_window_hz(&r[0].w[0], TSC_PIT_HZ, &err), 0);
	CHECK_EQ(calib_choose(r, 2, &res), -ERANGE);
}
