/* SPDX-License-Identifier: MIT */
/*
 * A report's outstanding stacks as the exporters (folded, flame graph,
 * speedscope, pprof) take them: a view of the model (model.h), with the
 * run's facts.
 */
#ifndef LT_PROFILE_H
#define LT_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include "model.h"
#include "report_info.h"

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

/* Every outstanding stack of m (built with frames for all), pointing into
 * m: valid while m is. 0 or -ENOMEM. */
int profile_of(const struct lt_model *m, const struct report_info *ri, struct lt_profile *out);
void profile_free(struct lt_profile *p);

#endif
