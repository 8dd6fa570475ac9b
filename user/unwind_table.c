// SPDX-License-Identifier: MIT
/*
 * CFI -> compact unwind rows, with libdw. The FDEs are enumerated from
 * .eh_frame_hdr's sorted table, and from .debug_frame (the file's own or its
 * debug file's by build id) for code .eh_frame leaves out; within an FDE,
 * dwarf_cfi_addrframe() gives one row and its [start, end), and the next row
 * is asked for at end. libdw
 * re-runs the FDE's program from its start for each row (quadratic in the
 * rows of one function), which is why tables are cached by build id.
 *
 * Only what an x86-64 unwinder needs is kept: how to find the CFA (rsp or
 * rbp + offset; PLT and signal frames recognized by their expressions),
 * where the caller's rbp is, and whether there is a return address at all.
 * Anything else is "invalid" and the walker takes one guarded frame-pointer
 * step there.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "elfsym.h"
#include "mapfile.h"
#include "unwind_table.h"
#include "util.h"

/* A FIFO or device put where a target's file was must not block us. */
static int open_regular(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

#define UW_MAGIC 0x3457554c544cULL /* "LTLUW4": .debug_frame merged, frame-pointer flag */
#define UW_MAX_RULES 8192
#define UW_RULE_SLOTS 16384
#define UW_MAX_ROWS (1U << 24)
#define DWARF_RBP 6
#define DWARF_RSP 7
#define DWARF_RA 16

struct builder {
	struct uw_table *t;
	uint32_t rows_cap, rules_cap;
	int32_t slots[UW_RULE_SLOTS];	/* rule index + 1, 0: empty */
};

static uint32_t rule_hash(const struct lt_uw_rule *r)
{
	uint64_t h = (uint64_t)r->cfa << 40 | (uint64_t)r->rbp << 32 | (uint32_t)r->cfa_off;

	return lt_mix64(h ^ (uint64_t)(uint32_t)r->rbp_off * 0x9E3779B97F4A7C15ULL);
}

/* The index of rule r in the table, added if new; 0 (invalid) when full. */
static uint32_t intern_rule(struct builder *b, const struct lt_uw_rule *r)
{
	struct uw_table *t = b->t;
	uint32_t i = rule_hash(r) & (UW_RULE_SLOTS - 1);

	for (;; i = (i + 1) & (UW_RULE_SLOTS - 1)) {
		int32_t k = b->slots[i];

		if (!k)
			break;
		if (!memcmp(&t->rules[k - 1], r, sizeof(*r)))
			return k - 1;
	}
	if (t->nrules >= UW_MAX_RULES)
		return 0;
	if (t->nrules == b->rules_cap) {
		uint32_t cap = b->rules_cap * 2;
		struct lt_uw_rule *v = realloc(t->rules, cap * sizeof(*v));

		if (!v)
			return 0;
		t->rules = v;
		b->rules_cap = cap;
	}
	t->rules[t->nrules] = *r;
	b->slots[i] = ++t->nrules;
	return t->nrules - 1;
}

static int add_row(struct builder *b, uint64_t pc, uint32_t rule)
{
	struct uw_table *t = b->t;

	/* a row at the same pc replaces the previous one (a zero-length row) */
	if (t->nrows && t->rows[t->nrows - 1].pc == pc) {
		t->rows[t->nrows - 1].rule = rule;
		if (t->nrows > 1 && t->rows[t->nrows - 2].rule == rule)
			t->nrows--;
		return 0;
	}
	if (t->nrows && t->rows[t->nrows - 1].rule == rule)
		return 0; /* neighbours merged */
	if (t->nrows && pc < t->rows[t->nrows - 1].pc)
		return -EINVAL;
	if (pc > UINT32_MAX || t->nrows >= UW_MAX_ROWS)
		return -E2BIG;
	if (t->nrows == b->rows_cap) {
		uint32_t cap = b->rows_cap * 2;
		struct lt_uw_row *v = realloc(t->rows, (size_t)cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->rows = v;
		b->rows_cap = cap;
	}
	t->rows[t->nrows].pc = pc;
	t->rows[t->nrows].rule = rule;
	t->nrows++;
	return 0;
}

/* "the register is saved at CFA + off": DW_OP_call_frame_cfa[, plus_uconst] */
static bool at_cfa(const Dwarf_Op *ops, size_t n, int64_t *off)
{
	if (n == 1 && ops[0].atom == DW_OP_call_frame_cfa) {
		*off = 0;
		return true;
	}
	if (n == 2 && ops[0].atom == DW_OP_call_frame_cfa && ops[1].atom == DW_OP_plus_uconst) {
		*off = (int64_t)ops[1].number; /* libdw stores negative offsets as is */
		return true;
	}
	return false;
}

/*
 * The PLT's CFA expression that GCC and ld write for .plt: rsp + 8, and 8 more
 * once the entry has pushed its relocation index:
 *   breg7 8; breg16 0; lit15; and; lit11 (lit10 with IBT); ge; lit3; shl; plus
 */
static bool plt_expr(const Dwarf_Op *o, size_t n, int32_t *threshold)
{
	if (n != 9 || o[0].atom != DW_OP_breg7 || o[0].number != 8 || o[1].atom != DW_OP_breg16 ||
	    o[1].number != 0 || o[2].atom != DW_OP_lit15 || o[3].atom != DW_OP_and ||
	    o[4].atom < DW_OP_lit0 || o[4].atom > DW_OP_lit15 || o[5].atom != DW_OP_ge ||
	    o[6].atom != DW_OP_lit3 || o[7].atom != DW_OP_shl || o[8].atom != DW_OP_plus)
		return false;
	*threshold = o[4].atom - DW_OP_lit0;
	return true;
}

static void frame_rule(Dwarf_Frame *fr, bool signal, struct lt_uw_rule *r)
{
	Dwarf_Op mem[3], *ops;
	size_t n;
	int64_t off;

	memset(r, 0, sizeof(*r));
	if (dwarf_frame_cfa(fr, &ops, &n))
		return;
	if (n == 1 && ops[0].atom == DW_OP_bregx &&
	    (ops[0].number == DWARF_RSP || ops[0].number == DWARF_RBP)) {
		off = (int64_t)ops[0].number2;
		if (off < INT32_MIN || off > INT32_MAX)
			return;
		r->cfa = ops[0].number == DWARF_RSP ? LT_UW_CFA_RSP : LT_UW_CFA_RBP;
		r->cfa_off = off;
	} else if (plt_expr(ops, n, &r->cfa_off)) {
		r->cfa = LT_UW_PLT;
		return;
	} else if (signal && n == 2 && ops[0].atom == DW_OP_breg7 && ops[0].number == 160 &&
		   ops[1].atom == DW_OP_deref) {
		/* glibc's __restore_rt: CFA = the interrupted rsp saved in the
		 * ucontext at rsp (uc_mcontext.gregs[REG_RSP] at +160) */
		r->cfa = LT_UW_SIGNAL;
		return;
	} else {
		return;
	}

	/* the return address: undefined in the outermost frame */
	if (dwarf_frame_register(fr, DWARF_RA, mem, &ops, &n)) {
		r->cfa = LT_UW_INVALID;
		return;
	}
	if (ops && n == 0) {
		*r = (struct lt_uw_rule){ .cfa = LT_UW_STOP };
		return;
	}
	if (!ops || !at_cfa(ops, n, &off) || off != -8) {
		*r = (struct lt_uw_rule){ .cfa = LT_UW_INVALID };
		return;
	}
	if (!dwarf_frame_register(fr, DWARF_RBP, mem, &ops, &n) && ops && at_cfa(ops, n, &off) &&
	    off >= INT32_MIN && off <= INT32_MAX) {
		r->rbp = LT_UW_RBP_SAVED;
		r->rbp_off = off;
	}
}

/* .eh_frame_hdr's sorted table of FDE start addresses (the encodings every
 * GNU and LLVM linker writes: pcrel/udata4/sdata4 pointer, datarel sdata4
 * table). -ENOENT when absent or encoded otherwise. */
static int fde_starts(Elf *elf, uint64_t **out, size_t *n)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return -ENOENT;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		Elf_Data *d;
		const uint8_t *p;
		uint32_t count;
		uint64_t *v;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".eh_frame_hdr"))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || d->d_size < 12)
			return -ENOENT;
		p = d->d_buf;
		if (p[0] != 1 || p[1] != (DW_EH_PE_pcrel | DW_EH_PE_sdata4) ||
		    (p[2] != DW_EH_PE_udata4 && p[2] != DW_EH_PE_sdata4) ||
		    p[3] != (DW_EH_PE_datarel | DW_EH_PE_sdata4))
			return -ENOENT;
		memcpy(&count, p + 8, 4);
		if (count > (d->d_size - 12) / 8)
			return -EINVAL;
		v = malloc((count ?: 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		for (uint32_t i = 0; i < count; i++) {
			int32_t loc;

			memcpy(&loc, p + 12 + 8 * i, 4);
			v[i] = sh.sh_addr + (int64_t)loc;
		}
		*out = v;
		*n = count;
		return 0;
	}
	return -ENOENT;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The FDE start addresses of .debug_frame, sorted: for code that has CFI
 * only there (built -g without unwind tables, as some hand-written or
 * embedded code is). 64-bit absolute addresses, as on x86-64. */
static int debug_frame_starts(Elf *elf, uint64_t **out, size_t *n)
{
	size_t shstrndx, cap = 0, cnt = 0;
	const unsigned char *ident;
	Elf_Scn *scn = NULL;
	uint64_t *v = NULL;
	Elf_Data *d = NULL;
	GElf_Shdr sh;

	ident = (const unsigned char *)elf_getident(elf, NULL);
	if (!ident || elf_getshdrstrndx(elf, &shstrndx))
		return -ENOENT;
	while (!d && (scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && !strcmp(name, ".debug_frame"))
			d = elf_getdata(scn, NULL);
	}
	if (!d || !d->d_size)
		return -ENOENT;
	for (Dwarf_Off off = 0, next; off < d->d_size; off = next) {
		Dwarf_CFI_Entry e;
		int r = dwarf_next_cfi(ident, d, false, off, &next, &e);

		if (r > 0 || next == (Dwarf_Off)-1 || next <= off)
			break;
		if (r < 0 || dwarf_cfi_cie_p(&e) || e.fde.end - e.fde.start < 8)
			continue;
		if (lt_grow(&v, &cap, cnt, sizeof(*v))) {
			free(v);
			return -ENOMEM;
		}
		memcpy(&v[cnt++], e.fde.start, 8);
	}
	if (!cnt) {
		free(v);
		return -ENOENT;
	}
	qsort(v, cnt, sizeof(*v), cmp_u64);
	*out = v;
	*n = cnt;
	return 0;
}

static int read_segs(Elf *elf, struct uw_table *t)
{
	size_t phnum;

	if (elf_getphdrnum(elf, &phnum))
		return -EINVAL;
	for (size_t i = 0; i < phnum && t->nsegs < UW_MAX_SEGS; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		t->segs[t->nsegs++] = (struct uw_seg){ ph.p_offset, ph.p_vaddr, ph.p_filesz };
	}
	return t->nsegs ? 0 : -ENOENT;
}

/* Is r a rule of code built with frame pointers: entry, after `push %rbp`,
 * the rbp-based body (1), after `leave`, PLT, gaps, the outermost frame? */
static int fp_rule(const struct lt_uw_rule *r)
{
	bool saved = r->rbp == LT_UW_RBP_SAVED && r->rbp_off == -16;

	if (r->cfa == LT_UW_CFA_RBP)
		return r->cfa_off == 16 && saved ? 1 : -1;
	if (r->cfa == LT_UW_CFA_RSP)
		return (r->cfa_off == 8 && (saved || r->rbp == LT_UW_RBP_SAME)) ||
		       (r->cfa_off == 16 && saved) ? 0 : -1;
	return r->cfa == LT_UW_SIGNAL ? -1 : 0;
}

/* The code no return address is in: the entry point (_start, the outermost
 * frame, where a frame-pointer step ends too) and the PLT (its stubs jump;
 * its first entry pushes without a frame). */
struct no_ra {
	uint64_t entry;
	uint64_t lo[4], hi[4];
	int n;
};

static void find_no_ra(Elf *elf, struct no_ra *x)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Ehdr eh;
	GElf_Shdr sh;

	x->entry = gelf_getehdr(elf, &eh) ? eh.e_entry : 0;
	x->n = 0;
	if (elf_getshdrstrndx(elf, &shstrndx))
		return;
	while ((scn = elf_nextscn(elf, scn)) && x->n < 4) {
		const char *name;

		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_EXECINSTR))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && !strncmp(name, ".plt", 4)) {
			x->lo[x->n] = sh.sh_addr;
			x->hi[x->n++] = sh.sh_addr + sh.sh_size;
		}
	}
}

