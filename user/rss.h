/* SPDX-License-Identifier: MIT */
/*
 * --rss: what drives RSS growth. Bytes of the pages each stack touched first
 * (write faults, charged back when released; see bpf/rss.bpf.c), and memory
 * allocated but never touched. Its own report section: first touch is not
 * ownership (a freed block's pages are reused by the next allocation without
 * a fault), so none of this enters the leak ranking.
 */
#ifndef LT_RSS_H
#define LT_RSS_H

#include <stdbool.h>
#include <stdio.h>
#include "leaktrace.h"

struct rss;
struct leaktrace_bpf;
struct report_ctx;
struct report_info;
struct lt_model_rss;

/* Allocations at least this large are checked for untouched pages. */
#define LT_RSS_BIG_MIN (64 * 1024)

int rss_new(struct rss **out);
void rss_free(struct rss *r);
/* Before load: size the maps, set the THP orders and knobs for pid (0 in
 * launch mode: nothing mapped yet). 0 or -errno. */
int rss_configure(struct leaktrace_bpf *skel, int pid);
/* Read the maps; with `alive`, also the target's pages (untouched memory),
 * else the last such figures are kept. 0 or -errno. */
int rss_collect(struct rss *r, struct leaktrace_bpf *skel, int pid, bool alive);
/* This report's bytes become the baseline for the next growth. */
void rss_mark_reported(struct rss *r);
/* The last collect as a report's model (rss_report.h prints it), frames
 * for every stack with `all`, else for --top. 0 or -errno; *out is set
 * either way, for model_free(). */
int rss_model(const struct rss *r, const struct report_ctx *c, const struct report_info *ri,
	      bool all, struct lt_model_rss **out);

#endif
