// SPDX-License-Identifier: MIT
/*
 * ELF function symbols, PT_LOAD address conversion, build id and DWARF
 * lines for one file.
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
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "demangle.h"
#include "elfsym.h"
#include "log.h"

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

static char debug_dir[PATH_MAX] = "/usr/lib/debug";

void elfsym_set_debug_dir(const char *dir)
{
	snprintf(debug_dir, sizeof(debug_dir), "%s", dir ? dir : "/usr/lib/debug");
}

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

/* Section name, or "" when the string table is bad. */
static const char *scn_name(Elf *elf, size_t shstrndx, const GElf_Shdr *sh)
{
	const char *n = elf_strptr(elf, shstrndx, sh->sh_name);

	return n ? n : "";
}

static Elf_Scn *find_scn(Elf *elf, const char *name, GElf_Shdr *out)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, out))
			continue;
		if (!strcmp(scn_name(elf, shstrndx, out), name))
			return scn;
	}
	return NULL;
}

static Elf_Scn *find_scn_type(Elf *elf, uint32_t type, GElf_Shdr *out)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		if (gelf_getshdr(scn, out) && out->sh_type == type)
			return scn;
	}
	return NULL;
}

static bool has_data_scn(Elf *elf, const char *name)
{
	GElf_Shdr sh;

	return find_scn(elf, name, &sh) && sh.sh_type != SHT_NOBITS && sh.sh_size;
}

static bool elf_has_symtab(Elf *elf)
{
	GElf_Shdr sh;

	return find_scn_type(elf, SHT_SYMTAB, &sh) && sh.sh_size;
}

static bool elf_has_dwarf(Elf *elf)
{
	return has_data_scn(elf, ".debug_info") || has_data_scn(elf, ".zdebug_info");
}

static void hex_encode(const uint8_t *b, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Find NT_GNU_BUILD_ID in one note blob. */
static bool note_build_id(Elf_Data *data, char *out)
{
	size_t off = 0, next, name_off, desc_off;
	GElf_Nhdr nh;

	while (off < data->d_size &&
	       (next = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && nh.n_descsz > 0 &&
		    nh.n_descsz <= ES_MAX_BUILD_ID &&
		    !memcmp((char *)data->d_buf + name_off, "GNU", 4)) {
			hex_encode((uint8_t *)data->d_buf + desc_off, nh.n_descsz, out);
			return true;
		}
		off = next;
	}
	return false;
}

static bool build_id_from_phdrs(Elf *elf, char *out)
{
	size_t i, phnum;
	Elf_Data *data;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &phnum))
		return false;
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_NOTE || !ph.p_filesz ||
		    ph.p_filesz > ES_MAX_NOTE) /* a sparse file's "note" of gigabytes */
			continue;
		data = elf_getdata_rawchunk(elf, ph.p_offset, ph.p_filesz,
					    ph.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
		if (data && note_build_id(data, out))
			return true;
	}
	return false;
}

static bool build_id_from_sections(Elf *elf, char *out)
{
	Elf_Scn *scn = NULL;
	Elf_Data *data;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE || sh.sh_size > ES_MAX_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		if (data && note_build_id(data, out))
			return true;
	}
	return false;
}

/* Build id from the PT_NOTE segments (what the loader sees; sections may be
 * stripped) or the SHT_NOTE sections. A debug file's program headers may
 * point at data that was not kept, so for it sections come first.
 * out[0] = '\0' if none. */
