// SPDX-License-Identifier: MIT
/*
 * leaktrace -a: load the programs for every process -> calibrate lite
 * mode's budget (before any probe is on) -> attach the allocator probes to
 * the host's libc and the process tracepoints -> enter the running
 * processes -> report by process every interval, purging those gone.
 */
#include <errno.h>
#include <signal.h>
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
#include "output.h"
#include "procfilter.h"
#include "proclinks.h"
#include "procs.h"
#include "python.h"
#include "report.h"
#include "report_sys.h"
#include "symbolize.h"
#include "sysmain.h"
#include "termsafe.h"
#include "target.h"
#include "util.h"

#define TICK_MS 50

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* An mmap by the C runtime or by CPython (its arenas), from the caller's
 * module in that process's maps. */
static enum lt_mmap_class classify(void *arg, const struct lt_site *s)
{
	struct procs *ps = arg;
	struct lt_pstate *p = procs_find(ps, s->tgid, s->epoch);
	const char *mod;

	if (!p)
		return LT_MMAP_PROGRAM;
	mod = symbolizer_module(procs_symbolizer(ps, p), s->caller);
	if (!mod)
		return LT_MMAP_PROGRAM;
	if (loader_is_runtime_module(mod))
		return LT_MMAP_RUNTIME;
	if (p->py && !strcmp(mod, python_module_path(p->py)))
		return LT_MMAP_ARENA;
	return LT_MMAP_PROGRAM;
}

struct period {
	struct continuous *cont;
	const struct lt_env *env;
	double from, until;
};

static int period_proc(void *arg, struct lt_pstate *p, struct report_ctx *rc,
		       struct report_info *ri)
{
	struct period *pd = arg;

	if (!p->labels && !(p->labels = calloc(1, sizeof(*p->labels))))
		return -ENOMEM;
	labels_update(p->labels, p->tgid, p->comm, pd->env->service, pd->env->hostname);
	return continuous_profile(pd->cont, p->labels, rc, ri, pd->from, pd->until);
}

static int report(struct report_sys *rs, struct report_ctx *rc, struct report_info *ri,
		  const struct lt_env *env, double t0, FILE *text, struct continuous *cont)
{
	struct leaktrace_bpf *skel = rc->skel;
	int err;

	procs_reconcile(rs->ps, lt_now_s() - t0);
	rc->now_s = lt_now_s() - t0;
	err = aggregate_collect(rc->agg, skel, (uint64_t)(rc->now_s * 1000),
				(uint64_t)(env->min_age * 1000), skel->data->bucket_ms);
	if (err) {
		elog("cannot read the BPF maps: %s\n", strerror(-err));
		return err;
	}
	if (cont) {
		struct period pd = { .cont = cont, .env = env };

		continuous_window(cont, &pd.from, &pd.until);
		err = report_sys_each(rs, rc, ri, period_proc, &pd);
		if (err)
			return err;
	}
	report_sys_text(text, rs, rc, ri);
	aggregate_mark_reported(rc->agg);
	return 0;
}

