/* SPDX-License-Identifier: MIT */
/*
 * --max-overhead: what the probes cost the target, and thinning when that
 * passes the budget. The cost of a probe hit is its BPF run time (bpf_stats)
 * plus the trap, calibrated at start on a child that calls malloc/free.
 */
#ifndef LT_BUDGET_H
#define LT_BUDGET_H

#include <stdbool.h>

struct loader;

/* What the report says about the budget. */
struct lt_budget_info {
	bool on;		/* a budget is enforced */
	double budget_pct;	/* --max-overhead */
	double trap_ns;		/* calibrated cost of one probe trap */
	double overhead_pct;	/* estimated slowdown of the target, last window */
	double full_pct;	/* the same with every probe on */
	double duty;		/* share of time allocation probes are on (1: always) */
	double free_duty;	/* share of time free probes are on */
	double thinned_s;	/* time allocation probes were off so far */
};

struct budget;

/* Enable bpf_stats and calibrate the trap cost with a child process that
 * calls libc_path's malloc and free. 0 or -errno. */
int budget_new(struct loader *ld, const char *libc_path, double budget_pct, int pid,
	       struct budget **out);
/* Called every tick: measures once a second, duty-cycles the allocation
 * probes when the estimate passes the budget. now: seconds since start. */
void budget_tick(struct budget *b, double now);
const struct lt_budget_info *budget_info(const struct budget *b);
/* The allocation probes were on at some time after t (or no budget). */
bool budget_allocs_seen_since(const struct budget *b, double t);
void budget_free(struct budget *b);

#endif
