// SPDX-License-Identifier: MIT
/*
 * Leaks at the bottom of deep call chains: leak_shallow() under 30 nested
 * descend() calls (3 x 96 B), leak_deep() under 300 (2 x 160 B), deeper than
 * the 127 frames a stack keeps. The frame-pointer chain is walked in BPF at
 * the allocator's return: every frame must be there, in order, up to that
 * limit. Also from a thread, whose stack is a mapping of its own.
 */
#include <pthread.h>
#include "prog.h"

#define SHALLOW 30
#define DEEP 300

static void *kept[8];
static int nkept;

static void leak_shallow(void)
{
	kept[nkept++] = malloc(96); /* LEAK:leak_shallow */
}

static void leak_deep(void)
{
	kept[nkept++] = malloc(160); /* LEAK:leak_deep */
}

/* Not a tail call at -O0: each level keeps its frame. */
static void descend(int depth, void (*leak)(void))
{
	if (depth > 0)
		descend(depth - 1, leak);
	else
		leak();
}

static void *thread_main(void *arg)
{
	descend(SHALLOW, leak_shallow);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t tid;

	prog_start(argc, argv);
	descend(SHALLOW, leak_shallow);
	descend(SHALLOW, leak_shallow);
	descend(DEEP, leak_deep);
	descend(DEEP, leak_deep);
	if (pthread_create(&tid, NULL, thread_main, NULL))
		die("pthread_create failed\n");
	pthread_join(tid, NULL);
	say("leaked %d blocks\n", nkept);
	prog_finish();
	return 0;
}
