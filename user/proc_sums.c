// SPDX-License-Identifier: MIT
/* -a: a collect's sites summed per process image (proc_sums.h). */
#include <errno.h>
#include <stdlib.h>
#include "proc_sums.h"
#include "site_table.h"

static struct lt_proc_sum *proc_find(struct lt_proc_sum *v, size_t n, uint32_t tgid,
				     uint32_t epoch)
{
	size_t lo = 0, hi = n;

	while (lo < hi) { /* v sorted by (tgid, epoch) */
		size_t m = (lo + hi) / 2;

		if (v[m].tgid == tgid && v[m].epoch == epoch)
			return &v[m];
		if (v[m].tgid < tgid || (v[m].tgid == tgid && v[m].epoch < epoch))
			lo = m + 1;
		else
			hi = m;
	}
	return NULL;
}

static int cmp_proc_id(const void *pa, const void *pb)
{
	const struct lt_proc_sum *x = pa, *y = pb;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return x->epoch < y->epoch ? -1 : x->epoch > y->epoch;
}

static int cmp_proc_growth(const void *pa, const void *pb)
{
	const struct lt_proc_sum *x = pa, *y = pb;

	if (x->growth != y->growth)
		return x->growth > y->growth ? -1 : 1;
	if (x->totals.bytes != y->totals.bytes)
		return x->totals.bytes > y->totals.bytes ? -1 : 1;
	return cmp_proc_id(pa, pb);
}

int proc_sums_update(struct proc_sums *ps, const struct site_table *sites)
{
	struct lt_proc_sum *v, *p;
	const struct site_slot *sl;
	size_t n = 0, k = 0;

	free(ps->old);
	ps->old = ps->v;
	ps->nold = ps->n;
	if (ps->old) /* by growth, as reports read them: by id for proc_find() */
		qsort(ps->old, ps->nold, sizeof(*ps->old), cmp_proc_id);
	ps->v = NULL;
	ps->n = 0;
	v = calloc(sites->m.n ? sites->m.n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; (sl = site_table_next(sites, &i));)
		v[n++] = (struct lt_proc_sum){ .tgid = sl->s.tgid, .epoch = sl->s.epoch };
	qsort(v, n, sizeof(*v), cmp_proc_id);
	for (size_t i = 0; i < n; i++) /* unique */
		if (!k || cmp_proc_id(&v[k - 1], &v[i]))
			v[k++] = v[i];
	n = k;
	for (size_t i = 0; (sl = site_table_next(sites, &i));) {
		const struct lt_site *s = &sl->s;
		struct lt_totals *t;

		if (!(p = proc_find(v, n, s->tgid, s->epoch)))
			continue;
		t = &p->totals;
		if (s->kind == LT_FD) {
			t->fds_open += s->all_allocs;
		} else if (s->kind == LT_MMAP && s->mclass == LT_MMAP_ARENA) {
			t->arena_bytes += s->all_bytes;
			t->arena_allocs += s->all_allocs;
		} else if (s->kind == LT_MMAP && s->mclass == LT_MMAP_RUNTIME) {
			t->runtime_bytes += s->all_bytes;
			t->runtime_allocs += s->all_allocs;
		} else {
			t->bytes += s->all_bytes;
			t->allocs += s->all_allocs;
			if (s->kind == LT_MMAP) {
				p->mmap_bytes += s->all_bytes;
				p->mmap_allocs += s->all_allocs;
			}
			if (s->suspect && s->allocs > 0) {
				p->growth += s->growth_rate;
				p->nsuspects++;
				p->suspect_bytes += s->bytes;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct lt_proc_sum *o = proc_find(ps->old, ps->nold, v[i].tgid,
							v[i].epoch);

		v[i].totals.arena_prev_bytes = o ? o->totals.arena_bytes : 0;
	}
	qsort(v, n, sizeof(*v), cmp_proc_growth);
	ps->v = v;
	ps->n = n;
	return 0;
}

void proc_sums_free(struct proc_sums *ps)
{
	free(ps->v);
	free(ps->old);
	ps->v = ps->old = NULL;
	ps->n = ps->nold = 0;
}
