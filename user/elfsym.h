/* SPDX-License-Identifier: MIT */
/*
 * ELF symbols and DWARF lines for one file, through libelf/libdw.
 * Addresses here are ELF virtual addresses (st_value space); callers turn a
 * process address into a file offset with the mapping (see symbolize.h), and
 * elfsym_offset_to_vaddr() turns that into a vaddr with the PT_LOAD headers.
 * Files are untrusted input: all reads are bounded; malformed data means
 * "no symbol", never a crash.
 */
#ifndef LT_ELFSYM_H
#define LT_ELFSYM_H

#include <stdbool.h>
#include <stdint.h>

struct elfsym;
struct Elf; /* libelf's Elf */

/* Aliases (several names at one address) resolve to one name: FUNC/IFUNC
 * over NOTYPE, a default symbol version over a hidden one, fewer leading
 * underscores, GLOBAL over WEAK over LOCAL, shorter, then strcmp() order;
 * so glibc gives "malloc", not "__libc_malloc". "@VERSION" suffixes are
 * stripped. elfsym_find() still finds every alias. */
struct elfsym_sym {
	const char *name;	/* owned by the elfsym; valid until elfsym_close();
				 * demangled by elfsym_lookup() (C++, Rust) */
	const char *linkage_name; /* elfsym_lookup(): the symbol as the file has it */
	uint64_t addr;		/* symbol start (vaddr) */
	uint64_t size;
};

struct elfsym_line {
	const char *file;	/* owned by the elfsym; as dwarf_linesrc() gives it: the
				 * line table's directory joined with the file name, so
				 * absolute if that directory is (clang, gcc given an
				 * absolute source path), else relative to the build
				 * directory ("tests/unit/fixtures/fx_prog.c") */
	int line;
};

/* Open path, read .symtab (or .dynsym) and, lazily, DWARF. If the file has
 * no .symtab or no DWARF, look for a separate debug file by build id
 * (/usr/lib/debug/.build-id/xx/rest.debug) and .gnu_debuglink (same dir,
 * .debug/, /usr/lib/debug/<dir>/), accepted only if its build id matches
 * (or, when either has none, the debuglink CRC). For "/proc/N/root/..."
 * paths those directories are searched inside that root first; for
 * "/proc/N/map_files/..." only the build id, in that root first.
 * 0, -ENOENT/-EACCES..., -ENOEXEC (not ELF, or not ET_EXEC/ET_DYN),
 * -EINVAL (not a regular file), -EFBIG (> 8 GiB). */
int elfsym_open(const char *path, struct elfsym **out);
void elfsym_close(struct elfsym *es);
/* Root of the separate-debug-file tree ("/usr/lib/debug"; NULL restores
 * it). Copied. For tests and for a --debug-dir option. */
void elfsym_set_debug_dir(const char *dir);

/* Hex build id ("" if none). */
const char *elfsym_build_id(const struct elfsym *es);
/* The GNU build id of an open ELF as hex into out (ELFSYM_BUILD_ID_LEN), ""
 * if none; its notes are read within bounds (a sparse file's "note" of
 * gigabytes is skipped). debug_file: sections before program headers. */
#define ELFSYM_BUILD_ID_LEN (2 * 64 + 1)
void elfsym_elf_build_id(struct Elf *elf, bool debug_file, char *out);
/* The same file, byte for byte (a build id is only a claim: a crafted ELF
 * can carry libc's). */
bool elfsym_same_content(const struct elfsym *a, const struct elfsym *b);
/* True for ET_DYN (PIE, shared library). */
bool elfsym_is_dyn(const struct elfsym *es);

/* File offset -> vaddr via PT_LOAD. 0, or -ENOENT if in no segment. */
int elfsym_offset_to_vaddr(const struct elfsym *es, uint64_t off, uint64_t *vaddr);
/* vaddr -> file offset via PT_LOAD. 0 or -ENOENT. */
int elfsym_vaddr_to_offset(const struct elfsym *es, uint64_t vaddr, uint64_t *off);

/* Function symbol containing vaddr (sized symbols; for zero-sized ones the
 * nearest preceding). 0 or -ENOENT. */
int elfsym_lookup(struct elfsym *es, uint64_t vaddr, struct elfsym_sym *sym);
/* Function symbol by exact name (.symtab first, then .dynsym; a versioned
 * .dynsym name "malloc@@GLIBC_2.2.5" matches "malloc"). 0 or -ENOENT. */
int elfsym_find(const struct elfsym *es, const char *name, struct elfsym_sym *sym);
/* file:line for vaddr from DWARF. 0 or -ENOENT (no DWARF / no line). */
int elfsym_line(struct elfsym *es, uint64_t vaddr, struct elfsym_line *line);

/* A function inlined at an address, and where its caller called it. */
struct elfsym_inline {
	char *function;		/* demangled */
	const char *call_file;	/* owned by the elfsym; NULL if unknown */
	int call_line;		/* 0 if unknown */
};

/* The functions inlined at vaddr (DW_TAG_inlined_subroutine), innermost
 * first: (*out)[0] is the function the line table's row is in, called at
 * its call_file:call_line from (*out)[1] (or, for the last, from the
 * function elfsym_lookup() names). Owned by the elfsym, valid until
 * elfsym_close(). Returns how many; 0 without DWARF or inlining. */
int elfsym_inlines(struct elfsym *es, uint64_t vaddr, const struct elfsym_inline **out);

#endif
