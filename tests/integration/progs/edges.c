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
 *   main -> bad_frame -> xmalloc                                  1 x 4444 B
 *           (bad_frame: assembly without CFI whose frame pointer leads to a
 *           return address in no mapping)
 *
 * Argument "stop CASE" (signal, alloca): only that case, and SIGSTOP right
 * after its malloc, for eu-stack to read.
 */
#include <alloca.h>
#include <signal.h>
#include "prog.h"

#define KEEP __attribute__((noipa))
#define barrier(p) __asm__ volatile("" : : "r"(p) : "memory")

void *nocfi_alloc(size_t n);  /* libnocfi.so */
void *dbgcfi_alloc(size_t n); /* libdbgcfi.so */
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
		barrier(bad_frame(4444));
	}
	prog_finish();
	return 0;
}
