/* SPDX-License-Identifier: MIT */
/*
 * Process addresses -> frames. Normalize first (mapping -> module path and
 * file offset -> ELF vaddr), then symbolize with elfsym, cached by build id
 * (path+inode when there is none) so a cache outlives the process. The maps
 * snapshot is refreshed on demand (dlopen) and kept after the target exits,
 * so a final report after exit is still symbolized.
 */
#ifndef LT_SYMBOLIZE_H
#define LT_SYMBOLIZE_H

#include <stdbool.h>
#include <stdint.h>

struct symbolizer;
struct elfsym_inline;

struct lt_frame {
	uint64_t addr;		/* process address as captured */
	const char *function;	/* NULL if unknown; demangled (C++, Rust) */
	const char *linkage_name; /* the symbol as the file has it (mangled) */
	const char *module;	/* absolute path of the mapped file; NULL if anonymous */
	uint64_t offset;	/* addr - function start (valid when function != NULL) */
	uint64_t module_offset;	/* file offset within module (valid when module != NULL) */
	const char *file;	/* DWARF source file; NULL if unknown */
	int line;		/* 0 if unknown */
	const char *build_id;	/* hex, "" if none */
	uint64_t map_start, map_end, map_pgoff; /* its mapping (valid when module) */
	/* The calls inlined at addr (DWARF), innermost first, owned by the
	 * module's tables; stackframes_site() expands them into frames of
	 * their own, marked inlined, before this one. */
	const struct elfsym_inline *inl;
	int ninl;
	bool inlined;		/* an inlined call inside the next frame's function */
};

/* Strings in lt_frame are owned by the symbolizer and live until _free().
 * _new() reads the maps once: 0, -EINVAL (pid <= 0), -ESRCH (no such
 * process, or already exited: create it while the target runs). */
int symbolizer_new(int pid, struct symbolizer **out);
void symbolizer_free(struct symbolizer *s);
/* Re-read /proc/PID/maps (keeps the old snapshot if the process is gone).
 * 0, or -ESRCH when the process has exited (old snapshot kept). */
int symbolizer_refresh(struct symbolizer *s);
/* Symbolize one address. `is_return_addr`: the address is a return address,
 * so look up addr-1 for function and line (a call at a function's end must
 * resolve to that function), while offset still reports addr - start.
 * Unknown fields are left NULL/0, never invented; module is NULL for
 * anything but a file mapping ([vdso], [heap], anonymous/JIT memory).
 * Re-reads maps once when addr is in no known mapping (rate-limited to a
 * burst of 4, then 10/s, for garbage addresses). Results are cached per
 * (addr, is_return_addr), so repeated calls cost a hash lookup. */
void symbolizer_frame(struct symbolizer *s, uint64_t addr, bool is_return_addr,
		      struct lt_frame *out);
/* The file mapped at addr, from the maps alone (no ELF read); NULL if none
 * or s is NULL. */
const char *symbolizer_module(struct symbolizer *s, uint64_t addr);

#endif
