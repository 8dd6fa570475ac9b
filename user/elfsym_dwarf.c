// SPDX-License-Identifier: MIT
/* DWARF for one file: a table of its CUs' address ranges, the line of an
 * address, and the calls inlined there. */
#include <dwarf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "demangle.h"
#include "elfsym.h"
#include "elfsym_int.h"
#include "log.h"

static int cmp_cu(const void *a, const void *b)
{
	const struct es_cu *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return x->die < y->die ? -1 : x->die > y->die;
}

/* Address ranges of all compile units, from their DIEs. dwarf_addrdie()
 * would need .debug_aranges, which clang does not emit by default. */
static int build_cu_table(struct elfsym *es)
{
	Dwarf_CU *cu = NULL, *next;
	size_t cap = 0;
	Dwarf_Die cudie, sub;
	uint8_t unit_type;
	Dwarf_Half ver;
	int r;

	while ((r = dwarf_get_units(es->dw, cu, &next, &ver, &unit_type, &cudie, &sub)) == 0) {
		Dwarf_Addr base, start, end;
		ptrdiff_t off = 0;
		unsigned int nr = 0;

		cu = next;
		if (unit_type != DW_UT_compile)
			continue;
		while ((off = dwarf_ranges(&cudie, off, &base, &start, &end)) > 0) {
			if (++nr > ES_MAX_RANGES_PER_CU || es->ncus >= ES_MAX_CU_RANGES)
				break;
			if (start >= end)
				continue;
			if (es->ncus == cap) {
				size_t ncap = cap ? cap * 2 : 64;
				void *p = reallocarray(es->cus, ncap, sizeof(*es->cus));

				if (!p)
					return -ENOMEM;
				es->cus = p;
				cap = ncap;
			}
			es->cus[es->ncus].lo = start;
			es->cus[es->ncus].hi = end;
			es->cus[es->ncus].die = dwarf_dieoffset(&cudie);
			es->ncus++;
		}
	}
	if (es->ncus)
		qsort(es->cus, es->ncus, sizeof(*es->cus), cmp_cu);
	return 0;
}

/* libdw 0.188 runs strlen() from offsets into .debug_str/.debug_line_str
 * without checking that the section ends in a NUL: refuse DWARF whose
 * string sections do not. Called after dwarf_begin_elf(), which has
 * decompressed the sections in place. */
static bool dwarf_strings_terminated(Elf *elf)
{
	static const char *const names[] = {
		".debug_str", ".debug_line_str", ".zdebug_str", ".zdebug_line_str",
		".debug_str.dwo", ".debug_line_str.dwo",
	};
	Elf_Scn *scn = NULL;
	size_t shstrndx, i;
	Elf_Data *data;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		name = es_scn_name(elf, shstrndx, &sh);
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (strcmp(name, names[i]))
				continue;
			data = elf_getdata(scn, NULL);
			if (data && data->d_size && ((const char *)data->d_buf)[data->d_size - 1])
				return false;
		}
	}
	return true;
}

/* No DWARF section larger than max: libdw reads each whole. */
static bool dwarf_sizes_ok(Elf *elf, uint64_t max)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	const char *name;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && (!strncmp(name, ".debug_", 7) || !strncmp(name, ".zdebug_", 8)) &&
		    sh.sh_size > max)
			return false;
	}
	return true;
}

static void load_dwarf(struct elfsym *es)
{
	Elf *elf = NULL;
	struct stat st;

	es->dwarf_tried = true;
	if (es->has_dwarf) {
		elf = es->elf;
	} else {
		es_find_debug_file(es);
		if (es->delf && es_elf_has_dwarf(es->delf))
			elf = es->delf;
	}
	if (!elf)
		return;
	if (fstat(elf == es->elf ? es->fd : es->dfd, &st) ||
	    !dwarf_sizes_ok(elf, es_may_mmap(&st) ? ES_MAX_DWARF_MMAP : ES_MAX_DWARF_READ)) {
		wlog("%s: a DWARF section too large to read, lines ignored\n", es->path);
		return;
	}
	es->dw = dwarf_begin_elf(elf, DWARF_C_READ, NULL);
	if (!es->dw) {
		dlog("%s: unreadable DWARF: %s\n", es->path, dwarf_errmsg(-1));
		return;
	}
	if (!dwarf_strings_terminated(elf)) {
		dlog("%s: corrupt DWARF string section, lines ignored\n", es->path);
		dwarf_end(es->dw);
		es->dw = NULL;
		return;
	}
	if (build_cu_table(es)) {
		free(es->cus);
		es->cus = NULL;
		es->ncus = 0;
	}
}

