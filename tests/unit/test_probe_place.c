// SPDX-License-Identifier: MIT
/* Probe placement on byte fixtures (glibc 2.36 and CPython prologues, copied from objdump) and
 * on the real libc of this machine. */
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <stdlib.h>
#include <unistd.h>
#include "elfsym.h"
#include "probe_place.h"
#include "unit.h"

#define FIX_ADDR 0x98000ULL

static struct pp_result place(const uint8_t *code, size_t len, unsigned int regs, bool ret_slot)
{
	struct pp_request req = { .need_regs = regs, .need_ret_slot = ret_slot };
	struct pp_result res;
	int err;

	memset(&res, 0xaa, sizeof(res)); /* catch fields left unset */
	err = probe_place_code(code, len, FIX_ADDR, &req, &res);
	CHECK_EQ_INT(err, 0);
	return res;
}

UT_TEST(pp_glibc_malloc_push_r12)
{
	/* push %r12; push %rbp; push %rbx; mov %rdi,%rbx; sub $0x10,%rsp; cmpb $0,rip; je */
	static const uint8_t c[] = { 0x41, 0x54, 0x55, 0x53, 0x48, 0x89, 0xfb, 0x48, 0x83, 0xec,
				     0x10, 0x80, 0x3d, 0x46, 0x1b, 0x14, 0x00, 0x00, 0x0f, 0x84,
				     0xf8, 0x01, 0x00, 0x00 };
	struct pp_result r = place(c, sizeof(c), PP_RDI, true);

	CHECK_EQ_INT(r.offset, 0);
	CHECK(r.emulated);
	CHECK_EQ_STR(r.insn, "push r12");
	CHECK_EQ_STR(r.why, "");
}

UT_TEST(pp_glibc_free_je)
{
	/* test %rdi,%rdi; je +0xc8; push %rbp; lea -0x10(%rdi),%rsi; push %rbx; sub $0x18,%rsp */
	static const uint8_t c[] = { 0x48, 0x85, 0xff, 0x0f, 0x84, 0xbf, 0x00, 0x00, 0x00, 0x55,
				     0x48, 0x8d, 0x77, 0xf0, 0x53, 0x48, 0x83, 0xec, 0x18 };
	struct pp_result r = place(c, sizeof(c), PP_RDI, false);

	CHECK_EQ_INT(r.offset, 3);
	CHECK(r.emulated);
	CHECK(!strncmp(r.insn, "je ", 3));
	/* test moves no %rsp: a uretprobe could share the site */
	r = place(c, sizeof(c), PP_RDI, true);
	CHECK_EQ_INT(r.offset, 3);
}

UT_TEST(pp_glibc_posix_memalign_push)
{
	/* cmpb $0,rip; push %r12; mov %rdx,%r12; push %rbp; mov %rdi,%rbp; push %rbx; ...; je */
	static const uint8_t c[] = { 0x80, 0x3d, 0x01, 0x02, 0x14, 0x00, 0x00, 0x41, 0x54, 0x49,
				     0x89, 0xd4, 0x55, 0x48, 0x89, 0xfd, 0x53, 0x48, 0x89, 0xf3,
				     0x74, 0x5a };
	struct pp_result r = place(c, sizeof(c), PP_RDI | PP_RSI | PP_RDX, true);

	CHECK_EQ_INT(r.offset, 7);
	CHECK(r.emulated);
	CHECK_EQ_STR(r.insn, "push r12");
}

UT_TEST(pp_glibc_memalign_je)
{
	/* cmpb $0,rip; je +0x10; jmp _int_memalign; xchg %ax,%ax; sub $0x18,%rsp */
	static const uint8_t c[] = { 0x80, 0x3d, 0x71, 0x0e, 0x14, 0x00, 0x00, 0x74, 0x07, 0xe9,
				     0x32, 0xf6, 0xff, 0xff, 0x66, 0x90, 0x48, 0x83, 0xec, 0x18 };
	struct pp_result r = place(c, sizeof(c), PP_RDI | PP_RSI, true);

	CHECK_EQ_INT(r.offset, 7);
	CHECK(r.emulated);
	CHECK(!strncmp(r.insn, "je ", 3));
}

