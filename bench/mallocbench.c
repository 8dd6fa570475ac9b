// SPDX-License-Identifier: MIT
/*
 * mallocbench N [-w]: N malloc(64)+free pairs in a tight loop. Prints one line,
 *   mallocbench: 200000 pairs 2512.3 ns/pair
 * timed with CLOCK_MONOTONIC around the loop only, so a tracer's start-up and
 * report are not counted. -w blocks until SIGUSR1 before the loop, so a tracer
 * can attach by pid first (bench/run.sh sends the signal once it has attached).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "benchwait.h"

/* Keeps the compiler from pairing up or dropping the calls (-fno-builtin does the rest). */
void *volatile sink;

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	long n, i;
	double ns;

	if (argc < 2 || (n = strtol(argv[1], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: mallocbench N [-w]\n");
		return 2;
	}
	if (argc > 2 && !strcmp(argv[2], "-w") &&
	    bench_wait("mallocbench", "waiting for SIGUSR1", false))
		return 1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		sink = malloc(64);
		free(sink);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);

	ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
	printf("mallocbench: %ld pairs %.1f ns/pair\n", n, ns / n);
	return 0;
}
