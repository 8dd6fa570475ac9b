/* SPDX-License-Identifier: MIT */
/* BPF skeleton life cycle: open, size maps, load, place and attach probes. */
#ifndef LT_LOADER_H
#define LT_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "env.h"
#include "links.h"

struct loader;
struct leaktrace_bpf;

/* Open and load the BPF object for process tgid (0: -a, every process
 * env's filters let through). 0 or -errno. */
int loader_open(const struct lt_env *env, int tgid, struct loader **out);
/* Place and attach the libc allocator probes (on libc_path, the library as
 * the target maps it; NULL: none, per-process links come later) and the
 * mmap/munmap tracepoints. 0 or -errno. */
int loader_attach(struct loader *l, const char *libc_path);
/* -a: the allocator probes on another libc (a container's), for every
 * process that maps it; and the process exec/fork/exit tracepoints. */
int loader_attach_libc(struct loader *l, const char *libc_path);
int loader_attach_procs(struct loader *l);
/* The libc allocator probes on libc_path for process pid alone: its
 * breakpoints are placed in no other process (proclinks.h). */
int loader_attach_libc_pid(struct loader *l, const char *libc_path, int pid);
/* A probed file's path for as long as we run ("/proc/self/fd/N"), or NULL. */
const char *loader_held_path(struct loader *l, dev_t dev, ino_t ino);
/* -a: stop each new image the filters choose at its exec (SIGSTOP, unless
 * on a terminal), its event LT_EV_NEW_HELD, for its links to go on first
 * (on), or no more (off). */
void loader_hold_new_images(struct loader *l, bool on);
/* lt_held: the images held, tgid -> start_boottime. */
int loader_held_fd(struct loader *l);
/* Detach and forget the per-process links of these processes. */
void loader_forget_pids(struct loader *l, const int *pids, size_t n);
/* Attach CPython's allocator probes on its module (libpython or the
 * executable); `stripped`: pymalloc's internals have no symbols;
 * `objects`: also the GC object hooks (--objects); for process pid (0: the
 * loader's, or with -a every one). */
int loader_attach_python(struct loader *l, const char *path, bool stripped, bool objects, int pid);
/* --fds: the descriptor tracepoints. 0 or -errno. */
int loader_attach_fds(struct loader *l);

/* Detach the links of these groups in the background (see
 * loader_detaching()); calibration links are forgotten, the others can be
 * re-attached. Returns how many. */
int loader_drop(struct loader *l, unsigned int groups);
/* Re-attach what loader_drop() detached in these groups. 0 or -errno. */
int loader_reattach(struct loader *l, unsigned int groups);
/* A background detach is still in progress. */
bool loader_detaching(struct loader *l);
/* Probe free (LT_CALIB_FREE) and/or malloc's entry and return
 * (LT_CALIB_MALLOC) in process pid (the calibration child). */
#define LT_CALIB_FREE 1u
#define LT_CALIB_MALLOC 2u
int loader_attach_calib(struct loader *l, const char *libc_path, int pid, unsigned int what);

/* Cumulative run time and count of the uprobe programs (bpf_stats must be
 * on), split into free probes and the rest; rets: of runs, how many were
 * uretprobes (their trap costs what it costs). 0 or -errno. */
struct lt_prog_stats {
	uint64_t run_ns, runs, rets;
};
int loader_prog_stats(struct loader *l, struct lt_prog_stats *alloc, struct lt_prog_stats *frees);

/* One lt_counters entry (enum lt_counter), summed over the CPUs; 0 if
 * unreadable. */
uint64_t loader_counter(struct loader *l, unsigned int k);

/* --rss: the page-fault and charge-back tracepoints. 0 or -errno. */
int loader_attach_rss(struct loader *l);
/* Detach every probe (maps stay readable). */
void loader_detach(struct loader *l);
void loader_destroy(struct loader *l);
struct leaktrace_bpf *loader_skel(struct loader *l);
/* Start the clock that ages count from: now, in CLOCK_MONOTONIC seconds. */
double loader_start_clock(struct loader *l);
/* Number of uprobes attached and how many of them had to be single-stepped. */
void loader_probe_stats(const struct loader *l, int *attached, int *single_stepped);

/* Find the libc that process pid maps: a path that opens that very file
 * (mapfile.h), to attach to. 0, -ENOENT (no libc: static binary, or its
 * file is reachable no more), or -errno. */
int loader_find_libc(int pid, char *buf, size_t len);

/* If the libc pid maps now is another file than those probed (it exec'd
 * into another root, or runs in a container), probe it too, for the
 * loader's process (-a: every one). 1 if it did, 0 (nothing new, or no libc
 * mapped yet), or -errno. */
int loader_follow_libc(struct loader *l, int pid);

/* The dynamic loader or libc: their own mmaps are not program allocations. */
bool loader_is_runtime_module(const char *path);

#endif
