// SPDX-License-Identifier: MIT
/*
 * Loading unwind tables into the BPF maps. Modules are identified by device
 * and inode, loaded once (rows and pages appended, rules deduplicated across
 * modules) and shared by every process that maps them; a process's table is
 * its executable mappings with, for each, the module-relative base and the
 * module's index. Tables are never unloaded: the arrays only fill up, and a
 * module that no longer fits is walked with frame pointers (said once).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "leaktrace.h"
#include "leaktrace.skel.h"
#include "hmap.h"
#include "log.h"
#include "mapfile.h"
#include "procmaps.h"
#include "unwind_maps.h"
#include "unwind_table.h"
#include "util.h"

/* Limits on what is loaded (each module's array is sized to its table, so
 * the kernel holds only what is used): 8 and 32 MiB of 8-byte entries */
#define UW_ENTS (1U << 20)
#define UW_ENTS_ALL (1U << 22)
#define UW_RULES 4096
#define UW_MODS 1024
#define UW_MODS_ALL 8192
#define UW_DEFAULT_CACHE "/var/cache/leaktrace/unwind"

struct uw_mod {
	uint64_t dev, ino;		/* the key (hmap: its first 16 bytes) */
	uint32_t id;			/* lt_uw_tabs index; 0: no table */
	bool fp;			/* LT_UW_MAP_FP */
	uint32_t nsegs;
	uint64_t lo;
	struct uw_seg segs[UW_MAX_SEGS];
};

struct unwind_maps {
	struct leaktrace_bpf *skel;
	bool single;			/* one process: lt_uw_proc1, else lt_uw_procs */
	bool off;			/* LEAKTRACE_UNWIND=fp: frame pointers only */
	char *cache_dir;
	struct hmap mods;		/* of uw_mod, by (dev, ino) */
	struct lt_uw_rule rules[UW_RULES];
	uint32_t nrules, nrows, npages, next_mod, max_ents, max_mods;
	uint32_t built, cached, full_said;
	uint64_t memlock;		/* the modules' arrays, as the kernel counts them */
	double build_s;
	struct lt_uw_proc *val;		/* scratch for a process's table */
	/* -a's worker: a ring of pids (negative: forget) */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool threaded, stop;
	int *queue;
	size_t qhead, qlen, qcap;
};

static int update_now(struct unwind_maps *u, int pid);

/* A BPF map's memory as the kernel accounts it (fdinfo's memlock), or 0. */
static uint64_t fd_memlock(int fd)
{
	unsigned long long v = 0;
	char path[64], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}
static void forget_now(struct unwind_maps *u, int pid);

void unwind_maps_size(struct leaktrace_bpf *skel, unsigned int max_procs)
{
	bool all = max_procs;

	bpf_map__set_max_entries(skel->maps.lt_uw_tabs, all ? UW_MODS_ALL : UW_MODS);
	bpf_map__set_max_entries(skel->maps.lt_uw_rules, UW_RULES);
	/* allocated as processes come: a table is 16 KiB */
	bpf_map__set_max_entries(skel->maps.lt_uw_procs, all ? max_procs : 1);
}

int unwind_maps_new(struct leaktrace_bpf *skel, const char *cache_dir, struct unwind_maps **out)
{
	struct unwind_maps *u = calloc(1, sizeof(*u));
	const char *env = getenv("LEAKTRACE_UNWIND_CACHE");

	if (!u)
		return -ENOMEM;
	u->skel = skel;
	u->single = skel->rodata->target_tgid;
	/* for comparisons (bench/unwind.sh) and as a way out */
	u->off = getenv("LEAKTRACE_UNWIND") && !strcmp(getenv("LEAKTRACE_UNWIND"), "fp");
	u->cache_dir = strdup(cache_dir ?: env ?: UW_DEFAULT_CACHE);
	u->val = calloc(1, sizeof(*u->val));
	if (!u->cache_dir || !u->val) {
		unwind_maps_free(u);
		return -ENOMEM;
	}
	hmap_init(&u->mods, sizeof(struct uw_mod), 2 * sizeof(uint64_t), 32);
	u->nrules = 0;
	u->next_mod = 1; /* 0: no table */
	u->max_ents = u->single ? UW_ENTS : UW_ENTS_ALL;
	u->max_mods = bpf_map__max_entries(skel->maps.lt_uw_tabs);
	*out = u;
	return 0;
}

