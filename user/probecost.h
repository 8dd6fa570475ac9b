/* SPDX-License-Identifier: MIT */
/*
 * What the allocation probes really cost a process, read off the process
 * itself. The free probes count its free calls whether or not the
 * allocation probes are on; per second of its CPU time it makes fewer of
 * them while they are on, and the drop is the share of its time they take:
 * traps, BPF and all they disturb (caches, TLB, branch predictors) together,
 * as this CPU charges it. Divided by their direct cost (BPF run time plus
 * calibrated traps) it gives the factor every direct cost is scaled by.
 */
#ifndef LT_PROBECOST_H
#define LT_PROBECOST_H

#include <stdint.h>

/* The most a probe is taken to cost over its direct cost. */
#define PROBECOST_MAX_FACTOR 5.0

enum pc_phase {
	PC_NONE,	/* switching, or nothing to compare */
	PC_ALLOC_FREE,	/* allocation and free probes on */
	PC_FREE_ONLY,	/* free probes on, allocation probes off (and detached) */
};

/* One process's counters at an instant. */
struct pc_snap {
	double cpu_ns;		/* its CPU time */
	double free_hits;	/* its free probe hits */
	double alloc_direct_ns;	/* its allocation probes' direct cost */
};

struct probecost {
	enum pc_phase phase;
	int pid;
	struct pc_snap at;	/* where the phase began */
	/* per phase, decayed sums: CPU time, free hits, direct cost */
	double af_cpu, af_free, af_direct;
	double f_cpu, f_free;
	double factor;		/* 0 until measured */
	unsigned int samples;	/* phases the factor stands on */
};

/* The process measured is pid; another one starts the sums anew (the
 * factor is kept: it is this CPU's more than the process's). */
void probecost_track(struct probecost *pc, int pid);
/* The probes are now in phase ph; s: the process's counters now. */
void probecost_phase(struct probecost *pc, enum pc_phase ph, const struct pc_snap *s);
/* The factor direct costs are scaled by: as measured, 1 until then. */
double probecost_factor(const struct probecost *pc);
/* A process's CPU time in ns, from its CPU clock; < 0 once it is gone. */
double probecost_cpu_ns(int pid);

#endif
