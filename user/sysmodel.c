// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aggregate.h"
#include "budget.h"
#include "model_build.h"
#include "procs.h"
#include "python.h"
#include "sysmodel.h"

/* rc and ri as they are for process p alone. */
static void narrow(struct report_sys *rs, struct lt_pstate *p, struct report_ctx *rc,
		   struct report_info *ri)
{
	rc->sym = procs_symbolizer(rs->ps, p);
	rc->py = &p->py;
	ri->pid = p->tgid;
	ri->comm = p->comm;
	ri->target_exited = p->gone;
	ri->python[0] = '\0';
	ri->python_unsupported = p->py_unsupported;
	ri->python_lto = ri->python_lite = false;
	if (p->py) {
		snprintf(ri->python, sizeof(ri->python), "%s", python_version(p->py));
		ri->python_lite = !strcmp(ri->mode, "lite") && !python_uses_libc_malloc(p->py);
		ri->python_lto = python_lto_stripped(p->py) && !python_uses_libc_malloc(p->py);
	}
}

/* p's model, through the aggregate's view of it alone. */
static int proc_model(struct report_sys *rs, struct report_ctx *rc, struct lt_pstate *p,
		      const struct lt_proc_sum *s, bool all, struct lt_sys_proc *sp)
{
	struct report_info bri;
	int err;

	narrow(rs, p, rc, &sp->ri);
	err = aggregate_view(rc->agg, s);
	if (err)
		return err;
	bri = sp->ri; /* a text report shows few stacks of each */
	bri.top = bri.top < LT_STACKS_PER_PROC ? bri.top : LT_STACKS_PER_PROC;
	err = model_build(rc, &bri, all, &sp->m);
	sp->has_model = !err;
	aggregate_view(rc->agg, NULL);
	return err;
}

int sys_model_build(struct report_sys *rs, struct report_ctx *rc, const struct report_info *ri,
		    bool all, struct lt_sys_model *sm)
{
	size_t n, np;
	struct lt_proc_sum *sums = aggregate_procs(rc->agg, &n);
	struct lt_pstate **ps = procs_list(rs->ps, &np);
	size_t shown = 0;
	int err = 0;

	memset(sm, 0, sizeof(*sm));
	sm->totals = *aggregate_totals(rc->agg);
	sm->live = procs_live(rs->ps);
	sm->images = np;
	for (size_t i = 0; i < np; i++)
		sm->ngone += ps[i]->gone && !ps[i]->reported;
	sm->exited = rs->exited;
	sm->nexited = rs->nexited;
	sm->procs = calloc(n ? n : 1, sizeof(*sm->procs));
	if (!sm->procs)
		return -ENOMEM;
	for (size_t i = 0; i < n && !err; i++) {
		struct lt_pstate *p = procs_find(rs->ps, sums[i].tgid, sums[i].epoch);
		struct lt_sys_proc *sp = &sm->procs[sm->nprocs];
		bool holds = sums[i].totals.allocs || sums[i].totals.fds_open;

		if (!p)
			continue;
		sm->nprocs++;
		sp->tgid = p->tgid;
		sp->epoch = p->epoch;
		sp->ppid = p->ppid;
		snprintf(sp->comm, sizeof(sp->comm), "%s", p->comm);
		snprintf(sp->cgroup, sizeof(sp->cgroup), "%s", p->cgroup);
		sp->gone = p->gone;
		sp->reported = p->reported;
		sp->lifetime_s = p->gone_s - p->seen_s;
		sp->probe_cost_pct = budget_run_pct(rc->budget, p->tgid);
		sp->sum = sums[i];
		sp->ri = *ri;
		if (all) {
			if (holds)
				err = proc_model(rs, rc, p, &sums[i], true, sp);
		} else if (!p->gone && sums[i].nsuspects && shown < (size_t)ri->top) {
			shown++;
			/* one it cannot narrow to is left out of the text */
			proc_model(rs, rc, p, &sums[i], false, sp);
		}
		sp->ri.comm = sp->comm;
	}
	return err;
}

void sys_model_free(struct lt_sys_model *sm)
{
	for (size_t i = 0; sm->procs && i < sm->nprocs; i++)
		model_free(&sm->procs[i].m);
	free(sm->procs);
	memset(sm, 0, sizeof(*sm));
}

static void remember_exit(struct report_sys *rs, const struct lt_pstate *p,
			  const struct lt_proc_sum *s)
{
	struct lt_exited *e;

	if (!rs->exited) {
		rs->exited = calloc(LT_EXITED_KEEP, sizeof(*rs->exited));
		if (!rs->exited)
			return;
	}
	e = &rs->exited[rs->nexited++ % LT_EXITED_KEEP];
	memset(e, 0, sizeof(*e));
	e->pid = p->tgid;
	snprintf(e->comm, sizeof(e->comm), "%s", p->comm);
	snprintf(e->cgroup, sizeof(e->cgroup), "%s", p->cgroup);
	e->lifetime_s = p->gone_s - p->seen_s;
	if (s) {
		e->bytes = s->totals.bytes;
		e->allocs = s->totals.allocs;
		e->nsuspects = s->nsuspects;
		e->mmap_bytes = s->mmap_bytes;
		e->mmap_allocs = s->mmap_allocs;
	}
}

/* The sum of p, if the last collect saw any of its memory. */
static const struct lt_proc_sum *sum_of(struct lt_proc_sum *sums, size_t n,
					const struct lt_pstate *p)
{
	for (size_t i = 0; i < n; i++)
		if (sums[i].tgid == p->tgid && sums[i].epoch == p->epoch)
			return &sums[i];
	return NULL;
}

void sys_model_reported(struct report_sys *rs, struct report_ctx *rc, struct lt_sys_model *sm)
{
	size_t n, np;
	struct lt_proc_sum *sums = aggregate_procs(rc->agg, &n);
	struct lt_pstate **ps = procs_list(rs->ps, &np);

	for (size_t i = 0; i < np; i++) {
		if (!ps[i]->gone || ps[i]->reported)
			continue;
		remember_exit(rs, ps[i], sum_of(sums, n, ps[i]));
		ps[i]->reported = true;
	}
	sm->exited = rs->exited;
	sm->nexited = rs->nexited;
	for (size_t i = 0; i < sm->nprocs; i++) {
		sm->procs[i].reported |= sm->procs[i].gone;
		if (sm->procs[i].has_model)
			model_mark_reported(&sm->procs[i].m);
	}
}
