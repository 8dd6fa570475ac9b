// SPDX-License-Identifier: MIT
/*
 * pprof export. profile.proto field numbers (perftools.profiles, proto3):
 *
 *   Profile   sample_type=1 sample=2 mapping=3 location=4 function=5
 *             string_table=6 time_nanos=9 duration_nanos=10 period_type=11
 *             period=12 comment=13 default_sample_type=14
 *   ValueType type=1 unit=2                      (string-table indices)
 *   Sample    location_id=1 (packed, leaf first) value=2 (packed) label=3
 *   Label     key=1 str=2 num=3 num_unit=4
 *   Mapping   id=1 memory_start=2 memory_limit=3 file_offset=4 filename=5
 *             build_id=6 has_functions=7 has_filenames=8 has_line_numbers=9
 *             has_inline_frames=10
 *   Location  id=1 mapping_id=2 address=3 line=4
 *   Line      function_id=1 line=2
 *   Function  id=1 name=2 system_name=3 filename=4 start_line=5
 *
 * Values, one per sample type, in Go's heap order:
 *   alloc_objects = total_allocs (allocations ever made at the site)
 *   alloc_space   = bytes * total_allocs / allocs: leaktrace knows the exact
 *                   outstanding bytes but not the sizes of allocations already
 *                   freed, so freed ones are counted at the outstanding
 *                   average size (exact when every allocation has one size)
 *   inuse_objects = allocs, inuse_space = bytes (exact; the leaks)
 * In exact mode every allocation is traced: period 1, nothing scaled. With
 * --sample-bytes N the period is N (period_type space/bytes, as Go's
 * MemProfileRate) and the values are already unbiased estimates: the kernel
 * side adds each sample as 1/p allocations of s/p bytes, p = 1 - e^(-s/N),
 * Go's scaleHeapSample (bpf/lt_sample.h). Labels on each sample: bytes
 * (average outstanding size, as Go's), pid, comm.
 *
 * Ids are sequential from 1 (Parca requires it). One Mapping per mapped
 * module (keyed by path and start address, so a module mapped twice gets
 * two); native Locations are shared per address and carry their Function
 * name and line, or no Line when the symbol is unknown; Python Locations
 * have no mapping and address 0 and are shared per (function, file, line).
 * has_functions etc. are set so pprof does not re-symbolize; inline frames
 * are not resolved by leaktrace, so has_inline_frames stays false.
 *
 * Streamed: top-level fields are encoded into a small buffer and deflated
 * as it fills; only the dedup tables are held (the string table goes last).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include "export_pprof.h"
#include "hmap.h"
#include "pb.h"
#include "profile.h"

enum {
	PROF_SAMPLE_TYPE = 1, PROF_SAMPLE, PROF_MAPPING, PROF_LOCATION, PROF_FUNCTION,
	PROF_STRING_TABLE, PROF_TIME_NANOS = 9, PROF_DURATION_NANOS, PROF_PERIOD_TYPE,
	PROF_PERIOD, PROF_COMMENT, PROF_DEFAULT_SAMPLE_TYPE,
};
enum { VT_TYPE = 1, VT_UNIT };
enum { SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE, SAMPLE_LABEL };
enum { LABEL_KEY = 1, LABEL_STR, LABEL_NUM, LABEL_NUM_UNIT };
enum {
	MAP_ID = 1, MAP_MEMORY_START, MAP_MEMORY_LIMIT, MAP_FILE_OFFSET, MAP_FILENAME,
	MAP_BUILD_ID, MAP_HAS_FUNCTIONS, MAP_HAS_FILENAMES, MAP_HAS_LINE_NUMBERS,
};
enum { LOC_ID = 1, LOC_MAPPING_ID, LOC_ADDRESS, LOC_LINE };
enum { LINE_FUNCTION_ID = 1, LINE_LINE };
enum { FUNC_ID = 1, FUNC_NAME, FUNC_SYSTEM_NAME, FUNC_FILENAME, FUNC_START_LINE };

#define PP_PB_MAX ((size_t)64 << 20)	/* one top-level field at most */
#define PP_FLUSH (64 << 10)		/* deflate the pending fields past this */
#define PP_MAX_IDS UINT32_MAX

