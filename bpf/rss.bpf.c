// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --rss: what drives RSS growth. Every program here is named lt_rss_* and
 * loaded only with --rss (the hooks in the record path that watch large
 * allocations for untouched pages are in lt_record.bpf.h).
 *
 * Charging. A write fault (error_code bit 1) on a user address of the target,
 * from user mode (page_fault_user) or from the kernel writing user memory
 * (page_fault_kernel: read() into a buffer), is where a private page gets its
 * own memory: the first write to a never-touched anonymous page, the copy of
 * a zero page that was only read, a copy-on-write of a file page. Only the
 * first such fault per page charges (lt_rss_pages remembers charged pages),
 * so a copy-on-write after fork() or a racing second thread does not count
 * twice, and a page already resident when tracing began never faults.
 * Read faults are not counted: they map the shared zero page or page cache.
 *
 * Weight. The tracepoint fires before the fault is handled, so the folio
 * size is predicted from what decides it: the THP settings (the loader turns
 * /sys/kernel/mm/transparent_hugepage into two order masks, for every VMA and
 * for MADV_HUGEPAGE ones) and the VMA, found with bpf_find_vma(): anonymous,
 * not VM_NOHUGEPAGE, VM_HUGEPAGE where the mask needs it, and the aligned
 * folio inside the VMA. Then the whole folio is charged once, keyed by its
 * aligned address | order. Where no size above 4 KiB is enabled (or only for
 * MADV_HUGEPAGE and the target never asked for it) no VMA is looked up at
 * all. The prediction errs high when the kernel falls back to small pages
 * (no free huge page); smaps' AnonHugePages tells.
 *
 * Charge-back, through syscall tracepoints (no kprobes here): munmap,
 * madvise(MADV_DONTNEED/_LOCKED, MADV_FREE, MADV_REMOVE, MADV_PAGEOUT), a
 * shrinking brk, mremap (a shrunk tail is released, a moved mapping moves its
 * pages), and mmap(MAP_FIXED) over a range. A range is walked page by page,
 * or, when it is larger than twice the pages charged, by walking the charged
 * pages instead (munmap of a large reservation stays cheap).
 */

#include "lt_stack.bpf.h"

#define RSS_PAGE (1ULL << LT_RSS_PAGE_SHIFT)
#define RSS_USER_END (1ULL << 56)	/* above every user address (5-level too) */
#define PF_WRITE 0x2
#define VM_HUGEPAGE 0x20000000ULL
#define VM_NOHUGEPAGE 0x40000000ULL
#define MADV_FREE 8
#define MADV_REMOVE 9
#define MADV_DONTNEED 4
#define MADV_HUGEPAGE 14
#define MADV_PAGEOUT 21
#define MADV_DONTNEED_LOCKED 24
#define MREMAP_DONTUNMAP 4

/* THP orders (bit n: folios of 4 KiB << n) for any anonymous VMA and for
 * MADV_HUGEPAGE ones; set by the loader from sysfs. */
const volatile __u32 rss_orders_always;
const volatile __u32 rss_orders_madvise;
/* The target has (or asked for) MADV_HUGEPAGE memory: VMAs must be checked. */
volatile __u32 rss_hg_seen;
/* Entries in lt_rss_pages: picks the cheaper way to walk a range; and how
 * many of them are larger folios (0: no folio keys to look for). */
__s64 rss_npages;
__s64 rss_nfolios;
/* Entries in lt_rss_pages, released ones (bytes 0) included. */
__s64 rss_nentries;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);	/* sized by the loader with --rss */
	__type(key, __u64);	/* address | order */
	__type(value, struct lt_rss_page);
} lt_rss_pages SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct lt_rss_key);
	__type(value, struct lt_rss_val);
} lt_rss_agg SEC(".maps");

/* mremap arguments from entry to exit */
struct rss_remap {
	__u64 old_addr, old_len, new_len, flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct rss_remap);
} lt_rss_remap SEC(".maps");

/* --- fault side --- */

struct rss_vma {
	__u64 addr;
	__u32 order;	/* out: folio order the kernel will use */
};

static long rss_vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *arg)
{
	struct rss_vma *v = arg;
	__u64 flags = vma->vm_flags;
	__u32 orders = rss_orders_always;

	if (vma->vm_ops || vma->vm_file || (flags & VM_NOHUGEPAGE))
		return 0; /* THP for anonymous memory only */
	if (flags & VM_HUGEPAGE)
		orders |= rss_orders_madvise;
	for (int o = 20; o > 0; o--) {
		__u64 size = RSS_PAGE << o, start = v->addr & ~(size - 1);

		if ((orders & (1U << o)) && start >= vma->vm_start && start + size <= vma->vm_end) {
			v->order = o;
			break;
		}
	}
	return 0;
}

