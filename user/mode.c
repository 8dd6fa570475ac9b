// SPDX-License-Identifier: MIT
#include <stdio.h>
#include "budget.h"
#include "log.h"
#include "mode.h"
#include "python.h"
#include "report.h"

static void say(struct run_mode *m, const struct lt_env *env, struct report_info *ri)
{
	ri->mode = m->mode == LT_MODE_LITE ? "lite" : env->sample_bytes ? "sampled" : "exact";
	ri->mode_why = m->why;
}

void mode_init(struct run_mode *m, const struct lt_env *env, const char *libc,
	       struct report_info *ri)
{
	m->mode = env->mode;
	m->libc = libc;
	if (env->mode != LT_MODE_AUTO) {
		snprintf(m->why, sizeof(m->why), "--mode %s",
			 env->mode == LT_MODE_LITE ? "lite" : "exact");
	} else if (env->sample_bytes) {
		snprintf(m->why, sizeof(m->why), "--sample-bytes %llu",
			 (unsigned long long)env->sample_bytes);
	} else if (env->all) {
		/* every process pays for the probes */
		m->mode = LT_MODE_LITE;
		snprintf(m->why, sizeof(m->why), "the default for -a");
	} else if (env->continuous) {
		/* always on: production cost rules */
		m->mode = LT_MODE_LITE;
		snprintf(m->why, sizeof(m->why), "the default for continuous use");
	} else {
		snprintf(m->why, sizeof(m->why), "the default for one process");
	}
	say(m, env, ri);
}

void mode_for_python(struct run_mode *m, const struct lt_env *env, const struct python *py,
		     struct report_info *ri)
{
	/* Exact mode cannot see an LTO build's inlined pymalloc: lite is as
	 * good there and far cheaper. --sample-bytes asks for exact mode. */
	if (m->mode == LT_MODE_AUTO) {
		m->mode = LT_MODE_EXACT;
		if (python_lto_stripped(py) && !python_uses_libc_malloc(py) && !env->sample_bytes) {
			m->mode = LT_MODE_LITE;
			snprintf(m->why, sizeof(m->why), "%s is a stripped LTO build whose small-"
				 "object allocator exact mode cannot see", python_module_path(py));
		}
	}
	say(m, env, ri);
	if (env->objects && m->mode == LT_MODE_LITE)
		wlog("--objects needs exact mode (--mode exact): objects are not counted\n");
}

bool mode_is_lite(const struct run_mode *m)
{
	return m->mode == LT_MODE_LITE;
}

void mode_start_budget(struct run_mode *m, const struct lt_env *env, struct loader *ld,
		       struct report_info *ri, int pid)
{
	if (m->mode != LT_MODE_LITE || !env->max_overhead || m->budget)
		return;
	if (budget_new(ld, m->libc, env->max_overhead, pid, &m->budget))
		wlog("running without --max-overhead's budget\n");
	ri->budget = m->budget ? budget_info(m->budget) : NULL;
}

void mode_free(struct run_mode *m)
{
	budget_free(m->budget);
	m->budget = NULL;
}
