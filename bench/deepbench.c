// SPDX-License-Identifier: MIT
/*
 * deepbench N DEPTH: N malloc(64)+free pairs at the bottom of a chain of
 * DEPTH program frames (main, DEPTH - 2 chain() calls, pair()), so that a
 * traced allocation's stack walk has DEPTH frames of this program to cross.
 * Built -O2 with and without frame pointers (bench/unwind.sh): the CFI walker
 * against the frame-pointer build. Prints
 *   deepbench: 200000 pairs depth 8 1234.5 ns/pair
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define KEEP __attribute__((noipa))

void *volatile sink;

KEEP void pair(long n)
{
	for (long i = 0; i < n; i++) {
		sink = malloc(64);
		free(sink);
	}
}

KEEP void chain(int depth, long n)
{
	if (depth > 0)
		chain(depth - 1, n);
	else
		pair(n);
	sink = sink; /* not a tail call: each level keeps its frame */
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
	int depth = argc > 2 ? atoi(argv[2]) : 8;
	double ns;

	if (n <= 0 || depth < 2) {
		fprintf(stderr, "usage: deepbench N DEPTH (>= 2)\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	chain(depth - 2, n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
	printf("deepbench: %ld pairs depth %d %.1f ns/pair\n", n, depth, ns / n);
	return 0;
}
