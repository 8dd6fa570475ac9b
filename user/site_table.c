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

struct site_key {
	uint64_t proc, stack_id, caller;
	uint16_t kind;
};

static bool site_eq(const void *key, const void *ent, void *ctx)
{
	const struct site_key *k = key;
	const struct site_slot *sl = ent;

	(void)ctx;
	return sl->s.stack_id == k->stack_id && sl->s.caller == k->caller &&
	       sl->s.kind == k->kind && site_table_proc(&sl->s) == k->proc;
}

/* A zeroed table is made ready on first use: 256 slots first, as ever. */
static void ready(struct site_table *t)
{
	if (!t->m.esz) {
		hmap_init(&t->m, sizeof(struct site_slot), 0, 256);
		hmap_set_eq(&t->m, site_eq, NULL);
	}
}

struct site_slot *site_table_get(struct site_table *t, uint64_t proc, uint64_t stack_id,
				 uint64_t caller, uint16_t kind, bool create)
{
	struct site_key k = { proc, stack_id, caller, kind };
	uint64_t h = site_hash(proc, stack_id, caller, kind);
	struct site_slot *sl;
	int r;

	ready(t);
	if (!create)
		return hmap_find(&t->m, h, &k);
	r = hmap_get(&t->m, h, &k, (void **)&sl);
	if (r <= 0)
		return r ? NULL : sl;
	sl->s.tgid = proc >> 32;
	sl->s.epoch = (uint32_t)proc;
	sl->s.stack_id = stack_id;
	sl->s.caller = caller;
	sl->s.kind = kind;
	sl->s.oldest_ms = UINT64_MAX;
	return sl;
}

void site_table_clear(struct site_table *t, size_t expect)
{
	if (t->m.cap > 256 && expect * 8 < t->m.cap)
		hmap_free(&t->m);
	hmap_clear(&t->m);
}

struct site_slot *site_table_next(const struct site_table *t, size_t *i)
{
	return hmap_next(&t->m, i);
}

void site_table_free(struct site_table *t)
{
	hmap_free(&t->m);
}