static void read_build_id(Elf *elf, bool debug_file, char *out)
{
	out[0] = '\0';
	if (debug_file) {
		if (!build_id_from_sections(elf, out))
			build_id_from_phdrs(elf, out);
	} else {
		if (!build_id_from_phdrs(elf, out))
			build_id_from_sections(elf, out);
	}
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

	scn = find_scn_type(es->elf, SHT_SYMTAB, &sh);
	if (!scn && es->delf) {
		scn = find_scn_type(es->delf, SHT_SYMTAB, &sh);
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
	scn = find_scn_type(es->elf, SHT_DYNSYM, &sh);
	if (scn) {
		err = load_symbols(es, es->elf, scn, SRC_DYNSYM);
		if (err)
			return err;
	}
	return build_fns(es);
}

/*
 * mmap() only what no target can truncate under us: root's files, nobody
 * else may write, on the file system of our own "/" (the host's system
 * libraries and debug files). A container's files sit on its own (overlay)
 * file system, where its root may truncate them: a SIGBUS in the tracer.
 */
static bool may_mmap(const struct stat *st)
{
	static dev_t root_dev;
	static bool known;
	struct stat r;

	if (!known && !stat("/", &r)) {
		root_dev = r.st_dev;
		known = true;
	}
	return known && st->st_dev == root_dev && st->st_uid == 0 && !(st->st_mode & 022);
}

static int open_elf(const char *path, int *fdp, Elf **elfp, struct stat *st)
{
	int fd, err;
	Elf *elf;

	/* Debug-file candidates sit in directories the target may control:
	 * refuse FIFOs and devices before opening (a FIFO open would block),
	 * and check again on the descriptor. */
	if (stat(path, st))
		return -errno;
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st)) {
		err = -errno;
		goto cleanup;
	}
	if (!S_ISREG(st->st_mode)) {
		err = -EINVAL;
		goto cleanup;
	}
	if ((uint64_t)st->st_size > ES_MAX_FILE) {
		err = -EFBIG;
		goto cleanup;
	}
	elf = elf_begin(fd, may_mmap(st) ? ELF_C_READ_MMAP : ELF_C_READ, NULL);
	if (!elf) {
		err = -ENOEXEC;
		goto cleanup;
	}
	if (elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		err = -ENOEXEC;
		goto cleanup;
	}
	*fdp = fd;
	*elfp = elf;
	return 0;
cleanup:
	close(fd);
	return err;
}

/* CRC-32 of a whole file, as .gnu_debuglink records it (zlib's crc32). */
static int file_crc32(int fd, uint32_t *crc)
{
	unsigned char buf[16384];
	uLong c = crc32(0, Z_NULL, 0);
	off_t off = 0;
	ssize_t r;

	for (;;) {
		r = pread(fd, buf, sizeof(buf), off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!r)
			break;
		c = crc32(c, buf, r);
		off += r;
	}
	*crc = c;
	return 0;
}

/* Accept cand as the debug file if it is a different ELF file of the same
 * class and machine, has what we lack, and matches by build id, or by CRC
 * when neither side can be compared by build id. */
static bool try_debug_file(struct elfsym *es, const char *cand, bool have_crc, uint32_t crc)
{
	char bid[sizeof(es->build_id)];
	GElf_Ehdr eh, deh;
	struct stat st;
	uint32_t c = 0;
	Elf *delf;
	int fd;

	if (open_elf(cand, &fd, &delf, &st))
		return false;
	if (st.st_dev == es->dev && st.st_ino == es->ino)
		goto reject;
	if (!gelf_getehdr(es->elf, &eh) || !gelf_getehdr(delf, &deh) ||
	    eh.e_ident[EI_CLASS] != deh.e_ident[EI_CLASS] || eh.e_machine != deh.e_machine)
		goto reject;
	if (!elf_has_symtab(delf) && !elf_has_dwarf(delf))
		goto reject;
	read_build_id(delf, true, bid);
	if (es->build_id[0] && bid[0]) {
		if (strcmp(es->build_id, bid))
			goto reject;
	} else if (!have_crc || file_crc32(fd, &c) || c != crc) {
		goto reject;
	}
	dlog("%s: using debug file %s\n", es->path, cand);
	es->dfd = fd;
	es->delf = delf;
	return true;
reject:
	elf_end(delf);
	close(fd);
	return false;
}

/* Parse .gnu_debuglink: file name, padding to 4, CRC-32 in file byte order. */
static bool read_debuglink(Elf *elf, char *name, size_t namesz, uint32_t *crc)
{
	const unsigned char *p;
	Elf_Data *data;
	GElf_Ehdr eh;
	size_t len, off;
	Elf_Scn *scn;
	GElf_Shdr sh;

	scn = find_scn(elf, ".gnu_debuglink", &sh);
	if (!scn || sh.sh_type == SHT_NOBITS || sh.sh_size > ES_MAX_DEBUGLINK ||
	    !gelf_getehdr(elf, &eh))
		return false;
	data = elf_getdata(scn, NULL);
	if (!data || !data->d_buf)
		return false;
	p = data->d_buf;
	len = strnlen((const char *)p, data->d_size);
	if (!len || len >= namesz || len >= data->d_size || memchr(p, '/', len))
		return false;
	off = (len + 4) & ~(size_t)3;
	if (off + 4 > data->d_size)
		return false;
	memcpy(name, p, len);
	name[len] = '\0';
	if (eh.e_ident[EI_DATA] == ELFDATA2MSB)
		*crc = (uint32_t)p[off] << 24 | p[off + 1] << 16 | p[off + 2] << 8 | p[off + 3];
	else
		*crc = (uint32_t)p[off + 3] << 24 | p[off + 2] << 16 | p[off + 1] << 8 | p[off];
	return true;
}

