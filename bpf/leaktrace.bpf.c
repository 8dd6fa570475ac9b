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
 *
 * The BPF side is one object linked from parts by concern (Makefile): this
 * one holds the license and the state the others share (lt_maps.bpf.h);
 * allocs.bpf.c the allocator probes, mmap.bpf.c the mmap tracepoints,
 * fds.bpf.c --fds, objects.bpf.c --objects, procs.bpf.c exec, fork and exit,
 * rss.bpf.c --rss. Stacks: lt_stack.bpf.h over unwind.bpf.h and
 * lt_pywalk.bpf.h; the record path: lt_record.bpf.h.
 */
#define LT_DEFINE_SHARED
#include "lt_maps.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The one traced process; 0: -a, every process in lt_procs. */
const volatile __u32 target_tgid;

/* Written by the loader while running (mmapped .data): it widens buckets as
 * the run gets longer, so each stack keeps at most ~100 of them. */
volatile __u32 bucket_ms = 100;
/* CLOCK_MONOTONIC ns when tracing started (set when the target is released):
 * birth buckets count from here. */
volatile __u64 t0_ns = 1;
/* --max-overhead thinning: bumped by the loader as each on-phase of the
 * allocation probes begins (0: not thinning). A block keeps the one it was
 * born in, so that the loader sees how many of an on-phase's blocks the
 * drain after it has seen freed. */
volatile __u32 lt_gen;
/* One process: its state, and its CPython config, which the loader sets
 * once it finds CPython (enabled last). */
struct lt_proc single;

/* --rss: outstanding allocations of at least rss_big_min bytes (0: off), whose
 * pages the loader checks for "allocated but never touched". */
const volatile __u64 rss_big_min;

/* make bench's floor: every probe's program returns at once (the verifier
 * drops the rest), so what is left is the probes' own cost */
const volatile bool noop_probes;

/* The one target's start (/proc/PID/stat's starttime, in ticks of
 * tick_ns): a process that takes its pid once it is gone is not it. */
const volatile __u64 target_start_ticks, tick_ns;

/* The Python walk timed apart, for bench/pywalk.sh: two clock reads an event. */
const volatile bool time_py_walk;

/*
 * vm.mmap_min_addr, set by the loader (0: unknown). The frame-pointer chain
 * of almost every thread ends in a %rbp of 0 or 1 (_start clears it, glibc's
 * __libc_start_call_main leaves 1), and nothing is mapped below it (short of
 * a privileged MAP_FIXED; a chain that gets there has left the stack anyway).
 */
const volatile __u64 min_map_addr;

/* bench/unwind.sh: count lookups and misses; run with the cache always cold */
const volatile bool uw_stats, uw_nocache;
