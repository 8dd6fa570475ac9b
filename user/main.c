// SPDX-License-Identifier: MIT
/*
 * leaktrace: parse options (-a: sysmain.c) -> check the target -> load and
 * attach the BPF programs -> the run loop (runloop.c) with this file's
 * callbacks: a report every interval, the final one on stop.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "leaktrace.h"
#include "leaktrace.skel.h"
#include "aggregate.h"
#include "continuous.h"
#include "env.h"
#include "exports.h"
#include "live.h"
#include "loader.h"
#include "mmap_class.h"
#include "model_build.h"
#include "mode.h"
#include "log.h"
#include "objects.h"
#include "py_objscan.h"
#include "python.h"
#include "report.h"
#include "rss.h"
#include "rss_report.h"
#include "runloop.h"
#include "symbolize.h"
#include "sysmain.h"
#include "target.h"
#include "unwind_maps.h"
#include "util.h"

/* One process's driver: the run loop's state first (one_of()). */
struct one {
	struct runloop rl;
	struct target tgt;
	struct symbolizer *sym;
	struct unwind_maps *uw;
	struct python *py;	/* CPython in the target, once found */
	bool py_tried;
	struct objects *objs;
	struct rss *rss;
	struct live *live;
	struct ring_buffer *newstacks;
	struct lt_labels labels;
	struct lt_model model;	/* the last report's: the live view's, the final JSON's */
	double last_status, last_prefetch;
	uint64_t maps_gen;
	uint32_t execs;
	char libc[4096], own_libc[4096];
};

static struct one *one_of(struct runloop *rl)
{
	return (struct one *)rl;
}

static enum lt_mmap_class classify_mmap(void *arg, const struct lt_site *s)
{
	struct one *o = arg;
	uint64_t ips[LT_MAX_STACK_DEPTH + 1];
	int n = aggregate_frames(o->rl.agg, loader_skel(o->rl.ld), s, ips, LT_MAX_STACK_DEPTH + 1);

	return mmap_class(o->sym, ips, n, s->all_allocs ? s->all_bytes / s->all_allocs : 0,
			  o->py ? python_module_path(o->py) : NULL);
}

static bool alias_mmap(void *arg, const struct lt_agg_key *k, struct lt_site_key *out)
{
	struct one *o = arg;
	struct leaktrace_bpf *skel = loader_skel(o->rl.ld);
	const struct lt_stack *st = aggregate_stack(o->rl.agg, skel, k->stack_id);

	/* only onto a stack that is there to print */
	return st && mmap_alias(o->sym, st, false, out) &&
	       aggregate_stack(o->rl.agg, skel, out->stack_id);
}

/*
 * Find CPython in the target (once), attach its allocator probes (exact
 * mode) and turn on the BPF frame walker. Not Python, or an unsupported
 * one: native only.
 */
static void setup_python(struct one *o)
{
	static char why[256]; /* the one process's reports say it at every stop */
	struct runloop *rl = &o->rl;
	const struct lt_env *env = rl->env;
	struct run_mode *m = &rl->mode;
	struct report_info *ri = &rl->ri;
	struct loader *ld = rl->ld;
	bool objects = env->objects;
	struct leaktrace_bpf *skel = loader_skel(ld);
	struct lt_py_cfg cfg;
	struct python *py;
	int err;

	if (o->py || o->py_tried)
		return;
	err = python_detect(o->tgt.pid, &py, why, sizeof(why));
	if (err) {
		o->py_tried = err != -ENOENT; /* unsupported: say it once */
		if (err == -ENOTSUP)
			ri->python_unsupported = why;
		return;
	}
	o->py_tried = true;
	mode_for_python(m, env, py, ri);
	/* GC allocator probes only where they are called (py_objscan()) */
	objects = objects && !python_lto_stripped(py);
	err = mode_is_lite(m) ? 0 : loader_attach_python(ld, python_module(py),
							      python_lto_stripped(py), objects, 0);
	if (err) {
		wlog("cannot attach CPython's allocator probes: Python allocations not seen\n");
		python_free(py);
		return;
	}
	python_fill_cfg(py, &cfg);
	cfg.objects = objects;
	cfg.enabled = 0;
	skel->bss->single.py = cfg;
	__sync_synchronize();
	skel->bss->single.py.enabled = 1; /* last: the walker never sees half a config */
	snprintf(ri->python, sizeof(ri->python), "%s", python_version(py));
	ri->python_lto = python_lto_stripped(py) && !python_uses_libc_malloc(py);
	ri->python_lite = mode_is_lite(m) && !python_uses_libc_malloc(py);
	if (ri->python_lto && !mode_is_lite(m))
		wlog("%s is a stripped LTO build: pymalloc's fast path is inlined, so most "
		     "small Python objects are not seen. Launch with --python-malloc=libc "
		     "(PYTHONMALLOC=malloc) to see every allocation.\n",
		     python_module_path(py));
	loader_probe_stats(ld, &ri->probes, &ri->single_stepped);
	o->py = py;
	mode_start_budget(m, env, ld, ri, o->tgt.pid);
}

