// SPDX-License-Identifier: MIT
// For --sample-bytes: 100,000 leaked blocks of many sizes from two functions
// (leak_small: malloc of 200..600 B, leak_large: calloc of 300..1400 B), a
// realloc chain whose resized blocks leak (their first blocks must not), and
// 100,000 freed blocks. The sizes follow fixed formulas, so run.py knows the
// exact totals; each leak is far above 2,500 sampling periods of 4 KiB.
#include "prog.h"

#define N_LEAK 50000
#define N_GROW 5000
#define N_CHURN 100000

static void *kept[2 * N_LEAK + N_GROW];
void *volatile sink;

static void *leak_small(long i)
{
	return malloc(200 + i * 7919 % 401); /* LEAK:leak_small */
}

static void *leak_large(long i)
{
	return calloc(1, 300 + i * 104729 % 1101); /* LEAK:leak_large */
}

static void *realloc_grow(void)
{
	void *p = malloc(1000); /* FREED:grow_start */

	return realloc(p, 3000); /* LEAK:realloc_grow */
}

static void churn(long i)
{
	sink = malloc(16 + i * 31 % 3985); /* FREED:churn */
	free(sink);
}

int main(int argc, char **argv)
{
	long n = 0;

	prog_start(argc, argv);
	for (long i = 0; i < N_LEAK; i++) {
		kept[n++] = leak_small(i);
		kept[n++] = leak_large(i);
		churn(i);
		churn(N_LEAK + i);
	}
	for (long i = 0; i < N_GROW; i++)
		kept[n++] = realloc_grow();
	for (long i = 0; i < n; i++)
		if (!kept[i])
			die("allocation %ld failed\n", i);
	say("leaked %ld blocks\n", n);
	prog_finish();
	return 0;
}
