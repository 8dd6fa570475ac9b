// SPDX-License-Identifier: MIT
/* libFuzzer: the input is an ELF file. Open it through a memfd (elfsym
 * takes a path), then run every lookup on addresses from a sweep and from
 * the input itself. */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "elfsym.h"

/* Touch returned strings so ASan checks they are readable. */
static volatile size_t sink;

static void probe(struct elfsym *es, uint64_t a)
{
	struct elfsym_line line;
	struct elfsym_sym sym;
	uint64_t v, o;

	if (!elfsym_lookup(es, a, &sym)) {
		if (!sym.name || a < sym.addr)
			abort();
		sink += strlen(sym.name);
	}
	if (!elfsym_line(es, a, &line)) {
		if (!line.file || line.line <= 0)
			abort();
		sink += strlen(line.file);
	}
	if (!elfsym_offset_to_vaddr(es, a, &v))
		elfsym_vaddr_to_offset(es, v, &o);
	if (!elfsym_vaddr_to_offset(es, a, &o) && elfsym_offset_to_vaddr(es, o, &v))
		abort(); /* a segment's own offset must map back */
}

/* A debug directory of our own: each input is also offered as its own
 * debug file, by its build id, so the search and the checks a debug file
 * must pass (same class and machine, same build id) run on fuzzed files. */
static char debug_dir[64];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void rm_debug_dir(void)
{
	nftw(debug_dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* Keep runs independent of the host's debug files. */
	snprintf(debug_dir, sizeof(debug_dir), "/tmp/lt-fuzz-debug-%d", (int)getpid());
	elfsym_set_debug_dir(debug_dir);
	atexit(rm_debug_dir);
	return 0;
}

/* The input written as debug_dir/.build-id/xx/rest.debug; its path, or "". */
static void offer_as_debug_file(const char *bid, const uint8_t *data, size_t size, char *path,
				size_t len)
{
	char dir[128];
	FILE *f;

	path[0] = '\0';
	if (strlen(bid) < 3)
		return;
	snprintf(dir, sizeof(dir), "%s/.build-id/%.2s", debug_dir, bid);
	mkdir(debug_dir, 0700);
	snprintf(path, len, "%s/.build-id", debug_dir);
	mkdir(path, 0700);
	mkdir(dir, 0700);
	snprintf(path, len, "%s/%s.debug", dir, bid + 2);
	f = fopen(path, "w");
	if (!f || fwrite(data, 1, size, f) != size) {
		if (f)
			fclose(f);
		path[0] = '\0';
		return;
	}
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[] = { "main", "fx_lib_func", "fx_impl", "malloc" };
	struct elfsym *es = NULL;
	struct elfsym_sym sym;
	char path[64], dbg[256] = "";
	uint64_t a;
	size_t i;
	int fd;

	fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size)
		goto cleanup;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (elfsym_open(path, &es))
		goto cleanup;
	sink += strlen(elfsym_build_id(es));
	/* again, with itself as its debug file (read when it lacks symbols or
	 * DWARF): the lookups below go through it */
	offer_as_debug_file(elfsym_build_id(es), data, size, dbg, sizeof(dbg));
	if (dbg[0]) {
		elfsym_close(es);
		es = NULL;
		if (elfsym_open(path, &es))
			goto cleanup;
	}
	elfsym_is_dyn(es);
	for (a = 0; a < 0x3000; a += 0x10)
		probe(es, a);
	/* Values found in the file: some are st_value, p_vaddr or p_offset. */
	for (i = 0; i + 8 <= size && i < 4096; i += 8) {
		memcpy(&a, data + i, 8);
		probe(es, a);
		probe(es, a + 1);
	}
	probe(es, UINT64_MAX);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!elfsym_find(es, names[i], &sym)) {
			probe(es, sym.addr);
			if (sym.size)
				probe(es, sym.addr + sym.size - 1);
		}
	}
cleanup:
	elfsym_close(es);
	if (dbg[0])
		unlink(dbg);
	close(fd);
	return 0;
}
