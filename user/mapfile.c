// SPDX-License-Identifier: MIT
/*
 * /proc/PID/maps names a file as the *reader* sees it: for a target
 * chrooted into /srv/root the line already reads /srv/root/usr/lib/libc.so.6
 * (so /proc/PID/root + that path doubles the root), while for a target in
 * another mount namespace it is the path inside that namespace (reachable
 * only through /proc/PID/root), and for a deleted or replaced file it names
 * what is there now, or nothing. Which applies cannot be told from the
 * line, so each way in is tried and kept only if stat() finds the mapped
 * inode there (the maps line's device and inode):
 *
 *   /proc/PID/map_files/START-END  the mapping itself: right in every case,
 *                                  but needs CAP_SYS_ADMIN (or
 *                                  CAP_CHECKPOINT_RESTORE) in the initial
 *                                  user namespace
 *   /proc/PID/root/<path>          other mount namespaces (containers)
 *   <path>                         chroots, and after the target exited
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "mapfile.h"

/* maps prints the device as hex major:minor of the file's superblock */
static bool is_mapped(const char *path, const struct lt_map *m)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode) && st.st_ino == m->inode &&
	       major(st.st_dev) == m->dev_major && minor(st.st_dev) == m->dev_minor;
}

int mapfile_path(int pid, const struct lt_map *m, char *buf, size_t len)
{
	int n, err = -ENOENT;

	if (m->path[0] != '/' || !m->inode)
		return -ENOENT;
	for (int i = 0; i < 3; i++) {
		if (i == 0)
			n = snprintf(buf, len, "/proc/%d/map_files/%llx-%llx", pid,
				     (unsigned long long)m->start, (unsigned long long)m->end);
		else if (i == 1)
			n = snprintf(buf, len, "/proc/%d/root%s", pid, m->path);
		else
			n = snprintf(buf, len, "%s", m->path);
		if (n < 0 || (size_t)n >= len) {
			err = -ENAMETOOLONG;
			continue;
		}
		if (is_mapped(buf, m))
			return 0;
	}
	if (len)
		buf[0] = '\0';
	return err;
}

/* Split "/proc/N/root/rest" so debug directories are also searched inside
 * the target's root (containers); root is "" for other paths. A mapping's
 * "/proc/N/map_files/range" is in root "/proc/N/root" too, but names no
 * directory there: rest is NULL (build ids only). */
void mapfile_root(const char *path, char *root, size_t rootsz, const char **rest)
{
	const char *p = path + 6;
	bool map_file;
	size_t n;

	root[0] = '\0';
	*rest = path;
	if (strncmp(path, "/proc/", 6))
		return;
	while (*p >= '0' && *p <= '9')
		p++;
	map_file = !strncmp(p, "/map_files/", 11);
	if (p == path + 6 || (strncmp(p, "/root/", 6) && !map_file))
		return;
	n = p - path;
	if (n + 6 > rootsz)
		return;
	memcpy(root, path, n);
	memcpy(root + n, "/root", 6);
	*rest = map_file ? NULL : p + 5;
}
