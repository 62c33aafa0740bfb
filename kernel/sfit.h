/*
 * A segregated-fit index, the lookup half of TLSF (Masmano et al., 2004):
 * free items (heap blocks, runs of pages) sit in lists by size class, and
 * two bitmaps say which lists hold any. A size's class is its top bit (the
 * first level) and the next SFIT_SL_SHIFT bits (the second); sizes below
 * 2^small_shift share the first level 0 in equal steps. Finding a list
 * whose every item is big enough takes two bit scans. The lists themselves
 * belong to the user: this only maps sizes and keeps the bitmaps. All of it
 * is inline: it is on every malloc and free, and under emulation a call's
 * return is a costly indirect jump.
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
	uint64_t fl_bitmap;		   /* bit fl: some list of level fl is non-empty */
	uint16_t sl_bitmap[SFIT_FL_COUNT]; /* bit sl: list (fl, sl) is non-empty */
};

/* The top bit's position (v > 0). */
static inline int sfit_fls64(uint64_t v)
{
	return 63 - __builtin_clzll(v);
}

/* The list an item of size belongs to (size >= 1; small_shift >= SFIT_SL_SHIFT). */
static inline void sfit_class(unsigned small_shift, size_t size, int *fl, int *sl)
{
	int top;

	if (size < (size_t)1 << small_shift) {
		*fl = 0;
		*sl = (int)(size >> (small_shift - SFIT_SL_SHIFT));
		return;
	}
	top = sfit_fls64(size);
	*fl = top - (int)small_shift + 1;
	*sl = (int)(size >> (top - SFIT_SL_SHIFT)) ^ SFIT_SL_COUNT;
}

/*
 * The first non-empty list in which every item holds at least size, or
 * false if there is none. An item that big may still sit in size's own
 * list (sfit_class): callers that must not miss it search that list too.
 */
static inline bool sfit_find(const struct sfit *ix, unsigned small_shift, size_t size, int *fl,
			     int *sl)
{
	uint32_t sl_map;
	uint64_t fl_map;

	/* Round up to the next class boundary: every item from there on fits. */
	if (size >= (size_t)1 << small_shift)
		size += ((size_t)1 << (sfit_fls64(size) - SFIT_SL_SHIFT)) - 1;
	sfit_class(small_shift, size, fl, sl);
	if (*fl >= SFIT_FL_COUNT)
		return false;
	sl_map = *sl < SFIT_SL_COUNT ? ix->sl_bitmap[*fl] & (~0u << *sl) : 0;
	if (!sl_map) {
		fl_map = *fl + 1 < SFIT_FL_COUNT ? ix->fl_bitmap & (~0ULL << (*fl + 1)) : 0;
		if (!fl_map)
			return false;
		*fl = __builtin_ctzll(fl_map);
		sl_map = ix->sl_bitmap[*fl];
	}
	*sl = __builtin_ctz(sl_map);
	return true;
}

/* The list (fl, sl) has become non-empty / empty. */
static inline void sfit_mark(struct sfit *ix, int fl, int sl)
{
	ix->fl_bitmap |= 1ULL << fl;
	ix->sl_bitmap[fl] |= (uint16_t)(1u << sl);
}

static inline void sfit_unmark(struct sfit *ix, int fl, int sl)
{
	ix->sl_bitmap[fl] &= (uint16_t) ~(1u << sl);
	if (!ix->sl_bitmap[fl])
		ix->fl_bitmap &= ~(1ULL << fl);
}

#endif
