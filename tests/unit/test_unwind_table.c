// SPDX-License-Identifier: MIT
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fxutil.h"
#include "unit.h"
#include "unwind_table.h"

static const struct lt_uw_rule *rule_at(const struct uw_table *t, uint64_t vaddr)
{
	const struct lt_uw_row *r = uw_table_find(t, vaddr);

	return r ? &t->rules[r->rule] : NULL;
}

/* fx_prog is built -O0: fx_leaf's prologue pushes %rbp and makes it the
 * frame pointer, and its CFI says so row by row. */
UT_TEST(unwind_table_prologue)
{
	uint64_t addr, size, a;
	const struct lt_uw_rule *r;
	char prog[PATH_MAX];
	struct uw_table *t = NULL;
	int seen = 0;

	fx_path(prog, sizeof(prog), "fx_prog");
	CHECK_EQ_INT(uw_table_build(prog, &t), 0);
	if (!t)
		return;
	CHECK(t->nrows > 10 && t->nrules >= 4);
	CHECK_EQ_INT(t->rules[0].cfa, LT_UW_INVALID);
	CHECK_EQ_INT(fx_readelf_sym(prog, "fx_leaf", &addr, &size), 0);
	r = rule_at(t, addr);
	CHECK(r && r->cfa == LT_UW_CFA_RSP && r->cfa_off == 8 && r->rbp == LT_UW_RBP_SAME);
	for (a = addr; a < addr + size; a++) {
		r = rule_at(t, a);
		if (!r)
			continue;
		if (seen == 0 && r->cfa == LT_UW_CFA_RSP && r->cfa_off == 16 &&
		    r->rbp == LT_UW_RBP_SAVED && r->rbp_off == -16)
			seen = 1; /* after push %rbp */
		else if (seen == 1 && r->cfa == LT_UW_CFA_RBP && r->cfa_off == 16 &&
			 r->rbp == LT_UW_RBP_SAVED && r->rbp_off == -16)
			seen = 2; /* after mov %rsp,%rbp */
	}
	CHECK_EQ_INT(seen, 2);
	/* _start: the return address is undefined, the walk stops there */
	CHECK_EQ_INT(fx_readelf_sym(prog, "_start", &addr, &size), 0);
	r = rule_at(t, addr + 1);
	CHECK(r && r->cfa == LT_UW_STOP);
	/* rows are sorted and neighbours differ; the last one ends the code */
	for (uint32_t i = 1; i < t->nrows; i++) {
		CHECK(t->rows[i].pc > t->rows[i - 1].pc);
		CHECK(t->rows[i].rule != t->rows[i - 1].rule);
	}
	CHECK_EQ_INT(t->rules[t->rows[t->nrows - 1].rule].cfa, LT_UW_INVALID);
	/* fx_noret is built -O2, without a frame pointer: one such function
	 * and the module is walked by its CFI */
	CHECK(!t->fp);
	uw_table_free(t);
	/* libfx.so, -O0 throughout: every return address is in an rbp-based
	 * body, so frame pointers walk it (LT_UW_MAP_FP) */
	t = NULL;
	fx_path(prog, sizeof(prog), "libfx.so");
	CHECK_EQ_INT(uw_table_build(prog, &t), 0);
	CHECK(t && t->fp);
	uw_table_free(t);
}

/* glibc's signal trampoline and PLT entries have rules of their own. */
UT_TEST(unwind_table_libc_special)
{
	const char *libc = "/lib/x86_64-linux-gnu/libc.so.6";
	struct uw_table *t = NULL;
	int signal = 0, plt = 0;

	if (access(libc, R_OK))
		return;
	CHECK_EQ_INT(uw_table_build(libc, &t), 0);
	if (!t)
		return;
	CHECK(!t->fp); /* built without frame pointers */
	for (uint32_t i = 0; i < t->nrows; i++) {
		const struct lt_uw_rule *r = &t->rules[t->rows[i].rule];

		signal += r->cfa == LT_UW_SIGNAL;
		plt += r->cfa == LT_UW_PLT && (r->cfa_off == 10 || r->cfa_off == 11);
	}
	CHECK_EQ_INT(signal, 1);
	CHECK_EQ_INT(plt, 1);
	uw_table_free(t);
}

/* A second get reads the first one's file: same rows, nothing built. */
UT_TEST(unwind_table_cache)
{
	char prog[PATH_MAX], dir[] = "/tmp/lt-uwcache-XXXXXX", cmd[PATH_MAX + 32];
	struct uw_table *a = NULL, *b = NULL;

	fx_path(prog, sizeof(prog), "fx_prog");
	CHECK(mkdtemp(dir) != NULL);
	CHECK_EQ_INT(uw_table_get(prog, dir, &a), 0);
	CHECK_EQ_INT(uw_table_get(prog, dir, &b), 0);
	if (a && b) {
		CHECK(a->build_s > 0);
		CHECK(b->build_s == 0);
		CHECK_EQ_INT(a->nrows, b->nrows);
		CHECK_EQ_INT(a->nrules, b->nrules);
		CHECK_EQ_INT(a->lo, b->lo);
		CHECK(!memcmp(a->rows, b->rows, a->nrows * sizeof(*a->rows)));
		CHECK(!memcmp(a->rules, b->rules, a->nrules * sizeof(*a->rules)));
	}
	uw_table_free(a);
	uw_table_free(b);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ_INT(system(cmd), 0);
}
