/* SPDX-License-Identifier: MIT */
/* Frames as every report prints them (report.c, rss_report.c), from the model. */
#ifndef LT_FRAMES_H
#define LT_FRAMES_H

#include <stdio.h>

struct json;
struct lt_out_frame;

/* One line each: function+offset (module) file:line, Python ones marked. */
void frames_text(FILE *f, const struct lt_out_frame *fr, int n);
/* "frames": [...] */
void frames_json(struct json *j, const struct lt_out_frame *fr, int n);

#endif
