// SPDX-License-Identifier: MIT
/* runcost: the probes' cost over the run, traps scaled by the factor as
 * last measured. */
#include <math.h>
#include "runcost.h"
#include "unit.h"

UT_TEST(runcost_whole_run_at_the_last_factor)
{
	struct runcost rc;

	runcost_init(&rc);
	CHECK(runcost_pct(&rc, 0, 1) < 0); /* nothing yet */
	/* a start with every probe on, then thinned windows */
	runcost_add(&rc, 0, 100e6, (struct lt_cost){ 20e6, 20e6 });
	runcost_window_end(&rc);
	runcost_add(&rc, 0, 900e6, (struct lt_cost){ 5e6, 5e6 });
	runcost_window_end(&rc);
	/* 25 ms of BPF and 25 of traps at x2: 75 ms of the 1 s, against the
	 * 925 ms the target's own work took */
	CHECK(fabs(runcost_pct(&rc, 0, 2) - 75.0 / 925 * 100) < 1e-9);
	CHECK(fabs(runcost_pct(&rc, 0, 1) - 50.0 / 950 * 100) < 1e-9);
	/* probes said to take all of it: against 5% of the time, as judged */
	runcost_add(&rc, 0, 0, (struct lt_cost){ 2e9, 0 });
	CHECK(fabs(runcost_pct(&rc, 0, 1) - 2050e6 / 50e6 * 100) < 1e-6);
	runcost_free(&rc);
}

UT_TEST(runcost_per_process_and_forgotten)
{
	struct runcost rc;

	runcost_init(&rc);
	runcost_add(&rc, 42, 500e6, (struct lt_cost){ 10e6, 15e6 });
	runcost_add(&rc, 7, 100e6, (struct lt_cost){ 0, 0 });
	runcost_window_end(&rc);
	CHECK(fabs(runcost_pct(&rc, 42, 1) - 25.0 / 475 * 100) < 1e-9);
	CHECK(runcost_pct(&rc, 7, 1) == 0);
	CHECK(runcost_pct(&rc, 99, 1) < 0); /* never seen */
	/* 42 runs on, 7 is idle long enough to be forgotten */
	for (int i = 0; i < 130; i++) {
		runcost_add(&rc, 42, 1e6, (struct lt_cost){ 0, 0 });
		runcost_window_end(&rc);
	}
	CHECK(runcost_pct(&rc, 7, 1) < 0);
	CHECK(runcost_pct(&rc, 42, 1) > 0);
	runcost_free(&rc);
}
