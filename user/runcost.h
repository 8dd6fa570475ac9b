/* SPDX-License-Identifier: MIT */
/*
 * The probes' cost over the whole run, against the CPU time the run took:
 * what a user who times the target from outside sees, its start (every probe
 * on until the first verdict) included, where a window's estimate says what
 * the probes cost now. Direct costs are summed as they are and scaled by the
 * factor as last measured (probecost.h): it is this CPU's, and the first
 * windows run before it is known. -a keeps a sum per busy process.
 */
#ifndef LT_RUNCOST_H
#define LT_RUNCOST_H

#include "hmap.h"
#include "probecost.h"

struct runcost {
	double cpu_ns;			/* the target's (-a: the host's) */
	struct lt_cost cost;
	struct hmap procs;		/* -a: struct run_proc by pid */
	unsigned int windows;
};

void runcost_init(struct runcost *rc);
/* One window's CPU time and its probes' direct cost, of the target (pid 0)
 * or, -a, of process pid. */
void runcost_add(struct runcost *rc, int pid, double cpu_ns, struct lt_cost direct);
/* A window ends: processes not seen for a while are forgotten. */
void runcost_window_end(struct runcost *rc);
/* The probes' share of the time the rest of the target's (pid 0) or
 * process pid's work took, in %, since the start; < 0 if not known. */
double runcost_pct(const struct runcost *rc, int pid, double factor);
void runcost_free(struct runcost *rc);

#endif
