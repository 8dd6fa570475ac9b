/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Types shared by the BPF programs and the loader: fixed-width fields only. */
#ifndef __LEAKTRACE_H
#define __LEAKTRACE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define LT_MAX_STACK_DEPTH 127
#define LT_MAX_PY_DEPTH 64
/* A Python frame's fields (code, previous, position, owner) lie within its
 * first LT_PY_FRAME_WIN bytes in every layout: the walker reads them at once. */
#define LT_PY_FRAME_WIN 128
/* --fds: a descriptor is tracked like an allocation at this pseudo address */
#define LT_FD_TAG (1ULL << 63)

/* Which allocator served an allocation; indexes lt_kind_names[] in user/. */
enum lt_kind {
	LT_MALLOC = 0,
	LT_CALLOC,
	LT_REALLOC,
	LT_REALLOCARRAY,
	LT_POSIX_MEMALIGN,
	LT_ALIGNED_ALLOC,
	LT_MEMALIGN,
	LT_VALLOC,
	LT_PVALLOC,
	LT_MMAP,
	LT_PYMEM_RAW_MALLOC,
	LT_PYMEM_RAW_CALLOC,
	LT_PYMEM_RAW_REALLOC,
	LT_PYMEM_MALLOC,
	LT_PYMEM_CALLOC,
	LT_PYMEM_REALLOC,
	LT_PYOBJECT_MALLOC,
	LT_PYOBJECT_CALLOC,
	LT_PYOBJECT_REALLOC,
	LT_FD,			/* --fds: an open file descriptor (size 1) */
	LT_KIND_MAX,
};

/* Per-CPU counters (lt_counters map); every report prints the drop ones. */
enum lt_counter {
	LT_CNT_ALLOCS = 0,	/* allocations recorded */
	LT_CNT_FREES,		/* frees that matched a recorded allocation */
	LT_CNT_DROP_ALLOCS_FULL, /* allocation not recorded: lt_allocs map full */
	LT_CNT_DROP_AGG_FULL,	/* allocation not aggregated: lt_agg map full */
	LT_CNT_DROP_STACK,	/* stack not stored (map full or collision): kept as caller only */
	LT_CNT_DROP_INFLIGHT,	/* entry not paired with its return: lt_inflight map full */
	LT_CNT_FAILED_ALLOCS,	/* allocator returned NULL / error: nothing to track */
	LT_CNT_PY_NO_TSTATE,	/* Python target, thread without a (valid) thread state */
	LT_CNT_PY_TRUNCATED,	/* Python stack deeper than LT_MAX_PY_DEPTH */
	LT_CNT_DROP_PROCS_FULL,	/* -a: a new process not traced: lt_procs map full */
	LT_CNT_EVENTS_LOST,	/* -a: process event lost (ring full): the scan catches up */
	LT_CNT_DROP_OBJS_FULL,	/* --objects: object not counted: lt_objs full */
	LT_CNT_DROP_OBJAGG_FULL, /* --objects: object not counted: lt_objagg (type, line) full */
	LT_CNT_NEWSTACKS_LOST,	/* new Python stack not signalled (ring full): read at the scan */
	LT_CNT_STACK_TRUNCATED,	/* native stack deeper than LT_MAX_STACK_DEPTH: cut */
	/* not drops: what a process did after it began to exit (exit(), or
	 * CPython's finalization), counted apart from its outstanding memory */
	LT_CNT_EXIT_FREES,
	LT_CNT_EXIT_FREE_BYTES,
	LT_CNT_EXIT_ALLOCS,
	/* LEAKTRACE_TIME_PYWALK=1 (bench/pywalk.sh): Python walks and their ns */
	LT_CNT_PY_WALKS,
	LT_CNT_PY_WALK_NS,
	LT_CNT_PY_WALK_FRAMES,	/* frames stepped through, skipped ones too */
	/* LEAKTRACE_UNWIND_STATS=1 (bench/unwind.sh): CFI rule lookups, and those
	 * the per-CPU PC -> rule cache missed */
	LT_CNT_UW_LOOKUPS,
	LT_CNT_UW_MISSES,
	/* --max-overhead thinning: frees of blocks born in the current duty
	 * cycle's on-phase (lt_gen), which size its drain */
	LT_CNT_GEN_FREES,
	LT_CNT_MAX,
};

/*
 * Aggregation key. Allocations are grouped by stack and by birth bucket:
 * a bucket is [bucket_ms, bucket_ms + width) since tracing started, so the
 * loader derives oldest age and --min-age filtering from the aggregate alone
 * (O(stacks x buckets), never O(allocations)). Bucket width is set by the
 * loader and only grows, so buckets nest.
 */
