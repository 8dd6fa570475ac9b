// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Exact leak tracing of one process: every allocation is recorded at the
 * allocator's return, every free removes it, and a per-stack aggregate is
 * kept up to date on both, so a report reads O(stacks) entries. With
 * --sample-bytes only sampled allocations are, as estimates (lt_sample.h).
 *
 * Entry probes only stash arguments per thread (lt_inflight); the return
 * probe records the result. The user stack is taken at the return, where the
 * instruction pointer is the exact return address into the allocator's
 * caller, so the caller is named even when it keeps no frame pointer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "leaktrace.h"
#include "lt_sample.h"

#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define PROT_EXEC 0x4
#define VM_EXEC 0x4ULL
#define MAX_ERRNO 4095

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The one traced process; 0: -a, every process in lt_procs. */
const volatile __u32 target_tgid;
/* -a filters for processes that exec while tracing (the loader scans the
 * ones already running): all that are set must match. */
const volatile __u32 filter_uid = ~0U;
const volatile __u64 filter_cgroup;	/* cgroup id; 0: any */
const volatile __u32 filter_cgroup_level; /* its depth below the root */
const volatile __u32 filter_ncomm;
const volatile char filter_comm[8][16];
/* --pid: no process outside those (and their forks) is ever added */
const volatile __u32 filter_known_only;
/* leaktrace itself: never traced (its own mallocs would feed the maps) */
const volatile __u32 self_tgid;

/* Written by the loader while running (mmapped .data): it widens buckets as
 * the run gets longer, so each stack keeps at most ~100 of them. */
volatile __u32 bucket_ms = 100;
/* CLOCK_MONOTONIC ns when tracing started (set when the target is released):
 * birth buckets count from here. */
volatile __u64 t0_ns = 1;
/* Bumped by the loader each time it re-attaches the allocation probes
 * (--max-overhead): a call in flight when they went away never returned
 * through them, so its nesting state is stale. */
volatile __u32 probe_gen;
/* Bumped on every executable file mapping: the loader re-reads maps (dlopen). */
__u64 exec_maps_gen;
/* Launch mode: stop the (ptrace-seized) main thread after it maps code, so
 * the loader sees every library, CPython above all, before it runs. */
__u32 stop_on_exec_map;
/* --sample-bytes N (0: exact mode) and the loader's tables, see lt_sample.h.
 * Read-only: in exact mode the verifier drops the sampling code. */
const volatile __u64 sample_bytes;
const volatile __u64 sample_draws[LT_SAMPLE_DRAWS];
const volatile __u64 sample_g[LT_SAMPLE_G_STEPS + 1];
/* One process: its state, and its CPython config, which the loader sets
 * once it finds CPython (enabled last). */
struct lt_proc single;
/* One process: its execs, each a new image (single.epoch counts them too) */
__u32 single_execs;

/* Per-thread state of an allocator call in progress (task storage: no hash
 * update and delete per call, and no confusion when a tid is reused). */
struct lt_inflight {
	__u64 size;
	__u64 old_ptr;	/* realloc: block being resized */
	__u64 memptr;	/* posix_memalign: where the result is stored */
	__u64 sp;	/* user %rsp at entry: tells nesting from a stale entry */
	__u32 kind;
	__u16 depth;	/* allocator calls in progress on this thread (nesting) */
	__u16 armed;	/* reallocarray seen; its realloc comes next at this %rsp */
	__u32 gen;	/* probe_gen when depth was last valid */
	__u64 fd_pair;	/* --fds: pipe()/socketpair() result array */
	/* --objects: a GC object allocation in progress (nested apart) */
	__u64 gc_type;
	__u64 gc_sp;
	__u32 gc_depth;
	/* --sample-bytes: bytes left before the next sample (0: not drawn yet),
	 * and whether the call in progress is sampled */
	__u32 sampled;
	__u64 sample_left;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 524288);	/* --max-allocs */
	__type(key, struct lt_alloc_key);
	__type(value, struct lt_alloc);
} lt_allocs SEC(".maps");

/* -a: the traced processes, by tgid (sized by the loader) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lt_proc);
} lt_procs SEC(".maps");

/* -a: process events (enum lt_proc_ev) */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} lt_procevents SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);	/* --max-agg */
	__type(key, struct lt_agg_key);
	__type(value, struct lt_agg_val);
} lt_agg SEC(".maps");

