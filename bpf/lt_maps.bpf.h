/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the BPF objects share: the globals and maps more than one of them uses.
 * Each part (bpf/NAME.bpf.c) is compiled apart and `bpftool gen object` links
 * them into .output/leaktrace.bpf.o: a map or variable is defined once, in
 * leaktrace.bpf.c (which defines LT_DEFINE_SHARED first), and declared
 * extern by every other part, whose references libbpf's linker resolves. An
 * extern map repeats its definition (the linker checks that they match), so
 * each map is written once here, behind LT_MAP. A global or map used by one
 * part only is that part's own.
 */
#ifndef LT_MAPS_BPF_H
#define LT_MAPS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "leaktrace.h"

#ifdef LT_DEFINE_SHARED
#define LT_MAP
#else
#define LT_MAP extern
#endif

#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define PROT_EXEC 0x4
#define VM_EXEC 0x4ULL
#define MAX_ERRNO 4095

/* --- globals: defined (and described) in leaktrace.bpf.c --- */
extern const volatile __u32 target_tgid;
extern volatile __u32 bucket_ms;
extern volatile __u64 t0_ns;
extern volatile __u32 lt_gen;
extern struct lt_proc single;
extern const volatile __u64 rss_big_min;
extern const volatile bool noop_probes;
extern const volatile __u64 target_start_ticks, tick_ns;
extern const volatile bool time_py_walk;
extern const volatile __u64 min_map_addr;
extern const volatile bool uw_stats, uw_nocache;

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

LT_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 524288);	/* --max-allocs */
	__type(key, struct lt_alloc_key);
	__type(value, struct lt_alloc);
} lt_allocs SEC(".maps");

/* -a: the traced processes, by tgid (sized by the loader) */
LT_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lt_proc);
} lt_procs SEC(".maps");

/* -a: process events (enum lt_proc_ev) */
LT_MAP struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} lt_procevents SEC(".maps");

LT_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);	/* --max-agg */
	__type(key, struct lt_agg_key);
	__type(value, struct lt_agg_val);
} lt_agg SEC(".maps");

/* Stacks are inserted rarely (once each) but are 2 KiB: allocate on demand
 * rather than preallocating --max-stacks of them. */
LT_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 131072);	/* --max-stacks */
	__type(key, __u64);
	__type(value, struct lt_stack);
} lt_stacks SEC(".maps");

LT_MAP struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct lt_inflight);
} lt_inflight SEC(".maps");

LT_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LT_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} lt_counters SEC(".maps");

/* New stack keys, so the loader reads a Python stack's code objects while
 * they exist (module code run once at import is freed soon after). */
LT_MAP struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} lt_newstacks SEC(".maps");

LT_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);	/* sized by the loader with --rss */
	__type(key, __u64);
	__type(value, struct lt_alloc);
} lt_rss_big SEC(".maps");

/* Scratch for the stack being captured (too large for the BPF stack). */
LT_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lt_stack);
} lt_scratch SEC(".maps");

/* --rss: counters, and the --rss allocations watched for untouched pages */
LT_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LT_RSS_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} lt_rss_cnt SEC(".maps");
/* 3.13+: the thread state found by walking the interpreters' thread lists
 * (3.14 has no autoTSSkey, and _Py_tss_tstate is a local TLS symbol that a
 * stripped build lacks), remembered per thread and re-validated each use. */
LT_MAP struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);	/* tid */
	__type(value, __u64);	/* its PyThreadState */
} lt_tstates SEC(".maps");

/* One frame's first LT_PY_FRAME_WIN bytes: read once, fields taken from it. */
LT_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[LT_PY_FRAME_WIN]);
} lt_pyframe SEC(".maps");

/* --- the stack walker's (unwind.bpf.h) --- */

/* a module's table: 8-byte entries (struct lt_uw_tabhdr, pages, rows), one
 * array per module, sized to it by the loader; the flag lets their sizes
 * differ */
struct lt_uw_tab {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_INNER_MAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);	/* any of the three */
};

LT_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);	/* sized by the loader */
	__type(key, __u32);
	__array(values, struct lt_uw_tab);
} lt_uw_tabs SEC(".maps");

LT_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lt_uw_rule);
} lt_uw_rules SEC(".maps");

/* The one traced process's executable mappings (n 0: frame pointers only),
 * an array lookup rather than a hash one per allocation */
LT_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lt_uw_proc);
} lt_uw_proc1 SEC(".maps");

/* -a: tgid -> its executable mappings; no entry: frame pointers only */
LT_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lt_uw_proc);
} lt_uw_procs SEC(".maps");

/*
 * The walk's registers and counters live in a per-CPU map value, not on the
 * BPF stack: the verifier then knows nothing of their values and checks the
 * step once, rather than once per depth it could reach. Only pointers (which
 * it must know) are in the loop's context on the stack.
 */
#define UW_CACHE_BITS 10

/* A rule found for (module, module-relative pc); mod 0: empty. Tables are
 * never unloaded nor changed, so an entry stays true. */
struct uw_cache_ent {
	__u32 mod;
	__u32 rel;
	struct lt_uw_rule rule;
};

struct uw_state {
	__u64 ip, sp, bp;
	__u64 tramp;		/* uretprobe trampoline, read when first needed */
	__u64 ri;		/* struct return_instance *: the next hijacked return */
	__u32 n;
	__u32 exact;		/* ip is where the thread stopped, not a return address */
	__u32 last;		/* the previous frame's mapping */
	__u16 flags;		/* LT_ST_* */
	__u16 tramp_read;
	__u64 h;		/* uw_hash(): the hash being computed */
	/* this CPU's rules of recent return addresses: repeating call sites
	 * skip the page and row search */
	struct uw_cache_ent cache[1 << UW_CACHE_BITS];
};

LT_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct uw_state);
} lt_uw_state SEC(".maps");

#endif
