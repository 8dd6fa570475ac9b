// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "elfsym.h"
#include "fxutil.h"
#include "unit.h"

static struct elfsym *open_fx(const char *name)
{
	char path[PATH_MAX];
	struct elfsym *es = NULL;
	int err;

	err = elfsym_open(fx_path(path, sizeof(path), name), &es);
	if (err)
		printf("  elfsym_open(%s): %d\n", path, err);
	return es;
}

UT_TEST(elfsym_prog_symbols)
{
	uint64_t want_addr, want_size;
	struct elfsym_sym sym;
	char path[PATH_MAX];
	struct elfsym *es;

	es = open_fx("fx_prog");
	CHECK(es != NULL);
	if (!es)
		return;
	fx_path(path, sizeof(path), "fx_prog");
	CHECK(elfsym_is_dyn(es));
	CHECK_EQ_INT(fx_readelf_sym(path, "fx_leaf", &want_addr, &want_size), 0);
	CHECK_EQ_INT(elfsym_find(es, "fx_leaf", &sym), 0);
	CHECK_EQ_STR(sym.name, "fx_leaf");
	CHECK_EQ_INT(sym.addr, want_addr);
	CHECK_EQ_INT(sym.size, want_size);
	CHECK(sym.size > 0);

	memset(&sym, 0, sizeof(sym));
	CHECK_EQ_INT(elfsym_lookup(es, want_addr, &sym), 0);
	CHECK_EQ_STR(sym.name, "fx_leaf");
	CHECK_EQ_INT(elfsym_lookup(es, want_addr + want_size - 1, &sym), 0);
	CHECK_EQ_STR(sym.name, "fx_leaf");
	CHECK_EQ_INT(sym.addr, want_addr);
	if (!elfsym_lookup(es, want_addr + want_size, &sym))
		CHECK(strcmp(sym.name, "fx_leaf"));
	CHECK_EQ_INT(elfsym_lookup(es, 0, &sym), -ENOENT);
	CHECK_EQ_INT(elfsym_lookup(es, UINT64_MAX, &sym), -ENOENT);
	CHECK_EQ_INT(elfsym_find(es, "no_such_function", &sym), -ENOENT);
	/* Objects are not functions. */
	CHECK_EQ_INT(elfsym_find(es, "fx_ret", &sym), -ENOENT);
	CHECK_EQ_INT(elfsym_find(es, "main", &sym), 0);
	elfsym_close(es);
	elfsym_close(NULL);
}

UT_TEST(elfsym_prog_lines)
{
	struct elfsym_line line;
	struct elfsym_sym sym;
	struct elfsym *es;

	es = open_fx("fx_prog");
	CHECK(es != NULL);
	if (!es)
		return;
	CHECK_EQ_INT(elfsym_find(es, "fx_leaf", &sym), 0);
	memset(&line, 0, sizeof(line));
	CHECK_EQ_INT(elfsym_line(es, sym.addr, &line), 0);
	CHECK_EQ_STR(fx_base(line.file), "fx_prog.c");
	CHECK_EQ_INT(line.line, fx_line("fx_prog.c", "fx_leaf"));
	CHECK_EQ_INT(elfsym_find(es, "fx_lib_func", &sym), -ENOENT); /* in libfx.so */
	CHECK_EQ_INT(elfsym_line(es, 0x10, &line), -ENOENT);
	elfsym_close(es);

	es = open_fx("libfx.so");
	CHECK(es != NULL);
	if (!es)
		return;
	CHECK_EQ_INT(elfsym_find(es, "fx_lib_func", &sym), 0);
	CHECK_EQ_INT(elfsym_line(es, sym.addr, &line), 0);
	CHECK_EQ_STR(fx_base(line.file), "fx_lib.c");
	CHECK_EQ_INT(line.line, fx_line("fx_lib.c", "fx_lib_func"));
	/* A few bytes in is still the same function, a later line. */
	CHECK_EQ_INT(elfsym_line(es, sym.addr + sym.size - 1, &line), 0);
	CHECK(line.line > fx_line("fx_lib.c", "fx_lib_func"));
	elfsym_close(es);
}

