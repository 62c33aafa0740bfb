#include "kernel/page_runs.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define BITS 64

uint64_t page_runs_meta_size(uint64_t nframes)
{
	return (nframes + BITS - 1) / BITS * sizeof(uint64_t) + nframes * sizeof(struct page_run);
}

void page_runs_init(struct page_runs *r, uint64_t nframes, void *meta)
{
	uint64_t words = (nframes + BITS - 1) / BITS;

	memset(r, 0, sizeof(*r));
	r->nframes = nframes;
	r->freemap = meta;
	r->run = (struct page_run *)(r->freemap + words);
	memset(r->freemap, 0, words * sizeof(uint64_t));
	memset(r->lists, 0xFF, sizeof(r->lists)); /* every list: PAGE_RUNS_NONE */
}

static bool is_free(const struct page_runs *r, uint64_t f)
{
	return r->freemap[f / BITS] >> (f % BITS) & 1;
}

/* Sets or clears the free bits of [f, f + n). */
static void mark(struct page_runs *r, uint64_t f, uint64_t n, bool free)
{
	while (n) {
		unsigned bit = f % BITS;
		uint64_t k = n < BITS - bit ? n : BITS - bit;
		uint64_t mask = (k == BITS ? ~0ULL : ((1ULL << k) - 1)) << bit;

		if (free)
			r->freemap[f / BITS] |= mask;
		else
			r->freemap[f / BITS] &= ~mask;
		f += k;
		n -= k;
	}
}

/* Is any frame of [f, f + n) free? */
static bool any_free(const struct page_runs *r, uint64_t f, uint64_t n)
{
	while (n) {
		unsigned bit = f % BITS;
		uint64_t k = n < BITS - bit ? n : BITS - bit;
		uint64_t mask = (k == BITS ? ~0ULL : ((1ULL << k) - 1)) << bit;

		if (r->freemap[f / BITS] & mask)
			return true;
		f += k;
		n -= k;
	}
	return false;
}

/* Is every frame of [f, f + n) free? */
static bool all_free(const struct page_runs *r, uint64_t f, uint64_t n)
{
	while (n) {
		unsigned bit = f % BITS;
		uint64_t k = n < BITS - bit ? n : BITS - bit;
		uint64_t mask = (k == BITS ? ~0ULL : ((1ULL << k) - 1)) << bit;

		if ((r->freemap[f / BITS] & mask) != mask)
			return false;
		f += k;
		n -= k;
	}
	return true;
}

/* The first frame of the free run that holds free frame f: after the last used frame below it. */
static uint64_t run_start(const struct page_runs *r, uint64_t f)
{
	while (f > 0) {
		uint64_t w = (f - 1) / BITS;
		unsigned b = (f - 1) % BITS;
		uint64_t used = ~r->freemap[w] & (b == BITS - 1 ? ~0ULL : (1ULL << (b + 1)) - 1);

		if (used)
			return w * BITS + (BITS - 1 - (unsigned)__builtin_clzll(used)) + 1;
		f = w * BITS;
	}
	return 0;
}

static uint32_t *list_of(struct page_runs *r, uint64_t len, int *fl, int *sl)
{
	sfit_class(PAGE_RUNS_SMALL_SHIFT, len, fl, sl);
	return &r->lists[*fl][*sl];
}

/* Records [f, f + n) as a free run and lists it (its frames already marked free). */
static void insert(struct page_runs *r, uint64_t f, uint64_t n)
{
	int fl, sl;
	uint32_t *head = list_of(r, n, &fl, &sl);

	r->run[f] = (struct page_run){ .next = *head, .prev = PAGE_RUNS_NONE, .len = (uint32_t)n };
	r->run[f + n - 1].len = (uint32_t)n;
	if (*head != PAGE_RUNS_NONE)
		r->run[*head].prev = (uint32_t)f;
	*head = (uint32_t)f;
	sfit_mark(&r->index, fl, sl);
}

/* Takes the run that starts at f off its list. */
static void unlink_run(struct page_runs *r, uint64_t f)
{
	struct page_run run = r->run[f];
	int fl, sl;
	uint32_t *head = list_of(r, run.len, &fl, &sl);

	if (run.prev != PAGE_RUNS_NONE)
		r->run[run.prev].next = run.next;
	else
		*head = run.next;
	if (run.next != PAGE_RUNS_NONE)
		r->run[run.next].prev = run.prev;
	if (*head == PAGE_RUNS_NONE)
		sfit_unmark(&r->index, fl, sl);
}

/* The first run of at least n frames: a list where all fit, else n's own list. */
static uint64_t find(struct page_runs *r, uint64_t n)
{
	int fl, sl;
	uint32_t f;

	if (sfit_find(&r->index, PAGE_RUNS_SMALL_SHIFT, n, &fl, &sl))
		return r->lists[fl][sl];
	for (f = *list_of(r, n, &fl, &sl); f != PAGE_RUNS_NONE; f = r->run[f].next)
		if (r->run[f].len >= n)
			return f;
	return PAGE_RUNS_NONE;
}

int page_runs_alloc(struct page_runs *r, uint64_t n, uint64_t *first)
{
	uint64_t f, len;

	if (!n || n > r->nfree)
		return -ENOMEM;
	f = find(r, n);
	if (f == PAGE_RUNS_NONE)
		return -ENOMEM;
	len = r->run[f].len;
	unlink_run(r, f);
	mark(r, f, n, false);
	if (len > n)
		insert(r, f + n, len - n);
	r->nfree -= n;
	*first = f;
	return 0;
}

int page_runs_take(struct page_runs *r, uint64_t first, uint64_t n)
{
	uint64_t start, len;

	if (!n || first >= r->nframes || n > r->nframes - first)
		return -EINVAL;
	if (!all_free(r, first, n))
		return -EBUSY;
	start = run_start(r, first);
	len = r->run[start].len;
	unlink_run(r, start);
	mark(r, first, n, false);
	if (first > start)
		insert(r, start, first - start);
	if (start + len > first + n)
		insert(r, first + n, start + len - (first + n));
	r->nfree -= n;
	return 0;
}

int page_runs_free(struct page_runs *r, uint64_t first, uint64_t n)
{
	uint64_t lo = first, hi = first + n;

	if (!n || first >= r->nframes || n > r->nframes - first)
		return -EINVAL;
	if (any_free(r, first, n))
		return -EALREADY;
	mark(r, first, n, true);
	r->nfree += n;
	/* A free frame next to the range ends a run there: merge with it. */
	if (lo > 0 && is_free(r, lo - 1)) {
		lo -= r->run[lo - 1].len;
		unlink_run(r, lo);
	}
	if (hi < r->nframes && is_free(r, hi)) {
		uint64_t len = r->run[hi].len;

		unlink_run(r, hi);
		hi += len;
	}
	insert(r, lo, hi - lo);
	return 0;
}

uint64_t page_runs_largest(const struct page_runs *r, uint64_t *start)
{
	uint64_t best = 0;
	int fl;

	if (!r->index.fl_bitmap)
		return 0;
	fl = 63 - __builtin_clzll(r->index.fl_bitmap);
	/* The longest run is in the highest non-empty list. */
	for (uint32_t f = r->lists[fl][31 - __builtin_clz(r->index.sl_bitmap[fl])];
	     f != PAGE_RUNS_NONE; f = r->run[f].next) {
		if (r->run[f].len > best) {
			best = r->run[f].len;
			if (start)
				*start = f;
		}
	}
	return best;
}
