/* SPDX-License-Identifier: MIT */
/* --sample-bytes: the tables the BPF sampler reads (see bpf/lt_sample.h). */
#ifndef LT_SAMPLE_USER_H
#define LT_SAMPLE_USER_H

#include <stdint.h>
#include <linux/types.h>
#include "lt_sample.h"

/*
 * Fill draws[LT_SAMPLE_DRAWS] (byte budgets, exponential with mean period)
 * and g[LT_SAMPLE_G_STEPS + 1] (x / (1 - e^-x), fixed point) for a period of
 * 1..LT_SAMPLE_MAX_PERIOD bytes. 0 or -EINVAL.
 */
int sample_tables(uint64_t period, __u64 *draws, __u64 *g);

#endif
