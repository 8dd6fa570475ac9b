// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "leaktrace.h"
#include "leaktrace.skel.h"
#include "aggregate.h"
#include "budget.h"
#include "loader.h"
#include "log.h"
#include "procfilter.h"
#include "proclinks.h"
#include "procs.h"
#include "procs_int.h"
#include "python.h"
#include "symbolize.h"
#include "unwind_maps.h"
#include "util.h"

#define SETTLE_S 0.1	/* look for CPython once a burst of code mappings ends */

static bool set_has(const struct file_set *s, const struct stat *st)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].dev == st->st_dev && s->v[i].ino == st->st_ino)
			return true;
	return false;
}

static void set_add(struct file_set *s, const struct stat *st)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 16;
		struct file_id *nv = realloc(s->v, ncap * sizeof(*nv));

		if (!nv)
			return; /* only a cache: it will be looked at again */
		s->v = nv;
		s->cap = ncap;
	}
	s->v[s->n++] = (struct file_id){ st->st_dev, st->st_ino };
}

struct lt_pstate *procs_find(struct procs *ps, uint32_t tgid, uint32_t epoch)
{
	for (struct lt_pstate *p = ps->buckets[tgid % NBUCKETS]; p; p = p->next)
		if (p->tgid == tgid && p->epoch == epoch)
			return p;
	return NULL;
}

static struct lt_pstate *find_live(struct procs *ps, uint32_t tgid)
{
	for (struct lt_pstate *p = ps->buckets[tgid % NBUCKETS]; p; p = p->next)
		if (p->tgid == tgid && !p->gone)
			return p;
	return NULL;
}

static void mark_gone(struct procs *ps, struct lt_pstate *p)
{
	if (p->gone)
		return;
	p->gone = true;
	p->gone_s = ps->now;
	ps->nlive--;
	/* its table must not serve a new image's stacks (exec) */
	if (!find_live(ps, p->tgid))
		unwind_maps_forget(ps->uw, p->tgid);
}

/* A new image: an older one of the same tgid is gone (its exit or exec
 * event may come later or have been lost). */
static struct lt_pstate *add(struct procs *ps, uint32_t tgid, uint32_t epoch, uint32_t ppid,
			     const char *comm)
{
	struct lt_pstate *p = procs_find(ps, tgid, epoch), *old;

	if (p && !p->gone)
		return p;
	if (p) /* a gone image's number came back (pid reuse): it is new */
		p->epoch |= 0x80000000u; /* park it apart until purged */
	while ((old = find_live(ps, tgid)))
		mark_gone(ps, old);
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->tgid = tgid;
	p->epoch = epoch;
	p->ppid = ppid;
	p->seen_s = ps->now;
	p->dirty_s = ps->now;
	if (comm) /* the event's: a fork's child is named after its parent */
		snprintf(p->comm, sizeof(p->comm), "%s", comm);
	else
		proc_comm(tgid, p->comm, sizeof(p->comm));
	proc_cgroup_path(tgid, p->cgroup, sizeof(p->cgroup));
	p->next = ps->buckets[tgid % NBUCKETS];
	ps->buckets[tgid % NBUCKETS] = p;
	ps->n++;
	ps->nlive++;
	return p;
}

void procs_pstate_free(struct lt_pstate *p)
{
	python_free(p->py);
	free(p->py_unsupported);
	symbolizer_free(p->sym);
	free(p->labels);
	free(p);
}

/* In lt_procs now (BPF keeps it: a new image that passes the filters). */
static bool traced_now(struct procs *ps, uint32_t tgid)
{
	struct lt_proc v;

	return !bpf_map_lookup_elem(bpf_map__fd(ps->skel->maps.lt_procs), &tgid, &v);
}

static int on_proc_event(void *arg, void *data, size_t len)
{
	struct procs *ps = arg;
	const struct lt_proc_event *e = data;
	struct lt_pstate *p;

	if (len < sizeof(*e))
		return 0;
	switch (e->type) {
	case LT_EV_NEW:
	case LT_EV_NEW_HELD:
		p = add(ps, e->tgid, e->epoch, e->ppid, e->comm);
		/* its own probes at once: a fork runs on; an exec waits, held */
		if (p && ps->pl)
			proclinks_add(ps->pl, p->tgid);
		if (e->type == LT_EV_NEW_HELD && ps->pl)
			proclinks_release(ps->pl, e->tgid);
		break;
	case LT_EV_EXIT:
		p = procs_find(ps, e->tgid, e->epoch);
		if (p)
			mark_gone(ps, p);
		/* an exec into an image still traced keeps its links (they
		 * are the task's); an exit's go, even if its number is
		 * traced again already (a new process's) */
		if (ps->pl && (e->ppid != LT_EXIT_EXEC || !traced_now(ps, e->tgid)))
			proclinks_gone(ps->pl, e->tgid);
		break;
	case LT_EV_MAPS:
		p = find_live(ps, e->tgid);
		if (p && !p->dirty_s)
			p->dirty_s = ps->now;
		break;
	}
	return 0;
}

