// SPDX-License-Identifier: MIT
#include <errno.h>
#include <math.h>
#include "sample.h"

/* u - u ln u, an antiderivative of -ln u (0 at u = 0) */
static double neg_log_prim(double u)
{
	return u > 0 ? u - u * log(u) : 0;
}

int sample_tables(uint64_t period, __u64 *draws, __u64 *g)
{
	const double n = LT_SAMPLE_DRAWS;

	if (period < 1 || period > LT_SAMPLE_MAX_PERIOD)
		return -EINVAL;
	/*
	 * Cell i of [0, 1) holds the mean of -ln U over it, so the table's
	 * mean is exactly 1 (the midpoints would miss the tail near U = 0).
	 * Order does not matter: the index is random.
	 */
	for (int i = 0; i < LT_SAMPLE_DRAWS; i++) {
		double e = n * (neg_log_prim((i + 1) / n) - neg_log_prim(i / n));
		double d = ceil(e * (double)period);

		draws[i] = d < 1 ? 1 : (__u64)d;
	}
	for (int k = 0; k <= LT_SAMPLE_G_STEPS; k++) {
		double x = (double)k / LT_SAMPLE_G_PER_UNIT;
		double gx = k ? x / -expm1(-x) : 1;

		g[k] = (__u64)llround(gx * (double)(1ULL << LT_SAMPLE_G_SHIFT));
	}
	return 0;
}