/* Stacks are inserted rarely (once each) but are 2 KiB: allocate on demand
 * rather than preallocating --max-stacks of them. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 131072);	/* --max-stacks */
	__type(key, __u64);
	__type(value, struct lt_stack);
} lt_stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct lt_inflight);
} lt_inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LT_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} lt_counters SEC(".maps");

/* New stack keys, so the loader reads a Python stack's code objects while
 * they exist (module code run once at import is freed soon after). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} lt_newstacks SEC(".maps");

/* --objects: each live GC object -> its aggregate key */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);	/* sized by the loader when --objects is on */
	__type(key, __u64);
	__type(value, struct lt_obj_key);
} lt_objs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct lt_obj_key);
	__type(value, struct lt_obj_val);
} lt_objagg SEC(".maps");

/* --rss: outstanding allocations of at least rss_big_min bytes (0: off), whose
 * pages the loader checks for "allocated but never touched". */
const volatile __u64 rss_big_min;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);	/* sized by the loader with --rss */
	__type(key, __u64);
	__type(value, struct lt_alloc);
} lt_rss_big SEC(".maps");

/* Scratch for the stack being captured (too large for the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lt_stack);
} lt_scratch SEC(".maps");

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
/* make bench's floor: every probe's program returns at once (the verifier
 * drops the rest), so what is left is the probes' own cost */
const volatile bool noop_probes;

/* The one target's start (/proc/PID/stat's starttime, in ticks of
 * tick_ns): a process that takes its pid once it is gone is not it. */
const volatile __u64 target_start_ticks, tick_ns;

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

/* 3.13+: the thread state found by walking the interpreters' thread lists
 * (3.14 has no autoTSSkey, and _Py_tss_tstate is a local TLS symbol that a
 * stripped build lacks), remembered per thread and re-validated each use. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);	/* tid */
	__type(value, __u64);	/* its PyThreadState */
} lt_tstates SEC(".maps");

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

/* One frame's first LT_PY_FRAME_WIN bytes: read once, fields taken from it. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[LT_PY_FRAME_WIN]);
} lt_pyframe SEC(".maps");

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

/* The Python walk timed apart, for bench/pywalk.sh: two clock reads an event. */
const volatile bool time_py_walk;

/*
 * vm.mmap_min_addr, set by the loader (0: unknown). The frame-pointer chain
 * of almost every thread ends in a %rbp of 0 or 1 (_start clears it, glibc's
 * __libc_start_call_main leaves 1), and nothing is mapped below it (short of
 * a privileged MAP_FIXED; a chain that gets there has left the stack anyway).
 */
const volatile __u64 min_map_addr;

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

#include "rss.bpf.h"

static __always_inline void agg_sub(const struct lt_alloc *a)
{
	struct lt_agg_val *v = bpf_map_lookup_elem(&lt_agg, &a->key);

	if (!v)
		return;
	__sync_fetch_and_add(&v->bytes, -(__s64)a->size);
	__sync_fetch_and_add(&v->allocs, -(__s64)(a->weight ?: 1));
}

/*
 * Has the process begun to exit: exit() called, or (look) CPython's
 * _PyRuntime._finalizing set? From then on its frees and allocations are
 * counted apart, not applied: the final report shows what it held as it
 * began to exit, not what finalization left (finalization frees the leaks).
 */
static __always_inline bool exiting(struct lt_proc *p, bool look)
{
	if (p->exit_ns)
		return true;
	if (!look || !p->py.enabled || !p->py.rt_finalizing ||
	    !read_u64(p->py.runtime + p->py.rt_finalizing))
		return false;
	p->exit_ns = bpf_ktime_get_ns();
	return true;
}

