// SPDX-License-Identifier: MIT
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "elfsym.h"
#include "fxutil.h"
#include "symbolize.h"
#include "unit.h"

/* Where fx_prog's function `name` is in a process whose fx_leaf is at
 * leaf_addr: the PIE is loaded as one block, so the bias is shared. */
static uint64_t fx_addr_of(const char *name, uint64_t leaf_addr)
{
	struct elfsym_sym leaf, sym;
	char path[PATH_MAX];
	struct elfsym *es;
	uint64_t r = 0;

	if (elfsym_open(fx_path(path, sizeof(path), "fx_prog"), &es))
		return 0;
	if (!elfsym_find(es, "fx_leaf", &leaf) && !elfsym_find(es, name, &sym))
		r = leaf_addr - leaf.addr + sym.addr;
	elfsym_close(es);
	return r;
}

static void check_leaf(struct symbolizer *s, uint64_t leaf, const char *prog)
{
	uint64_t vaddr, want_off;
	struct lt_frame f;
	char bid[256];

	symbolizer_frame(s, leaf, false, &f);
	CHECK_EQ_INT(f.addr, leaf);
	CHECK_EQ_STR(f.function, "fx_leaf");
	CHECK_EQ_INT(f.offset, 0);
	CHECK_EQ_STR(f.module, prog);
	CHECK_EQ_STR(fx_base(f.file), "fx_prog.c");
	CHECK_EQ_INT(f.line, fx_line("fx_prog.c", "fx_leaf"));
	CHECK_EQ_INT(fx_readelf_build_id(prog, bid, sizeof(bid)), 0);
	CHECK_EQ_STR(f.build_id, bid);
	/* module_offset is the file offset readelf gives for the symbol. */
	CHECK_EQ_INT(fx_readelf_sym(prog, "fx_leaf", &vaddr, &want_off), 0);
	CHECK_EQ_INT(fx_readelf_offset(prog, vaddr, &want_off), 0);
	CHECK_EQ_INT(f.module_offset, want_off);
}

UT_TEST(symbolize_live_then_exited)
{
	uint64_t leaf, ret, lib, anon, dl, noret, caller;
	char prog[PATH_MAX], libpath[PATH_MAX];
	struct symbolizer *s = NULL;
	struct fx_proc p;
	struct lt_frame f, g;
	int err;

	fx_path(prog, sizeof(prog), "fx_prog");
	fx_path(libpath, sizeof(libpath), "libfx.so");
	CHECK_EQ_INT(fx_spawn(prog, &p), 0);
	CHECK_EQ_INT(fx_read_addr(&p, "leaf", &leaf), 0);
	CHECK_EQ_INT(fx_read_addr(&p, "ret", &ret), 0);
	CHECK_EQ_INT(fx_read_addr(&p, "lib", &lib), 0);
	CHECK_EQ_INT(fx_read_addr(&p, "anon", &anon), 0);
	CHECK_EQ_INT(fx_wait_line(&p, "ready"), 0);
	if (ut_failed)
		goto cleanup;

	err = symbolizer_new(p.pid, &s);
	CHECK_EQ_INT(err, 0);
	if (err)
		goto cleanup;
	check_leaf(s, leaf, prog);

	/* A return address resolves to the caller and the line of the call,
	 * with the offset of the address as captured. */
	caller = fx_addr_of("fx_caller", leaf);
	CHECK(caller != 0);
	symbolizer_frame(s, ret, true, &f);
	CHECK_EQ_STR(f.function, "fx_caller");
	CHECK_EQ_INT(f.offset, ret - caller);
	CHECK_EQ_INT(f.line, fx_line("fx_prog.c", "fx_call"));

	/* Anonymous executable memory (JIT): nothing invented. */
	symbolizer_frame(s, anon, false, &f);
	CHECK(f.function == NULL && f.module == NULL && f.file == NULL && f.line == 0);
	/* An address in no mapping at all. */
	symbolizer_frame(s, 0x10, false, &f);
	CHECK(f.function == NULL && f.module == NULL);

	/* dlopen after the snapshot: an unknown address re-reads the maps. */
	fprintf(p.in, "dlopen\n");
	CHECK_EQ_INT(fx_read_addr(&p, "dl", &dl), 0);
	symbolizer_frame(s, dl, false, &f);
	CHECK_EQ_STR(f.function, "fx_dl_func");
	CHECK_EQ_STR(fx_base(f.module), "libfx_dl.so");
	CHECK_EQ_STR(fx_base(f.file), "fx_dl.c");
	CHECK_EQ_INT(f.line, fx_line("fx_dl.c", "fx_dl_func"));

	/* A noreturn call ends its function: the return address lies past
	 * fx_noret's last byte, and only is_return_addr finds fx_noret. */
	fprintf(p.in, "noret\n");
	CHECK_EQ_INT(fx_read_addr(&p, "noret", &noret), 0);
	symbolizer_frame(s, noret, true, &f);
	CHECK_EQ_STR(f.function, "fx_noret");
	CHECK_EQ_INT(f.offset, noret - fx_addr_of("fx_noret", leaf));
	symbolizer_frame(s, noret, false, &f);
	CHECK(!f.function || strcmp(f.function, "fx_noret"));

	/* Cached: the same strings come back. */
	symbolizer_frame(s, leaf, false, &f);
	symbolizer_frame(s, leaf, false, &g);
	CHECK(f.function == g.function && f.file == g.file && f.module == g.module);

	fx_kill(&p);

	/* After exit: the old snapshot stays, modules not opened yet are
	 * opened by path. */
	CHECK_EQ_INT(symbolizer_refresh(s), -ESRCH);
	symbolizer_frame(s, lib, false, &f);
	CHECK_EQ_STR(f.function, "fx_lib_func");
	CHECK_EQ_STR(f.module, libpath);
	CHECK_EQ_STR(fx_base(f.file), "fx_lib.c");
	CHECK_EQ_INT(f.line, fx_line("fx_lib.c", "fx_lib_func"));
	check_leaf(s, leaf, prog);
	symbolizer_frame(s, ret, true, &f);
	CHECK_EQ_STR(f.function, "fx_caller");
	symbolizer_frame(s, 0x20, false, &f);
	CHECK(f.function == NULL && f.module == NULL);
	CHECK_EQ_INT(symbolizer_refresh(s), -ESRCH);
cleanup:
	symbolizer_free(s);
	fx_kill(&p);
}

