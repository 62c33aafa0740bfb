#include "kernel/sfit.h"

static int fls64(uint64_t v)
{
	return 63 - __builtin_clzll(v);
}

void sfit_class(unsigned small_shift, size_t size, int *fl, int *sl)
{
	int top;

	if (size < (size_t)1 << small_shift) {
		*fl = 0;
		*sl = (int)(size >> (small_shift - SFIT_SL_SHIFT));
		return;
	}
	top = fls64(size);
	*fl = top - (int)small_shift + 1;
	*sl = (int)(size >> (top - SFIT_SL_SHIFT)) ^ SFIT_SL_COUNT;
}

bool sfit_find(const struct sfit *ix, unsigned small_shift, size_t size, int *fl, int *sl)
{
	uint32_t sl_map;
	uint64_t fl_map;

	/* Round up to the next class boundary: every item from there on fits. */
	if (size >= (size_t)1 << small_shift)
		size += ((size_t)1 << (fls64(size) - SFIT_SL_SHIFT)) - 1;
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

void sfit_mark(struct sfit *ix, int fl, int sl)
{
	ix->fl_bitmap |= 1ULL << fl;
	ix->sl_bitmap[fl] |= (uint16_t)(1u << sl);
}

void sfit_unmark(struct sfit *ix, int fl, int sl)
{
	ix->sl_bitmap[fl] &= (uint16_t)~(1u << sl);
	if (!ix->sl_bitmap[fl])
		ix->fl_bitmap &= ~(1ULL << fl);
}