/*
 * Launch mode: the probes start on our own libc, which the command runs
 * until it execs; a command that execs into another root (chroot DIR prog)
 * then maps that root's libc, another file, which gets the same probes
 * while the command is held at that mapping. The first libc's probes stay:
 * filtered to the command's pid, they cost nothing while it maps another
 * file, and they serve again if it execs back into ours.
 */
static void follow_libc(struct one *o)
{
	struct target *t = &o->tgt;
	int err = loader_follow_libc(o->rl.ld, t->pid);

	if (err < 0)
		wlog("cannot probe the libc pid %d (%s) maps now: %s; its allocations are not "
		     "seen\n", t->pid, target_comm(t), strerror(-err));
	else if (err)
		loader_probe_stats(o->rl.ld, &o->rl.ri.probes, &o->rl.ri.single_stepped);
}

/* The target exec'd: what its old image held went with it (said in the
 * reports, not a leak), and its CPython, if any, is not the new one's. */
static void new_image(struct one *o)
{
	struct report_info *ri = &o->rl.ri;
	struct leaktrace_bpf *skel = o->rl.rc.skel;
	int64_t bytes, allocs;

	if (aggregate_drop_image(skel, skel->bss->single.epoch, &bytes, &allocs))
		wlog("cannot forget what pid %d allocated before its exec\n", o->tgt.pid);
	ri->exec_gone_bytes += bytes;
	ri->exec_gone_allocs += allocs;
	python_free(o->py);
	o->py = NULL;
	o->py_tried = false;
	ri->python[0] = 0;
	ri->python_unsupported = NULL;
	target_comm(&o->tgt); /* its new name, if it exits at once */
}

/* A new stack with Python frames: read its code objects now, while they
 * exist. Stacks seen before CPython was found are caught by the scan. */
static int on_new_stack(void *arg, void *data, size_t len)
{
	struct one *o = arg;
	uint64_t key;

	if (len < sizeof(key) || !o->py)
		return 0;
	memcpy(&key, data, sizeof(key));
	python_prefetch_one(o->py, bpf_map__fd(loader_skel(o->rl.ld)->maps.lt_stacks), key);
	return 0;
}

static void status_line(struct report_ctx *rc, double elapsed)
{
	static uint64_t last_events;
	static double last_t;
	const struct lt_totals *t = aggregate_counters(rc->agg, rc->skel);
	uint64_t events = t->counters[LT_CNT_ALLOCS] + t->counters[LT_CNT_FREES];
	double rate = elapsed > last_t ? (events - last_events) / (elapsed - last_t) : 0;

	fprintf(stderr, "\r\033[K[%.0fs] %.0f events/s, %" PRIu64 " dropped", elapsed, rate,
		t->dropped);
	last_events = events;
	last_t = elapsed;
}

/* The tick: wait for new Python stacks to resolve, or time out. */
static void wait_events(struct runloop *rl, int timeout_ms)
{
	struct one *o = one_of(rl);

	if (!o->newstacks || ring_buffer__poll(o->newstacks, timeout_ms) < 0)
		usleep(timeout_ms * 1000);
}