static int on_new_stack(void *arg, void *data, size_t len)
{
	struct procs *ps = arg;
	const struct lt_newstack *ns = data;
	struct lt_pstate *p;

	if (len < sizeof(*ns))
		return 0;
	p = procs_find(ps, ns->tgid, ns->epoch);
	if (p && p->py)
		python_prefetch_one(p->py, bpf_map__fd(ps->skel->maps.lt_stacks), ns->id);
	return 0;
}

/* Kernel threads have no executable. */
static bool user_process(int pid)
{
	char path[64], buf[16];

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	return readlink(path, buf, sizeof(buf)) > 0;
}

/*
 * The unwind tables of the processes running now, built before the probes
 * are on (procs_scan() then only loads each one's mappings, at once, so its
 * first traced stacks are walked as its later ones).
 */
static void prewarm_unwind(struct procs *ps)
{
	struct dirent *de;
	DIR *d = opendir("/proc");

	while (d && (de = readdir(d))) {
		int pid = atoi(de->d_name);

		if (pid > 0 && pid != getpid() && user_process(pid) &&
		    procfilter_match(ps->env, ps->has_cg ? &ps->cg : NULL, pid))
			unwind_maps_update(ps->uw, pid);
	}
	if (d)
		closedir(d);
}

int procs_new(const struct lt_env *env, struct loader *ld, struct proclinks *pl, bool lite,
	      struct procs **out)
{
	struct procs *ps = calloc(1, sizeof(*ps));
	int err = 0;

	if (!ps)
		return -ENOMEM;
	ps->env = env;
	ps->ld = ld;
	ps->pl = pl;
	ps->skel = loader_skel(ld);
	ps->lite = lite;
	hmap_init(&ps->stacks, sizeof(struct stack_own), sizeof(uint64_t), 1024);
	ps->clk_tck = sysconf(_SC_CLK_TCK);
	if (env->cgroup) {
		err = procfilter_cgroup(env->cgroup, &ps->cg);
		if (err)
			goto cleanup;
		ps->has_cg = true;
	}
	err = unwind_maps_new(ps->skel, NULL, &ps->uw);
	if (err)
		goto cleanup;
	prewarm_unwind(ps);
	ps->rb = ring_buffer__new(bpf_map__fd(ps->skel->maps.lt_procevents), on_proc_event, ps,
				  NULL);
	if (!ps->rb || ring_buffer__add(ps->rb, bpf_map__fd(ps->skel->maps.lt_newstacks),
					on_new_stack, ps)) {
		err = -errno ?: -ENOMEM;
		goto cleanup;
	}
	*out = ps;
	return 0;
cleanup:
	procs_free(ps);
	return err;
}

void procs_free(struct procs *ps)
{
	if (!ps)
		return;
	for (size_t b = 0; b < NBUCKETS; b++) {
		struct lt_pstate *p = ps->buckets[b], *next;

		for (; p; p = next) {
			next = p->next;
			procs_pstate_free(p);
		}
	}
	ring_buffer__free(ps->rb);
	unwind_maps_free(ps->uw);
	free(ps->list);
	free(ps->pythons.v);
	free(ps->not_python.v);
	for (size_t i = 0; i < ps->unsupported.n; i++)
		free(ps->unsupported_why[i]);
	free(ps->unsupported.v);
	free(ps->unsupported_why);
	hmap_free(&ps->stacks);
	free(ps->loads);
	free(ps);
}

static void ensure_libc(struct procs *ps, struct lt_pstate *p);

int procs_scan(struct procs *ps, double now)
{
	int fd = bpf_map__fd(ps->skel->maps.lt_procs);
	struct lt_proc zero = {};
	struct lt_pstate *p;
	struct dirent *de;
	DIR *d;

	ps->now = now;
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		int pid = atoi(de->d_name);
		__u32 tgid = pid;

		if (pid <= 0 || pid == getpid() || !user_process(pid) ||
		    !procfilter_match(ps->env, ps->has_cg ? &ps->cg : NULL, pid))
			continue;
		/* EEXIST: it forked or exec'd since the tracepoints went on */
		if (bpf_map_update_elem(fd, &tgid, &zero, BPF_NOEXIST) && errno != EEXIST) {
			if (errno != E2BIG)
				continue;
			wlog("more than --max-procs %u processes: pid %d and others not traced\n",
			     ps->env->max_procs, pid);
			break;
		}
		/* running already: its libc (a container's or chroot's maybe) is
		 * probed now, as a new process's is once it maps its code */
		if (!find_live(ps, pid) && (p = add(ps, pid, 0, 0, NULL)))
			ensure_libc(ps, p);
		unwind_maps_update(ps->uw, pid);
	}
	closedir(d);
	/* from now on, new processes' tables are built aside */
	return unwind_maps_start_thread(ps->uw);
}

