/* SPDX-License-Identifier: MIT */
/*
 * Reads the in-kernel aggregate (one entry per stack and birth bucket) into
 * per-site totals, keeping each site's history across reports so growth
 * since the previous report is known. Costs O(aggregate entries), never
 * O(outstanding allocations).
 */
#ifndef LT_AGGREGATE_H
#define LT_AGGREGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "leaktrace.h"
#include "model.h"
#include "site.h"

struct leaktrace_bpf;
struct aggregate;

/* Who made the mmaps of site s (model.h). */
typedef enum lt_mmap_class (*lt_runtime_fn)(void *arg, const struct lt_site *s);
/* The site an mmap entry counts under, if not its own: true and *out. */
typedef bool (*lt_alias_fn)(void *arg, const struct lt_agg_key *k, struct lt_site_key *out);

int aggregate_new(struct aggregate **out);
void aggregate_set_mmap_fns(struct aggregate *a, lt_runtime_fn class_fn, lt_alias_fn alias_fn,
			    void *arg);
void aggregate_free(struct aggregate *a);
/* --max-overhead had the allocation probes off since the last collect: the
 * next collect leaves growth histories as they are. */
void aggregate_set_blind(struct aggregate *a, bool blind);
/* Read the maps. now_ms: ms since tracing started; entries born after
 * now_ms - min_age_ms count in totals only. 0 or -errno. */
int aggregate_collect(struct aggregate *a, struct leaktrace_bpf *skel, uint64_t now_ms,
		      uint64_t min_age_ms, uint32_t bucket_width_ms);
/* --fds: sites holding open descriptors, most first (allocs = open). */
struct lt_site **aggregate_fd_sites(struct aggregate *a, size_t *n);
/* Sites judged leak suspects, by growth rate (descending); valid until the
 * next collect. */
struct lt_site **aggregate_suspects(struct aggregate *a, size_t *n);
/* Sites with outstanding bytes, sorted by bytes (descending); valid until
 * the next collect. */
struct lt_site **aggregate_sites(struct aggregate *a, size_t *n);
const struct lt_totals *aggregate_totals(const struct aggregate *a);
/* Re-read only the event and drop counters (cheap, for a status line). */
const struct lt_totals *aggregate_counters(struct aggregate *a, struct leaktrace_bpf *skel);
/* -a: the process images seen by the last collect, those with suspects
 * first by growth, then by outstanding bytes; valid until the next collect. */
struct lt_proc_sum *aggregate_procs(struct aggregate *a, size_t *n);
/* Narrow sites, suspects, fd sites and totals to one process image (NULL:
 * all again) until the next collect or view. 0 or -ENOMEM. */
int aggregate_view(struct aggregate *a, const struct lt_proc_sum *p);
/* Forget cached stacks of the images for which gone() is true. */
void aggregate_forget(struct aggregate *a, bool (*gone)(void *arg, uint32_t tgid, uint32_t epoch),
		      void *arg);
/* One process after an exec: its old images' memory (epochs before epoch)
 * went with them (no leak), so their blocks leave the maps, their outstanding
 * bytes and allocations given back; descriptors, which an exec keeps open,
 * stay. 0 or -errno. */
int aggregate_drop_image(struct leaktrace_bpf *skel, uint32_t epoch, int64_t *bytes,
			 int64_t *allocs);
/* Remember current bytes as the baseline for the next report's growth. */
void aggregate_mark_reported(struct aggregate *a);
/* Frames of a site, leaf first, starting at the allocator's caller.
 * Returns the count (at least 1 when the caller is known). */
int aggregate_frames(struct aggregate *a, struct leaktrace_bpf *skel, const struct lt_site *s,
		     uint64_t *ips, int max);

/* The stored stack (native and Python frames), cached; NULL if lost. */
const struct lt_stack *aggregate_stack(struct aggregate *a, struct leaktrace_bpf *skel,
				       uint64_t id);

#endif
