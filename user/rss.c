// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "leaktrace.h"
#include "leaktrace.skel.h"
#include "log.h"
#include "rss.h"
#include "stackframes.h"

#define RSS_MAX_PAGES (1U << 20)	/* charged pages remembered: 4 GiB of 4 KiB pages */
#define RSS_MAX_STACKS 65536
#define RSS_MAX_BIG 65536
#define THP_DIR "/sys/kernel/mm/transparent_hugepage"

struct rss_site {
	struct lt_rss_key key;
	struct lt_rss_val v;
	int64_t prev_bytes;	/* at the previous report */
};

/* Outstanding large allocations of one stack and how much of them is untouched. */
struct rss_untouched {
	struct lt_site site;	/* stack_id, caller, kind: for the frames */
	int64_t allocs;
	uint64_t bytes;		/* allocated */
	uint64_t untouched;	/* in whole pages never touched */
};

struct rss {
	struct rss_site *sites, *prev;	/* sorted by key (prev) / by bytes (sites) */
	size_t n, nprev;
	int64_t resident, pages, growth;
	uint64_t faulted;
	uint64_t counters[LT_RSS_CNT_MAX];
	/* the last figures read while the target was alive */
	struct rss_untouched *ut;
	size_t nut;
	int64_t ut_allocs;
	uint64_t ut_bytes, ut_untouched;
	uint64_t anon_size, anon_rss;	/* anonymous writable private mappings (smaps) */
	bool have_pages;
};

int rss_new(struct rss **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void rss_free(struct rss *r)
{
	if (!r)
		return;
	free(r->sites);
	free(r->prev);
	free(r->ut);
	free(r);
}

/* "always [madvise] never" -> the bracketed word */
static int read_mode(const char *path, char *buf, size_t len)
{
	char line[256], *a, *b;
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	a = strchr(line, '[');
	b = a ? strchr(a, ']') : NULL;
	if (!b)
		return -EINVAL;
	*b = 0;
	snprintf(buf, len, "%s", a + 1);
	return 0;
}

/*
 * Which folio orders a fault may get: for any anonymous VMA (`always`) and
 * for MADV_HUGEPAGE ones (`madvise`). Per-size settings (hugepages-<N>kB,
 * 6.8+) may say "inherit" (the global mode); without them only the PMD size
 * exists and follows the global mode.
 */
static void thp_orders(uint32_t *always, uint32_t *madvise)
{
	char global[32] = "never", mode[32];
	glob_t g = {};

	*always = *madvise = 0;
	if (read_mode(THP_DIR "/enabled", global, sizeof(global)))
		return;
	if (glob(THP_DIR "/hugepages-*kB/enabled", 0, NULL, &g) || !g.gl_pathc) {
		strcpy(mode, global);
		if (!strcmp(mode, "always"))
			*always |= 1U << 9;
		if (!strcmp(mode, "madvise"))
			*madvise |= 1U << 9;
		globfree(&g);
		return;
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		unsigned long kb = strtoul(strstr(g.gl_pathv[i], "hugepages-") + 10, NULL, 10);
		int order = 0;

		while (order < 21 && (4UL << order) < kb)
			order++;
		if (order < 1 || order > 20 || (4UL << order) != kb ||
		    read_mode(g.gl_pathv[i], mode, sizeof(mode)))
			continue;
		if (!strcmp(mode, "inherit"))
			strcpy(mode, global);
		if (!strcmp(mode, "always"))
			*always |= 1U << order;
		if (!strcmp(mode, "madvise"))
			*madvise |= 1U << order;
	}
	globfree(&g);
}

/* Any VMA with VM_HUGEPAGE ("hg" in smaps' VmFlags)? */
static bool has_hugepage_vma(int pid)
{
	char path[64], line[512];
	bool hg = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!hg && fgets(line, sizeof(line), f))
		hg = !strncmp(line, "VmFlags:", 8) && strstr(line, " hg");
	fclose(f);
	return hg;
}

