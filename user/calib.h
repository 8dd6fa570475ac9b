/* SPDX-License-Identifier: MIT */
/*
 * A trap's cost on this CPU, by kind (for --max-overhead): a child times
 * malloc/free pairs untraced, with free probed (one entry trap a pair), then
 * with malloc's entry and return probed too. The BPF programs run there but
 * return at once (the child is no target); their time, from bpf_stats, is
 * taken off, since the live estimate adds the real BPF time of each program.
 */
#ifndef LT_CALIB_H
#define LT_CALIB_H

struct loader;

/* The cost of an entry trap and of a return trap, in ns, with libc_path's
 * malloc and free probed in a child. 0 or -errno. */
int calib_traps(struct loader *ld, const char *libc_path, double *trap_ns, double *ret_trap_ns);

#endif
