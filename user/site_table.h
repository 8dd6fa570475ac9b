/* SPDX-License-Identifier: MIT */
/* The sites of one collect, by (process image, stack, caller, allocator): a
 * hash table (hmap.h) that aggregate.c fills from the kernel's aggregate and
 * keeps the previous collect's copy of, for growth. Iteration is in slot
 * order, as before hmap: sites tied in a sort keep their order. */
#ifndef LT_SITE_TABLE_H
#define LT_SITE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "hmap.h"
#include "site.h"

struct site_slot {
	struct lt_site s;
	uint64_t retired;	/* total_allocs of aggregate entries already deleted */
};

/* All zeroes is an empty table (aggregate.c swaps them by value). */
struct site_table {
	struct hmap m;		/* of site_slot; m.n: the sites */
};

/* A site's process image as one key: tgid << 32 | epoch. */
uint64_t site_table_proc(const struct lt_site *s);
/* Find the slot for a site; with create, insert it. NULL if absent/ENOMEM. */
struct site_slot *site_table_get(struct site_table *t, uint64_t proc, uint64_t stack_id,
				 uint64_t caller, uint16_t kind, bool create);
/* Empty t for a snapshot of about `expect` sites: a table far larger than
 * that (-a, after many processes came and went) is let go. */
void site_table_clear(struct site_table *t, size_t expect);
/* Iterate: *i starts at 0; NULL at the end. */
struct site_slot *site_table_next(const struct site_table *t, size_t *i);
void site_table_free(struct site_table *t);

#endif