struct pp_map {
	uint32_t file, build_id;	/* string indices */
	uint64_t start, limit, pgoff;
};

struct pp_func {
	uint32_t name, sys, file; /* sys: the linkage (mangled) name */
	bool py;
};

#define PP_MAX_INL 16 /* inlined calls kept in one Location */

struct pp_loc {
	bool py;
	uint64_t addr;		/* the native key */
	uint32_t func, map;	/* func 0: no Line */
	int64_t line;		/* with func: the Python key */
	/* native: the calls inlined at addr, innermost first: Lines before
	 * func's, as pprof orders them */
	uint8_t ninl;
	uint32_t ifunc[PP_MAX_INL];
	int64_t iline[PP_MAX_INL];
};

struct pprof_w {
	FILE *f;
	z_stream z;
	bool z_init;
	uint8_t *zout;

	const char **str;
	size_t nstr, capstr;
	struct hmap stab;	/* of uint32_t ids, each table over its array */
	struct pp_map *map;
	size_t nmap, capmap;
	struct hmap mtab;
	struct pp_func *fn;
	size_t nfn, capfn;
	struct hmap ftab;
	struct pp_loc *loc;
	size_t nloc, caploc;
	struct hmap ltab;

	uint64_t *ids;		/* one sample's location ids */
	size_t capids;
	struct pb top, msg, sub;
};

#define ZOUT_SIZE (64 << 10)

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return mix64(h);
}