/* The CU holding vaddr, and its line-table row there. 0 or -ENOENT. */
static int cu_line(struct elfsym *es, uint64_t vaddr, Dwarf_Die *cudie, Dwarf_Line **ln)
{
	size_t lo = 0, hi, mid, i;
	int lineno;

	if (!es->dwarf_tried)
		load_dwarf(es);
	if (!es->dw || !es->ncus)
		return -ENOENT;
	hi = es->ncus;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (es->cus[mid].lo <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Ranges of different CUs only overlap in odd files: try a few. */
	for (i = lo; i > 0 && lo - i < ES_WALK_BACK; i--) {
		const struct es_cu *c = &es->cus[i - 1];

		if (vaddr >= c->hi)
			continue;
		if (!dwarf_offdie(es->dw, c->die, cudie))
			continue;
		*ln = dwarf_getsrc_die(cudie, vaddr);
		if (!*ln || dwarf_lineno(*ln, &lineno) || lineno <= 0 ||
		    !dwarf_linesrc(*ln, NULL, NULL))
			continue;
		return 0;
	}
	return -ENOENT;
}

int elfsym_line(struct elfsym *es, uint64_t vaddr, struct elfsym_line *out)
{
	Dwarf_Die cudie;
	Dwarf_Line *ln;

	if (cu_line(es, vaddr, &cudie, &ln))
		return -ENOENT;
	dwarf_lineno(ln, &out->line);
	out->file = dwarf_linesrc(ln, NULL, NULL);
	return 0;
}

/* An inlined function's name: its linkage name demangled (qualified, as
 * the symbols of out-of-line functions read), else its DWARF name. */
static char *inline_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	const char *s = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &a));
	char *d;

	if (!s)
		s = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a));
	if (s && (d = demangle(s)))
		return d;
	if (!s)
		s = dwarf_diename(die);
	return s ? strdup(s) : NULL;
}

/*
 * The DIEs whose code holds pc, outermost first, from under parent: the
 * subprogram, then the inlined calls and blocks within it. Our own walk,
 * not dwarf_getscopes(), which gives up on a whole CU at the first DIE
 * whose address it cannot read (rustc's CUs have such DIEs: it found
 * nothing in any Rust binary tried). Namespaces are looked into (Rust's
 * functions, C++'s); types are not (C++ defines members outside them).
 */
static int pc_scopes(Dwarf_Die *parent, uint64_t pc, Dwarf_Die *chain, int max, int depth)
{
	Dwarf_Die child;
	int n = 0;

	if (depth > 32 || dwarf_child(parent, &child))
		return 0;
	do {
		int tag = dwarf_tag(&child);

		if (tag == DW_TAG_namespace || tag == DW_TAG_module) {
			n = pc_scopes(&child, pc, chain, max, depth + 1);
		} else if ((tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
			    tag == DW_TAG_lexical_block) && dwarf_haspc(&child, pc) > 0) {
			chain[0] = child;
			n = max > 1 ? 1 + pc_scopes(&child, pc, chain + 1, max - 1, depth + 1) : 1;
		}
		if (n)
			return n;
	} while (dwarf_siblingof(&child, &child) == 0);
	return 0;
}

static int read_inlines(struct elfsym *es, uint64_t vaddr, struct elfsym_inline *out, int max)
{
	Dwarf_Die cudie, chain[ES_MAX_INLINE * 2 + 1];
	Dwarf_Files *files = NULL;
	Dwarf_Attribute a;
	Dwarf_Line *ln;
	size_t nfiles = 0;
	int n, k = 0;

	if (max <= 0 || cu_line(es, vaddr, &cudie, &ln))
		return 0;
	n = pc_scopes(&cudie, vaddr, chain, sizeof(chain) / sizeof(chain[0]), 0);
	if (n <= 1 || dwarf_getsrcfiles(&cudie, &files, &nfiles))
		return 0;
	/* innermost first, down to the subprogram the symbol names */
	for (int i = n - 1; i > 0 && k < max; i--) {
		Dwarf_Word file = 0, line = 0;

		if (dwarf_tag(&chain[i]) != DW_TAG_inlined_subroutine)
			continue; /* lexical blocks */
		dwarf_formudata(dwarf_attr(&chain[i], DW_AT_call_file, &a), &file);
		dwarf_formudata(dwarf_attr(&chain[i], DW_AT_call_line, &a), &line);
		out[k].function = inline_name(&chain[i]);
		if (!out[k].function)
			break;
		out[k].call_file = file < nfiles ? dwarf_filesrc(files, file, NULL, NULL) : NULL;
		out[k].call_line = line <= INT32_MAX ? (int)line : 0;
		k++;
	}
	return k;
}

/* Remembered per address (sorted, binary searched), so the chains live as
 * long as the file's tables and are read from DWARF once. */
int elfsym_inlines(struct elfsym *es, uint64_t vaddr, const struct elfsym_inline **out)
{
	struct elfsym_inline tmp[ES_MAX_INLINE];
	size_t lo = 0, hi = es->ninls, mid;
	struct es_inl *e;
	int n;

	*out = NULL;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (es->inls[mid].vaddr < vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < es->ninls && es->inls[lo].vaddr == vaddr) {
		*out = es->inls[lo].v;
		return es->inls[lo].n;
	}
	n = read_inlines(es, vaddr, tmp, ES_MAX_INLINE);
	if (es->ninls == es->cinls) {
		size_t cap = es->cinls ? es->cinls * 2 : 64;
		struct es_inl *v = realloc(es->inls, cap * sizeof(*v));

		if (!v)
			goto drop;
		es->inls = v;
		es->cinls = cap;
	}
	e = &es->inls[lo];
	memmove(e + 1, e, (es->ninls - lo) * sizeof(*e));
	es->ninls++;
	e->vaddr = vaddr;
	e->n = 0;
	e->v = n ? malloc(n * sizeof(*e->v)) : NULL;
	if (e->v) {
		memcpy(e->v, tmp, n * sizeof(*tmp));
		e->n = n;
		*out = e->v;
		return n;
	}
drop:
	while (n > 0)
		free(tmp[--n].function);
	return 0;
}
