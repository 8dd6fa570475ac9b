// SPDX-License-Identifier: MIT
/*
 * holdbench N [-w]: allocates N blocks of 16..112 bytes from 1000 distinct
 * stacks (10 x 10 x 10 call paths) and holds them, for timing a report over N
 * outstanding allocations. Prints
 *   holdbench: holding 1000000 blocks
 * and waits for SIGUSR1 (or SIGTERM), then exits without freeing. -w also
 * waits for SIGUSR1 before allocating, so a tracer can attach by pid first.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "benchwait.h"

typedef void *(*alloc_fn)(long i);

/* Distinct functions, so each path is a distinct stack of return addresses;
 * called through tables so the compiler merges none of them. */
#define LEAF(n)                                                    \
	__attribute__((noinline)) static void *leaf##n(long i)     \
	{                                                          \
		void *p = malloc(16 + (i % 7) * 16);               \
		__asm__ volatile("" ::: "memory"); /* no tail call */ \
		return p;                                          \
	}
#define MID(n)                                                     \
	__attribute__((noinline)) static void *mid##n(long i)      \
	{                                                          \
		void *p = leaves[(i / 10) % 10](i);                \
		__asm__ volatile("" ::: "memory");                 \
		return p;                                          \
	}
#define TOP(n)                                                     \
	__attribute__((noinline)) static void *top##n(long i)      \
	{                                                          \
		void *p = mids[(i / 100) % 10](i);                 \
		__asm__ volatile("" ::: "memory");                 \
		return p;                                          \
	}
#define TEN(m) m(0) m(1) m(2) m(3) m(4) m(5) m(6) m(7) m(8) m(9)
#define REF(p, n) p##n,

TEN(LEAF)
static const alloc_fn leaves[10] = { REF(leaf, 0) REF(leaf, 1) REF(leaf, 2) REF(leaf, 3)
	REF(leaf, 4) REF(leaf, 5) REF(leaf, 6) REF(leaf, 7) REF(leaf, 8) REF(leaf, 9) };
TEN(MID)
static const alloc_fn mids[10] = { REF(mid, 0) REF(mid, 1) REF(mid, 2) REF(mid, 3)
	REF(mid, 4) REF(mid, 5) REF(mid, 6) REF(mid, 7) REF(mid, 8) REF(mid, 9) };
TEN(TOP)
static const alloc_fn tops[10] = { REF(top, 0) REF(top, 1) REF(top, 2) REF(top, 3)
	REF(top, 4) REF(top, 5) REF(top, 6) REF(top, 7) REF(top, 8) REF(top, 9) };

int main(int argc, char **argv)
{
	sigset_t set;
	void **held;
	long n, i;

	if (argc < 2 || (n = strtol(argv[1], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: holdbench N [-w]\n");
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	held = malloc(n * sizeof(*held));
	if (!held)
		return 1;
	if (argc > 2 && !strcmp(argv[2], "-w"))
		bench_wait("holdbench", "waiting for SIGUSR1", true);
	for (i = 0; i < n; i++) {
		held[i] = tops[i % 10](i);
		if (!held[i])
			return 1;
	}
	printf("holdbench: holding %ld blocks\n", n);
	fflush(stdout);
	bench_wait("holdbench", "waiting for SIGUSR1 to exit", true);
	return 0;
}
