// SPDX-License-Identifier: MIT
/*
 * Allocates through every allocator leaktrace probes and frees all of it:
 * the report must have no stacks and zero outstanding totals.
 */
#include <malloc.h>
#include <sys/mman.h>
#include "prog.h"

#define BIG (4 << 20) /* above the mmap threshold: glibc maps and unmaps it */
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

int main(int argc, char **argv)
{
	void *v[64];
	void *p;
	int n = 0;

	prog_start(argc, argv);
	for (int i = 0; i < 32; i++)
		v[n++] = malloc(24 + i * 40); /* FREED:freeall_malloc */
	v[n++] = calloc(10, 100); /* FREED:freeall_calloc */
	p = malloc(10); /* FREED:freeall_realloc_start */
	for (int i = 1; i <= 8; i++)
		p = realloc(p, i * 500); /* FREED:freeall_realloc */
	v[n++] = p;
	v[n++] = reallocarray(NULL, 7, 9); /* FREED:freeall_reallocarray */
	if (posix_memalign(&p, 64, 300)) /* FREED:freeall_posix_memalign */
		die("posix_memalign failed\n");
	v[n++] = p;
	v[n++] = aligned_alloc(128, 256); /* FREED:freeall_aligned_alloc */
	v[n++] = memalign(32, 100); /* FREED:freeall_memalign */
	v[n++] = valloc(3000); /* FREED:freeall_valloc */
	v[n++] = pvalloc(3000); /* FREED:freeall_pvalloc */
	v[n++] = malloc(BIG); /* FREED:freeall_big */
	for (int i = 0; i < n; i++) {
		if (!v[i])
			die("allocation %d failed\n", i);
		free(v[i]);
	}
	free(NULL);

	p = mmap(NULL, 8192, RW, ANON, -1, 0); /* FREED:freeall_mmap */
	if (p == MAP_FAILED)
		die("mmap failed\n");
	memset(p, 1, 8192);
	munmap(p, 8192);

	say("allocated and freed %d blocks and one mapping\n", n);
	prog_finish();
	return 0;
}