struct lt_agg_key {
	__u64 stack_id;		/* lt_stacks key (hash of the frames); 0: not stored */
	__u64 caller;		/* return address into the allocator's direct caller */
	__u32 bucket_ms;	/* bucket start, ms since tracing started */
	__u16 kind;		/* enum lt_kind */
	__u16 pad;
	__u32 tgid;		/* the process... */
	__u32 epoch;		/* ...and its image: -a counts its execs (else 0) */
};

/* lt_allocs key: an address is only unique within one process image. */
struct lt_alloc_key {
	__u64 addr;
	__u32 tgid;
	__u32 epoch;
};

/*
 * A user stack, leaf first. Stacks are deduplicated by a 64-bit hash of their
 * frames rather than with BPF_MAP_TYPE_STACK_TRACE, whose bucket collisions
 * (n^2/2m: ~3 for 300 stacks in 16K buckets) would silently cost stacks.
 */
struct lt_py_frame {
	__u64 code;	/* PyCodeObject * (3.13: f_executable, maybe not code) */
	__u32 pos;	/* <= 3.10: f_lasti as stored; 3.11+: code-unit index */
	__u32 check;	/* lt_code_check() when walked: detects a reused address */
};

/*
 * The stack hash (lt_stacks' key), step by step: the BPF walk computes it,
 * and userspace recomputes it to find the stack a block seen by its mmap
 * would have had, had its malloc been seen (user/mmap_class.c).
 */
#define LT_HASH_SEED 0xcbf29ce484222325ULL
#define LT_HASH_PRIME 0x100000001b3ULL

/* -a: the same addresses mean other code in another process */
static inline __u64 lt_hash_proc(__u64 h, __u32 tgid, __u32 epoch)
{
	return (h ^ ((__u64)tgid << 32 | epoch)) * LT_HASH_PRIME;
}

/* One native frame, innermost first. */
static inline __u64 lt_hash_ip(__u64 h, __u64 ip)
{
	h = (h ^ ip) * LT_HASH_PRIME;
	return h ^ (h >> 29);
}

/* One Python frame, innermost first, after the native ones. */
static inline __u64 lt_hash_py(__u64 h, __u64 code, __u32 pos, __u32 check)
{
	h = (h ^ code) * LT_HASH_PRIME;
	h = (h ^ ((__u64)pos << 32 | check)) * LT_HASH_PRIME;
	return h ^ (h >> 29);
}

/*
 * A code object's fingerprint: co_firstlineno and the 4 bytes after it
 * (co_nlocalsplus from 3.11, padding that never changes before), both fixed
 * for the object's life. firstlineno alone is 1 for every module's code, so
 * a module code object freed and another one allocated at its address would
 * pass for it.
 */
static inline __u32 lt_code_check(__u64 v)
{
	return (__u32)v ^ ((__u32)(v >> 32) * 0x9E3779B1u);
}

/* lt_stack.flags */
#define LT_ST_TRUNCATED 1	/* the native stack went deeper than LT_MAX_STACK_DEPTH */
#define LT_ST_HEURISTIC 2	/* a frame pointer was followed through code without CFI */
/* ips[] past the first: the instruction a signal interrupted, not a return
 * address (symbolized as it is, not as the call before it) */
#define LT_IP_EXACT (1ULL << 63)

struct lt_stack {
	__u16 depth;		/* native frames in ips[] */
	__u16 flags;		/* LT_ST_* */
	__u16 py_depth;		/* Python frames in py[], innermost first */
	__u16 py_truncated;	/* the Python stack went deeper */
	__u32 tgid;		/* whose addresses these are */
	__u32 epoch;
	__u64 ips[LT_MAX_STACK_DEPTH];
	struct lt_py_frame py[LT_MAX_PY_DEPTH];
};

/*
 * CFI unwinding (user/unwind_table.c builds the tables from a module's own
 * .eh_frame, user/unwind_maps.c loads them, bpf/unwind.bpf.h walks). A module's
 * code is cut into rows [pc, next row's pc), each naming a deduplicated rule.
 */
#define LT_UW_MAX_MAPS 512	/* executable mappings per process */
#define LT_UW_PAGE_SHIFT 12	/* rows are indexed per 4 KiB of code */
#define LT_UW_SEARCH_STEPS 13	/* log2(4096): rows of one page are at least 1 byte apart */

enum lt_uw_cfa {
	LT_UW_INVALID = 0,	/* no CFI here: one guarded frame-pointer step */
	LT_UW_CFA_RSP,		/* CFA = rsp + cfa_off, return address at CFA - 8 */
	LT_UW_CFA_RBP,		/* CFA = rbp + cfa_off, return address at CFA - 8 */
	LT_UW_PLT,		/* PLT entry: CFA = rsp + 8, + 8 where (pc & 15) >= cfa_off */
	LT_UW_SIGNAL,		/* __restore_rt: the registers are in the ucontext at rsp */
	LT_UW_STOP,		/* outermost frame (_start, thread start): no return address */
};