/*
 * Charge the page or folio at key to pg->key: true if this call did. A
 * released entry is kept with bytes 0 and reused (a hash delete of a
 * non-preallocated element costs ~0.5 us; munmap walks thousands); the
 * loader deletes zeroed entries when the map fills up.
 */
static __always_inline bool rss_claim(__u64 key, const struct lt_rss_page *pg)
{
	struct lt_rss_page *p = bpf_map_lookup_elem(&lt_rss_pages, &key);

	if (p) {
		if (__sync_val_compare_and_swap(&p->bytes, 0, pg->bytes) != 0)
			return false;
		p->key = pg->key;
	} else if (bpf_map_update_elem(&lt_rss_pages, &key, pg, BPF_NOEXIST)) {
		return false;
	} else {
		__sync_fetch_and_add(&rss_nentries, 1);
	}
	__sync_fetch_and_add(&rss_npages, 1);
	if (key & 31)
		__sync_fetch_and_add(&rss_nfolios, 1);
	return true;
}

/* Release the whole entry at p (key): its bytes, 0 if none were left. */
static __always_inline __u64 rss_unclaim(struct lt_rss_page *p, __u64 key)
{
	__u64 b = __sync_lock_test_and_set(&p->bytes, 0);

	if (b) {
		__sync_fetch_and_add(&rss_npages, -1);
		if (key & 31)
			__sync_fetch_and_add(&rss_nfolios, -1);
	}
	return b;
}

static __always_inline void rss_charge(void *ctx, __u64 addr, __u64 error_code, bool kernel)
{
	struct lt_rss_page pg = {}, *p, *p4;
	struct lt_rss_val zero = {}, *v;
	struct rss_vma vm = { .addr = addr };
	__u64 key, bytes;
	__u32 orders = rss_orders_always | (rss_hg_seen ? rss_orders_madvise : 0);

	if (!(error_code & PF_WRITE) || addr >= RSS_USER_END || !is_target())
		return;
	rss_count(LT_RSS_WRITE_FAULTS);
	if (orders) {
		if (bpf_find_vma(bpf_get_current_task_btf(), addr, rss_vma_cb, &vm, 0))
			rss_count(LT_RSS_VMA_BUSY);
	}
	bytes = RSS_PAGE << vm.order;
	key = (addr & ~(bytes - 1)) | vm.order;
	p = bpf_map_lookup_elem(&lt_rss_pages, &key);
	if (p && p->bytes)
		return; /* charged already */
	/* 4 KiB pages of a range that became eligible for THP late */
	if (vm.order) {
		__u64 k4 = addr & ~(RSS_PAGE - 1);

		p4 = bpf_map_lookup_elem(&lt_rss_pages, &k4);
		if (p4 && p4->bytes)
			return;
	}

	pg.key.stack_id = store_stack(ctx, &single); /* no --rss with -a */
	pg.key.kernel = kernel;
	if (kernel) { /* in a syscall: the libc wrapper keeps no frame */
		struct task_struct *task = bpf_get_current_task_btf();
		struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);

		if (regs)
			bpf_probe_read_user(&pg.key.caller, sizeof(pg.key.caller),
					    (void *)BPF_CORE_READ(regs, sp));
	}
	pg.bytes = bytes;
	v = bpf_map_lookup_elem(&lt_rss_agg, &pg.key);
	if (!v) {
		bpf_map_update_elem(&lt_rss_agg, &pg.key, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&lt_rss_agg, &pg.key);
		if (!v) {
			rss_count(LT_RSS_AGG_FULL);
			return;
		}
	}
	if (!rss_claim(key, &pg)) {
		if (bpf_map_lookup_elem(&lt_rss_pages, &key))
			return; /* another thread charged it first */
		rss_count(LT_RSS_PAGES_FULL);
	}
	__sync_fetch_and_add(&v->bytes, bytes);
	__sync_fetch_and_add(&v->pages, bytes >> LT_RSS_PAGE_SHIFT);
	__sync_fetch_and_add(&v->faulted, bytes);
	__sync_fetch_and_add(&v->faults, 1);
	rss_count(LT_RSS_CHARGED);
}

SEC("tracepoint/exceptions/page_fault_user")
int lt_rss_fault_u(struct trace_event_raw_exceptions *ctx)
{
	rss_charge(ctx, ctx->address, ctx->error_code, false);
	return 0;
}

SEC("tracepoint/exceptions/page_fault_kernel")
int lt_rss_fault_k(struct trace_event_raw_exceptions *ctx)
{
	rss_charge(ctx, ctx->address, ctx->error_code, true);
	return 0;
}

/* --- charge-back --- */

