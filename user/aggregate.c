// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "leaktrace.h"
#include "leaktrace.skel.h"
#include "aggregate.h"
#include "growth.h"
#include "log.h"
#include "proc_sums.h"
#include "hmap.h"
#include "site_table.h"
#include "util.h"

/* Stacks never change once stored: cache them by key. */
struct stack_slot {
	uint64_t id;
	struct lt_stack st;
};

struct aggregate {
	struct site_table cur, old;
	struct proc_sums procs;	/* -a: per image */
	/* aggregate_view(): the narrowed lists, and whether one is set */
	struct lt_site **vsorted, **vsuspects, **vfds;
	size_t nvsorted, nvsuspects, nvfds;
	struct lt_totals vtotals;
	bool viewing;
	struct lt_site **sorted;
	size_t nsorted;
	struct lt_site **suspects;
	size_t nsuspects;
	struct lt_site **fds;
	size_t nfds;
	struct lt_totals totals;
	struct hmap stacks;		/* of stack_slot, by id */
	struct lt_agg_key *keys;	/* batch buffers */
	struct lt_agg_val *vals;
	size_t batch_cap;
	struct lt_agg_key *gc;		/* empty, old entries to delete */
	size_t ngc, gc_cap;
	lt_runtime_fn is_runtime;
	lt_alias_fn alias;
	bool blind;		/* allocation probes were off since the last collect */
	void *runtime_arg;
};

static uint64_t key_proc(const struct lt_agg_key *k)
{
	return (uint64_t)k->tgid << 32 | k->epoch;
}

/* The site entry k counts under: its own, or (a block seen by its mmap)
 * the malloc's that mapped it. */
static struct site_slot *site_of(struct aggregate *a, const struct lt_agg_key *k, bool add)
{
	struct lt_site_key sk = { k->stack_id, k->caller, k->kind };

	if (k->kind == LT_MMAP && a->alias && !a->alias(a->runtime_arg, k, &sk))
		sk = (struct lt_site_key){ k->stack_id, k->caller, k->kind };
	return site_table_get(&a->cur, key_proc(k), sk.stack_id, sk.caller, sk.kind, add);
}

int aggregate_new(struct aggregate **out)
{
	struct aggregate *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	hmap_init(&a->stacks, sizeof(struct stack_slot), sizeof(uint64_t), 64);
	*out = a;
	return 0;
}

void aggregate_set_blind(struct aggregate *a, bool blind)
{
	a->blind = blind;
}

void aggregate_set_mmap_fns(struct aggregate *a, lt_runtime_fn class_fn, lt_alias_fn alias_fn,
			    void *arg)
{
	a->is_runtime = class_fn;
	a->alias = alias_fn;
	a->runtime_arg = arg;
}

void aggregate_free(struct aggregate *a)
{
	if (!a)
		return;
	site_table_free(&a->cur);
	site_table_free(&a->old);
	free(a->sorted);
	free(a->suspects);
	free(a->fds);
	hmap_free(&a->stacks);
	free(a->keys);
	free(a->vals);
	free(a->gc);
	proc_sums_free(&a->procs);
	free(a->vsorted);
	free(a->vsuspects);
	free(a->vfds);
	free(a);
}

/* Add one kernel aggregate entry to its site. */
static int add_entry(struct aggregate *a, const struct lt_agg_key *k, const struct lt_agg_val *v,
		     uint64_t now_ms, uint64_t min_age_ms, uint32_t width)
{
	struct site_slot *sl;

	if (k->kind == LT_FD) {
		a->totals.fds_open += v->allocs;
	} else {
		a->totals.bytes += v->bytes;
		a->totals.allocs += v->allocs;
	}
	/* An empty bucket well before the current one gets no more
	 * allocations (it is not the bucket any new one lands in, even after
	 * the width doubles), nor frees: delete it to bound the map. */
	if (v->allocs == 0 && v->bytes == 0 && (uint64_t)k->bucket_ms + 2ULL * width < now_ms) {
		if (a->ngc == a->gc_cap) {
			size_t ncap = a->gc_cap ? a->gc_cap * 2 : 256;
			struct lt_agg_key *ng = realloc(a->gc, ncap * sizeof(*ng));

			if (!ng)
				return -ENOMEM;
			a->gc = ng;
			a->gc_cap = ncap;
		}
		a->gc[a->ngc++] = *k;
	}
	sl = site_of(a, k, true);
	if (!sl)
		return -ENOMEM;
	sl->s.total_allocs += v->total_allocs;
	sl->s.all_bytes += v->bytes;
	sl->s.all_allocs += v->allocs;
	if (v->allocs <= 0)
		return 0;
	/* Buckets are at most `width` wide: this one holds only allocations
	 * born before bucket_ms + width. */
	if ((uint64_t)k->bucket_ms + width + min_age_ms > now_ms && min_age_ms)
		return 0;
	sl->s.bytes += v->bytes;
	sl->s.allocs += v->allocs;
	if (k->bucket_ms < sl->s.oldest_ms)
		sl->s.oldest_ms = k->bucket_ms;
	return 0;
}

