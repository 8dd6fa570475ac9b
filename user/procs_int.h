/* SPDX-License-Identifier: MIT */
/* The insides of procs, shared by procs.c (the images: events, CPython,
 * loads) and procs_stacks.c (which image owns each stack; the purge). */
#ifndef LT_PROCS_INT_H
#define LT_PROCS_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "hmap.h"
#include "procfilter.h"
#include "procs.h"

#define NBUCKETS 4096

/* A file by identity: a module probed once for every process mapping it. */
struct file_id {
	dev_t dev;
	ino_t ino;
};

struct file_set {
	struct file_id *v;
	size_t n, cap;
};

/* lt_stacks key -> owner image (0: owner not read yet) */
struct stack_own {
	uint64_t id;
	uint64_t proc;
};

struct procs {
	const struct lt_env *env;
	struct lt_proc_load *loads;
	size_t loads_cap;
	long clk_tck;
	struct loader *ld;
	struct proclinks *pl;		/* per-process links (a filter); NULL: global */
	struct leaktrace_bpf *skel;
	bool lite;
	struct lt_cgroup cg;
	bool has_cg;
	struct lt_pstate *buckets[NBUCKETS];
	size_t n, nlive;
	struct lt_pstate **list;
	size_t list_cap;
	struct ring_buffer *rb;
	double now;
	struct file_set pythons, not_python;
	/* executables found to be a CPython that cannot be read, and why:
	 * each of their processes says so in the reports */
	struct file_set unsupported;
	char **unsupported_why;
	struct hmap stacks;		/* of stack_own, by id */
	uint64_t newstacks_lost;	/* LT_CNT_NEWSTACKS_LOST at the last catch-up */
	double caught_up_s;
	struct unwind_maps *uw;		/* each process's code for the CFI walker */
};

static inline uint64_t proc_key(uint32_t tgid, uint32_t epoch)
{
	return (uint64_t)tgid << 32 | epoch;
}

/* Free one image's state (not unlinked). */
void procs_pstate_free(struct lt_pstate *p);
/* Learn the owner of every stack not seen before (procs_stacks.c). */
void procs_learn_stacks(struct procs *ps);

#endif
