// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "report.h"
#include "report_sys.h"
#include "util.h"

void report_sys_text(FILE *f, const struct lt_sys_model *sm, const struct report_info *ri)
{
	size_t n = sm->nprocs, shown = 0;
	const struct lt_sys_proc *ps = sm->procs;
	char b1[32], b2[32];

	fprintf(f, "\n[%.1fs] %sleaktrace: system-wide, %zu process%s traced, %zu gone since the "
		   "last report\n", ri->duration_s, ri->final ? "final report — " : "",
		sm->live, sm->live == 1 ? "" : "es", sm->ngone);
	report_run_text(f, &sm->totals, ri);
	/* what the tracer holds: bounded, however many processes come and go */
	fprintf(f, "tracer: %zu process images known, heap %zu KiB in use\n", sm->images,
		mallinfo2().uordblks / 1024);

	fprintf(f, "Processes by growth (suspects first, then by outstanding memory):\n");
	fprintf(f, "  %8s %-16s %12s %14s %8s  %s\n", "PID", "COMM", "OUTSTANDING", "GROWTH",
		"SUSPECTS", "CGROUP");
	for (size_t i = 0; i < n && shown < (size_t)ri->top; i++) {
		const struct lt_sys_proc *p = &ps[i];

		if (p->gone || (!p->sum.totals.allocs && !p->sum.totals.fds_open))
			continue;
		fprintf(f, "  %8u %-16s %12s %12s/s %8d  %s\n", p->tgid, p->comm,
			lt_human_bytes(p->sum.totals.bytes, b1, sizeof(b1)),
			lt_human_bytes(p->sum.growth, b2, sizeof(b2)), p->sum.nsuspects,
			p->cgroup[0] ? p->cgroup : "-");
		shown++;
	}
	if (!shown)
		fprintf(f, "  (no traced process holds memory allocated since tracing began)\n");

	/* the stacks of each suspect process */
	for (size_t i = 0, k = 0; i < n && k < (size_t)ri->top; i++) {
		const struct lt_sys_proc *p = &ps[i];
		struct report_info pri = p->ri;

		if (p->gone || !p->sum.nsuspects)
			continue;
		k++;
		if (!p->has_model)
			continue;
		pri.top = pri.top < LT_STACKS_PER_PROC ? pri.top : LT_STACKS_PER_PROC;
		fprintf(f, "\n== pid %u (%s)%s%s ==\n", p->tgid, p->comm, p->cgroup[0] ? ", cgroup " : "",
			p->cgroup);
		report_process_text(f, &p->m, &pri);
	}

	/* each gone process once, those that left the most behind listed */
	if (sm->ngone)
		fprintf(f, "\nGone since the last report (exited or exec'd): %zu; holding the most "
			   "when they went:\n", sm->ngone);
	for (size_t i = 0, k = 0; i < n && k < (size_t)ri->top; i++) { /* by growth, bytes */
		const struct lt_sys_proc *p = &ps[i];

		if (!p->gone || p->reported || !p->sum.totals.allocs)
			continue;
		k++;
		fprintf(f, "  pid %u (%s) after %.1fs: %s outstanding in %" PRId64 " allocation%s%s\n",
			p->tgid, p->comm, p->lifetime_s,
			lt_human_bytes(p->sum.totals.bytes, b1, sizeof(b1)), p->sum.totals.allocs,
			p->sum.totals.allocs == 1 ? "" : "s",
			p->sum.nsuspects ? ", was growing" : "");
	}
	fflush(f);
}

static void json_proc(struct json *j, const struct lt_sys_proc *p)
{
	json_obj_begin(j);
	json_int_field(j, "pid", p->tgid);
	json_str_field(j, "comm", p->comm);
	json_str_field(j, "cgroup", p->cgroup);
	json_int_field(j, "ppid", p->ppid);
	json_int_field(j, "exec_epoch", p->epoch);
	json_bool_field(j, "gone", p->gone);
	json_double_field(j, "growth_bytes_per_s", p->sum.growth, 1);
	json_int_field(j, "suspects", p->sum.nsuspects);
	if (p->probe_cost_pct >= 0)
		json_double_field(j, "probe_cost_pct", p->probe_cost_pct, 2);
	report_process_json(j, &p->m, &p->ri);
	json_obj_end(j);
}

int report_sys_json(FILE *f, const struct lt_sys_model *sm, const struct report_info *ri)
{
	const struct lt_totals *t = &sm->totals;
	struct json j;
	size_t kept;

	json_init(&j, f, 1);
	json_obj_begin(&j);
	json_int_field(&j, "version", 1);
	report_mode_json(&j, ri);
	json_bool_field(&j, "system_wide", 1);
	json_double_field(&j, "duration_s", ri->duration_s, 3);
	json_uint_field(&j, "processes_traced", sm->live);
	json_key(&j, "events");
	json_obj_begin(&j);
	json_uint_field(&j, "allocs_seen", t->counters[LT_CNT_ALLOCS]);
	json_uint_field(&j, "frees_seen", t->counters[LT_CNT_FREES]);
	json_obj_end(&j);
	report_drops_json(&j, t);
	/* processes holding memory, suspects first */
	json_key(&j, "processes");
	json_arr_begin(&j);
	for (size_t i = 0; i < sm->nprocs; i++) {
		const struct lt_sys_proc *p = &sm->procs[i];

		if (p->has_model && (p->sum.totals.allocs || p->sum.totals.fds_open))
			json_proc(&j, p);
	}
	json_arr_end(&j);
	/* gone during the run (the last LT_EXITED_KEEP) */
	json_uint_field(&j, "exited_total", sm->nexited);
	json_key(&j, "exited");
	json_arr_begin(&j);
	kept = sm->nexited < LT_EXITED_KEEP ? sm->nexited : LT_EXITED_KEEP;
	for (size_t i = sm->nexited - kept; sm->exited && i < sm->nexited; i++) {
		const struct lt_exited *e = &sm->exited[i % LT_EXITED_KEEP];

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
	json_int_field(&j, "peak_rss_kib", lt_peak_rss_kib());
	json_obj_end(&j);
	json_obj_end(&j);
	fflush(f);
	return ferror(f) ? -EIO : 0;
}