static int read_entries(struct aggregate *a, int fd, uint32_t max_entries, uint64_t now_ms,
			uint64_t min_age_ms, uint32_t width)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct lt_agg_key key, next;
	struct lt_agg_val val;
	uint64_t in_batch = 0, out_batch = 0;
	bool first = true;
	int err = 0;

	if (a->batch_cap < max_entries) {
		free(a->keys);
		free(a->vals);
		a->keys = calloc(max_entries, sizeof(*a->keys));
		a->vals = calloc(max_entries, sizeof(*a->vals));
		if (!a->keys || !a->vals) {
			a->batch_cap = 0;
			return -ENOMEM;
		}
		a->batch_cap = max_entries;
	}
	/* One batch syscall per up to max_entries entries. A hash map's batch
	 * token is an 8-byte bucket index. */
	for (;;) {
		__u32 count = max_entries;

		err = bpf_map_lookup_batch(fd, first ? NULL : &in_batch, &out_batch, a->keys,
					   a->vals, &count, &opts);
		if (err && errno != ENOENT) {
			if (first && (errno == EINVAL || errno == EOPNOTSUPP))
				goto slow;
			return -errno;
		}
		for (__u32 i = 0; i < count; i++) {
			int e = add_entry(a, &a->keys[i], &a->vals[i], now_ms, min_age_ms, width);

			if (e)
				return e;
		}
		if (err) /* ENOENT: no more entries */
			return 0;
		in_batch = out_batch;
		first = false;
	}
slow:
	for (err = bpf_map_get_next_key(fd, NULL, &next); !err;
	     err = bpf_map_get_next_key(fd, &key, &next)) {
		key = next;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue; /* deleted meanwhile */
		err = add_entry(a, &key, &val, now_ms, min_age_ms, width);
		if (err)
			return err;
	}
	return 0;
}

static int cmp_sites(const void *pa, const void *pb)
{
	const struct lt_site *x = *(struct lt_site *const *)pa, *y = *(struct lt_site *const *)pb;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->allocs != y->allocs)
		return x->allocs > y->allocs ? -1 : 1;
	/* deterministic order for equal sites */
	if (x->caller != y->caller)
		return x->caller < y->caller ? -1 : 1;
	return x->stack_id < y->stack_id ? -1 : x->stack_id > y->stack_id;
}

static int cmp_growth(const void *pa, const void *pb)
{
	const struct lt_site *x = *(struct lt_site *const *)pa, *y = *(struct lt_site *const *)pb;

	if (x->growth_rate != y->growth_rate)
		return x->growth_rate > y->growth_rate ? -1 : 1;
	return cmp_sites(pa, pb);
}

