/* SPDX-License-Identifier: MIT */
/*
 * CPython code objects in the target, and the frames the BPF walker
 * records turned into function, file and line: the layer under python.c,
 * which finds the interpreter. Every read is bounded and checked.
 */
#ifndef LT_PYTHON_CODE_H
#define LT_PYTHON_CODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "leaktrace.h"

struct python;

struct py_frame_info {
	const char *function;	/* qualname (3.11+) or co_name; owned by python */
	const char *file;
	int line;		/* 0 if unknown */
};

/* Read the target's memory (process_vm_readv): 0, -EFAULT, or -ESRCH once
 * the process found at detection has exited. */
int python_read(const struct python *py, uint64_t addr, void *buf, size_t len);
/* A word of it; 0 if unreadable. */
uint64_t py_rd64(const struct python *py, uint64_t addr);
uint32_t py_rd32(const struct python *py, uint64_t addr);
/* Resolve one recorded frame; false if it is no code object (skip it). */
bool python_frame(struct python *py, const struct lt_py_frame *f, struct py_frame_info *out);
/* Resolve the code objects of stacks not seen before while the target is
 * alive, so they stay resolvable after it exits. */
void python_prefetch(struct python *py, int stacks_map_fd);
/* The same for one new stack, as the BPF side announces it. */
void python_prefetch_one(struct python *py, int stacks_map_fd, uint64_t key);
/* The same for a stack read already (-a reads each stack once for all). */
void python_prefetch_stack(struct python *py, uint64_t key, const struct lt_stack *st);
/* Free the code objects' cache (python_free()). */
void python_codes_free(struct python *py);

#endif
