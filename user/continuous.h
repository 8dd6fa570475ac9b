/* SPDX-License-Identifier: MIT */
/*
 * Continuous mode: a gzipped pprof heap profile every --every seconds, kept
 * in --out-dir (rotated) and/or pushed to Pyroscope (--push, see push.h).
 * Each profile is labelled with the process it describes; the labels are
 * passed in, so a host-wide mode can submit one profile per process:
 *
 *   name=myapp{service_name=myapp,pid=4242,comm=myapp,
 *              cgroup=/system.slice/myapp.service,hostname=web1}
 *
 * Label values keep only characters that are safe in a Pyroscope name
 * ("{}=, and controls become '_').
 */
#ifndef LT_CONTINUOUS_H
#define LT_CONTINUOUS_H

#include "env.h"
#include "model.h"
#include "report_info.h"

struct lt_profile;
struct continuous;

struct lt_labels {
	int pid;
	char comm[64];
	char cgroup[512];	/* cgroup v2 path ("0::" line of /proc/PID/cgroup) */
	char hostname[256];
	char service[128];	/* --service, else the process name */
};

/* Refresh lb for pid: what cannot be read now (an exited process's
 * cgroup) keeps its earlier value. service and hostname (--hostname;
 * default gethostname()) may be NULL. */
void labels_update(struct lt_labels *lb, int pid, const char *comm, const char *service,
		   const char *hostname);

/* From env's --every, --out-dir and caps, --push and the spool. 0 or
 * -errno after a message. */
int continuous_new(const struct lt_env *env, struct continuous **out);
/* One process's profile for the window [from, until] (UNIX seconds). */
int continuous_submit(struct continuous *c, const struct lt_labels *lb, const struct lt_profile *p,
		      double from, double until);
/* -a: one window per period, then a profile per process in it. */
void continuous_window(struct continuous *c, double *from, double *until);
int continuous_profile(struct continuous *c, const struct lt_labels *lb,
		       const struct lt_model *m, const struct report_info *ri, double from,
		       double until);
/* The period that ends now, from the report's model (frames for every
 * stack): the window starts where the previous one ended (at
 * continuous_new() for the first). */
int continuous_period(struct continuous *c, const struct lt_labels *lb, const struct lt_model *m,
		      const struct report_info *ri);
/* Last delivery attempt, then a one-line summary. */
void continuous_free(struct continuous *c);

#endif
