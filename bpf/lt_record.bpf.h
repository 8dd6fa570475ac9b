/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The record path: an allocation (or an mmap, or a descriptor) added to
 * lt_allocs and its aggregate, and removed again. */
#ifndef LT_RECORD_BPF_H
#define LT_RECORD_BPF_H

#include "lt_stack.bpf.h"

/* --- allocations watched for untouched pages (hooks in record_*()) --- */

static __always_inline void rss_big_note(__u64 addr, const struct lt_alloc *a)
{
	if (rss_big_min && a->size >= rss_big_min &&
	    bpf_map_update_elem(&lt_rss_big, &addr, a, BPF_ANY))
		rss_count(LT_RSS_BIG_FULL);
}

static __always_inline void rss_big_forget(__u64 addr, __u64 size)
{
	if (rss_big_min && size >= rss_big_min)
		bpf_map_delete_elem(&lt_rss_big, &addr);
}

static __always_inline void agg_sub(const struct lt_alloc *a)
{
	struct lt_agg_val *v = bpf_map_lookup_elem(&lt_agg, &a->key);

	if (!v)
		return;
	__sync_fetch_and_add(&v->bytes, -(__s64)a->size);
	__sync_fetch_and_add(&v->allocs, -(__s64)(a->weight ?: 1));
}
/* Forget the block at ptr; only the thread whose delete succeeds updates
 * the aggregate, so a racing double free cannot subtract twice. */
static __always_inline void record_free(__u64 ptr, const struct lt_proc *pr)
{
	struct lt_alloc_key k = alloc_key(ptr, pr);
	struct lt_alloc *p = bpf_map_lookup_elem(&lt_allocs, &k);
	struct lt_alloc a;

	if (!p)
		return;
	a = *p;
	if (bpf_map_delete_elem(&lt_allocs, &k))
		return;
	agg_sub(&a);
	rss_big_forget(ptr, a.size);
	count(LT_CNT_FREES);
	if (lt_gen && a.gen == lt_gen)
		count(LT_CNT_GEN_FREES);
}

/* weight: allocations this one stands for (--sample-bytes), 0 for one; size
 * is then the estimated bytes. */
static __always_inline void record_alloc_w(void *ctx, const struct lt_proc *p, __u64 addr,
					   __u64 size, __u64 weight, __u32 kind, __u64 caller,
					   bool uret)
{
	struct lt_alloc_key k = alloc_key(addr, p);
	struct lt_alloc a = {};
	struct lt_agg_val zero = {}, *v;
	__u32 width = bucket_ms ?: 100;
	__u64 now = bpf_ktime_get_ns(), t0 = t0_ns;
	__u64 ms = now > t0 ? (now - t0) / 1000000 : 0;

	if (p->exit_ns) {
		count(LT_CNT_EXIT_ALLOCS);
		return;
	}
	/* The allocator handing out an address we still hold proves that the
	 * earlier block there was freed on a path we did not see. */
	record_free(addr, p);

	a.size = size;
	a.weight = weight;
	a.gen = lt_gen;
	a.key.stack_id = store_stack_x(ctx, p, uret);
	a.key.caller = caller;
	a.key.bucket_ms = ms / width * width;
	a.key.kind = kind;
	a.key.tgid = k.tgid;
	a.key.epoch = k.epoch;

	v = lookup_or_init(&lt_agg, &a.key, &zero, LT_CNT_DROP_AGG_FULL);
	if (!v)
		return;
	if (bpf_map_update_elem(&lt_allocs, &k, &a, BPF_ANY)) {
		count(LT_CNT_DROP_ALLOCS_FULL);
		return;
	}
	__sync_fetch_and_add(&v->bytes, size);
	__sync_fetch_and_add(&v->allocs, weight ?: 1);
	__sync_fetch_and_add(&v->total_allocs, weight ?: 1);
	rss_big_note(addr, &a);
	count(LT_CNT_ALLOCS);
}

static __always_inline void record_alloc(void *ctx, const struct lt_proc *p, __u64 addr,
					 __u64 size, __u32 kind, __u64 caller)
{
	record_alloc_w(ctx, p, addr, size, 0, kind, caller, false);
}

#endif