enum lt_uw_rbp {
	LT_UW_RBP_SAME = 0,	/* rbp is the caller's */
	LT_UW_RBP_SAVED,	/* the caller's rbp is at CFA + rbp_off */
};

struct lt_uw_rule {
	__u8 cfa;		/* enum lt_uw_cfa */
	__u8 rbp;		/* enum lt_uw_rbp */
	__u16 pad;
	__s32 cfa_off;
	__s32 rbp_off;
};

/*
 * lt_uw_tabs[mod]: one module's table, shared by every process mapping it, in
 * an array of 8-byte entries sized to it (the kernel holds what is loaded, no
 * more): entry 0 a struct lt_uw_tabhdr, entries 1..npages the pages, then the
 * rows.
 */
struct lt_uw_tabhdr {
	__u32 npages;
	__u32 nrows;
};

/* the rows of one 4 KiB page of code, the first one being the row in force at
 * the page's start; first indexes the module's array */
struct lt_uw_page {
	__u32 first;
	__u32 count;
};

/* pc is relative to the module's lt_uw_map.base */
struct lt_uw_row {
	__u32 pc;
	__u32 rule;		/* lt_uw_rules index */
};

/* One executable mapping of a process: [start, end), addresses made
 * module-relative by subtracting base. */
struct lt_uw_map {
	__u64 start;
	__u64 end;
	__u64 base;
	__u32 mod;		/* lt_uw_tabs index; 0: no table (no CFI, JIT, vdso) */
	__u32 flags;		/* LT_UW_MAP_* */
};

/* The module is a frame-pointer build (uw_table.fp): a return address in it
 * lies in an rbp-based body, so one frame-pointer step gives what its CFI
 * would, without looking the rule up. */
#define LT_UW_MAP_FP 1

/* lt_uw_procs: a process's executable mappings, sorted by start */
struct lt_uw_proc {
	__u32 n;
	__u32 gen;		/* bumped by the loader at each update */
	struct lt_uw_map maps[LT_UW_MAX_MAPS];
};

/* --objects: live GC objects per (type, allocating Python line). */
struct lt_obj_key {
	__u64 type;		/* PyTypeObject * */
	struct lt_py_frame line; /* innermost Python frame; zero if none */
};

struct lt_obj_val {
	__s64 live;		/* created since tracing began, not yet deleted */
	__u64 created;
};

/*
 * What the walker needs to find the current thread's Python frames: set by
 * the loader from the offsets of the target's CPython version (3.8-3.12: the
 * generated table; 3.13+: the interpreter's own _Py_DebugOffsets).
 */
struct lt_py_cfg {
	__u64 runtime;		/* address of _PyRuntime in the target */
	__u32 enabled;
	__u32 version;		/* major << 8 | minor */
	/* thread state, <= 3.12: glibc's pthread-specific slot of autoTSSkey */
	__u32 tss_key;		/* _PyRuntime offset of autoTSSkey._key */
	__u32 tsd_first;	/* glibc: fsbase offset of specific_1stblock */
	__u32 tsd_second;	/* glibc: fsbase offset of specific[] (keys >= 32) */
	__u32 ts_thread_id;	/* == pthread_self() == fsbase: validates */
	/* thread state, 3.13+ (tstate_walk): the interpreters' thread lists,
	 * matched by native_thread_id; no TLS symbol needed (stripped builds) */
	__u32 tstate_walk;
	__u32 rt_interp_head;	/* _PyRuntime.interpreters.head */
	__u32 interp_next;	/* PyInterpreterState.next */
	__u32 interp_threads;	/* PyInterpreterState.threads.head */
	__u32 ts_next;		/* PyThreadState.next */
	__u32 ts_native_tid;	/* PyThreadState.native_thread_id (the tid) */
	__u32 ts_base_frame;	/* 3.15: the sentinel frame ending the chain, or 0 */
	__u32 ts_frame;		/* tstate -> frame / cframe / current_frame */
	__u32 cframe_frame;	/* _PyCFrame.current_frame, or ~0 */
	__u32 frame_back;
	__u32 frame_code;
	__u32 frame_pos;	/* f_lasti (int) or prev_instr/instr_ptr */
	__u32 pos_is_ptr;	/* frame_pos is an instruction pointer (3.11+) */
	__u32 code_first_instr;	/* co_code_adaptive (3.11+) */
	__u32 code_firstlineno;
	__u32 frame_owner;	/* ~0 before 3.12 */
	__u32 owner_skip;	/* skip frames owned >= this: C stack, interpreter (3.12+) */
	__u32 exec_tag;		/* 3.14+: f_executable is a _PyStackRef, these low bits tag it */
	__u32 type_flags;	/* PyTypeObject.tp_flags */
	__u32 objects;		/* --objects: count GC objects */
	__u32 rt_finalizing;	/* _PyRuntime._finalizing: non-NULL once finalization began */
	__u32 frame_span;	/* bytes of a frame holding the fields above, <= LT_PY_FRAME_WIN */
};

