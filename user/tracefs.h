/* SPDX-License-Identifier: MIT */
/*
 * Tracepoint programs attached without leaving a tracefs mount behind.
 * libbpf reads a tracepoint's id from tracefs. Where the system has not
 * mounted tracefs, a short-lived thread mounts it in a mount namespace of
 * its own and reads the ids there, all in one go (tracefs_prefetch()). The
 * mount ends with that namespace when the thread exits, even if leaktrace
 * is killed, and no other process ever sees it.
 */
#ifndef LT_TRACEFS_H
#define LT_TRACEFS_H

struct bpf_object;
struct bpf_program;
struct bpf_link;

/* Where no tracefs is in sight: read the ids of every tracepoint program
 * obj will load under one private mount, for tracefs_attach() to use. */
void tracefs_prefetch(const struct bpf_object *obj);

/* Attach prog by its section name ("tracepoint/CATEGORY/NAME"; any other
 * section: libbpf's own attach). 0 and *out, or -errno, said on stderr in
 * one line (no tracefs and no CAP_SYS_ADMIN to mount one, say). */
int tracefs_attach(struct bpf_program *prog, struct bpf_link **out);

#endif
