/* SPDX-License-Identifier: MIT */
/*
 * CPython's line tables, read from the target (untrusted bytes): the line of
 * an instruction. Three formats: 3.8-3.9 co_lnotab (offsets in bytes), 3.10
 * co_linetable (PEP 626, code units) and 3.11+ co_linetable (PEP 657
 * locations, code units). Lines stay within int whatever the bytes say.
 */
#ifndef LT_PY_LINETABLE_H
#define LT_PY_LINETABLE_H

#include <stddef.h>
#include <stdint.h>

enum py_lt_format {
	PY_LT_LNOTAB,	/* 3.8, 3.9 */
	PY_LT_310,
	PY_LT_311,	/* 3.11 and later */
};

/* The line of instruction pos (bytes for lnotab, else code units) in table t
 * of n bytes of a code object starting at firstlineno; -1 if it has none. */
int py_line(enum py_lt_format fmt, const uint8_t *t, size_t n, int firstlineno, uint32_t pos);

#endif
