// SPDX-License-Identifier: MIT
#include <stdbool.h>
#include <string.h>
#include "leaktrace.h"
#include "loader.h"
#include "mmap_class.h"
#include "symbolize.h"

/* The C library's allocator entry points, by their exported names: the
 * kind of call each is, -1 for another function. */
static int allocator_kind(const char *fn)
{
	static const struct {
		const char *name;
		int kind;
	} names[] = {
		{ "malloc", LT_MALLOC },		{ "__libc_malloc", LT_MALLOC },
		{ "calloc", LT_CALLOC },		{ "__libc_calloc", LT_CALLOC },
		{ "realloc", LT_REALLOC },		{ "__libc_realloc", LT_REALLOC },
		{ "reallocarray", LT_REALLOCARRAY },	{ "posix_memalign", LT_POSIX_MEMALIGN },
		{ "aligned_alloc", LT_ALIGNED_ALLOC },	{ "memalign", LT_MEMALIGN },
		{ "__libc_memalign", LT_MEMALIGN },	{ "valloc", LT_VALLOC },
		{ "__libc_valloc", LT_VALLOC },		{ "pvalloc", LT_PVALLOC },
		{ "__libc_pvalloc", LT_PVALLOC },
	};

	for (size_t i = 0; fn && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(fn, names[i].name))
			return names[i].kind;
	return -1;
}

/*
 * ips[from..n): the C runtime's frames up to the program's call. The
 * outermost allocator among them is the call the program made: its kind,
 * or -1 if none; *caller: the index of the first frame past the runtime
 * (n if none).
 */
static int through_allocator(struct symbolizer *sym, const uint64_t *ips, int from, int n,
			     int *caller)
{
	int kind = -1, i;

	for (i = from; i < n; i++) {
		struct lt_frame fr;
		int k;

		symbolizer_frame(sym, ips[i] & ~LT_IP_EXACT, true, &fr);
		if (!fr.module || !loader_is_runtime_module(fr.module))
			break;
		k = allocator_kind(fr.function);
		if (k >= 0)
			kind = k;
	}
	*caller = i;
	return kind;
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
		int caller;

		/* A large block of malloc's own, mapped while the allocation
		 * probes were off (a thinned duty cycle) and so seen by its
		 * mmap alone: the program's, like the malloc it is. Not a
		 * thread arena's heap, which holds many blocks. */
		return block_size != ARENA_HEAP_SIZE && through_allocator(sym, ips, 1, n, &caller) >= 0
			       ? LT_MMAP_PROGRAM
			       : LT_MMAP_RUNTIME;
	}
	/* CPython maps memory itself only for pymalloc's arenas */
	if (py_module && !strcmp(fr.module, py_module))
		return LT_MMAP_ARENA;
	return LT_MMAP_PROGRAM;
}

bool mmap_alias(struct symbolizer *sym, const struct lt_stack *st, bool system_wide,
		struct lt_site_key *out)
{
	int depth = st->depth < LT_MAX_STACK_DEPTH ? st->depth : LT_MAX_STACK_DEPTH;
	int py = st->py_depth < LT_MAX_PY_DEPTH ? st->py_depth : LT_MAX_PY_DEPTH;
	uint64_t h = LT_HASH_SEED;
	/* past the mmap wrapper (frame 0) */
	int j, kind = through_allocator(sym, (const uint64_t *)st->ips, 1, depth, &j);

	if (kind < 0 || j >= depth)
		return false;
	/* that call's return would have walked from its return address */
	if (system_wide)
		h = lt_hash_proc(h, st->tgid, st->epoch);
	for (int i = j; i < depth; i++)
		h = lt_hash_ip(h, st->ips[i]);
	for (int i = 0; i < py; i++)
		h = lt_hash_py(h, st->py[i].code, st->py[i].pos, st->py[i].check);
	out->stack_id = h | 1;
	out->caller = st->ips[j];
	out->kind = kind;
	return true;
}
