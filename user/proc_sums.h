/* SPDX-License-Identifier: MIT */
/* -a: the process images of a collect, each with the totals of its sites and
 * its suspects' growth; the previous collect's kept for the arenas' growth. */
#ifndef LT_PROC_SUMS_H
#define LT_PROC_SUMS_H

#include <stddef.h>
#include "model.h"

struct site_table;

struct proc_sums {
	struct lt_proc_sum *v, *old;	/* v: by growth, then bytes; old: by id */
	size_t n, nold;
};

/* Sum the sites of a collect by process image; the last sums become old.
 * 0 or -ENOMEM. */
int proc_sums_update(struct proc_sums *ps, const struct site_table *sites);
void proc_sums_free(struct proc_sums *ps);

#endif
