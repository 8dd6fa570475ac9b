/* SPDX-License-Identifier: MIT */
/*
 * --max-overhead: what the probes cost the target, and thinning when that
 * passes the budget. The cost of a probe hit is its BPF run time (bpf_stats)
 * plus the trap, calibrated at start on a child that calls malloc/free.
 */
#ifndef LT_BUDGET_H
#define LT_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loader;

/* What the report says about the budget. */
struct lt_budget_info {
	bool on;		/* a budget is enforced */
	double budget_pct;	/* --max-overhead */
	double trap_ns;		/* calibrated cost of an entry probe's trap */
	double ret_trap_ns;	/* and of a return probe's */
	double cost_factor;	/* what a probe costs the target over its direct cost */
	bool cost_measured;	/* that factor read off the target, not assumed (1) */
	double overhead_pct;	/* estimated slowdown of the target, last window */
	double full_pct;	/* the same with every probe on */
	double run_pct;		/* the same since the start (runcost.h); < 0: not known */
	double duty;		/* share of time allocation probes are on (1: always) */
	double free_duty;	/* share of time free probes are on */
	double drain;		/* frees thinned: the last drain's length, in on-phases */
	double drain_survivors;	/* and the share of its on-phase's blocks still held */
	double thinned_s;	/* time allocation probes were off so far */
	int hot_pid;		/* -a: the process whose load set the duties (0: none) */
};

/* -a: one process's load over the last window (budget_set_loads()). */
struct lt_proc_load {
	int pid;
	double cpu_ns;			/* its CPU time */
	uint64_t alloc_runs, free_runs;	/* its allocation and free probe hits */
};
/* Fills *out (owned by the callee) with every process's load since the
 * last call; returns how many. */
typedef size_t (*lt_loads_fn)(void *arg, struct lt_proc_load **out);
/* One process's allocation and free probe hits so far. 0 or -errno. */
typedef int (*lt_hits_fn)(void *arg, int pid, uint64_t *alloc_hits, uint64_t *free_hits);

struct budget;

/* Enable bpf_stats and calibrate the trap cost with a child process that
 * calls libc_path's malloc and free. 0 or -errno. */
int budget_new(struct loader *ld, const char *libc_path, double budget_pct, int pid,
	       struct budget **out);
/* Called every tick: measures once a second, duty-cycles the allocation
 * probes when the estimate passes the budget. now: seconds since start. */
void budget_tick(struct budget *b, double now);
/* How long the run loop may wait before the next tick (at most max_ms):
 * a thinned duty cycle's switches come on time. */
int budget_wait_ms(const struct budget *b, double now, int max_ms);
/* -a: also hold each process's own overhead to the budget, not only the
 * host's: the duties are those its most loaded process needs. */
void budget_set_loads(struct budget *b, lt_loads_fn fn, lt_hits_fn hits, void *arg);
const struct lt_budget_info *budget_info(const struct budget *b);
/* utime + stime of process pid (0: the host's busy time), in clock ticks;
 * 0 once it is gone. */
uint64_t budget_cpu_ticks(int pid);
/* A report taken now compares with the ones before: probes not thinned (or
 * no budget), or the last tick reached the cycle's report point. */
bool budget_at_report_point(const struct budget *b);
/* A report is due, since_last seconds after the last one: after the interval;
 * while thinned, at the report point of a cycle (see budget_tick()), the
 * first one the interval ends in (or nearly). */
bool budget_report_due(const struct budget *b, double since_last, double interval);
/* The probes' cost to process pid since the start, in % of the time its
 * own work took (runcost.h): the target's, or with -a any busy process's;
 * < 0 if not known (no budget). */
double budget_run_pct(const struct budget *b, int pid);
/* The run is ending and waits for a last report point: cycles go on with
 * the duties as judged, which the final report shows. The longest wait, in
 * seconds (a cycle; 0: no budget). */
double budget_finish_s(struct budget *b);
/* The allocation probes were on at some time after t (or no budget). */
bool budget_allocs_seen_since(const struct budget *b, double t);
void budget_free(struct budget *b);

#endif
