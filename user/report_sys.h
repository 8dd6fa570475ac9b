/* SPDX-License-Identifier: MIT */
/*
 * -a's reports: processes first (those whose memory grows, by growth), then
 * each suspect process's stacks, then the processes gone since the last
 * report, each once. JSON: {"version": 1, "mode", "processes": [{"pid",
 * "comm", "cgroup", "totals", "stacks", ...}], "exited": [...]}.
 */
#ifndef LT_REPORT_SYS_H
#define LT_REPORT_SYS_H

#include <stdio.h>
#include "report.h"
#include "report_ctx.h"

struct procs;
struct lt_pstate;

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

struct report_sys {
	struct procs *ps;
	struct lt_exited *exited;	/* the last LT_EXITED_KEEP, a ring */
	size_t nexited;			/* ever */
	bool json_all;			/* the final JSON: every process */
};

#define LT_EXITED_KEEP 1024

/* The text report; marks the gone processes it showed as reported (for
 * procs_purge()). rc's sym and py are set per process. */
void report_sys_text(FILE *f, struct report_sys *rs, struct report_ctx *rc,
		     const struct report_info *ri);
int report_sys_json(FILE *f, struct report_sys *rs, struct report_ctx *rc,
		    const struct report_info *ri);
/* Per process with outstanding memory: fn with its model (frames for
 * every stack) and ri narrowed to it. */
int report_sys_each(struct report_sys *rs, struct report_ctx *rc, const struct report_info *ri,
		    int (*fn)(void *arg, struct lt_pstate *p, const struct lt_model *m,
			      const struct report_info *ri),
		    void *arg);

#endif
