/* SPDX-License-Identifier: MIT */
/* BPF skeleton life cycle: open, size maps, load, place and attach probes. */
#ifndef LT_LOADER_H
#define LT_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include "env.h"

struct loader;
struct leaktrace_bpf;

/* Open and load the BPF object for process tgid. 0 or -errno. */
int loader_open(const struct lt_env *env, int tgid, struct loader **out);
/* Place and attach the libc allocator probes (on libc_path, the library as
 * the target maps it) and the mmap/munmap tracepoints. 0 or -errno. */
int loader_attach(struct loader *l, const char *libc_path);
/* Attach CPython's allocator probes on its module (libpython or the
 * executable); `stripped`: pymalloc's internals have no symbols;
 * `objects`: also the GC object hooks (--objects). */
int loader_attach_python(struct loader *l, const char *path, bool stripped, bool objects);
/* --fds: the descriptor tracepoints. 0 or -errno. */
int loader_attach_fds(struct loader *l);
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

/* Find the libc that process pid maps: the path to attach to (through
 * /proc/PID/root so that it also works across mount namespaces). 0,
 * -ENOENT (no libc: static binary), or -errno. */
int loader_find_libc(int pid, char *buf, size_t len);

/* The dynamic loader or libc: their own mmaps are not program allocations. */
bool loader_is_runtime_module(const char *path);

#endif
