/*
 * Free page runs (kernel/page_runs.c) over a fake frame space: exact sizes
 * that pack instead of stranding tails, merging on both sides, misuse
 * refused without change, and a long random run checked frame by frame
 * against a model.
 */
#define CHECK_SUITE "page_runs"
#include "tests/unit/check.h"

#include <errno.h>

#include "kernel/page_runs.h"

#define FRAMES 65536

static struct page_runs r;
static unsigned char model[FRAMES]; /* 1: free */

static void setup(uint64_t nframes)
{
	static uint64_t meta[(FRAMES / 64) + FRAMES * sizeof(struct page_run) / 8 + 1];

	CHECK(page_runs_meta_size(nframes) <= sizeof(meta));
	page_runs_init(&r, nframes, meta);
	memset(model, 0, sizeof(model));
}

static void give(uint64_t first, uint64_t n)
{
	CHECK_EQ(page_runs_free(&r, first, n), 0);
	memset(model + first, 1, n);
}

static uint64_t take(uint64_t n)
{
	uint64_t f = UINT64_MAX;

	CHECK_EQ(page_runs_alloc(&r, n, &f), 0);
	return f;
}

TEST(starts_empty)
{
	uint64_t f;

	setup(1024);
	CHECK_EQ(r.nfree, 0);
	CHECK_EQ(page_runs_alloc(&r, 1, &f), -ENOMEM);
	CHECK_EQ(page_runs_largest(&r, NULL), 0);
}

TEST(takes_exactly_n_from_the_start_of_a_run)
{
	setup(1024);
	give(100, 500);
	CHECK_EQ(take(18), 100);
	CHECK_EQ(take(18), 118);
	CHECK_EQ(r.nfree, 500 - 36);
	CHECK_EQ(page_runs_largest(&r, NULL), 500 - 36);
}

/*
 * The case that made a buddy allocator strand 43% of RAM: 18-frame stacks
 * each took a 32-frame block. Here 55 of them fit in 1000 frames.
 */
TEST(odd_sizes_pack_without_stranding)
{
	uint64_t f, n = 0;

	setup(2048);
	give(0, 1000);
	while (page_runs_alloc(&r, 18, &f) == 0)
		n++;
	CHECK_EQ(n, 1000 / 18);
	CHECK_EQ(r.nfree, 1000 % 18);
}

TEST(a_run_exactly_the_size_asked_is_found)
{
	uint64_t f;

	setup(4096);
	give(7, 1000); /* the only run; 1000 sits in the list of 992-1023 */
	CHECK_EQ(page_runs_alloc(&r, 1000, &f), 0);
	CHECK_EQ(f, 7);
	CHECK_EQ(r.nfree, 0);
}

TEST(frees_merge_on_both_sides)
{
	uint64_t a, b, c;

	setup(1024);
	give(0, 300);
	a = take(100);
	b = take(100);
	c = take(100);
	CHECK_EQ(page_runs_free(&r, a, 100), 0);
	CHECK_EQ(page_runs_free(&r, c, 100), 0);
	CHECK_EQ(page_runs_largest(&r, NULL), 100);
	CHECK_EQ(page_runs_free(&r, b, 100), 0); /* joins a and c */
	CHECK_EQ(page_runs_largest(&r, NULL), 300);
	CHECK_EQ(take(300), 0);
}

TEST(part_of_an_allocation_can_be_freed)
{
	uint64_t a;

	setup(1024);
	give(0, 64);
	a = take(64);
	CHECK_EQ(page_runs_free(&r, a + 16, 16), 0);
	CHECK_EQ(r.nfree, 16);
	CHECK_EQ(page_runs_free(&r, a, 16), 0);
	CHECK_EQ(page_runs_largest(&r, NULL), 32);
}

TEST(double_free_is_refused_and_changes_nothing)
{
	uint64_t a;

	setup(1024);
	give(0, 100);
	a = take(50);
	CHECK_EQ(page_runs_free(&r, a + 10, 10), 0);
	CHECK_EQ(page_runs_free(&r, a, 20), -EALREADY); /* [a+10, a+20) is free */
	CHECK_EQ(page_runs_free(&r, a + 10, 1), -EALREADY);
	CHECK_EQ(r.nfree, 60);
	CHECK_EQ(page_runs_largest(&r, NULL), 50);
}

TEST(bad_ranges_are_refused)
{
	setup(1024);
	CHECK_EQ(page_runs_free(&r, 1020, 5), -EINVAL);
	CHECK_EQ(page_runs_free(&r, 2000, 1), -EINVAL);
	CHECK_EQ(page_runs_free(&r, 10, 0), -EINVAL);
	CHECK_EQ(page_runs_free(&r, 1, UINT64_MAX), -EINVAL);
	CHECK_EQ(r.nfree, 0);
}