/* Charge back `bytes` from the stack `key` (batched by the range walk). */
static __always_inline void rss_uncharge(const struct lt_rss_key *key, __s64 bytes, __u64 n)
{
	struct lt_rss_val *v = bpf_map_lookup_elem(&lt_rss_agg, key);
	__u32 idx = LT_RSS_RELEASED;
	__u64 *c;

	if (v) {
		__sync_fetch_and_add(&v->bytes, -bytes);
		__sync_fetch_and_add(&v->pages, -(bytes >> LT_RSS_PAGE_SHIFT));
	}
	c = bpf_map_lookup_elem(&lt_rss_cnt, &idx);
	if (c)
		*c += n;
}

struct rss_range {
	__u64 start, end;
	__u64 delta;	/* mremap: the new address minus the old */
	bool move;
	__u32 order;	/* folio order being walked */
	/* released so far and not yet taken off cur's aggregate: pages in a
	 * range mostly share their stack, so one update serves a run of them */
	struct lt_rss_key cur;
	__s64 cur_bytes;
	__u64 cur_n;	/* never branched on: keeps the verifier's loop states few */
	__u32 cur_set;
};

static __always_inline void rss_flush(struct rss_range *r)
{
	if (r->cur_set)
		rss_uncharge(&r->cur, r->cur_bytes, r->cur_n);
	r->cur_bytes = 0;
	r->cur_n = 0;
	r->cur_set = 0;
}

/* Release the part of the page or folio at key inside the range. */
static __always_inline void rss_release_key(struct rss_range *r, __u64 key)
{
	struct lt_rss_page *p = bpf_map_lookup_elem(&lt_rss_pages, &key);
	__u64 base = key & ~(RSS_PAGE - 1), size = RSS_PAGE << (key & 31);
	__u64 lo = base > r->start ? base : r->start;
	__u64 hi = base + size < r->end ? base + size : r->end, part, b;
	struct lt_rss_key k;

	if (!p || lo >= hi || !(b = p->bytes))
		return;
	part = hi - lo;
	k = p->key;
	if (part < b && part < size) { /* part of a large folio */
		__sync_fetch_and_add(&p->bytes, -part);
	} else {
		part = rss_unclaim(p, key);
		if (!part)
			return; /* released by another thread */
	}
	if (r->cur_set && (k.stack_id != r->cur.stack_id || k.caller != r->cur.caller ||
			   k.kernel != r->cur.kernel))
		rss_flush(r);
	r->cur = k;
	r->cur_set = 1;
	r->cur_bytes += part;
	r->cur_n++;
}

/* mremap moved the page or folio at key by delta: re-key it. */
static __always_inline void rss_move_key(__u64 key, __u64 delta)
{
	struct lt_rss_page *p = bpf_map_lookup_elem(&lt_rss_pages, &key), pg;

	if (!p || !p->bytes)
		return;
	pg.key = p->key;
	pg.bytes = rss_unclaim(p, key);
	if (!pg.bytes || rss_claim(key + delta, &pg))
		return;
	/* no room at the new address: release it rather than keep it forever */
	rss_uncharge(&pg.key, pg.bytes, 1);
	rss_count(LT_RSS_PAGES_FULL);
}

/* One 4 KiB page of a range. */
static long rss_range_page(__u32 i, void *arg)
{
	struct rss_range *r = arg;
	__u64 addr = r->start + ((__u64)i << LT_RSS_PAGE_SHIFT);

	if (addr >= r->end)
		return 1;
	if (r->move)
		rss_move_key(addr, r->delta);
	else
		rss_release_key(r, addr);
	return 0;
}

/* One folio of r->order overlapping a range, by its aligned key. */
static long rss_range_block(__u32 i, void *arg)
{
	struct rss_range *r = arg;
	__u32 o = r->order & 31;
	__u64 size = RSS_PAGE << o, base = (r->start & ~(size - 1)) + i * size;

	if (base >= r->end)
		return 1;
	if (r->move)
		rss_move_key(base | o, r->delta);
	else
		rss_release_key(r, base | o);
	return 0;
}

/* The folios of each enabled order (only while some are charged). */
static long rss_range_order(__u32 o, void *arg)
{
	struct rss_range *r = arg;
	__u32 shift = LT_RSS_PAGE_SHIFT + (o & 31);

	if (!o || !((rss_orders_always | rss_orders_madvise) & (1U << o)))
		return 0;
	r->order = o;
	bpf_loop(((r->end - 1) >> shift) - (r->start >> shift) + 1, rss_range_block, r, 0);
	return 0;
}

/* Page by page, then the larger folios, if any are charged. */
static __always_inline void rss_walk(struct rss_range *r)
{
	bpf_loop((r->end - r->start) >> LT_RSS_PAGE_SHIFT, rss_range_page, r, 0);
	if (rss_nfolios > 0)
		bpf_loop(21, rss_range_order, r, 0);
}

