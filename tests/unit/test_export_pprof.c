// SPDX-License-Identifier: MIT
/*
 * pprof export: the protobuf writer's encodings, then a hand-built profile
 * (two native stacks sharing a module and a function, a frame without a
 * name, a C extension under Python frames) written, gunzipped and decoded
 * here with a small independent decoder; then, when `go` is installed, read
 * back by `go tool pprof` (CI installs golang-go via scripts/install-deps.sh).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>
#include "export_pprof.h"
#include "pb.h"
#include "profile.h"
#include "pprof_decoder.h"
#include "unit.h"

/* ---- writer encodings ---- */

static bool pb_is(const struct pb *b, const uint8_t *want, size_t n)
{
	return !b->err && b->len == n && !memcmp(b->buf, want, n);
}

UT_TEST(pprof_pb_encodings)
{
	static const uint8_t v150[] = { 0x08, 0x96, 0x01 };
	static const uint8_t neg[] = { 0x10, 0xff, 0xff, 0xff, 0xff, 0xff,
				       0xff, 0xff, 0xff, 0xff, 0x01 };
	static const uint8_t str[] = { 0x32, 0x00, 0x32, 0x02, 'h', 'i' };
	static const uint8_t packed[] = { 0x0a, 0x04, 0x03, 0x8e, 0x02, 0x00 };
	static const uint8_t nested[] = { 0x12, 0x03, 0x08, 0x96, 0x01, 0x20, 0x01 };
	static const uint8_t big_field[] = { 0xf8, 0xff, 0xff, 0xff, 0x0f, 0x07 };
	uint64_t vals[] = { 3, 270, 0 };
	struct pb b, sub;

	pb_init(&b, 0);
	pb_init(&sub, 0);
	CHECK_EQ_INT(pb_uint(&b, 1, 150), 0);
	CHECK(pb_is(&b, v150, sizeof(v150)));
	pb_reset(&b);
	pb_int64(&b, 2, -1);
	CHECK(pb_is(&b, neg, sizeof(neg)));
	pb_reset(&b);
	pb_str(&b, 6, NULL); /* repeated strings keep "" */
	pb_str(&b, 6, "hi");
	CHECK(pb_is(&b, str, sizeof(str)));
	pb_reset(&b);
	pb_packed(&b, 1, vals, 3);
	pb_packed(&b, 2, vals, 0); /* nothing */
	pb_uint_nz(&b, 3, 0);	   /* nothing */
	CHECK(pb_is(&b, packed, sizeof(packed)));
	pb_reset(&b);
	pb_uint(&sub, 1, 150);
	pb_msg(&b, 2, &sub);
	pb_bool(&b, 4, 7);
	CHECK(pb_is(&b, nested, sizeof(nested)));
	pb_reset(&b);
	pb_uint(&b, (1u << 29) - 1, 7);
	CHECK(pb_is(&b, big_field, sizeof(big_field)));
	CHECK_EQ_INT(pb_uint(&b, 1u << 29, 1), -EINVAL);
	CHECK_EQ_INT(pb_varint_len(0), 1);
	CHECK_EQ_INT(pb_varint_len(UINT64_MAX), 10);
	pb_free(&b);
	pb_free(&sub);
}

UT_TEST(pprof_pb_bounds)
{
	struct pb b, sub;
	size_t len;

	pb_init(&b, 8);
	pb_init(&sub, 0);
	CHECK_EQ_INT(pb_str(&b, 1, "123456"), 0); /* 8 bytes: exactly full */
	CHECK_EQ_INT(b.len, 8);
	CHECK_EQ_INT(pb_uint(&b, 1, 1), -E2BIG);
	len = b.len;
	CHECK_EQ_INT(pb_str(&b, 1, ""), -E2BIG); /* sticky, nothing written */
	CHECK_EQ_INT(b.len, len);
	pb_reset(&b);
	CHECK_EQ_INT(pb_str(&b, 1, "1234567"), -E2BIG);
	CHECK_EQ_INT(b.len, 0);
	pb_reset(&b);
	sub.err = -ENOMEM; /* a failed sub-message fails its parent */
	CHECK_EQ_INT(pb_msg(&b, 1, &sub), -ENOMEM);
	CHECK_EQ_INT(b.err, -ENOMEM);
	pb_free(&b);
	pb_free(&sub);
}