void procs_poll(struct procs *ps, int timeout_ms, double now)
{
	ps->now = now;
	if (ring_buffer__poll(ps->rb, timeout_ms) < 0)
		usleep(timeout_ms * 1000);
}

/* Hand the BPF walker p's CPython, if the image in lt_procs is still p's. */
static void push_py(struct procs *ps, struct lt_pstate *p)
{
	int fd = bpf_map__fd(ps->skel->maps.lt_procs);
	struct lt_proc v;
	__u32 tgid = p->tgid;

	if (bpf_map_lookup_elem(fd, &tgid, &v) || v.epoch != p->epoch)
		return;
	python_fill_cfg(p->py, &v.py);
	v.py.enabled = 1;
	bpf_map_update_elem(fd, &tgid, &v, BPF_EXIST);
}

/* Its libc, if no probe is on that file yet (a container's own). */
static void ensure_libc(struct procs *ps, struct lt_pstate *p)
{
	if (ps->pl)
		proclinks_add(ps->pl, p->tgid);
	else
		loader_follow_libc(ps->ld, p->tgid);
}

/* A libpython in pid's maps (cheaper than python_detect()'s ELF reads). */
static bool maps_libpython(uint32_t pid)
{
	char path[64], line[4200];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	f = fopen(path, "re");
	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, "/libpython3.") != NULL;
	if (f)
		fclose(f);
	return found;
}

/* Is it CPython? Executables already found not to be are skipped, unless
 * the process has since mapped a libpython. */
static void remember_unsupported(struct procs *ps, const struct stat *exe, const char *why)
{
	size_t n = ps->unsupported.n;
	char **nw = realloc(ps->unsupported_why, (n + 1) * sizeof(*nw));

	if (!nw)
		return;
	ps->unsupported_why = nw;
	set_add(&ps->unsupported, exe);
	if (ps->unsupported.n == n + 1 && !(nw[n] = strdup(why)))
		ps->unsupported.n = n; /* no reason to give: forget it */
}

static void look_for_python(struct procs *ps, struct lt_pstate *p)
{
	char path[64], why[256];
	struct stat exe;
	bool libpython = false;
	int err;

	snprintf(path, sizeof(path), "/proc/%u/exe", p->tgid);
	if (stat(path, &exe))
		return;
	if (set_has(&ps->not_python, &exe) && !(libpython = maps_libpython(p->tgid))) {
		for (size_t i = 0; i < ps->unsupported.n && !p->py_unsupported; i++)
			if (ps->unsupported.v[i].dev == exe.st_dev &&
			    ps->unsupported.v[i].ino == exe.st_ino)
				p->py_unsupported = strdup(ps->unsupported_why[i]);
		return;
	}
	err = python_detect(p->tgid, &p->py, why, sizeof(why));
	if (err) {
		p->py = NULL;
		if (err == -ENOTSUP && !p->py_unsupported)
			p->py_unsupported = strdup(why);
		if (!libpython && (err == -ENOENT || err == -ENOTSUP))
			set_add(&ps->not_python, &exe);
		if (!libpython && err == -ENOTSUP)
			remember_unsupported(ps, &exe, why);
		return;
	}
	p->py_done = true;
	if (!ps->lite) {
		struct stat st;

		/* per-process links: each process its own */
		if (!stat(python_module(p->py), &st) && (ps->pl || !set_has(&ps->pythons, &st))) {
			if (!ps->pl) /* the set is of files probed for every process */
				set_add(&ps->pythons, &st);
			if (loader_attach_python(ps->ld, python_module(p->py),
						 python_lto_stripped(p->py), false,
						 ps->pl ? (int)p->tgid : 0))
				wlog("cannot probe CPython's allocators in %s\n",
				     python_module(p->py));
		}
	}
	push_py(ps, p);
	/* said once its frames are walked: tests wait for this line */
	vlog("pid %u (%s): CPython %s\n", p->tgid, p->comm, python_version(p->py));
}

