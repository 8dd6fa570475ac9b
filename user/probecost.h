/* SPDX-License-Identifier: MIT */
/*
 * What the probes really cost a process, read off the process itself. A
 * probe hit costs its BPF run time, which bpf_stats measures, and its trap,
 * which is calibrated at start in a hot loop, where the trap's path is warm:
 * in the target the trap also meets cold caches and TLB, and disturbs the
 * target's own (branch predictors too). The free probes count its free calls
 * whether or not the allocation probes are on; per second of its CPU time it
 * makes fewer of them while they are on, and the drop is the share of its
 * time they take. That share less their BPF run time, over their traps'
 * calibrated cost, is the factor every trap is scaled by.
 */
#ifndef LT_PROBECOST_H
#define LT_PROBECOST_H

#include <stdint.h>

/* The most a trap is taken to cost over its calibrated cost. */
#define PROBECOST_MAX_FACTOR 5.0

enum pc_phase {
	PC_NONE,	/* switching, or nothing to compare */
	PC_ALLOC_FREE,	/* allocation and free probes on */
	PC_FREE_ONLY,	/* free probes on, allocation probes off (and detached) */
};

/* Probe hits' direct cost: their BPF run time, and their traps at their
 * calibrated cost. */
struct lt_cost {
	double run_ns, trap_ns;
};

/* What they cost the target, its traps scaled by factor k. */
static inline double lt_cost_at(struct lt_cost c, double k)
{
	return c.run_ns + k * c.trap_ns;
}

/* One process's counters at an instant. */
struct pc_snap {
	double cpu_ns;		/* its CPU time */
	double free_hits;	/* its free probe hits */
	struct lt_cost alloc;	/* its allocation probes' direct cost */
};

struct probecost {
	enum pc_phase phase;
	int pid;
	struct pc_snap at;	/* where the phase began */
	/* per phase, decayed sums: CPU time, free hits, direct cost */
	double af_cpu, af_free;
	struct lt_cost af;
	double f_cpu, f_free;
	double factor;		/* 0 until measured */
	unsigned int samples;	/* phases the factor stands on */
};

/* The process measured is pid; another one starts the sums anew (the
 * factor is kept: it is this CPU's more than the process's). */
void probecost_track(struct probecost *pc, int pid);
/* The probes are now in phase ph; s: the process's counters now. */
void probecost_phase(struct probecost *pc, enum pc_phase ph, const struct pc_snap *s);
/* The factor traps are scaled by: as measured, 1 until then. */
double probecost_factor(const struct probecost *pc);
/* A process's CPU time in ns, from its CPU clock; < 0 once it is gone. */
double probecost_cpu_ns(int pid);

#endif
