// SPDX-License-Identifier: MIT
/* growth_judge(): which byte histories make a suspect. The series are the
 * ones lite_dict.py's dict table showed under -i 0.5 (MiB per report). */
#include "growth.h"
#include "site.h"
#include "unit.h"

#define MIB (1024 * 1024)

/* Feeds one report per 0.5 s (blocks: allocations at each, NULL: one);
 * returns the site as judged after the last. */
static struct lt_site run_blocks(const double *mib, const int *blocks, int n)
{
	struct lt_site s = { 0 };

	for (int i = 0; i < n; i++) {
		s.all_bytes = (int64_t)(mib[i] * MIB);
		s.all_allocs = blocks ? blocks[i] : 1;
		growth_judge(&s, 1.0 + 0.5 * i, false);
	}
	return s;
}

static struct lt_site run(const double *mib, int n)
{
	return run_blocks(mib, NULL, n);
}

/* Seen from birth, doubling twice more: its appearance is the first step. */
UT_TEST(growth_doubling_from_birth)
{
	const double h[] = { 5, 10, 10, 10, 10, 10, 10, 20, 20, 20 };
	struct lt_site s = run(h, 10);

	CHECK(s.suspect);
	CHECK(s.stepwise);
	CHECK_EQ_INT(s.rises, 3);
}

/* A report inside a resize (new table + old one, 15 MiB in 2 blocks), then
 * the table alone: no fall. */
UT_TEST(growth_report_inside_resize)
{
	const double h[] = { 1.25, 2.5, 5, 5, 15, 10, 10, 10, 10, 10 };
	const int blocks[] = { 1, 1, 1, 1, 2, 1, 1, 1, 1, 1 };
	struct lt_site s = run_blocks(h, blocks, 10);

	CHECK(s.suspect);
	CHECK(s.stepwise);
	CHECK_EQ_INT(s.max_bytes, 10 * MIB);
	for (unsigned int i = 1; i < s.nhist; i++)
		CHECK(s.hist_bytes[i] >= s.hist_bytes[i - 1]);
}

/* A cache that fell back for good is no container that only grows. */
UT_TEST(growth_fall_is_no_step)
{
	const double h[] = { 1, 2, 4, 8, 2, 2, 2, 2 };
	struct lt_site s = run(h, 8);

	CHECK(!s.suspect);
	CHECK(!s.stepwise);
}

/* A cache that filled and stopped drops out once its next step is overdue
 * (3 gaps of 0.5 s + 1 s), and one allocation kept is never a suspect. */
UT_TEST(growth_filled_cache_drops_out)
{
	double h[20];
	struct lt_site s;

	h[0] = 1, h[1] = 2, h[2] = 4;
	for (int i = 3; i < 20; i++)
		h[i] = 4;
	s = run(h, 4);
	CHECK(s.suspect);
	s = run(h, 20);
	CHECK(!s.suspect);
	for (int i = 0; i < 20; i++)
		h[i] = 3;
	s = run(h, 20);
	CHECK(!s.suspect);
	CHECK_EQ_INT(s.rises, 1);
}

/* Steady growth is judged by its slope, not its steps. */
UT_TEST(growth_steady)
{
	const double h[] = { 1, 2, 3, 4, 5, 6 };
	struct lt_site s = run(h, 6);

	CHECK(s.suspect);
	CHECK(!s.stepwise);
	CHECK(s.growth_rate > 1.9 * MIB && s.growth_rate < 2.1 * MIB);
}

/* A busy site (a ring of buffers freed between bursts): the reports that
 * land inside a burst are peaks, the others nothing. Not a resize, and no
 * container that only grows, whatever its ups. */
UT_TEST(growth_busy_bursts)
{
	const double h[] = { 0, 0.022, 0, 0.019, 0.024, 0, 0.021, 0.023, 0, 0.022 };
	const int blocks[] = { 0, 15, 0, 13, 16, 0, 14, 15, 0, 15 };
	struct lt_site s = run_blocks(h, blocks, 10);

	CHECK(!s.suspect);
	CHECK(!s.stepwise);
}
