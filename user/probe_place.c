// SPDX-License-Identifier: MIT
/*
 * Probe placement: pick the first instruction of a function that the x86 uprobe code emulates
 * (or patches into a call) instead of single-stepping, and that every call reaches with the
 * needed argument registers and, if asked, the return-address slot intact.
 *
 * The classification mirrors arch/x86/kernel/uprobes.c as of 6.18: uprobe_init_insn() rejects
 * some prefixes, branch_setup_xol_ops() emulates exact kernel NOPs, "prefix* 90", jmp, call rel32
 * and jcc (not with a 66 prefix), push_setup_xol_ops() emulates push reg (plain or with REX 41
 * only), and can_optimize() turns any 5-byte NOP/NOPL that does not cross a page into a call to
 * the uprobe trampoline. Everything else is single-stepped, which costs ~30x more in a VM.
 * Checked on a 6.18 guest with perf uprobe counters: 66 90, f3 90, 48 90, bnd call, push %r12
 * and a non-kernel 5-byte nopl run at ~0.2-0.45 us/hit; nopw9, an inexact nopl4, 48 50 and
 * endbr64 at ~14 us; 66 jcc and 3e jcc fail to register (ENOTSUPP).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <capstone/capstone.h>
#include "probe_place.h"

#define PP_DEFAULT_SCAN 64
#define PP_MAX_INSN 15
#define PP_MAX_TARGETS 64
#define PP_PAGE_SIZE 4096
#define PP_WHY_LEN sizeof(((struct pp_result *)0)->why)

enum pp_kind {
	PPK_SSTEP,	/* single-stepped out of line */
	PPK_REJECT,	/* the kernel refuses to register a uprobe here */
	PPK_UNSAFE,	/* "emulated", but wrongly: never probe it */
	PPK_NOP,	/* emulated as a NOP */
	PPK_NOP5,	/* any other 5-byte NOP: patched into a trampoline call after one hit */
	PPK_BRANCH,	/* jmp, call rel32, jcc: emulated */
	PPK_PUSH,	/* push reg: emulated */
};

/* x86_nops[1..8] for 64-bit kernels. NOP9..11 carry a 2e prefix, which
 * uprobe_init_insn() rejects before the NOP check is ever reached. */
