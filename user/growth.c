// SPDX-License-Identifier: MIT
/* Whether a site is a leak suspect, from its outstanding bytes at each report. */
#include <string.h>
#include "growth.h"
#include "site.h"

/*
 * A dict or list that only grows reallocates its backing array at sizes
 * that double (or grow by 1/8): few rises, ever further apart, and never a
 * fall. Suspect while it keeps that shape: at least three new maxima, none
 * lost in the recent history, and the next rise not overdue (a filled cache
 * stops rising and drops out). A site first seen while traced counts its
 * appearance as a rise: a doubling array observed from birth over a few
 * reports shows few steps, their gaps doubling too.
 */
static void judge_steps(struct lt_site *s, double now_s)
{
	const int64_t *b = s->hist_bytes;

	s->stepwise = false;
	if (s->rises < 3 || s->all_bytes < s->max_bytes)
		return;
	for (unsigned int i = 1; i < s->nhist; i++)
		if (b[i] < b[i - 1])
			return;
	if (now_s - s->last_rise_s > 3 * s->rise_gap_s + 1)
		return;
	s->suspect = s->stepwise = true;
	s->growth_rate = now_s > s->first_s ? (s->all_bytes - s->first_bytes) / (now_s - s->first_s) : 0;
	s->confidence = s->rises >= 5 ? 0.6 : 0.4;
}

/*
 * Append this report's bytes to the site's history and judge it. A leak
 * grows in most intervals and is still growing; a cache that filled up and
 * stopped, or data allocated once and kept (configuration, imports), does
 * not grow any more and is never a suspect, however large.
 */
/* The later half of the history all above where it started: a leak does not
 * come back; a busy site's buffers, freed between bursts, do. */
static bool above_start(const int64_t *b, unsigned int n)
{
	for (unsigned int i = n / 2; i < n; i++)
		if (b[i] <= b[0])
			return false;
	return true;
}

void growth_judge(struct lt_site *s, double now_s, bool blind)
{
	unsigned int n, grew = 0, iv;
	double st = 0, sb = 0, stt = 0, stb = 0;
	const int64_t *b = s->hist_bytes, *a = s->hist_allocs;

	if (blind && s->nhist) { /* nothing seen since the last report: judge as then */
		n = s->nhist;
		goto judge;
	}
	if (s->nhist == LT_HISTORY) {
		memmove(s->hist_s, s->hist_s + 1, (LT_HISTORY - 1) * sizeof(s->hist_s[0]));
		memmove(s->hist_bytes, s->hist_bytes + 1, (LT_HISTORY - 1) * sizeof(b[0]));
		memmove(s->hist_allocs, s->hist_allocs + 1, (LT_HISTORY - 1) * sizeof(b[0]));
		s->nhist--;
	}
	s->hist_s[s->nhist] = now_s;
	s->hist_bytes[s->nhist] = s->all_bytes;
	s->hist_allocs[s->nhist] = s->all_allocs;
	n = ++s->nhist;
	/*
	 * A report taken inside a resize sees the new array and the old one
	 * not yet freed: one block more than the reports on either side, which
	 * hold as many blocks as each other, the later more bytes. Kept as what
	 * the resize left, that peak is no fall. (Only that shape: a busy
	 * site's ups and downs are falls.)
	 */
	if (n >= 3 && a[n - 1] >= 1 && a[n - 1] == a[n - 3] && a[n - 2] == a[n - 1] + 1 &&
	    b[n - 1] < b[n - 2] && b[n - 1] > b[n - 3]) {
		if (s->max_bytes == b[n - 2])
			s->max_bytes = s->max_before > b[n - 1] ? s->max_before : b[n - 1];
		s->hist_bytes[n - 2] = b[n - 1];
	}
	if (!s->first_s) {
		/* a site that appears while traced rose from nothing: its first step */
		s->first_s = s->last_rise_s = now_s;
		s->first_bytes = s->max_bytes = s->all_bytes;
		s->rises = s->all_bytes > 0;
	} else if (s->all_bytes > s->max_bytes) {
		s->max_before = s->max_bytes;
		s->max_bytes = s->all_bytes;
		s->rises++;
		s->rise_gap_s = now_s - (s->last_rise_s ?: s->first_s);
		s->last_rise_s = now_s;
	}
judge:
	s->growth_rate = s->confidence = 0;
	s->suspect = false;
	if (n < 3)
		return; /* two intervals at least */
	iv = n - 1;
	for (unsigned int i = 1; i < n; i++)
		grew += b[i] > b[i - 1];
	for (unsigned int i = 0; i < n; i++) {
		double t = s->hist_s[i] - s->hist_s[0];

		st += t;
		sb += b[i];
		stt += t * t;
		stb += t * b[i];
	}
	if (n * stt - st * st > 1e-9)
		s->growth_rate = (n * stb - st * sb) / (n * stt - st * st);
	s->confidence = (double)grew / iv * (iv >= 4 ? 1.0 : iv / 4.0);
	s->suspect = s->growth_rate > 0 && grew * 10 >= iv * 6 &&
		     (b[n - 1] > b[n - 2] || b[n - 2] > b[n - 3]) && above_start(b, n);
	if (!s->suspect)
		judge_steps(s, now_s);
}
