// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "dirlist.h"

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct lt_dfile *)a)->name, ((const struct lt_dfile *)b)->name);
}

int dirlist(const char *dir, bool (*keep)(const char *name), struct lt_dfile **out, size_t *n,
	    uint64_t *bytes)
{
	struct lt_dfile *v = NULL, *nv;
	size_t cap = 0, k = 0;
	uint64_t total = 0;
	struct dirent *de;
	DIR *d = opendir(dir);
	int err = 0;

	*out = NULL;
	*n = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct stat st;

		if (strlen(de->d_name) >= sizeof(v->name) || !keep(de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &st, 0) || !S_ISREG(st.st_mode))
			continue;
		if (k == cap) {
			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				err = -ENOMEM;
				break;
			}
			v = nv;
		}
		snprintf(v[k].name, sizeof(v[k].name), "%s", de->d_name);
		v[k].size = st.st_size;
		v[k++].mtime = st.st_mtime;
		total += st.st_size;
	}
	closedir(d);
	if (k)
		qsort(v, k, sizeof(*v), cmp_name);
	*out = v;
	*n = k;
	if (bytes)
		*bytes = total;
	return err;
}
