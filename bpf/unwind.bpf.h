/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The native stack walker: CFI tables where the loader has them, frame
 * pointers where it has none. Its maps, types and settings are in
 * lt_maps.bpf.h (shared by every part that takes stacks).
 *
 * Per frame: the PC's mapping (the process's executable mappings, sorted;
 * the previous frame's tried first), its module's page of rows, a binary
 * search of at most LT_UW_SEARCH_STEPS steps for the row in force, then the
 * rule: CFA from rsp or rbp, the return address at CFA - 8 and, when the
 * function saved it, the caller's rbp from its slot (one 16-byte read when
 * that slot is CFA - 16, as after `push %rbp`). A PC with no rule (code
 * without CFI, JIT, vdso) gets one frame-pointer step, guarded by the frame
 * lying above the stack pointer and its return address inside executable
 * memory; the stack is then marked heuristic. The stack pointer must grow
 * at every frame (signal frames aside), and the loop is bounded: no hang.
 *
 * One bpf_loop() callback per frame, as for Python frames: the verifier
 * sees the step once, whatever the depth.
 */

/* uc_mcontext.gregs[] in the ucontext a signal frame keeps at %rsp: rbp,
 * then rsp and rip 5 and 6 registers later */
#define UW_SIG_RBP (40 + 10 * 8)
#define UW_SIG_REGS 7

struct uw_walk {
	__u64 *ips;
	const struct lt_uw_proc *proc;
	struct uw_state *s;
};

/*
 * One binary search step without a branch: lo = mid if le, else hi = mid.
 * Branches would leave the verifier two states per step, 2^steps in all;
 * the barrier keeps clang from turning the arithmetic back into them.
 */
static __always_inline void uw_bisect(__u32 *lo, __u32 *hi, __u32 mid, __u64 le)
{
	__u32 m;

	asm volatile("" : "+r"(le));
	m = -(__u32)le;
	*lo += (mid - *lo) & m;
	*hi -= (*hi - mid) & ~m;
}

/* a <= b for values below 2^63, as 0 or 1 without a branch */
static __always_inline __u64 uw_le(__u64 a, __u64 b)
{
	return 1 - ((b - a) >> 63);
}

static __always_inline const struct lt_uw_map *uw_find_map(const struct lt_uw_proc *p,
							   struct uw_state *w, __u64 pc)
{
	const struct lt_uw_map *m;
	__u32 lo = 0, hi = p->n;

	m = &p->maps[w->last & (LT_UW_MAX_MAPS - 1)];
	if (pc >= m->start && pc < m->end)
		return m;
	if (hi > LT_UW_MAX_MAPS)
		hi = LT_UW_MAX_MAPS;
	for (int k = 0; k < 10; k++) { /* log2(LT_UW_MAX_MAPS) + 1 */
		__u32 mid = (lo + hi) / 2;

		if (hi - lo <= 1)
			break;
		uw_bisect(&lo, &hi, mid, uw_le(p->maps[mid & (LT_UW_MAX_MAPS - 1)].start, pc));
	}
	m = &p->maps[lo & (LT_UW_MAX_MAPS - 1)];
	if (!hi || pc < m->start || pc >= m->end)
		return NULL;
	w->last = lo;
	return m;
}

/* The rule in force at pc in mapping m, or NULL (no CFI there). */
static __always_inline const struct lt_uw_rule *uw_find_rule(const struct lt_uw_map *m, __u64 pc)
{
	__u64 rel = pc - m->base;
	const struct lt_uw_tabhdr *h;
	const struct lt_uw_page *pg;
	const struct lt_uw_row *row;
	__u32 idx = m->mod, lo, hi;
	void *tab;

	tab = bpf_map_lookup_elem(&lt_uw_tabs, &idx);
	if (!tab || pc < m->base)
		return NULL;
	idx = 0;
	h = bpf_map_lookup_elem(tab, &idx);
	if (!h || (rel >> LT_UW_PAGE_SHIFT) >= h->npages)
		return NULL;
	idx = 1 + (rel >> LT_UW_PAGE_SHIFT);
	pg = bpf_map_lookup_elem(tab, &idx);
	if (!pg || !pg->count)
		return NULL;
	lo = pg->first;
	hi = lo + pg->count;
	for (int k = 0; k < LT_UW_SEARCH_STEPS; k++) {
		__u32 mid = lo + (hi - lo) / 2;

		if (hi - lo <= 1)
			break;
		row = bpf_map_lookup_elem(tab, &mid);
		if (!row)
			return NULL;
		uw_bisect(&lo, &hi, mid, uw_le(row->pc, rel));
	}
	row = bpf_map_lookup_elem(tab, &lo);
	if (!row || row->pc > rel)
		return NULL;
	idx = row->rule;
	return bpf_map_lookup_elem(&lt_uw_rules, &idx);
}