UT_TEST(pp_glibc_valloc_push_rbx)
{
	/* cmpb $0,rip; push %rbx; mov %rdi,%rbx; je */
	static const uint8_t c[] = { 0x80, 0x3d, 0x31, 0x0e, 0x14, 0x00, 0x00, 0x53, 0x48, 0x89,
				     0xfb, 0x74, 0x1b };
	struct pp_result r = place(c, sizeof(c), PP_RDI, true);

	CHECK_EQ_INT(r.offset, 7);
	CHECK(r.emulated);
	CHECK_EQ_STR(r.insn, "push rbx");
}

UT_TEST(pp_glibc_reallocarray)
{
	/* mov %rsi,%rax; mul %rdx; mov %rax,%rsi; jo +5; jmp realloc@plt */
	static const uint8_t c[] = { 0x48, 0x89, 0xf0, 0x48, 0xf7, 0xe2, 0x48, 0x89, 0xc6, 0x70,
				     0x05, 0xe9, 0x40, 0xb8, 0xf8, 0xff };
	struct pp_result r = place(c, sizeof(c), PP_RDI, false);

	/* ptr (rdi) survives to the jo; nmemb (rsi) and size (rdx) do not */
	CHECK_EQ_INT(r.offset, 9);
	CHECK(r.emulated);
	CHECK(!strncmp(r.insn, "jo ", 3));

	r = place(c, sizeof(c), PP_RDI | PP_RSI, false);
	CHECK_EQ_INT(r.offset, 0);
	CHECK(!r.emulated);
	CHECK(strstr(r.why, "rsi") != NULL);
	CHECK_EQ_STR(r.insn, "mov rax, rsi");

	/* mul writes rdx:rax */
	r = place(c, sizeof(c), PP_RDI | PP_RDX, false);
	CHECK(!r.emulated);
	CHECK(strstr(r.why, "rdx") != NULL);
}

UT_TEST(pp_cpython_malloc_js)
{
	/* PyObject_Malloc: mov %rdi,%rsi; test %rdi,%rdi; js; mov ctx(%rip),%rdi; jmp *(%rip) */
	static const uint8_t c[] = { 0x48, 0x89, 0xfe, 0x48, 0x85, 0xff, 0x78, 0x0d, 0x48, 0x8b,
				     0x3d, 0x00, 0x10, 0x00, 0x00, 0xff, 0x25, 0x00, 0x20, 0x00,
				     0x00 };
	struct pp_result r = place(c, sizeof(c), PP_RDI, false);

	/* a read of rdi (copy into rsi) is harmless; only writes disqualify */
	CHECK_EQ_INT(r.offset, 6);
	CHECK(r.emulated);
	CHECK(!strncmp(r.insn, "js ", 3));

	/* needing rsi too: it is overwritten at +0 */
	r = place(c, sizeof(c), PP_RDI | PP_RSI, false);
	CHECK(!r.emulated);
	CHECK_EQ_INT(r.offset, 0);
}

UT_TEST(pp_endbr64_then_push)
{
	/* endbr64; push %rbp; mov %rsp,%rbp */
	static const uint8_t c[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48, 0x89, 0xe5, 0xc3 };
	struct pp_result r = place(c, sizeof(c), PP_RDI | PP_RSI, true);

	CHECK(!probe_place_emulated(c, sizeof(c)));
	CHECK_EQ_INT(r.offset, 4);
	CHECK(r.emulated);
	CHECK_EQ_STR(r.insn, "push rbp");
}

UT_TEST(pp_candidates_only_after_branch)
{
	/* mov (%rdi),%rax; jmp *%rax; push %rbp; push %rbx: the pushes are not reached */
	static const uint8_t c[] = { 0x48, 0x8b, 0x07, 0xff, 0xe0, 0x55, 0x53, 0xc3 };
	struct pp_result r = place(c, sizeof(c), PP_RDI, false);

	CHECK_EQ_INT(r.offset, 0);
	CHECK(!r.emulated);
	CHECK_EQ_STR(r.insn, "mov rax, qword ptr [rdi]");
	CHECK(strstr(r.why, "branch at +3") != NULL);

	/* same after a ret */
	static const uint8_t c2[] = { 0x31, 0xc0, 0xc3, 0x55, 0xc3 };
	r = place(c2, sizeof(c2), 0, false);
	CHECK(!r.emulated);
	CHECK(strstr(r.why, "branch at +2") != NULL);
}

