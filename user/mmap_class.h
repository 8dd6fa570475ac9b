/* SPDX-License-Identifier: MIT */
/*
 * Whose is an anonymous mapping: the program's (a leak candidate like any
 * allocation), the C runtime's (ld.so, thread stacks, malloc's arenas), or
 * CPython's (pymalloc's arenas, counted apart).
 */
#ifndef LT_MMAP_CLASS_H
#define LT_MMAP_CLASS_H

#include <stdint.h>
#include "model.h"

struct symbolizer;

/* ips: the mapping's stack, ips[0] the caller of mmap(); block_size: its
 * mappings' size; py_module: the process's CPython module, or NULL. */
enum lt_mmap_class mmap_class(struct symbolizer *sym, const uint64_t *ips, int n,
			      uint64_t block_size, const char *py_module);

#endif