/* ---- a synthetic profile ---- */

struct mod {
	const char *path, *bid;
	uint64_t start, end, pgoff;
};

static const struct mod M_DEMO = { "/usr/bin/demo", "0123456789abcdef0123456789abcdef01234567",
				   0x400000, 0x500000, 0 };
static const struct mod M_LIBC = { "/usr/lib/x86_64-linux-gnu/libc.so.6", "",
				   0x7f0000028000, 0x7f00001bd000, 0x28000 };
static const struct mod M_EXT = { "/usr/lib/python3/dist-packages/_ext.so",
				  "fedcba9876543210fedcba9876543210fedcba98", 0x7f1000001000,
				  0x7f1000002000, 0x1000 };

static struct lt_out_frame nat(const struct mod *m, uint64_t addr, const char *fn,
			       const char *file, int line)
{
	struct lt_out_frame f = { .python = false };

	f.n.addr = addr;
	f.n.function = fn;
	f.n.module = m->path;
	f.n.module_offset = addr - m->start + m->pgoff;
	f.n.file = file;
	f.n.line = line;
	f.n.build_id = m->bid;
	f.n.map_start = m->start;
	f.n.map_end = m->end;
	f.n.map_pgoff = m->pgoff;
	return f;
}

static struct lt_out_frame py(const char *fn, const char *file, int line)
{
	struct lt_out_frame f = { .python = true };

	f.p.function = fn;
	f.p.file = file;
	f.p.line = line;
	return f;
}

struct fake {
	struct lt_site site[3];
	struct lt_out_frame fr[3][5];
	struct lt_prof_stack st[3];
	struct lt_profile p;
};

/*
 * 0: leak_node <- parse_config <- main <- __libc_start_call_main (no file)
 * 1: cache_put <- parse_config (other line) <- main (same address) <- ??? (no name)
 * 2: ext_alloc (C extension) <- Cache.add <- fill <- fill (recursion) <- <module>
 */
static void fake_profile(struct fake *x)
{
	memset(x, 0, sizeof(*x));
	x->site[0] = (struct lt_site){ .stack_id = 1, .bytes = 40960, .allocs = 10,
				       .total_allocs = 25 };
	x->site[1] = (struct lt_site){ .stack_id = 2, .bytes = 1000, .allocs = 4,
				       .total_allocs = 100 };
	x->site[2] = (struct lt_site){ .stack_id = 3, .bytes = 3000, .allocs = 3,
				       .total_allocs = 3 };
	x->fr[0][0] = nat(&M_DEMO, 0x401100, "leak_node", "tree.c", 9);
	x->fr[0][1] = nat(&M_DEMO, 0x401200, "parse_config", "config.c", 20);
	x->fr[0][2] = nat(&M_DEMO, 0x401300, "main", "main.c", 30);
	x->fr[0][3] = nat(&M_LIBC, 0x7f0000029d90, "__libc_start_call_main", NULL, 0);
	x->fr[1][0] = nat(&M_DEMO, 0x401400, "cache_put", "cache.c", 5);
	x->fr[1][1] = nat(&M_DEMO, 0x401210, "parse_config", "config.c", 24);
	x->fr[1][2] = nat(&M_DEMO, 0x401300, "main", "main.c", 30);
	x->fr[1][3] = nat(&M_DEMO, 0x401500, NULL, NULL, 0);
	x->fr[2][0] = nat(&M_EXT, 0x7f1000001234, "ext_alloc", "ext.c", 40);
	x->fr[2][1] = py("Cache.add", "/srv/app/cache.py", 12);
	x->fr[2][2] = py("fill", "/srv/app/app.py", 7);
	x->fr[2][3] = py("fill", "/srv/app/app.py", 7);
	x->fr[2][4] = py("<module>", "/srv/app/app.py", 20);
	for (int i = 0; i < 3; i++) {
		x->st[i].site = &x->site[i];
		x->st[i].allocator = "malloc";
		x->st[i].nframes = i == 2 ? 5 : 4;
		x->st[i].frames = x->fr[i];
	}
	x->p.pid = 4242;
	x->p.comm = "demo";
	x->p.mode = "native";
	x->p.duration_s = 12.5;
	x->p.stacks = x->st;
	x->p.n = 3;
}

