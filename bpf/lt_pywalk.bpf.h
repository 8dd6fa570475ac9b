/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Python frames: the calling thread's PyThreadState, and the walk of its
 * frames (code object, position), for stacks and --objects. */
#ifndef LT_PYWALK_BPF_H
#define LT_PYWALK_BPF_H

#include "lt_core.bpf.h"

/*
 * <= 3.12: the calling thread's PyThreadState is the interpreter's autoTSSkey
 * slot of glibc's pthread-specific data (bound while the thread has released
 * the GIL too), validated by tstate->thread_id == pthread_self() == fsbase.
 */
static __always_inline __u64 py_tstate_tss(const struct lt_py_cfg *c)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 fsbase = task->thread.fsbase, slot, ts;
	__u32 key = read_u32(c->runtime + c->tss_key);

	if (key < 32) {
		slot = fsbase + c->tsd_first + 16 * key + 8;
	} else if (key < 1024) {
		slot = read_u64(fsbase + c->tsd_second + 8 * (key >> 5));
		if (!slot)
			return 0;
		slot += 16 * (key & 31) + 8;
	} else {
		return 0;
	}
	ts = read_u64(slot);
	if (!ts || read_u64(ts + c->ts_thread_id) != fsbase)
		return 0;
	return ts;
}

#define PY_MAX_INTERPS 16
#define PY_MAX_THREADS 1024

struct ts_walk {
	const struct lt_py_cfg *c;
	__u64 interp, ts, found;
	__u32 tid, ninterps;
};

static long ts_walk_one(__u32 i, void *arg)
{
	struct ts_walk *w = arg;
	const struct lt_py_cfg *c = w->c;

	if (!w->ts) { /* this interpreter's list is done: the next one's */
		if (w->ninterps++)
			w->interp = read_u64(w->interp + c->interp_next);
		if (!w->interp || w->ninterps > PY_MAX_INTERPS)
			return 1;
		w->ts = read_u64(w->interp + c->interp_threads);
		return 0;
	}
	if (read_u64(w->ts + c->ts_native_tid) == w->tid) {
		w->found = w->ts;
		return 1;
	}
	w->ts = read_u64(w->ts + c->ts_next);
	return 0;
}

static __always_inline __u64 py_tstate_walk(const struct lt_py_cfg *c)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct ts_walk w = { .c = c, .tid = tid };
	__u64 *cached = bpf_map_lookup_elem(&lt_tstates, &tid);

	if (cached && *cached && read_u64(*cached + c->ts_native_tid) == tid)
		return *cached;
	w.interp = read_u64(c->runtime + c->rt_interp_head);
	bpf_loop(PY_MAX_THREADS, ts_walk_one, &w, 0);
	if (w.found)
		bpf_map_update_elem(&lt_tstates, &tid, &w.found, BPF_ANY);
	return w.found;
}

static __always_inline __u64 py_tstate(const struct lt_py_cfg *c)
{
	return c->tstate_walk ? py_tstate_walk(c) : py_tstate_tss(c);
}

struct py_walk {
	struct lt_stack *st;
	const struct lt_py_cfg *c;
	__u8 *win;	/* lt_pyframe's value */
	__u64 frame;
	__u64 base;	/* 3.15: tstate->base_frame, the sentinel; or 0 */
	__u32 max, steps;
};

static __always_inline __u64 win_u64(const __u8 *win, __u32 off)
{
	if (off > LT_PY_FRAME_WIN - 8)
		return 0;
	return *(const __u64 *)(win + off);
}

/* One frame per call: (code object, position) only; names and lines are
 * resolved in userspace. The count is kept in st (a map value), not here on
 * the stack, so the verifier checks the step once rather than per depth.
 * One read of the frame, not one per field: each read is a fault-guarded
 * copy with a fixed cost that dominates the walk. */
static long py_walk_one(__u32 i, void *arg)
{
	struct py_walk *w = arg;
	const struct lt_py_cfg *c = w->c;
	__u8 *win = w->win;
	__u32 n = w->st->py_depth, span = c->frame_span;
	__u64 code, pos;

	if (!w->frame || !win)
		return 1;
	if (n >= LT_MAX_PY_DEPTH || n >= w->max) {
		w->st->py_truncated = n >= LT_MAX_PY_DEPTH;
		return 1;
	}
	/* 3.15: the thread state's sentinel base frame ends the chain */
	if (w->base && w->frame == w->base)
		return 1;
	if (span > LT_PY_FRAME_WIN)
		span = LT_PY_FRAME_WIN;
	if (!span || bpf_probe_read_user(win, span, (void *)w->frame))
		return 1;
	w->steps++;
	/* 3.14+: a tagged _PyStackRef; the code type is checked in userspace,
	 * which reads the object anyway (frames that are no code give no line) */
	code = win_u64(win, c->frame_code) & ~(__u64)c->exec_tag;
	/* 3.12+: frames owned by the C stack or the interpreter (entry and
	 * shim frames) are no Python code: skip */
	if (c->frame_owner != ~0U && (__u8)win_u64(win, c->frame_owner) >= c->owner_skip)
		code = 0;
	if (code) {
		pos = win_u64(win, c->frame_pos);
		if (c->pos_is_ptr)
			pos = pos > code + c->code_first_instr ?
				      (pos - code - c->code_first_instr) / 2 : 0;
		else
			pos = (__u32)pos;
		w->st->py[n].code = code;
		w->st->py[n].pos = pos;
		w->st->py[n].check = lt_code_check(read_u64(code + c->code_firstlineno));
		w->st->py_depth = n + 1;
	}
	w->frame = win_u64(win, c->frame_back);
	return 0;
}

/* Returns the frames stepped through. */
static __always_inline __u32 py_walk(struct lt_stack *st, __u32 max, const struct lt_py_cfg *c)
{
	struct py_walk w = { .st = st, .c = c, .max = max };
	__u32 zero = 0;
	__u64 ts;

	st->py_depth = 0;
	st->py_truncated = 0;
	if (!c->enabled)
		return 0;
	w.win = bpf_map_lookup_elem(&lt_pyframe, &zero);
	ts = py_tstate(c);
	if (!ts) {
		count(LT_CNT_PY_NO_TSTATE);
		return 0;
	}
	w.frame = read_u64(ts + c->ts_frame);
	if (c->ts_base_frame)
		w.base = read_u64(ts + c->ts_base_frame);
	if (c->cframe_frame != ~0U && w.frame) /* 3.11, 3.12: via _PyCFrame */
		w.frame = read_u64(w.frame + c->cframe_frame);
	bpf_loop(LT_MAX_PY_DEPTH + 1, py_walk_one, &w, 0);
	if (st->py_truncated)
		count(LT_CNT_PY_TRUNCATED);
	return w.steps;
}

#endif
