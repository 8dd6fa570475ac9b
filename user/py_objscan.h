/* SPDX-License-Identifier: MIT */
/*
 * --objects where CPython's GC allocators cannot be probed: a stripped LTO
 * build (Debian's 3.11, 3.14, 3.15) inlines them into their callers, so
 * 3.14's class instances never pass through an exported function. The live
 * objects are read instead from the outstanding allocations made through
 * PyObject_Malloc/Calloc/Realloc or, where LTO inlined those too, libc's
 * malloc/calloc/realloc (exact mode records each with its stack):
 * the block holds the object after the GC header (and 3.12+'s pre-header),
 * and the word after its refcount is its type, checked to be a type before
 * it is counted. Objects that existed before tracing began are not counted,
 * as with the probes.
 */
#ifndef LT_PY_OBJSCAN_H
#define LT_PY_OBJSCAN_H

#include <stdint.h>

struct python;
struct objects;

/* Count process tgid's live objects by (type, allocating line) into o, from
 * the lt_allocs and lt_stacks maps. 0 or -errno. */
int py_objscan(struct python *py, struct objects *o, int allocs_fd, int stacks_fd, uint32_t tgid);

#endif
