/* SPDX-License-Identifier: MIT */
/*
 * A report as data: every site with its symbolized, spliced frames. The
 * text and JSON reports and the exporters (folded, flame graph, speedscope,
 * pprof) all read this one model.
 */
#ifndef LT_PROFILE_H
#define LT_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include "model.h"
#include "python.h"
#include "report_ctx.h"
#include "site.h"
#include "symbolize.h"

/* native frames and the calls inlined in them, then Python frames */
#define LT_MAX_FRAMES (2 * LT_MAX_STACK_DEPTH + LT_MAX_PY_DEPTH + 1)

struct lt_out_frame {
	bool python;
	struct lt_frame n;	/* native: function, module, offsets, mapping, file:line */
	struct py_frame_info p;	/* python: function (qualname), file, line */
};

struct lt_prof_stack {
	const struct lt_site *site;	/* bytes, allocs, total_allocs, prev_bytes, kind */
	const char *allocator;
	double oldest_age_s;
	int nframes;
	struct lt_out_frame *frames;	/* leaf first, from the allocator's caller */
};

struct lt_profile {
	int pid;
	const char *comm;
	const char *mode;
	uint64_t sample_bytes;	/* --sample-bytes (values are estimates), or 0 */
	double duration_s;
	const struct lt_totals *totals;
	struct lt_prof_stack *stacks;	/* sorted by outstanding bytes, descending */
	size_t n;
};

/* Frames of one site into fr[LT_MAX_FRAMES]; returns their number. Strings
 * are owned by the symbolizer and the python resolver. */
int profile_site_frames(const struct report_ctx *c, const struct report_info *ri,
			const struct lt_site *s, struct lt_out_frame *fr);
/* Every site with outstanding bytes, after the last collect. 0 or -errno. */
int profile_build(const struct report_ctx *c, const struct report_info *ri, struct lt_profile *out);
void profile_free(struct lt_profile *p);

#endif
