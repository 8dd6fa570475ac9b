// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "log.h"
#include "dirlist.h"
#include "outdir.h"

struct outdir {
	char *dir;
	uint32_t max_files;
	uint64_t max_bytes;
	double max_age_s;
};

int mkdir_p(const char *path, mode_t mode)
{
	char *p = strdup(path), *s;
	int err = 0;

	if (!p)
		return -ENOMEM;
	for (s = p + 1; !err; s++) {
		bool end = !*s;

		if (*s != '/' && !end)
			continue;
		*s = '\0';
		if (mkdir(p, mode) && errno != EEXIST)
			err = -errno;
		if (end)
			break;
		*s = '/';
	}
	free(p);
	return err;
}

static bool ours(const char *name)
{
	size_t n = strlen(name);

	return isdigit((unsigned char)name[0]) && n > 6 && !strcmp(name + n - 6, ".pb.gz");
}

/* Remove the oldest files so that one more of len bytes stays within the
 * caps: the directory never holds more than they allow, not even while
 * the new file is being added. */
static void rotate(struct outdir *o, size_t len)
{
	struct lt_dfile *v = NULL;
	uint64_t bytes = len;
	time_t now = time(NULL);
	size_t n = 0;

	if (dirlist(o->dir, ours, &v, &n, NULL))
		vlog("cannot list %s to rotate it\n", o->dir);
	for (size_t i = 0; i < n; i++)
		bytes += v[i].size;
	for (size_t i = 0; i < n; i++) {
		bool old = o->max_age_s > 0 && difftime(now, v[i].mtime) > o->max_age_s;
		char path[4096];

		if (!old && (!o->max_files || n - i + 1 <= o->max_files) &&
		    (!o->max_bytes || bytes <= o->max_bytes))
			break;
		snprintf(path, sizeof(path), "%s/%s", o->dir, v[i].name);
		if (unlink(path) && errno != ENOENT)
			wlog("cannot remove %s: %s\n", path, strerror(errno));
		else
			vlog("out-dir: removed %s\n", path);
		bytes -= v[i].size;
	}
	free(v);
}

int outdir_new(const char *dir, uint32_t max_files, uint64_t max_bytes, double max_age_s,
	       struct outdir **out)
{
	struct outdir *o;
	int err;

	err = mkdir_p(dir, 0755);
	if (!err && access(dir, W_OK | X_OK))
		err = -errno;
	if (err) {
		elog("cannot use --out-dir %s: %s\n", dir, strerror(-err));
		return err;
	}
	o = calloc(1, sizeof(*o));
	if (!o || !(o->dir = strdup(dir))) {
		free(o);
		return -ENOMEM;
	}
	o->max_files = max_files;
	o->max_bytes = max_bytes;
	o->max_age_s = max_age_s;
	*out = o;
	return 0;
}

int write_atomic(const char *path, const void *hdr, size_t hlen, const void *buf, size_t len)
{
	char tmp[4096 + 16];
	int fd, err = 0;

	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path); /* no reader's suffix until renamed */
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	fchmod(fd, 0644);
	for (int part = 0; part < 2 && !err; part++) {
		const char *p = part ? buf : hdr;
		size_t n = part ? len : hlen;

		for (size_t off = 0; off < n && !err;) {
			ssize_t w = write(fd, p + off, n - off);

			if (w < 0 && errno != EINTR)
				err = -errno;
			else if (w > 0)
				off += w;
		}
	}
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int outdir_write(struct outdir *o, const char *name, const void *buf, size_t len)
{
	char path[4096];
	int err;

	snprintf(path, sizeof(path), "%s/%s", o->dir, name);
	rotate(o, len);
	err = write_atomic(path, NULL, 0, buf, len);
	if (err) {
		elog("cannot write %s: %s\n", path, strerror(-err));
		return err;
	}
	return 0;
}

void outdir_free(struct outdir *o)
{
	if (!o)
		return;
	free(o->dir);
	free(o);
}
