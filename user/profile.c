// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "profile.h"

int profile_of(const struct lt_model *m, const struct report_info *ri, struct lt_profile *out)
{
	memset(out, 0, sizeof(*out));
	out->pid = ri->pid;
	out->comm = ri->comm;
	out->mode = ri->mode;
	out->sample_bytes = ri->sample_bytes;
	out->duration_s = ri->duration_s;
	out->totals = &m->totals;
	out->stacks = calloc(m->nstacks ? m->nstacks : 1, sizeof(*out->stacks));
	if (!out->stacks)
		return -ENOMEM;
	for (size_t i = 0; i < m->nstacks; i++) {
		const struct lt_model_stack *ms = &m->stacks[i];
		struct lt_prof_stack *ps = &out->stacks[i];

		ps->site = &ms->site;
		ps->allocator = ms->allocator;
		ps->oldest_age_s = ms->oldest_age_s;
		ps->nframes = ms->nframes;
		ps->frames = ms->frames;
	}
	out->n = m->nstacks;
	return 0;
}

void profile_free(struct lt_profile *p)
{
	if (!p)
		return;
	free(p->stacks);
	memset(p, 0, sizeof(*p));
}
