// SPDX-License-Identifier: MIT
/*
 * leaktrace -a: load the programs for every process -> calibrate lite
 * mode's budget (before any probe is on) -> attach the allocator probes to
 * the host's libc and the process tracepoints -> enter the running
 * processes -> report by process every interval, purging those gone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "leaktrace.h"
#include "leaktrace.skel.h"
#include "aggregate.h"
#include "budget.h"
#include "continuous.h"
#include "loader.h"
#include "log.h"
#include "mode.h"
#include "procfilter.h"
#include "proclinks.h"
#include "mmap_class.h"
#include "procs.h"
#include "python.h"
#include "report.h"
#include "report_sys.h"
#include "sysmodel.h"
#include "runloop.h"
#include "symbolize.h"
#include "sysmain.h"
#include "target.h"
#include "util.h"


/* -a's driver: the run loop's state first (host_of()). */
struct host {
	struct runloop rl;
	struct procs *ps;
	struct proclinks *pl;
	struct report_sys rs;
	struct lt_sys_model sm;	/* the final report's, for the JSON */
	double last_tick;
	char libc[4096];
};

/* An mmap by the program, the C runtime or CPython (its arenas). */
static enum lt_mmap_class classify(void *arg, const struct lt_site *s)
{
	struct host *h = arg;
	struct lt_pstate *p = procs_find(h->ps, s->tgid, s->epoch);
	uint64_t ips[LT_MAX_STACK_DEPTH + 1];
	int n;

	if (!p)
		return LT_MMAP_PROGRAM;
	n = aggregate_frames(h->rl.agg, loader_skel(h->rl.ld), s, ips, LT_MAX_STACK_DEPTH + 1);
	return mmap_class(procs_symbolizer(h->ps, p), ips, n,
			  s->all_allocs ? s->all_bytes / s->all_allocs : 0, p->py ? python_module_path(p->py) : NULL);
}

static bool alias_mmap(void *arg, const struct lt_agg_key *k, struct lt_site_key *out)
{
	struct host *h = arg;
	struct lt_pstate *p = procs_find(h->ps, k->tgid, k->epoch);
	struct leaktrace_bpf *skel = loader_skel(h->rl.ld);
	const struct lt_stack *st = p ? aggregate_stack(h->rl.agg, skel, k->stack_id) : NULL;

	/* only onto a stack that is there to print */
	return st && mmap_alias(procs_symbolizer(h->ps, p), st, true, out) &&
	       aggregate_stack(h->rl.agg, skel, out->stack_id);
}

static struct host *host_of(struct runloop *rl)
{
	return (struct host *)rl;
}

/* a bad --cgroup: said once, before any loading */
static int check(struct runloop *rl)
{
	return rl->env->cgroup ? procfilter_cgroup(rl->env->cgroup, &(struct lt_cgroup){}) : 0;
}

static void wait_events(struct runloop *rl, int timeout_ms)
{
	procs_poll(host_of(rl)->ps, timeout_ms, lt_now_s() - rl->start);
}

static void tick(struct runloop *rl, double elapsed)
{
	struct host *h = host_of(rl);

	if (elapsed - h->last_tick >= 0.1) {
		h->last_tick = elapsed;
		procs_tick(h->ps, elapsed);
	}
}

/* Continuous mode: each process holding memory, its profile of the period. */
static int periods(struct host *h)
{
	const struct lt_env *env = h->rl.env;
	double from, until;
	int err = 0;

	continuous_window(h->rl.cont, &from, &until);
	for (size_t i = 0; i < h->sm.nprocs && !err; i++) {
		const struct lt_sys_proc *sp = &h->sm.procs[i];
		struct lt_pstate *p = procs_find(h->ps, sp->tgid, sp->epoch);

		if (!p || !sp->has_model)
			continue;
		if (!p->labels && !(p->labels = calloc(1, sizeof(*p->labels))))
			return -ENOMEM;
		labels_update(p->labels, p->tgid, p->comm, env->service, env->hostname);
		err = continuous_profile(h->rl.cont, p->labels, &sp->m, &sp->ri, from, until);
	}
	return err;
}

