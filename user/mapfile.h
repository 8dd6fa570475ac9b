/* SPDX-License-Identifier: MIT */
/*
 * The file a process maps, opened as that very file: its symbols, its
 * CPython, its libc and the uprobes on it must be read from and placed on
 * the mapped inode, whatever root, mount namespace or later rename or
 * delete separates the target's view of the path from ours.
 */
#ifndef LT_MAPFILE_H
#define LT_MAPFILE_H

#include <stddef.h>
#include "procmaps.h"

/* A path that opens the file pid maps in m, into buf: 0, -ENOENT (not a
 * file mapping, or no path reaches that inode any more), -ENAMETOOLONG. */
int mapfile_path(int pid, const struct lt_map *m, char *buf, size_t len);

/* Split a path through a process's root ("/proc/N/root/rest", or a mapping's
 * "/proc/N/map_files/range") into that root ("/proc/N/root", into root) and
 * the rest as the process sees it (NULL for map_files: it names no
 * directory); root is "" for any other path. Debug files are looked for in
 * the target's root first (containers). */
void mapfile_root(const char *path, char *root, size_t rootsz, const char **rest);

#endif