int rss_configure(struct leaktrace_bpf *skel, int pid)
{
	uint32_t always, madvise;
	int err;

	thp_orders(&always, &madvise);
	vlog("--rss: THP folio orders 0x%x for every VMA, 0x%x for MADV_HUGEPAGE ones\n", always,
	     madvise);
	skel->rodata->rss_orders_always = always;
	skel->rodata->rss_orders_madvise = madvise;
	skel->rodata->rss_big_min = LT_RSS_BIG_MIN;
	skel->bss->rss_hg_seen = pid > 0 && madvise && has_hugepage_vma(pid);
	err = bpf_map__set_max_entries(skel->maps.lt_rss_pages, RSS_MAX_PAGES);
	err = err ?: bpf_map__set_max_entries(skel->maps.lt_rss_agg, RSS_MAX_STACKS);
	err = err ?: bpf_map__set_max_entries(skel->maps.lt_rss_big, RSS_MAX_BIG);
	return err;
}

static int cmp_key(const void *a, const void *b)
{
	return memcmp(&((const struct rss_site *)a)->key, &((const struct rss_site *)b)->key,
		      sizeof(struct lt_rss_key));
}

static int cmp_bytes(const void *a, const void *b)
{
	const struct rss_site *x = a, *y = b;

	if (x->v.bytes != y->v.bytes)
		return x->v.bytes > y->v.bytes ? -1 : 1;
	return cmp_key(a, b);
}

static int cmp_untouched(const void *a, const void *b)
{
	const struct rss_untouched *x = a, *y = b;

	if (x->untouched != y->untouched)
		return x->untouched > y->untouched ? -1 : 1;
	if (x->site.stack_id != y->site.stack_id)
		return x->site.stack_id < y->site.stack_id ? -1 : 1;
	return x->site.caller < y->site.caller ? -1 : x->site.caller > y->site.caller;
}

static void read_counters(struct rss *r, int fd)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;

	if (ncpu <= 0 || !(vals = calloc(ncpu, sizeof(*vals))))
		return;
	for (uint32_t i = 0; i < LT_RSS_CNT_MAX; i++) {
		r->counters[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			r->counters[i] += vals[c];
	}
	free(vals);
}

static int read_sites(struct rss *r, int fd)
{
	struct lt_rss_key key, next;
	size_t cap = 0;
	int err;

	/* this report's sites become the previous ones, sorted for lookups */
	free(r->prev);
	r->prev = r->sites;
	r->nprev = r->n;
	qsort(r->prev, r->nprev, sizeof(*r->prev), cmp_key);
	r->sites = NULL;
	r->n = 0;
	r->resident = r->pages = r->growth = 0;
	r->faulted = 0;
	for (err = bpf_map_get_next_key(fd, NULL, &next); !err;
	     err = bpf_map_get_next_key(fd, &key, &next)) {
		struct rss_site *s, *p;

		key = next;
		if (r->n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct rss_site *nv = realloc(r->sites, ncap * sizeof(*nv));

			if (!nv)
				return -ENOMEM;
			r->sites = nv;
			cap = ncap;
		}
		s = &r->sites[r->n];
		memset(s, 0, sizeof(*s));
		s->key = key;
		if (bpf_map_lookup_elem(fd, &key, &s->v))
			continue; /* deleted meanwhile */
		p = bsearch(s, r->prev, r->nprev, sizeof(*r->prev), cmp_key);
		s->prev_bytes = p ? p->prev_bytes : 0;
		r->resident += s->v.bytes;
		r->pages += s->v.pages;
		r->faulted += s->v.faulted;
		r->growth += s->v.bytes - s->prev_bytes;
		r->n++;
	}
	qsort(r->sites, r->n, sizeof(*r->sites), cmp_bytes);
	return 0;
}

/* Whole pages of [addr, addr + size) never touched: neither present nor
 * swapped in /proc/PID/pagemap. */
static uint64_t untouched_pages(int fd, uint64_t addr, uint64_t size)
{
	uint64_t first = (addr + 4095) / 4096, last = (addr + size) / 4096, n = 0, buf[512];

	for (uint64_t p = first; p < last;) {
		size_t want = last - p < 512 ? last - p : 512;
		ssize_t got = pread(fd, buf, want * 8, p * 8);

		if (got <= 0)
			break;
		for (ssize_t i = 0; i < got / 8; i++)
			n += !(buf[i] >> 62); /* bit 63 present, bit 62 swapped */
		p += got / 8;
	}
	return n;
}

