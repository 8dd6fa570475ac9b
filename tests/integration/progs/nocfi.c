// SPDX-License-Identifier: MIT
/* libnocfi.so: built without unwind tables and without frame pointers
 * (Makefile), as hand-written or JIT-like code is: no CFI covers it.
 * libdbgcfi.so: the same with -g, its CFI in .debug_frame alone
 * (ALLOC=dbgcfi_alloc). */
#include <stdlib.h>

#ifndef ALLOC
#define ALLOC nocfi_alloc
#endif

void *ALLOC(size_t n)
{
	void *p = malloc(n); /* LEAK:nocfi */

	__asm__ volatile("" : : "r"(p) : "memory"); /* no tail call */
	return p;
}
