/* SPDX-License-Identifier: MIT */
/*
 * Folded ("collapsed") stacks of outstanding bytes: the input of
 * flamegraph.pl, speedscope, Pyroscope's /ingest and friends. One line per
 * distinct stack, root first, frames joined by ';', one space, then the
 * outstanding bytes of every site with that stack:
 *
 *   main;parse_config;xmalloc 4096
 *   main;[libplugin.so+0x1a2b];0x7f3a12345678 512
 *   <module> (app.py:30);Cache.load (cache.py:12);_cffi_alloc;xmalloc 65536
 *   [unknown] 128
 *
 * Frame names, used alike by every exporter:
 *   native  `function`, else `[module basename+0xFILEOFFSET]`, else `0xADDR`;
 *   python  `qualname (file basename:line)`, `qualname (file)` without a
 *           line, `qualname` without a file;
 *   none    a site without frames is `[unknown]`.
 * Escapes: ';' in a name becomes ':' (it separates frames); control
 * characters and bytes that are not UTF-8 become '?'. Spaces are kept
 * (flamegraph.pl takes the count after the last space).
 * Identical stacks are merged (bytes summed); lines are sorted by their
 * frames (byte order, root first); stacks with no outstanding bytes are
 * left out, so the counts sum to the bytes of the sites listed.
 *
 * This file also builds the merged-stack model (struct exp_folded) that the
 * flame graph and speedscope exporters read.
 */
#ifndef LT_EXPORT_FOLDED_H
#define LT_EXPORT_FOLDED_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "profile.h"

/* 0 or -errno (-ENOMEM, -EIO when writing f failed). */
int export_folded(FILE *f, const struct lt_profile *p);

/* --- shared by the exporters ------------------------------------------ */

/* A distinct frame name. file/line describe it when every occurrence
 * agrees: file NULL when unknown or differing, line 0 when unknown or
 * differing. Native file: DWARF source, else the module's path. */
struct exp_frame {
	char *name;
	const char *file;	/* borrowed from the profile */
	int line;
	bool python;
};

/* A distinct stack, root first, as indexes into exp_folded.frames. line[i]
 * is the line of that frame in this stack: 0 unknown, -1 differing between
 * the merged sites. */
struct exp_stack {
	uint32_t *fr;
	int *line;
	int n;
	int64_t bytes, allocs;
};

struct exp_folded {
	struct exp_frame *frames;
	size_t nframes;
	struct exp_stack *stacks;	/* sorted, merged (see above) */
	size_t nstacks;
	int64_t bytes, allocs;		/* sums over the stacks */
};

/* Borrows strings from p: keep p alive while using it. 0 or -ENOMEM. */
int exp_folded_build(const struct lt_profile *p, struct exp_folded *out);
void exp_folded_free(struct exp_folded *fs);

/* A frame's display name (rules above), malloc()ed; NULL on ENOMEM. */
char *exp_frame_name(const struct lt_out_frame *f);
/* s made safe for any output: control characters and invalid UTF-8 become
 * '?', and ';' becomes ':' if `fold`. malloc()ed; NULL on ENOMEM. */
char *exp_clean(const char *s, bool fold);
/* Number of UTF-8 sequences (the characters of valid UTF-8) in s. */
size_t exp_utf8_len(const char *s);
/* "4.0 KiB"-style size (B, KiB, MiB, GiB, TiB) into buf. */
const char *exp_human_bytes(int64_t v, char *buf, size_t len);

#endif
