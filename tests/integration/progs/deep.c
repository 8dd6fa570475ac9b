// SPDX-License-Identifier: MIT
/* libdeep.so, dlopen()ed by edges (-O2, no frame pointers, CFI as usual):
 * deep_a -> deep_b -> deep_c -> malloc, called at once after the dlopen. */
#include <stdlib.h>

#define KEEP __attribute__((noipa))
#define barrier(p) __asm__ volatile("" : : "r"(p) : "memory")

KEEP void *deep_c(size_t n)
{
	void *p = malloc(n); /* LEAK:deep_c */

	barrier(p);
	return p;
}

KEEP void *deep_b(size_t n)
{
	void *p = deep_c(n);

	barrier(p);
	return p;
}

KEEP void *deep_a(size_t n)
{
	void *p = deep_b(n);

	barrier(p);
	return p;
}
