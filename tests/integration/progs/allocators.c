// SPDX-License-Identifier: MIT
/*
 * One leak per allocator, each in its own function and with its own size, so
 * the report's allocator field and requested bytes can be checked exactly.
 */
#include <malloc.h>
#include "prog.h"

static void *kept[16];
static int nkept;

static void keep(void *p)
{
	if (!p)
		die("allocation failed\n");
	kept[nkept++] = p;
}

// 3 x 25 x 40 = 3000 B: calloc counts nmemb * size.
static void use_calloc(void)
{
	for (int i = 0; i < 3; i++)
		keep(calloc(25, 40)); /* LEAK:use_calloc */
}

static void use_posix_memalign(void)
{
	for (int i = 0; i < 2; i++) {
		void *p;

		if (posix_memalign(&p, 64, 1000)) /* LEAK:use_posix_memalign */
			die("posix_memalign failed\n");
		keep(p);
	}
}

static void use_aligned_alloc(void)
{
	keep(aligned_alloc(256, 2048)); /* LEAK:use_aligned_alloc */
}

static void use_memalign(void)
{
	keep(memalign(128, 700)); /* LEAK:use_memalign */
}

static void use_valloc(void)
{
	keep(valloc(5000)); /* LEAK:use_valloc */
}

// pvalloc rounds the block up to a page, but the requested 3000 B count.
static void use_pvalloc(void)
{
	keep(pvalloc(3000)); /* LEAK:use_pvalloc */
}

// 30 x 12 = 360 B.
static void use_reallocarray(void)
{
	keep(reallocarray(NULL, 30, 12)); /* LEAK:use_reallocarray */
}

int main(int argc, char **argv)
{
	prog_start(argc, argv);
	use_calloc();
	use_posix_memalign();
	use_aligned_alloc();
	use_memalign();
	use_valloc();
	use_pvalloc();
	use_reallocarray();
	say("kept %d blocks\n", nkept);
	prog_finish();
	return 0;
}
