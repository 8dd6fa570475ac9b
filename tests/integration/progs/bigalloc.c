// SPDX-License-Identifier: MIT
/*
 * One 4 MiB malloc, kept. glibc serves it with an mmap of its own; the report
 * must show one malloc of 4194304 B from big_alloc() and no mmap stack.
 */
#include "prog.h"

static char *kept;

static void big_alloc(void)
{
	kept = malloc(4 << 20); /* LEAK:big_alloc */
	if (!kept)
		die("malloc failed\n");
	kept[0] = 1;
}

int main(int argc, char **argv)
{
	prog_start(argc, argv);
	big_alloc();
	say("kept 4 MiB at %p\n", kept);
	prog_finish();
	return 0;
}
