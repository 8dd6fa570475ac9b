// SPDX-License-Identifier: MIT
/*
 * ELF function symbols, PT_LOAD address conversion and build id for one
 * file (its debug file: elfsym_debug.c; DWARF lines, inlined calls:
 * elfsym_dwarf.c).
 *
 * Files a target could write to are opened with ELF_C_READ: libelf then
 * pread()s each section into memory, so a target that truncates a library
 * under us cannot SIGBUS us. Root-owned files nobody else may write, on our
 * own root's file system (system libraries, /usr/lib/debug), are mmap()ed
 * instead, which keeps large DWARF in the page cache rather than on our
 * heap; a container's files are not (its root may truncate them). Either
 * way libelf checks every section against the file size.
 *
 * Symbols: STT_FUNC and STT_GNU_IFUNC from .symtab and .dynsym, plus
 * STT_NOTYPE symbols in executable sections (assembly entry points).
 * Several names at one address (aliases) collapse into one entry whose
 * name is chosen by, in order:
 *   1. a typed symbol (FUNC/IFUNC) over NOTYPE;
 *   2. a default version over a hidden one ("free" over "cfree@GLIBC_2.2.5");
 *   3. fewer leading underscores ("malloc" over "__libc_malloc");
 *   4. GLOBAL over WEAK over LOCAL;
 *   5. the shorter name, then strcmp order.
 * Its size is the largest size among the aliases. Version suffixes
 * ("@GLIBC_2.2.5", "@@GLIBC_2.14") are stripped from names.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "demangle.h"
#include "elfsym.h"
#include "elfsym_int.h"
#include "log.h"



static const char *str_dup(struct elfsym *es, const char *s, size_t len)
{
	struct es_str_chunk *c = es->strs;
	char *p;

	if (!c || c->cap - c->used < len + 1) {
		size_t cap = len + 1 > 65536 ? len + 1 : 65536;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = es->strs;
		es->strs = c;
	}
	p = c->buf + c->used;
	memcpy(p, s, len);
	p[len] = '\0';
	c->used += len + 1;
	return p;
}

static int read_loads(struct elfsym *es)
{
	size_t i, n = 0, phnum;
	GElf_Phdr ph;

	if (elf_getphdrnum(es->elf, &phnum))
		return 0; /* no program headers: no conversions */
	for (i = 0; i < phnum; i++) {
		if (gelf_getphdr(es->elf, i, &ph) && ph.p_type == PT_LOAD && ph.p_filesz)
			n++;
	}
	if (!n)
		return 0;
	es->loads = calloc(n, sizeof(*es->loads));
	if (!es->loads)
		return -ENOMEM;
	for (i = 0; i < phnum && es->nloads < n; i++) {
		struct es_load *l = &es->loads[es->nloads];

		if (!gelf_getphdr(es->elf, i, &ph) || ph.p_type != PT_LOAD || !ph.p_filesz)
			continue;
		if (ph.p_offset + ph.p_filesz < ph.p_offset ||
		    ph.p_vaddr + ph.p_filesz < ph.p_vaddr)
			continue; /* wraps: corrupt */
		l->off = ph.p_offset;
		l->vaddr = ph.p_vaddr;
		l->filesz = ph.p_filesz;
		l->align = ph.p_align;
		es->nloads++;
	}
	return 0;
}

struct secinfo {
	uint64_t addr, size;
	bool exec;
};

/* Address ranges of the sections, to validate symbols and bound unsized
 * ones. NULL with *n = 0 if the table is unreadable. */
static struct secinfo *read_secinfo(Elf *elf, size_t *n)
{
	struct secinfo *si;
	Elf_Scn *scn;
	GElf_Shdr sh;
	size_t i;

	*n = 0;
	if (elf_getshdrnum(elf, n) || !*n) {
		*n = 0;
		return NULL;
	}
	si = calloc(*n, sizeof(*si));
	if (!si) {
		*n = 0;
		return NULL;
	}
	for (i = 0; i < *n; i++) {
		scn = elf_getscn(elf, i);
		if (!scn || !gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC))
			continue;
		si[i].addr = sh.sh_addr;
		si[i].size = sh.sh_addr + sh.sh_size < sh.sh_addr ? 0 : sh.sh_size;
		si[i].exec = sh.sh_flags & SHF_EXECINSTR;
	}
	return si;
}

