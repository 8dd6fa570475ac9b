// SPDX-License-Identifier: MIT
/*
 * libmixcfi.so: this file built twice and linked into one library (Makefile),
 * once with unwind tables (.eh_frame) and once, -DPART_DF, without them but
 * with -g (its CFI in .debug_frame alone), as when objects of two build
 * setups are linked together. The chain crosses from one to the other and
 * back: mixeh_outer -> mixdf_mid -> mixeh_inner -> malloc.
 */
#include <stdlib.h>

#define barrier(p) __asm__ volatile("" : : "r"(p) : "memory")

void *mixdf_mid(size_t n);
void *mixeh_inner(size_t n);

#ifdef PART_DF
__attribute__((noipa)) void *mixdf_mid(size_t n)
{
	void *p = mixeh_inner(n);

	barrier(p); /* no tail call */
	return p;
}
#else
__attribute__((noipa)) void *mixeh_inner(size_t n)
{
	void *p = malloc(n); /* LEAK:mixcfi */

	barrier(p);
	return p;
}

__attribute__((noipa)) void *mixeh_outer(size_t n)
{
	void *p = mixdf_mid(n);

	barrier(p);
	return p;
}
#endif
