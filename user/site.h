/* SPDX-License-Identifier: MIT */
/* One allocation site as the reports see it, with the history its growth
 * is judged by (growth.c); aggregate.c fills it from the kernel's maps. */
#ifndef LT_SITE_H
#define LT_SITE_H

#include <stdbool.h>
#include <stdint.h>

#define LT_HISTORY 8 /* reports a site's growth is judged over */

/* What a site is: its stack (lt_stacks key), direct caller and allocator. */
struct lt_site_key {
	uint64_t stack_id;
	uint64_t caller;
	uint16_t kind;
};

/* One allocation site: a distinct (stack, direct caller, allocator). */
struct lt_site {
	uint32_t tgid, epoch;	/* the process image (-a; one process: epoch 0) */
	uint64_t stack_id;
	uint64_t caller;
	uint16_t kind;
	int64_t bytes;		/* outstanding, at least --min-age old */
	int64_t allocs;
	int64_t prev_bytes;	/* bytes at the previous report */
	uint64_t total_allocs;	/* allocations ever made here */
	uint64_t oldest_ms;	/* birth bucket of the oldest outstanding one */
	int64_t all_bytes;	/* outstanding whatever their age */
	int64_t all_allocs;
	/* Outstanding bytes at the last LT_HISTORY reports, oldest first. */
	unsigned int nhist;
	double hist_s[LT_HISTORY];
	int64_t hist_bytes[LT_HISTORY];
	int64_t hist_allocs[LT_HISTORY];
	/* Over the site's whole life: a container's backing array grows in
	 * steps that double, which a short history misses (growth_judge()). */
	double first_s;		/* first report that saw it */
	int64_t first_bytes;
	int64_t max_bytes;	/* the most it ever held */
	int64_t max_before;	/* max_bytes before its latest rise */
	unsigned int rises;	/* reports at which it reached a new maximum */
	double last_rise_s, rise_gap_s; /* the last rise, and the gap before it */
	bool stepwise;		/* suspect by its steps, not by steady growth */
	uint8_t mclass;		/* mmap: enum lt_mmap_class */
	double growth_rate;	/* bytes/s over the history (least squares) */
	double confidence;	/* 0..1: share of intervals that grew, damped when few */
	bool suspect;		/* grew in most recent intervals, and still grows */
};

#endif
