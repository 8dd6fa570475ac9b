/* SPDX-License-Identifier: MIT */
/*
 * Tracepoint programs attached without leaving a tracefs mount behind.
 * libbpf reads a tracepoint's id from tracefs. Where the system has not
 * mounted tracefs (or a chroot hides it), leaktrace makes a tracefs mount
 * attached nowhere (fsopen/fsmount) and reads the ids through its fd: no
 * process ever sees it, no mount namespace is needed (a chroot's "/" is no
 * mount point to make private), and it ends with leaktrace, even under
 * SIGKILL.
 */
#ifndef LT_TRACEFS_H
#define LT_TRACEFS_H

struct bpf_program;
struct bpf_link;

/* Attach prog by its section name ("tracepoint/CATEGORY/NAME"; any other
 * section: libbpf's own attach). 0 and *out, or -errno, said on stderr in
 * one line (no tracefs and no CAP_SYS_ADMIN to mount one, say). */
int tracefs_attach(struct bpf_program *prog, struct bpf_link **out);

#endif
