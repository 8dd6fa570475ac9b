// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The allocator probes: entries stash the arguments per thread
 * (lt_inflight), returns record the result (lt_record.bpf.h); frees, exit(),
 * and the uprobe sessions of sampled mode. See leaktrace.bpf.c.
 */
#include "lt_record.bpf.h"
#include "lt_sample.h"

/* Bumped by the loader each time it re-attaches the allocation probes
 * (--max-overhead): a call in flight when they went away never returned
 * through them, so its nesting state is stale. */
volatile __u32 probe_gen;
/* --sample-bytes N (0: exact mode) and the loader's tables, see lt_sample.h.
 * Read-only: in exact mode the verifier drops the sampling code. */
const volatile __u64 sample_bytes;
const volatile __u64 sample_draws[LT_SAMPLE_DRAWS];
const volatile __u64 sample_g[LT_SAMPLE_G_STEPS + 1];

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
