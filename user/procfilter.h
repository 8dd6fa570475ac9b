/* SPDX-License-Identifier: MIT */
/*
 * -a's process filters (--comm, --pid, --uid, --cgroup): checked here for
 * the processes running at start, and in BPF (the same rules, set as
 * constants) for each exec after it.
 */
#ifndef LT_PROCFILTER_H
#define LT_PROCFILTER_H

#include <stdbool.h>
#include <stdint.h>
#include "env.h"

struct leaktrace_bpf;

/* --cgroup PATH as the kernel knows it. 0, or -errno after a message. */
struct lt_cgroup {
	char rel[4096];		/* below the cgroup2 root: "/system.slice/x.service" */
	uint64_t id;		/* its inode number: the cgroup id */
	uint32_t level;		/* components in rel (the root is level 0) */
};
int procfilter_cgroup(const char *path, struct lt_cgroup *out);

/* Set the BPF program's filter constants (before load). 0 or -errno. */
int procfilter_to_bpf(const struct lt_env *env, struct leaktrace_bpf *skel);

/* pid passes every filter given (cg: the resolved --cgroup, or NULL). */
/* Does env choose processes (--comm, --pid, --uid, --cgroup)? */
bool procfilter_any(const struct lt_env *env);
bool procfilter_match(const struct lt_env *env, const struct lt_cgroup *cg, int pid);

/* The cgroup v2 path of pid ("0::" line of /proc/PID/cgroup). 0 or -errno. */
int proc_cgroup_path(int pid, char *buf, size_t len);
/* Its name (/proc/PID/comm); buf is left as it was on failure. 0 or -errno. */
int proc_comm(int pid, char *buf, size_t len);
/* /proc/PID/stat read into buf, *fields pointing past comm (at " STATE
 * PPID ..."): 0, or -errno (-ESRCH: gone as it was read). */
int proc_stat_fields(int pid, char *buf, size_t len, const char **fields);
/* Field 22 of /proc/PID/stat: when it started, in clock ticks since boot
 * (as this time namespace sees it). 0 or -errno. */
int proc_start_ticks(int pid, unsigned long long *out);

#endif
