// SPDX-License-Identifier: MIT
/*
 * Process address -> frame:
 *
 *   addr --maps--> (mapping, file offset) --PT_LOAD--> ELF vaddr
 *        --elfsym--> function + offset, file:line
 *
 * Modules are opened as the very file mapped (mapfile.h), also after the
 * target exited while the inode at its path is still the mapped one. Files
 * are shared by build id, and kept until symbolizer_free(), so addresses
 * are still symbolized after the target exited.
 *
 * Reports symbolize the same addresses every interval, so results are
 * cached per (address, is_return_addr). Addresses in no mapping cause a
 * maps re-read (dlopen), rate-limited because broken frame-pointer chains
 * produce many garbage addresses.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "elfsym.h"
#include "hmap.h"
#include "log.h"
#include "mapfile.h"
#include "procmaps.h"
#include "symbolize.h"

#define SYM_CACHE_MIN (1u << 10)
#define SYM_CACHE_MAX (1u << 18)	/* slots; cleared when half full at max */
#define REFRESH_BURST 4.0		/* miss-triggered maps re-reads ... */
#define REFRESH_PER_SEC 10.0		/* ... and their sustained rate */

/*
 * Opened files, shared by every symbolizer of this process (-a has one per
 * traced process, and most map the same libc and libpython: each file's
 * symbol and line tables are read once, not once per process). Keyed by
 * the mapped inode; a file with the build id of one already open shares
 * it. Closed when its last module goes.
 */
struct shared_elf {
	struct elfsym *es;
	unsigned int refs;
};

struct elf_key {
	uint64_t ino;
	uint32_t dev_major, dev_minor;
	struct shared_elf *sh;
};

static struct elf_key *elf_keys;
static size_t nelf_keys, celf_keys;

struct sym_mod {
	uint64_t ino;
	uint32_t dev_major, dev_minor;
	char *path;		/* as the target maps it, reported as lt_frame.module */
	struct elfsym *es;	/* NULL if the file could not be opened */
	struct shared_elf *sh;	/* es's reference, or NULL */
};

struct sym_cache_ent {
	uint64_t addr;
	bool ret;
	bool miss;		/* addr was in no mapping */
	bool miss_final;	/* ... even after a re-read of the maps */
	uint64_t gen;		/* maps generation the miss was seen in */
	struct lt_frame f;
};

struct symbolizer {
	int pid;
	int procfd;		/* /proc/PID: reads through it fail once the pid is gone,
				 * even if the number is reused */
	bool gone;
	struct lt_maps maps;
	uint64_t gen;		/* bumped when a re-read finds changed maps */
	double tokens;
	struct timespec last_fill;

	struct sym_mod **mods;
	size_t nmods, cmods;

	struct hmap cache;	/* of sym_cache_ent, by (addr, ret) */
};

static void elf_put(struct shared_elf *sh)
{
	size_t k = 0;

	if (!sh || --sh->refs)
		return;
	for (size_t i = 0; i < nelf_keys; i++) /* its keys go with it */
		if (elf_keys[i].sh != sh)
			elf_keys[k++] = elf_keys[i];
	nelf_keys = k;
	elfsym_close(sh->es);
	free(sh);
}

static int elf_key_add(const struct lt_map *m, struct shared_elf *sh)
{
	if (nelf_keys == celf_keys) {
		size_t cap = celf_keys ? celf_keys * 2 : 32;
		void *p = reallocarray(elf_keys, cap, sizeof(*elf_keys));

		if (!p)
			return -ENOMEM;
		elf_keys = p;
		celf_keys = cap;
	}
	elf_keys[nelf_keys++] = (struct elf_key){ m->inode, m->dev_major, m->dev_minor, sh };
	return 0;
}

static void mod_free(struct sym_mod *m)
{
	if (!m)
		return;
	elf_put(m->sh);
	free(m->path);
	free(m);
}

static bool maps_equal(const struct lt_maps *a, const struct lt_maps *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++) {
		const struct lt_map *x = &a->v[i], *y = &b->v[i];

		if (x->start != y->start || x->end != y->end || x->pgoff != y->pgoff ||
		    x->inode != y->inode || x->dev_major != y->dev_major ||
		    x->dev_minor != y->dev_minor || x->x != y->x || strcmp(x->path, y->path))
			return false;
	}
	return true;
}

static bool cache_eq(const void *key, const void *ent, void *ctx);

static void cache_clear(struct symbolizer *s)
{
	hmap_clear(&s->cache);
}

int symbolizer_refresh(struct symbolizer *s)
{
	struct lt_maps m;
	int fd, err;

	if (s->gone)
		return -ESRCH;
	fd = openat(s->procfd, "maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		if (err == -ESRCH || err == -ENOENT) {
			s->gone = true;
			return -ESRCH;
		}
		return err;
	}
	err = procmaps_read_fd(fd, &m);
	close(fd);
	if (err == -ESRCH || (!err && !m.n)) {
		/* A dead process (or zombie) reads as no mappings. */
		procmaps_free(&m);
		s->gone = true;
		return -ESRCH;
	}
	if (err)
		return err;
	if (maps_equal(&m, &s->maps)) {
		procmaps_free(&m);
		return 0;
	}
	/* Cached frames may name what used to be mapped there. */
	s->gen++;
	cache_clear(s);
	procmaps_free(&s->maps);
	s->maps = m;
	return 0;
}

