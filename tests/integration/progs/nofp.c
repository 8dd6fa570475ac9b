// SPDX-License-Identifier: MIT
/*
 * Leaks through a malloc wrapper, built -O2 twice (Makefile): without frame
 * pointers (build/nofp) and with them (build/withfp). The CFI unwinder must
 * give both the same stacks, and the same as eu-stack on the program stopped
 * right after the leaking malloc returned (argument "stop": one leak_a()).
 *
 *   main -> leak_a -> leak_b -> leak_c -> xmalloc -> malloc   3 x 1000 B
 *   4 threads: thread_main -> leak_b -> leak_c -> xmalloc      4 x 2 x 512 B
 *   recurse() 200 deep -> xmalloc                              1 x 777 B
 *
 * noipa keeps each function whole and named (no clones, no inlining); the
 * barrier after each call keeps it from being a tail call.
 */
#include <pthread.h>
#include "prog.h"

#define KEEP __attribute__((noipa))
#define barrier(p) __asm__ volatile("" : : "r"(p) : "memory")
#define NTHREADS 4
#define DEPTH 200

static bool stop_after;

KEEP void *xmalloc(size_t n)
{
	void *p = malloc(n); /* LEAK:xmalloc */

	if (!p)
		die("out of memory\n");
	if (stop_after) /* the oracle's moment: eu-stack reads us here */
		raise(SIGSTOP);
	return p;
}

KEEP void *leak_c(size_t n)
{
	char pad[64]; /* a frame of some size, rsp-based */
	void *p;

	memset(pad, (int)n, sizeof(pad));
	barrier(pad);
	p = xmalloc(n);
	barrier(p);
	return p;
}

KEEP void *leak_b(size_t n)
{
	void *p = leak_c(n);

	barrier(p);
	return p;
}

KEEP void *leak_a(size_t n)
{
	void *p = leak_b(n);

	barrier(p);
	return p;
}

KEEP void *recurse(int depth)
{
	void *p = depth ? recurse(depth - 1) : xmalloc(777);

	barrier(p);
	return p;
}

KEEP void *thread_main(void *arg)
{
	for (int i = 0; i < 2; i++)
		barrier(leak_b(512));
	return arg;
}

int main(int argc, char **argv)
{
	pthread_t t[NTHREADS];

	prog_start(argc, argv);
	if (optind < argc && !strcmp(argv[optind], "stop")) {
		stop_after = true;
		barrier(leak_a(1000));
		prog_finish();
	}
	for (int i = 0; i < 3; i++)
		barrier(leak_a(1000));
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, thread_main, NULL))
			die("pthread_create failed\n");
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	barrier(recurse(DEPTH));
	prog_finish();
	return 0;
}
