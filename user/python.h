/* SPDX-License-Identifier: MIT */
/*
 * CPython in the target: which interpreter (libpython3.X.so, or an
 * executable that embeds it), where its _PyRuntime is, the offsets for its
 * version, and resolving the (code object, position) pairs that the BPF
 * walker records into qualname, file and line. The target's memory is
 * untrusted: every read is bounded and a bad object gives "unknown".
 */
#ifndef LT_PYTHON_H
#define LT_PYTHON_H

#include <stdbool.h>
#include <stdint.h>
#include "leaktrace.h"
#include "python_code.h"

struct python;
struct py_offsets;


/* Look for CPython in process pid. 0 with *out set; -ENOENT: not Python;
 * -ENOTSUP: a Python leaktrace cannot walk (message printed, and kept in why
 * for the reports: "Python 3.16.0 (...): not supported (...); native stacks
 * only"). */
int python_detect(int pid, struct python **out, char *why, size_t whylen);
void python_free(struct python *py);

/* Module to probe (through /proc/PID/root) and the version, e.g. "3.11". */
const char *python_module(const struct python *py);
const char *python_module_path(const struct python *py); /* as in maps */
const char *python_version(const struct python *py);
/* True when pymalloc's internals have no symbols (stripped LTO build such
 * as Debian's /usr/bin/python3.11): allocator probes see only part. */
bool python_lto_stripped(const struct python *py);
/* True if the interpreter allocates through libc (PYTHONMALLOC=malloc). */
bool python_uses_libc_malloc(const struct python *py);

const struct py_offsets *python_offsets(const struct python *py);
uint64_t python_type_type(const struct python *py); /* &PyType_Type, or 0 */
unsigned int python_minor(const struct python *py);

/* The walker's configuration for the BPF side (enabled set). */
void python_fill_cfg(const struct python *py, struct lt_py_cfg *cfg);
uint32_t python_frame_span(const struct lt_py_cfg *cfg);

/* A type's tp_name (cached by type address); "?" if unreadable. */
const char *python_type_name(struct python *py, uint64_t type);

#endif
