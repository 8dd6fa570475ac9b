// SPDX-License-Identifier: MIT
/* libnocfi.so: built without unwind tables and without frame pointers
 * (Makefile), as hand-written or JIT-like code is: no CFI covers it. */
#include <stdlib.h>

void *nocfi_alloc(size_t n)
{
	void *p = malloc(n); /* LEAK:nocfi */

	__asm__ volatile("" : : "r"(p) : "memory"); /* no tail call */
	return p;
}
