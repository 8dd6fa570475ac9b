/* SPDX-License-Identifier: MIT */
/* Helpers for tests on the ELF fixtures that the Makefile builds from
 * the sources in tests/unit/fixtures/ into .output/fixtures/. */
#ifndef LT_FXUTIL_H
#define LT_FXUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Absolute path of a built fixture (LT_FIXTURES overrides the directory).
 * Returns buf. */
char *fx_path(char *buf, size_t sz, const char *name);
/* Line number of the LT_MARK:<mark> comment in fixtures/<src>, or -1. */
int fx_line(const char *src, const char *mark);
/* Basename of a path (pointer into it). */
const char *fx_base(const char *path);
/* Build id as `readelf -n` prints it ("" if none). 0 or -1. */
int fx_readelf_build_id(const char *path, char *out, size_t sz);
/* File offset of vaddr from `readelf -lW` PT_LOAD rows. 0 or -1. */
int fx_readelf_offset(const char *path, uint64_t vaddr, uint64_t *off);
/* st_value of a symbol from `readelf -Ws`. 0 or -1. */
int fx_readelf_sym(const char *path, const char *name, uint64_t *value, uint64_t *size);

/* A running fixture program with a pipe to its stdin and from its stdout. */
struct fx_proc {
	pid_t pid;
	FILE *in, *out;
};

int fx_spawn(const char *path, struct fx_proc *p);
/* Read lines until one starts with "key ", parse its hex address. 0 or -1. */
int fx_read_addr(struct fx_proc *p, const char *key, uint64_t *addr);
/* Read until a line equals word. 0 or -1. */
int fx_wait_line(struct fx_proc *p, const char *word);
void fx_kill(struct fx_proc *p);

#endif