static int add_sym(struct elfsym *es, const struct es_sym *s)
{
	if (es->nsyms == es->csyms) {
		size_t cap = es->csyms ? es->csyms * 2 : 1024;
		void *p;

		if (es->nsyms >= ES_MAX_SYMS)
			return -E2BIG;
		p = reallocarray(es->syms, cap, sizeof(*es->syms));
		if (!p)
			return -ENOMEM;
		es->syms = p;
		es->csyms = cap;
	}
	es->syms[es->nsyms++] = *s;
	return 0;
}

/* A section's size by index; UINT64_MAX if there is none. */
static uint64_t scn_size(Elf *elf, size_t ndx)
{
	Elf_Scn *scn = elf_getscn(elf, ndx);
	GElf_Shdr sh;

	return scn && gelf_getshdr(scn, &sh) ? sh.sh_size : UINT64_MAX;
}

/* Index of the SHT_GNU_versym section describing symbol section symndx. */
static Elf_Data *find_versym(Elf *elf, size_t symndx)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_GNU_versym && sh.sh_link == symndx)
			return elf_getdata(scn, NULL);
	}
	return NULL;
}

static int load_symbols(struct elfsym *es, Elf *elf, Elf_Scn *scn, int src)
{
	struct secinfo *si = NULL;
	Elf_Data *data, *versym;
	size_t i, n, nsec, entsz;
	GElf_Shdr sh;
	int err = 0;

	if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS || !sh.sh_size)
		return 0;
	entsz = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
	if (!entsz || sh.sh_size > ES_MAX_SYMTAB || scn_size(elf, sh.sh_link) > ES_MAX_SYMTAB) {
		wlog("%s: symbol table too large or malformed, ignored\n", es->path);
		return 0;
	}
	data = elf_getdata(scn, NULL);
	if (!data || !data->d_size)
		return 0;
	versym = src == SRC_DYNSYM ? find_versym(elf, elf_ndxscn(scn)) : NULL;
	si = read_secinfo(elf, &nsec);
	n = data->d_size / entsz;
	for (i = 1; i < n; i++) {
		struct es_sym s = {};
		const char *name, *at;
		GElf_Versym vs;
		GElf_Sym sym;
		int type;

		if (!gelf_getsym(data, i, &sym))
			break;
		type = GELF_ST_TYPE(sym.st_info);
		if (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE)
			continue;
		if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= nsec || !si[sym.st_shndx].size)
			continue;
		if (type == STT_NOTYPE && !si[sym.st_shndx].exec)
			continue;
		name = elf_strptr(elf, sh.sh_link, sym.st_name);
		if (!name || !name[0] || name[0] == '$' || !strncmp(name, ".L", 2))
			continue;

		s.addr = sym.st_value;
		s.size = sym.st_size;
		s.src = src;
		s.notype = type == STT_NOTYPE;
		switch (GELF_ST_BIND(sym.st_info)) {
		case STB_GLOBAL:
			s.bind = 0;
			break;
		case STB_WEAK:
			s.bind = 1;
			break;
		default:
			s.bind = 2;
		}
		at = strchr(name, '@');
		if (at) {
			/* "name@VER" is a hidden version, "name@@VER" the default. */
			s.hidden = at[1] != '@';
			name = str_dup(es, name, at - name);
			if (!name) {
				err = -ENOMEM;
				goto cleanup;
			}
		}
		if (versym && gelf_getversym(versym, i, &vs) && (vs & 0x8000))
			s.hidden = 1;
		s.namelen = strlen(name);
		s.name = name;
		while (s.unders < 7 && name[s.unders] == '_')
			s.unders++;
		if (s.size) {
			s.end = s.addr + s.size < s.addr ? UINT64_MAX : s.addr + s.size;
		} else {
			uint64_t lo = si[sym.st_shndx].addr, hi = lo + si[sym.st_shndx].size;

			s.end = s.addr >= lo && s.addr < hi ? hi : s.addr;
		}
		err = add_sym(es, &s);
		if (err == -E2BIG) {
			wlog("%s: more than %u symbols, rest ignored\n", es->path, ES_MAX_SYMS);
			err = 0;
			break;
		}
		if (err)
			goto cleanup;
	}
cleanup:
	free(si);
	return err;
}

