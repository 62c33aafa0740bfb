/*
 * A segregated-fit index, the lookup half of TLSF (Masmano et al., 2004):
 * free items (heap blocks, runs of pages) sit in lists by size class, and
 * two bitmaps say which lists hold any. A size's class is its top bit (the
 * first level) and the next SFIT_SL_SHIFT bits (the second); sizes below
 * 2^small_shift share the first level 0 in equal steps. Finding a list
 * whose every item is big enough takes two bit scans. The lists themselves
 * belong to the user: this only maps sizes and keeps the bitmaps.
 */
#ifndef KERNEL_SFIT_H
#define KERNEL_SFIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SFIT_SL_SHIFT 4
#define SFIT_SL_COUNT (1 << SFIT_SL_SHIFT)
#define SFIT_FL_COUNT 40

struct sfit {
	uint64_t fl_bitmap;		    /* bit fl: some list of level fl is non-empty */
	uint16_t sl_bitmap[SFIT_FL_COUNT]; /* bit sl: list (fl, sl) is non-empty */
};

/* The list an item of size belongs to (size >= 1; small_shift >= SFIT_SL_SHIFT). */
void sfit_class(unsigned small_shift, size_t size, int *fl, int *sl);

/*
 * The first non-empty list in which every item holds at least size, or
 * false if there is none. An item that big may still sit in size's own
 * list (sfit_class): callers that must not miss it search that list too.
 */
bool sfit_find(const struct sfit *ix, unsigned small_shift, size_t size, int *fl, int *sl);

/* The list (fl, sl) has become non-empty / empty. */
void sfit_mark(struct sfit *ix, int fl, int sl);
void sfit_unmark(struct sfit *ix, int fl, int sl);

#endif
