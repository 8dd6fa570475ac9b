// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "pprof_decoder.h"

uint64_t rd_varint(struct rd *r)
{
	uint64_t v = 0;

	for (int sh = 0; sh < 64; sh += 7) {
		if (r->p >= r->end)
			break;
		v |= (uint64_t)(*r->p & 0x7f) << sh;
		if (!(*r->p++ & 0x80))
			return v;
	}
	*r->bad = true;
	r->p = r->end;
	return 0;
}

/* Next field: number, wire type, varint value or sub-reader. */
bool rd_next(struct rd *r, uint32_t *fn, int *wt, uint64_t *v, struct rd *sub)
{
	uint64_t tag, n;

	if (r->p >= r->end)
		return false;
	tag = rd_varint(r);
	*fn = tag >> 3;
	*wt = tag & 7;
	*v = 0;
	if (*wt == 0) {
		*v = rd_varint(r);
	} else if (*wt == 2) {
		n = rd_varint(r);
		if (n > (uint64_t)(r->end - r->p)) {
			*r->bad = true;
			return false;
		}
		*sub = (struct rd){ r->p, r->p + n, r->bad };
		r->p += n;
	} else {
		*r->bad = true; /* the exporter writes no other wire types */
		return false;
	}
	return !*r->bad;
}

/* A message's varint fields 1..n-1 into v[field]; others are skipped. */
static void rd_fields(struct rd *r, uint64_t *v, uint32_t n)
{
	struct rd sub;
	uint32_t fn;
	uint64_t x;
	int wt;

	while (rd_next(r, &fn, &wt, &x, &sub))
		if (wt == 0 && fn < n)
			v[fn] = x;
}

/* A repeated varint field, packed or not. */
static void rd_rep(struct rd *sub, int wt, uint64_t v, uint64_t *out, int *n, bool *bad)
{
	if (wt == 0) {
		if (*n < D_MAX)
			out[(*n)++] = v;
		else
			*bad = true;
		return;
	}
	while (sub->p < sub->end && !*bad) {
		uint64_t x = rd_varint(sub);

		if (*n < D_MAX)
			out[(*n)++] = x;
		else
			*bad = true;
	}
}

/* Room for one more in a fixed array (else the decode is marked bad). */
#define ROOM(arr, n, d) ((n) < (int)(sizeof(arr) / sizeof((arr)[0])) || ((d)->bad = true, false))

static void dec_sample(struct dprof *d, struct rd *r)
{
	struct dsample *s = ROOM(d->s, d->ns, d) ? &d->s[d->ns++] : NULL;
	struct rd sub, lr;
	uint32_t fn, lfn;
	uint64_t v, lv;
	int wt, lwt;

	if (!s)
		return;
	while (rd_next(r, &fn, &wt, &v, &sub)) {
		if (fn == 1)
			rd_rep(&sub, wt, v, s->loc, &s->nloc, &d->bad);
		else if (fn == 2)
			rd_rep(&sub, wt, v, (uint64_t *)s->val, &s->nval, &d->bad);
		else if (fn == 3 && wt == 2) {
			struct dlabel *l = ROOM(s->lab, s->nlab, d) ? &s->lab[s->nlab++] : NULL;

			while (l && rd_next(&sub, &lfn, &lwt, &lv, &lr)) {
				if (lfn == 1)
					l->key = lv;
				else if (lfn == 2)
					l->str = lv;
				else if (lfn == 3)
					l->num = lv;
				else if (lfn == 4)
					l->unit = lv;
			}
		}
	}
}

