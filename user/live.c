// SPDX-License-Identifier: MIT
/*
 * --live: a full-screen, top-like view refreshed every interval. Rows are
 * stacks (suspects marked '*'), sorted by growth rate or by bytes; Enter
 * expands the selected stack's frames; q quits with the final report.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curses.h>
#include "live.h"
#include "util.h"

struct live {
	bool by_growth;		/* sort key: growth rate (default) or bytes */
	int sel;		/* selected row */
	int expanded;		/* row whose frames are shown, -1: none */
	int top;		/* first row shown */
	const struct lt_model_stack **rows;	/* into the model drawn */
	size_t nrows, cap;
};

int live_open(struct live **out)
{
	struct live *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	if (!initscr()) {
		free(l);
		return -ENOTTY;
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	l->by_growth = true;
	l->expanded = -1;
	*out = l;
	return 0;
}

void live_close(struct live *l)
{
	if (!l)
		return;
	endwin();
	free(l->rows);
	free(l);
}

static int cmp_growth(const void *pa, const void *pb)
{
	const struct lt_site *x = &(*(const struct lt_model_stack *const *)pa)->site;
	const struct lt_site *y = &(*(const struct lt_model_stack *const *)pb)->site;

	if (x->suspect != y->suspect)
		return x->suspect ? -1 : 1;
	if (x->growth_rate != y->growth_rate)
		return x->growth_rate > y->growth_rate ? -1 : 1;
	return x->bytes > y->bytes ? -1 : x->bytes < y->bytes;
}

/* Short text of a frame for a row or an expanded line. */
static void frame_text(const struct lt_out_frame *fr, char *buf, size_t len)
{
	const char *file = fr->python ? fr->p.file : fr->n.file;
	int line = fr->python ? fr->p.line : fr->n.line;
	const char *fn = fr->python ? fr->p.function : fr->n.function;
	const char *b = file ? strrchr(file, '/') : NULL;

	if (!fn) {
		snprintf(buf, len, "0x%" PRIx64, fr->n.addr);
		return;
	}
	if (file && line)
		snprintf(buf, len, "%s%s (%s:%d)", fn, fr->python ? " [py]" : "", b ? b + 1 : file,
			 line);
	else
		snprintf(buf, len, "%s%s", fn, fr->python ? " [py]" : "");
}

void live_draw(struct live *l, const struct lt_model *m, const struct report_info *ri)
{
	const struct lt_totals *t = &m->totals;
	size_t n = m->nstacks, nsus = m->nsuspects;
	char b1[32], b2[32], line[512];
	int y = 0, rows, cols;

	getmaxyx(stdscr, rows, cols);
	if (n > l->cap) {
		const struct lt_model_stack **nr = realloc(l->rows, n * sizeof(*nr));

		if (!nr)
			return;
		l->rows = nr;
		l->cap = n;
	}
	for (size_t i = 0; i < n; i++)
		l->rows[i] = &m->stacks[i];
	l->nrows = n;
	if (l->by_growth)
		qsort(l->rows, n, sizeof(*l->rows), cmp_growth);
	if (l->sel >= (int)n)
		l->sel = n ? n - 1 : 0;

	/* repaint everything: the target may write to the same terminal */
	clearok(stdscr, TRUE);
	erase();
	attron(A_BOLD);
	snprintf(line, sizeof(line), "leaktrace  pid %d (%s)  %.0fs  %s mode  %s", ri->pid,
		 ri->comm ? ri->comm : "?", ri->duration_s, ri->mode,
		 ri->python[0] ? "python" : "");
	mvaddnstr(y++, 0, line, cols);
	attroff(A_BOLD);
	snprintf(line, sizeof(line), "outstanding %s in %" PRId64 " allocations; %zu stacks, %zu leak "
		 "suspect%s", lt_human_bytes(t->bytes, b1, sizeof(b1)), t->allocs, n, nsus,
		 nsus == 1 ? "" : "s");
	mvaddnstr(y++, 0, line, cols);
	y++;
	attron(A_REVERSE);
	snprintf(line, sizeof(line), "%-2s %12s %9s %12s  %-s", "", "BYTES", "ALLOCS", "GROWTH/s",
		 l->by_growth ? "TOP FRAME   (sorted by growth)" : "TOP FRAME   (sorted by bytes)");
	mvaddnstr(y++, 0, line, cols);
	attroff(A_REVERSE);

	if (l->sel < l->top)
		l->top = l->sel;
	if (l->sel >= l->top + rows - y - 2)
		l->top = l->sel - (rows - y - 2) + 1;
	for (int i = l->top; i < (int)n && y < rows - 1; i++) {
		const struct lt_model_stack *ms = l->rows[i];
		const struct lt_site *s = &ms->site;
		const struct lt_out_frame *fr = ms->frames;
		int k = ms->nframes;

		char fbuf[256] = "?";

		if (k)
			frame_text(&fr[0], fbuf, sizeof(fbuf));
		snprintf(line, sizeof(line), "%-2s %12s %9" PRId64 " %10s/s  %s", s->suspect ? "*" : "",
			 lt_human_bytes(s->bytes, b1, sizeof(b1)), s->allocs,
			 lt_human_bytes(s->growth_rate, b2, sizeof(b2)), fbuf);
		if (i == l->sel)
			attron(A_REVERSE);
		mvaddnstr(y++, 0, line, cols);
		if (i == l->sel)
			attroff(A_REVERSE);
		if (i != l->expanded)
			continue;
		for (int j = 0; j < k && y < rows - 1; j++) {
			frame_text(&fr[j], fbuf, sizeof(fbuf));
			snprintf(line, sizeof(line), "        %s", fbuf);
			mvaddnstr(y++, 0, line, cols);
		}
	}
	attron(A_REVERSE);
	snprintf(line, sizeof(line), " events %" PRIu64 " allocs / %" PRIu64 " frees  dropped %" PRIu64
		 "   [g] growth  [b] bytes  [Enter] expand  [q] quit ",
		 t->counters[LT_CNT_ALLOCS], t->counters[LT_CNT_FREES], t->dropped);
	mvaddnstr(rows - 1, 0, line, cols);
	attroff(A_REVERSE);
	refresh();
}

int live_keys(struct live *l)
{
	int ch, redraw = 0;

	while ((ch = getch()) != ERR) {
		switch (ch) {
		case 'q':
		case 'Q':
			return -1;
		case 'g':
			l->by_growth = true;
			break;
		case 'b':
			l->by_growth = false;
			break;
		case KEY_UP:
		case 'k':
			if (l->sel > 0)
				l->sel--;
			break;
		case KEY_DOWN:
		case 'j':
			if (l->sel + 1 < (int)l->nrows)
				l->sel++;
			break;
		case '\n':
		case '\r':
		case KEY_ENTER:
			l->expanded = l->expanded == l->sel ? -1 : l->sel;
			break;
		default:
			continue;
		}
		redraw = 1;
	}
	return redraw;
}