static void tick(struct runloop *rl, double elapsed)
{
	struct one *o = one_of(rl);
	struct target *t = &o->tgt;
	struct leaktrace_bpf *skel = rl->rc.skel;
	int stacks_fd = bpf_map__fd(skel->maps.lt_stacks);

	target_poll_exit(t);
	if (skel->bss->exec_maps_gen != o->maps_gen || t->exiting || /* dlopen, exit */
	    skel->bss->single_execs != o->execs) {
		o->maps_gen = skel->bss->exec_maps_gen;
		/* a launched command is held here: the table is in place
		 * before it runs the code it mapped */
		if (!t->exiting || t->mapstop)
			unwind_maps_update(o->uw, t->pid);
		symbolizer_refresh(o->sym);
		/* a new image; a launched command is held at its exec, before
		 * the new code runs */
		bool execd = skel->bss->single_execs != o->execs;

		if (execd) {
			o->execs = skel->bss->single_execs;
			new_image(o);
		}
		t->execd = false;
		/* the new image may run another libc (-p too, a tick late) */
		if (t->mapstops || execd)
			follow_libc(o);
		setup_python(o);
		if (o->py && t->exiting && !t->mapstop)
			python_prefetch(o->py, stacks_fd);
		/* held at exit: its pages are still there to read */
		if (o->rss && t->exiting && !t->mapstop)
			rss_collect(o->rss, skel, t->pid, true);
		target_resume_exit(t);
	}
	if (o->py && lt_now_s() - o->last_prefetch >= 1) { /* names outlive the target */
		o->last_prefetch = lt_now_s();
		python_prefetch(o->py, stacks_fd);
	}
}

static bool done(struct runloop *rl)
{
	return target_poll_exit(&one_of(rl)->tgt);
}

/* Between reports: the live view's keys, or a status line on a terminal. */
static int idle(struct runloop *rl, double elapsed)
{
	struct one *o = one_of(rl);

	if (o->live) {
		int k = live_keys(o->live);

		if (k < 0)
			return 1;
		if (k > 0) {
			/* built again: the report's strings may have gone since,
			 * with an exec or a sweep of CPython's code cache */
			model_free(&o->model);
			if (!model_build(&rl->rc, &rl->ri, true, &o->model))
				live_draw(o->live, &o->model, &rl->ri);
		}
	} else if (lt_verbosity >= 0 && isatty(STDERR_FILENO) &&
		   lt_now_s() - o->last_status >= 1) {
		o->last_status = lt_now_s();
		status_line(&rl->rc, elapsed);
	}
	return 0;
}