/* Split "/proc/N/root/rest" so debug directories are also searched inside
 * the target's root (containers); root is "" for other paths. A mapping's
 * "/proc/N/map_files/range" is in root "/proc/N/root" too, but names no
 * directory there: rest is NULL (build ids only). */
static void split_root(const char *path, char *root, size_t rootsz, const char **rest)
{
	const char *p = path + 6;
	bool map_file;
	size_t n;

	root[0] = '\0';
	*rest = path;
	if (strncmp(path, "/proc/", 6))
		return;
	while (*p >= '0' && *p <= '9')
		p++;
	map_file = !strncmp(p, "/map_files/", 11);
	if (p == path + 6 || (strncmp(p, "/root/", 6) && !map_file))
		return;
	n = p - path;
	if (n + 6 > rootsz)
		return;
	memcpy(root, path, n);
	memcpy(root + n, "/root", 6);
	*rest = map_file ? NULL : p + 5;
}

static bool join_ok(char *buf, size_t sz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool join_ok(char *buf, size_t sz, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sz, fmt, ap);
	va_end(ap);
	return n > 0 && (size_t)n < sz;
}

/* Look for a separate debug file: by build id, then by .gnu_debuglink in
 * the file's dir, dir/.debug/ and <debug dir>/dir/, each inside the target's
 * root first when the path goes through /proc/N/root. */
static void find_debug_file(struct elfsym *es)
{
	char root[64], cand[PATH_MAX], dir[PATH_MAX], link[256];
	const char *rest, *slash, *rdir;
	const char *roots[2];
	uint32_t crc;
	size_t len;
	int i;

	if (es->debug_searched)
		return;
	es->debug_searched = true;
	split_root(es->path, root, sizeof(root), &rest);
	roots[0] = root;
	roots[1] = "";
	for (i = 0; i < (root[0] ? 2 : 1) && es->build_id[0] && strlen(es->build_id) > 2; i++) {
		if (join_ok(cand, sizeof(cand), "%s%s/.build-id/%.2s/%s.debug", roots[i],
			    debug_dir, es->build_id, es->build_id + 2) &&
		    try_debug_file(es, cand, false, 0))
			return;
	}
	if (!rest || !read_debuglink(es->elf, link, sizeof(link), &crc))
		return;
	slash = strrchr(es->path, '/');
	len = slash ? (size_t)(slash - es->path) : 1;
	if (len >= sizeof(dir))
		return;
	if (slash)
		memcpy(dir, es->path, len);
	else
		dir[0] = '.';
	dir[len] = '\0';
	if (join_ok(cand, sizeof(cand), "%s/%s", dir, link) && try_debug_file(es, cand, true, crc))
		return;
	if (join_ok(cand, sizeof(cand), "%s/.debug/%s", dir, link) &&
	    try_debug_file(es, cand, true, crc))
		return;
	/* <debug dir>/<dir of the path as the target sees it>/link */
	rdir = dir + (root[0] && !strncmp(dir, root, strlen(root)) ? strlen(root) : 0);
	if (rdir[0] != '/')
		return;
	for (i = 0; i < (root[0] ? 2 : 1); i++) {
		if (join_ok(cand, sizeof(cand), "%s%s%s/%s", roots[i], debug_dir, rdir, link) &&
		    try_debug_file(es, cand, true, crc))
			return;
	}
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
	err = open_elf(path, &es->fd, &es->elf, &st);
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
	read_build_id(es->elf, false, es->build_id);
	err = read_loads(es);
	if (err)
		goto cleanup;
	es->has_symtab = elf_has_symtab(es->elf);
	es->has_dwarf = elf_has_dwarf(es->elf);
	/* DWARF alone is looked up lazily, by the first elfsym_line(). */
	if (!es->has_symtab)
		find_debug_file(es);
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
		name = scn_name(elf, shstrndx, &sh);
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
		find_debug_file(es);
		if (es->delf && elf_has_dwarf(es->delf))
			elf = es->delf;
	}
	if (!elf)
		return;
	if (fstat(elf == es->elf ? es->fd : es->dfd, &st) ||
	    !dwarf_sizes_ok(elf, may_mmap(&st) ? ES_MAX_DWARF_MMAP : ES_MAX_DWARF_READ)) {
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
