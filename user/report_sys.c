// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include "aggregate.h"
#include "json.h"
#include "model_build.h"
#include "procs.h"
#include "python.h"
#include "report_sys.h"
#include "util.h"

#define STACKS_PER_PROC 5 /* a suspect process's stacks in the text report */

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

void report_sys_text(FILE *f, struct report_sys *rs, struct report_ctx *rc,
		     const struct report_info *ri0)
{
	struct report_info ri = *ri0;
	size_t n, np, shown = 0, ngone = 0;
	struct lt_proc_sum *sums = aggregate_procs(rc->agg, &n);
	struct lt_pstate **ps = procs_list(rs->ps, &np);
	char b1[32], b2[32];

	for (size_t i = 0; i < np; i++)
		ngone += ps[i]->gone && !ps[i]->reported;
	fprintf(f, "\n[%.1fs] %sleaktrace: system-wide, %zu process%s traced, %zu gone since the "
		   "last report\n", ri.duration_s, ri.final ? "final report — " : "",
		procs_live(rs->ps), procs_live(rs->ps) == 1 ? "" : "es", ngone);
	report_run_text(f, aggregate_totals(rc->agg), &ri);
	/* what the tracer holds: bounded, however many processes come and go */
	fprintf(f, "tracer: %zu process images known, heap %zu KiB in use\n", np,
		mallinfo2().uordblks / 1024);

	fprintf(f, "Processes by growth (suspects first, then by outstanding memory):\n");
	fprintf(f, "  %8s %-16s %12s %14s %8s  %s\n", "PID", "COMM", "OUTSTANDING", "GROWTH",
		"SUSPECTS", "CGROUP");
	for (size_t i = 0; i < n && shown < (size_t)ri.top; i++) {
		struct lt_pstate *p = procs_find(rs->ps, sums[i].tgid, sums[i].epoch);

		if (!p || p->gone || (!sums[i].totals.allocs && !sums[i].totals.fds_open))
			continue;
		fprintf(f, "  %8u %-16s %12s %12s/s %8d  %s\n", p->tgid, p->comm,
			lt_human_bytes(sums[i].totals.bytes, b1, sizeof(b1)),
			lt_human_bytes(sums[i].growth, b2, sizeof(b2)), sums[i].nsuspects,
			p->cgroup[0] ? p->cgroup : "-");
		shown++;
	}
	if (!shown)
		fprintf(f, "  (no traced process holds memory allocated since tracing began)\n");

	/* the stacks of each suspect process */
	ri.top = ri.top < STACKS_PER_PROC ? ri.top : STACKS_PER_PROC;
	for (size_t i = 0, k = 0; i < n && k < (size_t)ri0->top; i++) {
		struct lt_pstate *p = procs_find(rs->ps, sums[i].tgid, sums[i].epoch);
		struct lt_model m;

		if (!p || p->gone || !sums[i].nsuspects)
			continue;
		k++;
		narrow(rs, p, rc, &ri);
		if (aggregate_view(rc->agg, &sums[i]))
			continue;
		fprintf(f, "\n== pid %u (%s)%s%s ==\n", p->tgid, p->comm, p->cgroup[0] ? ", cgroup " : "",
			p->cgroup);
		if (!model_build(rc, &ri, false, &m))
			report_process_text(f, &m, &ri);
		model_free(&m);
		aggregate_view(rc->agg, NULL);
	}

	/* each gone process once, those that left the most behind listed */
	if (ngone)
		fprintf(f, "\nGone since the last report (exited or exec'd): %zu; holding the most "
			   "when they went:\n", ngone);
	for (size_t i = 0, k = 0; i < n && k < (size_t)ri0->top; i++) { /* by growth, bytes */
		struct lt_pstate *p = procs_find(rs->ps, sums[i].tgid, sums[i].epoch);

		if (!p || !p->gone || p->reported || !sums[i].totals.allocs)
			continue;
		k++;
		fprintf(f, "  pid %u (%s) after %.1fs: %s outstanding in %" PRId64 " allocation%s%s\n",
			p->tgid, p->comm, p->gone_s - p->seen_s,
			lt_human_bytes(sums[i].totals.bytes, b1, sizeof(b1)), sums[i].totals.allocs,
			sums[i].totals.allocs == 1 ? "" : "s",
			sums[i].nsuspects ? ", was growing" : "");
	}
	for (size_t i = 0; i < np; i++) {
		if (!ps[i]->gone || ps[i]->reported)
			continue;
		remember_exit(rs, ps[i], sum_of(sums, n, ps[i]));
		ps[i]->reported = true;
	}
	fflush(f);
}