void unwind_maps_free(struct unwind_maps *u)
{
	if (!u)
		return;
	if (u->threaded) {
		pthread_mutex_lock(&u->lock);
		u->stop = true;
		pthread_cond_signal(&u->cond);
		pthread_mutex_unlock(&u->lock);
		pthread_join(u->thread, NULL);
	}
	free(u->queue);
	if (u->built || u->cached) {
		/* the array of maps and the rules, beside the modules' own arrays */
		uint64_t shared = fd_memlock(bpf_map__fd(u->skel->maps.lt_uw_tabs)) +
				  fd_memlock(bpf_map__fd(u->skel->maps.lt_uw_rules));

		vlog("unwind tables: %u modules built in %.1f ms, %u from the cache; %u rows, "
		     "%u pages, %u rules loaded (%.2f MiB of kernel memory: %.2f MiB in the "
		     "modules' arrays, %.2f MiB in lt_uw_tabs and lt_uw_rules)\n",
		     u->built, u->build_s * 1000, u->cached, u->nrows, u->npages, u->nrules,
		     (double)(u->memlock + shared) / (1 << 20), (double)u->memlock / (1 << 20),
		     (double)shared / (1 << 20));
	}
	free(u->cache_dir);
	hmap_free(&u->mods);
	free(u->val);
	free(u);
}

/* The global index of a module's rule (rules are few: a linear search). */
static int global_rule(struct unwind_maps *u, const struct lt_uw_rule *r, uint32_t *out)
{
	uint32_t i;

	for (i = 0; i < u->nrules; i++)
		if (!memcmp(&u->rules[i], r, sizeof(*r)))
			break;
	if (i == u->nrules) {
		int fd = bpf_map__fd(u->skel->maps.lt_uw_rules);

		if (i >= UW_RULES)
			return -E2BIG;
		if (bpf_map_update_elem(fd, &i, r, BPF_ANY))
			return -errno;
		u->rules[u->nrules++] = *r;
	}
	*out = i;
	return 0;
}

static int update_batch(int fd, uint32_t first, const void *vals, uint32_t n)
{
	uint32_t *keys = malloc((n ?: 1) * sizeof(*keys));
	int err = 0;

	if (!keys)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		keys[i] = first + i;
	if (n && bpf_map_update_batch(fd, keys, vals, &n, NULL))
		err = -errno;
	free(keys);
	return err;
}

/* Copy table t into an array of its own, put in lt_uw_tabs: its index, or
 * -errno. */
static int load_table(struct unwind_maps *u, struct uw_table *t, uint32_t *id)
{
	uint32_t npages = (t->rows[t->nrows - 1].pc >> LT_UW_PAGE_SHIFT) + 1, *map = NULL;
	uint32_t nents = 1 + npages + t->nrows, row0 = 1 + npages, r = 0;
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_INNER_MAP);
	struct lt_uw_row *ents = NULL;
	int err = -E2BIG, fd = -1;

	if (u->nrows + u->npages + nents > u->max_ents || u->next_mod >= u->max_mods)
		goto cleanup;
	err = -ENOMEM;
	map = calloc(t->nrules, sizeof(*map));
	ents = calloc(nents, sizeof(*ents));
	if (!map || !ents)
		goto cleanup;
	for (uint32_t i = 0; i < t->nrules; i++) {
		err = global_rule(u, &t->rules[i], &map[i]);
		if (err)
			goto cleanup;
	}
	_Static_assert(sizeof(struct lt_uw_tabhdr) == sizeof(*ents) &&
		       sizeof(struct lt_uw_page) == sizeof(*ents), "8-byte entries");
	*(struct lt_uw_tabhdr *)&ents[0] = (struct lt_uw_tabhdr){ npages, t->nrows };
	for (uint32_t i = 0; i < t->nrows; i++)
		ents[row0 + i] = (struct lt_uw_row){ t->rows[i].pc, map[t->rows[i].rule] };
	/* page p: from the row in force at its start to the last one in it */
	for (uint32_t p = 0; p < npages; p++) {
		uint64_t start = (uint64_t)p << LT_UW_PAGE_SHIFT, end = start + (1 << LT_UW_PAGE_SHIFT);
		uint32_t first;

		while (r + 1 < t->nrows && t->rows[r + 1].pc <= start)
			r++;
		first = r;
		while (r + 1 < t->nrows && t->rows[r + 1].pc < end)
			r++;
		*(struct lt_uw_page *)&ents[1 + p] =
			(struct lt_uw_page){ row0 + first, r - first + 1 };
	}
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "lt_uw_tab", sizeof(uint32_t), sizeof(*ents),
			    nents, &opts);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	err = update_batch(fd, 0, ents, nents);
	if (err)
		goto cleanup;
	/* the outer map holds the array from here; our fd goes */
	if (bpf_map_update_elem(bpf_map__fd(u->skel->maps.lt_uw_tabs), &u->next_mod, &fd,
				BPF_ANY)) {
		err = -errno;
		goto cleanup;
	}
	u->nrows += t->nrows;
	u->npages += npages;
	u->memlock += fd_memlock(fd);
	*id = u->next_mod++;
	err = 0;
