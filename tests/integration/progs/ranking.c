// SPDX-License-Identifier: MIT
// A cache that fills once (fill_cache, 256 x 1 KiB in the first moments) and
// then stays as it is, next to a steady leak (leak_step, 512 B every 50 ms for
// about 6 s): the leak must be suspect 1, the larger cache no suspect at all.
#include <time.h>
#include "prog.h"

#define CACHE_ENTRIES 256
#define STEPS 120

static void *cache[CACHE_ENTRIES];
static void *leaked[STEPS];

static void fill_cache(void)
{
	for (int i = 0; i < CACHE_ENTRIES; i++)
		cache[i] = malloc(1024); /* LEAK:fill_cache */
}

static void leak_step(int i)
{
	leaked[i] = malloc(512); /* LEAK:leak_step */
}

int main(int argc, char **argv)
{
	struct timespec ts = { .tv_nsec = 50 * 1000 * 1000 };

	prog_start(argc, argv);
	fill_cache();
	for (int i = 0; i < STEPS; i++) {
		struct timespec left = ts;

		leak_step(i);
		while (nanosleep(&left, &left))
			;
	}
	say("cache full, leaked %d steps\n", STEPS);
	prog_finish();
	return 0;
}
