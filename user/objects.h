/* SPDX-License-Identifier: MIT */
/*
 * --objects: live GC-tracked Python objects per type, like
 * objgraph.show_growth, each type with the Python line that allocated most
 * of its live objects. Counts cover objects created since tracing began.
 */
#ifndef LT_OBJECTS_H
#define LT_OBJECTS_H

#include <stdint.h>
#include "leaktrace.h"

struct obj_type {
	uint64_t type;		/* PyTypeObject * */
	int64_t live;		/* created since tracing began, still alive */
	int64_t growth;		/* live change since the previous report */
	uint64_t created;
	struct lt_py_frame top;	/* line with the most live objects of the type */
	int64_t top_live;
};

struct objects;

int objects_new(struct objects **out);
void objects_free(struct objects *o);
/* Read lt_objagg; types sorted by growth, then live. 0 or -errno. */
int objects_collect(struct objects *o, int objagg_fd);
/* The same from another source: begin, add each (type, line) once, end. */
void objects_begin(struct objects *o);
int objects_add(struct objects *o, const struct lt_obj_key *key, const struct lt_obj_val *val);
void objects_end(struct objects *o);
const struct obj_type *objects_types(const struct objects *o, size_t *n);
/* This report's live counts become the baseline for the next growth. */
void objects_mark_reported(struct objects *o);

#endif
