// SPDX-License-Identifier: MIT
/*
 * Leaks 100 x 48 B, then returns from main: exit() runs its atexit handler,
 * which frees every block, as a program's cleanup at exit does. The final
 * report is taken as exit() begins, so the leak is still in it.
 */
#include "prog.h"

#define N 100
#define SIZE 48

static void *kept[N];

static void leak_at_exit(void)
{
	for (int i = 0; i < N; i++) {
		kept[i] = malloc(SIZE); /* LEAK:leak_at_exit */
		memset(kept[i], 0xa5, SIZE);
	}
}

static void cleanup(void)
{
	for (int i = 0; i < N; i++)
		free(kept[i]);
}

int main(int argc, char **argv)
{
	prog_start(argc, argv);
	atexit(cleanup);
	leak_at_exit();
	say("leaked %d blocks\n", N);
	prog_finish();
	return 0;
}