cleanup:
	if (fd >= 0)
		close(fd);
	free(map);
	free(ents);
	return err;
}

static struct uw_mod *module(struct unwind_maps *u, int pid, const struct lt_map *m)
{
	uint64_t dev = (uint64_t)m->dev_major << 32 | m->dev_minor;
	struct uw_table *t = NULL;
	struct uw_mod *md;
	char path[4200];
	int err;

	uint64_t key[2] = { dev, m->inode };
	int r = hmap_get(&u->mods, lt_mix64(dev ^ lt_mix64(m->inode)), key, (void **)&md);

	if (r <= 0) /* known (its table loaded or not), or no memory */
		return r ? NULL : md;
	/* new: dev and ino set, the rest zero */
	/* exactly the file mapped (chroot, container, replaced) */
	err = mapfile_path(pid, m, path, sizeof(path));
	err = err ?: uw_table_get(path, u->cache_dir, &t);
	if (err) {
		dlog("unwind: no table for %s: %s\n", m->path, strerror(-err));
		return md;
	}
	if (t->build_s > 0) {
		u->built++;
		u->build_s += t->build_s;
	} else {
		u->cached++;
	}
	err = load_table(u, t, &md->id);
	md->fp = t->fp;
	if (err == -E2BIG && !u->full_said++)
		wlog("unwind tables full: %s and later modules are walked with frame pointers\n",
		     m->path);
	else if (err)
		dlog("unwind: cannot load the table of %s: %s\n", m->path, strerror(-err));
	md->nsegs = t->nsegs;
	md->lo = t->lo;
	memcpy(md->segs, t->segs, sizeof(md->segs));
	if (t->build_s > 0)
		dlog("unwind: %s: %u rows, %u rules, built in %.1f ms%s\n", m->path, t->nrows,
		     t->nrules, t->build_s * 1000, t->fp ? ", frame pointers throughout" : "");
	else
		dlog("unwind: %s: %u rows, %u rules (cached)%s\n", m->path, t->nrows, t->nrules,
		     t->fp ? ", frame pointers throughout" : "");
	uw_table_free(t);
	return md;
}

/* The mapping's module-relative base: its start's vaddr from the segment
 * holding its file offset. false: no such segment. */
static bool map_base(const struct uw_mod *md, const struct lt_map *m, __u64 *base)
{
	for (uint32_t i = 0; i < md->nsegs; i++) {
		const struct uw_seg *s = &md->segs[i];

		if (m->pgoff + 4096 > s->offset && m->pgoff < s->offset + s->filesz) {
			/* vaddr(a) = a - start + pgoff - offset + seg vaddr */
			*base = m->start - m->pgoff + s->offset - s->vaddr + md->lo;
			return true;
		}
	}
	return false;
}