UT_TEST(pp_ret_slot_excludes_after_push)
{
	/* push $0 (single-stepped, moves %rsp); test %rdi,%rdi; je */
	static const uint8_t c[] = { 0x6a, 0x00, 0x48, 0x85, 0xff, 0x74, 0x05, 0x58, 0xc3 };
	struct pp_result r = place(c, sizeof(c), PP_RDI, false);

	CHECK_EQ_INT(r.offset, 5);
	CHECK(r.emulated);

	r = place(c, sizeof(c), PP_RDI, true);
	CHECK_EQ_INT(r.offset, 0);
	CHECK(!r.emulated);
	CHECK(strstr(r.why, "rsp") != NULL);

	/* sub $0x18,%rsp before the jcc: same */
	static const uint8_t c2[] = { 0x48, 0x83, 0xec, 0x18, 0x48, 0x85, 0xff, 0x74, 0x05 };
	r = place(c2, sizeof(c2), PP_RDI, true);
	CHECK(!r.emulated);
	r = place(c2, sizeof(c2), PP_RDI, false);
	CHECK_EQ_INT(r.offset, 7);
}

UT_TEST(pp_loop_back_target)
{
	/* mov (%rdi),%rax; 1: push %rbx; test %rax,%rax; jne 1b; ret
	 * The push would fire once per iteration, not once per call. */
	static const uint8_t c[] = { 0x48, 0x8b, 0x07, 0x53, 0x48, 0x85, 0xc0, 0x75, 0xfa, 0xc3 };
	struct pp_result r = place(c, sizeof(c), PP_RDI, false);

	CHECK_EQ_INT(r.offset, 0);
	CHECK(!r.emulated);
	CHECK(strstr(r.why, "branch target") != NULL);
}

UT_TEST(pp_max_scan)
{
	/* eight "mov 8(%rsi),%rax", then push %rbx at +32 */
	uint8_t c[40];
	struct pp_request req = { .need_regs = PP_RDI, .max_scan = 32 };
	struct pp_result r;
	int i;

	for (i = 0; i < 8; i++)
		memcpy(c + 4 * i, (const uint8_t[]){ 0x48, 0x8b, 0x46, 0x08 }, 4);
	c[32] = 0x53;
	c[33] = 0xc3;
	CHECK_EQ_INT(probe_place_code(c, 34, FIX_ADDR, &req, &r), 0);
	CHECK(!r.emulated);
	CHECK(strstr(r.why, "32 bytes") != NULL);
	req.max_scan = 0; /* default 64 */
	CHECK_EQ_INT(probe_place_code(c, 34, FIX_ADDR, &req, &r), 0);
	CHECK(r.emulated);
	CHECK_EQ_INT(r.offset, 32);
}

UT_TEST(pp_nop5_page_cross)
{
	/* a 5-byte nopl that is not the kernel's NOP5: only the trampoline path emulates it */
	static const uint8_t c[] = { 0x66, 0x0f, 0x1f, 0x40, 0x00, 0xc3 };
	struct pp_request req = { 0 };
	struct pp_result r;

	CHECK_EQ_INT(probe_place_code(c, sizeof(c), 0x1000, &req, &r), 0);
	CHECK(r.emulated);
	CHECK_EQ_INT(probe_place_code(c, sizeof(c), 0x1ffd, &req, &r), 0);
	CHECK(!r.emulated);
	CHECK(strstr(r.why, "page") != NULL);
}