static int copy_file(const char *from, const char *to)
{
	char buf[8192];
	FILE *in, *out;
	size_t n;
	int err = 0;

	in = fopen(from, "rb");
	out = fopen(to, "wb");
	if (!in || !out) {
		err = -1;
		goto cleanup;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
		if (fwrite(buf, 1, n, out) != n)
			err = -1;
	}
cleanup:
	if (in)
		fclose(in);
	if (out)
		fclose(out);
	return err;
}

/* A binary deleted while it runs is still read through map_files (root). */
UT_TEST(symbolize_deleted_binary)
{
	char tmpl[] = "/tmp/lt-deleted-XXXXXX", prog[PATH_MAX + 32], lib[PATH_MAX + 32];
	char src[PATH_MAX];
	struct symbolizer *s = NULL;
	struct fx_proc p = {};
	struct lt_frame f;
	uint64_t leaf;

	if (geteuid() != 0)
		return; /* /proc/PID/map_files needs CAP_SYS_ADMIN */
	CHECK(mkdtemp(tmpl) != NULL);
	snprintf(prog, sizeof(prog), "%s/fx_prog", tmpl);
	snprintf(lib, sizeof(lib), "%s/libfx.so", tmpl);
	CHECK_EQ_INT(copy_file(fx_path(src, sizeof(src), "fx_prog"), prog), 0);
	CHECK_EQ_INT(copy_file(fx_path(src, sizeof(src), "libfx.so"), lib), 0);
	chmod(prog, 0755);
	CHECK_EQ_INT(fx_spawn(prog, &p), 0);
	CHECK_EQ_INT(fx_read_addr(&p, "leaf", &leaf), 0);
	CHECK_EQ_INT(fx_wait_line(&p, "ready"), 0);
	unlink(prog);
	if (ut_failed)
		goto cleanup;
	CHECK_EQ_INT(symbolizer_new(p.pid, &s), 0);
	if (!s)
		goto cleanup;
	symbolizer_frame(s, leaf, false, &f);
	CHECK_EQ_STR(f.function, "fx_leaf");
	CHECK_EQ_STR(f.module, prog);
	CHECK_EQ_INT(f.line, fx_line("fx_prog.c", "fx_leaf"));
cleanup:
	symbolizer_free(s);
	fx_kill(&p);
	unlink(prog);
	unlink(lib);
	rmdir(tmpl);
}

UT_TEST(symbolize_bad_pid)
{
	struct symbolizer *s = (void *)1;

	CHECK_EQ_INT(symbolizer_new(0, &s), -EINVAL);
	CHECK(s == NULL);
	CHECK_EQ_INT(symbolizer_new(INT_MAX, &s), -ESRCH);
	CHECK(s == NULL);
	symbolizer_free(NULL);
}

/* Our own process: libc's allocator names, as reports will show them. */
UT_TEST(symbolize_self_libc)
{
	struct symbolizer *s = NULL;
	struct lt_frame f;

	CHECK_EQ_INT(symbolizer_new(getpid(), &s), 0);
	if (!s)
		return;
	symbolizer_frame(s, (uint64_t)(uintptr_t)&malloc, false, &f);
	CHECK_EQ_STR(f.function, "malloc");
	CHECK(f.module && strstr(f.module, "libc"));
	CHECK_EQ_INT(f.offset, 0);
	symbolizer_frame(s, (uint64_t)(uintptr_t)&free + 1, false, &f);
	CHECK_EQ_STR(f.function, "free");
	CHECK_EQ_INT(f.offset, 1);
	symbolizer_free(s);
}
