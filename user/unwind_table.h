/* SPDX-License-Identifier: MIT */
/*
 * Unwind tables from a module's own CFI (.eh_frame): rows per address range,
 * each naming a rule of the few the BPF walker knows (leaktrace.h, lt_uw_*),
 * cached on disk by build id so that a module is read once per machine.
 */
#ifndef LT_UNWIND_TABLE_H
#define LT_UNWIND_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include "leaktrace.h"

#define UW_MAX_SEGS 4

struct uw_seg {			/* an executable PT_LOAD */
	uint64_t offset, vaddr, filesz;
};

struct uw_table {
	uint32_t nrows, nrules, nsegs;
	uint64_t lo;			/* rows' pc are vaddr - lo (lo: first row's page) */
	struct uw_seg segs[UW_MAX_SEGS];
	struct lt_uw_rule *rules;	/* local to the table, deduplicated */
	struct lt_uw_row *rows;		/* sorted by pc, neighbours merged; the
					 * last one (LT_UW_INVALID) ends the code */
	double build_s;			/* time spent building (0: from the cache) */
	bool fp;			/* a frame-pointer build: every FDE but the entry
					 * point's has only rules such code has */
};

/* Build the table of the ELF file at path from its .eh_frame, or read it from
 * cache_dir (may be NULL: no cache) by build id. 0, -ENOENT (no CFI) or
 * -errno. */
int uw_table_get(const char *path, const char *cache_dir, struct uw_table **out);
/* The same, always built from the CFI (no cache). */
int uw_table_build(const char *path, struct uw_table **out);
void uw_table_free(struct uw_table *t);
/* The row in force at module vaddr, or NULL (tests, diagnostics). */
const struct lt_uw_row *uw_table_find(const struct uw_table *t, uint64_t vaddr);

#endif
