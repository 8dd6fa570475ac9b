/* SPDX-License-Identifier: MIT */
/* --rss's report section (rss.h), text and JSON, from the model alone. */
#ifndef LT_RSS_REPORT_H
#define LT_RSS_REPORT_H

#include <stdio.h>
#include "model.h"
#include "report_info.h"

struct json;

/* Both print nothing without --rss (r NULL). */
void rss_report_text(FILE *f, const struct lt_model_rss *r, const struct report_info *ri);
void rss_report_json(struct json *j, const struct lt_model_rss *r);

#endif