int sys_main(const struct lt_env *env)
{
	struct loader *ld = NULL;
	struct aggregate *agg = NULL;
	struct procs *ps = NULL;
	struct proclinks *pl = NULL;
	struct output *json_out = NULL;
	struct continuous *cont = NULL;
	struct run_mode mode = {};
	struct report_info ri = { .mode = "lite", .exit_s = -1 };
	struct report_ctx rc = {};
	struct report_sys rs = {};
	struct sigaction sa = { .sa_handler = on_signal };
	char libc[4096];
	double start, last_report, last_tick = 0, elapsed;
	FILE *text = stdout;
	int err, exit_code = 1;

	if (env->json_path && !strcmp(env->json_path, "-"))
		text = stderr;
	text = termsafe_open(text);
	err = preflight_check();
	if (!err && env->cgroup) /* a bad --cgroup: said once, before any loading */
		err = procfilter_cgroup(env->cgroup, &(struct lt_cgroup){});
	if (!err && env->json_path)
		err = output_open(env->json_path, &json_out);
	if (!err && env->continuous)
		err = continuous_new(env, &cont);
	if (err)
		goto cleanup;
	/* the host's libc; containers' own are probed as their processes appear */
	err = loader_find_libc(getpid(), libc, sizeof(libc));
	if (err) {
		elog("cannot find the C library leaktrace runs with: %s\n", strerror(-err));
		goto cleanup;
	}
	mode_init(&mode, env, libc, &ri);
	if (!mode_is_lite(&mode))
		wlog("-a in %s mode: every process on the host pays ~%s us per allocation and "
		     "free, and CPython processes far more; lite mode is the default for a reason\n",
		     ri.mode, env->sample_bytes ? "0.8" : "1.3");
	err = loader_open(env, 0, &ld);
	if (err)
		goto cleanup;
	/* calibrated before any probe is on: the child must run untraced first */
	mode_start_budget(&mode, env, ld, &ri, 0);
	/* before the probes too: it builds the running processes' unwind
	 * tables, which is slow once our own mallocs trap into them */
	/* a filter: probes in the chosen processes alone, each its own */
	if (procfilter_any(env)) {
		err = proclinks_new(ld, libc, &pl);
		if (err)
			goto cleanup;
	}
	err = procs_new(env, ld, pl, mode_is_lite(&mode), &ps);
	err = err ?: loader_attach_procs(ld) ?: loader_attach(ld, pl ? NULL : libc);
	if (!err && env->fds)
		err = loader_attach_fds(ld);
	err = err ?: aggregate_new(&agg);
	if (err)
		goto cleanup;
	aggregate_set_runtime_fn(agg, classify, ps);
	budget_set_loads(mode.budget, procs_loads, procs_hits, ps); /* each process within budget too */

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	start = last_report = loader_start_clock(ld);
	err = procs_scan(ps, 0);
	if (err) {
		elog("cannot list processes: %s\n", strerror(-err));
		goto cleanup;
	}
	if (lt_verbosity >= 0)
		fprintf(stderr, "leaktrace: tracing %zu processes and those started from now on, "
			"%s mode; %s\n", procs_live(ps), ri.mode,
			env->duration ? "stops after -d" : "Ctrl-C to stop");

	rs.ps = ps;
	rc.agg = agg;
	rc.skel = loader_skel(ld);
	ri.top = env->top;
	ri.min_age_s = env->min_age;
	ri.all_frames = env->native_all;
	ri.native_frames = env->native_frames;
	ri.fds = env->fds;
	ri.sample_bytes = env->sample_bytes;
	for (;;) {
		procs_poll(ps, TICK_MS, lt_now_s() - start);
		elapsed = lt_now_s() - start;
		if (elapsed - last_tick >= 0.1) {
			last_tick = elapsed;
			procs_tick(ps, elapsed);
		}
		rc.skel->data->bucket_ms = lt_bucket_width(elapsed);
		budget_tick(mode.budget, elapsed);
		if (stop_signal || (env->duration && elapsed >= env->duration))
			break;
		if (lt_now_s() - last_report >= env->interval) {
			aggregate_set_blind(agg, !budget_allocs_seen_since(mode.budget,
									   last_report - start));
			last_report = lt_now_s();
			ri.duration_s = elapsed;
			if (report(&rs, &rc, &ri, env, start, text, cont))
				goto cleanup;
			procs_purge(ps, agg);
		}
	}

	ri.duration_s = lt_now_s() - start;
	ri.final = true;
	procs_tick(ps, ri.duration_s + 1); /* CPython in processes started just now */
	if (report(&rs, &rc, &ri, env, start, text, cont))
		goto cleanup;
	if (json_out) {
		err = report_sys_json(output_file(json_out), &rs, &rc, &ri);
		err = err ?: output_commit(json_out);
		json_out = NULL;
		if (err) {
			elog("cannot write %s: %s\n", env->json_path, strerror(-err));
			goto cleanup;
		}
	}
	loader_detach(ld);
	exit_code = 0;
cleanup:
	continuous_free(cont);
	mode_free(&mode);
	output_abort(json_out);
	procs_free(ps);
	proclinks_free(pl);
	aggregate_free(agg);
	free(rs.exited);
	loader_destroy(ld);
	if (text != stdout && text != stderr)
		fclose(text); /* the escaping stream; flushes, leaves stdout open */
	return exit_code;
}
