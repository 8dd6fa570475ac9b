// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "export_folded.h"
#include "hmap.h"

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if none. Rejects
 * overlong forms, surrogates and U+FFFE/U+FFFF (not XML characters). */
static int utf8_seq(const unsigned char *s)
{
	unsigned char c = s[0];
	int n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0; /* also stops at the terminating NUL */
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) ||
	    (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
		return 0;
	if (c == 0xef && s[1] == 0xbf && s[2] >= 0xbe)
		return 0;
	return n;
}

char *exp_clean(const char *s, bool fold)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	char *out = malloc(strlen((const char *)p) + 1), *o = out;

	if (!out)
		return NULL;
	while (*p) {
		int n = utf8_seq(p);

		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f))) {
			*o++ = '?';
			p++;
		} else if (n == 1 && fold && *p == ';') {
			*o++ = ':';
			p++;
		} else {
			memcpy(o, p, n);
			o += n;
			p += n;
		}
	}
	*o = '\0';
	return out;
}

size_t exp_utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

const char *exp_human_bytes(int64_t v, char *buf, size_t len)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
	double d = (double)v;
	int u = -1;

	if (v < 1024 && v > -1024) {
		snprintf(buf, len, "%" PRId64 " B", v);
		return buf;
	}
	while ((d >= 1024 || d <= -1024) && u < 3) {
		d /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", d, unit[u]);
	return buf;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s && s[1] ? s + 1 : path;
}

char *exp_frame_name(const struct lt_out_frame *f)
{
	char *raw = NULL, *name;
	int r;

	if (f->python) {
		const char *fn = f->p.function && f->p.function[0] ? f->p.function : "[unknown]";

		if (f->p.file && f->p.line > 0)
			r = asprintf(&raw, "%s (%s:%d)", fn, base_name(f->p.file), f->p.line);
		else if (f->p.file)
			r = asprintf(&raw, "%s (%s)", fn, base_name(f->p.file));
		else
			r = asprintf(&raw, "%s", fn);
	} else if (f->n.function && f->n.function[0]) {
		r = asprintf(&raw, "%s", f->n.function);
	} else if (f->n.module) {
		r = asprintf(&raw, "[%s+0x%" PRIx64 "]", base_name(f->n.module),
			     f->n.module_offset);
	} else {
		r = asprintf(&raw, "0x%" PRIx64, f->n.addr);
	}
	if (r < 0)
		return NULL;
	name = exp_clean(raw, true);
	free(raw);
	return name;
}

/* Frame names -> index into fs->frames: a table of indexes (hmap.h), the
 * names staying in the frames. Indexes go by first appearance, as ever. */