/* The frame-pointer verdict so far (0: nothing yet, 1: rbp-based bodies and
 * no other rule, -1: another rule) with the rows of the FDE at pc, from
 * first on; code no return address is in is left out. */
static int fde_fp(const struct uw_table *t, uint32_t first, int fp, const struct no_ra *x,
		  uint64_t pc)
{
	if (fp < 0 || pc == x->entry)
		return fp;
	for (int i = 0; i < x->n; i++)
		if (pc >= x->lo[i] && pc < x->hi[i])
			return fp;
	for (uint32_t r = first; r < t->nrows && fp >= 0; r++) {
		int k = fp_rule(&t->rules[t->rows[r].rule]);

		fp = k < 0 ? -1 : fp | k;
	}
	return fp;
}

/* Rows of the FDE starting at s, up to (not past) limit. */
static int fde_rows(struct builder *b, Dwarf_CFI *cfi, uint64_t s, uint64_t limit)
{
	uint64_t addr = s;
	int err = 0;

	while (addr < limit) {
		Dwarf_Frame *fr = NULL;
		Dwarf_Addr start, end;
		struct lt_uw_rule r;
		bool signal = false;

		if (dwarf_cfi_addrframe(cfi, addr, &fr))
			break; /* past the FDE's end: a gap up to the next one */
		dwarf_frame_info(fr, &start, &end, &signal);
		frame_rule(fr, signal, &r);
		free(fr);
		if (end <= addr)
			break;
		err = add_row(b, addr, intern_rule(b, &r));
		if (err)
			return err;
		addr = end;
	}
	/* the code after the FDE has no CFI until the next FDE says otherwise */
	if (addr < limit)
		err = add_row(b, addr, 0);
	return err;
}