void decode(struct dprof *d, const uint8_t *buf, size_t n)
{
	struct rd r = { buf, buf + n, &d->bad }, sub, sub2, sub3;
	uint32_t fn, fn2, fn3;
	uint64_t v, v2, v3;
	int wt, wt2, wt3;

	while (rd_next(&r, &fn, &wt, &v, &sub)) {
		switch (fn) {
		case 1: /* sample_type */
		case 11: { /* period_type */
			int64_t t = 0, u = 0;

			while (rd_next(&sub, &fn2, &wt2, &v2, &sub2))
				if (fn2 == 1)
					t = v2;
				else if (fn2 == 2)
					u = v2;
			if (fn == 11) {
				d->pt_type = t;
				d->pt_unit = u;
			} else if (d->nst < 8) {
				d->st_type[d->nst] = t;
				d->st_unit[d->nst++] = u;
			} else {
				d->bad = true;
			}
			break;
		}
		case 2:
			dec_sample(d, &sub);
			break;
		case 3: /* mapping */
		case 5: { /* function */
			uint64_t f[10] = {};

			rd_fields(&sub, f, 10);
			if (fn == 3 && ROOM(d->m, d->nm, d))
				d->m[d->nm++] = (typeof(d->m[0])){ f[1], f[2], f[3], f[4], f[5],
								 f[6], f[7], f[8], f[9] };
			else if (fn == 5 && ROOM(d->f, d->nf, d))
				d->f[d->nf++] = (typeof(d->f[0])){ f[1], f[2], f[3], f[4], f[5] };
			break;
		}
		case 4: {
			int i = d->nl;

			if (!ROOM(d->l, d->nl, d))
				break;
			d->nl++;
			while (rd_next(&sub, &fn2, &wt2, &v2, &sub2)) {
				if (fn2 == 1)
					d->l[i].id = v2;
				else if (fn2 == 2)
					d->l[i].map = v2;
				else if (fn2 == 3)
					d->l[i].addr = v2;
				else if (fn2 == 4 && wt2 == 2) {
					d->l[i].nline++;
					while (rd_next(&sub2, &fn3, &wt3, &v3, &sub3))
						if (fn3 == 1)
							d->l[i].fid = v3;
						else if (fn3 == 2)
							d->l[i].line = v3;
				}
			}
			break;
		}
		case 6:
			if (wt != 2 || d->nstr >= (int)(sizeof(d->str) / sizeof(d->str[0]))) {
				d->bad = true;
				break;
			}
			d->str[d->nstr++] = strndup((const char *)sub.p, sub.end - sub.p);
			break;
		case 9: d->time = v; break;
		case 10: d->dur = v; break;
		case 12: d->period = v; break;
		case 13: d->comment = v; d->ncomment++; break;
		case 14: d->dflt = v; break;
		}
	}
}

const char *S(const struct dprof *d, int64_t i)
{
	return i >= 0 && i < d->nstr && d->str[i] ? d->str[i] : "(bad index)";
}

void dprof_free(struct dprof *d)
{
	for (int i = 0; d && i < d->nstr; i++)
		free(d->str[i]);
	free(d);
}

/* gunzip a whole file; NULL on error. Insists on the gzip magic (zlib's
 * gzread would pass raw bytes through). */
uint8_t *gunzip_file(const char *path, size_t *out_len)
{
	uint8_t in[4096], *out = NULL, *p;
	size_t cap = 0, len = 0;
	z_stream z = { 0 };
	int ret = Z_OK;
	bool first = true;
	FILE *f = fopen(path, "rb");

	if (!f || inflateInit2(&z, 15 + 16) != Z_OK) {
		if (f)
			fclose(f);
		return NULL;
	}
	while (ret != Z_STREAM_END) {
		z.avail_in = fread(in, 1, sizeof(in), f);
		if (!z.avail_in)
			break;
		if (first && (z.avail_in < 2 || in[0] != 0x1f || in[1] != 0x8b))
			break;
		first = false;
		z.next_in = in;
		do {
			if (cap - len < 4096) {
				cap = cap ? cap * 2 : 16384;
				p = realloc(out, cap);
				if (!p)
					goto fail;
				out = p;
			}
			z.next_out = out + len;
			z.avail_out = cap - len;
			ret = inflate(&z, Z_NO_FLUSH);
			if (ret != Z_OK && ret != Z_STREAM_END)
				goto fail;
			len = cap - z.avail_out;
		} while (z.avail_in && ret != Z_STREAM_END);
	}
	if (ret != Z_STREAM_END)
		goto fail;
	inflateEnd(&z);
	fclose(f);
	*out_len = len;
	return out;
fail:
	inflateEnd(&z);
	fclose(f);
	free(out);
	return NULL;
}

