/* SPDX-License-Identifier: MIT */
/* Where a report's data lives (report_ctx): the collect side reads it into
 * the model (model_build.h); renderers take the model and report_info. */
#ifndef LT_REPORT_CTX_H
#define LT_REPORT_CTX_H

#include "report_info.h"

struct aggregate;
struct symbolizer;
struct leaktrace_bpf;
struct budget;

struct report_ctx {
	struct aggregate *agg;
	struct symbolizer *sym;
	struct leaktrace_bpf *skel;
	struct python **py;	/* CPython in the target, once found */
	struct objects *objs;	/* --objects, or NULL */
	struct rss *rss;	/* --rss, or NULL */
	struct budget *budget;	/* --max-overhead's, or NULL */
	double now_s;		/* seconds since tracing started */
};

#endif