/* the decoder: pprof_decoder.h */

static int write_fake(const char *path, const struct lt_profile *p)
{
	FILE *f = fopen(path, "wb");
	int err;

	if (!f)
		return -errno;
	err = export_pprof(f, p);
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

/* p exported into a new temporary file, its name written into path (a
 * mkstemp() template): 0, or -1 (a check failed). */
static int export_tmp(char *path, const struct lt_profile *p)
{
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return -1;
	close(fd);
	CHECK_EQ_INT(write_fake(path, p), 0);
	return 0;
}

static struct dprof *read_back(const char *path)
{
	struct dprof *d = calloc(1, sizeof(*d));
	size_t len = 0;
	uint8_t *raw = gunzip_file(path, &len);

	if (!d || !raw) {
		free(raw);
		free(d);
		return NULL;
	}
	decode(d, raw, len);
	free(raw);
	return d;
}

static int loc_index(const struct dprof *d, uint64_t id)
{
	return id >= 1 && id <= (uint64_t)d->nl ? (int)id - 1 : -1;
}

/* Function name of a location id ("" when it has no Line). */
static const char *loc_func(const struct dprof *d, uint64_t id)
{
	int i = loc_index(d, id);

	if (i < 0)
		return "(bad location)";
	if (!d->l[i].nline)
		return "";
	if (d->l[i].fid < 1 || d->l[i].fid > (uint64_t)d->nf)
		return "(bad function)";
	return S(d, d->f[d->l[i].fid - 1].name);
}

static const struct dlabel *find_label(const struct dprof *d, const struct dsample *s,
				       const char *key)
{
	for (int i = 0; i < s->nlab; i++)
		if (!strcmp(S(d, s->lab[i].key), key))
			return &s->lab[i];
	return NULL;
}

static void check_sample(const struct dprof *d, const struct dsample *s, int64_t ao, int64_t as,
			 int64_t io, int64_t is, int64_t avg)
{
	const struct dlabel *l;

	CHECK_EQ_INT(s->nval, 4);
	CHECK_EQ_INT(s->val[0], ao);
	CHECK_EQ_INT(s->val[1], as);
	CHECK_EQ_INT(s->val[2], io);
	CHECK_EQ_INT(s->val[3], is);
	l = find_label(d, s, "bytes");
	CHECK(l != NULL);
	if (l) {
		CHECK_EQ_INT(l->num, avg);
		CHECK_EQ_STR(S(d, l->unit), "bytes");
	}
	l = find_label(d, s, "pid");
	CHECK(l && l->num == 4242 && !l->str);
	l = find_label(d, s, "comm");
	CHECK(l && !strcmp(S(d, l->str), "demo"));
}

static int mapping_of(const struct dprof *d, const char *file)
{
	for (int i = 0; i < d->nm; i++)
		if (!strcmp(S(d, d->m[i].file), file))
			return i;
	return -1;
}

UT_TEST(pprof_decode)
{
	char path[] = "/tmp/lt-pprof-XXXXXX";
	struct dprof *d = NULL;
	struct fake x;
	int i, j;

	fake_profile(&x);
	if (export_tmp(path, &x.p))
		return;
	d = read_back(path);
	CHECK(d != NULL);
	if (!d)
		goto cleanup;
	CHECK(!d->bad);
	CHECK(d->nstr > 0 && !strcmp(S(d, 0), ""));
	/* no duplicate strings */
	for (i = 0; i < d->nstr; i++)
		for (j = i + 1; j < d->nstr; j++)
			CHECK(strcmp(d->str[i], d->str[j]));

	CHECK_EQ_INT(d->nst, 4);
	CHECK_EQ_STR(S(d, d->st_type[0]), "alloc_objects");
	CHECK_EQ_STR(S(d, d->st_unit[0]), "count");
	CHECK_EQ_STR(S(d, d->st_type[1]), "alloc_space");
	CHECK_EQ_STR(S(d, d->st_unit[1]), "bytes");
	CHECK_EQ_STR(S(d, d->st_type[2]), "inuse_objects");
	CHECK_EQ_STR(S(d, d->st_unit[2]), "count");
	CHECK_EQ_STR(S(d, d->st_type[3]), "inuse_space");
	CHECK_EQ_STR(S(d, d->st_unit[3]), "bytes");
	CHECK_EQ_STR(S(d, d->pt_type), "space");
	CHECK_EQ_STR(S(d, d->pt_unit), "bytes");
	CHECK_EQ_INT(d->period, 1);
	CHECK_EQ_STR(S(d, d->dflt), "inuse_space");
	CHECK_EQ_INT(d->dur, 12500000000LL);
	CHECK(d->time > 1600000000LL * 1000000000);
	CHECK_EQ_INT(d->ncomment, 1);
	CHECK(strstr(S(d, d->comment), "pid 4242 (demo)") != NULL);

	/* ids: sequential from 1 */
	for (i = 0; i < d->nm; i++)
		CHECK_EQ_INT(d->m[i].id, i + 1);
	for (i = 0; i < d->nl; i++)
		CHECK_EQ_INT(d->l[i].id, i + 1);
	for (i = 0; i < d->nf; i++)
		CHECK_EQ_INT(d->f[i].id, i + 1);
	/* demo, libc, _ext.so; 4 + 3 (main shared) + 4 (fill shared)
	 * locations; 9 functions (parse_config once) */
	CHECK_EQ_INT(d->nm, 3);
	CHECK_EQ_INT(d->nl, 11);
	CHECK_EQ_INT(d->nf, 9);
	for (i = 0; i < d->nl; i++) {
		CHECK(d->l[i].map <= (uint64_t)d->nm);
		CHECK(d->l[i].nline <= 1);
		CHECK(!d->l[i].nline || (d->l[i].fid >= 1 && d->l[i].fid <= (uint64_t)d->nf));
		for (j = i + 1; j < d->nl; j++) /* native: one per address */
			CHECK(!d->l[i].map || d->l[i].addr != d->l[j].addr);
	}
	for (i = 0; i < d->nf; i++) {
		/* native: system_name == name; Python: none (see the exporter) */
		CHECK(d->f[i].sys == d->f[i].name ||
		      (!d->f[i].sys && strstr(S(d, d->f[i].file), ".py")));
		CHECK_EQ_INT(d->f[i].start, 0);
		for (j = i + 1; j < d->nf; j++)
			CHECK(d->f[i].name != d->f[j].name || d->f[i].file != d->f[j].file);
	}

	/* mappings */
	i = mapping_of(d, M_DEMO.path);
	CHECK(i >= 0);
	if (i >= 0) {
		CHECK_EQ_INT(d->m[i].start, M_DEMO.start);
		CHECK_EQ_INT(d->m[i].limit, M_DEMO.end);
		CHECK_EQ_INT(d->m[i].off, 0);
		CHECK_EQ_STR(S(d, d->m[i].bid), M_DEMO.bid);
		CHECK(d->m[i].hf && d->m[i].hfl && d->m[i].hl);
	}
	i = mapping_of(d, M_LIBC.path);
	CHECK(i >= 0);
	if (i >= 0) {
		CHECK_EQ_INT(d->m[i].off, 0x28000);
		CHECK_EQ_INT(d->m[i].bid, 0); /* none */
	}

	/* samples, leaf first, in the profile's order */
	CHECK_EQ_INT(d->ns, 3);
	if (d->ns != 3)
		goto cleanup;
	/* alloc_space: 40960 / 10 * 25; 1000 * 100 / 4; 3000 */
	check_sample(d, &d->s[0], 25, 102400, 10, 40960, 4096);
	check_sample(d, &d->s[1], 100, 25000, 4, 1000, 250);
	check_sample(d, &d->s[2], 3, 3000, 3, 3000, 1000);
	CHECK_EQ_INT(d->s[0].nloc, 4);
	CHECK_EQ_INT(d->s[1].nloc, 4);
	CHECK_EQ_INT(d->s[2].nloc, 5);
	CHECK_EQ_STR(loc_func(d, d->s[0].loc[0]), "leak_node");
	CHECK_EQ_STR(loc_func(d, d->s[0].loc[1]), "parse_config");
	CHECK_EQ_STR(loc_func(d, d->s[0].loc[3]), "__libc_start_call_main");
	CHECK_EQ_STR(loc_func(d, d->s[1].loc[0]), "cache_put");
	CHECK_EQ_INT(d->s[0].loc[2], d->s[1].loc[2]); /* main, one address */
	CHECK(d->s[0].loc[1] != d->s[1].loc[1]);	      /* two addresses ... */
	i = loc_index(d, d->s[0].loc[1]);
	j = loc_index(d, d->s[1].loc[1]);
	if (i >= 0 && j >= 0) {
		CHECK_EQ_INT(d->l[i].fid, d->l[j].fid); /* one function */
		CHECK_EQ_INT(d->l[i].line, 20);
		CHECK_EQ_INT(d->l[i].addr, 0x401200);
		CHECK_EQ_INT(d->l[i].map, mapping_of(d, M_DEMO.path) + 1);
	}
	i = loc_index(d, d->s[1].loc[3]); /* no name: address and mapping, no Line */
	CHECK(i >= 0);
	if (i >= 0) {
		CHECK_EQ_INT(d->l[i].addr, 0x401500);
		CHECK_EQ_INT(d->l[i].map, mapping_of(d, M_DEMO.path) + 1);
		CHECK_EQ_INT(d->l[i].nline, 0);
	}
	CHECK_EQ_STR(loc_func(d, d->s[2].loc[0]), "ext_alloc");
	CHECK_EQ_STR(loc_func(d, d->s[2].loc[1]), "Cache.add");
	CHECK_EQ_STR(loc_func(d, d->s[2].loc[2]), "fill");
	CHECK_EQ_INT(d->s[2].loc[2], d->s[2].loc[3]); /* same (function, file, line) */
	CHECK_EQ_STR(loc_func(d, d->s[2].loc[4]), "<module>");
	i = loc_index(d, d->s[2].loc[1]);
	if (i >= 0) {
		CHECK_EQ_INT(d->l[i].map, 0);
		CHECK_EQ_INT(d->l[i].addr, 0);
		CHECK_EQ_INT(d->l[i].line, 12);
		CHECK_EQ_STR(S(d, d->f[d->l[i].fid - 1].file), "/srv/app/cache.py");
	}

cleanup:
	dprof_free(d);
	unlink(path);
}

UT_TEST(pprof_empty_and_errors)
{
	char path[] = "/tmp/lt-pprof-XXXXXX";
	struct lt_profile empty = { .pid = 1 }; /* no comm, no stacks */
	struct dprof *d;
	struct fake x;
	FILE *f;

	if (export_tmp(path, &empty))
		return;
	d = read_back(path);
	CHECK(d && !d->bad && d->nst == 4 && d->ns == 0 && d->nl == 0 && d->nstr > 0);
	dprof_free(d);
	unlink(path);

	fake_profile(&x);
	CHECK_EQ_INT(export_pprof(NULL, &x.p), -EINVAL);
	f = fopen("/dev/full", "wb"); /* the write error surfaces */
	if (f) {
		CHECK_EQ_INT(export_pprof(f, &x.p), -ENOSPC);
		fclose(f);
	}
}

/* Many stacks: the dedup tables grow many times and the output is
 * deflated in several pieces; checked by a counting walk. */
UT_TEST(pprof_many)
{
	enum { NST = 3000, NFR = 16, NADDR = 5000, NNAME = 700, NFILE = 3 };
	static char names[NNAME][24], files[NFILE][24];
	static struct lt_out_frame fr[NST][NFR];
	static struct lt_prof_stack st[NST];
	static struct lt_site site[NST];
	static bool used_addr[NADDR], used_fn[NNAME * NFILE];
	char path[] = "/tmp/lt-pprof-XXXXXX";
	struct lt_profile p = { .pid = 7, .comm = "many", .stacks = st, .n = NST };
	uint64_t want_loc = 0, want_fn = 0, nloc = 0, nfn = 0, nsample = 0, nmap = 0;
	uint8_t *raw;
	size_t len = 0;
	bool bad = false;
	struct rd r, sub, sub2;
	uint32_t fn, fn2;
	uint64_t v, v2;
	int wt, wt2;

	for (int i = 0; i < NNAME; i++)
		snprintf(names[i], sizeof(names[i]), "fn_%d", i);
	for (int i = 0; i < NFILE; i++)
		snprintf(files[i], sizeof(files[i]), "src%d.c", i);
	for (int i = 0; i < NST; i++) {
		for (int j = 0; j < NFR; j++) {
			int k = (i * 7 + j * 13) % NADDR;

			fr[i][j] = nat(&M_DEMO, 0x401000 + 16 * (uint64_t)k, names[k % NNAME],
				       files[k % NFILE], k);
			want_loc += !used_addr[k];
			used_addr[k] = true;
			want_fn += !used_fn[(k % NNAME) * NFILE + k % NFILE];
			used_fn[(k % NNAME) * NFILE + k % NFILE] = true;
		}
		site[i] = (struct lt_site){ .bytes = 64 * (i + 1), .allocs = i + 1,
					    .total_allocs = 2 * (i + 1) };
		st[i] = (struct lt_prof_stack){ .site = &site[i], .nframes = NFR,
						.frames = fr[i] };
	}
	if (export_tmp(path, &p))
		return;
	raw = gunzip_file(path, &len);
	unlink(path);
	CHECK(raw != NULL && len > 256 * 1024); /* several flushes */
	if (!raw)
		return;
	r = (struct rd){ raw, raw + len, &bad };
	while (rd_next(&r, &fn, &wt, &v, &sub)) {
		uint64_t id = 0, nval = 0, nzero = 0, locs[NFR + 1];
		int n = 0;

		if (fn == 2) {
			nsample++;
			while (rd_next(&sub, &fn2, &wt2, &v2, &sub2)) {
				if (fn2 == 1) {
					n = 0;
					while (sub2.p < sub2.end && n <= NFR)
						locs[n++] = rd_varint(&sub2);
					CHECK_EQ_INT(n, NFR);
				} else if (fn2 == 2) {
					for (; sub2.p < sub2.end; nval++)
						nzero += !rd_varint(&sub2);
				}
			}
			CHECK_EQ_INT(nval, 4);
			CHECK_EQ_INT(nzero, 0);
			for (int i = 0; i < n; i++)
				CHECK(locs[i] >= 1 && locs[i] <= want_loc);
			continue;
		}
		if (fn < 3 || fn > 5)
			continue;
		while (rd_next(&sub, &fn2, &wt2, &v2, &sub2))
			if (fn2 == 1)
				id = v2;
		if (fn == 3)
			CHECK_EQ_INT(id, ++nmap);
		else if (fn == 4)
			CHECK_EQ_INT(id, ++nloc);
		else
			CHECK_EQ_INT(id, ++nfn);
	}
	free(raw);
	CHECK(!bad);
	CHECK_EQ_INT(nsample, NST);
	CHECK_EQ_INT(nmap, 1);
	CHECK_EQ_INT(nloc, want_loc);
	CHECK_EQ_INT(nfn, want_fn);
}

/* ---- the real client ---- */

static bool have_go(void)
{
	return system("command -v go >/dev/null 2>&1") == 0;
}

/* Output of `go tool pprof ARGS FILE` (stdout and stderr) into out. The
 * environment may be minimal (CI as root): give go a HOME and a cache. */
static int go_pprof(const char *dir, const char *args, const char *file, char *out, size_t sz)
{
	char cmd[1024];
	size_t len = 0, n;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && HOME='%s' GOCACHE='%s/gocache' PPROF_TMPDIR='%s' "
		 "go tool pprof %s '%s' 2>&1",
		 dir, dir, dir, dir, args, file);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (len + 1 < sz && (n = fread(out + len, 1, sz - 1 - len, p)) > 0)
		len += n;
	out[len] = '\0';
	return pclose(p);
}