static int cmp_sym(const void *a, const void *b)
{
	const struct es_sym *x = a, *y = b;
	int c;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->notype != y->notype)
		return x->notype - y->notype;
	if (x->hidden != y->hidden)
		return x->hidden - y->hidden;
	if (x->unders != y->unders)
		return x->unders - y->unders;
	if (x->bind != y->bind)
		return x->bind - y->bind;
	if (x->namelen != y->namelen)
		return x->namelen < y->namelen ? -1 : 1;
	c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->src - y->src;
}

static int build_fns(struct elfsym *es)
{
	size_t i, j, n = 0;

	if (!es->nsyms)
		return 0;
	qsort(es->syms, es->nsyms, sizeof(*es->syms), cmp_sym);
	es->fns = calloc(es->nsyms, sizeof(*es->fns));
	if (!es->fns)
		return -ENOMEM;
	for (i = 0; i < es->nsyms; i = j) {
		struct es_fn *f = &es->fns[n++];

		f->addr = es->syms[i].addr;
		f->name = es->syms[i].name;
		for (j = i; j < es->nsyms && es->syms[j].addr == f->addr; j++) {
			if (es->syms[j].size > f->size)
				f->size = es->syms[j].size;
			if (es->syms[j].end > f->end)
				f->end = es->syms[j].end;
		}
	}
	es->nfns = n;
	return 0;
}

/* Symbols from .symtab (the file's, else its debug file's) and .dynsym. */
static int load_all_symbols(struct elfsym *es)
{
	Elf_Scn *scn;
	GElf_Shdr sh;
	int err;

	scn = es_find_scn_type(es->elf, SHT_SYMTAB, &sh);
	if (!scn && es->delf) {
		scn = es_find_scn_type(es->delf, SHT_SYMTAB, &sh);
		if (scn) {
			err = load_symbols(es, es->delf, scn, SRC_SYMTAB);
			if (err)
				return err;
		}
	} else if (scn) {
		err = load_symbols(es, es->elf, scn, SRC_SYMTAB);
		if (err)
			return err;
	}
	scn = es_find_scn_type(es->elf, SHT_DYNSYM, &sh);
	if (scn) {
		err = load_symbols(es, es->elf, scn, SRC_DYNSYM);
		if (err)
			return err;
	}
	return build_fns(es);
}


int elfsym_open(const char *path, struct elfsym **out)
{
	struct elfsym *es;
	struct stat st;
	GElf_Ehdr eh;
	int err;

	*out = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	es = calloc(1, sizeof(*es));
	if (!es)
		return -ENOMEM;
	es->fd = es->dfd = -1;
	es->path = strdup(path);
	if (!es->path) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = es_open_elf(path, &es->fd, &es->elf, &st);
	if (err)
		goto cleanup;
	es->dev = st.st_dev;
	es->ino = st.st_ino;
	if (!gelf_getehdr(es->elf, &eh)) {
		err = -ENOEXEC;
		goto cleanup;
	}
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		err = -ENOEXEC;
		goto cleanup;
	}
	es->dyn = eh.e_type == ET_DYN;
	es_read_build_id(es->elf, false, es->build_id);
	err = read_loads(es);
	if (err)
		goto cleanup;
	es->has_symtab = es_elf_has_symtab(es->elf);
	es->has_dwarf = es_elf_has_dwarf(es->elf);
	/* DWARF alone is looked up lazily, by the first elfsym_line(). */
	if (!es->has_symtab)
		es_find_debug_file(es);
	err = load_all_symbols(es);
	if (err)
		goto cleanup;
	*out = es;
	return 0;
cleanup:
	elfsym_close(es);
	return err;
}

void elfsym_close(struct elfsym *es)
{
	struct es_str_chunk *c, *next;

	if (!es)
		return;
	if (es->dw)
		dwarf_end(es->dw);
	if (es->delf)
		elf_end(es->delf);
	if (es->elf)
		elf_end(es->elf);
	if (es->dfd >= 0)
		close(es->dfd);
	if (es->fd >= 0)
		close(es->fd);
	for (c = es->strs; c; c = next) {
		next = c->next;
		free(c);
	}
	free(es->cus);
	for (size_t i = 0; i < es->ninls; i++) {
		for (int j = 0; j < es->inls[i].n; j++)
			free(es->inls[i].v[j].function);
		free(es->inls[i].v);
	}
	free(es->inls);
	for (size_t i = 0; i < es->nfns; i++)
		if (es->fns[i].pretty != es->fns[i].name)
			free(es->fns[i].pretty);
	free(es->fns);
	free(es->syms);
	free(es->loads);
	free(es->path);
	free(es);
}

