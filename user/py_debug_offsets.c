// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <gelf.h>
#include <libelf.h>
#include "leaktrace.h"
#include "py_debug_offsets.h"

/* The fields leaktrace reads, each found at a per-minor index (in uint64_t
 * words) of the table. */
enum dbg_field {
	F_RT_SIZE, F_RT_FINALIZING, F_RT_INTERP_HEAD,
	F_IS_SIZE, F_IS_NEXT, F_IS_THREADS_HEAD,
	F_TS_SIZE, F_TS_NEXT, F_TS_INTERP, F_TS_CURRENT_FRAME, F_TS_BASE_FRAME, F_TS_THREAD_ID,
	F_TS_NATIVE_TID,
	F_FR_SIZE, F_FR_PREVIOUS, F_FR_EXECUTABLE, F_FR_INSTR_PTR, F_FR_OWNER,
	F_CO_SIZE, F_CO_FILENAME, F_CO_NAME, F_CO_QUALNAME, F_CO_LINETABLE, F_CO_FIRSTLINENO,
	F_CO_ARGCOUNT, F_CO_ADAPTIVE,
	F_OB_SIZE, F_OB_TYPE,
	F_TP_SIZE, F_TP_NAME, F_TP_FLAGS,
	F_TU_SIZE, F_TU_ITEM,
	F_BY_SIZE, F_BY_OB_SIZE, F_BY_SVAL,
	F_UN_SIZE, F_UN_STATE, F_UN_LENGTH, F_UN_ASCII_SIZE, F_UN_COMPACT_SIZE,
	F_MAX,
};

/* What each field is: the struct size it must fit in and its width (0: a
 * position that may equal the size, such as a trailing array). */
static const struct {
	const char *name;
	uint8_t in;		/* its struct's size field; itself for a size */
	uint8_t width;
	bool optional;		/* index 0 in a layout: the minor has none */
} fields[F_MAX] = {
	[F_RT_SIZE] = { "runtime_state.size", F_RT_SIZE },
	[F_RT_FINALIZING] = { "runtime_state.finalizing", F_RT_SIZE, 8 },
	[F_RT_INTERP_HEAD] = { "runtime_state.interpreters_head", F_RT_SIZE, 8 },
	[F_IS_SIZE] = { "interpreter_state.size", F_IS_SIZE },
	[F_IS_NEXT] = { "interpreter_state.next", F_IS_SIZE, 8 },
	[F_IS_THREADS_HEAD] = { "interpreter_state.threads_head", F_IS_SIZE, 8 },
	[F_TS_SIZE] = { "thread_state.size", F_TS_SIZE },
	[F_TS_NEXT] = { "thread_state.next", F_TS_SIZE, 8 },
	[F_TS_INTERP] = { "thread_state.interp", F_TS_SIZE, 8 },
	[F_TS_CURRENT_FRAME] = { "thread_state.current_frame", F_TS_SIZE, 8 },
	[F_TS_BASE_FRAME] = { "thread_state.base_frame", F_TS_SIZE, 8, true },
	[F_TS_THREAD_ID] = { "thread_state.thread_id", F_TS_SIZE, 8 },
	[F_TS_NATIVE_TID] = { "thread_state.native_thread_id", F_TS_SIZE, 8 },
	[F_FR_SIZE] = { "interpreter_frame.size", F_FR_SIZE },
	[F_FR_PREVIOUS] = { "interpreter_frame.previous", F_FR_SIZE, 8 },
	[F_FR_EXECUTABLE] = { "interpreter_frame.executable", F_FR_SIZE, 8 },
	[F_FR_INSTR_PTR] = { "interpreter_frame.instr_ptr", F_FR_SIZE, 8 },
	[F_FR_OWNER] = { "interpreter_frame.owner", F_FR_SIZE, 1 },
	[F_CO_SIZE] = { "code_object.size", F_CO_SIZE },
	[F_CO_FILENAME] = { "code_object.filename", F_CO_SIZE, 8 },
	[F_CO_NAME] = { "code_object.name", F_CO_SIZE, 8 },
	[F_CO_QUALNAME] = { "code_object.qualname", F_CO_SIZE, 8 },
	[F_CO_LINETABLE] = { "code_object.linetable", F_CO_SIZE, 8 },
	[F_CO_FIRSTLINENO] = { "code_object.firstlineno", F_CO_SIZE, 4 },
	[F_CO_ARGCOUNT] = { "code_object.argcount", F_CO_SIZE, 4 },
	[F_CO_ADAPTIVE] = { "code_object.co_code_adaptive", F_CO_SIZE, 0 },
	[F_OB_SIZE] = { "pyobject.size", F_OB_SIZE },
	[F_OB_TYPE] = { "pyobject.ob_type", F_OB_SIZE, 8 },
	[F_TP_SIZE] = { "type_object.size", F_TP_SIZE },
	[F_TP_NAME] = { "type_object.tp_name", F_TP_SIZE, 8 },
	[F_TP_FLAGS] = { "type_object.tp_flags", F_TP_SIZE, 8 },
	[F_TU_SIZE] = { "tuple_object.size", F_TU_SIZE },
	[F_TU_ITEM] = { "tuple_object.ob_item", F_TU_SIZE, 0 },
	[F_BY_SIZE] = { "bytes_object.size", F_BY_SIZE },
	[F_BY_OB_SIZE] = { "bytes_object.ob_size", F_BY_SIZE, 8 },
	[F_BY_SVAL] = { "bytes_object.ob_sval", F_BY_SIZE, 1 },
	[F_UN_SIZE] = { "unicode_object.size", F_UN_SIZE },
	[F_UN_STATE] = { "unicode_object.state", F_UN_SIZE, 4 },
	[F_UN_LENGTH] = { "unicode_object.length", F_UN_SIZE, 8 },
	[F_UN_ASCII_SIZE] = { "unicode_object.asciiobject_size", F_UN_SIZE, 0 },
	[F_UN_COMPACT_SIZE] = { "unicode_object.compactunicodeobject_size", F_UN_SIZE, 0, true },
};

