// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>
#include "aggregate.h"
#include "elfsym.h"
#include "python.h"
#include "stackframes.h"
#include "symbolize.h"

/*
 * A site's frames, leaf first. Native frames past the first address that
 * lies in no mapping are unwinder garbage (frame pointers through code that
 * keeps none) and are cut unless --all-frames. In a Python target the
 * interpreter's own native frames give way to the Python frames it runs
 * (kept with --native-frames): a C extension's frames, then Python's.
 */
/*
 * fr[0], a native frame, as the frames a debugger shows for it: first the
 * functions inlined at its address (innermost first, each at the line that
 * called the one before), then the function itself at the line that called
 * the outermost of them. Returns the frames written, at most room.
 */
static int expand_inlines(struct lt_out_frame *fr, int room)
{
	struct lt_frame phys = fr[0].n;
	int n = phys.ninl < room ? phys.ninl : room - 1;

	for (int j = 0; j < n; j++) {
		struct lt_frame *f = &fr[j].n;

		fr[j].python = false;
		*f = phys;
		f->function = phys.inl[j].function;
		f->linkage_name = NULL;
		f->offset = 0;
		f->inlined = true;
		if (j) {
			f->file = phys.inl[j - 1].call_file;
			f->line = phys.inl[j - 1].call_line;
		}
	}
	if (n > 0) {
		fr[n].python = false;
		fr[n].n = phys;
		fr[n].n.file = phys.inl[n - 1].call_file;
		fr[n].n.line = phys.inl[n - 1].call_line;
	}
	return n + 1;
}

int stackframes_site(const struct report_ctx *c, const struct report_info *ri,
		     const struct lt_site *s, struct lt_out_frame *fr)
{
	struct python *py = c->py ? *c->py : NULL;
	uint64_t ips[LT_MAX_STACK_DEPTH + 1];
	int n = aggregate_frames(c->agg, c->skel, s, ips, LT_MAX_STACK_DEPTH + 1), k = 0;
	/* after aggregate_frames(): the stack is cached, the pointer stable */
	const struct lt_stack *st = py ? aggregate_stack(c->agg, c->skel, s->stack_id) : NULL;
	const char *interp = py ? python_module_path(py) : NULL;
	bool with_py = st && st->py_depth > 0;

	for (int i = 0; i < n && k < LT_MAX_FRAMES - LT_MAX_PY_DEPTH; i++) {
		struct lt_out_frame *f = &fr[k];

		f->python = false;
		symbolizer_frame(c->sym, ips[i] & ~LT_IP_EXACT, !(ips[i] & LT_IP_EXACT), &f->n);
		if (!f->n.module && !ri->all_frames && k > 0)
			break;
		if (with_py && !ri->native_frames && f->n.module && !strcmp(f->n.module, interp))
			break;
		k += expand_inlines(fr + k, LT_MAX_FRAMES - LT_MAX_PY_DEPTH - k);
	}
	for (int i = 0; with_py && i < st->py_depth && i < LT_MAX_PY_DEPTH; i++) {
		if (!python_frame(py, &st->py[i], &fr[k].p))
			continue;
		fr[k++].python = true;
	}
	return k;
}

/*
 * A fault stack's frames, leaf first. A user-mode fault's leaf is the
 * faulting instruction itself (not a return address: its own line); a
 * kernel-mode one stopped in a syscall, where the libc wrapper keeps no
 * frame, so the return address at its %rsp names its caller. The rest as in
 * the leak report: unwinder garbage cut, the interpreter's frames replaced
 * by the Python frames.
 */
int stackframes_rss(const struct report_ctx *c, const struct report_info *ri,
		    const struct lt_rss_key *k, struct lt_out_frame *fr)
{
	struct python *py = c->py ? *c->py : NULL;
	const struct lt_stack *st = aggregate_stack(c->agg, c->skel, k->stack_id);
	const char *interp = py ? python_module_path(py) : NULL;
	bool with_py = st && py && st->py_depth > 0;
	uint64_t ips[LT_MAX_STACK_DEPTH + 1];
	int n = 0, nk = 0;

	if (!st || !st->depth)
		return 0;
	ips[n++] = st->ips[0];
	if (k->kernel && k->caller && (st->depth < 2 || st->ips[1] != k->caller))
		ips[n++] = k->caller;
	for (unsigned int i = 1; i < st->depth && n <= LT_MAX_STACK_DEPTH; i++)
		ips[n++] = st->ips[i];
	for (int i = 0; i < n; i++) {
		struct lt_out_frame *f = &fr[nk];
		bool inserted = k->kernel && i == 1 && ips[1] == k->caller;

		f->python = false;
		symbolizer_frame(c->sym, ips[i] & ~LT_IP_EXACT,
				 (i > 0 || k->kernel) && !(ips[i] & LT_IP_EXACT), &f->n);
		if (!f->n.module && inserted)
			continue; /* [%rsp] was no return address */
		if (!f->n.module && !ri->all_frames && nk > 0)
			break;
		if (with_py && !ri->native_frames && f->n.module && !strcmp(f->n.module, interp))
			break;
		nk++;
	}
	for (int i = 0; with_py && i < st->py_depth && i < LT_MAX_PY_DEPTH; i++) {
		if (!python_frame(py, &st->py[i], &fr[nk].p))
			continue;
		fr[nk++].python = true;
	}
	return nk;
}

void stackframes_flags(const struct report_ctx *c, uint64_t stack_id, unsigned int *flags,
		       bool *py_truncated)
{
	const struct lt_stack *st = aggregate_stack(c->agg, c->skel, stack_id);

	*flags = st ? st->flags : 0;
	*py_truncated = st && st->py_truncated;
}

struct lt_out_frame *stackframes_dup(const struct lt_out_frame *fr, int n)
{
	struct lt_out_frame *d = malloc((n ? n : 1) * sizeof(*d));

	if (d && n)
		memcpy(d, fr, n * sizeof(*d));
	return d;
}
