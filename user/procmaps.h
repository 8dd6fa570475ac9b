/* SPDX-License-Identifier: MIT */
/*
 * /proc/PID/maps parsing. The file is controlled by the (possibly hostile)
 * target while we run as root: every field is bounded and validated.
 */
#ifndef LT_PROCMAPS_H
#define LT_PROCMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lt_map {
	uint64_t start, end;	/* [start, end) */
	uint64_t pgoff;		/* file offset of start */
	uint64_t inode;
	uint32_t dev_major, dev_minor;
	bool r, w, x, shared;
	char *path;		/* "" for anonymous; "[heap]", "[stack]"... kept verbatim;
				 * a " (deleted)" suffix is stripped and `deleted` set */
	bool deleted;
};

struct lt_maps {
	struct lt_map *v;	/* sorted by start, non-overlapping */
	size_t n;
};

/* Parse maps text; malformed lines are skipped. 0 or -errno (-ENOMEM). */
int procmaps_parse(const char *buf, size_t len, struct lt_maps *out);
/* Read and parse /proc/PID/maps. -ENOENT/-ESRCH if the process is gone. */
int procmaps_read(int pid, struct lt_maps *out);
/* Same from an open maps file (e.g. openat() on a held /proc/PID dir fd, so
 * a reused pid is never read). A dead process reads as no mappings. */
int procmaps_read_fd(int fd, struct lt_maps *out);
void procmaps_free(struct lt_maps *m);
/* Mapping containing addr, or NULL (binary search). */
const struct lt_map *procmaps_find(const struct lt_maps *m, uint64_t addr);

#endif
