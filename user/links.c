// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "links.h"
#include "log.h"
#include "tracefs.h"
#include "util.h"

struct lt_doomed {
	struct bpf_link *link;
	int fd;
};

struct links {
	bool multi;		/* uprobes through uprobe_multi links */
	/* as many as the target's (or, with -a, the host's) libcs need */
	struct lt_link *links;
	int nlinks;
	size_t clinks;
	struct lt_file **files;	/* each its own: links point into them */
	int nfiles;
	size_t cfiles;
	/* Detaching waits in the kernel: do it off the main loop, one batch
	 * at a time. */
	pthread_t reaper;
	bool reaping;
	struct lt_doomed *doomed;	/* resized only while no reaper runs */
	int ndoomed;
	size_t cdoomed;
	double last_detach_s;	/* how long the last batch took */
	int *fds;		/* uprobe sessions' links, as plain fds */
	int nfds;
	size_t cfds;
};

int links_new(bool multi, struct links **out)
{
	struct links *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->multi = multi;
	*out = l;
	return 0;
}

/* Hold path's file (one entry per inode). 0 or -errno. */
int links_hold_file(struct links *l, const char *path, struct lt_file **out)
{
	struct lt_file *f;
	struct stat st;
	int fd, err;

	/* a FIFO or device put where the target's file was must not block us */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto cleanup;
	}
	for (int i = 0; i < l->nfiles; i++) {
		if (l->files[i]->dev == st.st_dev && l->files[i]->ino == st.st_ino) {
			*out = l->files[i];
			err = 0;
			goto cleanup;
		}
	}
	err = lt_grow(&l->files, &l->cfiles, l->nfiles, sizeof(*l->files));
	if (err)
		goto cleanup;
	err = -ENOMEM;
	f = calloc(1, sizeof(*f));
	if (!f)
		goto cleanup;
	f->name = strdup(path);
	if (!f->name) {
		free(f);
		goto cleanup;
	}
	l->files[l->nfiles] = f;
	f->fd = fd;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	snprintf(f->at, sizeof(f->at), "/proc/self/fd/%d", fd);
	l->nfiles++;
	*out = f;
	return 0;
cleanup:
	close(fd);
	return err;
}


/* uprobe_multi's link_create attributes, which the system's libbpf 1.1 and
 * UAPI headers predate (kernel 6.6 ABI) */
#define LT_F_UPROBE_MULTI_RETURN 1U

struct lt_uprobe_multi_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 multi_flags;
	__u32 pid;
};

static int multi_attach(const struct lt_link *k)
{
	union bpf_attr attr;
	struct lt_uprobe_multi_attr *a = (void *)&attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	a->prog_fd = bpf_program__fd(k->prog);
	a->attach_type = LT_TRACE_UPROBE_MULTI;
	a->path = (uintptr_t)k->path;
	a->offsets = (uintptr_t)k->offs;
	a->cookies = (uintptr_t)k->cookies;
	a->cnt = k->n;
	a->multi_flags = k->ret ? LT_F_UPROBE_MULTI_RETURN : 0;
	a->pid = k->pid;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

/* Attach k: a uprobe_multi link, a perf-event uprobe, or where its SEC()
 * says. 0 or -errno. */
static int do_attach(bool multi, struct lt_link *k)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .bpf_cookie = k->cookies[0], .retprobe = k->ret);

	if (multi && k->path) {
		k->fd = multi_attach(k);
		return k->fd < 0 ? k->fd : 0;
	}
	if (!k->path) /* tracepoints, without leaving a tracefs mount */
		return tracefs_attach(k->prog, &k->link);
	k->link = bpf_program__attach_uprobe_opts(k->prog, k->pid ?: -1 /* -a: all */, k->path,
						  k->offs[0], &uo);
	return k->link ? 0 : -errno;
}

static bool attached(const struct lt_link *k)
{
	return k->link || k->fd >= 0;
}