struct interner {
	struct exp_folded *fs;
	struct hmap names;	/* of uint32_t */
	size_t frames_cap;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static bool name_eq(const void *key, const void *ent, void *ctx)
{
	const struct exp_folded *fs = ctx;

	return !strcmp(fs->frames[*(const uint32_t *)ent].name, key);
}

static void intern_init(struct interner *in, struct exp_folded *fs)
{
	memset(in, 0, sizeof(*in));
	in->fs = fs;
	hmap_init(&in->names, sizeof(uint32_t), 0, 256);
	hmap_set_eq(&in->names, name_eq, fs);
}

/* Takes ownership of name. Returns the frame's index, or -ENOMEM. */
static int64_t intern(struct interner *in, char *name, const char *file, int line, bool python)
{
	struct exp_folded *fs = in->fs;
	uint64_t h = hash_str(name);
	struct exp_frame *fr;
	uint32_t *ix = hmap_find(&in->names, h, name);

	if (ix) {
		fr = &fs->frames[*ix];
		free(name);
		if (fr->file && (!file || strcmp(fr->file, file)))
			fr->file = NULL;
		if (fr->line != line)
			fr->line = 0;
		return *ix;
	}
	if (fs->nframes == in->frames_cap) {
		size_t cap = in->frames_cap ? in->frames_cap * 2 : 256;
		struct exp_frame *a = realloc(fs->frames, cap * sizeof(*a));

		if (!a) {
			free(name);
			return -ENOMEM;
		}
		fs->frames = a;
		in->frames_cap = cap;
	}
	if (hmap_get(&in->names, h, name, (void **)&ix) < 0) {
		free(name);
		return -ENOMEM;
	}
	*ix = (uint32_t)fs->nframes;
	fr = &fs->frames[fs->nframes];
	fr->name = name;
	fr->file = file;
	fr->line = line;
	fr->python = python;
	return fs->nframes++;
}

static int stack_cmp(const void *a, const void *b, void *arg)
{
	const struct exp_stack *x = a, *y = b;
	const struct exp_folded *fs = arg;

	for (int i = 0; i < x->n && i < y->n; i++) {
		int c;

		if (x->fr[i] == y->fr[i])
			continue;
		c = strcmp(fs->frames[x->fr[i]].name, fs->frames[y->fr[i]].name);
		if (c)
			return c;
	}
	return x->n - y->n;
}

static bool stack_same(const struct exp_stack *x, const struct exp_stack *y)
{
	return x->n == y->n && !memcmp(x->fr, y->fr, x->n * sizeof(*x->fr));
}

/* One site's stack, root first. */
static int add_stack(struct interner *in, const struct lt_prof_stack *ps, struct exp_stack *st)
{
	int n = ps->nframes > 0 ? ps->nframes : 1;

	st->fr = malloc(n * sizeof(*st->fr));
	st->line = malloc(n * sizeof(*st->line));
	if (!st->fr || !st->line)
		return -ENOMEM;
	st->bytes = ps->site->bytes;
	st->allocs = ps->site->allocs;
	if (ps->nframes <= 0) {
		char *name = strdup("[unknown]");
		int64_t ix = name ? intern(in, name, NULL, 0, false) : -ENOMEM;

		if (ix < 0)
			return ix;
		st->fr[0] = ix;
		st->line[0] = 0;
		st->n = 1;
		return 0;
	}
	for (int i = 0; i < n; i++) {
		const struct lt_out_frame *f = &ps->frames[n - 1 - i];
		const char *file = f->python ? f->p.file : f->n.file ? f->n.file : f->n.module;
		int line = f->python ? f->p.line : f->n.file ? f->n.line : 0;
		char *name = exp_frame_name(f);
		int64_t ix = name ? intern(in, name, file, line > 0 ? line : 0, f->python) : -ENOMEM;

		if (ix < 0)
			return ix;
		st->fr[i] = ix;
		st->line[i] = line > 0 ? line : 0;
		st->n = i + 1;
	}
	return 0;
}

int exp_folded_build(const struct lt_profile *p, struct exp_folded *out)
{
	struct interner in;
	size_t k = 0;
	int err = 0;

	memset(out, 0, sizeof(*out));
	intern_init(&in, out);
	out->stacks = calloc(p->n ? p->n : 1, sizeof(*out->stacks));
	if (!out->stacks)
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++) {
		const struct lt_prof_stack *ps = &p->stacks[i];

		if (!ps->site || ps->site->bytes <= 0)
			continue;
		err = add_stack(&in, ps, &out->stacks[out->nstacks++]);
		if (err)
			goto cleanup;
	}
	hmap_free(&in.names);

	qsort_r(out->stacks, out->nstacks, sizeof(*out->stacks), stack_cmp, out);
	for (size_t i = 0; i < out->nstacks; i++) {
		struct exp_stack *st = &out->stacks[i];

		out->bytes += st->bytes;
		out->allocs += st->allocs;
		if (k > 0 && stack_same(&out->stacks[k - 1], st)) {
			struct exp_stack *m = &out->stacks[k - 1];

			m->bytes += st->bytes;
			m->allocs += st->allocs;
			for (int j = 0; j < m->n; j++)
				if (m->line[j] != st->line[j])
					m->line[j] = -1;
			free(st->fr);
			free(st->line);
			continue;
		}
		out->stacks[k++] = *st;
	}
	out->nstacks = k;
	return 0;
cleanup:
	hmap_free(&in.names);
	exp_folded_free(out);
	return err;
}

void exp_folded_free(struct exp_folded *fs)
{
	if (!fs)
		return;
	for (size_t i = 0; i < fs->nframes; i++)
		free(fs->frames[i].name);
	for (size_t i = 0; i < fs->nstacks; i++) {
		free(fs->stacks[i].fr);
		free(fs->stacks[i].line);
	}
	free(fs->frames);
	free(fs->stacks);
	memset(fs, 0, sizeof(*fs));
}

int export_folded(FILE *f, const struct lt_profile *p)
{
	struct exp_folded fs;
	int err = exp_folded_build(p, &fs);

	if (err)
		return err;
	for (size_t i = 0; i < fs.nstacks; i++) {
		const struct exp_stack *st = &fs.stacks[i];

		for (int j = 0; j < st->n; j++) {
			if (j)
				fputc(';', f);
			fputs(fs.frames[st->fr[j]].name, f);
		}
		fprintf(f, " %" PRId64 "\n", st->bytes);
	}
	exp_folded_free(&fs);
	if (fflush(f) || ferror(f))
		return -EIO;
	return 0;
}