/* elapsed: seconds since tracing started. */
static int report(struct runloop *rl, double elapsed)
{
	struct one *o = one_of(rl);
	struct report_ctx *rc = &rl->rc;
	struct report_info *ri = &rl->ri;
	const struct lt_env *env = rl->env;
	struct leaktrace_bpf *skel = rc->skel;
	struct target *t = &o->tgt;
	struct live *live = o->live;
	bool exporting;
	int err;

	rc->now_s = lt_now_s() - rl->start;
	if (rc->objs && rc->py && *rc->py) {
		/* a stripped LTO build inlines its GC allocators: read the objects
		 * from the outstanding allocations instead */
		err = python_lto_stripped(*rc->py) ?
			      py_objscan(*rc->py, rc->objs, bpf_map__fd(skel->maps.lt_allocs),
					 bpf_map__fd(skel->maps.lt_stacks), t->pid) :
			      objects_collect(rc->objs, bpf_map__fd(skel->maps.lt_objagg));
		if (err && err != -ENOENT)
			return err;
	}
	err = aggregate_collect(rc->agg, skel, (uint64_t)(rc->now_s * 1000),
				(uint64_t)(env->min_age * 1000), skel->data->bucket_ms);
	if (!err && rc->rss)
		err = rss_collect(rc->rss, skel, t->pid, !t->exited);
	if (err) {
		elog("cannot read the BPF maps: %s\n", strerror(-err));
		return err;
	}
	ri->comm = target_comm(t);
	ri->duration_s = elapsed;
	ri->exit_s = skel->bss->single.exit_ns ?
			     (double)(skel->bss->single.exit_ns - skel->data->t0_ns) / 1e9 : -1;
	ri->target_exited = t->exited;
	exporting = (ri->final || env->export_every) && exports_any(env);
	/* the one model of this report: every stack's frames where the live
	 * view, an export, a period's profile or the final JSON reads them all */
	model_free(&o->model);
	err = model_build(rc, ri, live || exporting || rl->cont || (ri->final && rl->json_out),
			  &o->model);
	if (err) {
		elog("cannot build the report: %s\n", strerror(-err));
		return err;
	}
	if (live && !ri->final)
		live_draw(live, &o->model, ri);
	else
		report_text(rl->text, &o->model, ri);
	if (!(live && !ri->final))
		rss_report_text(rl->text, o->model.rss, ri);
	if (exporting) {
		/* A failed export (a full disk) says which file and why; the
		 * run, its final report and JSON go on. The exit status says
		 * it if the final one failed; an interval's is written again. */
		ri->export_failed = exports_write(env, &o->model, ri) != 0;
		if (ri->export_failed && !ri->final)
			wlog("the exports are written again at the next report\n");
	}
	if (rl->cont) { /* continuous mode: this report ends a period */
		labels_update(&o->labels, t->pid, ri->comm, env->service, env->hostname);
		err = continuous_period(rl->cont, &o->labels, &o->model, ri);
		if (err)
			return err;
	}
	aggregate_mark_reported(rc->agg);
	if (rc->rss && !ri->final)
		rss_mark_reported(rc->rss);
	if (rc->objs && !ri->final)
		objects_mark_reported(rc->objs);
	return 0;
}

static void last(struct runloop *rl, double elapsed)
{
	struct one *o = one_of(rl);

	live_close(o->live);
	o->live = NULL;
	if (lt_verbosity >= 0 && isatty(STDERR_FILENO))
		fputs("\r\033[K", stderr); /* clear the status line */
	rl->rc.skel->bss->stop_on_exec_map = 0;
	if (!o->tgt.exited) {
		symbolizer_refresh(o->sym);
		if (o->py)
			python_prefetch(o->py, bpf_map__fd(rl->rc.skel->maps.lt_stacks));
	}
}

static int json(struct runloop *rl, FILE *f)
{
	struct lt_model *m = &one_of(rl)->model;

	/* the final report's model, read after that report was marked */
	model_mark_reported(m);
	return report_json(f, m, &rl->ri);
}

/* A launched command's status is ours. */
static int finish(struct runloop *rl)
{
	struct target *t = &one_of(rl)->tgt;

	target_finish(t);
	return t->launched ? t->exit_status : 0;
}

static void release(struct runloop *rl)
{
	struct one *o = one_of(rl);

	ring_buffer__free(o->newstacks);
	live_close(o->live);
	model_free(&o->model);
	python_free(o->py);
	objects_free(o->objs);
	rss_free(o->rss);
	symbolizer_free(o->sym);
	unwind_maps_free(o->uw);
}

static const struct runloop_driver one_driver = {
	.wait = wait_events,
	.tick = tick,
	.done = done,
	.idle = idle,
	.report = report,
	.last = last,
	.json = json,
	.finish = finish,
	.release = release,
};