/* The GNU build id of the open file fd as hex (out: ELFSYM_BUILD_ID_LEN),
 * read as elfsym reads it; -ENOENT if none. */
static int build_id_fd(int fd, bool debug_file, char *out)
{
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);

	if (!elf)
		return -EINVAL;
	elfsym_elf_build_id(elf, debug_file, out);
	elf_end(elf);
	return out[0] ? 0 : -ENOENT;
}

static int build_id(const char *path, char *out)
{
	int fd = open_regular(path), err;

	if (fd < 0)
		return fd;
	err = build_id_fd(fd, false, out);
	close(fd);
	return err;
}

/* A separate debug file by build id (<root>/usr/lib/debug/.build-id/xx/rest.debug),
 * where a file stripped of its .debug_frame keeps it: inside the target's
 * root first (a container's), then ours; taken only with the same build id.
 * Its fd, or -errno. */
static int debug_file(const char *path)
{
	char hex[ELFSYM_BUILD_ID_LEN], got[ELFSYM_BUILD_ID_LEN], root[64], p[PATH_MAX];
	const char *rest;

	if (build_id(path, hex) || strlen(hex) < 3)
		return -ENOENT;
	mapfile_root(path, root, sizeof(root), &rest);
	for (int i = root[0] ? 0 : 1; i < 2; i++) {
		int fd;

		snprintf(p, sizeof(p), "%s/usr/lib/debug/.build-id/%.2s/%s.debug", i ? "" : root,
			 hex, hex + 2);
		fd = open_regular(p);
		if (fd < 0)
			continue;
		if (!build_id_fd(fd, true, got) && !strcmp(got, hex))
			return fd;
		close(fd);
	}
	return -ENOENT;
}

