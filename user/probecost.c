// SPDX-License-Identifier: MIT
#include <math.h>
#include <string.h>
#include <time.h>
#include "probecost.h"

#define DECAY 0.8		/* per phase: the last ~10 phases count */
#define MIN_PHASE_NS 5e6	/* shorter ones are mostly their edges (a detach winds down first) */
#define MIN_CPU_NS 100e6	/* of each phase kind, before a factor is taken */
#define MIN_FREES 1000
#define MIN_SHARE 0.01		/* direct share below which the drop is noise */
#define MIN_FACTOR 0.5

double probecost_cpu_ns(int pid)
{
	struct timespec ts;
	clockid_t clk;

	if (clock_getcpuclockid(pid, &clk) || clock_gettime(clk, &ts))
		return -1;
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

void probecost_track(struct probecost *pc, int pid)
{
	double factor = pc->factor;
	unsigned int samples = pc->samples;

	if (pid == pc->pid)
		return;
	memset(pc, 0, sizeof(*pc));
	pc->pid = pid;
	pc->factor = factor;
	pc->samples = samples;
}

static void update(struct probecost *pc)
{
	double r_af, r_f, share;

	if (pc->af_cpu < MIN_CPU_NS || pc->f_cpu < MIN_CPU_NS || pc->f_free < MIN_FREES ||
	    pc->af_free < MIN_FREES || pc->af.trap_ns <= 0)
		return;
	if ((pc->af.run_ns + pc->af.trap_ns) / pc->af_cpu < MIN_SHARE)
		return;
	r_af = pc->af_free / pc->af_cpu;
	r_f = pc->f_free / pc->f_cpu;
	share = 1 - r_af / r_f; /* of the time with both on, the allocation probes' */
	pc->factor = fmin(fmax((share * pc->af_cpu - pc->af.run_ns) / pc->af.trap_ns, MIN_FACTOR),
			  PROBECOST_MAX_FACTOR);
	pc->samples++;
}

void probecost_phase(struct probecost *pc, enum pc_phase ph, const struct pc_snap *s)
{
	double cpu = s->cpu_ns - pc->at.cpu_ns, frees = s->free_hits - pc->at.free_hits;
	struct lt_cost d = { s->alloc.run_ns - pc->at.alloc.run_ns,
			     s->alloc.trap_ns - pc->at.alloc.trap_ns };

	if (ph == pc->phase)
		return;
	/* a phase with counters that went back (a pid reused, a reset) is dropped */
	if (pc->phase != PC_NONE && cpu >= MIN_PHASE_NS && frees >= 0 && d.run_ns >= 0 &&
	    d.trap_ns >= 0) {
		if (pc->phase == PC_ALLOC_FREE) {
			pc->af_cpu = pc->af_cpu * DECAY + cpu;
			pc->af_free = pc->af_free * DECAY + frees;
			pc->af.run_ns = pc->af.run_ns * DECAY + d.run_ns;
			pc->af.trap_ns = pc->af.trap_ns * DECAY + d.trap_ns;
		} else {
			pc->f_cpu = pc->f_cpu * DECAY + cpu;
			pc->f_free = pc->f_free * DECAY + frees;
		}
		update(pc);
	}
	pc->phase = ph;
	pc->at = *s;
}

double probecost_factor(const struct probecost *pc)
{
	return pc->factor > 0 ? pc->factor : 1;
}
