/* SPDX-License-Identifier: MIT */
/*
 * -a: the traced processes. Each process image (tgid, exec epoch) gets its
 * state when the BPF side announces it (fork, exec) or the start-up scan
 * finds it: its name and cgroup, its CPython (found once its code is mapped,
 * and handed to the BPF frame walker), a symbolizer when a report needs
 * one. An image that exits or execs is reported once as gone; then its
 * allocations, aggregates and stacks are deleted from the maps and its
 * state freed, so the tracer stays bounded however many processes come and
 * go.
 */
#ifndef LT_PROCS_H
#define LT_PROCS_H

#include <stdbool.h>
#include <stdint.h>
#include "continuous.h"
#include "env.h"

struct loader;
struct aggregate;
struct python;
struct symbolizer;

struct lt_pstate {
	uint32_t tgid, epoch, ppid;
	char comm[16];
	char cgroup[256];	/* cgroup v2 path when first seen */
	double seen_s;		/* first seen, seconds since start */
	double dirty_s;		/* code mapped since the last look (0: none) */
	struct python *py;	/* its CPython, once found */
	char *py_unsupported;	/* a CPython it cannot read: why */
	bool py_done;		/* found, or not a (supported) CPython */
	struct symbolizer *sym;	/* made on demand (procs_symbolizer()) */
	bool gone;		/* exited or exec'd */
	bool reported;		/* reported gone: purged next */
	double gone_s;
	struct lt_labels *labels; /* continuous mode */
	uint64_t load_base[3];	/* alloc hits, free hits, CPU ticks at the last window */
	struct lt_pstate *next;
};

struct procs;

/* lite: no CPython allocator probes (exact mode attaches them per module). */
struct proclinks;
/* pl: per-process links (proclinks.h) where a filter chooses the processes,
 * NULL for probes in every process. */
int procs_new(const struct lt_env *env, struct loader *ld, struct proclinks *pl, bool lite,
	      struct procs **out);
void procs_free(struct procs *ps);
/* Enter the running processes that pass the filters (after the process
 * tracepoints are attached, so none slips between). 0 or -errno. */
int procs_scan(struct procs *ps, double now);
/* Wait up to timeout_ms for process events and new Python stacks. */
void procs_poll(struct procs *ps, int timeout_ms, double now);
/* Find CPython in processes that mapped code lately; catch up on stacks. */
void procs_tick(struct procs *ps, double now);
/* Every image known, live and gone-but-not-yet-purged. */
struct lt_pstate **procs_list(struct procs *ps, size_t *n);
struct lt_pstate *procs_find(struct procs *ps, uint32_t tgid, uint32_t epoch);
/* Its symbolizer, made now if it has none (NULL if it is gone unseen). */
struct symbolizer *procs_symbolizer(struct procs *ps, struct lt_pstate *p);
/* Check against lt_procs for events the ring lost (once a report). */
void procs_reconcile(struct procs *ps, double now);
/* Delete what the images reported gone left in the maps and free them.
 * Returns how many were freed. */
int procs_purge(struct procs *ps, struct aggregate *agg);
/* Live images. */
size_t procs_live(const struct procs *ps);
/* The budget's per-process loads (lt_loads_fn): each live image's probe
 * hits and CPU time since the last call. */
struct lt_proc_load;
size_t procs_loads(void *ps, struct lt_proc_load **out);
/* One process's probe hits so far (lt_hits_fn). 0 or -ESRCH. */
int procs_hits(void *ps, int pid, uint64_t *alloc_hits, uint64_t *free_hits);

#endif