static void read_counters(struct aggregate *a, int fd)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;

	memset(a->totals.counters, 0, sizeof(a->totals.counters));
	a->totals.dropped = 0;
	if (ncpu <= 0)
		return;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return;
	for (__u32 i = 0; i < LT_CNT_MAX; i++) {
		if (bpf_map_lookup_elem(fd, &i, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			a->totals.counters[i] += vals[c];
	}
	free(vals);
	a->totals.dropped = a->totals.counters[LT_CNT_DROP_ALLOCS_FULL] +
			    a->totals.counters[LT_CNT_DROP_AGG_FULL] +
			    a->totals.counters[LT_CNT_DROP_STACK] +
			    a->totals.counters[LT_CNT_DROP_INFLIGHT] +
			    a->totals.counters[LT_CNT_DROP_PROCS_FULL];
}

struct lt_proc_sum *aggregate_procs(struct aggregate *a, size_t *n)
{
	static struct lt_proc_sum none;

	*n = a->procs.n;
	return a->procs.v ? a->procs.v : &none;
}

static int narrow(struct lt_site **from, size_t n, const struct lt_proc_sum *p,
		  struct lt_site ***to, size_t *nto)
{
	free(*to);
	*to = calloc(n ? n : 1, sizeof(**to));
	*nto = 0;
	if (!*to)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (from[i]->tgid == p->tgid && from[i]->epoch == p->epoch)
			(*to)[(*nto)++] = from[i];
	return 0;
}

int aggregate_view(struct aggregate *a, const struct lt_proc_sum *p)
{
	int err;

	a->viewing = false;
	if (!p)
		return 0;
	err = narrow(a->sorted, a->nsorted, p, &a->vsorted, &a->nvsorted) ?:
	      narrow(a->suspects, a->nsuspects, p, &a->vsuspects, &a->nvsuspects) ?:
	      narrow(a->fds, a->nfds, p, &a->vfds, &a->nvfds);
	if (err)
		return err;
	a->vtotals = p->totals;
	memcpy(a->vtotals.counters, a->totals.counters, sizeof(a->vtotals.counters));
	a->vtotals.dropped = a->totals.dropped;
	a->viewing = true;
	return 0;
}

int aggregate_collect(struct aggregate *a, struct leaktrace_bpf *skel, uint64_t now_ms,
		      uint64_t min_age_ms, uint32_t width)
{
	struct bpf_map *map = skel->maps.lt_agg;
	struct site_table tmp;
	struct site_slot *sl;
	size_t k = 0;
	int err, fd = bpf_map__fd(map);

	/* cur becomes old; the new snapshot is built in a cleared table. */
	tmp = a->old;
	a->old = a->cur;
	a->cur = tmp;
	site_table_clear(&a->cur, a->old.m.n);
	a->totals.bytes = a->totals.allocs = 0;
	a->totals.runtime_bytes = a->totals.runtime_allocs = 0;
	a->totals.arena_bytes = a->totals.arena_allocs = 0;
	a->totals.fds_open = 0;
	a->ngc = 0;

	err = read_entries(a, fd, bpf_map__max_entries(map), now_ms, min_age_ms, width);
	if (err)
		return err;
	for (size_t i = 0; i < a->ngc; i++) {
		struct lt_agg_val v;

		if (bpf_map_lookup_and_delete_elem(fd, &a->gc[i], &v) &&
		    (bpf_map_lookup_elem(fd, &a->gc[i], &v) || bpf_map_delete_elem(fd, &a->gc[i])))
			continue;
		sl = site_of(a, &a->gc[i], false);
		if (sl)
			sl->retired += v.total_allocs;
	}
	read_counters(a, bpf_map__fd(skel->maps.lt_counters));

	free(a->sorted);
	free(a->fds);
	a->sorted = calloc(a->cur.m.n ? a->cur.m.n : 1, sizeof(*a->sorted));
	a->fds = calloc(a->cur.m.n ? a->cur.m.n : 1, sizeof(*a->fds));
	if (!a->sorted || !a->fds)
		return -ENOMEM;
	a->nfds = 0;
	for (size_t i = 0; (sl = site_table_next(&a->cur, &i));) {
		struct site_slot *o;

		o = site_table_get(&a->old, site_table_proc(&sl->s), sl->s.stack_id, sl->s.caller,
				   sl->s.kind, false);
		if (o) {
			sl->s.prev_bytes = o->s.prev_bytes;
			sl->retired += o->retired;
			sl->s.nhist = o->s.nhist;
			sl->s.first_s = o->s.first_s;
			sl->s.first_bytes = o->s.first_bytes;
			sl->s.max_bytes = o->s.max_bytes;
			sl->s.max_before = o->s.max_before;
			sl->s.rises = o->s.rises;
			sl->s.last_rise_s = o->s.last_rise_s;
			sl->s.rise_gap_s = o->s.rise_gap_s;
			memcpy(sl->s.hist_s, o->s.hist_s, sizeof(sl->s.hist_s));
			memcpy(sl->s.hist_bytes, o->s.hist_bytes, sizeof(sl->s.hist_bytes));
			memcpy(sl->s.hist_allocs, o->s.hist_allocs, sizeof(sl->s.hist_allocs));
		}
		growth_judge(&sl->s, now_ms / 1000.0, a->blind);
		sl->s.total_allocs += sl->retired;
		if (sl->s.kind == LT_MMAP && sl->s.all_allocs > 0 && a->is_runtime) {
			enum lt_mmap_class c = a->is_runtime(a->runtime_arg, &sl->s);

			sl->s.mclass = c;

			if (c != LT_MMAP_PROGRAM) {
				a->totals.bytes -= sl->s.all_bytes;
				a->totals.allocs -= sl->s.all_allocs;
				*(c == LT_MMAP_ARENA ? &a->totals.arena_bytes
						     : &a->totals.runtime_bytes) += sl->s.all_bytes;
				*(c == LT_MMAP_ARENA ? &a->totals.arena_allocs
						     : &a->totals.runtime_allocs) += sl->s.all_allocs;
				continue;
			}
		}
		if (sl->s.kind == LT_FD) {
			if (sl->s.allocs > 0)
				a->fds[a->nfds++] = &sl->s;
			continue;
		}
		if (sl->s.allocs > 0) /* malloc(0) holds no bytes but is outstanding */
			a->sorted[k++] = &sl->s;
	}
	a->nsorted = k;
	qsort(a->sorted, k, sizeof(*a->sorted), cmp_sites);
	qsort(a->fds, a->nfds, sizeof(*a->fds), cmp_sites); /* bytes == open count */

	free(a->suspects);
	a->suspects = calloc(k ? k : 1, sizeof(*a->suspects));
	if (!a->suspects)
		return -ENOMEM;
	a->nsuspects = 0;
	for (size_t i = 0; i < k; i++)
		if (a->sorted[i]->suspect)
			a->suspects[a->nsuspects++] = a->sorted[i];
	qsort(a->suspects, a->nsuspects, sizeof(*a->suspects), cmp_growth);
	a->viewing = false;
	return proc_sums_update(&a->procs, &a->cur);
}

struct lt_site **aggregate_fd_sites(struct aggregate *a, size_t *n)
{
	*n = a->viewing ? a->nvfds : a->nfds;
	return a->viewing ? a->vfds : a->fds;
}

struct lt_site **aggregate_suspects(struct aggregate *a, size_t *n)
{
	*n = a->viewing ? a->nvsuspects : a->nsuspects;
	return a->viewing ? a->vsuspects : a->suspects;
}

const struct lt_totals *aggregate_counters(struct aggregate *a, struct leaktrace_bpf *skel)
{
	read_counters(a, bpf_map__fd(skel->maps.lt_counters));
	return &a->totals;
}

struct lt_site **aggregate_sites(struct aggregate *a, size_t *n)
{
	*n = a->viewing ? a->nvsorted : a->nsorted;
	return a->viewing ? a->vsorted : a->sorted;
}

const struct lt_totals *aggregate_totals(const struct aggregate *a)
{
	return a->viewing ? &a->vtotals : &a->totals;
}

void aggregate_mark_reported(struct aggregate *a)
{
	struct site_slot *sl;

	a->totals.arena_prev_bytes = a->totals.arena_bytes;
	for (size_t i = 0; (sl = site_table_next(&a->cur, &i));)
		sl->s.prev_bytes = sl->s.bytes;
}

struct forget_arg {
	bool (*gone)(void *arg, uint32_t tgid, uint32_t epoch);
	void *arg;
};

static bool stack_kept(void *ent, void *arg)
{
	const struct stack_slot *sl = ent;
	const struct forget_arg *f = arg;

	return !f->gone(f->arg, sl->st.tgid, sl->st.epoch);
}

void aggregate_forget(struct aggregate *a, bool (*gone)(void *arg, uint32_t tgid, uint32_t epoch),
		      void *arg)
{
	struct forget_arg f = { gone, arg };

	hmap_retain(&a->stacks, stack_kept, &f); /* the gone are asked once each */
}

/* Descriptors outlive an exec (those without O_CLOEXEC); memory does not. */
static bool keep_alloc(const void *key, uint32_t epoch)
{
	const struct lt_alloc_key *k = key;

	return (k->addr & LT_FD_TAG) || k->epoch >= epoch;
}

static bool keep_agg(const void *key, uint32_t epoch)
{
	const struct lt_agg_key *k = key;

	return k->kind == LT_FD || k->epoch >= epoch;
}

/* Delete the entries of a hash map that keep() refuses. 0 or -errno. */
static int drop_keys(int fd, size_t ksz, bool (*keep)(const void *key, uint32_t epoch),
		     uint32_t epoch)
{
	char key[sizeof(struct lt_agg_key)], next[sizeof(key)], *v = NULL, *nv;
	size_t n = 0, cap = 0;
	int err;

	/* gather first: a deleted key would restart get_next_key's walk */
	for (err = bpf_map_get_next_key(fd, NULL, next); !err;
	     err = bpf_map_get_next_key(fd, key, next)) {
		memcpy(key, next, ksz);
		if (keep(key, epoch))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			nv = realloc(v, cap * ksz);
			if (!nv) {
				err = -ENOMEM;
				goto cleanup;
			}
			v = nv;
		}
		memcpy(v + n++ * ksz, key, ksz);
	}
	err = errno == ENOENT ? 0 : -errno;
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, v + i * ksz);
cleanup:
	free(v);
	return err;
}

