// SPDX-License-Identifier: MIT
// Leaks at early_leak(), sleeps 3 s, leaks at late_leak(): --min-age 2 keeps only the first.
#include <time.h>
#include "prog.h"

static void *kept[40];

static void early_leak(void)
{
	for (int i = 0; i < 20; i++)
		kept[i] = malloc(100); /* LEAK:early_leak */
}

static void late_leak(void)
{
	for (int i = 0; i < 20; i++)
		kept[20 + i] = malloc(200); /* LEAK:late_leak */
}

int main(int argc, char **argv)
{
	struct timespec ts = { .tv_sec = 3 };

	prog_start(argc, argv);
	early_leak();
	while (nanosleep(&ts, &ts))
		;
	late_leak();
	say("leaked early and late\n");
	prog_finish();
	return 0;
}
