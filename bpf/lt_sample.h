/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --sample-bytes N: Poisson sampling by bytes, as tcmalloc and Go's heap
 * profiler do. Integer-only, shared by the BPF program and the unit tests
 * (tests/unit/test_sample.c runs this very code).
 *
 * Each thread counts down a byte budget drawn from an exponential law of
 * mean N; the allocation that exhausts it is sampled and the budget is
 * drawn afresh from its end (memoryless, so the overshoot is dropped). An
 * allocation of s bytes is then sampled with probability p = 1 - e^(-s/N)
 * whatever came before it, and stands for 1/p allocations and s/p bytes
 * (Horvitz-Thompson: unbiased; Go's scaleHeapSample).
 *
 * BPF has no floating point and no log(). The loader precomputes:
 *   draws[LT_SAMPLE_DRAWS]  budgets ceil(N * E), E ~ Exp(1) in equal-probability
 *                           cells (each cell's mean), picked by a random index.
 *                           ceil() is exact here: sizes are integers, so
 *                           "L <= s" and "ceil(L) <= s" are the same event.
 *   g[LT_SAMPLE_G_STEPS+1]  g(x) = x / (1 - e^-x) on x = k / LT_SAMPLE_G_PER_UNIT,
 *                           fixed point 2^LT_SAMPLE_G_SHIFT; s/p = N g(s/N) and
 *                           1/p = g(s/N) N / s. g is smooth (1 + x/2 + ...,
 *                           then x), so linear interpolation is good to ~2e-5.
 * Beyond x = LT_SAMPLE_X_MAX, p = 1 to 1e-14: the allocation counts as itself.
 * Estimates are rounded to integers at random (up with the probability of the
 * fraction), so they stay unbiased and the aggregates stay integer.
 */
#ifndef __LT_SAMPLE_H
#define __LT_SAMPLE_H

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define LT_SAMPLE_DRAWS 4096		/* power of two */
#define LT_SAMPLE_X_MAX 32		/* g tabulated on [0, 32] */
#define LT_SAMPLE_G_PER_UNIT 32		/* points per unit of x */
#define LT_SAMPLE_G_STEPS (LT_SAMPLE_X_MAX * LT_SAMPLE_G_PER_UNIT)
#define LT_SAMPLE_G_SHIFT 24		/* g < 33: 29 bits */
#define LT_SAMPLE_MAX_PERIOD (1ULL << 30) /* keeps every product below 2^64 */

/*
 * One allocation of size bytes against the thread's budget *left (0: not
 * drawn yet, a new thread). rnd: a random 32-bit value. True if sampled.
 */
static __always_inline int lt_sample_take(__u64 *left, __u64 size,
					  const volatile __u64 *draws, __u32 rnd)
{
	if (!size)
		return 0;
	if (!*left)
		*left = draws[rnd & (LT_SAMPLE_DRAWS - 1)];
	if (size < *left) {
		*left -= size;
		return 0;
	}
	/* a fresh budget from here (the index bits differ from the first's) */
	*left = draws[(rnd >> 12) & (LT_SAMPLE_DRAWS - 1)];
	return 1;
}

/*
 * What a sampled allocation of size bytes stands for, with period N
 * (1 <= N <= LT_SAMPLE_MAX_PERIOD): *bytes (s/p) and *allocs (1/p), each
 * rounded at random with bits of rnd.
 */
static __always_inline void lt_sample_estimate(const volatile __u64 *g, __u64 size, __u64 period,
					       __u32 rnd, __u64 *bytes, __u64 *allocs)
{
	__u64 x, i, frac, gx, b16, a16;

	*bytes = size;
	*allocs = 1;
	if (!size || !period || (size >> 5) >= period) /* s >= 32 N: p == 1 */
		return;
	x = (size << 20) / period;	/* s/N in 2^-20 units, < 2^25 */
	i = x >> 15;			/* 2^15 units = one table step, 1/32 */
	frac = x & 0x7fff;
	if (i >= LT_SAMPLE_G_STEPS)
		return;
	gx = g[i] + (((g[i + 1] - g[i]) * frac) >> 15);
	b16 = (period * gx) >> (LT_SAMPLE_G_SHIFT - 16); /* s/p in 2^-16 bytes */
	a16 = b16 / size;				  /* 1/p in 2^-16 */
	*bytes = (b16 >> 16) + ((b16 & 0xffff) > (rnd & 0xffff));
	*allocs = (a16 >> 16) + ((a16 & 0xffff) > (rnd >> 16));
}

#endif /* __LT_SAMPLE_H */
