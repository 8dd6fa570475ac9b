// SPDX-License-Identifier: MIT
/* hmap: find/get/del/retain against a plain array as the model, with a
 * weak hash (collisions and wrapped runs are the cases that break). */
#include <stdlib.h>
#include <string.h>
#include "hmap.h"
#include "unit.h"

struct ent {
	uint64_t key;
	int val;
};

static uint64_t weak(uint64_t k)
{
	return k % 7; /* long runs, crossing the end of small tables */
}

UT_TEST(hmap_get_find_grow)
{
	struct hmap m;
	struct ent *e;
	int err = 0;

	hmap_init(&m, sizeof(struct ent), sizeof(uint64_t), 4);
	CHECK(!hmap_find(&m, weak(1), &(uint64_t){ 1 }));
	for (uint64_t k = 1; k <= 1000 && err >= 0; k++) {
		err = hmap_get(&m, weak(k), &k, (void **)&e);
		CHECK_EQ_INT(err, 1);
		CHECK_EQ_INT(e->key, k);
		CHECK_EQ_INT(e->val, 0);
		e->val = (int)k * 3;
	}
	CHECK_EQ_INT(m.n, 1000);
	CHECK_EQ_INT(m.cap, 2048);
	for (uint64_t k = 1; k <= 1000; k++) {
		e = hmap_find(&m, weak(k), &k);
		CHECK(e && e->val == (int)k * 3);
		CHECK_EQ_INT(hmap_get(&m, weak(k), &k, (void **)&e), 0);
	}
	CHECK(!hmap_find(&m, weak(1001), &(uint64_t){ 1001 }));
	hmap_clear(&m);
	CHECK_EQ_INT(m.n, 0);
	CHECK(!hmap_find(&m, weak(5), &(uint64_t){ 5 }));
	hmap_free(&m);
	hmap_free(&m); /* twice is harmless */
}

/* Deleting from runs that wrap around: every survivor still found. */
UT_TEST(hmap_del_backward_shift)
{
	struct hmap m;
	struct ent *e;
	char in[200] = { 0 };

	hmap_init(&m, sizeof(struct ent), sizeof(uint64_t), 8);
	for (uint64_t k = 0; k < 200; k++) {
		/* hash near the top: runs wrap to slot 0 */
		hmap_get(&m, (k % 5) + 250, &k, (void **)&e);
		in[k] = 1;
	}
	for (uint64_t r = 1; r < 200; r += 3) {
		e = hmap_find(&m, (r % 5) + 250, &r);
		CHECK(e != NULL);
		if (e) {
			hmap_del(&m, e);
			in[r] = 0;
		}
		for (uint64_t k = 0; k < 200; k++)
			if (!!hmap_find(&m, (k % 5) + 250, &k) != in[k]) {
				CHECK(!"membership after delete");
				r = 200;
				break;
			}
	}
	CHECK_EQ_INT(m.n, 200 - 67);
	hmap_free(&m);
}

static bool even(void *ent, void *arg)
{
	(*(int *)arg)++;
	return ((struct ent *)ent)->key % 2 == 0;
}

UT_TEST(hmap_retain_shrinks)
{
	struct hmap m;
	struct ent *e;
	size_t i = 0, seen = 0;
	int asked = 0;

	hmap_init(&m, sizeof(struct ent), sizeof(uint64_t), 16);
	for (uint64_t k = 0; k < 500; k++)
		hmap_get(&m, weak(k), &k, (void **)&e);
	hmap_retain(&m, even, &asked);
	CHECK_EQ_INT(asked, 500);
	CHECK_EQ_INT(m.n, 250);
	CHECK_EQ_INT(m.cap, 512);
	for (uint64_t k = 0; k < 500; k++)
		CHECK(!!hmap_find(&m, weak(k), &k) == (k % 2 == 0));
	while ((e = hmap_next(&m, &i)))
		seen += e->key % 2 == 0;
	CHECK_EQ_INT(seen, 250);
	hmap_free(&m);
}

/* A key outside the entry (an index into the caller's strings), with eq. */
static const char *names[] = { "malloc", "free", "main", "calloc", "realloc" };

static bool name_eq(const void *key, const void *ent, void *ctx)
{
	const char **v = ctx;

	return !strcmp(key, v[*(const int *)ent]);
}

UT_TEST(hmap_eq_and_slot_order)
{
	struct hmap m, m2;
	int *ix;
	size_t i = 0, j = 0;

	hmap_init(&m, sizeof(int), 0, 2);
	hmap_set_eq(&m, name_eq, names);
	for (int k = 0; k < 5; k++) {
		CHECK_EQ_INT(hmap_get(&m, (uint64_t)names[k][0], names[k], (void **)&ix), 1);
		*ix = k;
	}
	ix = hmap_find(&m, 'm', "main");
	CHECK(ix && *ix == 2);
	CHECK(!hmap_find(&m, 'm', "mmap"));
	/* the same insertions in the same order: the same slot order */
	hmap_init(&m2, sizeof(int), 0, 2);
	hmap_set_eq(&m2, name_eq, names);
	for (int k = 0; k < 5; k++) {
		hmap_get(&m2, (uint64_t)names[k][0], names[k], (void **)&ix);
		*ix = k;
	}
	for (int *a, *b; (a = hmap_next(&m, &i));) {
		b = hmap_next(&m2, &j);
		CHECK(b && *a == *b);
	}
	CHECK(!hmap_next(&m2, &j));
	hmap_free(&m);
	hmap_free(&m2);
}
