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

/* A tracepoint: its id file, below a tracefs mount, and the id read there. */
struct tp_id {
	char path[256];	/* events/CATEGORY/NAME/id */
	long id;	/* or -errno */
};

/* Ids read from a private tracefs by tracefs_prefetch(): every tracepoint
 * program's, under one mount. */
static struct tp_id *cached;
static int ncached;
static int prefetch_err;	/* why that mount failed; 0: it did not */

struct tp_req {
	struct tp_id *ids;
	int n;
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

/* In a thread of its own: its own mount namespace, private, with tracefs;
 * every id of the request read under that one mount. */
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
	for (int i = 0; i < r->n; i++) {
		snprintf(p, sizeof(p), TRACEFS "/%s", r->ids[i].path);
		r->ids[i].id = read_id(p);
	}
	return NULL; /* the namespace, and the mount, end with the thread */
}

static int read_private(struct tp_req *r)
{
	pthread_t t;

	if ((r->err = -pthread_create(&t, NULL, private_tracefs, r)) == 0)
		pthread_join(t, NULL);
	return r->mounted ? 0 : r->err;
}

/* From the tracefs in sight: the id, -ENOENT where none is mounted. */
static long visible_id(const char *path)
{
	static const char *const dirs[] = { TRACEFS, "/sys/kernel/debug/tracing" };
	char p[320];
	long id = -ENOENT;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dirs[i], path);
		id = read_id(p);
		if (id != -ENOENT)
			return id;
	}
	return id;
}

static bool tp_section(const struct bpf_program *prog, char *category, char *name)
{
	const char *sec = bpf_program__section_name(prog);

	return sec && sscanf(sec, "tracepoint/%63[^/]/%127s", category, name) == 2;
}

void tracefs_prefetch(const struct bpf_object *obj)
{
	struct tp_req r = { 0 };
	struct bpf_program *prog;
	char category[64], name[128];
	size_t n = 0;

	bpf_object__for_each_program(prog, obj)
		n += bpf_program__autoload(prog) && tp_section(prog, category, name);
	if (!n || cached || !(r.ids = calloc(n, sizeof(*r.ids))))
		return;
	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__autoload(prog) || !tp_section(prog, category, name))
			continue;
		snprintf(r.ids[r.n++].path, sizeof(r.ids->path), "events/%s/%s/id", category,
			 name);
	}
	if (visible_id(r.ids[0].path) != -ENOENT) { /* tracefs in sight: nothing to do */
		free(r.ids);
		return;
	}
	prefetch_err = read_private(&r);
	if (prefetch_err) {
		free(r.ids);
		return;
	}
	vlog("%d tracepoint ids from a tracefs of our own\n", r.n);
	cached = r.ids;
	ncached = r.n;
}

static long private_id(const char *category, const char *name, long id)
{
	if (id < 0)
		elog("cannot read the id of tracepoint %s/%s from a tracefs of our own: %s\n",
		     category, name, strerror((int)-id));
	else
		dlog("tracepoint %s/%s: id %ld from a tracefs of our own\n", category, name, id);
	return id;
}

/* The tracepoint's id: from the tracefs in sight, else from a private one. */
static long tp_id(const char *category, const char *name)
{
	struct tp_id one = { .id = -ENOENT };
	struct tp_req r = { .ids = &one, .n = 1 };
	long id;

	snprintf(one.path, sizeof(one.path), "events/%s/%s/id", category, name);
	id = visible_id(one.path);
	if (id != -ENOENT)
		return id;
	for (int i = 0; i < ncached; i++)
		if (!strcmp(cached[i].path, one.path))
			return private_id(category, name, cached[i].id);
	/* a program tracefs_prefetch() did not see; no second try at a
	 * mount that failed */
	r.err = prefetch_err ?: read_private(&r);
	if (r.err) {
		elog("cannot attach tracepoint %s/%s: tracefs is not mounted and mounting one "
		     "needs CAP_SYS_ADMIN: %s\n", category, name, strerror(-r.err));
		return r.err;
	}
	return private_id(category, name, one.id);
}

int tracefs_attach(struct bpf_program *prog, struct bpf_link **out)
{
	struct perf_event_attr a = { .type = PERF_TYPE_TRACEPOINT, .size = sizeof(a),
				     .sample_period = 1, .wakeup_events = 1 };
	char category[64], name[128];
	long id;
	int pfd;

	*out = NULL;
	if (!tp_section(prog, category, name)) {
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
