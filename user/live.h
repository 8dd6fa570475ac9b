/* SPDX-License-Identifier: MIT */
/* --live: full-screen view (ncurses), refreshed every interval. */
#ifndef LT_LIVE_H
#define LT_LIVE_H

#include "model.h"
#include "report_info.h"

struct live;

/* Take over the terminal. 0 or -errno. */
int live_open(struct live **out);
/* Give the terminal back (NULL-safe). */
void live_close(struct live *l);
/* Draw a report's model (frames for every stack); it must outlive the
 * redraws that live_keys() asks for. */
void live_draw(struct live *l, const struct lt_model *m, const struct report_info *ri);
/* Handle pending keys: -1 on quit, 1 when the view needs a redraw, else 0. */
int live_keys(struct live *l);

#endif
