// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "objects.h"
#include "py_objscan.h"
#include "py_offsets.h"
#include "python.h"
#include "util.h"

#define TP_HAVE_GC (1ULL << 14)
#define TP_MANAGED_DICT (1ULL << 4)	/* 3.11+: two words before the GC header */
#define TP_MANAGED_WEAKREF (1ULL << 3)	/* 3.12+: likewise */
#define GC_HEAD 16			/* sizeof(PyGC_Head), 3.8+ */
#define SCAN_TYPES 1024			/* open addressing, by type address */
#define SCAN_KEYS 8192			/* (type, line) pairs */

struct scan_type {
	uint64_t addr;
	int off;		/* where its objects start in their block; -1: no type */
};

struct scan {
	struct python *py;
	const struct py_offsets *o;
	struct scan_type types[SCAN_TYPES];
	struct lt_obj_key keys[SCAN_KEYS];
	struct lt_obj_val vals[SCAN_KEYS];
	size_t nkeys;
};

/* A type's objects sit this far into their blocks: after the GC header and,
 * from 3.11, the managed dict/weakref pre-header. -1: t is not a type (its
 * type is neither type nor a metaclass whose type is type). */
static int type_offset(struct scan *s, uint64_t t)
{
	size_t j = lt_mix64(t) & (SCAN_TYPES - 1);
	uint64_t meta = 0, metameta = 0, flags = 0, pre;
	int off = -1;

	for (size_t n = 0; n < SCAN_TYPES && s->types[j].addr; n++, j = (j + 1) & (SCAN_TYPES - 1))
		if (s->types[j].addr == t)
			return s->types[j].off;
	if (!python_read(s->py, t + s->o->ob_type, &meta, 8) &&
	    (meta == python_type_type(s->py) ||
	     (!python_read(s->py, meta + s->o->ob_type, &metameta, 8) &&
	      metameta == python_type_type(s->py))) &&
	    !python_read(s->py, t + s->o->tp_flags, &flags, 8)) {
		pre = python_minor(s->py) >= 12 ? TP_MANAGED_DICT | TP_MANAGED_WEAKREF :
		      python_minor(s->py) == 11 ? TP_MANAGED_DICT : 0;
		off = (flags & TP_HAVE_GC ? GC_HEAD : 0) + (flags & pre ? 16 : 0);
	}
	if (!s->types[j].addr) { /* full: not cached */
		s->types[j].addr = t;
		s->types[j].off = off;
	}
	return off;
}

/* The object in a block: its type, or 0 if none of the places an object can
 * start holds one whose type puts it there. */
static uint64_t object_type(struct scan *s, uint64_t block)
{
	uint64_t w[6] = {}; /* refcount and type at 0, 16 and 32 */

	if (python_read(s->py, block, w, sizeof(w)))
		return 0;
	for (int off = 0; off <= 32; off += 16) {
		uint64_t t = w[off / 8 + 1];

		if (w[off / 8] && t && type_offset(s, t) == off)
			return t;
	}
	return 0;
}

static int count(struct scan *s, uint64_t type, const struct lt_py_frame *line)
{
	for (size_t i = 0; i < s->nkeys; i++) {
		if (s->keys[i].type == type && !memcmp(&s->keys[i].line, line, sizeof(*line))) {
			s->vals[i].live++;
			s->vals[i].created++;
			return 0;
		}
	}
	if (s->nkeys == SCAN_KEYS)
		return -ENOSPC;
	s->keys[s->nkeys] = (struct lt_obj_key){ .type = type, .line = *line };
	s->vals[s->nkeys] = (struct lt_obj_val){ .live = 1, .created = 1 };
	s->nkeys++;
	return 0;
}

int py_objscan(struct python *py, struct objects *o, int allocs_fd, int stacks_fd, uint32_t tgid)
{
	struct lt_alloc_key key, next;
	struct lt_alloc a;
	uint64_t last_stack = ~0ULL;
	struct lt_py_frame line = {};
	struct lt_stack *st = NULL;
	struct scan *s;
	int err;

	s = calloc(1, sizeof(*s));
	st = malloc(sizeof(*st));
	if (!s || !st) {
		err = -ENOMEM;
		goto cleanup;
	}
	s->py = py;
	s->o = python_offsets(py);
	if (!python_type_type(py)) {
		err = -ENOENT; /* no PyType_Type symbol: types cannot be told */
		goto cleanup;
	}
	for (err = bpf_map_get_next_key(allocs_fd, NULL, &next); !err;
	     err = bpf_map_get_next_key(allocs_fd, &key, &next)) {
		uint64_t type;

		key = next;
		if (key.tgid != tgid || bpf_map_lookup_elem(allocs_fd, &key, &a))
			continue;
		/* LTO inlines PyObject_Malloc too: under PYTHONMALLOC=malloc, and for
		 * pymalloc's large requests, objects come straight from libc */
		if (a.key.kind != LT_PYOBJECT_MALLOC && a.key.kind != LT_PYOBJECT_CALLOC &&
		    a.key.kind != LT_PYOBJECT_REALLOC && a.key.kind != LT_MALLOC &&
		    a.key.kind != LT_CALLOC && a.key.kind != LT_REALLOC)
			continue;
		type = object_type(s, key.addr);
		if (!type)
			continue;
		if (a.key.stack_id != last_stack) { /* the innermost Python frame */
			last_stack = a.key.stack_id;
			memset(&line, 0, sizeof(line));
			if (a.key.stack_id && !bpf_map_lookup_elem(stacks_fd, &a.key.stack_id, st) &&
			    st->py_depth)
				line = st->py[0];
		}
		count(s, type, &line); /* table full: a new pair is left out */
	}
	objects_begin(o);
	for (size_t i = 0; i < s->nkeys; i++) {
		err = objects_add(o, &s->keys[i], &s->vals[i]);
		if (err)
			goto cleanup;
	}
	objects_end(o);
	err = 0;
cleanup:
	free(st);
	free(s);
	return err;
}