/* Launch or attach, load and attach the probes, release the target. */
static int start(struct one *o)
{
	struct runloop *rl = &o->rl;
	const struct lt_env *env = rl->env;
	struct target *tgt = &o->tgt;
	struct leaktrace_bpf *skel;
	int err;

	if (env->python_libc) /* inherited by CMD; leaktrace itself is no Python */
		setenv("PYTHONMALLOC", "malloc", 1);
	err = env->cmd ? target_launch(tgt, env->cmd) : target_attach(tgt, env->pid);
	if (err)
		return err;
	/* Launch mode: the child runs the libc we run until it execs, and the
	 * probes follow the file, so find it in our own maps. */
	err = loader_find_libc(env->cmd ? getpid() : tgt->pid, o->libc, sizeof(o->libc));
	if (err) {
		if (err == -ENOENT)
			elog("no libc found in pid %d (%s): statically linked? leaktrace traces "
			     "the C library's allocator\n", tgt->pid, tgt->comm);
		else
			elog("cannot read the mappings of pid %d: %s\n", tgt->pid, strerror(-err));
		return err;
	}

	/* the budget's calibration child is ours and runs our libc, not the
	 * target's (another file in a container or chroot) */
	if (!env->cmd && loader_find_libc(getpid(), o->own_libc, sizeof(o->own_libc)))
		snprintf(o->own_libc, sizeof(o->own_libc), "%s", o->libc);
	mode_init(&rl->mode, env, env->cmd ? o->libc : o->own_libc, &rl->ri);
	err = loader_open(env, tgt->pid, &rl->ld);
	err = err ?: loader_attach(rl->ld, o->libc);
	if (!err && env->fds)
		err = loader_attach_fds(rl->ld);
	if (!err && env->rss)
		err = loader_attach_rss(rl->ld) ?: rss_new(&o->rss);
	err = err ?: symbolizer_new(tgt->pid, &o->sym);
	err = err ?: unwind_maps_new(loader_skel(rl->ld), NULL, &o->uw);
	err = err ?: aggregate_new(&rl->agg);
	if (!err && env->objects)
		err = objects_new(&o->objs);
	if (err)
		return err;
	skel = loader_skel(rl->ld);
	aggregate_set_mmap_fns(rl->agg, classify_mmap, alias_mmap, o);

	runloop_catch_signals(true);
	if (tgt->launched && tgt->seized) {
		tgt->mapstops = true;
		skel->bss->stop_on_exec_map = 1;
	} else {
		setup_python(o);
	}
	/* before it runs on: its stacks are walked with its modules' CFI (a
	 * launched command's once it maps its own code, at the map stops) */
	if (!tgt->mapstops)
		unwind_maps_update(o->uw, tgt->pid);
	mode_start_budget(&rl->mode, env, rl->ld, &rl->ri, tgt->pid);
	rl->start = rl->last_report = loader_start_clock(rl->ld);
	err = target_release(tgt);
	if (err)
		return err;
	loader_probe_stats(rl->ld, &rl->ri.probes, &rl->ri.single_stepped);
	labels_update(&o->labels, tgt->pid, target_comm(tgt), env->service, /* while it lives */
		      env->hostname);
	if (lt_verbosity >= 0)
		fprintf(stderr, "leaktrace: tracing pid %d (%s), %d allocator probes%s; %s\n",
			tgt->pid, target_comm(tgt), rl->ri.probes,
			rl->ri.single_stepped ? " (some single-stepped)" : "",
			env->duration ? "stops after -d" : "Ctrl-C to stop");

	/* --live needs a terminal; elsewhere plain reports serve better. */
	if (env->live && isatty(STDOUT_FILENO) &&
	    !(env->json_path && !strcmp(env->json_path, "-")) && live_open(&o->live))
		o->live = NULL;
	rl->rc.sym = o->sym;
	rl->rc.py = &o->py;
	rl->rc.objs = o->objs;
	rl->rc.rss = o->rss;
	rl->ri.pid = tgt->pid;
	o->newstacks = ring_buffer__new(bpf_map__fd(skel->maps.lt_newstacks), on_new_stack, o,
					NULL);
	return 0;
}

int main(int argc, char **argv)
{
	struct lt_env env;
	struct one o = { .tgt = { .pid = 0, .pidfd = -1, .go_fd = -1, .exec_fd = -1 } };
	int err, exit_code = 1;

	err = cli_parse(argc, argv, &env);
	if (err)
		return err > 0 ? 0 : 1;
	if (env.all)
		return sys_main(&env);
	err = runloop_open(&o.rl, &one_driver, &env);
	err = err ?: start(&o);
	if (!err)
		exit_code = runloop_run(&o.rl);
	runloop_free(&o.rl);
	target_close(&o.tgt);
	return exit_code;
}
