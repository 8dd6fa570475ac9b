/* SPDX-License-Identifier: MIT */
/* --folded, --flamegraph, --speedscope, --pprof: written atomically at the
 * end, and at every report with --export-every. */
#ifndef LT_EXPORTS_H
#define LT_EXPORTS_H

#include "env.h"
#include "report_ctx.h"

/* Fail early on an unwritable export path. 0 or -errno (message printed). */
int exports_check(const struct lt_env *env);
/* Write every requested export from the last collect. 0 or -errno. */
int exports_write(const struct lt_env *env, const struct report_ctx *c,
		  const struct report_info *ri);

#endif
