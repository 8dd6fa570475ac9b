/* SPDX-License-Identifier: MIT */
/*
 * Outstanding bytes in speedscope's file format (one "sampled" profile
 * whose samples are the merged stacks and whose weights are their bytes),
 * for https://www.speedscope.app or `npx speedscope FILE`, offline too:
 *
 *   {"$schema":"https://www.speedscope.app/file-format-schema.json",
 *    "shared":{"frames":[{"name":"main","file":"/src/app.c"},
 *                        {"name":"xmalloc","file":"/src/util.c","line":12}]},
 *    "profiles":[{"type":"sampled","name":"leaktrace: outstanding bytes of app (pid 42)",
 *                 "unit":"bytes","startValue":0,"endValue":4096,
 *                 "samples":[[0,1]],"weights":[4096]}],
 *    "name":"leaktrace: outstanding bytes of app (pid 42)",
 *    "activeProfileIndex":0,"exporter":"leaktrace"}
 *
 * Frames and stacks are those of export_folded.h (same names, same merging
 * and order); samples list frame indexes root first. A frame's file is its
 * source file (native frames without one: the module's path) and its line
 * is present only when every occurrence of the frame agrees on it. The
 * weights sum to endValue, the outstanding bytes of the sites listed.
 */
#ifndef LT_EXPORT_SPEEDSCOPE_H
#define LT_EXPORT_SPEEDSCOPE_H

#include <stdio.h>
#include "profile.h"

/* 0 or -errno (-ENOMEM, -EIO). */
int export_speedscope(FILE *f, const struct lt_profile *p);

#endif
