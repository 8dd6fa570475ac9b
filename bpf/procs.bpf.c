// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Which processes are traced: exec, fork and exit. */
#include "lt_core.bpf.h"

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
/* One process: its execs, each a new image (single.epoch counts them too) */
__u32 single_execs;

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

/* The images held (SIGSTOP) at exec, tgid -> start_boottime: continued by
 * leaktrace once their links are on, or by its guardian process should
 * leaktrace die first (user/proclinks.c). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} lt_held SEC(".maps");

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
		__u64 start = BPF_CORE_READ(task, start_boottime);

		/* never stop what could not be remembered to be continued */
		if (bpf_map_update_elem(&lt_held, &tgid, &start, BPF_ANY))
			goto run;
		bpf_send_signal(19 /* SIGSTOP */);
		proc_event(LT_EV_NEW_HELD, tgid, np.epoch, BPF_CORE_READ(task, real_parent, tgid));
		return 0;
	}
run:
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