/* Make room for n + 1 entries in an array of elem-sized items. */
static int grow(void *arrp, size_t *cap, size_t n, size_t elem)
{
	void *arr, *p;
	size_t ncap;

	if (n < *cap)
		return 0;
	if (n >= PP_MAX_IDS)
		return -E2BIG;
	ncap = *cap ? *cap * 2 : 64;
	if (ncap > SIZE_MAX / elem)
		return -E2BIG;
	/* arrp points at a T *; memcpy keeps clear of aliasing rules */
	memcpy(&arr, arrp, sizeof(arr));
	p = realloc(arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	memcpy(arrp, &p, sizeof(p));
	*cap = ncap;
	return 0;
}

/* An index table: uint32_t ids into one of w's arrays (1-based; strings
 * 0-based, "" never looked up), compared by eq on what they index. Ids go
 * by first appearance, so the output does not depend on the table. */
static void itab_init(struct hmap *t, hmap_eq_fn eq, struct pprof_w *w)
{
	hmap_init(t, sizeof(uint32_t), 0, 64);
	hmap_set_eq(t, eq, w);
}

/* The id of key in t, or 0. */
static uint32_t itab_find(const struct hmap *t, uint64_t h, const void *key)
{
	const uint32_t *id = hmap_find(t, h, key);

	return id ? *id : 0;
}

/* Enter id, new, for key. 0 or -ENOMEM. */
static int itab_put(struct hmap *t, uint64_t h, const void *key, uint32_t id)
{
	uint32_t *e;
	int r = hmap_get(t, h, key, (void **)&e);

	if (r < 0)
		return r;
	*e = id;
	return 0;
}

static bool str_eq(const void *key, const void *ent, void *ctx)
{
	const struct pprof_w *w = ctx;

	return !strcmp(w->str[*(const uint32_t *)ent], key);
}

/* String-table index of s (NULL and "" are 0). s must outlive the export. */
static int str_id(struct pprof_w *w, const char *s, uint32_t *out)
{
	uint64_t h;
	int err;

	*out = 0;
	if (!s || !*s)
		return 0;
	h = hash_str(s);
	*out = itab_find(&w->stab, h, s);
	if (*out)
		return 0;
	err = grow(&w->str, &w->capstr, w->nstr, sizeof(*w->str)) ?:
	      itab_put(&w->stab, h, s, (uint32_t)w->nstr);
	if (err)
		return err;
	w->str[w->nstr] = s;
	*out = w->nstr++;
	return 0;
}

static bool map_eq(const void *key, const void *ent, void *ctx)
{
	const struct pprof_w *w = ctx;
	const struct pp_map *a = &w->map[*(const uint32_t *)ent - 1], *b = key;

	return a->file == b->file && a->start == b->start;
}

static int map_id(struct pprof_w *w, const struct lt_frame *fr, uint32_t *out)
{
	struct pp_map m = { .start = fr->map_start, .limit = fr->map_end, .pgoff = fr->map_pgoff };
	uint64_t h;
	int err;

	err = str_id(w, fr->module, &m.file);
	if (!err)
		err = str_id(w, fr->build_id, &m.build_id);
	if (err)
		return err;
	h = mix64(m.file ^ mix64(m.start));
	*out = itab_find(&w->mtab, h, &m);
	if (*out)
		return 0;
	err = grow(&w->map, &w->capmap, w->nmap, sizeof(*w->map)) ?:
	      itab_put(&w->mtab, h, &m, (uint32_t)w->nmap + 1);
	if (err)
		return err;
	w->map[w->nmap++] = m;
	*out = w->nmap;
	return 0;
}

static bool func_eq(const void *key, const void *ent, void *ctx)
{
	const struct pprof_w *w = ctx;
	const struct pp_func *a = &w->fn[*(const uint32_t *)ent - 1], *b = key;

	return a->name == b->name && a->sys == b->sys && a->file == b->file && a->py == b->py;
}

static int func_id(struct pprof_w *w, const char *name, const char *sys, const char *file, bool py,
		   uint32_t *out)
{
	struct pp_func fn = { .py = py };
	uint64_t h;
	int err;

	err = str_id(w, name, &fn.name);
	if (!err)
		err = str_id(w, sys, &fn.sys);
	if (!err)
		err = str_id(w, file, &fn.file);
	if (err)
		return err;
	h = mix64(((uint64_t)fn.name << 32 | fn.file) ^ py);
	*out = itab_find(&w->ftab, h, &fn);
	if (*out)
		return 0;
	err = grow(&w->fn, &w->capfn, w->nfn, sizeof(*w->fn)) ?:
	      itab_put(&w->ftab, h, &fn, (uint32_t)w->nfn + 1);
	if (err)
		return err;
	w->fn[w->nfn++] = fn;
	*out = w->nfn;
	return 0;
}

static bool loc_eq(const void *key, const void *ent, void *ctx)
{
	const struct pprof_w *w = ctx;
	const struct pp_loc *a = &w->loc[*(const uint32_t *)ent - 1], *b = key;

	if (a->py != b->py)
		return false;
	return a->py ? a->func == b->func && a->line == b->line : a->addr == b->addr;
}

/* f's Location; inl[0..ninl) are the frames inlined at its address. */
static int loc_id(struct pprof_w *w, const struct lt_out_frame *inl, int ninl,
		  const struct lt_out_frame *f, uint64_t *out)
{
	struct pp_loc l = { .py = f->python };
	uint32_t id;
	uint64_t h;
	int err;

	if (f->python) {
		/* the resolver gives a name to every frame it keeps; be safe */
		err = func_id(w, f->p.function ? f->p.function : "?", NULL, f->p.file, true, &l.func);
		if (err)
			return err;
		l.line = f->p.line;
		h = mix64(((uint64_t)l.func << 32) ^ (uint64_t)l.line ^ 1);
	} else {
		l.addr = f->n.addr;
		h = mix64(l.addr);
	}
	id = itab_find(&w->ltab, h, &l);
	if (id) {
		*out = id;
		return 0;
	}
	/* a new native address: its mapping and function */
	if (!f->python && f->n.module)
		err = map_id(w, &f->n, &l.map);
	if (!err && !f->python && f->n.function) {
		err = func_id(w, f->n.function, f->n.linkage_name ?: f->n.function, f->n.file, false,
			      &l.func);
		l.line = f->n.line;
	}
	for (int i = 0; !err && !f->python && i < ninl && l.ninl < PP_MAX_INL; i++) {
		if (!inl[i].n.function)
			continue;
		err = func_id(w, inl[i].n.function, NULL, inl[i].n.file, false,
			      &l.ifunc[l.ninl]);
		l.iline[l.ninl++] = inl[i].n.line;
	}
	if (!err)
		err = grow(&w->loc, &w->caploc, w->nloc, sizeof(*w->loc)) ?:
		      itab_put(&w->ltab, h, &l, (uint32_t)w->nloc + 1);
	if (err)
		return err;
	w->loc[w->nloc++] = l;
	*out = w->nloc;
	return 0;
}

/* Deflate n bytes into the file; flush = Z_FINISH ends the gzip member. */
static int gz_write(struct pprof_w *w, const void *p, size_t n, int flush)
{
	int ret;

	w->z.next_in = (Bytef *)p;
	w->z.avail_in = (uInt)n;
	do {
		size_t have;

		w->z.next_out = w->zout;
		w->z.avail_out = ZOUT_SIZE;
		ret = deflate(&w->z, flush);
		if (ret == Z_STREAM_ERROR)
			return -EIO;
		have = ZOUT_SIZE - w->z.avail_out;
		errno = 0;
		if (have && fwrite(w->zout, 1, have, w->f) != have)
			return errno ? -errno : -EIO;
	} while (w->z.avail_out == 0 || (flush == Z_FINISH && ret != Z_STREAM_END));
	return 0;
}

/* Deflate the pending top-level fields once there are enough of them. */
static int flush_top(struct pprof_w *w, bool final)
{
	int err = w->top.err;

	if (err || (!final && w->top.len < PP_FLUSH))
		return err;
	err = gz_write(w, w->top.buf, w->top.len, final ? Z_FINISH : Z_NO_FLUSH);
	pb_reset(&w->top);
	return err;
}

static int value_type(struct pprof_w *w, uint32_t field, const char *type, const char *unit)
{
	uint32_t t, u;
	int err = str_id(w, type, &t);

	if (!err)
		err = str_id(w, unit, &u);
	if (err)
		return err;
	pb_reset(&w->msg);
	pb_uint_nz(&w->msg, VT_TYPE, t);
	pb_uint_nz(&w->msg, VT_UNIT, u);
	return pb_msg(&w->top, field, &w->msg);
}

static void label(struct pprof_w *w, uint32_t key, uint32_t str, int64_t num, uint32_t unit)
{
	pb_reset(&w->sub);
	pb_uint(&w->sub, LABEL_KEY, key);
	pb_uint_nz(&w->sub, LABEL_STR, str);
	if (!str)
		pb_int64(&w->sub, LABEL_NUM, num);
	pb_uint_nz(&w->sub, LABEL_NUM_UNIT, unit);
	pb_msg(&w->msg, SAMPLE_LABEL, &w->sub);
}

struct pp_keys {
	uint32_t bytes, pid, comm, comm_val;
};

static int sample(struct pprof_w *w, const struct lt_profile *p, const struct lt_prof_stack *ps,
		  const struct pp_keys *k)
{
	const struct lt_site *s = ps->site;
	int64_t bytes = s->bytes > 0 ? s->bytes : 0, allocs = s->allocs > 0 ? s->allocs : 0;
	uint64_t total = s->total_allocs, space, v[4];
	int64_t avg = allocs ? bytes / allocs : 0;
	int n = ps->nframes > 0 && ps->frames ? ps->nframes : 0, m = 0, err;

	if (total < (uint64_t)allocs) /* counters out of step: never below in-use */
		total = allocs;
	if (allocs) {
		unsigned __int128 x = (unsigned __int128)bytes * total / (uint64_t)allocs;

		space = x > INT64_MAX ? INT64_MAX : (uint64_t)x;
	} else {
		space = bytes;
	}
	err = grow(&w->ids, &w->capids, n, sizeof(*w->ids));
	/* inlined frames are Lines of the Location of the frame they are in */
	for (int i = 0, first = 0; !err && i < n; i++) {
		if (!ps->frames[i].python && ps->frames[i].n.inlined)
			continue;
		err = loc_id(w, &ps->frames[first], i - first, &ps->frames[i], &w->ids[m++]);
		first = i + 1;
	}
	if (err)
		return err;

	v[0] = total;
	v[1] = space;
	v[2] = allocs;
	v[3] = bytes;
	pb_reset(&w->msg);
	pb_packed(&w->msg, SAMPLE_LOCATION_ID, w->ids, m);
	pb_packed(&w->msg, SAMPLE_VALUE, v, 4);
	if (allocs)
		label(w, k->bytes, 0, avg, k->bytes);
	label(w, k->pid, 0, p->pid, 0);
	if (k->comm_val)
		label(w, k->comm, k->comm_val, 0, 0);
	if (w->sub.err)
		return w->sub.err;
	return pb_msg(&w->top, PROF_SAMPLE, &w->msg);
}

static int emit_tables(struct pprof_w *w)
{
	int err = 0;

	for (size_t i = 0; !err && i < w->nmap; i++) {
		const struct pp_map *m = &w->map[i];

		pb_reset(&w->msg);
		pb_uint(&w->msg, MAP_ID, i + 1);
		pb_uint_nz(&w->msg, MAP_MEMORY_START, m->start);
		pb_uint_nz(&w->msg, MAP_MEMORY_LIMIT, m->limit);
		pb_uint_nz(&w->msg, MAP_FILE_OFFSET, m->pgoff);
		pb_uint_nz(&w->msg, MAP_FILENAME, m->file);
		pb_uint_nz(&w->msg, MAP_BUILD_ID, m->build_id);
		pb_bool(&w->msg, MAP_HAS_FUNCTIONS, 1);
		pb_bool(&w->msg, MAP_HAS_FILENAMES, 1);
		pb_bool(&w->msg, MAP_HAS_LINE_NUMBERS, 1);
		pb_msg(&w->top, PROF_MAPPING, &w->msg);
		err = flush_top(w, false);
	}
	for (size_t i = 0; !err && i < w->nloc; i++) {
		const struct pp_loc *l = &w->loc[i];

		pb_reset(&w->msg);
		pb_uint(&w->msg, LOC_ID, i + 1);
		pb_uint_nz(&w->msg, LOC_MAPPING_ID, l->map);
		pb_uint_nz(&w->msg, LOC_ADDRESS, l->addr);
		for (int k = 0; k < l->ninl; k++) {
			pb_reset(&w->sub);
			pb_uint(&w->sub, LINE_FUNCTION_ID, l->ifunc[k]);
			pb_int64(&w->sub, LINE_LINE, l->iline[k] > 0 ? l->iline[k] : 0);
			pb_msg(&w->msg, LOC_LINE, &w->sub);
		}
		if (l->func) {
			pb_reset(&w->sub);
			pb_uint(&w->sub, LINE_FUNCTION_ID, l->func);
			pb_int64(&w->sub, LINE_LINE, l->line > 0 ? l->line : 0);
			pb_msg(&w->msg, LOC_LINE, &w->sub);
		}
		pb_msg(&w->top, PROF_LOCATION, &w->msg);
		err = flush_top(w, false);
	}
	for (size_t i = 0; !err && i < w->nfn; i++) {
		const struct pp_func *fn = &w->fn[i];

		/*
		 * start_line stays 0 (unknown): frames carry the current line,
		 * not the def line. A Python function has no linker name, and
		 * pprof "demangles" a name equal to its system_name, which
		 * strips "<...>" (so "<module>" would show as "<unknown>"):
		 * Python functions get none.
		 */
		pb_reset(&w->msg);
		pb_uint(&w->msg, FUNC_ID, i + 1);
		pb_uint_nz(&w->msg, FUNC_NAME, fn->name);
		if (!fn->py)
			pb_uint_nz(&w->msg, FUNC_SYSTEM_NAME, fn->sys);
		pb_uint_nz(&w->msg, FUNC_FILENAME, fn->file);
		pb_msg(&w->top, PROF_FUNCTION, &w->msg);
		err = flush_top(w, false);
	}
	return err;
}

static void pprof_w_free(struct pprof_w *w)
{
	if (w->z_init)
		deflateEnd(&w->z);
	free(w->zout);
	free(w->str);
	hmap_free(&w->stab);
	free(w->map);
	hmap_free(&w->mtab);
	free(w->fn);
	hmap_free(&w->ftab);
	free(w->loc);
	hmap_free(&w->ltab);
	free(w->ids);
	pb_free(&w->top);
	pb_free(&w->msg);
	pb_free(&w->sub);
}

int export_pprof(FILE *f, const struct lt_profile *p)
{
	struct pprof_w w = { .f = f };
	struct pp_keys k;
	uint32_t comment, dflt;
	struct timespec now;
	char note[256];
	int err;

	if (!f || !p || (p->n && !p->stacks))
		return -EINVAL;
	itab_init(&w.stab, str_eq, &w);
	itab_init(&w.mtab, map_eq, &w);
	itab_init(&w.ftab, func_eq, &w);
	itab_init(&w.ltab, loc_eq, &w);
	pb_init(&w.top, PP_PB_MAX);
	pb_init(&w.msg, PP_PB_MAX);
	pb_init(&w.sub, PP_PB_MAX);
	w.zout = malloc(ZOUT_SIZE);
	err = grow(&w.str, &w.capstr, 0, sizeof(*w.str));
	if (err || !w.zout) {
		err = err ? err : -ENOMEM;
		goto cleanup;
	}
	w.str[w.nstr++] = ""; /* string_table[0] */
	/* gzip wrapper (15 + 16), as pprof files on disk are */
	if (deflateInit2(&w.z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		err = -ENOMEM;
		goto cleanup;
	}
	w.z_init = true;

	err = value_type(&w, PROF_SAMPLE_TYPE, "alloc_objects", "count");
	if (!err)
		err = value_type(&w, PROF_SAMPLE_TYPE, "alloc_space", "bytes");
	if (!err)
		err = value_type(&w, PROF_SAMPLE_TYPE, "inuse_objects", "count");
	if (!err)
		err = value_type(&w, PROF_SAMPLE_TYPE, "inuse_space", "bytes");
	if (!err)
		err = str_id(&w, "bytes", &k.bytes);
	if (!err)
		err = str_id(&w, "pid", &k.pid);
	if (!err)
		err = str_id(&w, "comm", &k.comm);
	if (!err)
		err = str_id(&w, p->comm, &k.comm_val);
	for (size_t i = 0; !err && i < p->n; i++) {
		if (!p->stacks[i].site)
			continue;
		err = sample(&w, p, &p->stacks[i], &k);
		if (!err)
			err = flush_top(&w, false);
	}
	if (!err)
		err = emit_tables(&w);
	if (err)
		goto cleanup;

	/* shown in the header of `go tool pprof -top` */
	snprintf(note, sizeof(note),
		 "leaktrace: pid %d (%s)%s%s%s; alloc_space counts freed allocations at the "
		 "outstanding average size", p->pid, p->comm ? p->comm : "?",
		 p->mode ? ", mode " : "", p->mode ? p->mode : "",
		 p->sample_bytes ? " (values are estimates, see Period)" : "");
	err = str_id(&w, note, &comment);
	if (!err)
		err = str_id(&w, "inuse_space", &dflt);
	if (!err)
		err = value_type(&w, PROF_PERIOD_TYPE, "space", "bytes");
	if (err)
		goto cleanup;
	clock_gettime(CLOCK_REALTIME, &now);
	pb_int64(&w.top, PROF_TIME_NANOS, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
	if (p->duration_s > 0)
		pb_int64(&w.top, PROF_DURATION_NANOS,
			 p->duration_s < 9e9 ? (int64_t)(p->duration_s * 1e9) : INT64_MAX);
	pb_int64(&w.top, PROF_PERIOD, p->sample_bytes ? (int64_t)p->sample_bytes : 1);
	pb_uint(&w.top, PROF_COMMENT, comment);
	pb_uint(&w.top, PROF_DEFAULT_SAMPLE_TYPE, dflt);
	/* the string table last: every index is known by now */
	for (size_t i = 0; i < w.nstr && !err; i++) {
		pb_str(&w.top, PROF_STRING_TABLE, w.str[i]);
		err = flush_top(&w, false);
	}
	if (!err)
		err = flush_top(&w, true);
	errno = 0;
	if (!err && fflush(f))
		err = errno ? -errno : -EIO;
cleanup:
	pprof_w_free(&w);
	return err;
}
