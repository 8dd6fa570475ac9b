// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
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

struct tp_req {
	char path[256];	/* events/CATEGORY/NAME/id, below the mount */
	long id;
	int err;
	bool mounted;
};

static long read_id(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EINVAL;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/* In a thread of its own: its own mount namespace, private, with tracefs. */
static void *private_tracefs(void *arg)
{
	struct tp_req *r = arg;
	char p[320];

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		r->err = -errno;
		return NULL;
	}
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL)) {
		r->err = -errno;
		return NULL;
	}
	r->mounted = true;
	snprintf(p, sizeof(p), TRACEFS "/%s", r->path);
	r->id = read_id(p);
	if (r->id < 0)
		r->err = (int)r->id;
	return NULL; /* the namespace, and the mount, end with the thread */
}

/* The tracepoint's id: from the tracefs in sight, else from a private one. */
static long tp_id(const char *category, const char *name)
{
	static const char *const dirs[] = { TRACEFS, "/sys/kernel/debug/tracing" };
	struct tp_req r = { 0 };
	pthread_t t;
	char p[320];
	long id;

	snprintf(r.path, sizeof(r.path), "events/%s/%s/id", category, name);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dirs[i], r.path);
		id = read_id(p);
		if (id >= 0 || id != -ENOENT)
			return id;
	}
	if ((r.err = -pthread_create(&t, NULL, private_tracefs, &r)) == 0)
		pthread_join(t, NULL);
	if (!r.mounted) {
		elog("cannot attach tracepoint %s/%s: tracefs is not mounted and mounting one "
		     "needs CAP_SYS_ADMIN: %s\n", category, name, strerror(-r.err));
		return r.err;
	}
	vlog("tracepoint %s/%s: id %ld from a tracefs of our own\n", category, name, r.id);
	return r.err ? r.err : r.id;
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
