/* SPDX-License-Identifier: MIT */
#ifndef LT_GROWTH_H
#define LT_GROWTH_H

#include <stdbool.h>

struct lt_site;

/* Append the site's all_bytes at now_s to its history and set suspect,
 * stepwise, growth_rate and confidence. blind: nothing was seen since the
 * last report (the BPF side was paused): judge the history as it stands. */
void growth_judge(struct lt_site *s, double now_s, bool blind);

#endif