static int update_now(struct unwind_maps *u, int pid)
{
	struct lt_uw_proc *v = u->val;
	struct lt_maps maps = {};
	uint32_t key = u->single ? 0 : pid;
	int err;

	err = procmaps_read(pid, &maps);
	if (err)
		return err;
	v->n = 0;
	v->gen++;
	for (size_t i = 0; i < maps.n && v->n < LT_UW_MAX_MAPS; i++) {
		const struct lt_map *m = &maps.v[i];
		struct lt_uw_map *e = &v->maps[v->n];
		struct uw_mod *md;

		if (!m->x || m->start >= (1ULL << 47))
			continue;
		*e = (struct lt_uw_map){ .start = m->start, .end = m->end };
		v->n++;
		/* anonymous code (JIT), [vdso], [uprobes]: no table */
		if (!m->path[0] || m->path[0] == '[' || !m->inode)
			continue;
		md = module(u, pid, m);
		if (md && md->id && map_base(md, m, &e->base)) {
			e->mod = md->id;
			e->flags = md->fp ? LT_UW_MAP_FP : 0;
		}
	}
	if (v->n == LT_UW_MAX_MAPS)
		dlog("unwind: pid %d has more than %d code mappings\n", pid, LT_UW_MAX_MAPS);
	if (bpf_map_update_elem(bpf_map__fd(u->single ? u->skel->maps.lt_uw_proc1 :
						     u->skel->maps.lt_uw_procs), &key, v, BPF_ANY))
		err = -errno;
	procmaps_free(&maps);
	return err;
}

static void forget_now(struct unwind_maps *u, int pid)
{
	uint32_t key = pid;

	if (!u->single)
		bpf_map_delete_elem(bpf_map__fd(u->skel->maps.lt_uw_procs), &key);
}

static void *worker(void *arg)
{
	struct unwind_maps *u = arg;

	pthread_mutex_lock(&u->lock);
	while (!u->stop) {
		int pid;

		if (!u->qlen) {
			pthread_cond_wait(&u->cond, &u->lock);
			continue;
		}
		pid = u->queue[u->qhead];
		u->qhead = (u->qhead + 1) % u->qcap;
		u->qlen--;
		pthread_mutex_unlock(&u->lock);
		if (pid > 0)
			update_now(u, pid);
		else
			forget_now(u, -pid);
		pthread_mutex_lock(&u->lock);
	}
	pthread_mutex_unlock(&u->lock);
	return NULL;
}

/* Queue pid (negative: forget); a full queue grows, or the entry is lost
 * (the process keeps frame pointers, or its old table until it maps code). */
static int enqueue(struct unwind_maps *u, int pid)
{
	int err = 0;

	pthread_mutex_lock(&u->lock);
	if (u->qlen == u->qcap) {
		size_t cap = u->qcap ? u->qcap * 2 : 64;
		int *q = malloc(cap * sizeof(*q));

		if (!q) {
			err = -ENOMEM;
			goto unlock;
		}
		for (size_t i = 0; i < u->qlen; i++)
			q[i] = u->queue[(u->qhead + i) % u->qcap];
		free(u->queue);
		u->queue = q;
		u->qhead = 0;
		u->qcap = cap;
	}
	u->queue[(u->qhead + u->qlen++) % u->qcap] = pid;
	pthread_cond_signal(&u->cond);
unlock:
	pthread_mutex_unlock(&u->lock);
	return err;
}

int unwind_maps_update(struct unwind_maps *u, int pid)
{
	if (!u || pid <= 0)
		return -EINVAL;
	if (u->off)
		return 0;
	return u->threaded ? enqueue(u, pid) : update_now(u, pid);
}

void unwind_maps_forget(struct unwind_maps *u, int pid)
{
	if (!u || pid <= 0)
		return;
	if (u->threaded)
		enqueue(u, -pid);
	else
		forget_now(u, pid);
}

int unwind_maps_start_thread(struct unwind_maps *u)
{
	int err;

	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->cond, NULL);
	err = -pthread_create(&u->thread, NULL, worker, u);
	if (!err)
		u->threaded = true;
	return err;
}
