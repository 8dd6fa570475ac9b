// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "tracefs.h"

#define TRACEFS "/sys/kernel/tracing"

/* A tracefs of our own, mounted nowhere (fsopen + fsmount: a detached
 * mount, reached by its fd alone, that ends with the fd or the process); one
 * for every id read. -1: none yet. */
static int own_tracefs = -1;

static long read_id_at(int dirfd, const char *path)
{
	char buf[32];
	ssize_t n;
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EINVAL;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/* The detached tracefs: its fd, or -errno (EPERM without CAP_SYS_ADMIN). */
static int detached_tracefs(void)
{
	int fs, mnt, err;

	if (own_tracefs >= 0)
		return own_tracefs;
	fs = syscall(__NR_fsopen, "tracefs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	err = syscall(__NR_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) ? -errno : 0;
	mnt = err ? -1 : syscall(__NR_fsmount, fs, FSMOUNT_CLOEXEC, 0);
	if (!err && mnt < 0)
		err = -errno;
	close(fs);
	if (err)
		return err;
	own_tracefs = mnt;
	return mnt;
}

/* The tracepoint's id: from the tracefs in sight, else from our own. */
static long tp_id(const char *category, const char *name)
{
	static const char *const dirs[] = { TRACEFS, "/sys/kernel/debug/tracing" };
	char rel[256], p[320];
	long id;
	int fd;

	snprintf(rel, sizeof(rel), "events/%s/%s/id", category, name);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dirs[i], rel);
		id = read_id_at(AT_FDCWD, p);
		if (id >= 0 || id != -ENOENT)
			return id;
	}
	fd = detached_tracefs();
	if (fd < 0) {
		elog("cannot attach tracepoint %s/%s: tracefs is not mounted and mounting one "
		     "needs CAP_SYS_ADMIN: %s\n", category, name, strerror(-fd));
		return fd;
	}
	id = read_id_at(fd, rel);
	vlog("tracepoint %s/%s: id %ld from a tracefs of our own\n", category, name, id);
	return id;
}

int tracefs_attach(struct bpf_program *prog, struct bpf_link **out)
{
	const char *sec = bpf_program__section_name(prog);
	struct perf_event_attr a = { .type = PERF_TYPE_TRACEPOINT, .size = sizeof(a),
				     .sample_period = 1, .wakeup_events = 1 };
	char category[64], name[128];
	long id;
	int pfd;

	*out = NULL;
	if (!sec || sscanf(sec, "tracepoint/%63[^/]/%127s", category, name) != 2) {
		*out = bpf_program__attach(prog);
		if (*out)
			return 0;
		id = -errno;
		elog("cannot attach %s: %s\n", bpf_program__name(prog), strerror((int)-id));
		return (int)id;
	}
	id = tp_id(category, name);
	if (id < 0)
		return (int)id; /* said */
	a.config = id;
	/* one event on CPU 0 runs the program on every CPU, as libbpf's does */
	pfd = syscall(__NR_perf_event_open, &a, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0)
		goto fail;
	*out = bpf_program__attach_perf_event(prog, pfd);
	if (*out)
		return 0;
	close(pfd);
fail:
	id = -errno;
	elog("cannot attach tracepoint %s/%s: %s\n", category, name, strerror((int)-id));
	return (int)id;
}