UT_TEST(elfsym_offsets_match_readelf)
{
	uint64_t want_off, off, vaddr;
	struct elfsym_sym sym;
	char path[PATH_MAX];
	struct elfsym *es;
	const char *names[] = { "fx_prog", "libfx.so" };
	const char *fns[] = { "fx_leaf", "fx_lib_func" };
	int i;

	for (i = 0; i < 2; i++) {
		es = open_fx(names[i]);
		CHECK(es != NULL);
		if (!es)
			continue;
		fx_path(path, sizeof(path), names[i]);
		CHECK_EQ_INT(elfsym_find(es, fns[i], &sym), 0);
		CHECK_EQ_INT(fx_readelf_offset(path, sym.addr, &want_off), 0);
		CHECK_EQ_INT(elfsym_vaddr_to_offset(es, sym.addr, &off), 0);
		CHECK_EQ_INT(off, want_off);
		CHECK_EQ_INT(elfsym_offset_to_vaddr(es, off, &vaddr), 0);
		CHECK_EQ_INT(vaddr, sym.addr);
		CHECK_EQ_INT(elfsym_offset_to_vaddr(es, 1ull << 40, &vaddr), -ENOENT);
		CHECK_EQ_INT(elfsym_vaddr_to_offset(es, 1ull << 40, &off), -ENOENT);
		elfsym_close(es);
	}
}

UT_TEST(elfsym_build_id_matches_readelf)
{
	const char *names[] = { "fx_prog", "libfx.so", "fx_prog.stripped", "fx_nobid" };
	char path[PATH_MAX], want[256];
	struct elfsym *es;
	int i;

	for (i = 0; i < 4; i++) {
		fx_path(path, sizeof(path), names[i]);
		CHECK_EQ_INT(fx_readelf_build_id(path, want, sizeof(want)), 0);
		es = open_fx(names[i]);
		CHECK(es != NULL);
		if (!es)
			continue;
		CHECK_EQ_STR(elfsym_build_id(es), want);
		if (i < 3)
			CHECK_EQ_INT(strlen(want), 40);
		else
			CHECK_EQ_STR(want, "");
		elfsym_close(es);
	}
}

UT_TEST(elfsym_alias_choice)
{
	struct elfsym_sym a, b;
	struct elfsym *es;

	es = open_fx("libfx.so");
	CHECK(es != NULL);
	if (!es)
		return;
	/* Both names stay findable; lookups report the preferred one. */
	CHECK_EQ_INT(elfsym_find(es, "__fx_impl", &a), 0);
	CHECK_EQ_INT(elfsym_find(es, "fx_impl", &b), 0);
	CHECK_EQ_INT(a.addr, b.addr);
	CHECK_EQ_INT(elfsym_lookup(es, a.addr + 1, &b), 0);
	CHECK_EQ_STR(b.name, "fx_impl");
	CHECK_EQ_INT(elfsym_find(es, "__zz_strong", &a), 0);
	CHECK_EQ_INT(elfsym_lookup(es, a.addr, &b), 0);
	CHECK_EQ_STR(b.name, "zz_weak");
	CHECK_EQ_INT(elfsym_find(es, "fx_bind_w", &a), 0);
	CHECK_EQ_INT(elfsym_lookup(es, a.addr, &b), 0);
	CHECK_EQ_STR(b.name, "fx_bind_g");
	elfsym_close(es);
}

/* The system libc: the names a leak report must show for its allocator. */
UT_TEST(elfsym_glibc_names)
{
	const char *libc = "/lib/x86_64-linux-gnu/libc.so.6";
	const char *fns[] = { "malloc", "free", "calloc", "realloc" };
	struct elfsym_sym a, b;
	struct elfsym *es;
	int i;

	if (access(libc, R_OK))
		return; /* not this distro layout */
	CHECK_EQ_INT(elfsym_open(libc, &es), 0);
	if (!es)
		return;
	for (i = 0; i < 4; i++) {
		CHECK_EQ_INT(elfsym_find(es, fns[i], &a), 0);
		CHECK_EQ_INT(elfsym_lookup(es, a.addr + 3, &b), 0);
		CHECK_EQ_STR(b.name, fns[i]);
		CHECK_EQ_INT(b.addr, a.addr);
	}
	CHECK_EQ_INT(elfsym_find(es, "__libc_malloc", &b), 0);
	CHECK_EQ_INT(elfsym_find(es, "malloc", &a), 0);
	CHECK_EQ_INT(a.addr, b.addr);
	/* memcpy has a hidden compat version: find() returns the default. */
	CHECK_EQ_INT(elfsym_find(es, "memcpy", &a), 0);
	elfsym_close(es);
}

