/* SPDX-License-Identifier: MIT */
/* The files of a directory that leaktrace writes (--out-dir, the spool). */
#ifndef LT_DIRLIST_H
#define LT_DIRLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct lt_dfile {
	char name[128];
	uint64_t size;
	time_t mtime;
};

/* The regular files of dir whose names keep() accepts, sorted by name
 * (leaktrace's names start with a UTC time: oldest first). *bytes (if not
 * NULL): their total size. The caller frees *out. 0 or -errno. */
int dirlist(const char *dir, bool (*keep)(const char *name), struct lt_dfile **out, size_t *n,
	    uint64_t *bytes);

#endif