/* An FDE's start and the CFI it is in */
struct fde {
	uint64_t pc;
	Dwarf_CFI *cfi;
};

static int cmp_fde(const void *a, const void *b)
{
	const struct fde *x = a, *y = b;

	return x->pc < y->pc ? -1 : x->pc > y->pc;
}

/* Whether cfi describes pc */
static bool covers(Dwarf_CFI *cfi, uint64_t pc)
{
	Dwarf_Frame *fr = NULL;

	if (dwarf_cfi_addrframe(cfi, pc, &fr))
		return false;
	free(fr);
	return true;
}

int uw_table_build(const char *path, struct uw_table **out)
{
	uint64_t *eh = NULL, *df = NULL, base;
	Dwarf_CFI *ecfi = NULL, *dcfi = NULL;
	Elf *elf = NULL, *delf = NULL, *src;
	struct uw_table *t = NULL;
	struct builder *b = NULL;
	struct fde *fdes = NULL;
	size_t neh = 0, ndf = 0, nf = 0;
	struct no_ra no_ra;
	int fp = 0;		/* fde_fp() */
	double t0 = lt_now_s();
	Dwarf *dw = NULL;
	int fd, dfd = -1, err;

	elf_version(EV_CURRENT);
	fd = open_regular(path);
	if (fd < 0)
		return fd;
	b = calloc(1, sizeof(*b));
	t = calloc(1, sizeof(*t));
	err = -ENOMEM;
	if (!b || !t)
		goto cleanup;
	b->t = t;
	b->rows_cap = 4096;
	b->rules_cap = 64;
	t->rows = malloc(b->rows_cap * sizeof(*t->rows));
	t->rules = malloc(b->rules_cap * sizeof(*t->rules));
	if (!t->rows || !t->rules)
		goto cleanup;
	err = -EINVAL;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || gelf_getclass(elf) != ELFCLASS64)
		goto cleanup;
	err = read_segs(elf, t);
	if (err)
		goto cleanup;
	if (!fde_starts(elf, &eh, &neh) && neh)
		ecfi = dwarf_getcfi_elf(elf);
	/* .debug_frame, the file's own, else its debug file's (same addresses):
	 * alone, or for code .eh_frame leaves out (objects built without unwind
	 * tables linked with others). Its CFI belongs to the Dwarf. */
	src = elf;
	if (debug_frame_starts(elf, &df, &ndf)) {
		dfd = debug_file(path);
		delf = dfd >= 0 ? elf_begin(dfd, ELF_C_READ, NULL) : NULL;
		src = delf && !debug_frame_starts(delf, &df, &ndf) ? delf : NULL;
	}
	dw = src ? dwarf_begin_elf(src, DWARF_C_READ, NULL) : NULL;
	dcfi = dw ? dwarf_getcfi(dw) : NULL;
	err = -ENOMEM;
	fdes = malloc((neh + ndf + 1) * sizeof(*fdes));
	if (!fdes)
		goto cleanup;
	for (size_t i = 0; ecfi && i < neh; i++)
		fdes[nf++] = (struct fde){ eh[i], ecfi };
	for (size_t i = 0; dcfi && i < ndf; i++)
		if (!ecfi || !covers(ecfi, df[i]))
			fdes[nf++] = (struct fde){ df[i], dcfi };
	err = -ENOENT;
	if (!nf)
		goto cleanup;
	qsort(fdes, nf, sizeof(*fdes), cmp_fde);
	intern_rule(b, &(struct lt_uw_rule){ .cfa = LT_UW_INVALID }); /* rule 0 */
	/* rows are stored relative to the page of the first FDE */
	base = fdes[0].pc & ~((1ULL << LT_UW_PAGE_SHIFT) - 1);
	t->lo = base;
	find_no_ra(elf, &no_ra);
	for (size_t i = 0; i < nf; i++) {
		uint64_t limit = i + 1 < nf ? fdes[i + 1].pc : UINT64_MAX;
		uint32_t first = t->nrows;

		if (i && fdes[i].pc == fdes[i - 1].pc)
			continue;
		err = fde_rows(b, fdes[i].cfi, fdes[i].pc, limit);
		if (err && err != -EINVAL)
			goto cleanup;
		fp = fde_fp(t, first, fp, &no_ra, fdes[i].pc);
	}
	t->fp = fp > 0;
	/* the last FDE's rows end in an invalid one (fde_rows()) */
	for (uint32_t i = 0; i < t->nrows; i++)
		t->rows[i].pc -= base;
	t->build_s = lt_now_s() - t0;
	*out = t;
	t = NULL;
	err = 0;
