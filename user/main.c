// SPDX-License-Identifier: MIT
/*
 * leaktrace: parse options -> check the target -> load and attach the BPF
 * programs -> report every interval -> final report on stop.
 */
#include <errno.h>
#include <inttypes.h>
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
#include "env.h"
#include "exports.h"
#include "live.h"
#include "loader.h"
#include "mode.h"
#include "log.h"
#include "objects.h"
#include "termsafe.h"
#include "py_objscan.h"
#include "output.h"
#include "python.h"
#include "report.h"
#include "rss.h"
#include "symbolize.h"
#include "sysmain.h"
#include "target.h"
#include "unwind_maps.h"
#include "util.h"

#define TICK_US 50000 /* exit / dlopen polling period */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void on_sigchld(int sig)
{
}

struct classify_ctx {
	struct symbolizer *sym;
	struct python **py;
};

static enum lt_mmap_class classify_mmap(void *arg, const struct lt_site *s)
{
	struct classify_ctx *c = arg;
	struct lt_frame fr;

	symbolizer_frame(c->sym, s->caller, true, &fr);
	if (!fr.module)
		return LT_MMAP_PROGRAM;
	if (loader_is_runtime_module(fr.module))
		return LT_MMAP_RUNTIME;
	/* CPython maps memory itself only for pymalloc's arenas */
	if (*c->py && !strcmp(fr.module, python_module_path(*c->py)))
		return LT_MMAP_ARENA;
	return LT_MMAP_PROGRAM;
}

/*
 * Find CPython in the target (once), attach its allocator probes (exact
 * mode) and turn on the BPF frame walker. Not Python, or an unsupported
 * one: native only.
 */
static void setup_python(struct loader *ld, struct target *t, struct python **pyp,
			 struct report_info *ri, bool *tried, const struct lt_env *env,
			 struct run_mode *m)
{
	static char why[256]; /* the one process's reports say it at every stop */
	bool objects = env->objects;
	struct leaktrace_bpf *skel = loader_skel(ld);
	struct lt_py_cfg cfg;
	struct python *py;
	int err;

	if (*pyp || *tried)
		return;
	err = python_detect(t->pid, &py, why, sizeof(why));
	if (err) {
		*tried = err != -ENOENT; /* unsupported: say it once */
		if (err == -ENOTSUP)
			ri->python_unsupported = why;
		return;
	}
	*tried = true;
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
	*pyp = py;
	mode_start_budget(m, env, ld, ri, t->pid);
}

/*
 * Launch mode: the probes start on our own libc, which the command runs
 * until it execs; a command that execs into another root (chroot DIR prog)
 * then maps that root's libc, another file, which gets the same probes
 * while the command is held at that mapping. The first libc's probes stay:
 * filtered to the command's pid, they cost nothing while it maps another
 * file, and they serve again if it execs back into ours.
 */
static void follow_libc(struct loader *ld, struct target *t, struct report_info *ri)
{
	int err = loader_follow_libc(ld, t->pid);

	if (err < 0)
		wlog("cannot probe the libc pid %d (%s) maps now: %s; its allocations are not "
		     "seen\n", t->pid, target_comm(t), strerror(-err));
	else if (err)
		loader_probe_stats(ld, &ri->probes, &ri->single_stepped);
}

/* The target exec'd: what its old image held went with it (said in the
 * reports, not a leak), and its CPython, if any, is not the new one's. */
static void new_image(struct report_ctx *rc, struct report_info *ri, struct target *t,
		      struct python **py, bool *py_tried)
{
	int64_t bytes, allocs;

	if (aggregate_drop_image(rc->skel, rc->skel->bss->single.epoch, &bytes, &allocs))
		wlog("cannot forget what pid %d allocated before its exec\n", t->pid);
	ri->exec_gone_bytes += bytes;
	ri->exec_gone_allocs += allocs;
	python_free(*py);
	*py = NULL;
	*py_tried = false;
	ri->python[0] = 0;
	ri->python_unsupported = NULL;
	target_comm(t); /* its new name, if it exits at once */
}

struct newstack_ctx {
	struct python **py;
	int fd;
};