/*
 * Word indexes per minor, from that minor's Include/internal headers
 * (pycore_runtime.h in 3.13, pycore_debug_offsets.h since 3.14); the unit
 * tests check them against real interpreters' tables and headers.
 */
struct dbg_layout {
	unsigned int minor;
	unsigned int words;	/* the table's size / 8 */
	uint8_t at[F_MAX];
};

static const struct dbg_layout layouts[] = {
	{ 13, 73, {
		[F_RT_SIZE] = 3, [F_RT_FINALIZING] = 4, [F_RT_INTERP_HEAD] = 5,
		[F_IS_SIZE] = 6, [F_IS_NEXT] = 8, [F_IS_THREADS_HEAD] = 9,
		[F_TS_SIZE] = 19, [F_TS_NEXT] = 21, [F_TS_INTERP] = 22, [F_TS_CURRENT_FRAME] = 23,
		[F_TS_THREAD_ID] = 24, [F_TS_NATIVE_TID] = 25,
		[F_FR_SIZE] = 28, [F_FR_PREVIOUS] = 29, [F_FR_EXECUTABLE] = 30,
		[F_FR_INSTR_PTR] = 31, [F_FR_OWNER] = 33,
		[F_CO_SIZE] = 34, [F_CO_FILENAME] = 35, [F_CO_NAME] = 36, [F_CO_QUALNAME] = 37,
		[F_CO_LINETABLE] = 38, [F_CO_FIRSTLINENO] = 39, [F_CO_ARGCOUNT] = 40,
		[F_CO_ADAPTIVE] = 43,
		[F_OB_SIZE] = 44, [F_OB_TYPE] = 45,
		[F_TP_SIZE] = 46, [F_TP_NAME] = 47, [F_TP_FLAGS] = 49,
		[F_TU_SIZE] = 50, [F_TU_ITEM] = 51,
		[F_BY_SIZE] = 64, [F_BY_OB_SIZE] = 65, [F_BY_SVAL] = 66,
		[F_UN_SIZE] = 67, [F_UN_STATE] = 68, [F_UN_LENGTH] = 69, [F_UN_ASCII_SIZE] = 70,
	} },
	{ 14, 95, {
		[F_RT_SIZE] = 3, [F_RT_FINALIZING] = 4, [F_RT_INTERP_HEAD] = 5,
		[F_IS_SIZE] = 6, [F_IS_NEXT] = 8, [F_IS_THREADS_HEAD] = 9,
		[F_TS_SIZE] = 22, [F_TS_NEXT] = 24, [F_TS_INTERP] = 25, [F_TS_CURRENT_FRAME] = 26,
		[F_TS_THREAD_ID] = 27, [F_TS_NATIVE_TID] = 28,
		[F_FR_SIZE] = 31, [F_FR_PREVIOUS] = 32, [F_FR_EXECUTABLE] = 33,
		[F_FR_INSTR_PTR] = 34, [F_FR_OWNER] = 36,
		[F_CO_SIZE] = 39, [F_CO_FILENAME] = 40, [F_CO_NAME] = 41, [F_CO_QUALNAME] = 42,
		[F_CO_LINETABLE] = 43, [F_CO_FIRSTLINENO] = 44, [F_CO_ARGCOUNT] = 45,
		[F_CO_ADAPTIVE] = 48,
		[F_OB_SIZE] = 50, [F_OB_TYPE] = 51,
		[F_TP_SIZE] = 52, [F_TP_NAME] = 53, [F_TP_FLAGS] = 55,
		[F_TU_SIZE] = 56, [F_TU_ITEM] = 57,
		[F_BY_SIZE] = 74, [F_BY_OB_SIZE] = 75, [F_BY_SVAL] = 76,
		[F_UN_SIZE] = 77, [F_UN_STATE] = 78, [F_UN_LENGTH] = 79, [F_UN_ASCII_SIZE] = 80,
	} },
	{ 15, 111, {
		[F_RT_SIZE] = 3, [F_RT_FINALIZING] = 4, [F_RT_INTERP_HEAD] = 5,
		[F_IS_SIZE] = 6, [F_IS_NEXT] = 8, [F_IS_THREADS_HEAD] = 9,
		[F_TS_SIZE] = 22, [F_TS_NEXT] = 24, [F_TS_INTERP] = 25, [F_TS_CURRENT_FRAME] = 26,
		[F_TS_BASE_FRAME] = 27, [F_TS_THREAD_ID] = 30, [F_TS_NATIVE_TID] = 31,
		[F_FR_SIZE] = 39, [F_FR_PREVIOUS] = 40, [F_FR_EXECUTABLE] = 41,
		[F_FR_INSTR_PTR] = 42, [F_FR_OWNER] = 44,
		[F_CO_SIZE] = 47, [F_CO_FILENAME] = 48, [F_CO_NAME] = 49, [F_CO_QUALNAME] = 50,
		[F_CO_LINETABLE] = 51, [F_CO_FIRSTLINENO] = 52, [F_CO_ARGCOUNT] = 53,
		[F_CO_ADAPTIVE] = 56,
		[F_OB_SIZE] = 58, [F_OB_TYPE] = 59,
		[F_TP_SIZE] = 60, [F_TP_NAME] = 61, [F_TP_FLAGS] = 63,
		[F_TU_SIZE] = 68, [F_TU_ITEM] = 69,
		[F_BY_SIZE] = 86, [F_BY_OB_SIZE] = 87, [F_BY_SVAL] = 88,
		[F_UN_SIZE] = 89, [F_UN_STATE] = 90, [F_UN_LENGTH] = 91, [F_UN_ASCII_SIZE] = 92,
		[F_UN_COMPACT_SIZE] = 93,
	} },
};

