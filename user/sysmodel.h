/* SPDX-License-Identifier: MIT */
/*
 * -a: the host's report model (report_sys.h) from the last collect, each
 * process's own model built with its symbolizer and CPython; and what a
 * report changes: gone processes remembered once reported.
 */
#ifndef LT_SYSMODEL_H
#define LT_SYSMODEL_H

#include <stdbool.h>
#include "report_ctx.h"
#include "report_sys.h"

struct procs;

struct report_sys {
	struct procs *ps;
	struct lt_exited *exited;	/* the last LT_EXITED_KEEP, a ring */
	size_t nexited;			/* ever */
};

/* The processes with their models: with `all`, each holding memory, frames
 * for every stack (JSON, continuous mode's profiles); else the suspect ones
 * a text report shows, up to --top of them, their top stacks. rc's sym and
 * py are set per process. Its strings are the processes' symbolizers' and
 * CPythons': free it before procs_purge(). 0 or -errno; sys_model_free()
 * either way. */
int sys_model_build(struct report_sys *rs, struct report_ctx *rc, const struct report_info *ri,
		    bool all, struct lt_sys_model *sm);
void sys_model_free(struct lt_sys_model *sm);
/* After a text report: the gone processes are remembered for the final
 * JSON and marked reported (for procs_purge()), and sm reads as it would
 * once built again (the exits, no growth since), for that JSON. */
void sys_model_reported(struct report_sys *rs, struct report_ctx *rc, struct lt_sys_model *sm);

#endif