/* A new stack with Python frames: read its code objects now, while they
 * exist. Stacks seen before CPython was found are caught by the scan. */
static int on_new_stack(void *arg, void *data, size_t len)
{
	struct newstack_ctx *c = arg;
	uint64_t key;

	if (len < sizeof(key) || !*c->py)
		return 0;
	memcpy(&key, data, sizeof(key));
	python_prefetch_one(*c->py, c->fd, key);
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

/* elapsed: seconds since tracing started at t0. */
static int report(struct report_ctx *rc, struct report_info *ri, const struct lt_env *env,
		  struct target *t, double elapsed, double t0, FILE *text, struct live *live,
		  struct continuous *cont, struct lt_labels *lb)
{
	struct leaktrace_bpf *skel = rc->skel;
	int err;

	rc->now_s = lt_now_s() - t0;
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
	if (live && !ri->final)
		live_draw(live, rc, ri);
	else
		report_text(text, rc, ri);
	if (!(live && !ri->final))
		rss_report_text(text, rc, ri);
	if (ri->final || env->export_every) {
		/* A failed export (a full disk) says which file and why; the
		 * run, its final report and JSON go on. The exit status says
		 * it if the final one failed; an interval's is written again. */
		ri->export_failed = exports_write(env, rc, ri) != 0;
		if (ri->export_failed && !ri->final)
			wlog("the exports are written again at the next report\n");
	}
	if (cont) { /* continuous mode: this report ends a period */
		labels_update(lb, t->pid, ri->comm, env->service, env->hostname);
		err = continuous_period(cont, lb, rc, ri);
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

int main(int argc, char **argv)
{
	struct lt_env env;
	struct target tgt = { .pid = 0, .pidfd = -1, .go_fd = -1, .exec_fd = -1 };
	struct loader *ld = NULL;
	struct symbolizer *sym = NULL;
	struct unwind_maps *uw = NULL;
	struct aggregate *agg = NULL;
	struct output *json_out = NULL;
	struct report_ctx rc = {};
	struct report_info ri = { .mode = "exact", .exit_s = -1 };
	struct run_mode mode = {};
	struct classify_ctx cctx = {};
	struct python *py = NULL;
	struct objects *objs = NULL;
	struct rss *rss = NULL;
	struct live *live = NULL;
	struct ring_buffer *newstacks = NULL;
	struct newstack_ctx nsctx = {};
	struct continuous *cont = NULL;
	struct lt_labels labels = {};
	double last_status = 0;
	bool py_tried = false;
	struct sigaction sa = { .sa_handler = on_signal };
	char libc[4096], own_libc[4096];
	double start, last_report, last_prefetch = 0, elapsed;
	uint64_t maps_gen = 0;
	uint32_t execs = 0;
	FILE *text = stdout;
	int err, exit_code = 1;

	err = cli_parse(argc, argv, &env);
	if (err)
		return err > 0 ? 0 : 1;
	if (env.all)
		return sys_main(&env);
	if (env.json_path && !strcmp(env.json_path, "-"))
		text = stderr; /* stdout carries the JSON */
	text = termsafe_open(text);

	err = preflight_check();
	if (err)
		goto cleanup;
	if (env.json_path) { /* fail on an unwritable path now, not after the run */
		err = output_open(env.json_path, &json_out);
		if (err)
			goto cleanup;
	}
	err = exports_check(&env);
	if (!err && env.continuous)
		err = continuous_new(&env, &cont);
	if (err)
		goto cleanup;

	if (env.python_libc) /* inherited by CMD; leaktrace itself is no Python */
		setenv("PYTHONMALLOC", "malloc", 1);
	err = env.cmd ? target_launch(&tgt, env.cmd) : target_attach(&tgt, env.pid);
	if (err)
		goto cleanup;
	/* Launch mode: the child runs the libc we run until it execs, and the
	 * probes follow the file, so find it in our own maps. */
	err = loader_find_libc(env.cmd ? getpid() : tgt.pid, libc, sizeof(libc));
	if (err) {
		if (err == -ENOENT)
			elog("no libc found in pid %d (%s): statically linked? leaktrace traces "
			     "the C library's allocator\n", tgt.pid, tgt.comm);
		else
			elog("cannot read the mappings of pid %d: %s\n", tgt.pid, strerror(-err));
		goto cleanup;
	}

	/* the budget's calibration child is ours and runs our libc, not the
	 * target's (another file in a container or chroot) */
	if (!env.cmd && loader_find_libc(getpid(), own_libc, sizeof(own_libc)))
		snprintf(own_libc, sizeof(own_libc), "%s", libc);
	mode_init(&mode, &env, env.cmd ? libc : own_libc, &ri);
	err = loader_open(&env, tgt.pid, &ld);
	err = err ?: loader_attach(ld, libc);
	if (!err && env.fds)
		err = loader_attach_fds(ld);
	if (!err && env.rss)
		err = loader_attach_rss(ld) ?: rss_new(&rss);
	err = err ?: symbolizer_new(tgt.pid, &sym);
	err = err ?: unwind_maps_new(loader_skel(ld), NULL, &uw);
	err = err ?: aggregate_new(&agg);
	if (!err && env.objects)
		err = objects_new(&objs);
	if (err)
		goto cleanup;
	cctx.sym = sym;
	cctx.py = &py;
	aggregate_set_runtime_fn(agg, classify_mmap, &cctx);

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A ptrace stop of the launched command interrupts the tick's sleep,
	 * so its signals are passed on without delay. */
	sa.sa_handler = on_sigchld;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (tgt.launched && tgt.seized) {
		tgt.mapstops = true;
		loader_skel(ld)->bss->stop_on_exec_map = 1;
	} else {
		setup_python(ld, &tgt, &py, &ri, &py_tried, &env, &mode);
	}
	/* before it runs on: its stacks are walked with its modules' CFI (a
	 * launched command's once it maps its own code, at the map stops) */
	if (!tgt.mapstops)
		unwind_maps_update(uw, tgt.pid);
	mode_start_budget(&mode, &env, ld, &ri, tgt.pid);
	start = last_report = loader_start_clock(ld);
	err = target_release(&tgt);
	if (err)
		goto cleanup;
	loader_probe_stats(ld, &ri.probes, &ri.single_stepped);
	labels_update(&labels, tgt.pid, target_comm(&tgt), env.service, /* while it lives */
		      env.hostname);
	if (lt_verbosity >= 0)
		fprintf(stderr, "leaktrace: tracing pid %d (%s), %d allocator probes%s; %s\n",
			tgt.pid, target_comm(&tgt), ri.probes,
			ri.single_stepped ? " (some single-stepped)" : "",
			env.duration ? "stops after -d" : "Ctrl-C to stop");

	/* --live needs a terminal; elsewhere plain reports serve better. */
	if (env.live && isatty(STDOUT_FILENO) && !(env.json_path && !strcmp(env.json_path, "-")) &&
	    live_open(&live))
		live = NULL;
	rc.agg = agg;
	rc.sym = sym;
	rc.py = &py;
	rc.objs = objs;
	rc.rss = rss;
	rc.skel = loader_skel(ld);
	ri.pid = tgt.pid;
	ri.top = env.top;
	ri.min_age_s = env.min_age;
	ri.all_frames = env.native_all;
	ri.native_frames = env.native_frames;
	ri.fds = env.fds;
	ri.sample_bytes = env.sample_bytes;

	newstacks = ring_buffer__new(bpf_map__fd(rc.skel->maps.lt_newstacks), on_new_stack, &nsctx,
				     NULL);
	nsctx.py = &py;
	nsctx.fd = bpf_map__fd(rc.skel->maps.lt_stacks);
	for (;;) {
		/* the tick: wait for new Python stacks to resolve, or time out */
		if (!newstacks || ring_buffer__poll(newstacks, TICK_US / 1000) < 0)
			usleep(TICK_US);
		elapsed = lt_now_s() - start;
		target_poll_exit(&tgt);
		if (rc.skel->bss->exec_maps_gen != maps_gen || tgt.exiting || /* dlopen, exit */
		    rc.skel->bss->single_execs != execs) {
			maps_gen = rc.skel->bss->exec_maps_gen;
			/* a launched command is held here: the table is in place
			 * before it runs the code it mapped */
			if (!tgt.exiting || tgt.mapstop)
				unwind_maps_update(uw, tgt.pid);
			symbolizer_refresh(sym);
			/* a new image; a launched command is held at its exec, before
			 * the new code runs */
			bool execd = rc.skel->bss->single_execs != execs;

			if (execd) {
				execs = rc.skel->bss->single_execs;
				new_image(&rc, &ri, &tgt, &py, &py_tried);
			}
			tgt.execd = false;
			/* the new image may run another libc (-p too, a tick late) */
			if (tgt.mapstops || execd)
				follow_libc(ld, &tgt, &ri);
			setup_python(ld, &tgt, &py, &ri, &py_tried, &env, &mode);
			if (py && tgt.exiting && !tgt.mapstop)
				python_prefetch(py, bpf_map__fd(rc.skel->maps.lt_stacks));
			/* held at exit: its pages are still there to read */
			if (rss && tgt.exiting && !tgt.mapstop)
				rss_collect(rss, rc.skel, tgt.pid, true);
			target_resume_exit(&tgt);
		}
		if (py && lt_now_s() - last_prefetch >= 1) { /* names outlive the target */
			last_prefetch = lt_now_s();
			python_prefetch(py, bpf_map__fd(rc.skel->maps.lt_stacks));
		}
		rc.skel->data->bucket_ms = lt_bucket_width(lt_now_s() - start);
		budget_tick(mode.budget, lt_now_s() - start);
		if (stop_signal || target_poll_exit(&tgt) ||
		    (env.duration && elapsed >= env.duration))
			break;
		if (live) {
			int k = live_keys(live);

			if (k < 0)
				break;
			if (k > 0)
				live_draw(live, &rc, &ri);
		} else if (lt_verbosity >= 0 && isatty(STDERR_FILENO) && lt_now_s() - last_status >= 1) {
			/* one-line status between reports on a terminal */
			last_status = lt_now_s();
			status_line(&rc, elapsed);
		}
		if (lt_now_s() - last_report >= env.interval) {
			aggregate_set_blind(agg, !budget_allocs_seen_since(mode.budget,
									   last_report - start));
			last_report = lt_now_s();
			if (report(&rc, &ri, &env, &tgt, elapsed, start, text, live, cont, &labels))
				goto cleanup;
		}
	}

	/* Final report, then detach (which is slow, see loader_detach()). */
	elapsed = lt_now_s() - start;
	live_close(live);
	live = NULL;
	if (lt_verbosity >= 0 && isatty(STDERR_FILENO))
		fputs("\r\033[K", stderr); /* clear the status line */
	loader_skel(ld)->bss->stop_on_exec_map = 0;
	if (!tgt.exited) {
		symbolizer_refresh(sym);
		if (py)
			python_prefetch(py, bpf_map__fd(rc.skel->maps.lt_stacks));
	}
	ri.final = true;
	if (report(&rc, &ri, &env, &tgt, elapsed, start, text, live, cont, &labels))
		goto cleanup;
	if (json_out) {
		err = report_json(output_file(json_out), &rc, &ri);
		err = err ?: output_commit(json_out);
		json_out = NULL;
		if (err) {
			elog("cannot write %s: %s\n", env.json_path, strerror(-err));
			goto cleanup;
		}
	}
	loader_detach(ld);
	target_finish(&tgt);
	exit_code = ri.export_failed ? 1 : tgt.launched ? tgt.exit_status : 0;
cleanup:
	continuous_free(cont); /* a last delivery attempt; the rest stays spooled */
	ring_buffer__free(newstacks);
	mode_free(&mode);
	live_close(live);
	output_abort(json_out);
	python_free(py);
	objects_free(objs);
	rss_free(rss);
	aggregate_free(agg);
	symbolizer_free(sym);
	unwind_maps_free(uw);
	loader_destroy(ld);
	target_close(&tgt);
	if (text != stdout && text != stderr)
		fclose(text); /* the escaping stream; flushes, leaves stdout open */
	return exit_code;
}
