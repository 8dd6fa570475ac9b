// SPDX-License-Identifier: MIT
/* libFuzzer: the input is an ELF file. Open it through a memfd (elfsym
 * takes a path), then run every lookup on addresses from a sweep and from
 * the input itself. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* Keep runs independent of the host's debug files. */
	elfsym_set_debug_dir("/nonexistent-lt-fuzz");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[] = { "main", "fx_lib_func", "fx_impl", "malloc" };
	struct elfsym *es = NULL;
	struct elfsym_sym sym;
	char path[64];
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
	close(fd);
	return 0;
}
