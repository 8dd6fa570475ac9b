/* SPDX-License-Identifier: MIT */
/* --folded, --flamegraph, --speedscope, --pprof: written atomically at the
 * end, and at every report with --export-every. */
#ifndef LT_EXPORTS_H
#define LT_EXPORTS_H

#include "env.h"
#include "model.h"
#include "report_info.h"

/* Fail early on an unwritable export path. 0 or -errno (message printed). */
int exports_check(const struct lt_env *env);
/* Any export asked for? */
bool exports_any(const struct lt_env *env);
/* Write every requested export from a report's model (built with frames
 * for every stack). 0 or -errno. */
int exports_write(const struct lt_env *env, const struct lt_model *m,
		  const struct report_info *ri);

#endif
