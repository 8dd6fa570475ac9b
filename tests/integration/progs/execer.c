// SPDX-License-Identifier: MIT
/*
 * Leaks 16 x 64 KiB, says "done", then execs /bin/sleep: the old image's
 * memory goes with the exec, so it is no leak of the new one.
 */
#include "prog.h"

#define N 16
#define SIZE (64 << 10)

static void *kept[N];

static void leak_then_exec(void)
{
	for (int i = 0; i < N; i++) {
		kept[i] = malloc(SIZE); /* LEAK:leak_then_exec */
		memset(kept[i], 0x5a, SIZE);
	}
}

int main(int argc, char **argv)
{
	prog_start(argc, argv);
	leak_then_exec();
	say("done\n");
	usleep(300 * 1000); /* one tracer tick sees the leak first */
	execl("/bin/sleep", "sleep", "60", (char *)NULL);
	die("cannot exec /bin/sleep\n");
	return 1;
}