int aggregate_drop_image(struct leaktrace_bpf *skel, uint32_t epoch, int64_t *bytes,
			 int64_t *allocs)
{
	int fd = bpf_map__fd(skel->maps.lt_agg);
	struct lt_agg_key k, next;
	struct lt_agg_val v;
	int err;

	_Static_assert(sizeof(struct lt_alloc_key) <= sizeof(struct lt_agg_key), "key buffer");
	*bytes = *allocs = 0;
	for (err = bpf_map_get_next_key(fd, NULL, &next); !err;
	     err = bpf_map_get_next_key(fd, &k, &next)) {
		k = next;
		if (!keep_agg(&k, epoch) && !bpf_map_lookup_elem(fd, &k, &v)) {
			*bytes += v.bytes;
			*allocs += v.allocs;
		}
	}
	return drop_keys(bpf_map__fd(skel->maps.lt_allocs), sizeof(struct lt_alloc_key),
			 keep_alloc, epoch) ?:
	       drop_keys(fd, sizeof(struct lt_agg_key), keep_agg, epoch);
}

/* Returned pointers stay valid until the cache grows, i.e. until the next
 * call for a stack not yet cached. */
const struct lt_stack *aggregate_stack(struct aggregate *a, struct leaktrace_bpf *skel,
				       uint64_t id)
{
	struct stack_slot *sl;
	int r;

	if (!id)
		return NULL;
	r = hmap_get(&a->stacks, lt_mix64(id), &id, (void **)&sl);
	if (r <= 0)
		return r ? NULL : &sl->st;
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.lt_stacks), &id, &sl->st)) {
		hmap_del(&a->stacks, sl);
		return NULL;
	}
	if (sl->st.depth > LT_MAX_STACK_DEPTH)
		sl->st.depth = LT_MAX_STACK_DEPTH;
	if (sl->st.py_depth > LT_MAX_PY_DEPTH)
		sl->st.py_depth = LT_MAX_PY_DEPTH;
	return &sl->st;
}

int aggregate_frames(struct aggregate *a, struct leaktrace_bpf *skel, const struct lt_site *s,
		     uint64_t *ips, int max)
{
	const struct lt_stack *st = aggregate_stack(a, skel, s->stack_id);
	int n = 0, i = 0;

	if (max <= 0)
		return 0;
	/* Stacks taken at a uretprobe start at the caller itself. For mmap the
	 * stack starts inside the libc wrapper, which keeps no frame: its
	 * caller (read at %rsp) replaces that first frame. */
	if (s->caller)
		ips[n++] = s->caller;
	if (st && st->depth) {
		i = 1;
		if (!s->caller)
			ips[n++] = st->ips[0];
		else if (st->ips[0] != s->caller && st->depth > 1 && st->ips[1] == s->caller)
			i = 2;
	}
	for (; st && i < (int)st->depth && n < max; i++)
		ips[n++] = st->ips[i];
	return n;
}
