// SPDX-License-Identifier: MIT
/*
 * A C++ leak through operator new three calls below main, g++ -O2 without
 * frame pointers (build/newdeep) and with them (build/newdeep-fp):
 * main -> make_a -> make_b -> make_c -> operator new -> malloc, 5 x 48 B.
 * libstdc++'s operator new keeps no frame pointer either.
 */
#include "prog.h"

#define KEEP __attribute__((noipa))
#define barrier(p) __asm__ volatile("" : : "r"(p) : "memory")

static bool stop_after;

struct Node {
	long v[6];
};

KEEP Node *make_c(long x)
{
	Node *n = new Node(); /* LEAK:make_c */

	if (stop_after) /* the oracle's moment: eu-stack reads us here */
		raise(SIGSTOP);
	n->v[0] = x;
	barrier(n);
	return n;
}

KEEP Node *make_b(long x)
{
	Node *n = make_c(x);

	barrier(n);
	return n;
}

KEEP Node *make_a(long x)
{
	Node *n = make_b(x);

	barrier(n);
	return n;
}

int main(int argc, char **argv)
{
	prog_start(argc, argv);
	if (optind < argc && !strcmp(argv[optind], "stop")) {
		stop_after = true;
		barrier(make_a(-1));
		prog_finish();
	}
	for (long i = 0; i < 5; i++)
		barrier(make_a(i));
	prog_finish();
	return 0;
}
