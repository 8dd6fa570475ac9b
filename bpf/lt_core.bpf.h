/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Helpers every BPF part uses: counters, events, the thread's in-flight
 * state, which process is traced, user memory reads. */
#ifndef LT_CORE_BPF_H
#define LT_CORE_BPF_H

#include "lt_maps.bpf.h"

static __always_inline void count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&lt_counters, &idx);

	if (c)
		(*c)++;
}

static __always_inline void count_add(__u32 idx, __u64 n)
{
	__u64 *c = bpf_map_lookup_elem(&lt_counters, &idx);

	if (c)
		*c += n;
}

static __always_inline void proc_event(__u32 type, __u32 tgid, __u32 epoch, __u32 ppid)
{
	struct lt_proc_event *e = bpf_ringbuf_reserve(&lt_procevents, sizeof(*e), 0);

	if (!e) {
		count(LT_CNT_EVENTS_LOST);
		return;
	}
	e->type = type;
	e->tgid = tgid;
	e->epoch = epoch;
	e->ppid = ppid;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

static __always_inline struct lt_inflight *inflight(void)
{
	struct lt_inflight *f;

	f = bpf_task_storage_get(&lt_inflight, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!f)
		count(LT_CNT_DROP_INFLIGHT);
	return f;
}

/* The traced process the current task belongs to, or NULL. With one
 * target the verifier drops the map lookup (target_tgid is a constant). */

static __always_inline bool is_target_task(void)
{
	struct task_struct *t = bpf_get_current_task_btf();

	/* direct loads through the task's BTF pointer: no helper call on
	 * every probe hit */
	return !target_start_ticks || !tick_ns ||
	       t->group_leader->start_boottime / tick_ns == target_start_ticks;
}

static __always_inline struct lt_proc *target(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (noop_probes)
		return NULL;
	if (target_tgid)
		return tgid == target_tgid && is_target_task() ? &single : NULL;
	return bpf_map_lookup_elem(&lt_procs, &tgid);
}

static __always_inline bool is_target(void)
{
	return target() != NULL;
}

/* -a: a probe hit of process p, for the budget's per-process load. */
static __always_inline void hit(struct lt_proc *p, bool is_free)
{
	if (!target_tgid)
		__sync_fetch_and_add(is_free ? &p->free_hits : &p->alloc_hits, 1);
}

static __always_inline struct lt_alloc_key alloc_key(__u64 addr, const struct lt_proc *p)
{
	struct lt_alloc_key k = { .addr = addr, .epoch = p->epoch };

	k.tgid = bpf_get_current_pid_tgid() >> 32;
	return k;
}

static __always_inline __u64 read_u64(__u64 addr)
{
	__u64 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)addr);
	return v;
}

static __always_inline __u32 read_u32(__u64 addr)
{
	__u32 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)addr);
	return v;
}

/* An aggregate entry, created at zero if new; NULL (counted) when full. */
/* NULL, counted under full, when the map is full */
static __always_inline void *lookup_or_init(void *map, const void *key, const void *zero,
					    __u32 full)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	bpf_map_update_elem(map, key, zero, BPF_NOEXIST); /* EEXIST: another CPU won */
	v = bpf_map_lookup_elem(map, key);
	if (!v)
		count(full);
	return v;
}

static __always_inline void rss_count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&lt_rss_cnt, &idx);

	if (c)
		(*c)++;
}

#endif
