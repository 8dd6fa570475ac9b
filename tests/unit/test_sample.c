// SPDX-License-Identifier: MIT
/* --sample-bytes: the loader's tables and the BPF sampler's integer math
 * (bpf/lt_sample.h, the very code the BPF program runs). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include "sample.h"
#include "unit.h"

static __u64 draws[LT_SAMPLE_DRAWS], g[LT_SAMPLE_G_STEPS + 1];

static double p_of(double s, double n)
{
	return -expm1(-s / n);
}

UT_TEST(sample_tables_bounds)
{
	CHECK_EQ_INT(sample_tables(0, draws, g), -EINVAL);
	CHECK_EQ_INT(sample_tables(LT_SAMPLE_MAX_PERIOD + 1, draws, g), -EINVAL);
	CHECK_EQ_INT(sample_tables(1, draws, g), 0);
	CHECK_EQ_INT(sample_tables(LT_SAMPLE_MAX_PERIOD, draws, g), 0);
}

/* Budgets: at least one byte, exponential with mean N (+ under 1 for ceil). */
UT_TEST(sample_draws_mean)
{
	const uint64_t periods[] = { 1, 64, 4096, 524288, LT_SAMPLE_MAX_PERIOD };

	for (size_t k = 0; k < sizeof(periods) / sizeof(periods[0]); k++) {
		double n = periods[k], sum = 0, above = 0;
		int zero = 0;

		CHECK_EQ_INT(sample_tables(periods[k], draws, g), 0);
		for (int i = 0; i < LT_SAMPLE_DRAWS; i++) {
			sum += draws[i];
			zero += !draws[i];
			above += draws[i] > n; /* P(E > 1) = 1/e */
		}
		CHECK_EQ_INT(zero, 0);
		sum /= LT_SAMPLE_DRAWS;
		if (!(sum >= n - 1e-6 * n && sum <= n + 1 + 1e-6 * n)) {
			printf("  N %.0f: mean budget %.3f\n", n, sum);
			ut_failed = 1;
		}
		if (n >= 64)
			CHECK(fabs(above / LT_SAMPLE_DRAWS - exp(-1)) < 1e-3);
	}
}

/* s/p and 1/p, averaged over the random rounding, against the formula. */
UT_TEST(sample_estimate_matches_formula)
{
	const uint64_t periods[] = { 1, 7, 4096, 524288, LT_SAMPLE_MAX_PERIOD };
	const double sizes[] = { 1, 2, 3, 10, 63, 64, 100, 1000, 4095, 4096, 10000, 65536,
				 1e6, 1e8, 3e9, 1e11 };

	for (size_t k = 0; k < sizeof(periods) / sizeof(periods[0]); k++) {
		double n = periods[k];

		CHECK_EQ_INT(sample_tables(periods[k], draws, g), 0);
		for (size_t j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			double s = sizes[j], want_b = s / p_of(s, n), want_a = 1 / p_of(s, n);
			double sum_b = 0, sum_a = 0;
			__u64 b, a;

			/* every value of both 16-bit rounding fields once */
			for (uint32_t r = 0; r < 65536; r++) {
				lt_sample_estimate(g, (__u64)s, periods[k], r | r << 16, &b, &a);
				sum_b += b;
				sum_a += a;
			}
			sum_b /= 65536;
			sum_a /= 65536;
			if (fabs(sum_b / want_b - 1) > 1e-4 || fabs(sum_a / want_a - 1) > 1e-4) {
				printf("  N %.0f s %.0f: bytes %.4f want %.4f, "
				       "allocs %.6f want %.6f\n", n, s, sum_b, want_b, sum_a, want_a);
				ut_failed = 1;
			}
		}
	}
	/* s >= 32 N counts as itself, exactly */
	{
		__u64 b, a;

		CHECK_EQ_INT(sample_tables(4096, draws, g), 0);
		lt_sample_estimate(g, 32 * 4096, 4096, 0xffffffff, &b, &a);
		CHECK_EQ_INT(b, 32 * 4096);
		CHECK_EQ_INT(a, 1);
	}
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rand32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng >> 32;
}

/*
 * The whole sampler on a stream: a thread's budget, then the estimates of
 * the sampled allocations, against the true totals. Seeded, so the result is
 * fixed; the bounds are over 4 standard errors wide.
 */
static void stream(uint64_t period, long n, uint64_t (*size_of)(long), double tol)
{
	double true_b = 0, est_b = 0, est_a = 0;
	__u64 left = 0, b, a;
	long samples = 0;

	CHECK_EQ_INT(sample_tables(period, draws, g), 0);
	for (long i = 0; i < n; i++) {
		uint64_t s = size_of(i);

		true_b += s;
		if (!lt_sample_take(&left, s, draws, rand32()))
			continue;
		samples++;
		lt_sample_estimate(g, s, period, rand32(), &b, &a);
		est_b += b;
		est_a += a;
	}
	if (fabs(est_b / true_b - 1) > tol || fabs(est_a / n - 1) > tol) {
		printf("  N %llu: %ld samples, bytes %.0f of %.0f, allocs %.0f of %ld\n",
		       (unsigned long long)period, samples, est_b, true_b, est_a, n);
		ut_failed = 1;
	}
}

static uint64_t mixed_size(long i)
{
	return i % 1000 == 0 ? 100000 : 1 + (uint64_t)i * 7919 % 2000;
}

static uint64_t size_64(long i)
{
	return 64;
}

static uint64_t tiny_size(long i)
{
	return 1 + i % 16;
}

UT_TEST(sample_stream_unbiased)
{
	stream(4096, 2000000, mixed_size, 0.015);	/* ~500k samples */
	stream(64, 1000000, tiny_size, 0.01);		/* budgets of a few bytes */
	stream(524288, 20000000, size_64, 0.08);	/* the bench: ~2400 samples */
	/* nothing for empty allocations, and a new thread draws first */
	{
		__u64 left = 0;

		CHECK_EQ_INT(sample_tables(1000000, draws, g), 0);
		CHECK(!lt_sample_take(&left, 0, draws, 1));
		CHECK_EQ_INT(left, 0);
		CHECK(!lt_sample_take(&left, 1, draws, 0)); /* draws[0] is the largest */
		CHECK_EQ_INT(left, draws[0] - 1);
	}
}