const char *elfsym_build_id(const struct elfsym *es)
{
	return es ? es->build_id : "";
}

/* The same bytes in two open files, compared a chunk at a time. */
static bool same_bytes(int a, int b)
{
	static char ba[1 << 16], bb[1 << 16];
	struct stat sa, sb;
	off_t off = 0;

	if (a < 0 || b < 0)
		return a == b;
	if (fstat(a, &sa) || fstat(b, &sb) || sa.st_size != sb.st_size)
		return false;
	while (off < sa.st_size) {
		ssize_t n = pread(a, ba, sizeof(ba), off);

		if (n <= 0 || pread(b, bb, n, off) != n || memcmp(ba, bb, n))
			return false;
		off += n;
	}
	return true;
}

bool elfsym_same_content(const struct elfsym *a, const struct elfsym *b)
{
	if (a->dev == b->dev && a->ino == b->ino)
		return true;
	return same_bytes(a->fd, b->fd);
}

bool elfsym_is_dyn(const struct elfsym *es)
{
	return es && es->dyn;
}

int elfsym_offset_to_vaddr(const struct elfsym *es, uint64_t off, uint64_t *vaddr)
{
	size_t i;

	for (i = 0; i < es->nloads; i++) {
		const struct es_load *l = &es->loads[i];

		if (off >= l->off && off - l->off < l->filesz) {
			*vaddr = l->vaddr + (off - l->off);
			return 0;
		}
	}
	/* The kernel maps whole pages: an offset can fall into the page-aligned
	 * head of a segment that does not start on a page boundary. */
	for (i = 0; i < es->nloads; i++) {
		const struct es_load *l = &es->loads[i];
		uint64_t head = l->off & 4095;

		if (off < l->off && l->off - off <= head && l->vaddr >= l->off - off) {
			*vaddr = l->vaddr - (l->off - off);
			return 0;
		}
	}
	return -ENOENT;
}

int elfsym_vaddr_to_offset(const struct elfsym *es, uint64_t vaddr, uint64_t *off)
{
	size_t i;

	for (i = 0; i < es->nloads; i++) {
		const struct es_load *l = &es->loads[i];

		if (vaddr >= l->vaddr && vaddr - l->vaddr < l->filesz) {
			*off = l->off + (vaddr - l->vaddr);
			return 0;
		}
	}
	return -ENOENT;
}

int elfsym_lookup(struct elfsym *es, uint64_t vaddr, struct elfsym_sym *sym)
{
	size_t lo = 0, hi = es->nfns, mid, i;
	struct es_fn *f;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (es->fns[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -ENOENT;
	f = &es->fns[lo - 1];
	if (vaddr >= f->end) {
		/* Maybe inside an enclosing sized symbol that starts earlier. */
		f = NULL;
		for (i = lo - 1; i > 0 && lo - 1 - i < ES_WALK_BACK; i--) {
			if (es->fns[i - 1].size && vaddr < es->fns[i - 1].end) {
				f = &es->fns[i - 1];
				break;
			}
		}
		if (!f)
			return -ENOENT;
	}
	if (!f->pretty) /* on lookup, not at open: few of a file's names are ever shown */
		f->pretty = demangle(f->name) ?: (char *)f->name;
	sym->name = f->pretty;
	sym->linkage_name = f->name;
	sym->addr = f->addr;
	sym->size = f->size;
	return 0;
}

int elfsym_find(const struct elfsym *es, const char *name, struct elfsym_sym *sym)
{
	const struct es_sym *best = NULL;
	size_t i;

	for (i = 0; i < es->nsyms; i++) {
		const struct es_sym *s = &es->syms[i];

		if (strcmp(s->name, name))
			continue;
		/* .symtab first, then a default version over a hidden one. */
		if (!best || s->src < best->src ||
		    (s->src == best->src && s->hidden < best->hidden))
			best = s;
	}
	if (!best)
		return -ENOENT;
	sym->name = best->name;
	sym->addr = best->addr;
	sym->size = best->size;
	return 0;
}