static void check_debug_found(const char *name, bool want)
{
	struct elfsym_sym sym, ref;
	struct elfsym_line line;
	struct elfsym *es, *full;
	int r;

	es = open_fx(name);
	full = open_fx("fx_prog");
	CHECK(es != NULL && full != NULL);
	if (!es || !full)
		goto cleanup;
	CHECK_EQ_INT(elfsym_find(full, "fx_leaf", &ref), 0);
	r = elfsym_find(es, "fx_leaf", &sym);
	if (!want) {
		if (r == 0)
			printf("  %s: used a debug file it should have rejected\n", name);
		CHECK_EQ_INT(r, -ENOENT);
		CHECK_EQ_INT(elfsym_line(es, ref.addr, &line), -ENOENT);
		goto cleanup;
	}
	CHECK_EQ_INT(r, 0);
	CHECK_EQ_INT(sym.addr, ref.addr);
	CHECK_EQ_INT(elfsym_lookup(es, ref.addr + 1, &sym), 0);
	CHECK_EQ_STR(sym.name, "fx_leaf");
	CHECK_EQ_INT(elfsym_line(es, ref.addr, &line), 0);
	CHECK_EQ_STR(fx_base(line.file), "fx_prog.c");
	CHECK_EQ_INT(line.line, fx_line("fx_prog.c", "fx_leaf"));
cleanup:
	elfsym_close(es);
	elfsym_close(full);
}

UT_TEST(elfsym_debuglink)
{
	check_debug_found("fx_prog.stripped", true);	   /* same dir, build id */
	check_debug_found("dotdebug/fx_prog.stripped", true); /* dir/.debug/ */
	check_debug_found("fx_nobid.stripped", true);	   /* CRC only */
	check_debug_found("bad/fx_prog.stripped", false);   /* other build id */
	check_debug_found("badcrc/fx_nobid.stripped", false); /* CRC mismatch */
	check_debug_found("fx_prog.nolink", false);	   /* nothing to find */
}

UT_TEST(elfsym_build_id_dir)
{
	char tmpl[] = "/tmp/lt-debugdir-XXXXXX", dir[PATH_MAX], link[PATH_MAX + 64];
	char target[PATH_MAX];
	struct elfsym *es;
	const char *bid;

	CHECK(mkdtemp(tmpl) != NULL);
	es = open_fx("fx_prog.nolink");
	CHECK(es != NULL);
	if (!es)
		goto cleanup;
	bid = elfsym_build_id(es);
	CHECK_EQ_INT(strlen(bid), 40);
	snprintf(dir, sizeof(dir), "%s/.build-id", tmpl);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/.build-id/%.2s", tmpl, bid);
	mkdir(dir, 0755);
	snprintf(link, sizeof(link), "%s/%s.debug", dir, bid + 2);
	CHECK_EQ_INT(symlink(fx_path(target, sizeof(target), "fx_prog.debug"), link), 0);
	elfsym_close(es);

	elfsym_set_debug_dir(tmpl);
	check_debug_found("fx_prog.nolink", true);
	/* The copy whose own debug link names another build still finds the
	 * right one by build id first. */
	check_debug_found("bad/fx_prog.stripped", true);
	elfsym_set_debug_dir(NULL);
	check_debug_found("fx_prog.nolink", false);
	unlink(link);
	rmdir(dir);
	snprintf(dir, sizeof(dir), "%s/.build-id", tmpl);
	rmdir(dir);
cleanup:
	rmdir(tmpl);
}

static void poke_lookups(struct elfsym *es)
{
	struct elfsym_line line;
	struct elfsym_sym sym;
	uint64_t a, v;

	for (a = 0; a < 0x3000; a += 0x11) {
		elfsym_lookup(es, a, &sym);
		elfsym_line(es, a, &line);
		elfsym_offset_to_vaddr(es, a, &v);
		elfsym_vaddr_to_offset(es, a, &v);
	}
	elfsym_find(es, "fx_leaf", &sym);
	elfsym_build_id(es);
}

