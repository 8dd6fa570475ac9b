// SPDX-License-Identifier: MIT
/* A file's separate debug file: by build id, then .gnu_debuglink, in the
 * target's root first, accepted only if it matches (build id, or CRC). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "elfsym.h"
#include "elfsym_int.h"
#include "log.h"
#include "mapfile.h"

static char debug_dir[PATH_MAX] = "/usr/lib/debug";

void elfsym_set_debug_dir(const char *dir)
{
	snprintf(debug_dir, sizeof(debug_dir), "%s", dir ? dir : "/usr/lib/debug");
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

	if (es_open_elf(cand, &fd, &delf, &st))
		return false;
	if (st.st_dev == es->dev && st.st_ino == es->ino)
		goto reject;
	if (!gelf_getehdr(es->elf, &eh) || !gelf_getehdr(delf, &deh) ||
	    eh.e_ident[EI_CLASS] != deh.e_ident[EI_CLASS] || eh.e_machine != deh.e_machine)
		goto reject;
	if (!es_elf_has_symtab(delf) && !es_elf_has_dwarf(delf))
		goto reject;
	es_read_build_id(delf, true, bid);
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

	scn = es_find_scn(elf, ".gnu_debuglink", &sh);
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
void es_find_debug_file(struct elfsym *es)
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
	mapfile_root(es->path, root, sizeof(root), &rest);
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
