/*
 * Free page frames as runs (docs/memory.md): maximal extents of free frames,
 * found by size through a segregated-fit index (kernel/sfit.h), so that a
 * request for n frames takes exactly n from the start of a run that holds
 * them, and a free merges at once with the free runs on either side. The
 * metadata lives beside the frames, never in them: a bitmap (a bit a frame:
 * free or not) and a struct page_run a frame, read only at the two ends of
 * each free run. Pure logic with no locking, so the host tests run it as
 * is; kernel/page.c holds the kernel's one instance.
 */
#ifndef KERNEL_PAGE_RUNS_H
#define KERNEL_PAGE_RUNS_H

#include <stdint.h>

#include "kernel/sfit.h"

#define PAGE_RUNS_NONE UINT32_MAX
/* Runs below this many frames have one list per length. */
#define PAGE_RUNS_SMALL_SHIFT 4

/* At a run's first frame: its list links and length; at its last: its length. */
struct page_run {
	uint32_t next, prev, len;
};

struct page_runs {
	uint64_t *freemap;    /* bit f: frame f is free */
	struct page_run *run; /* one a frame */
	uint64_t nframes;     /* frames [0, nframes) are covered; < PAGE_RUNS_NONE */
	uint64_t nfree;	      /* free frames */
	struct sfit index;
	uint32_t lists[SFIT_FL_COUNT][SFIT_SL_COUNT]; /* first frame of each list's first run */
};

/* Bytes of metadata (bitmap and runs) for nframes frames. */
uint64_t page_runs_meta_size(uint64_t nframes);

/*
 * Sets r up over nframes frames, none of them free, with its metadata in
 * meta (page_runs_meta_size bytes, 8-byte aligned).
 */
void page_runs_init(struct page_runs *r, uint64_t nframes, void *meta);

/* Takes n free frames from the start of a run that holds them: 0 and *first, or -ENOMEM. */
int page_runs_alloc(struct page_runs *r, uint64_t n, uint64_t *first);

/*
 * Makes [first, first + n) free. -EINVAL if it leaves [0, nframes) or n is
 * 0, -EALREADY if any of it is free already; then nothing changes.
 */
int page_runs_free(struct page_runs *r, uint64_t first, uint64_t n);

/*
 * Takes exactly the frames [first, first + n), from the middle of a run or
 * anywhere in it. 0, -EBUSY if any of them is not free, or -EINVAL if the
 * range leaves [0, nframes) or n is 0; then nothing changes.
 */
int page_runs_take(struct page_runs *r, uint64_t first, uint64_t n);
/* The longest free run, in frames (0 when nothing is free), and its first frame if start. */
uint64_t page_runs_largest(const struct page_runs *r, uint64_t *start);

#endif