int links_attach(struct links *l, const struct lt_link *k, const char *what)
{
	struct lt_link *n;
	int err;

	err = lt_grow(&l->links, &l->clinks, l->nlinks, sizeof(*l->links));
	if (err)
		return err;
	n = &l->links[l->nlinks];
	*n = *k;
	n->link = NULL;
	n->fd = -1;
	err = do_attach(l->multi, n);
	if (err) {
		if (k->path && !lt_pid_gone(k->pid)) /* tracepoints say their own */
			elog("cannot attach %s: %s\n", what, strerror(-err));
		return err;
	}
	l->nlinks++;
	return 0;
}

/* Add one probe site. Perf-event uprobes attach at once; uprobe_multi sites
 * of one program gather in one pending link (see links_flush()). */
int links_add_site(struct links *l, const struct lt_link *k, const char *what)
{
	struct lt_link *p;

	if (!l->multi)
		return links_attach(l, k, what);
	for (int i = 0; i < l->nlinks; i++) {
		p = &l->links[i];
		if (p->pending && p->prog == k->prog && p->ret == k->ret && p->pid == k->pid &&
		    p->n < MULTI_MAX) {
			p->offs[p->n] = k->offs[0];
			p->cookies[p->n++] = k->cookies[0];
			return 0;
		}
	}
	if (lt_grow(&l->links, &l->clinks, l->nlinks, sizeof(*l->links)))
		return -ENOMEM;
	p = &l->links[l->nlinks++];
	*p = *k;
	p->link = NULL;
	p->fd = -1;
	p->n = 1;
	p->pending = true;
	return 0;
}

/*
 * Return probes go in before entry probes: an entry seen without its return
 * would leave the thread's nesting state waiting for a return that never
 * comes (see enter() in the BPF code).
 */
int links_flush(struct links *l)
{
	int err = 0;

	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < l->nlinks; i++) {
			struct lt_link *p = &l->links[i];

			if (!p->pending || p->ret != !pass)
				continue;
			p->pending = false;
			if (!err) {
				err = do_attach(true, p);
				if (err && !lt_pid_gone(p->pid))
					elog("cannot attach %s uprobes on %s: %s\n",
					     bpf_program__name(p->prog), p->name, strerror(-err));
			}
		}
	}
	return err;
}

#define REAP_THREADS 16

struct reap_part {
	struct links *l;
	int first;
};

static void *reap_part(void *arg)
{
	struct reap_part *p = arg;

	for (int i = p->first; i < p->l->ndoomed; i += REAP_THREADS) {
		bpf_link__destroy(p->l->doomed[i].link);
		if (p->l->doomed[i].fd >= 0)
			close(p->l->doomed[i].fd);
	}
	return NULL;
}

/* Each detach waits for RCU grace periods; uprobe_multi links detached in
 * parallel share them (8 links: ~75 ms in parallel, ~400 ms one by one). */
static void *reap(void *arg)
{
	struct reap_part parts[REAP_THREADS];
	pthread_t th[REAP_THREADS];
	struct links *l = arg;
	struct timespec a, b;
	int n = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < REAP_THREADS && i < l->ndoomed; i++) {
		parts[i] = (struct reap_part){ l, i };
		if (pthread_create(&th[n], NULL, reap_part, &parts[i]))
			reap_part(&parts[i]);
		else
			n++;
	}
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	l->last_detach_s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	dlog("detached %d links in %.0f ms\n", l->ndoomed, l->last_detach_s * 1e3);
	return NULL;
}

static void reaper_join(struct links *l)
{
	if (!l->reaping)
		return;
	pthread_join(l->reaper, NULL);
	l->reaping = false;
	l->ndoomed = 0;
}

bool links_detaching(struct links *l)
{
	if (l->reaping && pthread_tryjoin_np(l->reaper, NULL) == 0) {
		l->reaping = false;
		l->ndoomed = 0;
	}
	return l->reaping;
}

static bool of_pids(const struct lt_link *k, const int *pids, size_t npids)
{
	for (size_t j = 0; j < npids; j++)
		if (k->pid == pids[j])
			return true;
	return false;
}

