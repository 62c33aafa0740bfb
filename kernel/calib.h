/*
 * Choosing the TSC's frequency from measured windows (docs/time.md). Pure
 * arithmetic, so the host tests feed it windows of their own.
 */
#ifndef KERNEL_CALIB_H
#define KERNEL_CALIB_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/tsc.h"

#define CALIB_REFS_MAX 2
/* A window whose uncertainty is above this is not used. */
#define CALIB_ERR_MAX_PPM 20000
/* Estimates that agree lie within this of their median. */
#define CALIB_AGREE_PPM 10000
/* What a TSC may run at: anything outside is a broken measurement. */
#define CALIB_HZ_MIN 100000000ULL
#define CALIB_HZ_MAX 20000000000ULL

/*
 * Estimates come from every window of every reference. Those too uncertain
 * or out of bounds are refused; of the rest, those within CALIB_AGREE_PPM
 * of their median are used and the others are outliers.
 */
struct calib_result {
	uint64_t hz; /* the median of the used estimates */
	int used, refused, outliers;
	uint32_t spread_ppm; /* the largest distance of a used estimate from hz */
	bool agreed;	     /* two or more used, and they are most of what was not refused */
	int refs_used;	     /* references with an estimate that was not refused */
};

/* The TSC frequency one window gives, and its uncertainty in ppm; 0 if it gives none. */
uint64_t calib_window_hz(const struct tsc_window *w, uint64_t ref_hz, uint32_t *err_ppm);

/* Combines the windows of up to CALIB_REFS_MAX references. 0, or -ERANGE if none is usable. */
int calib_choose(const struct tsc_ref_windows *refs, int nrefs, struct calib_result *out);

/* |a - b| / b in ppm, saturating. */
uint32_t calib_ppm_apart(uint64_t a, uint64_t b);

#endif