/* No struct leaktrace reads is anywhere near this; _PyRuntimeState is
 * ~340 KiB in 3.15. */
#define MAX_STRUCT_SIZE (16u << 20)

static int fail(int err, char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (why && len)
		vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return err;
}

static void version_str(uint64_t hex, char *buf, size_t len)
{
	static const char *const level[16] = { [0xA] = "a", [0xB] = "b", [0xC] = "rc" };
	unsigned int lv = (hex >> 4) & 0xf;

	snprintf(buf, len, "%u.%u.%u%s", (unsigned int)(hex >> 24) & 0xff,
		 (unsigned int)(hex >> 16) & 0xff, (unsigned int)(hex >> 8) & 0xff,
		 lv == 0xf ? "" : level[lv] ? level[lv] : "?");
	if (lv != 0xf && level[lv])
		snprintf(buf + strlen(buf), len - strlen(buf), "%u", (unsigned int)hex & 0xf);
}

int py_debug_offsets_parse(const void *buf, size_t len, struct py_offsets *out,
			   struct py_debug_info *info, char *why, size_t whylen)
{
	const struct dbg_layout *lay = NULL;
	uint64_t w[PY_DEBUG_OFFSETS_MAX / 8], v[F_MAX] = {};
	unsigned int minor;

	memset(info, 0, sizeof(*info));
	if (len < 24 || memcmp(buf, "xdebugpy", 8))
		return fail(-EINVAL, why, whylen, "no _Py_DebugOffsets cookie at _PyRuntime");
	if (len > sizeof(w))
		len = sizeof(w);
	memset(w, 0, sizeof(w));
	memcpy(w, buf, len);
	info->version = w[1];
	info->free_threaded = w[2] != 0;
	version_str(w[1], info->version_str, sizeof(info->version_str));
	minor = (w[1] >> 16) & 0xff;
	if ((w[1] >> 24) != 3)
		return fail(-EINVAL, why, whylen, "_Py_DebugOffsets version 0x%llx is no Python 3",
			    (unsigned long long)w[1]);
	if (info->free_threaded)
		return fail(-ENOTSUP, why, whylen, "a free-threaded build, whose frames leaktrace "
			    "does not read");
	if (((w[1] >> 4) & 0xf) != 0xf)
		return fail(-ENOTSUP, why, whylen, "a pre-release, whose layout may still change");
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		if (layouts[i].minor == minor)
			lay = &layouts[i];
	if (!lay)
		return fail(-ENOTSUP, why, whylen, "no known layout for 3.%u's table", minor);
	if (len < lay->words * 8)
		return fail(-EINVAL, why, whylen, "_Py_DebugOffsets cut short: %zu bytes of %u",
			    len, lay->words * 8);
	for (int f = 0; f < F_MAX; f++) {
		uint64_t size;

		if (!lay->at[f]) {
			if (!fields[f].optional)
				return fail(-EINVAL, why, whylen, "layout 3.%u lacks %s", minor,
					    fields[f].name);
			v[f] = PY_OFF_NONE;
			continue;
		}
		v[f] = w[lay->at[f]];
		if (fields[f].in == f) { /* a struct size */
			if (!v[f] || v[f] > MAX_STRUCT_SIZE)
				return fail(-EINVAL, why, whylen, "%s = %llu is no struct size",
					    fields[f].name, (unsigned long long)v[f]);
			continue;
		}
		size = v[fields[f].in];
		if (v[f] > size || size - v[f] < fields[f].width)
			return fail(-EINVAL, why, whylen, "%s = %llu lies outside its struct "
				    "(%llu bytes)", fields[f].name, (unsigned long long)v[f],
				    (unsigned long long)size);
	}
	/* the walker takes a frame's fields from one read of its first bytes */
	if (v[F_FR_PREVIOUS] > LT_PY_FRAME_WIN - 8 || v[F_FR_EXECUTABLE] > LT_PY_FRAME_WIN - 8 ||
	    v[F_FR_INSTR_PTR] > LT_PY_FRAME_WIN - 8 || v[F_FR_OWNER] > LT_PY_FRAME_WIN - 8)
		return fail(-ENOTSUP, why, whylen, "interpreter frame fields past byte %d",
			    LT_PY_FRAME_WIN - 8);
	/* co_flags is not published: it is the int before co_argcount in every
	 * layout since 3.11 (checked against the headers in the unit tests). */
	if (v[F_CO_ARGCOUNT] < 4)
		return fail(-EINVAL, why, whylen, "code_object.argcount = %llu: no co_flags before it",
			    (unsigned long long)v[F_CO_ARGCOUNT]);

