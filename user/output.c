// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "log.h"
#include "output.h"

struct output {
	FILE *f;
	char *path;	/* NULL for stdout */
	char *tmp;
};

int output_open(const char *path, struct output **out)
{
	struct output *o;
	int fd, err;

	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	if (!strcmp(path, "-")) {
		o->f = stdout;
		*out = o;
		return 0;
	}
	o->path = strdup(path);
	if (!o->path || asprintf(&o->tmp, "%s.XXXXXX", path) < 0) {
		o->tmp = NULL;
		err = -ENOMEM;
		goto cleanup;
	}
	fd = mkstemp(o->tmp);
	if (fd < 0) {
		err = -errno;
		elog("cannot write %s: %s\n", path, strerror(-err));
		free(o->tmp);
		o->tmp = NULL;
		goto cleanup;
	}
	fchmod(fd, 0644);
	o->f = fdopen(fd, "w");
	if (!o->f) {
		err = -errno;
		close(fd);
		goto cleanup;
	}
	*out = o;
	return 0;
cleanup:
	output_abort(o);
	return err;
}

FILE *output_file(struct output *o)
{
	return o->f;
}

int output_commit(struct output *o)
{
	int err = 0;

	if (!o->path) { /* stdout */
		err = fflush(o->f) ? -errno : 0;
		free(o);
		return err;
	}
	if (fflush(o->f) || fsync(fileno(o->f)) || ferror(o->f))
		err = -errno ?: -EIO;
	if (fclose(o->f) && !err)
		err = -errno;
	o->f = NULL;
	if (!err && rename(o->tmp, o->path))
		err = -errno;
	if (!err) {
		free(o->tmp);
		o->tmp = NULL;
	}
	output_abort(o);
	return err;
}

void output_abort(struct output *o)
{
	if (!o)
		return;
	if (o->f && o->f != stdout)
		fclose(o->f);
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	free(o);
}
