// SPDX-License-Identifier: MIT
/* ELF helpers under elfsym's three files: sections by name or type, the
 * build id, and opening a file safely (regular, size-capped, mmap()ed only
 * where no target can truncate it). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "elfsym.h"
#include "elfsym_int.h"

/* Section name, or "" when the string table is bad. */
const char *es_scn_name(Elf *elf, size_t shstrndx, const GElf_Shdr *sh)
{
	const char *n = elf_strptr(elf, shstrndx, sh->sh_name);

	return n ? n : "";
}

Elf_Scn *es_find_scn(Elf *elf, const char *name, GElf_Shdr *out)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, out))
			continue;
		if (!strcmp(es_scn_name(elf, shstrndx, out), name))
			return scn;
	}
	return NULL;
}

Elf_Scn *es_find_scn_type(Elf *elf, uint32_t type, GElf_Shdr *out)
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

	return es_find_scn(elf, name, &sh) && sh.sh_type != SHT_NOBITS && sh.sh_size;
}

bool es_elf_has_symtab(Elf *elf)
{
	GElf_Shdr sh;

	return es_find_scn_type(elf, SHT_SYMTAB, &sh) && sh.sh_size;
}

bool es_elf_has_dwarf(Elf *elf)
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
void es_read_build_id(Elf *elf, bool debug_file, char *out)
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

void elfsym_elf_build_id(Elf *elf, bool debug_file, char *out)
{
	_Static_assert(ELFSYM_BUILD_ID_LEN == 2 * ES_MAX_BUILD_ID + 1, "one length");
	es_read_build_id(elf, debug_file, out);
}

/*
 * mmap() only what no target can truncate under us: root's files, nobody
 * else may write, on the file system of our own "/" (the host's system
 * libraries and debug files). A container's files sit on its own (overlay)
 * file system, where its root may truncate them: a SIGBUS in the tracer.
 */
bool es_may_mmap(const struct stat *st)
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

int es_open_elf(const char *path, int *fdp, Elf **elfp, struct stat *st)
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
	elf = elf_begin(fd, es_may_mmap(st) ? ELF_C_READ_MMAP : ELF_C_READ, NULL);
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
