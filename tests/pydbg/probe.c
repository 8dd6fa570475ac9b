// SPDX-License-Identifier: MIT
/*
 * Built against one CPython's own headers (internal/ included) and linked
 * with leaktrace's _Py_DebugOffsets reader: reads the table from that
 * CPython's binary (argv[1]) and checks every offset the reader returns
 * against offsetof() from the headers of the same build. tests/pydbg/check.sh
 * runs it for pyenv's 3.13 and Debian unstable's 3.14 and 3.15.
 */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "internal/pycore_frame.h"
#include "internal/pycore_interp.h"
#include "internal/pycore_runtime.h"
#include "py_debug_offsets.h"

static int bad;

static void eq(const char *what, unsigned long got, unsigned long want)
{
	if (got != want) {
		printf("  %s: the reader says %lu, the headers %lu\n", what, got, want);
		bad = 1;
	}
}

#define EQ(field, want) eq(#field, o.field, (want))

int main(int argc, char **argv)
{
	uint8_t buf[PY_DEBUG_OFFSETS_MAX];
	struct py_debug_info info;
	struct py_offsets o;
	uint64_t vaddr;
	size_t n;
	char why[160] = "";
	const char *name = argc > 2 ? argv[2] : "pydbg";

	if (argc < 2 || py_runtime_section(argv[1], &vaddr, buf, sizeof(buf), &n) ||
	    py_debug_offsets_parse(buf, n, &o, &info, why, sizeof(why))) {
		printf("FAIL %s: cannot read the table of %s: %s\n", name, argc > 1 ? argv[1] : "?",
		       why);
		return 1;
	}
	eq("version", info.version, PY_VERSION_HEX);
	EQ(rt_interpreters_head, offsetof(_PyRuntimeState, interpreters.head));
	EQ(rt_finalizing, offsetof(_PyRuntimeState, _finalizing));
	EQ(interp_next, offsetof(PyInterpreterState, next));
	EQ(interp_threads_head, offsetof(PyInterpreterState, threads.head));
	EQ(ts_next, offsetof(PyThreadState, next));
	EQ(ts_interp, offsetof(PyThreadState, interp));
	EQ(ts_thread_id, offsetof(PyThreadState, thread_id));
	EQ(ts_native_thread_id, offsetof(PyThreadState, native_thread_id));
	EQ(ts_current_frame, offsetof(PyThreadState, current_frame));
#if PY_VERSION_HEX >= 0x030f0000
	EQ(ts_base_frame, offsetof(PyThreadState, base_frame));
#else
	EQ(ts_base_frame, 0);
#endif
	EQ(frame_back, offsetof(_PyInterpreterFrame, previous));
	EQ(frame_code, offsetof(_PyInterpreterFrame, f_executable));
	EQ(frame_instr, offsetof(_PyInterpreterFrame, instr_ptr));
	EQ(frame_owner, offsetof(_PyInterpreterFrame, owner));
#if PY_VERSION_HEX >= 0x030e0000
	EQ(owner_cstack, FRAME_OWNED_BY_INTERPRETER);
#else
	EQ(owner_cstack, FRAME_OWNED_BY_CSTACK);
#endif
	EQ(co_flags, offsetof(PyCodeObject, co_flags));
	EQ(co_argcount, offsetof(PyCodeObject, co_argcount));
	EQ(co_firstlineno, offsetof(PyCodeObject, co_firstlineno));
	EQ(co_filename, offsetof(PyCodeObject, co_filename));
	EQ(co_name, offsetof(PyCodeObject, co_name));
	EQ(co_qualname, offsetof(PyCodeObject, co_qualname));
	EQ(co_linetable, offsetof(PyCodeObject, co_linetable));
	EQ(co_code_adaptive, offsetof(PyCodeObject, co_code_adaptive));
	EQ(sizeof_code, sizeof(PyCodeObject));
	EQ(ob_type, offsetof(PyObject, ob_type));
	EQ(ob_size, offsetof(PyVarObject, ob_size));
	EQ(tp_name, offsetof(PyTypeObject, tp_name));
	EQ(tp_flags, offsetof(PyTypeObject, tp_flags));
	EQ(unicode_length, offsetof(PyASCIIObject, length));
	EQ(unicode_state, offsetof(PyASCIIObject, state));
	EQ(unicode_ascii_data, sizeof(PyASCIIObject));
	EQ(unicode_compact_data, sizeof(PyCompactUnicodeObject));
	EQ(bytes_sval, offsetof(PyBytesObject, ob_sval));
	EQ(tuple_item, offsetof(PyTupleObject, ob_item));
	printf("%s %s: %s's table agrees with its headers\n", bad ? "FAIL" : "PASS", name,
	       info.version_str);
	return bad;
}
