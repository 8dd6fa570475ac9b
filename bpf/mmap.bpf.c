// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Anonymous mappings as allocations, and executable ones as news for the
 * loader (dlopen). */
#include "lt_record.bpf.h"

/* Bumped on every executable file mapping: the loader re-reads maps (dlopen). */
__u64 exec_maps_gen;
/* Launch mode: stop the (ptrace-seized) main thread after it maps code, so
 * the loader sees every library, CPython above all, before it runs. */
__u32 stop_on_exec_map;

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
