// SPDX-License-Identifier: MIT
/* Which process image owns each stack in lt_stacks, and the purge of what
 * gone images left in the maps. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "leaktrace.h"
#include "leaktrace.skel.h"
#include "aggregate.h"
#include "procs_int.h"
#include "python.h"
#include "util.h"

#define BATCH 4096	/* map entries per batch syscall in a purge */

/* Learn the owner of every stack not seen before (one read of each), and
 * read the code objects of its Python frames while they exist: a stack
 * whose notice the ring had no room for is read here first. */
void procs_learn_stacks(struct procs *ps)
{
	int fd = bpf_map__fd(ps->skel->maps.lt_stacks);
	uint64_t key, next;
	struct lt_stack *st = malloc(sizeof(*st));
	int err;

	if (!st)
		return;
	for (err = bpf_map_get_next_key(fd, NULL, &next); !err;
	     err = bpf_map_get_next_key(fd, &key, &next)) {
		struct stack_own *o;

		key = next;
		if (hmap_find(&ps->stacks, lt_mix64(key), &key))
			continue;
		if (bpf_map_lookup_elem(fd, &key, st))
			continue;
		if (hmap_get(&ps->stacks, lt_mix64(key), &key, (void **)&o) < 0)
			break;
		o->proc = proc_key(st->tgid, st->epoch);
		if (st->py_depth) {
			struct lt_pstate *p = procs_find(ps, st->tgid, st->epoch);

			if (p && p->py && !p->gone)
				python_prefetch_stack(p->py, key, st);
		}
	}
	free(st);
}

/* Gone and reported, or unknown and no longer in lt_procs. */
static bool dead(struct procs *ps, uint32_t tgid, uint32_t epoch)
{
	struct lt_pstate *p = procs_find(ps, tgid, epoch);
	struct lt_proc v;
	__u32 k = tgid;

	if (p)
		return p->reported;
	return bpf_map_lookup_elem(bpf_map__fd(ps->skel->maps.lt_procs), &k, &v) ||
	       v.epoch != epoch;
}

static bool dead_cb(void *arg, uint32_t tgid, uint32_t epoch)
{
	return dead(arg, tgid, epoch);
}

/* hmap_retain()'s: a dead image's stack also leaves lt_stacks. */
static bool stack_alive(void *ent, void *arg)
{
	const struct stack_own *o = ent;
	struct procs *ps = arg;

	if (!dead(ps, o->proc >> 32, (uint32_t)o->proc))
		return true;
	bpf_map_delete_elem(bpf_map__fd(ps->skel->maps.lt_stacks), &o->id);
	return false;
}

/* Delete the entries of dead images from a hash map whose keys start with
 * (.., tgid, epoch) at key_off. Batches of BATCH entries. */
static void purge_map(struct procs *ps, int fd, size_t ksz, size_t vsz, size_t tgid_off)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	char *keys = malloc(BATCH * ksz), *vals = malloc(BATCH * vsz), *del = malloc(BATCH * ksz);
	uint64_t in = 0, out = 0;
	bool first = true;
	int err;

	if (!keys || !vals || !del)
		goto cleanup;
	for (;;) {
		__u32 count = BATCH, ndel = 0;

		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &count, &opts);
		if (err && errno != ENOENT)
			break;
		for (__u32 i = 0; i < count; i++) {
			uint32_t id[2];

			memcpy(id, keys + i * ksz + tgid_off, sizeof(id));
			if (dead(ps, id[0], id[1]))
				memcpy(del + ndel++ * ksz, keys + i * ksz, ksz);
		}
		for (__u32 i = 0; i < ndel; i++)
			bpf_map_delete_elem(fd, del + i * ksz);
		if (err)
			break;
		in = out;
		first = false;
	}
cleanup:
	free(keys);
	free(vals);
	free(del);
}

int procs_purge(struct procs *ps, struct aggregate *agg)
{
	int freed = 0;
	bool any = false;

	for (size_t b = 0; b < NBUCKETS; b++)
		for (struct lt_pstate *p = ps->buckets[b]; p; p = p->next)
			any |= p->reported;
	if (!any)
		return 0;
	purge_map(ps, bpf_map__fd(ps->skel->maps.lt_allocs), sizeof(struct lt_alloc_key),
		  sizeof(struct lt_alloc), offsetof(struct lt_alloc_key, tgid));
	purge_map(ps, bpf_map__fd(ps->skel->maps.lt_agg), sizeof(struct lt_agg_key),
		  sizeof(struct lt_agg_val), offsetof(struct lt_agg_key, tgid));
	procs_learn_stacks(ps);
	/* the dead ones' stacks go; the table shrinks to what is left */
	hmap_retain(&ps->stacks, stack_alive, ps);
	aggregate_forget(agg, dead_cb, ps);
	for (size_t b = 0; b < NBUCKETS; b++) {
		struct lt_pstate **pp = &ps->buckets[b];

		while (*pp) {
			struct lt_pstate *p = *pp;

			if (!p->reported) {
				pp = &p->next;
				continue;
			}
			*pp = p->next;
			procs_pstate_free(p);
			ps->n--;
			freed++;
		}
	}
	return freed;
}
