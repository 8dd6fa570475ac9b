/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A stack captured and stored once (lt_stacks): native frames by the
 * walker (unwind.bpf.h), then Python frames (lt_pywalk.bpf.h). */
#ifndef LT_STACK_BPF_H
#define LT_STACK_BPF_H

#include "lt_pywalk.bpf.h"

#define USER_CS 0x33 /* 64-bit user code segment */

#include "unwind.bpf.h"

/* In frames: CFI where the loader loaded tables, else frame pointers. */
static __always_inline long get_ret_stack(struct pt_regs *regs, struct lt_stack *st, __u64 *h)
{
	long n;

	if (regs->cs != USER_CS) { /* 32-bit task: the kernel's compat walker */
		n = bpf_get_stack(regs, st->ips, LT_MAX_STACK_DEPTH * sizeof(__u64),
				  BPF_F_USER_STACK) >> 3;
		if (n > 0 && n <= LT_MAX_STACK_DEPTH) {
			st->depth = n;
			*h = uw_hash(st, *h);
		}
		return n;
	}
	return uw_walk(st, regs->ip, regs->sp, regs->bp, false, h);
}

/*
 * The same from a tracepoint (mmap, descriptors, --rss faults): the user
 * registers are the task's, as bpf_get_stack(BPF_F_USER_STACK) takes them
 * there. Checked against it on ~75,000 stacks (C; CPython 3.8, 3.11, 3.13
 * and Debian's; user and kernel faults, mmaps, descriptors): identical.
 */
static __always_inline long get_tp_stack(void *ctx, struct lt_stack *st, __u64 *h)
{
	struct pt_regs *r = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	long n;

	if (BPF_CORE_READ(r, cs) != USER_CS) {
		n = bpf_get_stack(ctx, st->ips, LT_MAX_STACK_DEPTH * sizeof(__u64),
				  BPF_F_USER_STACK) >> 3;
		if (n > 0 && n <= LT_MAX_STACK_DEPTH) {
			st->depth = n;
			*h = uw_hash(st, *h);
		}
		return n;
	}
	return uw_walk(st, BPF_CORE_READ(r, ip), BPF_CORE_READ(r, sp), BPF_CORE_READ(r, bp), true,
		       h);
}

/* Capture the user stack and store it once; returns its key, 0 on failure.
 * uret: ctx is an allocator return's registers (get_ret_stack()), else a
 * tracepoint's (get_tp_stack()). */
static __always_inline __u64 store_stack_x(void *ctx, const struct lt_proc *p, bool uret)
{
	__u32 zero = 0;
	struct lt_stack *st = bpf_map_lookup_elem(&lt_scratch, &zero);
	__u64 h = LT_HASH_SEED, t0;
	__u32 steps;
	long n;

	if (!st)
		return 0;
	/* the same addresses mean other code in another process */
	st->tgid = bpf_get_current_pid_tgid() >> 32;
	st->epoch = p->epoch;
	if (!target_tgid)
		h = lt_hash_proc(h, st->tgid, st->epoch);
	st->flags = 0;
	n = uret ? get_ret_stack(ctx, st, &h) : get_tp_stack(ctx, st, &h);
	if (n <= 0 || n > LT_MAX_STACK_DEPTH)
		goto fail;
	st->depth = n;
	if (st->flags & LT_ST_TRUNCATED)
		count(LT_CNT_STACK_TRUNCATED);
	t0 = time_py_walk ? bpf_ktime_get_ns() : 0;
	steps = py_walk(st, LT_MAX_PY_DEPTH, &p->py);
	if (time_py_walk && p->py.enabled) {
		count_add(LT_CNT_PY_WALK_NS, bpf_ktime_get_ns() - t0);
		count(LT_CNT_PY_WALKS);
		count_add(LT_CNT_PY_WALK_FRAMES, steps);
	}
	for (int i = 0; i < LT_MAX_PY_DEPTH; i++) {
		if (i >= st->py_depth)
			break;
		h = lt_hash_py(h, st->py[i].code, st->py[i].pos, st->py[i].check);
	}
	h |= 1; /* 0 means "no stack" */
	if (bpf_map_lookup_elem(&lt_stacks, &h))
		return h;
	/* Unused tail frames would make equal stacks differ in the map value
	 * only, not in the key; zero them so dumps are deterministic. */
	uw_zero_tail(st);
	for (int i = 0; i < LT_MAX_PY_DEPTH; i++)
		if (i >= st->py_depth)
			st->py[i] = (struct lt_py_frame){};
	if (bpf_map_update_elem(&lt_stacks, &h, st, BPF_NOEXIST)) {
		if (!bpf_map_lookup_elem(&lt_stacks, &h))
			goto fail;
		return h;
	}
	if (st->py_depth) { /* full ring: the loader's periodic scan catches up */
		struct lt_newstack ns = { .id = h, .tgid = st->tgid, .epoch = st->epoch };

		if (bpf_ringbuf_output(&lt_newstacks, &ns, sizeof(ns), 0))
			count(LT_CNT_NEWSTACKS_LOST);
	}
	return h;
fail:
	count(LT_CNT_DROP_STACK);
	return 0;
}

static __always_inline __u64 store_stack(void *ctx, const struct lt_proc *p)
{
	return store_stack_x(ctx, p, false);
}

#endif
