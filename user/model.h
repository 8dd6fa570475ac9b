/* SPDX-License-Identifier: MIT */
/*
 * What reports are made of, apart from how it is collected: the totals of a
 * collect, one process image's share of it (-a), who made an mmap, and the
 * names of the allocators and counters. aggregate.h fills them; renderers and
 * exporters that need only the data include this header, not aggregate.h.
 */
#ifndef LT_MODEL_H
#define LT_MODEL_H

#include <stdint.h>
#include "leaktrace.h"

struct lt_totals {
	int64_t bytes, allocs;	/* all outstanding, whatever their age, but runtime's */
	int64_t fds_open;	/* --fds: open descriptors (not in bytes/allocs) */
	int64_t runtime_bytes;	/* mmaps made by the C runtime itself (see below) */
	int64_t runtime_allocs;
	int64_t arena_bytes;	/* mmaps made by CPython itself: pymalloc's arenas */
	int64_t arena_allocs;
	int64_t arena_prev_bytes; /* arena_bytes at the previous report */
	uint64_t counters[LT_CNT_MAX];
	uint64_t dropped;	/* sum of the drop counters */
};

/* -a: one process image's share of a collect. */
struct lt_proc_sum {
	uint32_t tgid, epoch;
	struct lt_totals totals;	/* its outstanding memory (counters: global) */
	double growth;		/* bytes/s of its suspects */
	int nsuspects;
	int64_t suspect_bytes;
	int64_t mmap_bytes, mmap_allocs; /* of totals: anonymous mmaps (C runtime's
					  * own too once the process is gone) */
};

/*
 * Tells who made an mmap from `caller`. The C runtime's own maps (the
 * dynamic loader's startup maps, libc's cached thread stacks) are real
 * memory, but no allocation of the program's. CPython's own maps are
 * pymalloc's arenas, which hold the small objects: the line that happened to
 * need a new arena is not the one that holds its memory (growth.md). Both
 * are left out of the stacks and counted apart in the totals.
 */
enum lt_mmap_class {
	LT_MMAP_PROGRAM = 0,
	LT_MMAP_RUNTIME,
	LT_MMAP_ARENA,
};

extern const char *const lt_kind_names[LT_KIND_MAX];
extern const char *const lt_counter_names[LT_CNT_MAX];

#endif
