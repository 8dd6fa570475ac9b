// SPDX-License-Identifier: MIT
#include <stdbool.h>
#include <string.h>
#include "loader.h"
#include "mmap_class.h"
#include "symbolize.h"

/* The C library's allocator entry points, by their exported names. */
static bool is_allocator(const char *fn)
{
	static const char *const names[] = {
		"malloc", "calloc", "realloc", "reallocarray", "memalign", "aligned_alloc",
		"posix_memalign", "valloc", "pvalloc", "__libc_malloc", "__libc_calloc",
		"__libc_realloc", "__libc_memalign", "__libc_valloc", "__libc_pvalloc",
	};

	for (size_t i = 0; fn && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(fn, names[i]))
			return true;
	return false;
}

/* glibc's HEAP_MAX_SIZE: a thread arena's heap, reserved whole by new_heap() */
#define ARENA_HEAP_SIZE (64ull << 20)

enum lt_mmap_class mmap_class(struct symbolizer *sym, const uint64_t *ips, int n,
			      uint64_t block_size, const char *py_module)
{
	struct lt_frame fr;

	if (n <= 0)
		return LT_MMAP_PROGRAM;
	symbolizer_frame(sym, ips[0], true, &fr);
	if (!fr.module)
		return LT_MMAP_PROGRAM;
	if (loader_is_runtime_module(fr.module)) {
		/* A large block of malloc's own, mapped while the allocation
		 * probes were off (a thinned duty cycle) and so seen by its
		 * mmap alone: the program's, like the malloc it is. Not a
		 * thread arena's heap, which holds many blocks. */
		for (int i = 1; i < n && block_size != ARENA_HEAP_SIZE; i++) {
			symbolizer_frame(sym, ips[i], true, &fr);
			if (!fr.module || !loader_is_runtime_module(fr.module))
				break;
			if (is_allocator(fr.function))
				return LT_MMAP_PROGRAM;
		}
		return LT_MMAP_RUNTIME;
	}
	/* CPython maps memory itself only for pymalloc's arenas */
	if (py_module && !strcmp(fr.module, py_module))
		return LT_MMAP_ARENA;
	return LT_MMAP_PROGRAM;
}
