// SPDX-License-Identifier: MIT
/*
 * The unwinder's hard cases, built -O2 without frame pointers (Makefile):
 *
 *   main -> in_signal -> raise(SIGUSR2) ~> on_signal -> xmalloc   1 x 1111 B
 *           (a signal frame: the kernel's, then __restore_rt)
 *   main -> with_alloca -> xmalloc                                1 x 2222 B
 *           (a frame whose size is known only at run time)
 *   main -> call_nocfi -> nocfi_alloc (libnocfi.so, no CFI) -> malloc
 *                                                                 1 x 3333 B
 *   main -> call_dbgcfi -> dbgcfi_alloc (libdbgcfi.so: CFI in .debug_frame
 *           only) -> malloc                                       1 x 5555 B
 *   main -> call_dbgsep -> dbgsep_alloc (libdbgsep.so: that .debug_frame
 *           moved to a debug file, build/libdbgsep.debug) -> malloc 1 x 8888 B
 *   main -> call_mixcfi -> mixeh_outer -> mixdf_mid -> mixeh_inner -> malloc
 *           (libmixcfi.so: mixdf_mid's CFI in .debug_frame, the others'
 *           in .eh_frame)                                         1 x 9999 B
 *   main -> call_deep -> (dlopen libdeep.so) deep_a -> deep_b -> deep_c
 *           -> malloc, at once after the dlopen                  1 x 6666 B
 *   main -> call_jit -> code copied into anonymous memory (no module, no
 *           CFI; it keeps a frame pointer, as JITs do) -> malloc 1 x 7777 B
 *   main -> bad_frame -> xmalloc                                  1 x 4444 B
 *           (bad_frame: assembly without CFI whose frame pointer leads to a
 *           return address in no mapping)
 *
 * Argument "stop CASE" (signal, alloca): only that case, and SIGSTOP right
 * after its malloc, for eu-stack to read.
 */
#include <alloca.h>
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <sys/mman.h>
#include "prog.h"

#define KEEP __attribute__((noipa))
#define barrier(p) __asm__ volatile("" : : "r"(p) : "memory")

void *nocfi_alloc(size_t n);  /* libnocfi.so */
void *dbgcfi_alloc(size_t n); /* libdbgcfi.so */
void *dbgsep_alloc(size_t n); /* libdbgsep.so */
void *mixeh_outer(size_t n);  /* libmixcfi.so */
void *bad_frame(size_t n);   /* below */

static bool stop_after;

KEEP void *xmalloc(size_t n)
{
	void *p = malloc(n); /* LEAK:xmalloc */

	if (!p)
		die("out of memory\n");
	if (stop_after)
		raise(SIGSTOP);
	return p;
}

static void on_signal(int sig)
{
	barrier(xmalloc(1111));
}

KEEP void in_signal(void)
{
	raise(SIGUSR2);
	barrier(0);
}

KEEP void *with_alloca(size_t n)
{
	char *buf = alloca(n);
	void *p;

	memset(buf, 1, n);
	barrier(buf);
	p = xmalloc(2222);
	barrier(p);
	return p;
}

KEEP void *call_nocfi(size_t n)
{
	void *p = nocfi_alloc(n);

	barrier(p);
	return p;
}

KEEP void *call_dbgcfi(size_t n)
{
	void *p = dbgcfi_alloc(n);

	barrier(p);
	return p;
}

KEEP void *call_mixcfi(size_t n)
{
	void *p = mixeh_outer(n);

	barrier(p);
	return p;
}

KEEP void *call_dbgsep(size_t n)
{
	void *p = dbgsep_alloc(n);

	barrier(p);
	return p;
}

static const char *argv0;

KEEP void *call_deep(size_t n)
{
	char exe[PATH_MAX], lib[PATH_MAX + 32];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	void *(*deep_a)(size_t), *h, *p;

	/* a root without /proc (chroot): the path it was run by */
	if (len < 0)
		len = snprintf(exe, sizeof(exe), "%s", argv0);
	exe[len] = '\0';
	snprintf(lib, sizeof(lib), "%s/libdeep.so", dirname(exe));
	h = dlopen(lib, RTLD_NOW);
	if (!h || !(deep_a = (void *(*)(size_t))dlsym(h, "deep_a")))
		die("dlopen %s: %s\n", lib, dlerror());
	p = deep_a(n);
	barrier(p);
	return p;
}

/* push %rbp; mov %rsp,%rbp; movabs $malloc,%rax; call *%rax; pop %rbp; ret */
KEEP void *call_jit(size_t n)
{
	static const unsigned char code[] = { 0x55, 0x48, 0x89, 0xe5, 0x48, 0xb8, 0, 0, 0, 0, 0, 0,
					      0, 0, 0xff, 0xd0, 0x5d, 0xc3 };
	void *(*fn)(size_t);
	void *(*m)(size_t) = malloc;
	unsigned char *mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *p;

	if (mem == MAP_FAILED)
		die("mmap failed\n");
	memcpy(mem, code, sizeof(code));
	memcpy(mem + 6, &m, 8);
	fn = (void *(*)(size_t))mem;
	p = fn(n);
	barrier(p);
	return p;
}

/* rbp -> { saved rbp 0, return address 0x1dead000 }; rsp stays 16-aligned
 * at the call. No .cfi directives: the unwinder has only rbp to go on. */
__asm__(".text\n"
	".globl bad_frame\n"
	".type bad_frame, @function\n"
	"bad_frame:\n"
	"	push %rbp\n"
	"	push $0x1dead000\n"
	"	push $0\n"
	"	mov %rsp, %rbp\n"
	"	call xmalloc@PLT\n"
	"	add $16, %rsp\n"
	"	pop %rbp\n"
	"	ret\n"
	".size bad_frame, .-bad_frame\n");

int main(int argc, char **argv)
{
	const char *only = NULL;

	argv0 = argv[0];
	prog_start(argc, argv);
	if (signal(SIGUSR2, on_signal) == SIG_ERR)
		die("signal failed\n");
	if (optind + 1 < argc && !strcmp(argv[optind], "stop")) {
		stop_after = true;
		only = argv[optind + 1];
	}
	if (!only || !strcmp(only, "signal"))
		in_signal();
	if (!only || !strcmp(only, "alloca"))
		barrier(with_alloca(1000 + (size_t)argc * 8));
	if (!only) {
		barrier(call_nocfi(3333));
		barrier(call_dbgcfi(5555));
		barrier(call_deep(6666));
		barrier(call_jit(7777));
		barrier(call_dbgsep(8888));
		barrier(call_mixcfi(9999));
		barrier(bad_frame(4444));
	}
	prog_finish();
	return 0;
}