/* Truncated and bit-flipped fixtures: errors or partial results, never a
 * crash (the fuzz target goes further). */
UT_TEST(elfsym_corrupt_files)
{
	char src[PATH_MAX], tmp[] = "/tmp/lt-corrupt-XXXXXX";
	unsigned int seed = 12345;
	struct elfsym *es;
	unsigned char *buf;
	size_t len, cut, i;
	struct stat st;
	int fd, sfd, k;

	CHECK_EQ_INT(elfsym_open("/nonexistent/file", &es), -ENOENT);
	CHECK(es == NULL);
	CHECK(elfsym_open("/proc/self/maps", &es) < 0); /* not a regular file */
	CHECK(elfsym_open("/dev/null", &es) < 0);

	sfd = open(fx_path(src, sizeof(src), "fx_prog"), O_RDONLY);
	CHECK(sfd >= 0);
	if (sfd < 0 || fstat(sfd, &st))
		return;
	len = st.st_size;
	buf = malloc(len);
	CHECK(read(sfd, buf, len) == (ssize_t)len);
	close(sfd);
	fd = mkstemp(tmp);
	CHECK(fd >= 0);
	if (fd < 0)
		goto cleanup;

	CHECK_EQ_INT(write(fd, "not an elf file\n", 16), 16);
	CHECK_EQ_INT(elfsym_open(tmp, &es), -ENOEXEC);

	const size_t cuts[] = { 0, 4, 63, 64, 500, 4096, len / 2, len - 1 };

	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		cut = cuts[i];
		CHECK(ftruncate(fd, 0) == 0);
		CHECK(pwrite(fd, buf, cut, 0) == (ssize_t)cut);
		if (!elfsym_open(tmp, &es)) {
			poke_lookups(es);
			elfsym_close(es);
		}
	}
	for (k = 0; k < 300; k++) {
		unsigned char *cp = malloc(len);

		memcpy(cp, buf, len);
		for (i = 0; i < 8; i++) {
			size_t at = rand_r(&seed) % len;

			/* Most structure is in the headers: hit them more often. */
			if (i < 4)
				at %= 1024;
			cp[at] ^= 1u << (rand_r(&seed) % 8);
		}
		CHECK(ftruncate(fd, 0) == 0);
		CHECK(pwrite(fd, cp, len, 0) == (ssize_t)len);
		if (!elfsym_open(tmp, &es)) {
			poke_lookups(es);
			elfsym_close(es);
		}
		free(cp);
	}
	close(fd);
	unlink(tmp);
cleanup:
	free(buf);
}

/* A build id is a claim: two files that carry the same one are shared only
 * if their bytes are the same (a copy of a file is; a crafted ELF is not). */