int symbolizer_new(int pid, struct symbolizer **out)
{
	struct symbolizer *s;
	char path[64];
	int err;

	*out = NULL;
	if (pid <= 0)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->pid = pid;
	hmap_init(&s->cache, sizeof(struct sym_cache_ent), 0, SYM_CACHE_MIN);
	hmap_set_eq(&s->cache, cache_eq, NULL);
	s->tokens = REFRESH_BURST;
	clock_gettime(CLOCK_MONOTONIC, &s->last_fill);
	snprintf(path, sizeof(path), "/proc/%d", pid);
	s->procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->procfd < 0) {
		err = errno == ENOENT ? -ESRCH : -errno;
		goto cleanup;
	}
	err = symbolizer_refresh(s);
	if (err)
		goto cleanup;
	*out = s;
	return 0;
cleanup:
	symbolizer_free(s);
	return err;
}

void symbolizer_free(struct symbolizer *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nmods; i++)
		mod_free(s->mods[i]);
	free(s->mods);
	hmap_free(&s->cache);
	procmaps_free(&s->maps);
	if (s->procfd >= 0)
		close(s->procfd);
	free(s);
}

/* Token bucket for miss-triggered re-reads. */
static bool refresh_allowed(struct symbolizer *s)
{
	struct timespec now;
	double dt;

	if (s->gone)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	dt = (now.tv_sec - s->last_fill.tv_sec) + (now.tv_nsec - s->last_fill.tv_nsec) / 1e9;
	s->last_fill = now;
	s->tokens += dt * REFRESH_PER_SEC;
	if (s->tokens > REFRESH_BURST)
		s->tokens = REFRESH_BURST;
	if (s->tokens < 1.0)
		return false;
	s->tokens -= 1.0;
	return true;
}

static struct elfsym *open_module(struct symbolizer *s, const struct lt_map *m)
{
	struct elfsym *es = NULL;
	char path[4096 + 64];

	/* After exit only the plain path is left, still checked to be the inode. */
	if (mapfile_path(s->pid, m, path, sizeof(path)) || elfsym_open(path, &es))
		return NULL;
	return es;
}

static struct sym_mod *get_module(struct symbolizer *s, const struct lt_map *m)
{
	struct sym_mod *mod;
	const char *bid;
	size_t i;

	for (i = 0; i < s->nmods; i++) {
		mod = s->mods[i];
		if (mod->ino == m->inode && mod->dev_major == m->dev_major &&
		    mod->dev_minor == m->dev_minor && !strcmp(mod->path, m->path))
			return mod;
	}
	if (s->nmods == s->cmods) {
		size_t cap = s->cmods ? s->cmods * 2 : 16;
		void *p = reallocarray(s->mods, cap, sizeof(*s->mods));

		if (!p)
			return NULL;
		s->mods = p;
		s->cmods = cap;
	}
	mod = calloc(1, sizeof(*mod));
	if (!mod)
		return NULL;
	mod->path = strdup(m->path);
	if (!mod->path) {
		free(mod);
		return NULL;
	}
	mod->ino = m->inode;
	mod->dev_major = m->dev_major;
	mod->dev_minor = m->dev_minor;
	s->mods[s->nmods++] = mod;
	/* open already, by this symbolizer or another? */
	for (i = 0; i < nelf_keys; i++) {
		struct elf_key *k = &elf_keys[i];

		if (k->ino == m->inode && k->dev_major == m->dev_major &&
		    k->dev_minor == m->dev_minor) {
			mod->sh = k->sh;
			mod->sh->refs++;
			mod->es = mod->sh->es;
			return mod;
		}
	}
	mod->es = open_module(s, m);
	if (!mod->es) {
		dlog("symbolize: cannot open %s; its frames stay unsymbolized\n", m->path);
		return mod;
	}
	/* The same file seen through another path or mount: share it, once
	 * its bytes are seen to be the same (another process's crafted ELF
	 * may claim the build id to name our frames). */
	bid = elfsym_build_id(mod->es);
	for (i = 0; bid[0] && i < nelf_keys; i++) {
		if (!strcmp(elfsym_build_id(elf_keys[i].sh->es), bid) &&
		    elfsym_same_content(elf_keys[i].sh->es, mod->es)) {
			elfsym_close(mod->es);
			mod->sh = elf_keys[i].sh;
			break;
		}
	}
	if (!mod->sh) {
		mod->sh = calloc(1, sizeof(*mod->sh));
		if (!mod->sh) {
			elfsym_close(mod->es);
			mod->es = NULL;
			return mod;
		}
		mod->sh->es = mod->es;
	}
	mod->es = mod->sh->es;
	mod->sh->refs++;
	if (elf_key_add(m, mod->sh))
		dlog("symbolize: %s is not shared (out of memory)\n", m->path);
	return mod;
}