/*
 * A traced process (-a: lt_procs, by tgid; one process: a global). epoch
 * counts its execs: a new image is a new process to the reports, and the
 * old one's allocations are not the new one's leaks.
 */
struct lt_proc {
	__u32 epoch;
	__u32 pad;
	struct lt_py_cfg py;	/* its CPython, once the loader finds it */
	__u64 exit_ns;		/* when it began to exit (exit(), finalization); 0: not yet */
	__u64 alloc_hits;	/* -a: allocation probe hits (entry and return)... */
	__u64 free_hits;	/* ...and free probe hits: the budget's per-process load */
};

/* -a: process events for the loader (lt_procevents ring buffer). */
enum lt_proc_ev {
	LT_EV_NEW = 1,		/* traced from now on (fork or exec) */
	LT_EV_EXIT,		/* image (tgid, epoch) is gone: exit, or exec */
	LT_EV_MAPS,		/* mapped code: libraries to read, CPython to find */
	LT_EV_NEW_HELD,		/* LT_EV_NEW, an exec stopped (SIGSTOP) until its links
				 * are on: the loader sends SIGCONT */
};

struct lt_proc_event {
	__u32 type;		/* enum lt_proc_ev */
	__u32 tgid;
	__u32 epoch;
	__u32 ppid;		/* LT_EV_EXIT: 0 for an exit, LT_EXIT_EXEC for an exec */
	char comm[16];
};

#define LT_EXIT_EXEC 1

/* lt_newstacks record: a new stack with Python frames, and whose it is. */
struct lt_newstack {
	__u64 id;
	__u32 tgid;
	__u32 epoch;
};

struct lt_agg_val {
	__s64 bytes;		/* outstanding bytes */
	__s64 allocs;		/* outstanding allocations */
	__u64 total_allocs;	/* allocations ever made here (for churn) */
};

/* One outstanding allocation, keyed by its address. */
struct lt_alloc {
	__u64 size;		/* bytes in the aggregate: the size, or (sampled) its estimate */
	struct lt_agg_key key;
	__u64 weight;		/* --sample-bytes: allocations it stands for; 0: exactly one */
	__u32 gen;		/* lt_gen at its birth */
	__u32 pad;
};

/*
 * --rss: page-fault attribution ("what drives RSS growth"), apart from the
 * leak ranking. A write fault on a user page not yet charged charges the
 * faulting stack with the page (or the large folio the kernel will map
 * there); unmapping or releasing the page charges it back.
 */
#define LT_RSS_PAGE_SHIFT 12

struct lt_rss_key {
	__u64 stack_id;		/* lt_stacks key; 0: not stored */
	__u64 caller;		/* kernel faults in a syscall: [%rsp] at entry, else 0 */
	__u32 kernel;		/* fault in kernel mode (read() into a buffer...) */
	__u32 pad;
};

struct lt_rss_val {
	__s64 bytes;		/* resident: charged and not released */
	__s64 pages;		/* in 4 KiB pages */
	__u64 faulted;		/* bytes ever charged here */
	__u64 faults;		/* faults that charged */
};

/* One charged page or large folio; lt_rss_pages key: its address | order. */
struct lt_rss_page {
	struct lt_rss_key key;
	__u64 bytes;		/* still charged (a partial unmap lowers it) */
};

enum lt_rss_counter {
	LT_RSS_WRITE_FAULTS = 0, /* write faults on user addresses of the target */
	LT_RSS_CHARGED,		/* of them, on pages not yet charged */
	LT_RSS_RELEASED,	/* pages and folios charged back */
	LT_RSS_PAGES_FULL,	/* charged but not remembered: never charged back */
	LT_RSS_AGG_FULL,	/* not charged: lt_rss_agg full */
	LT_RSS_VMA_BUSY,	/* VMA not found (mmap lock busy): weighed as 4 KiB */
	LT_RSS_BIG_FULL,	/* --rss: large allocation not watched for untouched pages */
	LT_RSS_CNT_MAX,
};

#endif /* __LEAKTRACE_H */
