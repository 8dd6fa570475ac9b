// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include "budget.h"
#include "frames.h"
#include "json.h"
#include "report.h"
#include "rss_report.h"
#include "util.h"

/* --objects section: GC object types by growth, with their top line. */
static void text_objects(FILE *f, const struct lt_model *m, const struct report_info *ri)
{
	const uint64_t *ct = m->totals.counters;

	if (!m->have_objects)
		return;
	fprintf(f, "Python objects created since tracing began, still alive, by growth:\n");
	/* the counts below are short of these: say by how much, and which table */
	if (ct[LT_CNT_DROP_OBJS_FULL] || ct[LT_CNT_DROP_OBJAGG_FULL])
		fprintf(f, "    not counted: %" PRIu64 " objects, object table full (--max-allocs); "
			   "%" PRIu64 ", type and line table full (--max-agg)\n",
			ct[LT_CNT_DROP_OBJS_FULL], ct[LT_CNT_DROP_OBJAGG_FULL]);
	for (size_t i = 0; i < m->nobjs && i < (size_t)ri->top; i++) {
		const struct lt_model_obj *o = &m->objs[i];

		if (!o->live && !o->growth)
			continue;
		fprintf(f, "    %-24s live %8lld  growth %+8lld", o->type, (long long)o->live,
			(long long)o->growth);
		if (o->has_top && o->top.file) {
			const char *b = strrchr(o->top.file, '/');

			fprintf(f, "  most from %s (%s:%d)", o->top.function,
				b ? b + 1 : o->top.file, o->top.line);
		}
		fputc('\n', f);
	}
}

static void print_site(FILE *f, const struct lt_model_stack *ms, size_t rank)
{
	const struct lt_site *s = &ms->site;
	int64_t g = s->bytes - s->prev_bytes;
	char b1[32], b2[32];

	fprintf(f, "#%zu  %s outstanding in %" PRId64 " allocation%s (%s), oldest %.1fs, %s%s", rank,
		lt_human_bytes(s->bytes, b1, sizeof(b1)), s->allocs, s->allocs == 1 ? "" : "s",
		ms->allocator, ms->oldest_age_s,
		g >= 0 ? "+" : "", lt_human_bytes(g, b2, sizeof(b2)));
	if (s->suspect)
		fprintf(f, ", growing %s/s%s (confidence %.0f%%)",
			lt_human_bytes(s->growth_rate, b1, sizeof(b1)),
			s->stepwise ? " in steps, like a container that only grows" : "",
			s->confidence * 100);
	fputc('\n', f);
	if (!s->stack_id)
		fprintf(f, "        (stack lost: only the direct caller is known)\n");
	frames_text(f, ms->frames, ms->nframes);
	if (ms->truncated)
		fprintf(f, "        ... (native stack deeper than %d frames)\n", LT_MAX_STACK_DEPTH);
	if (ms->py_truncated)
		fprintf(f, "        ... (Python stack deeper than %d frames)\n", LT_MAX_PY_DEPTH);
}

/* --fds: who holds open descriptors. */
static void print_fds(FILE *f, const struct lt_model *m, const struct report_info *ri)
{
	size_t n = m->nfds;

	if (!ri->fds)
		return;
	fprintf(f, "Open file descriptors: %" PRId64 " opened since tracing began and not closed%s\n",
		m->totals.fds_open, n ? ", by stack:" : "");
	for (size_t i = 0; i < n && i < (size_t)ri->top; i++) {
		const struct lt_model_stack *ms = &m->fds[i];
		const struct lt_site *s = &ms->site;
		int64_t g = s->allocs - s->prev_bytes; /* fds: bytes == count */

		fprintf(f, "#%zu  %" PRId64 " open, oldest %.1fs, %s%" PRId64 "%s\n", i + 1, s->allocs,
			ms->oldest_age_s, g >= 0 ? "+" : "", g,
			s->suspect ? ", growing (suspect)" : "");
		frames_text(f, ms->frames, ms->nframes);
	}
}

/* What grows and never comes back, by growth rate. */
static void print_suspects(FILE *f, const struct lt_model *m, const struct report_info *ri)
{
	size_t n = m->nsuspects;

	if (!n) {
		fprintf(f, "Leak suspects: none (a suspect grows in most of the last %d reports, "
			   "or in steps that never fall back)\n", LT_HISTORY - 1);
		return;
	}
	fprintf(f, "Leak suspects: %zu stack%s that keep%s growing, by growth rate:\n", n,
		n == 1 ? "" : "s", n == 1 ? "s" : "");
	for (size_t i = 0; i < n && i < (size_t)ri->top; i++)
		print_site(f, m->suspects[i], i + 1);
}