int report_sys_each(struct report_sys *rs, struct report_ctx *rc, const struct report_info *ri0,
		    int (*fn)(void *arg, struct lt_pstate *p, const struct lt_model *m,
			      const struct report_info *ri),
		    void *arg)
{
	struct report_info ri = *ri0;
	size_t n;
	struct lt_proc_sum *sums = aggregate_procs(rc->agg, &n);
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		struct lt_pstate *p = procs_find(rs->ps, sums[i].tgid, sums[i].epoch);
		struct lt_model m;

		if (!p || (!sums[i].totals.allocs && !sums[i].totals.fds_open))
			continue;
		narrow(rs, p, rc, &ri);
		err = aggregate_view(rc->agg, &sums[i]);
		err = err ?: model_build(rc, &ri, true, &m);
		err = err ?: fn(arg, p, &m, &ri);
		model_free(&m);
	}
	aggregate_view(rc->agg, NULL);
	return err;
}

struct json_ctx {
	struct json *j;
	struct lt_proc_sum *sums;
	size_t n;
};

static int json_proc(void *arg, struct lt_pstate *p, const struct lt_model *m,
		     const struct report_info *ri)
{
	struct json_ctx *c = arg;
	struct json *j = c->j;
	const struct lt_proc_sum *s = sum_of(c->sums, c->n, p);

	json_obj_begin(j);
	json_int_field(j, "pid", p->tgid);
	json_str_field(j, "comm", p->comm);
	json_str_field(j, "cgroup", p->cgroup);
	json_int_field(j, "ppid", p->ppid);
	json_int_field(j, "exec_epoch", p->epoch);
	json_bool_field(j, "gone", p->gone);
	json_double_field(j, "growth_bytes_per_s", s ? s->growth : 0, 1);
	json_int_field(j, "suspects", s ? s->nsuspects : 0);
	report_process_json(j, m, ri);
	json_obj_end(j);
	return 0;
}

int report_sys_json(FILE *f, struct report_sys *rs, struct report_ctx *rc,
		    const struct report_info *ri)
{
	const struct lt_totals *t = aggregate_totals(rc->agg);
	struct json j;
	struct json_ctx c = { .j = &j };
	struct rusage ru;
	size_t kept;
	int err;

	c.sums = aggregate_procs(rc->agg, &c.n);
	json_init(&j, f, 1);
	json_obj_begin(&j);
	json_int_field(&j, "version", 1);
	report_mode_json(&j, ri);
	json_bool_field(&j, "system_wide", 1);
	json_double_field(&j, "duration_s", ri->duration_s, 3);
	json_uint_field(&j, "processes_traced", procs_live(rs->ps));
	json_key(&j, "events");
	json_obj_begin(&j);
	json_uint_field(&j, "allocs_seen", t->counters[LT_CNT_ALLOCS]);
	json_uint_field(&j, "frees_seen", t->counters[LT_CNT_FREES]);
	json_obj_end(&j);
	report_drops_json(&j, t);
	/* processes holding memory, suspects first */
	json_key(&j, "processes");
	json_arr_begin(&j);
	err = report_sys_each(rs, rc, ri, json_proc, &c);
	json_arr_end(&j);
	/* gone during the run (the last LT_EXITED_KEEP) */
	json_uint_field(&j, "exited_total", rs->nexited);
	json_key(&j, "exited");
	json_arr_begin(&j);
	kept = rs->nexited < LT_EXITED_KEEP ? rs->nexited : LT_EXITED_KEEP;
	for (size_t i = rs->nexited - kept; rs->exited && i < rs->nexited; i++) {
		const struct lt_exited *e = &rs->exited[i % LT_EXITED_KEEP];

		json_obj_begin(&j);
		json_int_field(&j, "pid", e->pid);
		json_str_field(&j, "comm", e->comm);
		json_str_field(&j, "cgroup", e->cgroup);
		json_double_field(&j, "lifetime_s", e->lifetime_s, 2);
		json_int_field(&j, "outstanding_bytes", e->bytes);
		json_int_field(&j, "outstanding_allocs", e->allocs);
		json_int_field(&j, "mmap_bytes", e->mmap_bytes);
		json_int_field(&j, "mmap_allocs", e->mmap_allocs);
		json_int_field(&j, "suspects", e->nsuspects);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	/* last: the peak includes symbolizing every process above */
	json_key(&j, "tracer");
	json_obj_begin(&j);
	json_uint_field(&j, "heap_kib", mallinfo2().uordblks / 1024);
	json_int_field(&j, "peak_rss_kib", getrusage(RUSAGE_SELF, &ru) ? -1 : ru.ru_maxrss);
	json_obj_end(&j);
	json_obj_end(&j);
	fflush(f);
	return err ?: ferror(f) ? -EIO : 0;
}