static int add_untouched(struct rss *r, const struct lt_alloc *a, uint64_t untouched, size_t *cap)
{
	struct rss_untouched *u = NULL;

	for (size_t i = 0; i < r->nut && !u; i++)
		if (r->ut[i].site.stack_id == a->key.stack_id &&
		    r->ut[i].site.caller == a->key.caller && r->ut[i].site.kind == a->key.kind)
			u = &r->ut[i];
	if (!u) {
		if (r->nut == *cap) {
			size_t ncap = *cap ? *cap * 2 : 16;
			struct rss_untouched *nv = realloc(r->ut, ncap * sizeof(*nv));

			if (!nv)
				return -ENOMEM;
			r->ut = nv;
			*cap = ncap;
		}
		u = &r->ut[r->nut++];
		memset(u, 0, sizeof(*u));
		u->site.stack_id = a->key.stack_id;
		u->site.caller = a->key.caller;
		u->site.kind = a->key.kind;
	}
	u->allocs++;
	u->bytes += a->size;
	u->untouched += untouched;
	return 0;
}

/* Anonymous writable private mappings (heap, arenas, mmaps, stacks): mapped
 * size and resident size. Their difference is reserved, never touched. */
static int read_smaps(struct rss *r, int pid)
{
	char path[64], line[512];
	bool anon = false;
	unsigned long kb;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	r->anon_size = r->anon_rss = 0;
	while (fgets(line, sizeof(line), f)) {
		char perms[8] = "", name[256] = "";
		unsigned long long ino;

		if (sscanf(line, "%*x-%*x %7s %*x %*s %llu %255s", perms, &ino, name) >= 2 &&
		    strchr(line, '-') && strlen(perms) == 4) {
			anon = perms[1] == 'w' && perms[3] == 'p' && ino == 0 &&
			       (!name[0] || name[0] == '[');
			continue;
		}
		if (anon && sscanf(line, "Size: %lu kB", &kb) == 1)
			r->anon_size += kb * 1024;
		else if (anon && sscanf(line, "Rss: %lu kB", &kb) == 1)
			r->anon_rss += kb * 1024;
	}
	fclose(f);
	return 0;
}

static int read_untouched(struct rss *r, struct leaktrace_bpf *skel, int pid)
{
	int bigfd = bpf_map__fd(skel->maps.lt_rss_big), fd, err;
	uint64_t key, next;
	struct lt_alloc a;
	size_t cap = 0;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = read_smaps(r, pid);
	if (err)
		goto cleanup;
	free(r->ut);
	r->ut = NULL;
	r->nut = 0;
	r->ut_allocs = 0;
	r->ut_bytes = r->ut_untouched = 0;
	for (err = bpf_map_get_next_key(bigfd, NULL, &next); !err;
	     err = bpf_map_get_next_key(bigfd, &key, &next)) {
		uint64_t n;

		key = next;
		if (bpf_map_lookup_elem(bigfd, &key, &a))
			continue;
		n = untouched_pages(fd, key, a.size);
		r->ut_allocs++;
		r->ut_bytes += a.size;
		r->ut_untouched += n * 4096;
		if (n && add_untouched(r, &a, n * 4096, &cap)) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	err = 0;
	qsort(r->ut, r->nut, sizeof(*r->ut), cmp_untouched);
	r->have_pages = true;
cleanup:
	close(fd);
	return err;
}

/*
 * Released pages stay in lt_rss_pages with bytes 0, to be reused without a
 * costly delete in BPF; once they fill half the map, delete them here. A
 * page charged again between the lookup and the delete loses its entry (it
 * is then never charged back): rare, and only under this pressure.
 */
static void gc_pages(struct leaktrace_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.lt_rss_pages);
	uint64_t key, next, *dead = NULL;
	size_t n = 0, cap = 0;
	struct lt_rss_page pg;
	int err;

	if (skel->bss->rss_nentries < (int64_t)bpf_map__max_entries(skel->maps.lt_rss_pages) / 2)
		return;
	for (err = bpf_map_get_next_key(fd, NULL, &next); !err;
	     err = bpf_map_get_next_key(fd, &key, &next)) {
		key = next;
		if (bpf_map_lookup_elem(fd, &key, &pg) || pg.bytes)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			uint64_t *nv = realloc(dead, ncap * sizeof(*nv));

			if (!nv)
				break;
			dead = nv;
			cap = ncap;
		}
		dead[n++] = key;
	}
	for (size_t i = 0; i < n; i++)
		if (!bpf_map_lookup_elem(fd, &dead[i], &pg) && !pg.bytes &&
		    !bpf_map_delete_elem(fd, &dead[i]))
			__sync_fetch_and_sub(&skel->bss->rss_nentries, 1);
	dlog("--rss: %zu released page entries deleted\n", n);
	free(dead);
}

