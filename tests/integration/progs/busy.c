// SPDX-License-Identifier: MIT
/*
 * A busy process that leaks nothing: malloc/free bursts for about 8 s
 * (-w: after the go signal). -a must not make it a suspect.
 */
#include <time.h>
#include "prog.h"

static void burst(int round)
{
	void *ring[16] = { 0 };

	for (int i = 0; i < 2000; i++) {
		free(ring[i % 16]);
		ring[i % 16] = malloc(32 + (i + round) % 200 * 8); /* FREED:busy */
	}
	for (int i = 0; i < 16; i++)
		free(ring[i]);
}

int main(int argc, char **argv)
{
	struct timespec ts = { .tv_nsec = 5 * 1000 * 1000 };

	prog_start(argc, argv);
	for (int r = 0; r < 1600; r++) {
		struct timespec left = ts;

		burst(r);
		while (nanosleep(&left, &left))
			;
	}
	say("busy rounds done\n");
	prog_finish();
	return 0;
}
