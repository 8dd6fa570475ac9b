/* SPDX-License-Identifier: MIT */
/*
 * A report's model (model.h) from the last collect: the aggregate's sites,
 * suspects and descriptors copied, their frames symbolized once, the
 * objects' type names and the RSS stacks read. The only step between
 * collecting and rendering that does I/O.
 */
#ifndef LT_MODEL_BUILD_H
#define LT_MODEL_BUILD_H

#include <stdbool.h>
#include "model.h"
#include "report_ctx.h"

/* all: frames for every stack (JSON, exports, the live view); else only
 * for those a text report shows, --top of each list. 0 or -errno; free m
 * with model_free() either way. */
int model_build(const struct report_ctx *c, const struct report_info *ri, bool all,
		struct lt_model *m);

#endif
