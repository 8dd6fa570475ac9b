// SPDX-License-Identifier: MIT
/*
 * The deterministic leaker: leak_small() leaks 100 x 48 B, leak_big() leaks
 * 10 x 4000 B, churn() mallocs and frees 10000 times and must not show up.
 * Also built with -static (build/leaker-static) for the "no libc" error.
 */
#include "prog.h"

#define SMALL_N 100
#define SMALL_SIZE 48
#define BIG_N 10
#define BIG_SIZE 4000

static void *kept[SMALL_N + BIG_N];
static int nkept;

static void leak_small(void)
{
	for (int i = 0; i < SMALL_N; i++) {
		void *p = malloc(SMALL_SIZE); /* LEAK:leak_small */

		memset(p, 0xa5, SMALL_SIZE);
		kept[nkept++] = p;
	}
}

static void leak_big(void)
{
	for (int i = 0; i < BIG_N; i++) {
		void *p = malloc(BIG_SIZE); /* LEAK:leak_big */

		memset(p, 0x5a, BIG_SIZE);
		kept[nkept++] = p;
	}
}

/* Short-lived buffers of varying size, a few alive at once. */
static void churn(void)
{
	void *ring[8] = { 0 };

	for (int i = 0; i < 10000; i++) {
		free(ring[i % 8]);
		ring[i % 8] = malloc(16 + (i % 64) * 16); /* FREED:churn */
	}
	for (int i = 0; i < 8; i++)
		free(ring[i]);
}

int main(int argc, char **argv)
{
	prog_start(argc, argv);
	leak_small();
	churn();
	leak_big();
	say("leaked %d blocks\n", nkept);
	prog_finish();
	return 0;
}