static const uint8_t kernel_nops[9][8] = {
	[1] = { 0x90 },
	[2] = { 0x66, 0x90 },
	[3] = { 0x0f, 0x1f, 0x00 },
	[4] = { 0x0f, 0x1f, 0x40, 0x00 },
	[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	[6] = { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	[7] = { 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
	[8] = { 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
};

/* snprintf that truncates quietly: the texts are diagnostics, a cut-off tail is fine. */
static void __attribute__((format(printf, 3, 4)))
bprintf(char *buf, size_t sz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sz, fmt, ap);
	va_end(ap);
}

/* Keep the first reason only: it names the earliest site that almost qualified. */
static void __attribute__((format(printf, 2, 3))) why_once(char *why, const char *fmt, ...)
{
	va_list ap;

	if (why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(why, PP_WHY_LEN, fmt, ap);
	va_end(ap);
}

static bool is_legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
		return true;
	}
	return false;
}

/* Classify one instruction of ilen bytes (as decoded) the way the 6.18 kernel would. */
static enum pp_kind classify(const uint8_t *b, size_t ilen)
{
	bool has66 = false, legacy = false;
	uint8_t rex = 0, op;
	size_t i = 0;

	if (!ilen || ilen > PP_MAX_INSN)
		return PPK_REJECT;
	for (; i < ilen && is_legacy_prefix(b[i]); i++) {
		legacy = true;
		if (b[i] == 0x66)
			has66 = true;
		/* is_prefix_bad(): es/cs/ss/ds overrides and lock */
		if (b[i] == 0x26 || b[i] == 0x2e || b[i] == 0x36 || b[i] == 0x3e || b[i] == 0xf0)
			return PPK_REJECT;
	}
	if (i < ilen && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
	if (i >= ilen)
		return PPK_REJECT;
	op = b[i];

	if (ilen <= 8 && !memcmp(b, kernel_nops[ilen], ilen))
		return PPK_NOP;

	switch (op) {
	case 0x90:
		/* The kernel skips "prefix* 90" without looking at REX, but with REX.B
		 * it is xchg %eax,%r8d (or %rax,%r8). Seen on 6.18: a probe on "41 90"
		 * leaves both registers unswapped. */
		return rex & 1 ? PPK_UNSAFE : PPK_NOP;
	case 0xe8:
	case 0xe9:
	case 0xeb:
		return has66 ? PPK_REJECT : PPK_BRANCH;
	case 0x0f:
		if (i + 1 < ilen && b[i + 1] >= 0x80 && b[i + 1] <= 0x8f)
			return has66 ? PPK_REJECT : PPK_BRANCH;
		/* can_optimize(): 0f 1f /0 of exactly 5 bytes */
		if (ilen == 5 && i + 2 < ilen && b[i + 1] == 0x1f && !((b[i + 2] >> 3) & 7))
			return PPK_NOP5;
		return PPK_SSTEP;
	case 0x70 ... 0x7f:
		return has66 ? PPK_REJECT : PPK_BRANCH;
	case 0x50 ... 0x57:
		if (ilen == 1)
			return PPK_PUSH;
		/* push %r8..%r15 is emulated only as exactly "41 5x" */
		if (ilen == 2 && !legacy && rex == 0x41)
			return PPK_PUSH;
		return PPK_SSTEP;
	case 0xcc: /* int3 */
	case 0xcd: /* int n */
	case 0xf4: /* hlt */
		return PPK_REJECT;
	}
	return PPK_SSTEP;
}

static bool kind_emulated(enum pp_kind k)
{
	return k == PPK_NOP || k == PPK_NOP5 || k == PPK_BRANCH || k == PPK_PUSH;
}

static const char *kind_name(enum pp_kind k)
{
	switch (k) {
	case PPK_SSTEP: return "single-stepped";
	case PPK_REJECT: return "rejected by the kernel";
	case PPK_UNSAFE: return "mis-emulated as a nop";
	case PPK_NOP: return "emulated nop";
	case PPK_NOP5: return "optimized nop5";
	case PPK_BRANCH: return "emulated branch";
	case PPK_PUSH: return "emulated push";
	}
	return "?";
}

/* PP_* bit for a write to any part of an argument register, 0 otherwise. */
static unsigned int arg_reg_bit(uint16_t r)
{
	switch (r) {
	case X86_REG_RDI: case X86_REG_EDI: case X86_REG_DI: case X86_REG_DIL:
		return PP_RDI;
	case X86_REG_RSI: case X86_REG_ESI: case X86_REG_SI: case X86_REG_SIL:
		return PP_RSI;
	case X86_REG_RDX: case X86_REG_EDX: case X86_REG_DX: case X86_REG_DL: case X86_REG_DH:
		return PP_RDX;
	case X86_REG_RCX: case X86_REG_ECX: case X86_REG_CX: case X86_REG_CL: case X86_REG_CH:
		return PP_RCX;
	case X86_REG_R8: case X86_REG_R8D: case X86_REG_R8W: case X86_REG_R8B:
		return PP_R8;
	case X86_REG_R9: case X86_REG_R9D: case X86_REG_R9W: case X86_REG_R9B:
		return PP_R9;
	}
	return 0;
}

static bool is_sp_reg(uint16_t r)
{
	return r == X86_REG_RSP || r == X86_REG_ESP || r == X86_REG_SP || r == X86_REG_SPL;
}

static const char *reg_bit_name(unsigned int bit)
{
	switch (bit) {
	case PP_RDI: return "rdi";
	case PP_RSI: return "rsi";
	case PP_RDX: return "rdx";
	case PP_RCX: return "rcx";
	case PP_R8: return "r8";
	case PP_R9: return "r9";
	}
	return "?";
}

/* Control leaves the straight line here (or may trap): later instructions are not
 * reached by every call. */
static bool ends_straight_line(csh h, const cs_insn *in)
{
	if (cs_insn_group(h, in, CS_GRP_JUMP) || cs_insn_group(h, in, CS_GRP_CALL) ||
	    cs_insn_group(h, in, CS_GRP_RET) || cs_insn_group(h, in, CS_GRP_IRET) ||
	    cs_insn_group(h, in, CS_GRP_INT))
		return true;
	switch (in->id) {
	case X86_INS_SYSCALL: case X86_INS_SYSENTER: case X86_INS_UD2: case X86_INS_HLT:
	case X86_INS_INT3: case X86_INS_INT: case X86_INS_INTO:
		return true;
	}
	return false;
}

static void fmt_insn(char *buf, size_t sz, const cs_insn *in)
{
	bprintf(buf, sz, "%s%s%s", in->mnemonic, in->op_str[0] ? " " : "", in->op_str);
}

/* Direct branch targets that land inside the scanned prologue (but not on its first byte):
 * a candidate at or after such a target would fire again on the way around a loop. The whole
 * function is swept linearly; data in .text would at worst add a spurious target. */
static size_t collect_back_targets(csh h, cs_insn *in, const uint8_t *code, size_t len,
				   uint64_t addr, uint64_t scan_end, uint64_t *tgt)
{
	const uint8_t *p = code;
	uint64_t a = addr;
	size_t left = len, n = 0;

	while (n < PP_MAX_TARGETS && cs_disasm_iter(h, &p, &left, &a, in)) {
		const cs_x86 *x = &in->detail->x86;

		if (!cs_insn_group(h, in, CS_GRP_JUMP) && !cs_insn_group(h, in, CS_GRP_CALL))
			continue;
		if (x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
			continue;
		if ((uint64_t)x->operands[0].imm > addr && (uint64_t)x->operands[0].imm < scan_end)
			tgt[n++] = x->operands[0].imm;
	}
	return n;
}

/* First loop-back target at or before a (0 if none). */
static uint64_t first_target_upto(const uint64_t *tgt, size_t n, uint64_t a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tgt[i] <= a)
			return tgt[i];
	return 0;
}

static void set_fallback(struct pp_result *res, const char *insn0, const char *why)
{
	res->offset = 0;
	res->emulated = false;
	bprintf(res->insn, sizeof(res->insn), "%s", insn0);
	bprintf(res->why, sizeof(res->why), "%s", why);
}

int probe_place_code(const uint8_t *code, size_t len, uint64_t addr,
		     const struct pp_request *req, struct pp_result *res)
{
	uint64_t tgt[PP_MAX_TARGETS], a = addr, scan_end;
	char insn0[sizeof(res->insn)] = "?", why[sizeof(res->why)] = "";
	unsigned int written = 0;
	long rsp_changed = -1;
	size_t max_scan, left, ntgt;
	const uint8_t *p = code;
	cs_insn *in = NULL;
	csh h = 0;
	int err = 0;

	if (!res)
		return -EINVAL;
	set_fallback(res, "?", "no decodable instruction");
	if (!code || !len || !req)
		return -EINVAL;
	max_scan = req->max_scan ? req->max_scan : PP_DEFAULT_SCAN;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) {
		set_fallback(res, "?", "capstone: cs_open failed");
		return 0;
	}
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(h);
	if (!in) {
		err = -ENOMEM;
		goto cleanup;
	}

	scan_end = addr + (max_scan < len ? max_scan : len);
	ntgt = collect_back_targets(h, in, code, len, addr, scan_end, tgt);

	/* Decode only what the scan needs; the last instruction may run past max_scan. */
	left = len < max_scan + PP_MAX_INSN ? len : max_scan + PP_MAX_INSN;
	while (a < scan_end && cs_disasm_iter(h, &p, &left, &a, in)) {
		uint64_t off = in->address - addr;
		enum pp_kind k = classify(code + off, in->size);
		unsigned int clob;
		uint64_t t;
		uint8_t nr = 0, nw = 0;
		cs_regs rr, rw;
		char txt[sizeof(res->insn)];
		bool ok = kind_emulated(k);
		size_t i;

		fmt_insn(txt, sizeof(txt), in);
		if (!off)
			bprintf(insn0, sizeof(insn0), "%s", txt);

		/* can_optimize() cannot patch 5 bytes across a page; the first hit is
		 * single-stepped and so is every later one. */
		if (k == PPK_NOP5 && PP_PAGE_SIZE - (in->address & (PP_PAGE_SIZE - 1)) < 5) {
			ok = false;
			why_once(why, "+%lu %s crosses a page: not optimizable", (unsigned long)off,
				 txt);
		}
		clob = written & req->need_regs;
		if (ok && clob) {
			ok = false;
			why_once(why, "+%lu %s (%s): %s overwritten before it", (unsigned long)off,
				 txt, kind_name(k), reg_bit_name(clob & -clob));
		}
		if (ok && req->need_ret_slot && rsp_changed >= 0) {
			ok = false;
			why_once(why, "+%lu %s (%s): %%rsp moved at +%ld, uretprobe needs [rsp]",
				 (unsigned long)off, txt, kind_name(k), rsp_changed);
		}
		if (ok && off && (t = first_target_upto(tgt, ntgt, in->address))) {
			ok = false;
			why_once(why, "+%lu %s: +%lu is a branch target, fires twice",
				 (unsigned long)off, txt, (unsigned long)(t - addr));
		}
		if (ok) {
			res->offset = off;
			res->emulated = true;
			bprintf(res->insn, sizeof(res->insn), "%s", txt);
			res->why[0] = '\0';
			goto cleanup;
		}

		if (ends_straight_line(h, in)) {
			why_once(why, "no emulated insn before the branch at +%lu (%s)",
				 (unsigned long)off, txt);
			break;
		}
		if (cs_regs_access(h, in, rr, &nr, rw, &nw) == CS_ERR_OK) {
			for (i = 0; i < nw; i++) {
				written |= arg_reg_bit(rw[i]);
				if (is_sp_reg(rw[i]) && rsp_changed < 0)
					rsp_changed = off;
			}
		} else {
			/* Unknown side effects: assume the worst. */
			written = ~0u;
			rsp_changed = off;
		}
	}
	why_once(why, "no emulated insn in the first %lu bytes", (unsigned long)(scan_end - addr));
	set_fallback(res, insn0, why);

cleanup:
	if (in)
		cs_free(in, 1);
	cs_close(&h);
	return err;
}

bool probe_place_emulated(const uint8_t *insn, size_t len)
{
	const uint8_t *p = insn;
	size_t left = len;
	uint64_t a = 0;
	bool emu = false;
	cs_insn *in;
	csh h;

	if (!insn || !len)
		return false;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return false;
	in = cs_malloc(h);
	if (in && cs_disasm_iter(h, &p, &left, &a, in))
		emu = kind_emulated(classify(insn, in->size));
	if (in)
		cs_free(in, 1);
	cs_close(&h);
	return emu;
}
