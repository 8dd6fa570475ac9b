/* SPDX-License-Identifier: MIT */
/*
 * CPython 3.13+ describes its own structures: _Py_DebugOffsets, the first
 * member of _PyRuntime (ELF section .PyRuntime), starts with the cookie
 * "xdebugpy", PY_VERSION_HEX and a free-threaded flag, then groups of
 * offsets, each group led by its struct's size. The table's shape differs
 * per minor version; the offsets in it are the truth of the build that runs,
 * patch releases included (3.14.5 moved PyInterpreterState fields), where a
 * table generated from one release's headers is not.
 */
#ifndef LT_PY_DEBUG_OFFSETS_H
#define LT_PY_DEBUG_OFFSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "py_offsets.h"

/* Bytes to read at &_PyRuntime: more than the largest known table. */
#define PY_DEBUG_OFFSETS_MAX 1024

struct py_debug_info {
	uint64_t version;	/* PY_VERSION_HEX as the table says; 0 if no table */
	bool free_threaded;
	char version_str[24];	/* "3.14.10", "3.16.0a1" */
};

/*
 * Parse the table in buf (len bytes read at &_PyRuntime) into *out.
 * 0; or -EINVAL (no cookie, short table, an offset outside its struct) or
 * -ENOTSUP (a minor without a known layout, a pre-release, a free-threaded
 * build), with the reason for the user in why. info is filled as far as
 * the table could be read.
 */
int py_debug_offsets_parse(const void *buf, size_t len, struct py_offsets *out,
			   struct py_debug_info *info, char *why, size_t whylen);

/*
 * An ELF file's .PyRuntime section: its address and its first bytes (up to
 * len; *got set). Readable before the process runs: the table is
 * initialized data. -ENOENT if the file has no such section.
 */
int py_runtime_section(const char *path, uint64_t *vaddr, void *buf, size_t len, size_t *got);

#endif