	memset(out, 0, sizeof(*out));
	out->major = 3;
	out->minor = minor;
	out->rt_tss_key = out->rt_tss_initialized = out->rt_tstate_current = PY_OFF_NONE;
	out->rt_interpreters_head = v[F_RT_INTERP_HEAD];
	out->rt_finalizing = v[F_RT_FINALIZING];
	out->rt_debug_offsets = 0;
	out->interp_threads_head = v[F_IS_THREADS_HEAD];
	out->interp_next = v[F_IS_NEXT];
	out->ts_next = v[F_TS_NEXT];
	out->ts_interp = v[F_TS_INTERP];
	out->ts_thread_id = v[F_TS_THREAD_ID];
	out->ts_native_thread_id = v[F_TS_NATIVE_TID];
	out->ts_frame = out->ts_cframe = out->cframe_current_frame = PY_OFF_NONE;
	out->ts_current_frame = v[F_TS_CURRENT_FRAME];
	out->ts_base_frame = v[F_TS_BASE_FRAME] != PY_OFF_NONE ? v[F_TS_BASE_FRAME] : 0;
	out->frame_back = v[F_FR_PREVIOUS];
	out->frame_code = v[F_FR_EXECUTABLE];
	out->frame_lasti = PY_OFF_NONE;
	out->frame_instr = v[F_FR_INSTR_PTR];
	out->frame_owner = v[F_FR_OWNER];
	/* The first owner that is no Python frame: FRAME_OWNED_BY_CSTACK in
	 * 3.13, FRAME_OWNED_BY_INTERPRETER since 3.14 (CSTACK = 4 follows it,
	 * 3.15 drops it); not in the table. */
	out->owner_cstack = 3;
	/* 3.14+: f_executable is a _PyStackRef, its low bits a tag */
	out->exec_tag = minor >= 14 ? 3 : 0;
	out->co_argcount = v[F_CO_ARGCOUNT];
	out->co_flags = v[F_CO_ARGCOUNT] - 4;
	out->co_firstlineno = v[F_CO_FIRSTLINENO];
	out->co_filename = v[F_CO_FILENAME];
	out->co_name = v[F_CO_NAME];
	out->co_qualname = v[F_CO_QUALNAME];
	out->co_lnotab = PY_OFF_NONE;
	out->co_linetable = v[F_CO_LINETABLE];
	out->co_code_adaptive = v[F_CO_ADAPTIVE];
	out->co_firsttraceable = PY_OFF_NONE;
	out->sizeof_code = v[F_CO_SIZE];
	out->ob_type = v[F_OB_TYPE];
	out->ob_size = v[F_BY_OB_SIZE];
	out->tp_name = v[F_TP_NAME];
	out->tp_basicsize = PY_OFF_NONE;
	out->tp_flags = v[F_TP_FLAGS];
	out->unicode_length = v[F_UN_LENGTH];
	out->unicode_state = v[F_UN_STATE];
	out->unicode_ascii_data = v[F_UN_ASCII_SIZE];
	/* PyCompactUnicodeObject adds utf8_length and utf8 to PyASCIIObject */
	out->unicode_compact_data = v[F_UN_COMPACT_SIZE] != PY_OFF_NONE ? v[F_UN_COMPACT_SIZE] :
									    v[F_UN_ASCII_SIZE] + 16;
	/* a compact string's data follows its PyASCIIObject header (found by the
	 * fuzzer: a table may claim less) */
	if (out->unicode_compact_data > v[F_UN_SIZE] ||
	    out->unicode_compact_data < out->unicode_ascii_data)
		return fail(-EINVAL, why, whylen, "unicode_object: compact data outside its struct");
	out->bytes_sval = v[F_BY_SVAL];
	out->tuple_item = v[F_TU_ITEM];
	out->sizeof_gc_head = PY_OFF_NONE;
	return 0;
}

int py_runtime_section(const char *path, uint64_t *vaddr, void *buf, size_t len, size_t *got)
{
	Elf_Scn *scn = NULL;
	Elf *elf = NULL;
	struct stat st;
	size_t shstrndx;
	int fd, err = -ENOENT;

	*got = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) { /* a FIFO must not block us */
		err = -EINVAL;
		goto cleanup;
	}
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx)) {
		err = -EINVAL;
		goto cleanup;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;
		ssize_t n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".PyRuntime"))
			continue;
		if (len > sh.sh_size)
			len = sh.sh_size;
		/* pread, not elf_getdata: the section is ~300 KiB, we need 1 */
		n = pread(fd, buf, len, sh.sh_offset);
		if (n < 0) {
			err = -errno;
			goto cleanup;
		}
		*vaddr = sh.sh_addr;
		*got = n;
		err = 0;
		break;
	}
cleanup:
	elf_end(elf);
	close(fd);
	return err;
}