TEST(exhaustion_then_recovery)
{
	uint64_t f, got[64];
	int n = 0;

	setup(1024);
	give(0, 640);
	while (n < 64 && page_runs_alloc(&r, 10, &got[n]) == 0)
		n++;
	CHECK_EQ(n, 64);
	CHECK_EQ(page_runs_alloc(&r, 1, &f), -ENOMEM);
	for (int i = 0; i < n; i += 2)
		CHECK_EQ(page_runs_free(&r, got[i], 10), 0);
	CHECK_EQ(page_runs_alloc(&r, 11, &f), -ENOMEM); /* no two freed blocks touch */
	CHECK_EQ(page_runs_alloc(&r, 10, &f), 0);
}

TEST(take_carves_exact_frames_out_of_a_run)
{
	uint64_t start = 0;

	setup(1024);
	give(100, 500);
	CHECK_EQ(page_runs_take(&r, 300, 10), 0); /* the middle: two runs remain */
	CHECK_EQ(r.nfree, 490);
	CHECK_EQ(page_runs_largest(&r, &start), 290);
	CHECK_EQ(start, 310);
	CHECK_EQ(page_runs_take(&r, 100, 1), 0);   /* a run's first frame */
	CHECK_EQ(page_runs_take(&r, 599, 1), 0);   /* a run's last frame */
	CHECK_EQ(page_runs_take(&r, 310, 289), 0); /* all that was left of a run */
	CHECK_EQ(r.nfree, 199);
	CHECK_EQ(take(199), 101);
	CHECK_EQ(r.nfree, 0);
}

TEST(take_refuses_what_is_not_all_free)
{
	setup(1024);
	give(100, 50);
	give(200, 50);
	CHECK_EQ(page_runs_take(&r, 140, 20), -EBUSY); /* runs past the run's end */
	CHECK_EQ(page_runs_take(&r, 90, 20), -EBUSY);  /* starts before it */
	CHECK_EQ(page_runs_take(&r, 1000, 30), -EINVAL);
	CHECK_EQ(page_runs_take(&r, 100, 0), -EINVAL);
	CHECK_EQ(r.nfree, 100);
	CHECK_EQ(take(50) + take(50), 100 + 200); /* both runs whole: nothing moved */
}

/* The longest run of free frames in the model. */
static uint64_t model_largest(uint64_t nframes)
{
	uint64_t best = 0, run = 0;

	for (uint64_t i = 0; i < nframes; i++) {
		run = model[i] ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best;
}

TEST(random_operations_agree_with_a_model)
{
	enum { SLOTS = 256, OPS = 200000 };
	static uint64_t at[SLOTS], len[SLOTS];
	uint64_t x = 0x9E3779B97F4A7C15ULL, nfree = 0;

	setup(FRAMES);
	give(1, FRAMES - 1);
	nfree = FRAMES - 1;
	for (int op = 0; op < OPS; op++) {
		int i;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		i = (int)(x % SLOTS);
		if (len[i]) {
			CHECK_EQ(page_runs_free(&r, at[i], len[i]), 0);
			memset(model + at[i], 1, len[i]);
			nfree += len[i];
			len[i] = 0;
			continue;
		}
		len[i] = x >> 40 & 3 ? 1 + (x >> 20) % 24 : 1 + (x >> 20) % 900;
		if (x >> 50 & 1) { /* take at an address; free only if the model says so */
			uint64_t first = 1 + (x >> 8) % (FRAMES - 1000);
			bool free = true;

			for (uint64_t k = 0; k < len[i]; k++)
				free = free && model[first + k];
			CHECK_CONTEXT("op %d: take %llu+%llu", op, (unsigned long long)first,
				      (unsigned long long)len[i]);
			CHECK_EQ(page_runs_take(&r, first, len[i]), free ? 0 : -EBUSY);
			if (!free) {
				len[i] = 0;
				continue;
			}
			at[i] = first;
		} else if (page_runs_alloc(&r, len[i], &at[i]) < 0) {
			CHECK(model_largest(FRAMES) < len[i]); /* refused only when no run fits */
			len[i] = 0;
			continue;
		}
		for (uint64_t k = 0; k < len[i]; k++) {
			CHECK_CONTEXT("op %d: frame %llu", op, (unsigned long long)(at[i] + k));
			CHECK(model[at[i] + k]); /* handed out only what was free */
		}
		memset(model + at[i], 0, len[i]);
		nfree -= len[i];
		CHECK_EQ(r.nfree, nfree);
		if (op % 1000 == 0)
			CHECK_EQ(page_runs_largest(&r, NULL), model_largest(FRAMES));
	}
}
