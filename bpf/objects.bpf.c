// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --objects: live CPython GC objects by type and allocating line. */
#include "lt_pywalk.bpf.h"

/* --objects: each live GC object -> its aggregate key */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);	/* sized by the loader when --objects is on */
	__type(key, __u64);
	__type(value, struct lt_obj_key);
} lt_objs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct lt_obj_key);
	__type(value, struct lt_obj_val);
} lt_objagg SEC(".maps");

/*
 * --objects. GC objects are allocated through _PyObject_GC_New(tp),
 * _PyObject_GC_NewVar(tp, n) and PyType_GenericAlloc(tp, n) (type first,
 * object returned) and released through PyObject_GC_Del(op). The tracking
 * macros are inlined in the interpreter, so PyObject_GC_Track would miss
 * most objects.
 */
SEC("uprobe")
int BPF_KPROBE(lt_gc_new, __u64 type)
{
	__u64 sp = PT_REGS_SP(ctx);
	struct lt_inflight *f;

	if (!is_target())
		return 0;
	f = inflight();
	if (!f)
		return 0;
	if (f->gc_depth > 0 && sp <= f->gc_sp) { /* GenericAlloc -> GC_New... */
		f->gc_depth++;
		return 0;
	}
	f->gc_type = type;
	f->gc_sp = sp;
	f->gc_depth = 1;
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(lt_gc_ret, __u64 obj)
{
	struct lt_obj_key k = {};
	struct lt_obj_val zero = {}, *v;
	struct lt_inflight *f;
	struct lt_stack *st;
	__u32 idx = 0;
	long err;

	if (!is_target())
		return 0;
	f = inflight();
	if (!f || f->gc_depth == 0 || --f->gc_depth > 0 || !obj)
		return 0;
	k.type = f->gc_type;
	/* PyType_GenericAlloc also serves types outside the GC, whose objects
	 * are never released through PyObject_GC_Del: leave them out. */
	if (!(read_u64(k.type + single.py.type_flags) & (1ULL << 14) /* Py_TPFLAGS_HAVE_GC */))
		return 0;
	/* the innermost Python frame names the allocating line */
	st = bpf_map_lookup_elem(&lt_scratch, &idx);
	if (st) {
		py_walk(st, 1, &single.py);
		if (st->py_depth)
			k.line = st->py[0];
	}
	err = bpf_map_update_elem(&lt_objs, &obj, &k, BPF_NOEXIST);
	if (err) { /* already counted, or the map is full */
		if (err != -17 /* EEXIST */)
			count(LT_CNT_DROP_OBJS_FULL);
		return 0;
	}
	v = lookup_or_init(&lt_objagg, &k, &zero, LT_CNT_DROP_OBJAGG_FULL);
	if (!v) {
		bpf_map_delete_elem(&lt_objs, &obj);
		return 0;
	}
	__sync_fetch_and_add(&v->live, 1);
	__sync_fetch_and_add(&v->created, 1);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(lt_gc_del, __u64 obj)
{
	struct lt_obj_key *p, k;
	struct lt_obj_val *v;

	if (!obj || !is_target())
		return 0;
	p = bpf_map_lookup_elem(&lt_objs, &obj);
	if (!p)
		return 0;
	k = *p;
	if (bpf_map_delete_elem(&lt_objs, &obj))
		return 0;
	v = bpf_map_lookup_elem(&lt_objagg, &k);
	if (v)
		__sync_fetch_and_add(&v->live, -1);
	return 0;
}