static uint64_t hash_addr(uint64_t addr, bool ret)
{
	uint64_t h = addr * 2 + ret;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

struct cache_key {
	uint64_t addr;
	bool ret;
};

static bool cache_eq(const void *key, const void *ent, void *ctx)
{
	const struct cache_key *k = key;
	const struct sym_cache_ent *e = ent;

	(void)ctx;
	return e->addr == k->addr && e->ret == k->ret;
}

static struct sym_cache_ent *cache_get(const struct symbolizer *s, uint64_t addr, bool ret)
{
	return hmap_find(&s->cache, hash_addr(addr, ret), &(struct cache_key){ addr, ret });
}

static void cache_put(struct symbolizer *s, const struct sym_cache_ent *e)
{
	struct sym_cache_ent *slot;

	/* bounded: at the largest size, start again rather than grow */
	if ((s->cache.n + 1) * 2 > s->cache.cap && s->cache.cap * 2 > SYM_CACHE_MAX)
		cache_clear(s);
	if (hmap_get(&s->cache, hash_addr(e->addr, e->ret), &(struct cache_key){ e->addr, e->ret },
		     (void **)&slot) < 0)
		return; /* no memory: just do not cache */
	*slot = *e;
}

static void resolve(struct symbolizer *s, const struct lt_map *m, uint64_t addr, bool ret,
		    struct lt_frame *f)
{
	/* A return address may be one past the end of its call's function. */
	uint64_t look = ret ? addr - 1 : addr, off, vaddr;
	struct elfsym_line line;
	struct elfsym_sym sym;
	struct sym_mod *mod;

	if (m->path[0] != '/')
		return; /* anonymous, JIT, [heap], [vdso]... */
	off = look - m->start + m->pgoff;
	f->module = m->path;
	f->map_start = m->start;
	f->map_end = m->end;
	f->map_pgoff = m->pgoff;
	f->module_offset = off + (addr - look);
	mod = get_module(s, m);
	if (!mod)
		return;
	f->module = mod->path; /* m->path dies with the snapshot */
	if (!mod->es)
		return;
	f->build_id = elfsym_build_id(mod->es);
	if (elfsym_offset_to_vaddr(mod->es, off, &vaddr))
		return;
	/* a return address at a function's very start is no call's: a signal
	 * trampoline (glibc's __restore_rt, whose CFI covers the byte before) */
	if (elfsym_lookup(mod->es, vaddr, &sym) && ret && !elfsym_lookup(mod->es, vaddr + 1, &sym) &&
	    sym.addr == vaddr + 1) {
		f->function = sym.name;
		f->linkage_name = sym.linkage_name;
		f->offset = 0;
	} else if (!elfsym_lookup(mod->es, vaddr, &sym)) {
		f->function = sym.name;
		f->linkage_name = sym.linkage_name;
		f->offset = vaddr + (addr - look) - sym.addr;
	}
	if (!elfsym_line(mod->es, vaddr, &line)) {
		f->file = line.file;
		f->line = line.line;
		f->ninl = elfsym_inlines(mod->es, vaddr, &f->inl);
	}
}

void symbolizer_frame(struct symbolizer *s, uint64_t addr, bool is_return_addr,
		      struct lt_frame *out)
{
	bool ret = is_return_addr && addr > 0;
	uint64_t look = ret ? addr - 1 : addr;
	struct sym_cache_ent *c, e = {};
	const struct lt_map *m;
	bool may_refresh;

	memset(out, 0, sizeof(*out));
	out->addr = addr;
	out->build_id = "";
	if (!s) /* -a: a process gone before its maps were read */
		return;
	c = cache_get(s, addr, ret);
	/* A miss is final once the maps were re-read for it, until they change. */
	if (c && (!c->miss || (c->miss_final && c->gen == s->gen))) {
		*out = c->f;
		return;
	}
	/* Maps changed since a final miss: they are newer than it, look only. */
	may_refresh = !(c && c->miss_final);
	e.addr = addr;
	e.ret = ret;
	m = procmaps_find(&s->maps, look);
	if (!m) {
		if (!may_refresh) {
			e.miss_final = true;
		} else if (refresh_allowed(s)) {
			symbolizer_refresh(s);
			m = procmaps_find(&s->maps, look);
			e.miss_final = true;
		} else if (s->gone) {
			e.miss_final = true;
		}
	}
	if (m) {
		out->build_id = "";
		resolve(s, m, addr, ret, out);
		/* Without a module the mapping path pointed into the snapshot. */
		if (out->module && out->module == m->path)
			out->module = NULL;
	} else {
		e.miss = true;
		e.gen = s->gen;
	}
	e.f = *out;
	cache_put(s, &e);
}

const char *symbolizer_module(struct symbolizer *s, uint64_t addr)
{
	const struct lt_map *m = s ? procmaps_find(&s->maps, addr) : NULL;

	return m && m->path[0] == '/' ? m->path : NULL;
}
