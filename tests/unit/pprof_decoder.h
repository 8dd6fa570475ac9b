/* SPDX-License-Identifier: MIT */
/* A minimal pprof decoder, independent of the exporter, for its tests:
 * what test_export_pprof.c reads the exported profiles back with. */
#ifndef LT_PPROF_DECODER_H
#define LT_PPROF_DECODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define D_MAX 64

struct dlabel {
	int64_t key, str, num, unit;
};

struct dsample {
	uint64_t loc[D_MAX];
	int nloc;
	int64_t val[D_MAX];
	int nval;
	struct dlabel lab[8];
	int nlab;
};

struct dprof {
	char *str[D_MAX * 2];
	int nstr;
	int64_t st_type[8], st_unit[8];
	int nst;
	struct dsample s[8];
	int ns;
	struct {
		uint64_t id, start, limit, off;
		int64_t file, bid;
		bool hf, hfl, hl;
	} m[D_MAX];
	int nm;
	struct {
		uint64_t id, map, addr, fid;
		int64_t line;
		int nline;
	} l[D_MAX];
	int nl;
	struct {
		uint64_t id;
		int64_t name, sys, file, start;
	} f[D_MAX];
	int nf;
	int64_t time, dur, period, dflt, pt_type, pt_unit, comment;
	int ncomment;
	bool bad; /* malformed or past the fixed sizes */
};

struct rd {
	const uint8_t *p, *end;
	bool *bad;
};

/* One varint at r. */
uint64_t rd_varint(struct rd *r);
/* Next field: number, wire type, varint value or sub-reader. */
bool rd_next(struct rd *r, uint32_t *fn, int *wt, uint64_t *v, struct rd *sub);
/* A whole (decompressed) profile into d; d->bad when malformed. */
void decode(struct dprof *d, const uint8_t *buf, size_t n);
/* String i of the table, or "(bad index)". */
const char *S(const struct dprof *d, int64_t i);
void dprof_free(struct dprof *d);
/* gunzip a whole file; NULL on error (malloc'd, *out_len its size). */
uint8_t *gunzip_file(const char *path, size_t *out_len);

#endif
