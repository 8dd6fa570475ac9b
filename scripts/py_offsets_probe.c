// SPDX-License-Identifier: MIT
/*
 * Compiled by scripts/gen-py-offsets.sh once per installed CPython, against
 * that version's own headers (internal/ included). Prints the full version
 * on one line, then one initializer of struct py_offsets (user/py_offsets.h)
 * with every field in header order, each number followed by a comment that
 * names the member or type it was measured from:
 *
 *	3.12.1
 *		{
 *			.major = 3,
 *			.minor = 12,
 *			.rt_tss_key = 1548, (comment: _PyRuntimeState.autoTSSkey._key)
 *			.rt_tstate_current = PY_OFF_NONE,
 *			...
 *		},
 *
 * Only the choice of member per version is written here; every number comes
 * from offsetof(), sizeof() or an enum of the headers.
 */
#ifndef Py_BUILD_CORE
#define Py_BUILD_CORE 1 /* internal headers #error without it */
#endif
#include <Python.h>

#if PY_VERSION_HEX < 0x03080000 || PY_VERSION_HEX >= 0x030e0000
#error "py_offsets_probe.c knows CPython 3.8 to 3.13 only"
#endif
/* The table is for default release builds: these change object layouts. */
#if defined(Py_TRACE_REFS) || defined(Py_DEBUG) || defined(Py_GIL_DISABLED)
#error "debug or free-threaded CPython build: install a release build"
#endif