UT_TEST(elfsym_same_content_not_build_id)
{
	char path[PATH_MAX], copy[PATH_MAX + 16], buf[4096];
	struct elfsym *a = open_fx("libfx_claim1.so"), *b = open_fx("libfx_claim2.so"), *c = NULL;
	ssize_t n;
	int in, out;

	CHECK(a && b);
	if (!a || !b)
		goto cleanup;
	CHECK_EQ_STR(elfsym_build_id(a), elfsym_build_id(b));
	CHECK(!elfsym_same_content(a, b));
	CHECK(elfsym_same_content(a, a));
	/* a byte-identical copy (another inode, as in another container) */
	snprintf(copy, sizeof(copy), "%s.copy", fx_path(path, sizeof(path), "libfx_claim1.so"));
	in = open(path, O_RDONLY);
	out = open(copy, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		CHECK(write(out, buf, n) == n);
	close(in);
	close(out);
	CHECK(!elfsym_open(copy, &c));
	CHECK(c && elfsym_same_content(a, c));
	unlink(copy);
cleanup:
	elfsym_close(a);
	elfsym_close(b);
	elfsym_close(c);
}

/* A root-owned file outside our root's file system (a container's, here
 * tmpfs) is read, not mmap()ed: truncated under us after the open, its
 * DWARF is simply gone (no SIGBUS, which would kill the test runner). */
UT_TEST(elfsym_truncated_under_us)
{
	char src[PATH_MAX], dst[] = "/dev/shm/lt-unit-trunc-XXXXXX";
	struct elfsym_line line;
	struct elfsym_sym sym;
	struct elfsym *es = NULL;
	struct stat a, b;
	char buf[65536];
	ssize_t n;
	int in, out = mkstemp(dst);

	if (out < 0 || stat("/", &a) || fstat(out, &b) || a.st_dev == b.st_dev) {
		printf("  /dev/shm is not a file system of its own here\n");
		if (out >= 0)
			close(out), unlink(dst);
		return;
	}
	in = open(fx_path(src, sizeof(src), "fx_prog"), O_RDONLY);
	CHECK(in >= 0);
	while (in >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		CHECK(write(out, buf, n) == n);
	if (in >= 0)
		close(in);
	fchmod(out, 0644);
	CHECK_EQ_INT(elfsym_open(dst, &es), 0);
	if (es) {
		CHECK_EQ_INT(elfsym_find(es, "fx_leaf", &sym), 0);
		CHECK_EQ_INT(ftruncate(out, 0), 0);
		/* DWARF is read on first use: after the truncation */
		CHECK_EQ_INT(elfsym_line(es, sym.addr, &line), -ENOENT);
		elfsym_close(es);
	}
	close(out);
	unlink(dst);
}

/* fx_prog copied into dir, then grown sparse to 7 GiB with its note
 * segment and .debug_info claiming gigabytes of it; returns its path. */
static bool sparse_copy(const char *dir, char *dst, size_t dstsz)
{
	char src[PATH_MAX], buf[65536];
	uint64_t huge = 6ull << 30, big = 5ull << 30;
	size_t shstrndx, phnum;
	Elf_Scn *scn = NULL;
	Elf *elf = NULL;
	bool ok = false;
	GElf_Ehdr eh;
	GElf_Shdr sh;
	GElf_Phdr ph;
	ssize_t n;
	int in, out;

	snprintf(dst, dstsz, "%s/lt-unit-sparse-XXXXXX", dir);
	out = mkstemp(dst);
	in = open(fx_path(src, sizeof(src), "fx_prog"), O_RDONLY);
	if (out < 0 || in < 0)
		goto done;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			goto done;
	/* find them with libelf, patch the 64-bit headers' sizes in place */
	elf_version(EV_CURRENT);
	elf = elf_begin(out, ELF_C_READ, NULL);
	if (!elf || !gelf_getehdr(elf, &eh) || elf_getphdrnum(elf, &phnum) ||
	    elf_getshdrstrndx(elf, &shstrndx))
		goto done;
	ok = true;
	for (size_t i = 0; i < phnum; i++)
		if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_NOTE)
			ok &= pwrite(out, &huge, 8, eh.e_phoff + i * eh.e_phentsize + 0x20) == 8;
	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) &&
		    !strcmp(elf_strptr(elf, shstrndx, sh.sh_name) ?: "", ".debug_info"))
			ok &= pwrite(out, &big, 8, eh.e_shoff + elf_ndxscn(scn) * eh.e_shentsize +
							 0x20) == 8;
	ok = ok && !ftruncate(out, 7ull << 30);
done:
	elf_end(elf);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return ok;
}

/* A sparse 7 GiB file (under the 8 GiB cap) whose note segment and DWARF
 * claim gigabytes: nothing of that size is read into the tracer. */
UT_TEST(elfsym_sparse_giant_sections)
{
	struct rusage before, after;
	struct elfsym_line line;
	struct elfsym_sym sym;
	struct elfsym *es = NULL;
	char path[PATH_MAX];

	if (!sparse_copy("/dev/shm", path, sizeof(path))) {
		CHECK(!"sparse copy");
		unlink(path);
		return;
	}
	getrusage(RUSAGE_SELF, &before);
	CHECK_EQ_INT(elfsym_open(path, &es), 0);
	if (es) {
		CHECK_EQ_INT(elfsym_find(es, "fx_leaf", &sym), 0);
		CHECK_EQ_INT(elfsym_line(es, sym.addr, &line), -ENOENT);
		elfsym_close(es);
	}
	getrusage(RUSAGE_SELF, &after);
	CHECK(after.ru_maxrss - before.ru_maxrss < 256 * 1024); /* KiB */
	unlink(path);
}
