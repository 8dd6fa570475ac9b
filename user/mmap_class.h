/* SPDX-License-Identifier: MIT */
/*
 * Whose is an anonymous mapping: the program's (a leak candidate like any
 * allocation), the C runtime's (ld.so, thread stacks, malloc's arenas), or
 * CPython's (pymalloc's arenas, counted apart).
 */
#ifndef LT_MMAP_CLASS_H
#define LT_MMAP_CLASS_H

#include <stdbool.h>
#include <stdint.h>
#include "leaktrace.h"
#include "model.h"
#include "site.h"

struct symbolizer;

/* ips: the mapping's stack, ips[0] the caller of mmap(); block_size: its
 * mappings' size; py_module: the process's CPython module, or NULL. */
enum lt_mmap_class mmap_class(struct symbolizer *sym, const uint64_t *ips, int n,
			      uint64_t block_size, const char *py_module);

/* A block malloc mapped while its probes were off is seen by its mmap
 * alone, under a stack of its own that starts inside libc. The key its
 * malloc would have had, with the stack from the program's call on (as the
 * allocator's return probe walks it): true and *out if st passes through
 * an allocator. The two are one site then, and a container's table grows
 * in one place whether its probes were on or off at each doubling. */
bool mmap_alias(struct symbolizer *sym, const struct lt_stack *st, bool system_wide,
		struct lt_site_key *out);

#endif
