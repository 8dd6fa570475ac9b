/* SPDX-License-Identifier: MIT */
/* One open-addressing hash table for user/ (issue 17): fixed-size entries
 * stored inline, linear probing over a power-of-two capacity that doubles
 * when half full. The caller supplies each key's 64-bit hash (so a table
 * keyed by a string, or by an index into the caller's own array, needs no
 * copy of its key) and either a key size (the key is the entry's first
 * ksz bytes, compared with memcmp) or an equality function.
 *
 * Layout is a function of the hashes and the order of insertions only, and
 * growth re-inserts in slot order: a table ported here from a hand-written
 * one with the same hash, first capacity and load factor keeps its slot
 * order, hence its iteration order. Entry pointers stay valid until the
 * next insertion, deletion or retain. */
#ifndef LT_HMAP_H
#define LT_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* true if entry ent has key (what was passed to find/get) */
typedef bool (*hmap_eq_fn)(const void *key, const void *ent, void *ctx);

struct hmap {
	unsigned char *ent;	/* cap entries of esz bytes */
	uint64_t *hash;		/* each used slot's hash: growth needs no key */
	unsigned char *used;	/* 1: slot holds an entry */
	size_t esz, ksz;	/* entry size; key size (0: eq decides) */
	size_t cap, n, min_cap;	/* cap: 0 or a power of two >= min_cap */
	hmap_eq_fn eq;
	void *ctx;
};

/* An empty table of esz-byte entries (allocates nothing yet). ksz > 0: the
 * key is the entry's first ksz bytes; else set eq with hmap_set_eq().
 * min_cap (rounded up to a power of two) is the first capacity. */
void hmap_init(struct hmap *m, size_t esz, size_t ksz, size_t min_cap);
void hmap_set_eq(struct hmap *m, hmap_eq_fn eq, void *ctx);
/* The entry for key (h its hash), or NULL. */
void *hmap_find(const struct hmap *m, uint64_t h, const void *key);
/* Find key's entry or insert one: *ent is it. 1 if inserted (the entry is
 * zeroed, then its first ksz bytes are the key), 0 if found, -ENOMEM
 * (the table is as before). */
int hmap_get(struct hmap *m, uint64_t h, const void *key, void **ent);
/* Remove an entry (a pointer from find/get/next); others may move. */
void hmap_del(struct hmap *m, void *ent);
/* Keep only the entries keep() accepts (asked once each, in slot order),
 * then shrink to the capacity the rest need: for caches purged in bulk.
 * Without memory to shrink, the dropped are deleted in place. */
void hmap_retain(struct hmap *m, bool (*keep)(void *ent, void *arg), void *arg);
/* Iterate in slot order: *i starts at 0; NULL at the end. No insertion
 * or deletion while iterating (hmap_retain() is the way to filter). */
void *hmap_next(const struct hmap *m, size_t *i);
/* Empty the table, keeping its memory. */
void hmap_clear(struct hmap *m);
/* Release the memory; the table is empty and usable again. */
void hmap_free(struct hmap *m);

#endif