static long rss_range_elem(struct bpf_map *map, __u64 *key, struct lt_rss_page *pg, void *arg)
{
	struct rss_range *r = arg;
	__u64 base = *key & ~(RSS_PAGE - 1), size = RSS_PAGE << (*key & 31);

	if (base < r->end && base + size > r->start)
		rss_release_key(r, *key);
	return 0;
}

static __always_inline void rss_release(__u64 start, __u64 len)
{
	struct rss_range r = {};
	__u64 pages;

	start &= ~(RSS_PAGE - 1);
	len = (len + RSS_PAGE - 1) & ~(RSS_PAGE - 1);
	if (!len || start >= RSS_USER_END || !is_target())
		return;
	r.start = start;
	r.end = start + len;
	pages = len >> LT_RSS_PAGE_SHIFT;
	if (pages > 2 * (__u64)rss_npages + 64 || pages > (1U << 23))
		bpf_for_each_map_elem(&lt_rss_pages, rss_range_elem, &r, 0);
	else
		rss_walk(&r);
	rss_flush(&r);
}

SEC("tracepoint/syscalls/sys_enter_munmap")
int lt_rss_munmap(struct trace_event_raw_sys_enter *ctx)
{
	rss_release(ctx->args[0], ctx->args[1]);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_madvise")
int lt_rss_madvise(struct trace_event_raw_sys_enter *ctx)
{
	long advice = (long)ctx->args[2];

	/* MADV_FREE pages stay resident until reclaim, but they are the
	 * allocator's free memory, not growth; written again before reclaim
	 * they come back without a fault (not seen). */
	if (advice == MADV_DONTNEED || advice == MADV_DONTNEED_LOCKED || advice == MADV_FREE ||
	    advice == MADV_REMOVE || advice == MADV_PAGEOUT)
		rss_release(ctx->args[0], ctx->args[1]);
	else if (advice == MADV_HUGEPAGE && is_target())
		rss_hg_seen = 1;
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_brk")
int lt_rss_brk(struct trace_event_raw_sys_enter *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 brk = ctx->args[0], cur, start;
	struct mm_struct *mm;

	if (!is_target())
		return 0;
	mm = task->mm;
	if (!mm)
		return 0;
	cur = BPF_CORE_READ(mm, brk);
	start = BPF_CORE_READ(mm, start_brk);
	if (brk < start || brk >= cur) /* a query (brk(0)) or growth */
		return 0;
	brk = (brk + RSS_PAGE - 1) & ~(RSS_PAGE - 1);
	cur = (cur + RSS_PAGE - 1) & ~(RSS_PAGE - 1);
	if (brk < cur)
		rss_release(brk, cur - brk);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_mmap")
int lt_rss_mmap(struct trace_event_raw_sys_enter *ctx)
{
	/* MAP_FIXED replaces what was mapped there (not _NOREPLACE: 0x100000) */
	if ((ctx->args[3] & (MAP_FIXED | 0x100000)) == MAP_FIXED)
		rss_release(ctx->args[0], ctx->args[1]);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_mremap")
int lt_rss_mremap_in(struct trace_event_raw_sys_enter *ctx)
{
	struct rss_remap *m;

	if (!is_target())
		return 0;
	m = bpf_task_storage_get(&lt_rss_remap, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!m)
		return 0;
	m->old_addr = ctx->args[0];
	m->old_len = (ctx->args[1] + RSS_PAGE - 1) & ~(RSS_PAGE - 1);
	m->new_len = (ctx->args[2] + RSS_PAGE - 1) & ~(RSS_PAGE - 1);
	m->flags = ctx->args[3];
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_mremap")
int lt_rss_mremap(struct trace_event_raw_sys_exit *ctx)
{
	__u64 ret = ctx->ret, keep;
	struct rss_remap *m, a;
	struct rss_range r = {};

	if (!is_target())
		return 0;
	m = bpf_task_storage_get(&lt_rss_remap, bpf_get_current_task_btf(), 0, 0);
	if (!m || !m->old_len)
		return 0;
	a = *m;
	m->old_len = 0;
	if (ret >= (__u64)-MAX_ERRNO)
		return 0;
	keep = a.new_len < a.old_len ? a.new_len : a.old_len;
	if (a.new_len < a.old_len) /* the tail is unmapped */
		rss_release(a.old_addr + a.new_len, a.old_len - a.new_len);
	if (ret == a.old_addr || !keep)
		return 0;
	/* Moved: the pages go with the mapping (4 KiB keys; a moved large
	 * folio is split by the kernel unless aligned alike). */
	r.start = a.old_addr;
	r.end = a.old_addr + keep;
	r.delta = ret - a.old_addr;
	r.move = true;
	rss_walk(&r);
	return 0;
}

/* Launch mode: what the child wrote before exec() is gone with its old
 * address space. */
SEC("tracepoint/sched/sched_process_exec")
int lt_rss_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	rss_release(0, RSS_USER_END);
	return 0;
}