cleanup:
	if (dw)
		dwarf_end(dw);
	if (ecfi)
		dwarf_cfi_end(ecfi);
	if (delf)
		elf_end(delf);
	if (dfd >= 0)
		close(dfd);
	if (elf)
		elf_end(elf);
	close(fd);
	free(eh);
	free(df);
	free(fdes);
	free(b);
	uw_table_free(t);
	return err;
}

void uw_table_free(struct uw_table *t)
{
	if (!t)
		return;
	free(t->rows);
	free(t->rules);
	free(t);
}

const struct lt_uw_row *uw_table_find(const struct uw_table *t, uint64_t vaddr)
{
	uint32_t lo = 0, hi = t->nrows;
	uint64_t rel;

	if (vaddr < t->lo || !t->nrows)
		return NULL;
	rel = vaddr - t->lo;
	if (rel < t->rows[0].pc)
		return NULL;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (t->rows[mid].pc <= rel)
			lo = mid;
		else
			hi = mid;
	}
	return &t->rows[lo];
}

struct uw_file_hdr {
	uint64_t magic;
	uint32_t nrows, nrules, nsegs, fp;
	uint64_t lo;
	struct uw_seg segs[UW_MAX_SEGS];
};

static int cache_read(const char *file, struct uw_table **out)
{
	struct uw_file_hdr h;
	struct uw_table *t = NULL;
	FILE *f = fopen(file, "re");
	int err = -EINVAL;

	if (!f)
		return -errno;
	if (fread(&h, sizeof(h), 1, f) != 1 || h.magic != UW_MAGIC || !h.nrows ||
	    h.nrows > UW_MAX_ROWS || !h.nrules || h.nrules > UW_MAX_RULES || !h.nsegs ||
	    h.nsegs > UW_MAX_SEGS)
		goto cleanup;
	err = -ENOMEM;
	t = calloc(1, sizeof(*t));
	if (!t)
		goto cleanup;
	t->nrows = h.nrows;
	t->nrules = h.nrules;
	t->nsegs = h.nsegs;
	t->lo = h.lo;
	t->fp = h.fp;
	memcpy(t->segs, h.segs, sizeof(t->segs));
	t->rules = malloc(h.nrules * sizeof(*t->rules));
	t->rows = malloc((size_t)h.nrows * sizeof(*t->rows));
	if (!t->rules || !t->rows)
		goto cleanup;
	err = -EINVAL;
	if (fread(t->rules, sizeof(*t->rules), h.nrules, f) != h.nrules ||
	    fread(t->rows, sizeof(*t->rows), h.nrows, f) != h.nrows)
		goto cleanup;
	/* a file we wrote, but check what the BPF walker will trust */
	for (uint32_t i = 0; i < t->nrows; i++)
		if (t->rows[i].rule >= t->nrules || (i && t->rows[i].pc <= t->rows[i - 1].pc))
			goto cleanup;
	*out = t;
	t = NULL;
	err = 0;
cleanup:
	uw_table_free(t);
	fclose(f);
	return err;
}

