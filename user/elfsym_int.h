/* SPDX-License-Identifier: MIT */
/* elfsym's insides, shared by its files: elfsym.c (symbols, loads),
 * elfsym_debug.c (separate debug files), elfsym_dwarf.c (lines, inlined
 * calls), elfsym_elf.c (the ELF helpers under them all). Nothing outside
 * them includes this. */
#ifndef LT_ELFSYM_INT_H
#define LT_ELFSYM_INT_H

#include <elfutils/libdw.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

struct elfsym_inline;	/* elfsym.h */

#define ES_MAX_FILE (8ull << 30)	/* larger files are refused */
#define ES_MAX_SYMTAB (1ull << 30)	/* bytes of one symbol table */
#define ES_MAX_SYMS (1u << 24)		/* symbols kept per file */
#define ES_MAX_CU_RANGES (1u << 22)	/* address ranges of all CUs */
#define ES_MAX_RANGES_PER_CU (1u << 16)
#define ES_MAX_BUILD_ID 64		/* bytes; GNU ld writes 20 */
#define ES_MAX_NOTE (64u << 10)		/* bytes of a note segment or section read */
#define ES_MAX_DEBUGLINK 4096
/* bytes of one DWARF section: a file read into our heap (a container's)
 * gets less room than one mmap()ed from our own root's file system */
#define ES_MAX_DWARF_READ (256ull << 20)
#define ES_MAX_DWARF_MMAP (4ull << 30)
#define ES_WALK_BACK 16			/* enclosing-symbol search depth */

enum { SRC_SYMTAB, SRC_DYNSYM };

struct es_sym {
	uint64_t addr, size, end;	/* end: addr+size, or section end when unsized */
	const char *name;
	uint32_t namelen;
	uint8_t notype, hidden, unders, bind, src;
};

/* One lookup entry per address: the chosen alias. */
struct es_fn {
	uint64_t addr, end, size;
	const char *name;
	char *pretty;	/* demangled at its first lookup; name itself if not mangled */
};

struct es_load {
	uint64_t off, vaddr, filesz, align;
};

struct es_cu {
	uint64_t lo, hi;
	Dwarf_Off die;
};

#define ES_MAX_INLINE 16 /* inlined calls kept at one address */

struct es_inl {
	uint64_t vaddr;
	struct elfsym_inline *v;	/* innermost first */
	int n;
};

struct es_str_chunk {
	struct es_str_chunk *next;
	size_t used, cap;
	char buf[];
};

struct elfsym {
	char *path;
	int fd, dfd;
	Elf *elf;		/* the file itself */
	Elf *delf;		/* its separate debug file, or NULL */
	dev_t dev;
	ino_t ino;
	bool dyn;
	bool has_symtab, has_dwarf;
	bool debug_searched;
	char build_id[2 * ES_MAX_BUILD_ID + 1];

	struct es_load *loads;
	size_t nloads;

	struct es_sym *syms;	/* every accepted symbol, for elfsym_find() */
	size_t nsyms, csyms;
	struct es_fn *fns;	/* sorted by addr, one per address */
	size_t nfns;
	struct es_str_chunk *strs; /* names we had to copy */

	bool dwarf_tried;
	Dwarf *dw;
	struct es_cu *cus;	/* sorted by lo */
	size_t ncus;
	struct es_inl *inls;	/* elfsym_inlines(), sorted by vaddr */
	size_t ninls, cinls;
};

const char *es_scn_name(Elf *elf, size_t shstrndx, const GElf_Shdr *sh);
Elf_Scn *es_find_scn(Elf *elf, const char *name, GElf_Shdr *out);
Elf_Scn *es_find_scn_type(Elf *elf, uint32_t type, GElf_Shdr *out);
bool es_elf_has_symtab(Elf *elf);
bool es_elf_has_dwarf(Elf *elf);
/* The GNU build id as hex into out (2 * ES_MAX_BUILD_ID + 1), "" if none. */
void es_read_build_id(Elf *elf, bool debug_file, char *out);
/* Whether the file may be mmap()ed: no target can truncate it. */
bool es_may_mmap(const struct stat *st);
/* Open path as ELF for reading (regular files only, size-capped). */
int es_open_elf(const char *path, int *fdp, Elf **elfp, struct stat *st);
/* es->delf/dfd: its separate debug file, by build id or debuglink. */
void es_find_debug_file(struct elfsym *es);

#endif
