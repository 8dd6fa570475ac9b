// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "aggregate.h"
#include "elfsym.h"
#include "profile.h"

/*
 * A site's frames, leaf first. Native frames past the first address that
 * lies in no mapping are unwinder garbage (frame pointers through code that
 * keeps none) and are cut unless --all-frames. In a Python target the
 * interpreter's own native frames give way to the Python frames it runs
 * (kept with --native-frames): a C extension's frames, then Python's.
 */
/*
 * fr[0], a native frame, as the frames a debugger shows for it: first the
 * functions inlined at its address (innermost first, each at the line that
 * called the one before), then the function itself at the line that called
 * the outermost of them. Returns the frames written, at most room.
 */
static int expand_inlines(struct lt_out_frame *fr, int room)
{
	struct lt_frame phys = fr[0].n;
	int n = phys.ninl < room ? phys.ninl : room - 1;

	for (int j = 0; j < n; j++) {
		struct lt_frame *f = &fr[j].n;

		fr[j].python = false;
		*f = phys;
		f->function = phys.inl[j].function;
		f->linkage_name = NULL;
		f->offset = 0;
		f->inlined = true;
		if (j) {
			f->file = phys.inl[j - 1].call_file;
			f->line = phys.inl[j - 1].call_line;
		}
	}
	if (n > 0) {
		fr[n].python = false;
		fr[n].n = phys;
		fr[n].n.file = phys.inl[n - 1].call_file;
		fr[n].n.line = phys.inl[n - 1].call_line;
	}
	return n + 1;
}

int profile_site_frames(const struct report_ctx *c, const struct report_info *ri,
			const struct lt_site *s, struct lt_out_frame *fr)
{
	struct python *py = c->py ? *c->py : NULL;
	uint64_t ips[LT_MAX_STACK_DEPTH + 1];
	int n = aggregate_frames(c->agg, c->skel, s, ips, LT_MAX_STACK_DEPTH + 1), k = 0;
	/* after aggregate_frames(): the stack is cached, the pointer stable */
	const struct lt_stack *st = py ? aggregate_stack(c->agg, c->skel, s->stack_id) : NULL;
	const char *interp = py ? python_module_path(py) : NULL;
	bool with_py = st && st->py_depth > 0;

	for (int i = 0; i < n && k < LT_MAX_FRAMES - LT_MAX_PY_DEPTH; i++) {
		struct lt_out_frame *f = &fr[k];

		f->python = false;
		symbolizer_frame(c->sym, ips[i] & ~LT_IP_EXACT, !(ips[i] & LT_IP_EXACT), &f->n);
		if (!f->n.module && !ri->all_frames && k > 0)
			break;
		if (with_py && !ri->native_frames && f->n.module && !strcmp(f->n.module, interp))
			break;
		k += expand_inlines(fr + k, LT_MAX_FRAMES - LT_MAX_PY_DEPTH - k);
	}
	for (int i = 0; with_py && i < st->py_depth && i < LT_MAX_PY_DEPTH; i++) {
		if (!python_frame(py, &st->py[i], &fr[k].p))
			continue;
		fr[k++].python = true;
	}
	return k;
}

int profile_build(const struct report_ctx *c, const struct report_info *ri, struct lt_profile *out)
{
	struct lt_out_frame fr[LT_MAX_FRAMES];
	struct lt_site **sites;
	size_t n;

	memset(out, 0, sizeof(*out));
	out->pid = ri->pid;
	out->comm = ri->comm;
	out->mode = ri->mode;
	out->sample_bytes = ri->sample_bytes;
	out->duration_s = ri->duration_s;
	out->totals = aggregate_totals(c->agg);
	sites = aggregate_sites(c->agg, &n);
	out->stacks = calloc(n ? n : 1, sizeof(*out->stacks));
	if (!out->stacks)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct lt_prof_stack *ps = &out->stacks[out->n];
		int k = profile_site_frames(c, ri, sites[i], fr);
		double age = c->now_s - sites[i]->oldest_ms / 1000.0;

		ps->frames = malloc((k ? k : 1) * sizeof(*ps->frames));
		if (!ps->frames) {
			profile_free(out);
			return -ENOMEM;
		}
		memcpy(ps->frames, fr, k * sizeof(*fr));
		ps->nframes = k;
		ps->site = sites[i];
		ps->allocator = lt_kind_names[sites[i]->kind < LT_KIND_MAX ? sites[i]->kind : 0];
		ps->oldest_age_s = age < 0 ? 0 : age;
		out->n++;
	}
	return 0;
}

void profile_free(struct lt_profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->stacks[i].frames);
	free(p->stacks);
	memset(p, 0, sizeof(*p));
}