/* Which mode ran, why, and what it leaves out or thins. */
static void text_mode(FILE *f, const struct report_info *ri)
{
	const struct lt_budget_info *b = ri->budget;
	char who[48];

	fprintf(f, "mode: %s (%s)", ri->mode, ri->mode_why ? ri->mode_why : "default");
	if (!strcmp(ri->mode, "lite"))
		fprintf(f, "; traces the C allocator and mmap%s", ri->python_lite ?
			", not pymalloc: small Python objects show through the containers that "
			"hold them and as arenas" : "");
	fputc('\n', f);
	if (!b)
		return;
	if (b->hot_pid) /* -a: the process that needs the most thinning */
		snprintf(who, sizeof(who), "pid %d's CPU, the most loaded process", b->hot_pid);
	else
		snprintf(who, sizeof(who), "the %s's CPU", ri->pid ? "target" : "host");
	fprintf(f, "overhead: ~%.1f%% of %s (budget --max-overhead %.1f%%; a probe trap %.0f ns, "
		   "a return's %.0f, x%.2f %s)", b->overhead_pct, who, b->budget_pct, b->trap_ns,
		b->ret_trap_ns, b->cost_factor,
		b->cost_measured ? "as measured in the target" : "until measured");
	if (b->run_pct >= 0)
		fprintf(f, "; ~%.1f%% since the start", b->run_pct);
	if (b->duty < 1)
		fprintf(f, "; THINNED: allocation probes on %.0f%% of the time (%.1f%% with all on), "
			   "so sizes are of the traced share; %s", b->duty * 100, b->full_pct,
			b->free_duty < 1 ? "frees thinned too: a block freed while they were off "
					   "counts until its address is freed or handed out while "
					   "they are on; reports taken as the drain of frees ends"
					 : "frees always traced; reports taken late in the off-phase");
	else if (b->thinned_s > 0)
		fprintf(f, "; thinned for %.1fs earlier", b->thinned_s);
	fputc('\n', f);
}

/* The run as a whole: mode, sampling, event and drop counts. */
void report_run_text(FILE *f, const struct lt_totals *t, const struct report_info *ri)
{
	char b1[32];

	text_mode(f, ri);
	if (ri->sample_bytes)
		fprintf(f, "sampling: one allocation per %s allocated on average (--sample-bytes %" PRIu64
			   "): bytes and allocation counts are estimates\n",
			lt_human_bytes(ri->sample_bytes, b1, sizeof(b1)), ri->sample_bytes);
	fprintf(f, "events: %" PRIu64 " %sallocations, %" PRIu64 " frees; dropped %" PRIu64,
		t->counters[LT_CNT_ALLOCS], ri->sample_bytes ? "sampled " : "",
		t->counters[LT_CNT_FREES], t->dropped);
	if (t->dropped)
		fprintf(f, " (allocs map full %" PRIu64 ", aggregate map full %" PRIu64
			   ", stacks lost %" PRIu64 ", in-flight map full %" PRIu64 "%s)",
			t->counters[LT_CNT_DROP_ALLOCS_FULL], t->counters[LT_CNT_DROP_AGG_FULL],
			t->counters[LT_CNT_DROP_STACK], t->counters[LT_CNT_DROP_INFLIGHT],
			t->counters[LT_CNT_DROP_PROCS_FULL] ? ", processes map full" : "");
	fputc('\n', f);
	if (t->counters[LT_CNT_NEWSTACKS_LOST])
		fprintf(f, "python: %" PRIu64 " new stacks not signalled (ring full): their code "
			   "objects read later, a frame whose code was freed before shows as "
			   "<code object freed>\n", t->counters[LT_CNT_NEWSTACKS_LOST]);
}

void report_text(FILE *f, const struct lt_model *m, const struct report_info *ri)
{
	fprintf(f, "\n[%.1fs] %sleaktrace: pid %d (%s), %s mode%s\n", ri->duration_s,
		ri->final ? "final report — " : "", ri->pid, ri->comm ? ri->comm : "?", ri->mode,
		ri->target_exited ? ", target exited" : "");
	report_run_text(f, &m->totals, ri);
	text_objects(f, m, ri);
	report_process_text(f, m, ri);
}