/* Best effort: a table that cannot be cached is built again next time. */
static void cache_write(const char *dir, const char *file, const struct uw_table *t)
{
	struct uw_file_hdr h = { .magic = UW_MAGIC, .nrows = t->nrows, .nrules = t->nrules,
				 .nsegs = t->nsegs, .fp = t->fp, .lo = t->lo };
	char tmp[4200];
	FILE *f;

	memcpy(h.segs, t->segs, sizeof(h.segs));
	if (mkdir(dir, 0755) && errno == ENOENT) { /* its parent first */
		char parent[4096], *slash;

		snprintf(parent, sizeof(parent), "%s", dir);
		slash = strrchr(parent, '/');
		if (slash && slash != parent) {
			*slash = 0;
			mkdir(parent, 0755);
		}
		mkdir(dir, 0755);
	}
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", file, getpid());
	f = fopen(tmp, "we");
	if (!f)
		return;
	if (fwrite(&h, sizeof(h), 1, f) != 1 ||
	    fwrite(t->rules, sizeof(*t->rules), t->nrules, f) != t->nrules ||
	    fwrite(t->rows, sizeof(*t->rows), t->nrows, f) != t->nrows) {
		fclose(f);
		unlink(tmp);
		return;
	}
	if (fclose(f) || rename(tmp, file))
		unlink(tmp);
}

int uw_table_get(const char *path, const char *cache_dir, struct uw_table **out)
{
	char id[ELFSYM_BUILD_ID_LEN], file[4096];
	int err;

	if (!cache_dir || build_id(path, id))
		return uw_table_build(path, out);
	snprintf(file, sizeof(file), "%s/%s", cache_dir, id);
	if (!cache_read(file, out))
		return 0;
	err = uw_table_build(path, out);
	if (!err)
		cache_write(cache_dir, file, *out);
	return err;
}
