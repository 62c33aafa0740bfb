#include "kernel/wallclock.h"

#define SEC 1000000000LL

void wallclock_start(struct wallclock *w, uint64_t sec, uint64_t mono)
{
	w->sec = sec;
	w->hi = (int64_t)mono;
	w->lo = w->hi - SEC;
	w->check_ns = 0;
	w->planned = 0;
}

static int64_t edge(const struct wallclock *w)
{
	return w->lo + (w->hi - w->lo) / 2;
}

uint64_t wallclock_epoch_ns(const struct wallclock *w)
{
	return (uint64_t)((int64_t)w->sec * SEC - edge(w));
}

bool wallclock_settled(const struct wallclock *w)
{
	return (uint64_t)(w->hi - w->lo) <= WALLCLOCK_SETTLED_NS;
}

/*
 * The first time after now + margin whose phase within the second is the
 * edge estimate plus offset: a probe there splits what is unknown (offset
 * 0) or lands mid-second, far from any edge (offset half a second).
 */
static uint64_t at_phase(const struct wallclock *w, uint64_t now, uint64_t offset)
{
	int64_t q = edge(w) + (int64_t)offset - w->late_ns;
	int64_t after = (int64_t)(now + WALLCLOCK_MARGIN_NS);

	return (uint64_t)(after <= q ? q : q + (after - q + SEC - 1) / SEC * SEC);
}

uint64_t wallclock_next(struct wallclock *w, uint64_t now)
{
	w->planned = !wallclock_settled(w) ? at_phase(w, now, 0)
					   : at_phase(w, now + w->check_ns, SEC / 2);
	return w->planned;
}

bool wallclock_sample(struct wallclock *w, uint64_t sec, uint64_t mono)
{
	int64_t m = (int64_t)mono;
	/* Whole seconds since the edge, if it came as late or as early as it may. */
	int64_t k_lo = m > w->hi ? (m - w->hi) / SEC : 0;
	int64_t k_hi = m > w->lo ? (m - w->lo) / SEC : 0;
	int64_t split = m - k_hi * SEC; /* mono, moved back into (lo, hi] */

	w->samples++;
	/* Probes come late by what it takes the timer to fire: aim that much early. */
	if (w->planned && mono >= w->planned && mono - w->planned < SEC / 10)
		w->late_ns += ((int64_t)(mono - w->planned) - w->late_ns) / 4;
	if (m <= w->lo || (sec != w->sec + (uint64_t)k_lo && sec != w->sec + (uint64_t)k_hi)) {
		w->restarts++;
		wallclock_start(w, sec, mono);
		return false;
	}
	if (k_hi != k_lo) {
		if (sec == w->sec + (uint64_t)k_hi)
			w->hi = split; /* the edge came before */
		else
			w->lo = split;
	}
	if (wallclock_settled(w))
		w->check_ns = !w->check_ns				 ? WALLCLOCK_CHECK_FIRST_NS
			      : w->check_ns * 2 > WALLCLOCK_CHECK_MAX_NS ? WALLCLOCK_CHECK_MAX_NS
									 : w->check_ns * 2;
	return true;
}

void wallclock_shift(struct wallclock *w, uint64_t ns)
{
	w->lo -= (int64_t)ns;
	w->hi -= (int64_t)ns;
}

uint64_t wallclock_slew_left(const struct wallclock_slew *s, uint64_t now)
{
	uint64_t gone = now > s->from ? (now - s->from) / 2 : 0;

	return gone < s->ns ? s->ns - gone : 0;
}

void wallclock_slew_set(struct wallclock_slew *s, uint64_t old_epoch, uint64_t new_epoch,
			uint64_t now)
{
	uint64_t shown = old_epoch + wallclock_slew_left(s, now); /* at monotonic 0, in effect */

	s->from = now;
	s->ns = shown > new_epoch && shown - new_epoch <= WALLCLOCK_SLEW_MAX_NS ? shown - new_epoch
										: 0;
}
