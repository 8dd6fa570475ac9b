// SPDX-License-Identifier: MIT
/* One open-addressing hash table (hmap.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "hmap.h"

#define SLOT(m, i) ((m)->ent + (i) * (m)->esz)

void hmap_init(struct hmap *m, size_t esz, size_t ksz, size_t min_cap)
{
	size_t c = 1;

	while (c < min_cap)
		c *= 2;
	memset(m, 0, sizeof(*m));
	m->esz = esz;
	m->ksz = ksz;
	m->min_cap = c;
}

void hmap_set_eq(struct hmap *m, hmap_eq_fn eq, void *ctx)
{
	m->eq = eq;
	m->ctx = ctx;
}

static bool same(const struct hmap *m, size_t i, uint64_t h, const void *key)
{
	if (m->hash[i] != h) /* cheap, and spares eq most of its calls */
		return false;
	return m->eq ? m->eq(key, SLOT(m, i), m->ctx) : !memcmp(SLOT(m, i), key, m->ksz);
}

/* The slot of key, or the empty slot where it would go. cap > 0. */
static size_t probe(const struct hmap *m, uint64_t h, const void *key)
{
	size_t i = h & (m->cap - 1);

	while (m->used[i] && !same(m, i, h, key))
		i = (i + 1) & (m->cap - 1);
	return i;
}

void *hmap_find(const struct hmap *m, uint64_t h, const void *key)
{
	size_t i;

	if (!m->n)
		return NULL;
	i = probe(m, h, key);
	return m->used[i] ? SLOT(m, i) : NULL;
}

/* Move every entry, in slot order, into a table of ncap slots. */
static int rehash(struct hmap *m, size_t ncap)
{
	struct hmap o = *m;
	int err = -ENOMEM;

	m->ent = malloc(ncap * m->esz);
	m->hash = malloc(ncap * sizeof(*m->hash));
	m->used = calloc(ncap, 1);
	if (!m->ent || !m->hash || !m->used)
		goto cleanup;
	m->cap = ncap;
	for (size_t i = 0; i < o.cap; i++) {
		size_t j;

		if (o.used[i] != 1) /* 2: dropped by hmap_retain() */
			continue;
		for (j = o.hash[i] & (ncap - 1); m->used[j]; j = (j + 1) & (ncap - 1))
			;
		memcpy(SLOT(m, j), SLOT(&o, i), m->esz);
		m->hash[j] = o.hash[i];
		m->used[j] = 1;
	}
	err = 0;
cleanup:
	if (err) { /* keep the old table, whole */
		free(m->ent);
		free(m->hash);
		free(m->used);
		*m = o;
		return err;
	}
	free(o.ent);
	free(o.hash);
	free(o.used);
	return 0;
}

int hmap_get(struct hmap *m, uint64_t h, const void *key, void **ent)
{
	size_t i;
	int err;

	if (m->cap && (*ent = hmap_find(m, h, key)))
		return 0;
	/* at most half full: probe runs stay short, and an empty slot ends each */
	if ((m->n + 1) * 2 > m->cap) {
		err = rehash(m, m->cap ? m->cap * 2 : m->min_cap);
		if (err)
			return err;
	}
	i = probe(m, h, key);
	memset(SLOT(m, i), 0, m->esz);
	if (m->ksz)
		memcpy(SLOT(m, i), key, m->ksz);
	m->hash[i] = h;
	m->used[i] = 1;
	m->n++;
	*ent = SLOT(m, i);
	return 1;
}

void hmap_del(struct hmap *m, void *ent)
{
	size_t mask = m->cap - 1, i = (size_t)((unsigned char *)ent - m->ent) / m->esz, j = i;

	/* Backward shift, no tombstones: each later entry of the run moves into
	 * the hole unless its home slot lies cyclically in (hole, itself]. */
	for (;;) {
		size_t k;

		j = (j + 1) & mask;
		if (!m->used[j])
			break;
		k = m->hash[j] & mask;
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		memcpy(SLOT(m, i), SLOT(m, j), m->esz);
		m->hash[i] = m->hash[j];
		m->used[i] = m->used[j];
		i = j;
	}
	m->used[i] = 0;
	m->n--;
}

void hmap_retain(struct hmap *m, bool (*keep)(void *ent, void *arg), void *arg)
{
	size_t ncap = m->min_cap, kept = 0;

	/* mark first (2: drop), then move the rest: asked once each, in slot order */
	for (size_t i = 0; i < m->cap; i++)
		if (m->used[i]) {
			if (keep(SLOT(m, i), arg))
				kept++;
			else
				m->used[i] = 2;
		}
	if (!m->cap)
		return;
	while (ncap < kept * 2 + 2)
		ncap *= 2;
	/* a rehash even at the same size: it leaves no marked slots behind */
	if (!rehash(m, ncap)) {
		m->n = kept;
		return;
	}
	/* no memory: delete in place; a deletion only moves entries already asked */
	for (size_t i = 0; i < m->cap; i++)
		while (m->used[i] == 2)
			hmap_del(m, SLOT(m, i));
}

void *hmap_next(const struct hmap *m, size_t *i)
{
	for (; *i < m->cap; (*i)++)
		if (m->used[*i])
			return SLOT(m, (*i)++);
	return NULL;
}

void hmap_clear(struct hmap *m)
{
	if (m->cap)
		memset(m->used, 0, m->cap);
	m->n = 0;
}

void hmap_free(struct hmap *m)
{
	free(m->ent);
	free(m->hash);
	free(m->used);
	m->ent = NULL;
	m->hash = NULL;
	m->used = NULL;
	m->cap = m->n = 0;
}
