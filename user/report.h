/* SPDX-License-Identifier: MIT */
/* Leak reports: text for people, JSON (same content) for tools. */
#ifndef LT_REPORT_H
#define LT_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct aggregate;
struct symbolizer;
struct leaktrace_bpf;
struct lt_budget_info;

struct report_info {
	int pid;
	const char *comm;
	const char *mode;	/* "exact", "lite", or "sampled" (--sample-bytes) */
	const char *mode_why;	/* why that mode runs */
	const struct lt_budget_info *budget; /* lite's --max-overhead, or NULL */
	double duration_s;
	double min_age_s;
	int top;
	bool final;
	bool all_frames;	/* keep frames in no known mapping */
	bool target_exited;
	int probes, single_stepped;
	bool native_frames;	/* keep the interpreter's own native frames */
	bool fds;		/* --fds: report open descriptors */
	char python[24];	/* CPython version found in the target, or "" */
	/* a CPython whose frames cannot be read, and why (else ""): said in
	 * every report, never a silent native-only one */
	const char *python_unsupported;
	double exit_s;		/* the target began to exit this long after the start; < 0: not */
	bool export_failed;	/* the last report's exports could not be written */
	int64_t exec_gone_bytes; /* what its images before an exec held: gone with them */
	int64_t exec_gone_allocs;
	bool python_lto;	/* its small-object allocations are partly unseen */
	bool python_lite;	/* lite mode on CPython: pymalloc's blocks unseen */
	uint64_t sample_bytes;	/* --sample-bytes N: figures are estimates; 0: exact */
};

struct report_ctx {
	struct aggregate *agg;
	struct symbolizer *sym;
	struct leaktrace_bpf *skel;
	struct python **py;	/* CPython in the target, once found */
	struct objects *objs;	/* --objects, or NULL */
	struct rss *rss;	/* --rss, or NULL */
	double now_s;		/* seconds since tracing started */
};

void report_text(FILE *f, const struct report_ctx *c, const struct report_info *ri);
/* Pieces of it, for -a's report by process (report_sys.c): the run's mode
 * and counters, and one process's body (narrowed by aggregate_view()). */
void report_run_text(FILE *f, const struct report_ctx *c, const struct report_info *ri);
void report_process_text(FILE *f, const struct report_ctx *c, const struct report_info *ri);
/* The final report as JSON (schema in README.md). 0 or -errno. */
int report_json(FILE *f, const struct report_ctx *c, const struct report_info *ri);
struct json;
void report_mode_json(struct json *j, const struct report_info *ri);
struct lt_totals;
/* "drops": each drop counter (not failed allocations). */
void report_drops_json(struct json *j, const struct lt_totals *t);
void report_process_json(struct json *j, const struct report_ctx *c, const struct report_info *ri);

/* Frames as the reports print them, for sections kept elsewhere (rss.c). */
struct lt_out_frame;
struct json;
void report_frames_text(FILE *f, const struct lt_out_frame *fr, int n);
void report_frames_json(struct json *j, const struct lt_out_frame *fr, int n);

#endif
