/* SPDX-License-Identifier: MIT */
/*
 * A stack's frames, symbolized: the stored stack read through the aggregate,
 * its addresses through the symbolizer, its Python frames through the
 * target's CPython. The collect side of a report: model_build() and rss.c
 * call these once per stack, renderers read what they wrote.
 */
#ifndef LT_STACKFRAMES_H
#define LT_STACKFRAMES_H

#include <stdbool.h>
#include "leaktrace.h"
#include "model.h"
#include "report_ctx.h"

/* Frames of one site into fr[LT_MAX_FRAMES]; returns their number. Strings
 * are owned by the symbolizer and the python resolver. */
int stackframes_site(const struct report_ctx *c, const struct report_info *ri,
		     const struct lt_site *s, struct lt_out_frame *fr);
/* The same for a --rss fault stack (see stackframes.c). */
int stackframes_rss(const struct report_ctx *c, const struct report_info *ri,
		    const struct lt_rss_key *k, struct lt_out_frame *fr);
/* The stored stack's flags: LT_ST_* and whether Python's was cut short. */
void stackframes_flags(const struct report_ctx *c, uint64_t stack_id, unsigned int *flags,
		       bool *py_truncated);
/* A heap copy of fr[0..n) (at least one slot): NULL when out of memory. */
struct lt_out_frame *stackframes_dup(const struct lt_out_frame *fr, int n);

#endif