/* A free after the process began to exit: counted, the block kept. */
static __always_inline void exit_free(__u64 ptr, const struct lt_proc *pr)
{
	struct lt_alloc_key k = alloc_key(ptr, pr);
	struct lt_alloc *a = bpf_map_lookup_elem(&lt_allocs, &k);

	if (!a)
		return;
	count(LT_CNT_EXIT_FREES);
	count_add(LT_CNT_EXIT_FREE_BYTES, a->size);
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

/*
 * An unsampled call that needs no return program: a libc allocator that
 * calls no other probed function (not realloc, which may call malloc and
 * must free the old block; not CPython's, which call libc's), with a size
 * below glibc's smallest mmap threshold, so the mmap tracepoint never sees
 * a mapping of its own (128 KiB, M_MMAP_THRESHOLD's default, only grows).
 * Nor a thread's first call, which maps its arena (the caller checks): a
 * later new heap of a full 64 MiB arena may then count among the C
 * runtime's own mappings.
 */
static __always_inline bool sample_leaf(__u32 kind, __u64 size)
{
	return size < (128 << 10) &&
	       (kind == LT_MALLOC || kind == LT_CALLOC || kind == LT_POSIX_MEMALIGN ||
		kind == LT_ALIGNED_ALLOC || kind == LT_MEMALIGN || kind == LT_VALLOC ||
		kind == LT_PVALLOC);
}

/* --sample-bytes: charge a new outermost call's size to the thread's budget
 * (the common case inline: no random number until a budget is drawn). */
static __always_inline void sample_enter(struct lt_inflight *f, __u64 size)
{
	f->sampled = 0;
	if (!sample_bytes)
		return;
	if (size < f->sample_left) {
		f->sample_left -= size;
		return;
	}
	f->sampled = lt_sample_take(&f->sample_left, size, sample_draws, bpf_get_prandom_u32());
}

/*
 * Allocator entry. Allocators call each other (realloc(NULL, n) calls malloc,
 * large requests call mmap): only the outermost call is recorded. A nested
 * call runs deeper in the stack (lower or, for a tail call, equal %rsp); an
 * entry above the recorded %rsp is a new call after a lost return (a thread
 * that died mid-call, its tid reused), so it replaces the stale entry.
 *
 * session: the uprobe session programs of sampled mode, which return 1 for a
 * call that needs no return program (see lt_ss_*).
 */
static __always_inline int enter_x(struct pt_regs *ctx, __u32 kind, __u64 size, __u64 old_ptr,
				   __u64 memptr, bool session)
{
	__u64 sp = PT_REGS_SP(ctx);
	struct lt_proc *p = target();
	struct lt_inflight *f;
	bool first;

	if (!p)
		return session; /* a session then declines the return */
	hit(p, false);
	f = inflight();
	if (!f)
		return session;
	if (f->gen != probe_gen) {
		f->gen = probe_gen;
		f->depth = 0;
		f->armed = 0;
	}
	first = !f->sample_left; /* the thread's first call (budget not drawn) */
	/* reallocarray tail-jumps to realloc with the same %rsp. */
	if (f->armed && kind == LT_REALLOC && f->sp == sp) {
		f->size = size;
		f->old_ptr = old_ptr;
		f->depth = 1;
		f->armed = 0;
		sample_enter(f, size);
		return 0;
	}
	/* Equal %rsp is a tail call (realloc(NULL, n) jumps to malloc): both
	 * uretprobes fire on the one return, so it nests too. */
	if (f->depth > 0 && sp <= f->sp) {
		if (session)
			return 1; /* the outermost call's return records */
		f->depth++;
		return 0;
	}
	f->size = size;
	f->old_ptr = old_ptr;
	f->memptr = memptr;
	f->sp = sp;
	f->kind = kind;
	f->armed = kind == LT_REALLOCARRAY;
	f->depth = !f->armed;
	sample_enter(f, size);
	if (session && !f->sampled && !first && sample_leaf(kind, size)) {
		f->depth = 0;
		return 1;
	}
	return 0;
}

static __always_inline int enter(struct pt_regs *ctx, __u32 kind, __u64 size, __u64 old_ptr,
				 __u64 memptr)
{
	return enter_x(ctx, kind, size, old_ptr, memptr, false);
}

/* Entry programs: the attach cookie carries the enum lt_kind for the
 * allocators that share an argument layout. */
SEC("uprobe")
int BPF_KPROBE(lt_size_rdi, __u64 size)
{
	__u32 kind = bpf_get_attach_cookie(ctx);

	return enter(ctx, kind, size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(lt_size_rsi, __u64 align, __u64 size)
{
	return enter(ctx, bpf_get_attach_cookie(ctx), size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(lt_calloc, __u64 nmemb, __u64 size)
{
	return enter(ctx, bpf_get_attach_cookie(ctx), nmemb * size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(lt_realloc, __u64 ptr, __u64 size)
{
	return enter(ctx, bpf_get_attach_cookie(ctx), size, ptr, 0);
}

/* glibc's reallocarray tail-jumps to realloc: this only marks the thread so
 * that the realloc entry at the same %rsp is labelled reallocarray; realloc's
 * own probe reads the (multiplied) arguments. */
SEC("uprobe")
int BPF_KPROBE(lt_reallocarr)
{
	return enter(ctx, LT_REALLOCARRAY, 0, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(lt_posix_memal, __u64 memptr, __u64 align, __u64 size)
{
	return enter(ctx, LT_POSIX_MEMALIGN, size, 0, memptr);
}

/* An allocator's return (uretprobe, or a session's return half). */
static __always_inline void on_return(struct pt_regs *ctx, __u64 ret)
{
	struct lt_proc *p = target();
	struct lt_inflight *f, in;
	__u64 addr = ret;

	if (!p)
		return;
	hit(p, false);
	f = inflight();
	if (!f || f->depth == 0)
		return;
	if (--f->depth > 0)
		return;
	in = *f;

	if (in.kind == LT_POSIX_MEMALIGN) {
		addr = 0;
		if (ret == 0)
			bpf_probe_read_user(&addr, sizeof(addr), (void *)in.memptr);
	}
	if (in.kind == LT_REALLOC || in.kind == LT_REALLOCARRAY || in.kind == LT_PYMEM_RAW_REALLOC ||
	    in.kind == LT_PYMEM_REALLOC || in.kind == LT_PYOBJECT_REALLOC) {
		/* realloc(p, 0) frees p and may return NULL; a failed resize
		 * leaves p allocated. */
		if (in.old_ptr && (addr || in.size == 0))
			record_free(in.old_ptr, p);
	}
	/* --sample-bytes: most calls end here, with no stack walk and no map
	 * update (a resized block was freed above all the same). The address
	 * reuse check of record_alloc() is skipped too: a stale entry lasts
	 * until a sampled allocation reuses its address. */
	if (sample_bytes && !in.sampled)
		return;
	if (!addr) {
		if (in.size)
			count(LT_CNT_FAILED_ALLOCS);
		return;
	}
	if (sample_bytes) {
		__u64 bytes, weight;

		lt_sample_estimate(sample_g, in.size, sample_bytes, bpf_get_prandom_u32(), &bytes,
				   &weight);
		record_alloc_w(ctx, p, addr, bytes, weight, in.kind, PT_REGS_IP(ctx), true);
		return;
	}
	record_alloc_w(ctx, p, addr, in.size, 0, in.kind, PT_REGS_IP(ctx), true);
}

SEC("uretprobe")
int BPF_KRETPROBE(lt_ret, __u64 ret)
{
	on_return(ctx, ret);
	return 0;
}

/*
 * Sampled mode, kernel 6.13+: uprobe sessions (attached by user/session.c).
 * One program serves the entry and the return of a call, and an entry that
 * returns 1 gets no return at all: an unsampled malloc then costs its entry
 * probe only, not also the uretprobe trampoline (and its syscall). Frees
 * and reallocarray keep their plain uprobes.
 */
extern bool bpf_session_is_return(void) __ksym __weak;

static __always_inline int session(struct pt_regs *ctx, __u64 size, __u64 old_ptr, __u64 memptr)
{
	if (bpf_session_is_return()) {
		on_return(ctx, PT_REGS_RC(ctx));
		return 0;
	}
	return enter_x(ctx, bpf_get_attach_cookie(ctx), size, old_ptr, memptr, true);
}

SEC("uprobe")
int BPF_KPROBE(lt_ss_size_rdi, __u64 size)
{
	return session(ctx, size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(lt_ss_size_rsi, __u64 align, __u64 size)
{
	return session(ctx, size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(lt_ss_calloc, __u64 nmemb, __u64 size)
{
	return session(ctx, nmemb * size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(lt_ss_realloc, __u64 ptr, __u64 size)
{
	return session(ctx, size, ptr, 0);
}

SEC("uprobe")
int BPF_KPROBE(lt_ss_posix_mem, __u64 memptr, __u64 align, __u64 size)
{
	return session(ctx, size, 0, memptr);
}

/* free() is probed after its first instruction (`test`, single-stepped) on
 * the `je` that the kernel emulates; %rdi is still the pointer there. */
/* A free by the target: applied, or after it began to exit counted apart. */
static __always_inline int on_free(__u64 ptr)
{
	struct lt_proc *p;

	if (!ptr || !(p = target()))
		return 0;
	hit(p, true);
	if (exiting(p, true))
		exit_free(ptr, p);
	else
		record_free(ptr, p);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(lt_free, __u64 ptr)
{
	return on_free(ptr);
}

/* libc's exit(): the process begins to exit; atexit handlers, destructors
 * and CPython's finalization follow, and free what it leaked. */
SEC("uprobe")
int BPF_KPROBE(lt_exit)
{
	struct lt_proc *p = target();

	if (p && !p->exit_ns)
		p->exit_ns = bpf_ktime_get_ns();
	return 0;
}

/* CPython's _PyObject_Free(ctx, ptr): the pointer is the second argument. */
SEC("uprobe")
int BPF_KPROBE(lt_free_rsi, __u64 ctx_arg, __u64 ptr)
{
	return on_free(ptr);
}

/* Anonymous mmap/munmap through syscall tracepoints: the libc wrappers
 * cannot be probed on an emulated instruction before the syscall. */
SEC("tracepoint/syscalls/sys_enter_mmap")
int lt_mmap_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 len = ctx->args[1], prot = ctx->args[2], flags = ctx->args[3];
	long fd = (long)ctx->args[4];
	struct lt_inflight *f;

	if (!is_target())
		return 0;
	if (fd >= 0 && (prot & PROT_EXEC)) {
		__sync_fetch_and_add(&exec_maps_gen, 1);
		if (!target_tgid)
			proc_event(LT_EV_MAPS, bpf_get_current_pid_tgid() >> 32, 0, 0);
		/* delivered as the syscall returns: the mapping exists by then */
		if (stop_on_exec_map && (__u32)bpf_get_current_pid_tgid() == target_tgid)
			bpf_send_signal_thread(19 /* SIGSTOP */);
		return 0;
	}
	/* File mappings are not heap; MAP_FIXED anonymous maps replace part of
	 * an existing mapping (ld.so's .bss), they do not add memory. */
	if (!(flags & MAP_ANONYMOUS) || (flags & MAP_FIXED))
		return 0;
	f = inflight();
	if (!f || f->depth > 0)
		return 0; /* malloc's own mmap: the malloc is the allocation */
	f->size = len;
	f->kind = LT_MMAP;
	f->sp = 0;
	f->armed = 0;
	f->depth = 1;
	return 0;
}

static long code_vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *arg)
{
	*(bool *)arg = vma->vm_flags & VM_EXEC;
	return 0;
}

/* addr lies in executable memory: a return address can. */
static __always_inline bool in_code(__u64 addr)
{
	bool x = false;

	return !bpf_find_vma(bpf_get_current_task_btf(), addr, code_vma_cb, &x, 0) && x;
}

SEC("tracepoint/syscalls/sys_exit_mmap")
int lt_mmap_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct lt_inflight *f;
	struct pt_regs *regs;
	__u64 ret = ctx->ret, caller = 0;
	struct lt_proc *p = target();

	if (!p)
		return 0;
	f = inflight();
	if (!f || f->kind != LT_MMAP || f->depth != 1)
		return 0;
	f->depth = 0;
	if (ret >= (__u64)-MAX_ERRNO) {
		count(LT_CNT_FAILED_ALLOCS);
		return 0;
	}
	/* The libc wrapper keeps no frame: [%rsp] is the return address into
	 * the function that called mmap(). Code that makes the syscall itself
	 * (newer ld.so) leaves no return address there: the syscall's own site
	 * is then the caller (as a return address: ip - 1 is in the syscall). */
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	if (regs) {
		bpf_probe_read_user(&caller, sizeof(caller), (void *)BPF_CORE_READ(regs, sp));
		if (!in_code(caller))
			caller = BPF_CORE_READ(regs, ip);
	}
	/* exact also under --sample-bytes: mappings are few, and their
	 * partial munmaps below need the true size */
	record_alloc(ctx, p, ret, f->size, LT_MMAP, caller);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_munmap")
int lt_munmap(struct trace_event_raw_sys_enter *ctx)
{
	__u64 addr = ctx->args[0], len = ctx->args[1];
	struct lt_proc *pr = target();
	struct lt_alloc_key k;
	struct lt_alloc *p, a;

	if (!pr)
		return 0;
	k = alloc_key(addr, pr);
	p = bpf_map_lookup_elem(&lt_allocs, &k);
	if (!p || p->key.kind != LT_MMAP)
		return 0;
	a = *p;
	if (len >= a.size) {
		record_free(addr, pr);
		return 0;
	}
	/* Unmapping the head of a mapping: the rest stays outstanding. */
	if (bpf_map_delete_elem(&lt_allocs, &k))
		return 0;
	{
		struct lt_agg_val *v = bpf_map_lookup_elem(&lt_agg, &a.key);
		struct lt_alloc_key rest = alloc_key(addr + len, pr);
		__u64 rest_addr = addr + len;

		if (v)
			__sync_fetch_and_add(&v->bytes, -(__s64)len);
		rss_big_forget(addr, a.size);
		a.size -= len;
		if (bpf_map_update_elem(&lt_allocs, &rest, &a, BPF_ANY))
			count(LT_CNT_DROP_ALLOCS_FULL);
		else
			rss_big_note(rest_addr, &a);
	}
	return 0;
}

/*
 * --objects. GC objects are allocated through _PyObject_GC_New(tp),
 * _PyObject_GC_NewVar(tp, n) and PyType_GenericAlloc(tp, n) (type first,
 * object returned) and released through PyObject_GC_Del(op). The tracking
 * macros are inlined in the interpreter, so PyObject_GC_Track would miss
 * most objects.
 */
SEC("uprobe")
int BPF_KPROBE(lt_gc_new, __u64 type)
{
	__u64 sp = PT_REGS_SP(ctx);
	struct lt_inflight *f;

	if (!is_target())
		return 0;
	f = inflight();
	if (!f)
		return 0;
	if (f->gc_depth > 0 && sp <= f->gc_sp) { /* GenericAlloc -> GC_New... */
		f->gc_depth++;
		return 0;
	}
	f->gc_type = type;
	f->gc_sp = sp;
	f->gc_depth = 1;
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(lt_gc_ret, __u64 obj)
{
	struct lt_obj_key k = {};
	struct lt_obj_val zero = {}, *v;
	struct lt_inflight *f;
	struct lt_stack *st;
	__u32 idx = 0;
	long err;

	if (!is_target())
		return 0;
	f = inflight();
	if (!f || f->gc_depth == 0 || --f->gc_depth > 0 || !obj)
		return 0;
	k.type = f->gc_type;
	/* PyType_GenericAlloc also serves types outside the GC, whose objects
	 * are never released through PyObject_GC_Del: leave them out. */
	if (!(read_u64(k.type + single.py.type_flags) & (1ULL << 14) /* Py_TPFLAGS_HAVE_GC */))
		return 0;
	/* the innermost Python frame names the allocating line */
	st = bpf_map_lookup_elem(&lt_scratch, &idx);
	if (st) {
		py_walk(st, 1, &single.py);
		if (st->py_depth)
			k.line = st->py[0];
	}
	err = bpf_map_update_elem(&lt_objs, &obj, &k, BPF_NOEXIST);
	if (err) { /* already counted, or the map is full */
		if (err != -17 /* EEXIST */)
			count(LT_CNT_DROP_OBJS_FULL);
		return 0;
	}
	v = lookup_or_init(&lt_objagg, &k, &zero, LT_CNT_DROP_OBJAGG_FULL);
	if (!v) {
		bpf_map_delete_elem(&lt_objs, &obj);
		return 0;
	}
	__sync_fetch_and_add(&v->live, 1);
	__sync_fetch_and_add(&v->created, 1);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(lt_gc_del, __u64 obj)
{
	struct lt_obj_key *p, k;
	struct lt_obj_val *v;

	if (!obj || !is_target())
		return 0;
	p = bpf_map_lookup_elem(&lt_objs, &obj);
	if (!p)
		return 0;
	k = *p;
	if (bpf_map_delete_elem(&lt_objs, &obj))
		return 0;
	v = bpf_map_lookup_elem(&lt_objagg, &k);
	if (v)
		__sync_fetch_and_add(&v->live, -1);
	return 0;
}

/*
 * --fds: descriptors opened and closed, through syscall tracepoints. Each
 * open descriptor is an "allocation" of size 1 at LT_FD_TAG | fd, so stacks,
 * Python frames, ages and growth come from the same machinery; a number the
 * kernel hands out again proves the earlier descriptor was closed.
 */
static __always_inline void fd_opened(void *ctx, long fd)
{
	struct lt_proc *p;

	if (fd >= 0 && (p = target()))
		record_alloc(ctx, p, LT_FD_TAG | (__u64)fd, 1, LT_FD, 0);
}

#define LT_FD_EXIT(prog, call)                                            \
	SEC("tracepoint/syscalls/sys_exit_" #call)                        \
	int prog(struct trace_event_raw_sys_exit *ctx)                    \
	{                                                                 \
		fd_opened(ctx, ctx->ret);                                 \
		return 0;                                                 \
	}

LT_FD_EXIT(lt_fd_open, open)
LT_FD_EXIT(lt_fd_openat, openat)
LT_FD_EXIT(lt_fd_openat2, openat2)
LT_FD_EXIT(lt_fd_creat, creat)
LT_FD_EXIT(lt_fd_socket, socket)
LT_FD_EXIT(lt_fd_accept, accept)
LT_FD_EXIT(lt_fd_accept4, accept4)
LT_FD_EXIT(lt_fd_dup, dup)
LT_FD_EXIT(lt_fd_dup2, dup2)
LT_FD_EXIT(lt_fd_dup3, dup3)
LT_FD_EXIT(lt_fd_eventfd, eventfd2)
LT_FD_EXIT(lt_fd_epoll, epoll_create1)
LT_FD_EXIT(lt_fd_timerfd, timerfd_create)
LT_FD_EXIT(lt_fd_memfd, memfd_create)
LT_FD_EXIT(lt_fd_inotify, inotify_init1)
LT_FD_EXIT(lt_fd_signalfd, signalfd4)

/* pipe(), pipe2(), socketpair(): two descriptors written to user memory */
static __always_inline void fd_pair_enter(__u64 arr)
{
	struct lt_inflight *f;

	if (!is_target())
		return;
	f = inflight();
	if (f)
		f->fd_pair = arr;
}

static __always_inline void fd_pair_exit(void *ctx, long ret)
{
	struct lt_inflight *f;
	int fds[2] = { -1, -1 };

	if (!is_target())
		return;
	f = inflight();
	if (!f || !f->fd_pair)
		return;
	if (ret == 0 && !bpf_probe_read_user(fds, sizeof(fds), (void *)f->fd_pair)) {
		fd_opened(ctx, fds[0]);
		fd_opened(ctx, fds[1]);
	}
	f->fd_pair = 0;
}

#define LT_FD_PAIR(prog, call, arg)                                       \
	SEC("tracepoint/syscalls/sys_enter_" #call)                       \
	int prog##_in(struct trace_event_raw_sys_enter *ctx)              \
	{                                                                 \
		fd_pair_enter(ctx->args[arg]);                            \
		return 0;                                                 \
	}                                                                 \
	SEC("tracepoint/syscalls/sys_exit_" #call)                        \
	int prog(struct trace_event_raw_sys_exit *ctx)                    \
	{                                                                 \
		fd_pair_exit(ctx, ctx->ret);                              \
		return 0;                                                 \
	}

LT_FD_PAIR(lt_fd_pipe, pipe, 0)
LT_FD_PAIR(lt_fd_pipe2, pipe2, 0)
LT_FD_PAIR(lt_fd_spair, socketpair, 3)

SEC("tracepoint/syscalls/sys_enter_close")
int lt_fd_close(struct trace_event_raw_sys_enter *ctx)
{
	long fd = (long)ctx->args[0];
	struct lt_proc *p;

	if (fd >= 0 && (p = target()))
		record_free(LT_FD_TAG | (__u64)fd, p);
	return 0;
}

/*
 * -a: which processes are traced. The loader enters those already running
 * that pass the filters; a fork inherits its parent's choice; an exec is a
 * new image, traced if it passes the filters (and counted as a new epoch,
 * so the old image's allocations are not the new one's). The loader hears
 * of each change through lt_procevents, and frees a process's state once it
 * has reported it gone.
 */
static __always_inline bool comm_eq(const char *a, const volatile char *b)
{
	for (int i = 0; i < 16; i++) {
		if (a[i] != b[i])
			return false;
		if (!a[i])
			return true;
	}
	return true;
}

static __always_inline bool wanted(void)
{
	char comm[16] = {};
	bool ok = !filter_ncomm;

	if (filter_uid != ~0U && (__u32)bpf_get_current_uid_gid() != filter_uid)
		return false;
	if (filter_cgroup &&
	    bpf_get_current_ancestor_cgroup_id(filter_cgroup_level) != filter_cgroup)
		return false;
	if (filter_ncomm) {
		bpf_get_current_comm(comm, sizeof(comm));
		for (int i = 0; i < 8; i++)
			if (i < filter_ncomm && comm_eq(comm, filter_comm[i]))
				ok = true;
	}
	return ok;
}

/* One process (-p, launch): an exec is a new image. What the old one
 * allocated went with it (the loader drops the old epoch), and the old
 * image's CPython is not the new one's. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(lt_img_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	if (!target_tgid || bpf_get_current_pid_tgid() >> 32 != target_tgid || !is_target_task())
		return 0;
	single.py.enabled = 0;
	single.exit_ns = 0;
	single.epoch++;
	__sync_fetch_and_add(&single_execs, 1);
	return 0;
}

/* -a with per-process links (user/proclinks.c), set by the loader */
bool hold_new_images;

SEC("tp_btf/sched_process_exec")
int BPF_PROG(lt_proc_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct lt_proc *p, np = {};

	if (target_tgid || tgid == self_tgid)
		return 0;
	p = bpf_map_lookup_elem(&lt_procs, &tgid);
	if (!p && filter_known_only)
		return 0;
	if (p) { /* the old image is gone */
		np.epoch = p->epoch + 1;
		proc_event(LT_EV_EXIT, tgid, p->epoch, LT_EXIT_EXEC);
	}
	if (!wanted()) {
		if (p)
			bpf_map_delete_elem(&lt_procs, &tgid);
		return 0;
	}
	/* a new image: no CPython known yet */
	if (bpf_map_update_elem(&lt_procs, &tgid, &np, BPF_ANY)) {
		count(LT_CNT_DROP_PROCS_FULL);
		return 0;
	}
	/* per-process links: held before its first instruction until they
	 * are on, unless on a terminal (its shell would see it stop) */
	if (hold_new_images && !BPF_CORE_READ(task, signal, tty)) {
		bpf_send_signal(19 /* SIGSTOP */);
		proc_event(LT_EV_NEW_HELD, tgid, np.epoch, BPF_CORE_READ(task, real_parent, tgid));
		return 0;
	}
	proc_event(LT_EV_NEW, tgid, np.epoch, BPF_CORE_READ(task, real_parent, tgid));
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(lt_proc_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	struct lt_proc *p, np;

	if (target_tgid || ptgid == ctgid) /* a thread */
		return 0;
	p = bpf_map_lookup_elem(&lt_procs, &ptgid);
	if (!p)
		return 0;
	/* same code at the same addresses: the parent's CPython config holds */
	np = *p;
	np.epoch = 0;
	np.alloc_hits = np.free_hits = 0;
	np.exit_ns = 0;
	if (bpf_map_update_elem(&lt_procs, &ctgid, &np, BPF_ANY)) {
		count(LT_CNT_DROP_PROCS_FULL);
		return 0;
	}
	proc_event(LT_EV_NEW, ctgid, 0, ptgid);
	return 0;
}

/* The last thread of a process exits (signal->live reached 0 before this
 * tracepoint). Its comm is the event's. */
SEC("tracepoint/sched/sched_process_exit")
int lt_proc_exit(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct lt_proc *p;

	if (target_tgid || BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	p = bpf_map_lookup_elem(&lt_procs, &tgid);
	if (!p)
		return 0;
	proc_event(LT_EV_EXIT, tgid, p->epoch, 0);
	bpf_map_delete_elem(&lt_procs, &tgid);
	return 0;
}