/* One process: its memory, descriptors, suspects and largest stacks. */
void report_process_text(FILE *f, const struct lt_model *m, const struct report_info *ri)
{
	const struct lt_totals *t = &m->totals;
	size_t n = m->nstacks;
	char b1[32], b2[32];
	int64_t growth = 0;

	for (size_t i = 0; i < n; i++)
		growth += m->stacks[i].site.bytes - m->stacks[i].site.prev_bytes;
	if (ri->python_unsupported && ri->python_unsupported[0])
		fprintf(f, "python: %s\n", ri->python_unsupported);
	if (ri->exec_gone_allocs)
		fprintf(f, "exec: its image before the exec held %s in %" PRId64 " allocations, "
			   "gone with it (not a leak)\n",
			lt_human_bytes(ri->exec_gone_bytes, b1, sizeof(b1)), ri->exec_gone_allocs);
	if (ri->exit_s >= 0)
		fprintf(f, "exit: began at %.1fs (exit(), or CPython's finalization); these figures "
			   "are what it held then. Afterwards it freed %s in %" PRIu64 " blocks and "
			   "made %" PRIu64 " allocations, not counted here\n", ri->exit_s,
			lt_human_bytes(t->counters[LT_CNT_EXIT_FREE_BYTES], b1, sizeof(b1)),
			t->counters[LT_CNT_EXIT_FREES], t->counters[LT_CNT_EXIT_ALLOCS]);
	if (ri->python[0])
		fprintf(f, "python: CPython %s%s\n", ri->python,
			ri->python_lite ? "" :
			ri->python_lto ? "; stripped LTO build: most small objects are not seen, "
					 "launch with --python-malloc=libc to see them" : "");
	if (t->arena_allocs || ri->python_lite)
		fprintf(f, "pymalloc arenas (small objects <= 512 B, not listed by line%s): %s in "
			   "%" PRId64 " arena%s, %s%s since the last report\n",
			ri->python_lite ? " in lite mode" : "",
			lt_human_bytes(t->arena_bytes, b1, sizeof(b1)), t->arena_allocs,
			t->arena_allocs == 1 ? "" : "s",
			t->arena_bytes >= t->arena_prev_bytes ? "+" : "",
			lt_human_bytes(t->arena_bytes - t->arena_prev_bytes, b2, sizeof(b2)));
	fprintf(f, "outstanding: %s in %" PRId64 " allocation%s", lt_human_bytes(t->bytes, b1, sizeof(b1)),
		t->allocs, t->allocs == 1 ? "" : "s");
	if (ri->min_age_s > 0)
		fprintf(f, " (stacks below: at least %.1fs old)", ri->min_age_s);
	fprintf(f, "; reported stacks grew %s%s since the last report\n", growth >= 0 ? "+" : "",
		lt_human_bytes(growth, b2, sizeof(b2)));
	if (t->runtime_allocs)
		fprintf(f, "C runtime's own mappings (loader, thread stacks; not listed): %s in %" PRId64
			   " mapping%s\n", lt_human_bytes(t->runtime_bytes, b1, sizeof(b1)), t->runtime_allocs,
			t->runtime_allocs == 1 ? "" : "s");
	if (!n) {
		print_fds(f, m, ri);
		fprintf(f, "no outstanding allocations%s\n", ri->min_age_s > 0 ? " that old" : "");
		return;
	}
	print_fds(f, m, ri);
	print_suspects(f, m, ri);
	fprintf(f, "Largest outstanding: top %zu of %zu stacks by bytes:\n",
		n < (size_t)ri->top ? n : (size_t)ri->top, n);
	for (size_t i = 0; i < n && i < (size_t)ri->top; i++)
		print_site(f, &m->stacks[i], i + 1);
	fflush(f);
}

static void json_objects(struct json *j, const struct lt_model *m);
static void json_fds(struct json *j, const struct lt_model *m, const struct report_info *ri);
static void json_stacks(struct json *j, const struct lt_model *m);

