// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aggregate.h"
#include "model_build.h"
#include "objects.h"
#include "python.h"
#include "rss.h"
#include "stackframes.h"

struct site_idx {
	const struct lt_site *s;
	size_t i;
};

static int cmp_idx(const void *a, const void *b)
{
	const struct site_idx *x = a, *y = b;

	return x->s < y->s ? -1 : x->s > y->s;
}

static void copy_site(const struct report_ctx *c, const struct lt_site *s,
		      struct lt_model_stack *ms)
{
	double age = c->now_s - s->oldest_ms / 1000.0;

	ms->site = *s;
	ms->allocator = lt_kind_names[s->kind < LT_KIND_MAX ? s->kind : 0];
	ms->oldest_age_s = age < 0 ? 0 : age;
}

/* Symbolize ms once, whichever lists show it. */
static int symbolize(const struct report_ctx *c, const struct report_info *ri,
		     struct lt_model_stack *ms)
{
	struct lt_out_frame fr[LT_MAX_FRAMES];
	unsigned int flags;
	int k;

	if (ms->has_frames)
		return 0;
	k = stackframes_site(c, ri, &ms->site, fr);
	ms->frames = stackframes_dup(fr, k);
	if (!ms->frames)
		return -ENOMEM;
	ms->nframes = k;
	ms->has_frames = true;
	stackframes_flags(c, ms->site.stack_id, &flags, &ms->py_truncated);
	ms->truncated = flags & LT_ST_TRUNCATED;
	ms->heuristic = flags & LT_ST_HEURISTIC;
	return 0;
}

/* Sites, suspects (pointing into them) and descriptors, as the aggregate
 * (or its view of one process) has them. */
static int build_stacks(const struct report_ctx *c, struct lt_model *m)
{
	struct lt_site **sites = aggregate_sites(c->agg, &m->nstacks), **sus, **fds;
	struct site_idx *idx;
	size_t nsus, nfds;
	int err = 0;

	sus = aggregate_suspects(c->agg, &nsus);
	fds = aggregate_fd_sites(c->agg, &nfds);
	m->stacks = calloc(m->nstacks ? m->nstacks : 1, sizeof(*m->stacks));
	m->suspects = calloc(nsus ? nsus : 1, sizeof(*m->suspects));
	m->fds = calloc(nfds ? nfds : 1, sizeof(*m->fds));
	idx = calloc(m->nstacks ? m->nstacks : 1, sizeof(*idx));
	if (!m->stacks || !m->suspects || !m->fds || !idx) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < m->nstacks; i++) {
		copy_site(c, sites[i], &m->stacks[i]);
		idx[i] = (struct site_idx){ sites[i], i };
	}
	qsort(idx, m->nstacks, sizeof(*idx), cmp_idx);
	for (size_t i = 0; i < nsus; i++) { /* suspects are outstanding sites */
		struct site_idx key = { sus[i], 0 }, *hit;

		hit = bsearch(&key, idx, m->nstacks, sizeof(*idx), cmp_idx);
		if (hit)
			m->suspects[m->nsuspects++] = &m->stacks[hit->i];
	}
	for (size_t i = 0; i < nfds; i++)
		copy_site(c, fds[i], &m->fds[i]);
	m->nfds = nfds;
cleanup:
	free(idx);
	return err;
}

/* Frames for what the reports show: in a text report's order, --fds, the
 * suspects, then the largest, so a stack shown twice is read once. */
static int build_frames(const struct report_ctx *c, const struct report_info *ri, bool all,
			struct lt_model *m)
{
	size_t top = all ? (size_t)-1 : (size_t)ri->top;
	int err = 0;

	for (size_t i = 0; ri->fds && i < m->nfds && i < top && !err; i++)
		err = symbolize(c, ri, &m->fds[i]);
	for (size_t i = 0; !all && i < m->nsuspects && i < top && !err; i++)
		err = symbolize(c, ri, m->suspects[i]);
	for (size_t i = 0; i < m->nstacks && i < top && !err; i++)
		err = symbolize(c, ri, &m->stacks[i]);
	return err;
}

/* --objects: each type's name and top line, read from the target. */
static int build_objects(const struct report_ctx *c, const struct report_info *ri, bool all,
			 struct lt_model *m)
{
	struct python *py = c->py ? *c->py : NULL;
	const struct obj_type *t;
	size_t n;

	if (!c->objs || !py)
		return 0;
	m->have_objects = true;
	t = objects_types(c->objs, &n);
	m->objs = calloc(n ? n : 1, sizeof(*m->objs));
	if (!m->objs)
		return -ENOMEM;
	if (!all && n > (size_t)ri->top)
		n = ri->top;
	for (size_t i = 0; i < n; i++) {
		struct lt_model_obj *o = &m->objs[m->nobjs++];

		o->live = t[i].live;
		o->growth = t[i].growth;
		/* a text report names only those that live or grew */
		if (!all && !o->live && !o->growth)
			continue;
		snprintf(o->type, sizeof(o->type), "%s", python_type_name(py, t[i].type));
		o->created = t[i].created;
		o->top_live = t[i].top_live;
		o->has_top = t[i].top.code && python_frame(py, &t[i].top, &o->top);
	}
	return 0;
}

int model_build(const struct report_ctx *c, const struct report_info *ri, bool all,
		struct lt_model *m)
{
	int err;

	memset(m, 0, sizeof(*m));
	m->totals = *aggregate_totals(c->agg);
	err = build_stacks(c, m) ?: build_frames(c, ri, all, m) ?: build_objects(c, ri, all, m);
	if (!err && c->rss)
		err = rss_model(c->rss, c, ri, all, &m->rss);
	return err;
}