/*
 * A return address that is the uretprobe trampoline: the function returning
 * there has a return probe pending (an allocator called by another probed
 * one, or a tracepoint inside a probed call). The real address is in the
 * thread's pending return instances, innermost first, as the kernel's own
 * callchain fix-up reads them; an instance "chained" to the next one shares
 * its stack slot (a tail call), so both stand for one trampoline.
 */
static __always_inline bool uw_untramp(struct uw_state *w)
{
	struct return_instance *ri;

	if (!w->tramp_read) {
		struct task_struct *task = bpf_get_current_task_btf();

		w->tramp_read = 1;
		w->tramp = BPF_CORE_READ(task, mm, uprobes_state.xol_area, vaddr);
		w->ri = (__u64)BPF_CORE_READ(task, utask, return_instances);
	}
	if (!w->tramp || w->ip != w->tramp || !w->ri)
		return false;
	ri = (struct return_instance *)w->ri;
	w->ip = BPF_CORE_READ(ri, orig_ret_vaddr);
	for (int k = 0; k < 4 && ri && BPF_CORE_READ(ri, chained); k++)
		ri = BPF_CORE_READ(ri, next);
	w->ri = ri ? (__u64)BPF_CORE_READ(ri, next) : 0;
	return true;
}

/* The stack hash's step for one frame (uw_hash()'s, in the same order). */
static __always_inline __u64 uw_mix(__u64 h, __u64 ip)
{
	return lt_hash_ip(h, ip);
}

/* Frame n - 1 is final once frame n is pushed (a trampoline address in it
 * is replaced before that): it joins the hash then, in the walk itself. */
static __always_inline void uw_push(struct uw_walk *ctx, struct uw_state *w, __u32 n, __u64 ip)
{
	if (n < 1 || n >= LT_MAX_STACK_DEPTH)
		return;
	w->h = uw_mix(w->h, ctx->ips[n - 1]);
	ctx->ips[n] = ip;
	w->n = n + 1;
}

static long uw_step(__u32 i, void *arg)
{
	struct uw_walk *ctx = arg;
	struct uw_state *w = ctx->s;
	__u64 pc = w->exact ? w->ip : w->ip - 1, cfa, ra, bp = w->bp, sp, v[UW_SIG_REGS];
	const struct lt_uw_rule *r = NULL;
	const struct lt_uw_map *m;
	__u32 n = w->n, exact = 0;

	if (!ctx->proc) { /* no table for this process: frame pointers */
		if (bp < min_map_addr || bpf_probe_read_user(v, 16, (void *)bp))
			return 1;
		if (n >= LT_MAX_STACK_DEPTH)
			return 1;
		uw_push(ctx, w, n, v[1]);
		w->bp = v[0];
		return 0;
	}
	m = uw_find_map(ctx->proc, w, pc);
	if ((!m || !m->mod) && n > 0 && n <= LT_MAX_STACK_DEPTH && uw_untramp(w)) {
		ctx->ips[n - 1] = w->ip;
		pc = w->ip - 1;
		m = uw_find_map(ctx->proc, w, pc);
	}
	if (m && (m->flags & LT_UW_MAP_FP) && !w->exact) {
		/* a frame-pointer build: its CFI would say the same */
		if (bp < min_map_addr || bp < w->sp || bpf_probe_read_user(v, 16, (void *)bp))
			return 1;
		cfa = bp + 16;
		bp = v[0];
		ra = v[1];
		goto next;
	}
	if (m && m->mod && pc - m->base < (1ULL << 32)) {
		__u32 rel = pc - m->base;
		struct uw_cache_ent *e = &w->cache[(rel * 0x9E3779B1u) >> (32 - UW_CACHE_BITS)];

		if (uw_stats)
			count(LT_CNT_UW_LOOKUPS);
		if (e->mod != m->mod || e->rel != rel || uw_nocache) {
			if (uw_stats)
				count(LT_CNT_UW_MISSES);
			r = uw_find_rule(m, pc);
			e->mod = m->mod;
			e->rel = rel;
			e->rule = r ? *r : (struct lt_uw_rule){ .cfa = LT_UW_INVALID };
		}
		r = &e->rule;
	}
	if (!r || r->cfa == LT_UW_INVALID) {
		/* no CFI: one guarded frame-pointer step */
		if (bp < min_map_addr || bp < w->sp || bpf_probe_read_user(v, 16, (void *)bp))
			return 1;
		/* JIT or anonymous code, a library without CFI, or a gap in a
		 * module's (hand-written assembly): guessed either way */
		w->flags |= LT_ST_HEURISTIC;
		cfa = bp + 16;
		bp = v[0];
		ra = v[1];
		goto next;
	}
	switch (r->cfa) {
	case LT_UW_CFA_RSP:
		cfa = w->sp + r->cfa_off;
		break;
	case LT_UW_CFA_RBP:
		cfa = bp + r->cfa_off;
		break;
	case LT_UW_PLT:
		cfa = w->sp + 8 + ((w->ip & 15) >= (__u32)r->cfa_off ? 8 : 0);
		break;
	case LT_UW_SIGNAL:
		if (bpf_probe_read_user(v, sizeof(v), (void *)(w->sp + UW_SIG_RBP)))
			return 1;
		/* the interrupted instruction itself, on whatever stack it ran */
		bp = v[0];
		sp = v[5];
		ra = v[6];
		exact = 1;
		goto push;
	default: /* LT_UW_STOP: the outermost frame */
		return 1;
	}
	if (r->rbp == LT_UW_RBP_SAVED && r->rbp_off == -16) {
		if (bpf_probe_read_user(v, 16, (void *)(cfa - 16)))
			return 1;
		bp = v[0];
		ra = v[1];
	} else {
		if (bpf_probe_read_user(&ra, 8, (void *)(cfa - 8)))
			return 1;
		if (r->rbp == LT_UW_RBP_SAVED &&
		    bpf_probe_read_user(&bp, 8, (void *)(cfa + r->rbp_off)))
			return 1;
	}
next:
	/* frames only go up the stack; a return address is user code */
	if (cfa <= w->sp || ra < min_map_addr)
		return 1;
	sp = cfa;
push:
	if (ra < min_map_addr)
		return 1;
	if (n >= LT_MAX_STACK_DEPTH) {
		w->flags |= LT_ST_TRUNCATED;
		return 1;
	}
	uw_push(ctx, w, n, exact ? ra | LT_IP_EXACT : ra);
	w->ip = ra;
	w->sp = sp;
	w->bp = bp;
	w->exact = exact;
	return 0;
}

