/* SPDX-License-Identifier: MIT */
/*
 * What reports are made of, apart from how it is collected: the totals of a
 * collect, one process image's share of it (-a), who made an mmap, the names
 * of the allocators and counters, and a report's model: its stacks with
 * their frames symbolized once, suspects, descriptors, objects and RSS, as
 * plain data. model_build.h fills it from the collect; renderers and
 * exporters read only this, never aggregate.h or the skeleton, so printing
 * does no I/O of its own.
 */
#ifndef LT_MODEL_H
#define LT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "leaktrace.h"
#include "python.h"
#include "site.h"
#include "symbolize.h"

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

/* native frames and the calls inlined in them, then Python frames */
#define LT_MAX_FRAMES (2 * LT_MAX_STACK_DEPTH + LT_MAX_PY_DEPTH + 1)

struct lt_out_frame {
	bool python;
	struct lt_frame n;	/* native: function, module, offsets, mapping, file:line */
	struct py_frame_info p;	/* python: function (qualname), file, line */
};

/* One stack of a report. Frames (leaf first, from the allocator's caller)
 * are only there for the stacks a report shows: every one, or the top. */
struct lt_model_stack {
	struct lt_site site;	/* as collected: bytes, growth, suspect... */
	const char *allocator;
	double oldest_age_s;
	bool truncated;		/* native stack deeper than LT_MAX_STACK_DEPTH */
	bool heuristic;		/* a frame pointer followed without CFI */
	bool py_truncated;	/* Python stack deeper than LT_MAX_PY_DEPTH */
	bool has_frames;
	int nframes;
	struct lt_out_frame *frames;	/* strings: the symbolizer's and python's */
};

/* --objects: one GC type, its name and top line read from the target. */
struct lt_model_obj {
	char type[128];
	int64_t live, growth;
	uint64_t created;
	bool has_top;		/* top line known */
	struct py_frame_info top;
	int64_t top_live;
};

/* --rss: one stack that first wrote pages still resident. */
struct lt_model_rss_stack {
	int64_t bytes, pages, growth;
	uint64_t faulted, faults;
	bool kernel;		/* written by the kernel (a syscall) */
	bool stack_lost;
	int nframes;		/* 0 where not shown */
	struct lt_out_frame *frames;
};

/* --rss: outstanding large allocations of one stack, partly never touched. */
struct lt_model_untouched {
	uint64_t untouched, bytes;
	int64_t allocs;
	const char *allocator;
	int nframes;
	struct lt_out_frame *frames;
};

struct lt_model_rss {
	int64_t resident, pages, growth;
	uint64_t faulted;
	uint64_t counters[LT_RSS_CNT_MAX];
	struct lt_model_rss_stack *stacks;	/* resident ones, by bytes */
	size_t nstacks;
	bool have_pages;	/* the target's pages were read: untouched known */
	int64_t ut_allocs;
	uint64_t ut_bytes, ut_untouched;
	uint64_t anon_size, anon_rss;
	struct lt_model_untouched *ut;		/* by untouched bytes */
	size_t nut;
};

/* A report's data, built once per report (model_build()). */
struct lt_model {
	struct lt_totals totals;
	struct lt_model_stack *stacks;		/* outstanding, by bytes */
	size_t nstacks;
	struct lt_model_stack **suspects;	/* into stacks, by growth rate */
	size_t nsuspects;
	struct lt_model_stack *fds;		/* --fds: most open first */
	size_t nfds;
	bool have_objects;			/* --objects in a Python target */
	struct lt_model_obj *objs;		/* by growth, then live */
	size_t nobjs;
	struct lt_model_rss *rss;		/* --rss, or NULL */
};

void model_free(struct lt_model *m);
/* m as it reads once its report is marked reported, as the aggregate's
 * sites are (aggregate_mark_reported()): no growth since. The final JSON
 * reads the final report's model so, not symbolized again. */
void model_mark_reported(struct lt_model *m);

extern const char *const lt_kind_names[LT_KIND_MAX];
extern const char *const lt_counter_names[LT_CNT_MAX];

#endif
