/* SPDX-License-Identifier: MIT */
/* --live: full-screen view (ncurses), refreshed every interval. */
#ifndef LT_LIVE_H
#define LT_LIVE_H

#include "report.h"

struct live;

/* Take over the terminal. 0 or -errno. */
int live_open(struct live **out);
/* Give the terminal back (NULL-safe). */
void live_close(struct live *l);
/* Draw the last collected report. */
void live_draw(struct live *l, const struct report_ctx *c, const struct report_info *ri);
/* Handle pending keys: -1 on quit, 1 when the view needs a redraw, else 0. */
int live_keys(struct live *l);

#endif
