// SPDX-License-Identifier: MIT
// Too hot to trace in full: churn() mallocs and frees a 64-byte block in a
// tight loop (hundreds of thousands of pairs a second), while leak_step()
// leaks 256 B every 20 ms for about 8 s. Under --mode lite and its default
// 5% budget leaktrace must thin its probes, still rank leak_step first, and
// never report churn()'s blocks, all freed, as a leak.
#include <time.h>
#include "prog.h"

#define STEPS 400

static void *leaked[STEPS];

static void leak_step(int i)
{
	leaked[i] = malloc(256); /* LEAK:churner_step */
}

static void churn(void)
{
	void *p = malloc(64); /* FREED:churn */

	free(p);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double next;

	prog_start(argc, argv);
	next = now();
	for (int i = 0; i < STEPS; i++) {
		leak_step(i);
		next += 0.02;
		while (now() < next)
			for (int k = 0; k < 100; k++)
				churn();
	}
	say("leaked %d steps\n", STEPS);
	prog_finish();
	return 0;
}
