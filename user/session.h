/* SPDX-License-Identifier: MIT */
/*
 * Uprobe sessions (kernel 6.13+, BPF_TRACE_UPROBE_SESSION): one program for
 * a call's entry and return, where the entry can decline the return. libbpf
 * 1.1 predates them, so the link is made with the bpf() syscall.
 */
#ifndef LT_SESSION_H
#define LT_SESSION_H

#include <stdbool.h>
#include <stdint.h>

struct bpf_program;

/* The running kernel has uprobe sessions (its BTF has their kfunc). */
bool session_supported(void);
/* Make prog (SEC("uprobe")) a session program; before load. 0 or -errno. */
int session_prepare(struct bpf_program *prog);
/* Attach a loaded session program at file offset off of path, for process
 * pid only, with cookie. Returns the link fd (close() detaches) or -errno. */
int session_attach(const struct bpf_program *prog, const char *path, uint64_t off,
		   uint64_t cookie, int pid);

#endif