UT_TEST(pp_bad_input)
{
	static const uint8_t c[] = { 0x55 };
	struct pp_request req = { 0 };
	struct pp_result r;

	CHECK_EQ_INT(probe_place_code(NULL, 1, 0, &req, &r), -EINVAL);
	CHECK(!r.emulated);
	CHECK_EQ_INT(r.offset, 0);
	CHECK_EQ_INT(probe_place_code(c, 0, 0, &req, &r), -EINVAL);
	CHECK_EQ_INT(probe_place_code(c, 1, 0, NULL, &r), -EINVAL);
	CHECK_EQ_INT(probe_place_code(c, 1, 0, &req, NULL), -EINVAL);
	/* undecodable bytes */
	static const uint8_t junk[] = { 0x0f, 0xff };
	CHECK_EQ_INT(probe_place_code(junk, sizeof(junk), 0, &req, &r), 0);
	CHECK(!r.emulated);
	CHECK(!probe_place_emulated(NULL, 0));
	CHECK(!probe_place_emulated(c, 0));
}

struct emu_case {
	const char *what;
	uint8_t b[11];
	uint8_t n;
	bool emulated;
};

UT_TEST(pp_emulated_table)
{
	static const struct emu_case cases[] = {
		{ "nop", { 0x90 }, 1, true },
		{ "66 nop (x86_nops[2])", { 0x66, 0x90 }, 2, true },
		{ "rep nop / pause", { 0xf3, 0x90 }, 2, true },
		{ "rex.w nop", { 0x48, 0x90 }, 2, true },
		{ "xchg %eax,%r8d: 'emulated' as a nop, unsafe", { 0x41, 0x90 }, 2, false },
		{ "nop3", { 0x0f, 0x1f, 0x00 }, 3, true },
		{ "nop4", { 0x0f, 0x1f, 0x40, 0x00 }, 4, true },
		{ "nop5", { 0x0f, 0x1f, 0x44, 0x00, 0x00 }, 5, true },
		{ "other 5-byte nopl (optimized)", { 0x66, 0x0f, 0x1f, 0x40, 0x00 }, 5, true },
		{ "nop6", { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 }, 6, true },
		{ "nop7", { 0x0f, 0x1f, 0x80, 0, 0, 0, 0 }, 7, true },
		{ "nop8", { 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0 }, 8, true },
		{ "nopw 9 (no kernel nop)", { 0x66, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0 }, 9, false },
		{ "cs nopw (2e rejected)", { 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0 }, 9, false },
		{ "66 cs nopw", { 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0 }, 10, false },
		{ "nopl 8(%rax) (inexact 4)", { 0x0f, 0x1f, 0x40, 0x08 }, 4, false },
		{ "jmp rel8", { 0xeb, 0x05 }, 2, true },
		{ "jmp rel32", { 0xe9, 1, 0, 0, 0 }, 5, true },
		{ "call rel32", { 0xe8, 1, 0, 0, 0 }, 5, true },
		{ "bnd call", { 0xf2, 0xe8, 1, 0, 0, 0 }, 6, true },
		{ "je rel8", { 0x74, 0x05 }, 2, true },
		{ "jo rel8", { 0x70, 0x05 }, 2, true },
		{ "jg rel8", { 0x7f, 0x05 }, 2, true },
		{ "je rel32", { 0x0f, 0x84, 1, 0, 0, 0 }, 6, true },
		{ "jns rel32", { 0x0f, 0x89, 1, 0, 0, 0 }, 6, true },
		{ "66 jcc (rejected)", { 0x66, 0x0f, 0x84, 1, 0 }, 5, false },
		{ "66 call (rejected)", { 0x66, 0xe8, 1, 0 }, 4, false },
		{ "ds jcc hint (rejected)", { 0x3e, 0x74, 0x05 }, 3, false },
		{ "jmp *%rax", { 0xff, 0xe0 }, 2, false },
		{ "call *%rax", { 0xff, 0xd0 }, 2, false },
		{ "ret", { 0xc3 }, 1, false },
		{ "push %rax", { 0x50 }, 1, true },
		{ "push %rbp", { 0x55 }, 1, true },
		{ "push %rdi", { 0x57 }, 1, true },
		{ "push %r8", { 0x41, 0x50 }, 2, true },
		{ "push %r15", { 0x41, 0x57 }, 2, true },
		{ "rex.w push %rax", { 0x48, 0x50 }, 2, false },
		{ "rex.wb push %r12", { 0x49, 0x54 }, 2, false },
		{ "pushw %ax", { 0x66, 0x50 }, 2, false },
		{ "push $0", { 0x6a, 0x00 }, 2, false },
		{ "pop %rbx", { 0x5b }, 1, false },
		{ "endbr64", { 0xf3, 0x0f, 0x1e, 0xfa }, 4, false },
		{ "mov %rdi,%rbx", { 0x48, 0x89, 0xfb }, 3, false },
		{ "test %rdi,%rdi", { 0x48, 0x85, 0xff }, 3, false },
		{ "sub $0x18,%rsp", { 0x48, 0x83, 0xec, 0x18 }, 4, false },
		{ "int3", { 0xcc }, 1, false },
		{ "syscall", { 0x0f, 0x05 }, 2, false },
		{ "lock add", { 0xf0, 0x48, 0x83, 0x07, 0x01 }, 5, false },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = probe_place_emulated(cases[i].b, cases[i].n);

		if (got != cases[i].emulated) {
			printf("  %s: emulated=%d, want %d\n", cases[i].what, got,
			       cases[i].emulated);
			ut_failed = 1;
		}
	}
	/* only the first instruction counts */
	CHECK(probe_place_emulated((const uint8_t[]){ 0x55, 0x48, 0x89, 0xe5 }, 4));
	CHECK(!probe_place_emulated((const uint8_t[]){ 0x48, 0x89, 0xe5, 0x55 }, 4));
}