void procs_tick(struct procs *ps, double now)
{
	uint64_t lost;

	ps->now = now;
	proclinks_flush(ps->pl);
	/* New-stack notices lost (ring full): their stacks are read from the
	 * map instead, once a second at most, before their code objects go. */
	if (now - ps->caught_up_s >= 1) {
		ps->caught_up_s = now;
		lost = loader_counter(ps->ld, LT_CNT_NEWSTACKS_LOST);
		if (lost != ps->newstacks_lost) {
			ps->newstacks_lost = lost;
			procs_learn_stacks(ps);
		}
	}
	for (size_t b = 0; b < NBUCKETS; b++) {
		for (struct lt_pstate *p = ps->buckets[b]; p; p = p->next) {
			if (p->gone || !p->dirty_s || now - p->dirty_s < SETTLE_S)
				continue;
			p->dirty_s = 0;
			unwind_maps_update(ps->uw, p->tgid);
			ensure_libc(ps, p);
			if (!p->py_done)
				look_for_python(ps, p);
			if (p->sym)
				symbolizer_refresh(p->sym);
		}
	}
}

struct lt_pstate **procs_list(struct procs *ps, size_t *n)
{
	size_t k = 0;

	if (ps->list_cap < ps->n) {
		struct lt_pstate **nl = realloc(ps->list, ps->n * sizeof(*nl));

		if (!nl) {
			*n = 0;
			return ps->list;
		}
		ps->list = nl;
		ps->list_cap = ps->n;
	}
	for (size_t b = 0; b < NBUCKETS; b++)
		for (struct lt_pstate *p = ps->buckets[b]; p; p = p->next)
			ps->list[k++] = p;
	*n = k;
	return ps->list;
}

size_t procs_live(const struct procs *ps)
{
	return ps->nlive;
}

size_t procs_loads(void *arg, struct lt_proc_load **out)
{
	struct procs *ps = arg;
	int fd = bpf_map__fd(ps->skel->maps.lt_procs);
	size_t n = 0;

	if (ps->loads_cap < ps->nlive) {
		struct lt_proc_load *nl = realloc(ps->loads, ps->nlive * sizeof(*nl));

		if (!nl)
			return 0;
		ps->loads = nl;
		ps->loads_cap = ps->nlive;
	}
	for (size_t b = 0; b < NBUCKETS; b++) {
		for (struct lt_pstate *p = ps->buckets[b]; p; p = p->next) {
			struct lt_proc v;
			uint64_t now[3];
			__u32 key = p->tgid;

			if (p->gone || bpf_map_lookup_elem(fd, &key, &v) || v.epoch != p->epoch)
				continue;
			now[0] = v.alloc_hits;
			now[1] = v.free_hits;
			now[2] = budget_cpu_ticks(p->tgid);
			/* the first window of a process sets its base */
			if (p->load_base[2] && now[2] >= p->load_base[2] && n < ps->loads_cap)
				ps->loads[n++] = (struct lt_proc_load){
					.pid = p->tgid,
					.cpu_ns = (double)(now[2] - p->load_base[2]) * 1e9 / ps->clk_tck,
					.alloc_runs = now[0] - p->load_base[0],
					.free_runs = now[1] - p->load_base[1],
				};
			memcpy(p->load_base, now, sizeof(now));
		}
	}
	*out = ps->loads;
	return n;
}

int procs_hits(void *arg, int pid, uint64_t *alloc_hits, uint64_t *free_hits)
{
	struct procs *ps = arg;
	struct lt_proc v;
	__u32 key = pid;

	if (bpf_map_lookup_elem(bpf_map__fd(ps->skel->maps.lt_procs), &key, &v))
		return -ESRCH;
	*alloc_hits = v.alloc_hits;
	*free_hits = v.free_hits;
	return 0;
}

struct symbolizer *procs_symbolizer(struct procs *ps, struct lt_pstate *p)
{
	if (!p->sym && !p->gone)
		symbolizer_new(p->tgid, &p->sym);
	return p->sym;
}

void procs_reconcile(struct procs *ps, double now)
{
	int fd = bpf_map__fd(ps->skel->maps.lt_procs);
	__u32 key, next;
	struct lt_proc v;
	int err;

	ps->now = now;
	/* the events in the ring first: an image they are about to announce
	 * (an exec held for its links, say) is not one that came unsaid */
	ring_buffer__consume(ps->rb);
	/* gone without a word (ring full) */
	for (size_t b = 0; b < NBUCKETS; b++)
		for (struct lt_pstate *p = ps->buckets[b]; p; p = p->next) {
			key = p->tgid;
			if (!p->gone && (bpf_map_lookup_elem(fd, &key, &v) || v.epoch != p->epoch))
				mark_gone(ps, p);
		}
	/* arrived without a word */
	for (err = bpf_map_get_next_key(fd, NULL, &next); !err;
	     err = bpf_map_get_next_key(fd, &key, &next)) {
		key = next;
		if (!bpf_map_lookup_elem(fd, &key, &v) && !procs_find(ps, key, v.epoch)) {
			if (kill(key, 0) && errno == ESRCH) /* and gone: its exit was lost too */
				bpf_map_delete_elem(fd, &key);
			else
				add(ps, key, v.epoch, 0, NULL);
		}
	}
}
