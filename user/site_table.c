// SPDX-License-Identifier: MIT
/* The sites of one collect (site_table.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "site_table.h"
#include "util.h"

static uint64_t site_hash(uint64_t proc, uint64_t stack_id, uint64_t caller, uint16_t kind)
{
	return lt_mix64(stack_id ^ lt_mix64(caller ^ ((uint64_t)kind << 56) ^ lt_mix64(proc)));
}

uint64_t site_table_proc(const struct lt_site *s)
{
	return (uint64_t)s->tgid << 32 | s->epoch;
}

static int grow(struct site_table *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 256;
	struct site_slot *nv = calloc(ncap, sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		struct site_slot *o = &t->v[i];
		size_t j;

		if (!o->used)
			continue;
		j = site_hash(site_table_proc(&o->s), o->s.stack_id, o->s.caller, o->s.kind) & (ncap - 1);
		while (nv[j].used)
			j = (j + 1) & (ncap - 1);
		nv[j] = *o;
	}
	free(t->v);
	t->v = nv;
	t->cap = ncap;
	return 0;
}

struct site_slot *site_table_get(struct site_table *t, uint64_t proc, uint64_t stack_id,
				 uint64_t caller, uint16_t kind, bool create)
{
	size_t j;

	if (create && (t->n + 1) * 2 > t->cap && grow(t))
		return NULL;
	if (!t->cap)
		return NULL;
	j = site_hash(proc, stack_id, caller, kind) & (t->cap - 1);
	for (;; j = (j + 1) & (t->cap - 1)) {
		struct site_slot *sl = &t->v[j];

		if (!sl->used)
			break;
		if (sl->s.stack_id == stack_id && sl->s.caller == caller && sl->s.kind == kind &&
		    site_table_proc(&sl->s) == proc)
			return sl;
	}
	if (!create)
		return NULL;
	memset(&t->v[j], 0, sizeof(t->v[j]));
	t->v[j].used = true;
	t->v[j].s.tgid = proc >> 32;
	t->v[j].s.epoch = (uint32_t)proc;
	t->v[j].s.stack_id = stack_id;
	t->v[j].s.caller = caller;
	t->v[j].s.kind = kind;
	t->v[j].s.oldest_ms = UINT64_MAX;
	t->n++;
	return &t->v[j];
}

void site_table_clear(struct site_table *t, size_t expect)
{
	if (t->cap > 256 && expect * 8 < t->cap) {
		free(t->v);
		t->v = NULL;
		t->cap = 0;
	}
	if (t->v)
		memset(t->v, 0, t->cap * sizeof(*t->v));
	t->n = 0;
}

void site_table_free(struct site_table *t)
{
	free(t->v);
	t->v = NULL;
	t->cap = t->n = 0;
}