/* A function's bytes, found with the elfsym module (.symtab, else .dynsym). */
static int read_func(const struct elfsym *es, int fd, const char *name, uint8_t **code,
		     size_t *len, uint64_t *vaddr)
{
	struct elfsym_sym sym;
	uint64_t off;
	int err;

	err = elfsym_find(es, name, &sym);
	if (err)
		return err;
	err = elfsym_vaddr_to_offset(es, sym.addr, &off);
	if (err)
		return err;
	if (!sym.size || sym.size > 1 << 20)
		return -ERANGE;
	*code = malloc(sym.size);
	if (!*code)
		return -ENOMEM;
	if (pread(fd, *code, sym.size, off) != (ssize_t)sym.size) {
		free(*code);
		return -EIO;
	}
	*len = sym.size;
	*vaddr = sym.addr;
	return 0;
}

UT_TEST(pp_real_libc)
{
	static const struct {
		const char *sym;
		unsigned int regs;
		uint64_t want;
	} cases[] = {
		{ "malloc", PP_RDI, 0 },
		{ "free", PP_RDI, 3 },
		{ "calloc", PP_RDI | PP_RSI, 0 },
		{ "realloc", PP_RDI | PP_RSI, 0 },
		{ "posix_memalign", PP_RDI | PP_RSI | PP_RDX, 7 },
	};
	const char *path = "/lib/x86_64-linux-gnu/libc.so.6";
	struct elfsym *es = NULL;
	size_t i;
	int fd, err;

	if (strcmp(gnu_get_libc_version(), "2.36")) {
		printf("  offsets are for glibc 2.36, this is %s: not checked\n",
		       gnu_get_libc_version());
		return;
	}
	err = elfsym_open(path, &es);
	CHECK_EQ_INT(err, 0);
	if (err)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	for (i = 0; fd >= 0 && i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* free gets no uretprobe, so its return slot does not matter */
		struct pp_request req = { .need_regs = cases[i].regs,
					  .need_ret_slot = strcmp(cases[i].sym, "free") != 0 };
		struct pp_result r;
		uint8_t *code = NULL;
		uint64_t vaddr = 0;
		size_t len = 0;

		err = read_func(es, fd, cases[i].sym, &code, &len, &vaddr);
		CHECK_EQ_INT(err, 0);
		if (err)
			continue;
		CHECK_EQ_INT(probe_place_code(code, len, vaddr, &req, &r), 0);
		if (r.offset != cases[i].want || !r.emulated)
			printf("  %s: +%llu %s emulated=%d (%s)\n", cases[i].sym,
			       (unsigned long long)r.offset, r.insn, r.emulated, r.why);
		CHECK_EQ_INT(r.offset, cases[i].want);
		CHECK(r.emulated);
		free(code);
	}
	if (fd >= 0)
		close(fd);
	elfsym_close(es);
}
