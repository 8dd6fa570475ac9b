// SPDX-License-Identifier: MIT
/*
 * faultbench N [-w]: N first-touch write faults: maps 64 MiB of anonymous
 * memory, writes one byte per 4 KiB page, unmaps it, again until N pages.
 * Prints one line,
 *   faultbench: 262144 faults 2103.4 ns/fault
 * timed with CLOCK_MONOTONIC around the loop only (mmap/munmap included: a
 * tracer charges pages back at munmap). -w blocks until SIGUSR1 first, as
 * mallocbench does. The worst case for --rss: every page is a new fault.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include "benchwait.h"

#define CHUNK (64L << 20)

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	long n, done = 0;
	double ns;

	if (argc < 2 || (n = strtol(argv[1], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: faultbench N [-w]\n");
		return 2;
	}
	if (argc > 2 && !strcmp(argv[2], "-w") &&
	    bench_wait("faultbench", "waiting for SIGUSR1", false))
		return 1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (done < n) {
		volatile char *p = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		long len = (n - done) * 4096 < CHUNK ? (n - done) * 4096 : CHUNK;

		if (p == MAP_FAILED)
			return 1;
		for (long off = 0; off < len; off += 4096)
			p[off] = 1;
		done += len / 4096;
		munmap((void *)p, CHUNK);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);

	ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
	printf("faultbench: %ld faults %.1f ns/fault\n", n, ns / n);
	return 0;
}
