/* SPDX-License-Identifier: MIT */
/*
 * Per-process links for -a with a filter (--comm, --pid, --uid, --cgroup):
 * each traced process gets its own allocator probes (pid-filtered
 * uprobe_multi or perf-event uprobes), so breakpoints exist only in the
 * processes that match and every other one runs at its untraced speed.
 * A process gets them as soon as it is known (the start's scan, a fork, an
 * exec that matches), on the libc it maps; an image just exec'd maps none
 * yet: on the host's (uprobes are placed as the file is mapped), and on its
 * own once its code settles, if that is another (a container's). Its links
 * go when it exits.
 */
#ifndef LT_PROCLINKS_H
#define LT_PROCLINKS_H

#include <stdbool.h>

struct loader;
struct proclinks;

/* host_libc: the libc every process is probed on first. 0 or -errno. */
int proclinks_new(struct loader *ld, const char *host_libc, struct proclinks **out);
/* Continues what is still held first (and its guardian, started by _new(),
 * does that if we are killed). */
void proclinks_free(struct proclinks *pl);
/* An image held at exec, its links on: continue it. */
void proclinks_release(struct proclinks *pl, int pid);
/* Probe pid's allocators: on the libc it maps, else the host's. 1 if links
 * were added, 0 (there already), or -errno. */
int proclinks_add(struct proclinks *pl, int pid);
/* pid has exited: its links are detached at the next proclinks_flush(),
 * in one batch with the others gone since. */
void proclinks_gone(struct proclinks *pl, int pid);
void proclinks_flush(struct proclinks *pl);

#endif
