// SPDX-License-Identifier: MIT
/*
 * realloc semantics: an outstanding block belongs to the call that last
 * (re)sized it, with its final size and one allocation; realloc(p, 0), a
 * realloc then free, and realloc(NULL, 0) then free leave nothing; a failed
 * realloc leaves the old block where it was.
 */
#include <stdint.h>
#include "prog.h"

static void *kept[4];

// realloc(NULL, n) starts the chain; the final block is 20 x 1000 B.
static void realloc_chain(void)
{
	char *p = NULL;

	for (int i = 1; i <= 20; i++) {
		p = realloc(p, i * 1000); /* LEAK:realloc_chain */
		p[i * 1000 - 1] = 1;
	}
	kept[0] = p;
}

// Starts with malloc; doubling from 64 to 32768 B moves the block now and then.
static void realloc_grow(void)
{
	char *p = malloc(64); /* FREED:grow_start */

	for (int i = 1; i <= 9; i++) {
		p = realloc(p, 64 << i); /* LEAK:realloc_grow */
		p[(64 << i) - 1] = 1;
	}
	kept[1] = p;
}

// Shrinking keeps the address but the block is now the realloc's, 300 B.
static void realloc_shrink(void)
{
	char *p = malloc(5000); /* FREED:shrink_start */

	p = realloc(p, 300); /* LEAK:realloc_shrink */
	kept[2] = p;
}

// A realloc that fails leaves the original 64 B block with its malloc.
static void realloc_fail_keep(void)
{
	volatile size_t huge = SIZE_MAX / 2 + 1;
	char *p = malloc(64); /* LEAK:realloc_fail_keep */
	char *q = realloc(p, huge); /* FREED:realloc_fail */

	if (q)
		die("realloc of %zu bytes succeeded\n", (size_t)huge);
	kept[3] = p;
}

static void realloc_to_zero(void)
{
	char *p = malloc(100); /* FREED:to_zero_start */

	p = realloc(p, 0); /* FREED:to_zero */
	if (p) // glibc frees and returns NULL; free whatever another libc returns
		free(p);
}

static void realloc_then_free(void)
{
	char *p = malloc(200); /* FREED:then_free_start */

	p = realloc(p, 400); /* FREED:then_free */
	p = realloc(p, 100); /* FREED:then_free_shrink */
	free(p);
}

static void realloc_null_zero(void)
{
	char *p = realloc(NULL, 0); /* FREED:null_zero */

	free(p);
}

int main(int argc, char **argv)
{
	prog_start(argc, argv);
	realloc_chain();
	realloc_grow();
	realloc_shrink();
	realloc_fail_keep();
	realloc_to_zero();
	realloc_then_free();
	realloc_null_zero();
	say("kept %p %p %p %p\n", kept[0], kept[1], kept[2], kept[3]);
	prog_finish();
	return 0;
}
