#include "kernel/calib.h"

#include <errno.h>

#define PPM 1000000ULL

uint32_t calib_ppm_apart(uint64_t a, uint64_t b)
{
	uint64_t d = a > b ? a - b : b - a;
	unsigned __int128 ppm;

	if (!b)
		return UINT32_MAX;
	ppm = (unsigned __int128)d * PPM / b;
	return ppm > UINT32_MAX ? UINT32_MAX : (uint32_t)ppm;
}

uint64_t calib_window_hz(const struct tsc_window *w, uint64_t ref_hz, uint32_t *err_ppm)
{
	/* One reference tick of quantization, in TSC ticks, on top of the brackets. */
	unsigned __int128 hz, quant;
	uint64_t slop;

	if (!w->ref_ticks || !w->tsc_ticks || !ref_hz)
		return 0;
	hz = (unsigned __int128)w->tsc_ticks * ref_hz / w->ref_ticks;
	if (hz > UINT64_MAX)
		return 0;
	quant = (unsigned __int128)w->tsc_ticks / w->ref_ticks;
	slop = w->tsc_slop + (uint64_t)quant;
	*err_ppm = calib_ppm_apart(w->tsc_ticks + slop, w->tsc_ticks);
	return (uint64_t)hz;
}

static void sort(uint64_t *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

static uint64_t median_of(const uint64_t *v, int n)
{
	return n % 2 ? v[n / 2] : v[n / 2 - 1] / 2 + v[n / 2] / 2;
}

int calib_choose(const struct tsc_ref_windows *refs, int nrefs, struct calib_result *out)
{
	uint64_t est[TSC_WINDOWS_MAX * CALIB_REFS_MAX], median;
	int n = 0, near = 0;

	*out = (struct calib_result){ 0 };
	for (int r = 0; r < nrefs && r < CALIB_REFS_MAX; r++) {
		int before = n;

		for (int i = 0; i < refs[r].n && i < TSC_WINDOWS_MAX; i++) {
			uint32_t err;
			uint64_t hz = calib_window_hz(&refs[r].w[i], refs[r].hz, &err);

			if (hz < CALIB_HZ_MIN || hz > CALIB_HZ_MAX || err > CALIB_ERR_MAX_PPM) {
				out->refused++;
				continue;
			}
			est[n++] = hz;
		}
		out->refs_used += n > before;
	}
	if (!n)
		return -ERANGE;
	sort(est, n);
	/* The estimates near the median of all; the median of those is the answer. */
	median = median_of(est, n);
	for (int i = 0; i < n; i++) {
		if (calib_ppm_apart(est[i], median) <= CALIB_AGREE_PPM)
			est[near++] = est[i];
		else
			out->outliers++;
	}
	if (!near) { /* none is near the median of all (two far apart): no agreement */
		out->hz = median;
		return 0;
	}
	out->hz = median_of(est, near);
	out->used = near;
	for (int i = 0; i < near; i++) {
		uint32_t d = calib_ppm_apart(est[i], out->hz);

		if (d > out->spread_ppm)
			out->spread_ppm = d;
	}
	out->agreed = near >= 2 && near > n / 2 && out->spread_ppm <= CALIB_AGREE_PPM;
	return 0;
}