#if PY_VERSION_HEX < 0x03090000
#include "pycore_pystate.h" /* _PyRuntimeState, PyInterpreterState */
#include "frameobject.h"
#else
#include "pycore_runtime.h"
#include "pycore_interp.h"
#include "pycore_gc.h"
#if PY_VERSION_HEX < 0x030b0000
#include "frameobject.h"
#else
#include "pycore_frame.h"
#endif
#endif

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* True from major.minor on (usable in #if). */
#define V(maj, min) (PY_VERSION_HEX >= (((maj) << 24) | ((min) << 16)))

/* One ".field = value," line with "what" as its comment, which moves to the
 * line above when it would pass 100 columns (tabs count 8). */
static void emit(const char *field, size_t value, const char *what)
{
	char line[256];
	int n = snprintf(line, sizeof(line), ".%s = %zu,", field, value);

	if (!what)
		printf("\t\t%s\n", line);
	else if (16 + n + (int)strlen(what) + 7 > 100)
		printf("\t\t/* %s */\n\t\t%s\n", what, line);
	else
		printf("\t\t%s /* %s */\n", line, what);
}

#define OFF(field, type, member) emit(#field, offsetof(type, member), #type "." #member)
#define SIZE(field, type) emit(#field, sizeof(type), "sizeof(" #type ")")
#define VAL(field, val, what) emit(#field, (val), (what))
#define NONE(field) printf("\t\t.%s = PY_OFF_NONE,\n", #field)

int main(void)
{
	printf("%s\n\t{\n", PY_VERSION);
	VAL(major, PY_MAJOR_VERSION, NULL);
	VAL(minor, PY_MINOR_VERSION, NULL);

	/* _PyRuntimeState: the TSS key moved out of gilstate in 3.12. */
#if V(3, 12)
	OFF(rt_tss_key, _PyRuntimeState, autoTSSkey._key);
	OFF(rt_tss_initialized, _PyRuntimeState, autoTSSkey._is_initialized);
	NONE(rt_tstate_current);
#else
	OFF(rt_tss_key, _PyRuntimeState, gilstate.autoTSSkey._key);
	OFF(rt_tss_initialized, _PyRuntimeState, gilstate.autoTSSkey._is_initialized);
	OFF(rt_tstate_current, _PyRuntimeState, gilstate.tstate_current);
#endif
	OFF(rt_interpreters_head, _PyRuntimeState, interpreters.head);
#if V(3, 13)
	OFF(rt_debug_offsets, _PyRuntimeState, debug_offsets);
#else
	NONE(rt_debug_offsets);
#endif

#if V(3, 11)
	OFF(interp_threads_head, PyInterpreterState, threads.head);
#else
	OFF(interp_threads_head, PyInterpreterState, tstate_head);
#endif

	OFF(ts_next, PyThreadState, next);
	OFF(ts_interp, PyThreadState, interp);
	OFF(ts_thread_id, PyThreadState, thread_id);
#if V(3, 11)
	OFF(ts_native_thread_id, PyThreadState, native_thread_id);
#else
	NONE(ts_native_thread_id);
#endif
	/*
	 * 3.10 has a cframe too, but it holds no frame pointer: walkers use
	 * ts_frame there, so ts_cframe stays NONE to keep the paths disjoint.
	 */
#if V(3, 13)
	NONE(ts_frame);
	NONE(ts_cframe);
	OFF(ts_current_frame, PyThreadState, current_frame);
	NONE(cframe_current_frame);
#elif V(3, 11)
	NONE(ts_frame);
	OFF(ts_cframe, PyThreadState, cframe);
	NONE(ts_current_frame);
	OFF(cframe_current_frame, _PyCFrame, current_frame);
#else
	OFF(ts_frame, PyThreadState, frame);
	NONE(ts_cframe);
	NONE(ts_current_frame);
	NONE(cframe_current_frame);
#endif

#if V(3, 11)
	OFF(frame_back, _PyInterpreterFrame, previous);
#if V(3, 13)
	OFF(frame_code, _PyInterpreterFrame, f_executable);
#else
	OFF(frame_code, _PyInterpreterFrame, f_code);
#endif
	NONE(frame_lasti);
#if V(3, 13)
	OFF(frame_instr, _PyInterpreterFrame, instr_ptr);
#else
	OFF(frame_instr, _PyInterpreterFrame, prev_instr);
#endif
	OFF(frame_owner, _PyInterpreterFrame, owner);
#if V(3, 12)
	VAL(owner_cstack, FRAME_OWNED_BY_CSTACK, "FRAME_OWNED_BY_CSTACK");
#else
	NONE(owner_cstack);
#endif
#else
	OFF(frame_back, PyFrameObject, f_back);
	OFF(frame_code, PyFrameObject, f_code);
	OFF(frame_lasti, PyFrameObject, f_lasti);
	NONE(frame_instr);
	NONE(frame_owner);
	NONE(owner_cstack);
#endif
	/* PEP 626 made f_lasti an instruction index in 3.10; 3.11 dropped it. */
#if V(3, 10) && !V(3, 11)
	VAL(lasti_is_index, 1, "f_lasti counts code units, not bytes");
#else
	VAL(lasti_is_index, 0, NULL);
#endif

	OFF(co_argcount, PyCodeObject, co_argcount);
	OFF(co_flags, PyCodeObject, co_flags);
	OFF(co_firstlineno, PyCodeObject, co_firstlineno);
	OFF(co_filename, PyCodeObject, co_filename);
	OFF(co_name, PyCodeObject, co_name);
#if V(3, 11)
	OFF(co_qualname, PyCodeObject, co_qualname);
#else
	NONE(co_qualname);
#endif
#if V(3, 10)
	NONE(co_lnotab);
	OFF(co_linetable, PyCodeObject, co_linetable);
#else
	OFF(co_lnotab, PyCodeObject, co_lnotab);
	NONE(co_linetable);
#endif
#if V(3, 11)
	OFF(co_code_adaptive, PyCodeObject, co_code_adaptive);
	OFF(co_firsttraceable, PyCodeObject, _co_firsttraceable);
#else
	NONE(co_code_adaptive);
	NONE(co_firsttraceable);
#endif
	SIZE(sizeof_code, PyCodeObject);

	OFF(ob_type, PyObject, ob_type);
	OFF(ob_size, PyVarObject, ob_size);
	OFF(tp_name, PyTypeObject, tp_name);
	OFF(tp_basicsize, PyTypeObject, tp_basicsize);
	OFF(tp_flags, PyTypeObject, tp_flags);
	OFF(unicode_length, PyASCIIObject, length);
	OFF(unicode_state, PyASCIIObject, state);
	SIZE(unicode_ascii_data, PyASCIIObject);
	SIZE(unicode_compact_data, PyCompactUnicodeObject);
	OFF(bytes_sval, PyBytesObject, ob_sval);
	OFF(tuple_item, PyTupleObject, ob_item);
	SIZE(sizeof_gc_head, PyGC_Head);
	OFF(interp_next, PyInterpreterState, next);
#if V(3, 9)
	OFF(rt_finalizing, _PyRuntimeState, _finalizing);
#else
	OFF(rt_finalizing, _PyRuntimeState, finalizing);
#endif
	/* read from _Py_DebugOffsets only (3.15, 3.14+), never generated */
	VAL(ts_base_frame, 0, NULL);
	VAL(exec_tag, 0, NULL);
	printf("\t},\n");
	return ferror(stdout) ? 1 : 0;
}