/* go tool pprof ARGS on file, which must succeed; returns ut_failed before
 * its checks, for show_if_failed(). */
static int go_view(const char *dir, const char *args, const char *file, char *out, size_t sz)
{
	int before = ut_failed;

	CHECK_EQ_INT(go_pprof(dir, args, file, out, sz), 0);
	return before;
}

/* The tool's output, when a check since before failed. */
static void show_if_failed(int before, const char *out)
{
	if (ut_failed != before)
		printf("%s", out);
}

/* The first row after the "flat  flat%" header of -top. */
static const char *top_row(const char *out, char *row, size_t sz)
{
	const char *h = strstr(out, "flat  flat%"), *e;

	row[0] = '\0';
	if (!h || !(h = strchr(h, '\n')))
		return row;
	h++;
	e = strchr(h, '\n');
	snprintf(row, sz, "%.*s", (int)(e ? e - h : (long)strlen(h)), h);
	return row;
}

UT_TEST(pprof_go_tool)
{
	char dir[] = "/tmp/lt-pprof-go-XXXXXX", file[64], row[256], cmd[128];
	static char out[16384];
	struct fake x;
	int before;

	if (!have_go()) {
		printf("  note: go not on PATH, `go tool pprof` checks skipped "
		       "(apt-get install golang-go, or scripts/install-deps.sh)\n");
		return;
	}
	CHECK(mkdtemp(dir) != NULL);
	snprintf(file, sizeof(file), "%s/heap.pb.gz", dir);
	fake_profile(&x);
	CHECK_EQ_INT(write_fake(file, &x.p), 0);

	before = go_view(dir, "-raw", file, out, sizeof(out));
	CHECK(strstr(out, "PeriodType: space bytes") != NULL);
	CHECK(strstr(out, "Period: 1") != NULL);
	CHECK(strstr(out, "alloc_objects/count alloc_space/bytes inuse_objects/count "
			  "inuse_space/bytes[dflt]") != NULL);
	CHECK(strstr(out, "leak_node") && strstr(out, "Cache.add") && strstr(out, "<module>"));
	show_if_failed(before, out);

	/* the leak first, exact bytes; names kept as written */
	before = go_view(dir, "-top -sample_index=inuse_space", file, out, sizeof(out));
	CHECK(strstr(out, "Type: inuse_space") != NULL);
	CHECK(strstr(out, "Total samples = 44960B") != NULL);
	top_row(out, row, sizeof(row));
	CHECK(strstr(row, "leak_node") != NULL);
	CHECK(strncmp(row + strspn(row, " "), "40960B ", 7) == 0);
	CHECK(strstr(out, " <module>\n") != NULL);
	CHECK(strstr(out, " [demo]\n") != NULL); /* the frame without a name */
	show_if_failed(before, out);

	before = go_view(dir, "-top -sample_index=alloc_objects", file, out, sizeof(out));
	CHECK(strstr(out, "Type: alloc_objects") != NULL);
	top_row(out, row, sizeof(row));
	CHECK(strstr(row, "cache_put") != NULL);
	CHECK(strncmp(row + strspn(row, " "), "100 ", 4) == 0);
	show_if_failed(before, out);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_EQ_INT(system(cmd), 0);
}

/* --sample-bytes: the period says how the (already scaled) values were sampled. */
UT_TEST(pprof_sampled_period)
{
	char path[] = "/tmp/lt-pprof-XXXXXX";
	struct dprof *d;
	struct fake x;

	fake_profile(&x);
	x.p.mode = "sampled";
	x.p.sample_bytes = 524288;
	if (export_tmp(path, &x.p))
		return;
	d = read_back(path);
	CHECK(d && !d->bad);
	if (d) {
		CHECK_EQ_STR(S(d, d->pt_type), "space");
		CHECK_EQ_STR(S(d, d->pt_unit), "bytes");
		CHECK_EQ_INT(d->period, 524288);
		CHECK(strstr(S(d, d->comment), "estimates") != NULL);
		CHECK_EQ_INT(d->ns, 3);
	}
	dprof_free(d);
	unlink(path);
}