/* "mode", "mode_reason", "overhead" and "sample_bytes" of the run. */
void report_mode_json(struct json *j, const struct report_info *ri)
{
	json_str_field(j, "mode", ri->mode);
	json_str_field(j, "mode_reason", ri->mode_why ? ri->mode_why : "");
	if (ri->budget) {
		const struct lt_budget_info *b = ri->budget;

		json_key(j, "overhead");
		json_obj_begin(j);
		json_double_field(j, "budget_pct", b->budget_pct, 2);
		json_double_field(j, "estimated_pct", b->overhead_pct, 2);
		json_double_field(j, "all_probes_on_pct", b->full_pct, 2);
		if (b->run_pct >= 0)
			json_double_field(j, "run_pct", b->run_pct, 2);
		json_double_field(j, "trap_ns", b->trap_ns, 1);
		json_double_field(j, "ret_trap_ns", b->ret_trap_ns, 1);
		json_double_field(j, "cost_factor", b->cost_factor, 2);
		json_bool_field(j, "cost_measured", b->cost_measured);
		json_double_field(j, "alloc_probe_duty", b->duty, 3);
		json_double_field(j, "thinned_s", b->thinned_s, 2);
		json_double_field(j, "free_probe_duty", b->free_duty, 3);
		json_double_field(j, "drain", b->drain, 2);
		json_double_field(j, "drain_survivors", b->drain_survivors, 3);
		if (b->hot_pid) { /* -a: the process the duties were set for */
			json_int_field(j, "hot_pid", b->hot_pid);
		}
		json_obj_end(j);
	}
	if (ri->sample_bytes) { /* bytes and allocs are estimates */
		json_uint_field(j, "sample_bytes", ri->sample_bytes);
	}
}

int report_json(FILE *f, const struct lt_model *m, const struct report_info *ri)
{
	struct json j;

	json_init(&j, f, 1);
	json_obj_begin(&j);
	json_int_field(&j, "version", 1);
	report_mode_json(&j, ri);
	json_int_field(&j, "pid", ri->pid);
	json_str_field(&j, "comm", ri->comm ? ri->comm : "");
	json_double_field(&j, "duration_s", ri->duration_s, 3);
	json_bool_field(&j, "target_exited", ri->target_exited);
	report_process_json(&j, m, ri);
	report_drops_json(&j, &m->totals);
	json_objects(&j, m);
	rss_report_json(&j, m->rss);
	json_obj_end(&j);
	fflush(f);
	return ferror(f) ? -EIO : 0;
}

void report_drops_json(struct json *j, const struct lt_totals *t)
{
	json_key(j, "drops");
	json_obj_begin(j);
	for (int i = LT_CNT_DROP_ALLOCS_FULL; i < LT_CNT_EXIT_FREES; i++) {
		if (i == LT_CNT_FAILED_ALLOCS)
			continue;
		json_uint_field(j, lt_counter_names[i], t->counters[i]);
	}
	json_obj_end(j);
}

/* One process's python, totals, fds and stacks, inside an open object. */
void report_process_json(struct json *j, const struct lt_model *m, const struct report_info *ri)
{
	const struct lt_totals *t = &m->totals;

	if (ri->exec_gone_allocs) {
		json_key(j, "exec");
		json_obj_begin(j);
		json_int_field(j, "gone_bytes", ri->exec_gone_bytes);
		json_int_field(j, "gone_allocs", ri->exec_gone_allocs);
		json_obj_end(j);
	}
	if (ri->exit_s >= 0) {
		json_key(j, "exit");
		json_obj_begin(j);
		json_double_field(j, "began_s", ri->exit_s, 3);
		json_uint_field(j, "frees_after", t->counters[LT_CNT_EXIT_FREES]);
		json_uint_field(j, "freed_bytes_after", t->counters[LT_CNT_EXIT_FREE_BYTES]);
		json_uint_field(j, "allocs_after", t->counters[LT_CNT_EXIT_ALLOCS]);
		json_obj_end(j);
	}
	if (ri->python[0]) {
		json_key(j, "python");
		json_obj_begin(j);
		json_str_field(j, "version", ri->python);
		json_bool_field(j, "supported", true);
		json_bool_field(j, "small_objects_unseen", ri->python_lto || ri->python_lite);
		if (t->counters[LT_CNT_PY_WALKS]) { /* LEAKTRACE_TIME_PYWALK=1 */
			json_uint_field(j, "walks_timed", t->counters[LT_CNT_PY_WALKS]);
			json_uint_field(j, "walk_ns", t->counters[LT_CNT_PY_WALK_NS]);
			json_uint_field(j, "walk_frames", t->counters[LT_CNT_PY_WALK_FRAMES]);
		}
		json_obj_end(j);
	} else if (ri->python_unsupported && ri->python_unsupported[0]) {
		json_key(j, "python");
		json_obj_begin(j);
		json_bool_field(j, "supported", false);
		json_str_field(j, "reason", ri->python_unsupported);
		json_obj_end(j);
	}

	if (t->counters[LT_CNT_UW_LOOKUPS]) { /* LEAKTRACE_UNWIND_STATS=1 */
		json_key(j, "unwind");
		json_obj_begin(j);
		json_uint_field(j, "rule_lookups", t->counters[LT_CNT_UW_LOOKUPS]);
		json_uint_field(j, "rule_cache_misses", t->counters[LT_CNT_UW_MISSES]);
		json_obj_end(j);
	}
	json_key(j, "totals");
	json_obj_begin(j);
	json_int_field(j, "outstanding_bytes", t->bytes);
	json_int_field(j, "outstanding_allocs", t->allocs);
	json_uint_field(j, "dropped_events", t->dropped);
	json_int_field(j, "runtime_bytes", t->runtime_bytes);
	json_int_field(j, "runtime_allocs", t->runtime_allocs);
	json_int_field(j, "pymalloc_arena_bytes", t->arena_bytes);
	json_int_field(j, "pymalloc_arenas", t->arena_allocs);
	json_uint_field(j, "allocs_seen", t->counters[LT_CNT_ALLOCS]);
	json_uint_field(j, "frees_seen", t->counters[LT_CNT_FREES]);
	json_obj_end(j);
	json_fds(j, m, ri);
	json_stacks(j, m);
}

