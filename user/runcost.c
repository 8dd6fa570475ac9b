// SPDX-License-Identifier: MIT
#include <math.h>
#include "runcost.h"
#include "util.h"

#define FORGET_WINDOWS 60	/* a process idle this many windows is dropped */

struct run_proc {
	int pid;		/* the key */
	unsigned int seen;	/* the last window it ran in */
	double cpu_ns;
	struct lt_cost cost;
};

void runcost_init(struct runcost *rc)
{
	*rc = (struct runcost){};
	hmap_init(&rc->procs, sizeof(struct run_proc), sizeof(int), 16);
}

static void add(double *cpu, struct lt_cost *cost, double cpu_ns, struct lt_cost direct)
{
	*cpu += cpu_ns;
	cost->run_ns += direct.run_ns;
	cost->trap_ns += direct.trap_ns;
}

void runcost_add(struct runcost *rc, int pid, double cpu_ns, struct lt_cost direct)
{
	struct run_proc *p;

	if (!pid) {
		add(&rc->cpu_ns, &rc->cost, cpu_ns, direct);
		return;
	}
	if (hmap_get(&rc->procs, lt_mix64(pid), &pid, (void **)&p) < 0)
		return; /* no memory: that process's run figure is not given */
	p->seen = rc->windows;
	add(&p->cpu_ns, &p->cost, cpu_ns, direct);
}

static bool recent(void *ent, void *arg)
{
	const struct run_proc *p = ent;
	const struct runcost *rc = arg;

	return rc->windows - p->seen < FORGET_WINDOWS;
}

void runcost_window_end(struct runcost *rc)
{
	rc->windows++;
	if (rc->procs.n && rc->windows % FORGET_WINDOWS == 0)
		hmap_retain(&rc->procs, recent, rc);
}

double runcost_pct(const struct runcost *rc, int pid, double factor)
{
	const struct run_proc *p = pid ? hmap_find(&rc->procs, lt_mix64(pid), &pid) : NULL;
	double cpu = p ? p->cpu_ns : rc->cpu_ns, cost = lt_cost_at(p ? p->cost : rc->cost, factor);

	if (pid && !p)
		return -1;
	if (cpu <= 0)
		return -1;
	/* as a window's judgment does: the probes cannot take all of it */
	return cost / fmax(cpu - cost, cpu * 0.05) * 100;
}

void runcost_free(struct runcost *rc)
{
	hmap_free(&rc->procs);
}