/*
 * Walk the stack of the current thread from (ip, sp, bp) into st, in frames,
 * hashing them into *h as uw_hash() would (one bpf_loop() callback per frame
 * less); exact: ip is where it stopped (a tracepoint), not a return address.
 *
 * A process without a table gets the frames bpf_get_stack(BPF_F_USER_STACK)
 * gives (the kernel's perf_callchain_user(): %rip, then each frame's return
 * address while the frame reads), with one difference: a frame pointer below
 * min_map_addr ends the walk without the read the kernel does there: its page
 * fault and exception fixup cost ~380 of the ~600 ns that the whole return
 * program took per malloc.
 */
static __always_inline long uw_walk(struct lt_stack *st, __u64 ip, __u64 sp, __u64 bp, bool exact,
				    __u64 *h)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, zero = 0;
	struct uw_walk w = { .ips = st->ips };
	struct uw_state *s;

	w.proc = target_tgid ? bpf_map_lookup_elem(&lt_uw_proc1, &zero) :
			       bpf_map_lookup_elem(&lt_uw_procs, &tgid);
	if (w.proc && !w.proc->n)
		w.proc = NULL;
	w.s = s = bpf_map_lookup_elem(&lt_uw_state, &zero);
	if (!s)
		return 0;
	/* not the cache */
	s->ip = ip;
	s->sp = sp;
	s->bp = bp;
	s->exact = exact;
	s->n = 1;
	s->last = 0;
	s->flags = 0;
	s->tramp_read = 0;
	s->h = *h;
	st->ips[0] = ip;
	bpf_loop(LT_MAX_STACK_DEPTH, uw_step, &w, 0);
	st->flags = s->flags;
	/* the last frame; the others joined the hash as the next was pushed */
	if (s->n >= 1 && s->n <= LT_MAX_STACK_DEPTH)
		*h = uw_mix(s->h, st->ips[s->n - 1]);
	return s->n;
}

/* Frame loops in callbacks, for the same reason: an unrolled loop bounded by
 * the depth would leave the verifier one state per depth it could exit at. */
struct uw_frames {
	struct lt_stack *st;
	struct uw_state *s;
};

static long uw_hash_one(__u32 i, void *arg)
{
	struct uw_frames *f = arg;

	if (i >= LT_MAX_STACK_DEPTH)
		return 1;
	f->s->h = uw_mix(f->s->h, f->st->ips[i]);
	return 0;
}

static long uw_zero_one(__u32 i, void *arg)
{
	struct uw_frames *f = arg;

	i += f->st->depth;
	if (i >= LT_MAX_STACK_DEPTH)
		return 1;
	f->st->ips[i] = 0;
	return 0;
}

/* FNV-1a-like hash h of st's native frames, folded on. */
static __always_inline __u64 uw_hash(struct lt_stack *st, __u64 h)
{
	__u32 zero = 0;
	struct uw_frames f = { .st = st, .s = bpf_map_lookup_elem(&lt_uw_state, &zero) };

	if (!f.s)
		return h;
	f.s->h = h;
	bpf_loop(st->depth, uw_hash_one, &f, 0);
	return f.s->h;
}

/* Zero the frames past st->depth: equal stacks, equal map values. */
static __always_inline void uw_zero_tail(struct lt_stack *st)
{
	struct uw_frames f = { .st = st };

	bpf_loop(LT_MAX_STACK_DEPTH, uw_zero_one, &f, 0);
}