static int report(struct runloop *rl, double elapsed)
{
	struct host *h = host_of(rl);
	struct report_ctx *rc = &rl->rc;
	struct leaktrace_bpf *skel = rc->skel;
	const struct lt_env *env = rl->env;
	int err;

	rl->ri.duration_s = elapsed;
	procs_reconcile(h->ps, lt_now_s() - rl->start);
	rc->now_s = lt_now_s() - rl->start;
	err = aggregate_collect(rc->agg, skel, (uint64_t)(rc->now_s * 1000),
				(uint64_t)(env->min_age * 1000), skel->data->bucket_ms);
	if (err) {
		elog("cannot read the BPF maps: %s\n", strerror(-err));
		return err;
	}
	/* the one model of this report: every stack's frames where continuous
	 * mode's profiles or the final JSON read them all */
	sys_model_free(&h->sm);
	err = sys_model_build(&h->rs, rc, &rl->ri, rl->cont || (rl->ri.final && rl->json_out),
			      &h->sm);
	if (err) {
		elog("cannot build the report: %s\n", strerror(-err));
		return err;
	}
	if (rl->cont) {
		err = periods(h);
		if (err)
			return err;
	}
	report_sys_text(rl->text, &h->sm, &rl->ri);
	sys_model_reported(&h->rs, rc, &h->sm);
	aggregate_mark_reported(rc->agg);
	if (!rl->ri.final) { /* the final report keeps them for the JSON */
		sys_model_free(&h->sm); /* its strings go with the purged */
		procs_purge(h->ps, rc->agg);
	}
	return 0;
}

/* CPython in processes started just now */
static void last(struct runloop *rl, double elapsed)
{
	procs_tick(host_of(rl)->ps, elapsed + 1);
}

static int json(struct runloop *rl, FILE *f)
{
	/* the final report's model, as that report left it */
	return report_sys_json(f, &host_of(rl)->sm, &rl->ri);
}

static void release(struct runloop *rl)
{
	struct host *h = host_of(rl);

	sys_model_free(&h->sm);
	procs_free(h->ps);
	proclinks_free(h->pl);
	free(h->rs.exited);
}

static const struct runloop_driver host_driver = {
	.check = check,
	.wait = wait_events,
	.tick = tick,
	.report = report,
	.last = last,
	.json = json,
	.release = release,
};

/* Load, calibrate, attach, enter the running processes, then the loop. */
static int start(struct host *h)
{
	struct runloop *rl = &h->rl;
	const struct lt_env *env = rl->env;
	int err;

	/* the host's libc; containers' own are probed as their processes appear */
	err = loader_find_libc(getpid(), h->libc, sizeof(h->libc));
	if (err) {
		elog("cannot find the C library leaktrace runs with: %s\n", strerror(-err));
		return err;
	}
	mode_init(&rl->mode, env, h->libc, &rl->ri);
	if (!mode_is_lite(&rl->mode))
		wlog("-a in %s mode: every process on the host pays ~%s us per allocation and "
		     "free, and CPython processes far more; lite mode is the default for a reason\n",
		     rl->ri.mode, env->sample_bytes ? "0.8" : "1.3");
	err = loader_open(env, 0, &rl->ld);
	if (err)
		return err;
	/* calibrated before any probe is on: the child must run untraced first */
	mode_start_budget(&rl->mode, env, rl->ld, &rl->ri, 0);
	/* before the probes too: it builds the running processes' unwind
	 * tables, which is slow once our own mallocs trap into them */
	/* a filter: probes in the chosen processes alone, each its own */
	if (procfilter_any(env)) {
		err = proclinks_new(rl->ld, h->libc, &h->pl);
		if (err)
			return err;
	}
	err = procs_new(env, rl->ld, h->pl, mode_is_lite(&rl->mode), &h->ps);
	err = err ?: loader_attach_procs(rl->ld) ?: loader_attach(rl->ld, h->pl ? NULL : h->libc);
	if (!err && env->fds)
		err = loader_attach_fds(rl->ld);
	err = err ?: aggregate_new(&rl->agg);
	if (err)
		return err;
	aggregate_set_mmap_fns(rl->agg, classify, alias_mmap, h);
	budget_set_loads(rl->mode.budget, procs_loads, procs_hits, h->ps); /* each process within budget too */

	runloop_catch_signals(false);
	rl->start = rl->last_report = loader_start_clock(rl->ld);
	err = procs_scan(h->ps, 0);
	if (err) {
		elog("cannot list processes: %s\n", strerror(-err));
		return err;
	}
	if (lt_verbosity >= 0)
		fprintf(stderr, "leaktrace: tracing %zu processes and those started from now on, "
			"%s mode; %s\n", procs_live(h->ps), rl->ri.mode,
			env->duration ? "stops after -d" : "Ctrl-C to stop");
	h->rs.ps = h->ps;
	return 0;
}

int sys_main(const struct lt_env *env)
{
	struct host h = {};
	int err, exit_code = 1;

	err = runloop_open(&h.rl, &host_driver, env);
	err = err ?: start(&h);
	if (!err)
		exit_code = runloop_run(&h.rl);
	runloop_free(&h.rl);
	return exit_code;
}
