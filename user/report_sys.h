/* SPDX-License-Identifier: MIT */
/*
 * -a's reports: processes first (those whose memory grows, by growth), then
 * each suspect process's stacks, then the processes gone since the last
 * report, each once. JSON: {"version": 1, "mode", "processes": [{"pid",
 * "comm", "cgroup", "totals", "stacks", ...}], "exited": [...]}. Printed
 * from the host's model (sysmodel.h builds it) alone.
 */
#ifndef LT_REPORT_SYS_H
#define LT_REPORT_SYS_H

#include <stdio.h>
#include "model.h"
#include "report_info.h"

/* A process gone during the run, as the final JSON lists it. */
struct lt_exited {
	uint32_t pid;
	char comm[16];
	char cgroup[256];
	double lifetime_s;
	int64_t bytes, allocs;	/* outstanding when it went */
	int64_t mmap_bytes, mmap_allocs; /* of which mmaps */
	int nsuspects;
};

#define LT_EXITED_KEEP 1024
#define LT_STACKS_PER_PROC 5 /* a suspect process's stacks in the text report */

/* One process image the last collect saw memory of. */
struct lt_sys_proc {
	uint32_t tgid, epoch, ppid;
	char comm[16];
	char cgroup[256];
	bool gone;		/* exited or exec'd */
	bool reported;		/* its going was in an earlier report */
	double lifetime_s;	/* once gone */
	double probe_cost_pct;	/* the probes' cost to it since the start, % (< 0: not known) */
	struct lt_proc_sum sum;
	struct report_info ri;	/* the report's, narrowed to it */
	bool has_model;		/* m holds its stacks (sys_model_build()) */
	struct lt_model m;
};

/* The host's report: its processes in the collect's order (suspects first
 * by growth, then by outstanding bytes). */
struct lt_sys_model {
	struct lt_totals totals;	/* all processes */
	size_t live;			/* processes traced now */
	size_t images;			/* process images known */
	size_t ngone;			/* gone since the last report */
	struct lt_sys_proc *procs;
	size_t nprocs;
	const struct lt_exited *exited;	/* the last LT_EXITED_KEEP, a ring */
	size_t nexited;			/* ever */
};

void report_sys_text(FILE *f, const struct lt_sys_model *sm, const struct report_info *ri);
int report_sys_json(FILE *f, const struct lt_sys_model *sm, const struct report_info *ri);

#endif
