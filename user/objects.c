// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "objects.h"

struct objects {
	struct obj_type *v;	/* one per type, unsorted between collects */
	size_t n, cap;
	struct obj_type *prev;	/* baseline for growth, from the last report */
	size_t nprev;
};

int objects_new(struct objects **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void objects_free(struct objects *o)
{
	if (!o)
		return;
	free(o->v);
	free(o->prev);
	free(o);
}

/* Types are few (hundreds): linear search is fine. */
static struct obj_type *type_get(struct objects *o, uint64_t type)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->v[i].type == type)
			return &o->v[i];
	if (o->n == o->cap) {
		size_t ncap = o->cap ? o->cap * 2 : 64;
		struct obj_type *nv = realloc(o->v, ncap * sizeof(*nv));

		if (!nv)
			return NULL;
		o->v = nv;
		o->cap = ncap;
	}
	memset(&o->v[o->n], 0, sizeof(o->v[0]));
	o->v[o->n].type = type;
	return &o->v[o->n++];
}

static int cmp_types(const void *pa, const void *pb)
{
	const struct obj_type *a = pa, *b = pb;

	if (a->growth != b->growth)
		return a->growth > b->growth ? -1 : 1;
	if (a->live != b->live)
		return a->live > b->live ? -1 : 1;
	return a->type < b->type ? -1 : a->type > b->type;
}

void objects_begin(struct objects *o)
{
	o->n = 0;
}

int objects_add(struct objects *o, const struct lt_obj_key *key, const struct lt_obj_val *val)
{
	struct obj_type *t = type_get(o, key->type);

	if (!t)
		return -ENOMEM;
	t->live += val->live;
	t->created += val->created;
	if (key->line.code && val->live > t->top_live) {
		t->top_live = val->live;
		t->top = key->line;
	}
	return 0;
}

int objects_collect(struct objects *o, int fd)
{
	struct lt_obj_key key, next;
	struct lt_obj_val val;
	int err;

	objects_begin(o);
	for (err = bpf_map_get_next_key(fd, NULL, &next); !err;
	     err = bpf_map_get_next_key(fd, &key, &next)) {
		key = next;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;
		if (objects_add(o, &key, &val))
			return -ENOMEM;
	}
	objects_end(o);
	return 0;
}

void objects_end(struct objects *o)
{
	for (size_t i = 0; i < o->n; i++) {
		struct obj_type *t = &o->v[i];

		t->growth = t->live;
		for (size_t k = 0; k < o->nprev; k++)
			if (o->prev[k].type == t->type)
				t->growth = t->live - o->prev[k].live;
	}
	qsort(o->v, o->n, sizeof(*o->v), cmp_types);
}

const struct obj_type *objects_types(const struct objects *o, size_t *n)
{
	*n = o->n;
	return o->v;
}

void objects_mark_reported(struct objects *o)
{
	struct obj_type *np = malloc((o->n ? o->n : 1) * sizeof(*np));

	if (!np)
		return;
	memcpy(np, o->v, o->n * sizeof(*np));
	free(o->prev);
	o->prev = np;
	o->nprev = o->n;
}
