/* SPDX-License-Identifier: MIT */
/*
 * The probes' attachments, kept after a detach so that --max-overhead can
 * re-attach them without placing them again: uprobe_multi links (a program's
 * sites in one file), perf-event uprobes, tracepoints, uprobe sessions; the
 * files they are placed in, held open; detaches in the background.
 */
#ifndef LT_LINKS_H
#define LT_LINKS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct bpf_link;
struct bpf_program;
struct links;

/* Attachment groups, for --max-overhead's thinning. */
enum {
	LT_LINK_ALLOC = 1,	/* allocation entry and return probes */
	LT_LINK_FREE = 2,	/* free probes: never thinned */
	LT_LINK_OTHER = 4,	/* tracepoints */
	LT_LINK_CALIB = 8,	/* the calibration child's probes */
};

/* BPF_TRACE_UPROBE_MULTI, which the system's libbpf 1.1 and UAPI headers
 * predate (kernel 6.6): the programs' expected attach type for it */
#define LT_TRACE_UPROBE_MULTI 48

#define MULTI_MAX 16	/* probe sites in one uprobe_multi link */

/*
 * An attachment, kept after a detach so that --max-overhead can re-attach
 * it without placing its probes again. With uprobe_multi (kernel 6.6+) one
 * link holds every site of a program in a module, and detaching it waits for
 * one RCU grace period (~30 ms) rather than one per probe (~100-200 ms each
 * with perf-event uprobes): that is what makes duty-cycling affordable.
 */
struct lt_link {
	struct bpf_link *link;	/* perf-event uprobe or tracepoint; NULL: detached */
	int fd;			/* uprobe_multi link; -1: detached */
	struct bpf_program *prog;
	const char *path;	/* a held file's attach path (lt_file.at); NULL: auto-attach */
	const char *name;	/* lt_file.name, for messages */
	int n;			/* sites */
	uint64_t offs[MULTI_MAX], cookies[MULTI_MAX];
	int pid;
	bool ret;
	bool pending;		/* sites still being added (attach_table) */
	unsigned int group;	/* LT_LINK_* */
};



/*
 * A probed file, held open: the kernel resolves a uprobe's path to an inode
 * at every attach, and --max-overhead re-attaches on every duty cycle, long
 * after the name it was found by (a /proc/PID/map_files link of a process
 * that may have exited, a path a package upgrade may have replaced) stopped
 * naming it. /proc/self/fd/N names the held inode for as long as we run.
 */
struct lt_file {
	char *name;
	int fd;
	dev_t dev;
	ino_t ino;
	char at[32];		/* "/proc/self/fd/N" */
};

int links_new(bool multi, struct links **out);
/* Detach everything and close the held files. */
void links_free(struct links *l);
/* Hold path's file (one entry per inode; FIFOs and devices refused). */
int links_hold_file(struct links *l, const char *path, struct lt_file **out);
/* A file of that device and inode is held (its probes placed). */
bool links_holds(const struct links *l, dev_t dev, ino_t ino);
/* Its path while we run ("/proc/self/fd/N"), or NULL: not held. */
const char *links_held_at(const struct links *l, dev_t dev, ino_t ino);
/* Attach k now (a tracepoint, or a uprobe without uprobe_multi). */
int links_attach(struct links *l, const struct lt_link *k, const char *what);
/* One probe site; with uprobe_multi, gathered until links_flush(). */
int links_add_site(struct links *l, const struct lt_link *k, const char *what);
int links_flush(struct links *l);
/* A link made elsewhere (a uprobe session's fd), closed with the rest. */
int links_add_fd(struct links *l, int fd);
/* Detach these groups in the background (links_detaching()); calibration
 * links are forgotten, the others can be re-attached. Returns how many. */
int links_drop(struct links *l, unsigned int groups);
/* Detach (in the background) and forget the links of these processes,
 * attached with their pid (per-process links). Returns how many. */
int links_forget_pids(struct links *l, const int *pids, size_t n);
/* Re-attach these groups' detached links, each that can: 0, or the first
 * failure's -errno (the others are on). */
int links_reattach(struct links *l, unsigned int groups);
bool links_detaching(struct links *l);
/* Detach every link, and wait (detaching is slow in the kernel). */
void links_detach(struct links *l);

#endif
