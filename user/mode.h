/* SPDX-License-Identifier: MIT */
/* Which mode runs (exact, lite, sampled) and why; lite's overhead budget. */
#ifndef LT_MODE_H
#define LT_MODE_H

#include <stdbool.h>
#include "env.h"

struct budget;
struct loader;
struct python;
struct report_info;

struct run_mode {
	enum lt_mode mode;	/* LT_MODE_AUTO until decided */
	char why[200];		/* every report says it */
	const char *libc;	/* for the budget's calibration */
	struct budget *budget;	/* lite mode's --max-overhead, or NULL */
};

/* From the options alone: --mode, --sample-bytes, continuous use. */
void mode_init(struct run_mode *m, const struct lt_env *env, const char *libc,
	       struct report_info *ri);
/* CPython found: an LTO build exact mode cannot see into runs lite. */
void mode_for_python(struct run_mode *m, const struct lt_env *env, const struct python *py,
		     struct report_info *ri);
bool mode_is_lite(const struct run_mode *m);
/* Lite mode gets its budget (unless --max-overhead 0): calibrates. */
void mode_start_budget(struct run_mode *m, const struct lt_env *env, struct loader *ld,
		       struct report_info *ri, int pid);
void mode_free(struct run_mode *m);

#endif
