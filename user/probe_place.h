/* SPDX-License-Identifier: MIT */
/*
 * Probe placement. A uprobe on an instruction the kernel emulates (push reg,
 * nop, jmp, jcc, call) costs ~0.7 us; any other instruction is single-stepped
 * (~25 us here). Decode the first instructions of a function with capstone and
 * pick the earliest emulated one that every call reaches with the argument
 * registers still intact.
 */
#ifndef LT_PROBE_PLACE_H
#define LT_PROBE_PLACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Argument registers (SysV x86-64) a probe needs intact. */
enum {
	PP_RDI = 1 << 0,
	PP_RSI = 1 << 1,
	PP_RDX = 1 << 2,
	PP_RCX = 1 << 3,
	PP_R8 = 1 << 4,
	PP_R9 = 1 << 5,
};

struct pp_request {
	unsigned int need_regs;	/* PP_* that must hold the caller's values */
	bool need_ret_slot;	/* a uretprobe shares the site: %rsp must still point
				 * at the return address (no push/sub before it) */
	size_t max_scan;	/* bytes to decode from the start (0: 64) */
};

struct pp_result {
	uint64_t offset;	/* chosen offset from function start */
	bool emulated;		/* false: fell back to +0 (single-stepped) */
	char insn[64];		/* chosen instruction, e.g. "je 0x..." */
	char why[128];		/* on fallback: why no emulated site qualified */
};

/* Decide for code bytes of one function (code[0] is the function start,
 * which sits at vaddr `addr`). Always fills res (fallback: offset 0,
 * emulated=false). 0, or -EINVAL on bad input. */
int probe_place_code(const uint8_t *code, size_t len, uint64_t addr,
		     const struct pp_request *req, struct pp_result *res);
/* True if the kernel (6.x x86) emulates a uprobe on this instruction
 * instead of single-stepping it. */
bool probe_place_emulated(const uint8_t *insn, size_t len);

#endif