int rss_collect(struct rss *r, struct leaktrace_bpf *skel, int pid, bool alive)
{
	int err;

	gc_pages(skel);
	read_counters(r, bpf_map__fd(skel->maps.lt_rss_cnt));
	err = read_sites(r, bpf_map__fd(skel->maps.lt_rss_agg));
	if (err)
		return err;
	/* a target gone has no pages to read: keep the last figures */
	if (alive && read_untouched(r, skel, pid))
		dlog("--rss: cannot read the pages of pid %d (exited?)\n", pid);
	return 0;
}

void rss_mark_reported(struct rss *r)
{
	for (size_t i = 0; i < r->n; i++)
		r->sites[i].prev_bytes = r->sites[i].v.bytes;
}

/* frames for the first `shown` (a text report's --top), or all */
static int rss_stacks(const struct rss *r, const struct report_ctx *c,
		      const struct report_info *ri, size_t shown, struct lt_model_rss *m)
{
	struct lt_out_frame fr[LT_MAX_FRAMES];

	for (size_t i = 0; i < r->n && r->sites[i].v.bytes > 0; i++) {
		const struct rss_site *s = &r->sites[i];
		struct lt_model_rss_stack *ms = &m->stacks[m->nstacks++];

		ms->bytes = s->v.bytes;
		ms->pages = s->v.pages;
		ms->growth = s->v.bytes - s->prev_bytes;
		ms->faulted = s->v.faulted;
		ms->faults = s->v.faults;
		ms->kernel = s->key.kernel;
		ms->stack_lost = !s->key.stack_id;
		if (i >= shown)
			continue;
		ms->nframes = stackframes_rss(c, ri, &s->key, fr);
		ms->frames = stackframes_dup(fr, ms->nframes);
		if (!ms->frames)
			return -ENOMEM;
	}
	for (size_t i = 0; r->have_pages && i < r->nut; i++) {
		const struct rss_untouched *u = &r->ut[i];
		struct lt_model_untouched *mu = &m->ut[m->nut++];

		mu->untouched = u->untouched;
		mu->bytes = u->bytes;
		mu->allocs = u->allocs;
		mu->allocator = lt_kind_names[u->site.kind < LT_KIND_MAX ? u->site.kind : 0];
		if (i >= shown)
			continue;
		mu->nframes = stackframes_site(c, ri, &u->site, fr);
		mu->frames = stackframes_dup(fr, mu->nframes);
		if (!mu->frames)
			return -ENOMEM;
	}
	return 0;
}

int rss_model(const struct rss *r, const struct report_ctx *c, const struct report_info *ri,
	      bool all, struct lt_model_rss **out)
{
	struct lt_model_rss *m = calloc(1, sizeof(*m));

	*out = m;
	if (!m)
		return -ENOMEM;
	m->resident = r->resident;
	m->pages = r->pages;
	m->growth = r->growth;
	m->faulted = r->faulted;
	memcpy(m->counters, r->counters, sizeof(m->counters));
	m->have_pages = r->have_pages;
	m->ut_allocs = r->ut_allocs;
	m->ut_bytes = r->ut_bytes;
	m->ut_untouched = r->ut_untouched;
	m->anon_size = r->anon_size;
	m->anon_rss = r->anon_rss;
	m->stacks = calloc(r->n ? r->n : 1, sizeof(*m->stacks));
	m->ut = calloc(r->nut ? r->nut : 1, sizeof(*m->ut));
	if (!m->stacks || !m->ut)
		return -ENOMEM;
	return rss_stacks(r, c, ri, all ? (size_t)-1 : (size_t)ri->top, m);
}
