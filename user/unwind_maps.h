/* SPDX-License-Identifier: MIT */
/*
 * The BPF walker's view of the traced processes: each one's executable
 * mappings (lt_uw_procs) and the unwind tables of the modules they map
 * (lt_uw_tabs, one array per module, and lt_uw_rules), each module loaded once
 * for every process.
 */
#ifndef LT_UNWIND_MAPS_H
#define LT_UNWIND_MAPS_H

struct unwind_maps;
struct leaktrace_bpf;

/* Size the unwind maps before the object is loaded; max_procs: -a's
 * process limit (0: one process). */
void unwind_maps_size(struct leaktrace_bpf *skel, unsigned int max_procs);
/* cache_dir: where tables are kept by build id (NULL: the default,
 * /var/cache/leaktrace/unwind, or $LEAKTRACE_UNWIND_CACHE). 0 or -errno. */
int unwind_maps_new(struct leaktrace_bpf *skel, const char *cache_dir, struct unwind_maps **out);
/* (Re)load pid's executable mappings, loading the tables of modules not seen
 * before: call before the process runs code mapped since the last call. 0 or
 * -errno (the process keeps its previous table, or frame pointers). */
int unwind_maps_update(struct unwind_maps *u, int pid);
/* The process is gone (-a). */
void unwind_maps_forget(struct unwind_maps *u, int pid);
/*
 * -a: from now on, updates and forgets are queued to a thread of their own
 * (in order), so that building a table (seconds for a large library while
 * every malloc of leaktrace's own traps into the probes on libc) never holds
 * up the reports. A process is walked with frame pointers until its turn.
 * 0 or -errno.
 */
int unwind_maps_start_thread(struct unwind_maps *u);
void unwind_maps_free(struct unwind_maps *u);

#endif
