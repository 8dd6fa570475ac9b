/* SPDX-License-Identifier: MIT */
/* python's insides: struct python, shared by python.c (detection, the
 * walker's configuration, type names) and python_code.c (code objects,
 * frames), which is below it. Nothing else includes this. */
#ifndef LT_PYTHON_STATE_H
#define LT_PYTHON_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "hmap.h"
#include "py_offsets.h"

#define MAX_STR 1024		/* longest name or path read from the target */
#define MAX_LINETABLE (1 << 20)	/* larger line tables are not trusted */



/* Keyed by (address, fingerprint as the walker saw it): a code object
 * freed and another allocated at its address are two entries, so a late
 * read never overwrites a good one. */
struct py_code {
	uint64_t addr;
	uint32_t check;		/* lt_code_check() recorded with the frame */
	bool read;		/* looked at (once) */
	bool valid;		/* the code object recorded with the frame was read */
	bool freed;		/* a code object is there, but another one */
	uint32_t firstlineno;
	uint32_t flags;
	char *name;
	char *file;
	uint8_t *lines;		/* co_lnotab / co_linetable bytes */
	size_t nlines;
	bool used;		/* named a frame since the last sweep */
};

/* What the code objects' names, files and line tables may hold before
 * python_prefetch() drops those no frame named since its last sweep (a
 * target that makes code objects without end: exec() per request). */
#define PY_CODE_BYTES (64u << 20)

struct py_type {
	uint64_t addr;
	char *name;
};

struct python {
	int pid;
	struct py_type types[1024];	/* tp_name cache, open addressing */
	unsigned int major, minor;
	char version[24];
	const struct py_offsets *off;
	struct py_offsets dbg_off;	/* 3.13+: from the interpreter's own table */
	char path[PATH_MAX];	/* module as mapped */
	char root_path[PATH_MAX + 32]; /* opens the mapped file itself (mapfile_path()) */
	uint64_t runtime;	/* &_PyRuntime */
	uint64_t code_type;	/* &PyCode_Type, 0 if unknown */
	uint64_t type_type;	/* &PyType_Type, 0 if unknown */
	bool lto_stripped;
	bool libc_malloc;
	struct hmap codes;	/* of py_code, by (addr, check) */
	size_t ncodes;
	size_t code_bytes, code_budget;	/* held by codes[], and the most before a sweep */
	size_t evicted;
	int pidfd;		/* the process python_detect() found, or -1 */
	struct hmap seen;	/* of uint64_t: stack ids already prefetched */
};

#endif