static void json_objects(struct json *j, const struct lt_model *m)
{
	if (!m->have_objects)
		return;
	json_key(j, "objects");
	json_arr_begin(j);
	for (size_t i = 0; i < m->nobjs; i++) {
		const struct lt_model_obj *o = &m->objs[i];

		json_obj_begin(j);
		json_str_field(j, "type", o->type);
		json_int_field(j, "live", o->live);
		json_int_field(j, "growth", o->growth);
		json_uint_field(j, "created", o->created);
		if (o->has_top) {
			json_key(j, "top_line");
			json_obj_begin(j);
			json_str_field(j, "kind", "python");
			json_str_field(j, "function", o->top.function);
			if (o->top.file)
				json_str_field(j, "file", o->top.file);
			if (o->top.line)
				json_int_field(j, "line", o->top.line);
			json_int_field(j, "live", o->top_live);
			json_obj_end(j);
		}
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void json_fds(struct json *j, const struct lt_model *m, const struct report_info *ri)
{
	if (ri->fds) {
		json_key(j, "fds");
		json_obj_begin(j);
		json_int_field(j, "open", m->totals.fds_open);
		json_key(j, "stacks");
		json_arr_begin(j);
		for (size_t i = 0; i < m->nfds; i++) {
			const struct lt_model_stack *ms = &m->fds[i];

			json_obj_begin(j);
			json_int_field(j, "open", ms->site.allocs);
			json_int_field(j, "growth", ms->site.bytes - ms->site.prev_bytes);
			json_double_field(j, "oldest_age_s", ms->oldest_age_s, 1);
			json_bool_field(j, "suspect", ms->site.suspect);
			frames_json(j, ms->frames, ms->nframes);
			json_obj_end(j);
		}
		json_arr_end(j);
		json_obj_end(j);
	}
}

static void json_stacks(struct json *j, const struct lt_model *m)
{
	/* Every stack, not just --top: tools filter for themselves. */
	json_key(j, "stacks");
	json_arr_begin(j);
	for (size_t i = 0; i < m->nstacks; i++) {
		const struct lt_model_stack *ms = &m->stacks[i];
		const struct lt_site *s = &ms->site;

		json_obj_begin(j);
		json_int_field(j, "bytes", s->bytes);
		json_int_field(j, "allocs", s->allocs);
		json_double_field(j, "oldest_age_s", ms->oldest_age_s, 1);
		json_int_field(j, "growth_bytes", s->bytes - s->prev_bytes);
		json_uint_field(j, "total_allocs", s->total_allocs);
		json_double_field(j, "growth_bytes_per_s", s->growth_rate, 1);
		json_bool_field(j, "suspect", s->suspect);
		json_double_field(j, "confidence", s->confidence, 2);
		if (s->stepwise)
			json_bool_field(j, "grows_in_steps", true);
		json_str_field(j, "allocator", ms->allocator);
		if (!s->stack_id)
			json_bool_field(j, "stack_lost", 1);
		if (ms->truncated)
			json_bool_field(j, "truncated", 1);
		if (ms->heuristic) { /* a frame pointer followed without CFI */
			json_bool_field(j, "heuristic", 1);
		}
		if (ms->py_truncated)
			json_bool_field(j, "python_truncated", 1);
		frames_json(j, ms->frames, ms->nframes);
		json_obj_end(j);
	}
	json_arr_end(j);
}
