/* SPDX-License-Identifier: MIT */
/*
 * The run loop, written once for its two drivers, one process (main.c) and
 * the host (sysmain.c): wait a tick -> follow what changed -> widen the
 * birth buckets, run lite mode's budget -> stop on a signal, -d or the
 * driver's word -> a report every interval; then the final report, the
 * JSON and the detach. A driver opens the shared state, loads and attaches
 * its things, fills its callbacks and hands over to runloop_run().
 */
#ifndef LT_RUNLOOP_H
#define LT_RUNLOOP_H

#include <stdbool.h>
#include <stdio.h>
#include "env.h"
#include "mode.h"
#include "report_ctx.h"

#define LT_TICK_MS 50 /* the loop's pace: events, exit and dlopen polling */

struct runloop;

/* NULL where marked: the driver has nothing to do there. */
struct runloop_driver {
	/* Before anything is loaded (NULL): 0 or -errno after a message. */
	int (*check)(struct runloop *rl);
	/* Up to timeout_ms for the driver's events: the loop's sleep. */
	void (*wait)(struct runloop *rl, int timeout_ms);
	/* After each wait: follow execs, dlopens, new processes. */
	void (*tick)(struct runloop *rl, double elapsed);
	/* Stop now, the target gone (NULL). */
	bool (*done)(struct runloop *rl);
	/* Each tick not stopped, between reports (NULL): nonzero stops. */
	int (*idle)(struct runloop *rl, double elapsed);
	/* An interval's report, or the final one (ri.final): 0 or -errno. */
	int (*report)(struct runloop *rl, double elapsed);
	/* Before the final report (NULL). */
	void (*last)(struct runloop *rl, double elapsed);
	/* The final JSON into f: 0 or -errno. */
	int (*json)(struct runloop *rl, FILE *f);
	/* After the detach (NULL: 0): the exit code of a run that went well. */
	int (*finish)(struct runloop *rl);
	/* Free the driver's own, before the loader they hang on (NULL). */
	void (*release)(struct runloop *rl);
};

/* The drivers' shared state; a driver keeps it as its first member. */
struct runloop {
	const struct runloop_driver *drv;
	const struct lt_env *env;
	FILE *text;			/* the text reports (escaped) */
	struct output *json_out;	/* --json, open from the start */
	struct continuous *cont;	/* --continuous, or NULL */
	struct run_mode mode;
	struct loader *ld;		/* the driver's, freed here */
	struct aggregate *agg;		/* the driver's, freed here */
	struct report_ctx rc;
	struct report_info ri;
	double start, last_report;	/* lt_now_s() */
};

/* The reports' stream, then what fails before any loading: privileges,
 * the driver's check, unwritable outputs, continuous mode's setup. 0 or
 * -errno after a message; runloop_free() either way. */
int runloop_open(struct runloop *rl, const struct runloop_driver *drv, const struct lt_env *env);
/* SIGINT, SIGTERM, SIGHUP end the run with the final report; child: a
 * SIGCHLD cuts the tick's wait short (a launched command's ptrace stops). */
void runloop_catch_signals(bool child);
/* Until stopped, then the final report: the exit code. */
int runloop_run(struct runloop *rl);
/* The driver's release, then the shared state's (NULL-safe). */
void runloop_free(struct runloop *rl);

#endif
