// SPDX-License-Identifier: MIT
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "leaktrace.h"
#include "leaktrace.skel.h"
#include "aggregate.h"
#include "budget.h"
#include "continuous.h"
#include "exports.h"
#include "loader.h"
#include "log.h"
#include "output.h"
#include "runloop.h"
#include "target.h"
#include "termsafe.h"
#include "util.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void on_sigchld(int sig)
{
}

int runloop_open(struct runloop *rl, const struct runloop_driver *drv, const struct lt_env *env)
{
	bool json_stdout = env->json_path && !strcmp(env->json_path, "-");
	int err;

	rl->drv = drv;
	rl->env = env;
	rl->ri.exit_s = -1;
	rl->text = termsafe_open(json_stdout ? stderr : stdout); /* stdout carries the JSON */
	err = preflight_check();
	if (!err && drv->check)
		err = drv->check(rl);
	/* fail on an unwritable path now, not after the run */
	if (!err && env->json_path)
		err = output_open(env->json_path, &rl->json_out);
	err = err ?: exports_check(env);
	if (!err && env->continuous)
		err = continuous_new(env, &rl->cont);
	return err;
}

void runloop_catch_signals(bool child)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (child) { /* no SA_RESTART: the wait returns at once */
		sa.sa_handler = on_sigchld;
		sigaction(SIGCHLD, &sa, NULL);
	}
	signal(SIGPIPE, SIG_IGN);
}

/* The final report and JSON, then the detach (slow, see loader_detach()). */
static int finish(struct runloop *rl, double elapsed)
{
	const struct runloop_driver *d = rl->drv;
	int err, code;

	if (d->last)
		d->last(rl, elapsed);
	rl->ri.final = true;
	/* thinned, and taken off the cycle's report point: what it reads is
	 * not comparable with the reports before it (budget_tick()); the
	 * suspects stay as they judged them */
	if (!budget_at_report_point(rl->mode.budget))
		aggregate_set_blind(rl->agg, true);
	if (d->report(rl, elapsed))
		return 1;
	if (rl->json_out) {
		err = d->json(rl, output_file(rl->json_out));
		err = err ?: output_commit(rl->json_out);
		rl->json_out = NULL;
		if (err) {
			elog("cannot write %s: %s\n", rl->env->json_path, strerror(-err));
			return 1;
		}
	}
	loader_detach(rl->ld);
	code = d->finish ? d->finish(rl) : 0;
	return rl->ri.export_failed ? 1 : code;
}

int runloop_run(struct runloop *rl)
{
	const struct runloop_driver *d = rl->drv;
	const struct lt_env *env = rl->env;
	struct leaktrace_bpf *skel = loader_skel(rl->ld);
	double elapsed, now, stop_at = -1, stop_wait = 0;

	rl->rc.agg = rl->agg;
	rl->rc.skel = skel;
	rl->rc.budget = rl->mode.budget;
	rl->ri.top = env->top;
	rl->ri.min_age_s = env->min_age;
	rl->ri.all_frames = env->native_all;
	rl->ri.native_frames = env->native_frames;
	rl->ri.fds = env->fds;
	rl->ri.sample_bytes = env->sample_bytes;
	/* the probes are on: the budget's first window starts now */
	budget_tick(rl->mode.budget, lt_now_s() - rl->start);
	for (;;) {
		d->wait(rl, budget_wait_ms(rl->mode.budget, lt_now_s() - rl->start, LT_TICK_MS));
		elapsed = lt_now_s() - rl->start;
		d->tick(rl, elapsed);
		now = lt_now_s() - rl->start; /* the tick's work took time */
		skel->data->bucket_ms = lt_bucket_width(now);
		budget_tick(rl->mode.budget, now);
		if (d->done && d->done(rl))
			break;
		if (stop_signal || (env->duration && elapsed >= env->duration)) {
			/* thinned: the final report waits for the cycle's report
			 * point, so that it compares with the reports before it
			 * (budget_tick()); a cycle at most */
			if (stop_at < 0) {
				stop_at = now;
				stop_wait = budget_finish_s(rl->mode.budget);
			}
			if (budget_at_report_point(rl->mode.budget) ||
			    now - stop_at > stop_wait)
				break;
		}
		if (d->idle && d->idle(rl, elapsed))
			break;
		if (budget_report_due(rl->mode.budget, lt_now_s() - rl->last_report, env->interval)) {
			aggregate_set_blind(rl->agg, !budget_allocs_seen_since(rl->mode.budget,
									       rl->last_report - rl->start));
			rl->last_report = lt_now_s();
			if (d->report(rl, elapsed))
				return 1;
		}
	}
	return finish(rl, lt_now_s() - rl->start);
}

void runloop_free(struct runloop *rl)
{
	continuous_free(rl->cont); /* a last delivery attempt; the rest stays spooled */
	mode_free(&rl->mode);
	output_abort(rl->json_out);
	if (rl->drv && rl->drv->release)
		rl->drv->release(rl);
	aggregate_free(rl->agg);
	loader_destroy(rl->ld);
	if (rl->text && rl->text != stdout && rl->text != stderr)
		fclose(rl->text); /* the escaping stream; flushes, leaves stdout open */
}