/* Detach the links that groups or one of pids[] name, in the background;
 * forget those of pids[] and calibration ones. Returns how many. */
static int drop(struct links *l, unsigned int groups, const int *pids, size_t npids)
{
	int n = 0, any = 0;

	/* nothing to do: no wait for the last batch's detach either */
	for (int i = 0; i < l->nlinks && !any; i++) {
		const struct lt_link *k = &l->links[i];

		any = (groups & k->group) || of_pids(k, pids, npids) ||
		      (k->group == LT_LINK_CALIB && !attached(k));
	}
	if (!any)
		return 0;
	reaper_join(l);
	if ((size_t)l->nlinks > l->cdoomed) {
		struct lt_doomed *d = realloc(l->doomed, l->nlinks * sizeof(*d));

		if (!d)
			return 0; /* no memory: nothing detached */
		l->doomed = d;
		l->cdoomed = l->nlinks;
	}
	for (int i = 0; i < l->nlinks;) {
		struct lt_link *k = &l->links[i];
		bool gone = of_pids(k, pids, npids);

		if (attached(k) && (gone || (groups & k->group))) {
			l->doomed[l->ndoomed].link = k->link;
			l->doomed[l->ndoomed++].fd = k->fd;
			k->link = NULL;
			k->fd = -1;
			n++;
		}
		/* calibration links and those of processes gone are gone for good */
		if (gone || (k->group == LT_LINK_CALIB && !attached(k)))
			l->links[i] = l->links[--l->nlinks];
		else
			i++;
	}
	if (!l->ndoomed)
		return n;
	if (!pthread_create(&l->reaper, NULL, reap, l))
		l->reaping = true;
	else
		reap(l), l->ndoomed = 0;
	return n;
}

int links_drop(struct links *l, unsigned int groups)
{
	return drop(l, groups, NULL, 0);
}

int links_forget_pids(struct links *l, const int *pids, size_t n)
{
	return n ? drop(l, 0, pids, n) : 0;
}

int links_reattach(struct links *l, unsigned int groups)
{
	struct timespec a, b;
	int err = 0, n = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	/* each one that can: one failing (its file gone, say) leaves no other off */
	for (int i = 0; i < 2 * l->nlinks; i++) { /* returns first */
		struct lt_link *k = &l->links[i % l->nlinks];
		int e;

		if (!(groups & k->group) || attached(k) || k->ret != (i < l->nlinks))
			continue;
		e = do_attach(l->multi, k);
		if (e)
			dlog("cannot re-attach %s on %s: %s\n", bpf_program__name(k->prog),
			     k->name ?: "its tracepoint", strerror(-e));
		else
			n++;
		err = err ?: e;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	dlog("attached %d links in %.0f ms\n", n,
	     (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
	return err;
}

bool links_holds(const struct links *l, dev_t dev, ino_t ino)
{
	return links_held_at(l, dev, ino) != NULL;
}

const char *links_held_at(const struct links *l, dev_t dev, ino_t ino)
{
	for (int i = 0; i < l->nfiles; i++)
		if (l->files[i]->dev == dev && l->files[i]->ino == ino)
			return l->files[i]->at;
	return NULL;
}

int links_add_fd(struct links *l, int fd)
{
	int err = lt_grow(&l->fds, &l->cfds, l->nfds, sizeof(*l->fds));

	if (err)
		return err;
	l->fds[l->nfds++] = fd;
	return 0;
}

void links_detach(struct links *l)
{
	links_drop(l, ~0U);
	reaper_join(l);
	l->nlinks = 0;
	for (int i = 0; i < l->nfds; i++)
		close(l->fds[i]);
	l->nfds = 0;
}

void links_free(struct links *l)
{
	if (!l)
		return;
	links_detach(l);
	for (int i = 0; i < l->nfiles; i++) {
		free(l->files[i]->name);
		close(l->files[i]->fd);
		free(l->files[i]);
	}
	free(l->files);
	free(l->links);
	free(l->doomed);
	free(l->fds);
	free(l);
}
