// SPDX-License-Identifier: MIT
/*
 * The _Py_DebugOffsets parser on real tables (fixtures/py_debug_offsets_*.hex:
 * the first bytes of .PyRuntime in pyenv's libpython3.13.so and Debian
 * unstable's python3.14 and python3.15) and on tables broken on purpose.
 * Expected values were measured with offsetof() against each build's own
 * headers; tests/pydbg checks the same on the installed interpreters.
 */
#include <errno.h>
#include <limits.h>
#include <unistd.h>
#include <stdlib.h>
#include "leaktrace.h"
#include "py_debug_offsets.h"
#include "unit.h"

/* a fixture's bytes; 0 if unreadable */
static size_t load(const char *version, uint8_t *buf, size_t cap)
{
	char path[PATH_MAX + 64], exe[PATH_MAX], line[128];
	size_t n = 0;
	ssize_t k;
	FILE *f;

	k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (k <= 0)
		return 0;
	exe[k] = 0;
	*strrchr(exe, '/') = 0;
	snprintf(path, sizeof(path), "%s/fixtures/py_debug_offsets_%s.hex", exe, version);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		for (char *p = line; p[0] && p[1] && p[0] != '\n' && n < cap; p += 2) {
			char hex[3] = { p[0], p[1], 0 };

			buf[n++] = (uint8_t)strtoul(hex, NULL, 16);
		}
	fclose(f);
	return n;
}

static void set_word(uint8_t *buf, unsigned int i, uint64_t v)
{
	memcpy(buf + 8 * i, &v, 8);
}

static int parse(const uint8_t *buf, size_t len, struct py_offsets *o, char *why)
{
	struct py_debug_info info;

	return py_debug_offsets_parse(buf, len, o, &info, why, 160);
}

UT_TEST(py_debug_offsets_real_tables)
{
	static const struct {
		const char *version;
		size_t len;
		unsigned int minor, native_tid, base_frame, exec_tag;
	} t[] = {
		{ "3.13.0", 584, 13, 160, 0, 0 },
		{ "3.14.10", 760, 14, 160, 0, 3 },
		{ "3.15.2", 888, 15, 184, 80, 3 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t buf[PY_DEBUG_OFFSETS_MAX] = {};
		struct py_debug_info info;
		struct py_offsets o;
		char why[160] = "";
		size_t n = load(t[i].version, buf, sizeof(buf));

		CHECK_EQ_INT(n, t[i].len);
		CHECK_EQ_INT(py_debug_offsets_parse(buf, n, &o, &info, why, sizeof(why)), 0);
		CHECK_EQ_STR(info.version_str, t[i].version);
		CHECK_EQ_INT(o.minor, t[i].minor);
		CHECK_EQ_INT(o.ts_native_thread_id, t[i].native_tid);
		CHECK_EQ_INT(o.ts_base_frame, t[i].base_frame);
		CHECK_EQ_INT(o.exec_tag, t[i].exec_tag);
		/* the same in all three, as offsetof() gives them */
		CHECK_EQ_INT(o.ts_current_frame, 72);
		CHECK_EQ_INT(o.frame_code, 0);
		CHECK_EQ_INT(o.co_flags, 48);
		CHECK_EQ_INT(o.co_argcount, 52);
		CHECK_EQ_INT(o.unicode_ascii_data, 40);
		CHECK_EQ_INT(o.unicode_compact_data, 56);
		CHECK_EQ_INT(o.owner_cstack, 3);
		CHECK_EQ_INT(o.rt_tss_key, PY_OFF_NONE);
	}
}

/* 3.13: the interpreter's table and the one generated from its headers agree */
UT_TEST(py_debug_offsets_313_matches_generated)
{
	const struct py_offsets *g = py_offsets_find(3, 13);
	uint8_t buf[PY_DEBUG_OFFSETS_MAX];
	struct py_offsets o;
	char why[160];

	CHECK(g != NULL);
	if (!g)
		return;
	CHECK_EQ_INT(parse(buf, load("3.13.0", buf, sizeof(buf)), &o, why), 0);
	CHECK_EQ_INT(o.rt_interpreters_head, g->rt_interpreters_head);
	CHECK_EQ_INT(o.rt_finalizing, g->rt_finalizing);
	CHECK_EQ_INT(o.interp_threads_head, g->interp_threads_head);
	CHECK_EQ_INT(o.ts_next, g->ts_next);
	CHECK_EQ_INT(o.ts_interp, g->ts_interp);
	CHECK_EQ_INT(o.ts_thread_id, g->ts_thread_id);
	CHECK_EQ_INT(o.ts_native_thread_id, g->ts_native_thread_id);
	CHECK_EQ_INT(o.ts_current_frame, g->ts_current_frame);
	CHECK_EQ_INT(o.frame_back, g->frame_back);
	CHECK_EQ_INT(o.frame_code, g->frame_code);
	CHECK_EQ_INT(o.frame_instr, g->frame_instr);
	CHECK_EQ_INT(o.frame_owner, g->frame_owner);
	CHECK_EQ_INT(o.owner_cstack, g->owner_cstack);
	CHECK_EQ_INT(o.co_argcount, g->co_argcount);
	CHECK_EQ_INT(o.co_flags, g->co_flags);
	CHECK_EQ_INT(o.co_firstlineno, g->co_firstlineno);
	CHECK_EQ_INT(o.co_filename, g->co_filename);
	CHECK_EQ_INT(o.co_name, g->co_name);
	CHECK_EQ_INT(o.co_qualname, g->co_qualname);
	CHECK_EQ_INT(o.co_linetable, g->co_linetable);
	CHECK_EQ_INT(o.co_code_adaptive, g->co_code_adaptive);
	CHECK_EQ_INT(o.sizeof_code, g->sizeof_code);
	CHECK_EQ_INT(o.ob_type, g->ob_type);
	CHECK_EQ_INT(o.ob_size, g->ob_size);
	CHECK_EQ_INT(o.tp_name, g->tp_name);
	CHECK_EQ_INT(o.tp_flags, g->tp_flags);
	CHECK_EQ_INT(o.unicode_length, g->unicode_length);
	CHECK_EQ_INT(o.unicode_state, g->unicode_state);
	CHECK_EQ_INT(o.unicode_ascii_data, g->unicode_ascii_data);
	CHECK_EQ_INT(o.unicode_compact_data, g->unicode_compact_data);
	CHECK_EQ_INT(o.bytes_sval, g->bytes_sval);
	CHECK_EQ_INT(o.tuple_item, g->tuple_item);
}

/* Each broken table is refused with its reason, never half-read. */
UT_TEST(py_debug_offsets_refuses_bad_tables)
{
	uint8_t good[PY_DEBUG_OFFSETS_MAX], buf[PY_DEBUG_OFFSETS_MAX];
	size_t n = load("3.14.10", good, sizeof(good));
	struct py_debug_info info;
	struct py_offsets o;
	char why[160];

	CHECK_EQ_INT(n, 760);

	memcpy(buf, good, n); /* wrong cookie */
	buf[0] = 'X';
	CHECK_EQ_INT(parse(buf, n, &o, why), -EINVAL);
	CHECK(strstr(why, "cookie") != NULL);

	memcpy(buf, good, n); /* cut short: 3.14's table is 760 bytes */
	CHECK_EQ_INT(parse(buf, 700, &o, why), -EINVAL);
	CHECK(strstr(why, "cut short") != NULL);
	CHECK_EQ_INT(parse(buf, 16, &o, why), -EINVAL);

	/* thread_state.native_thread_id (word 28) past thread_state.size */
	memcpy(buf, good, n);
	set_word(buf, 28, 1 << 20);
	CHECK_EQ_INT(parse(buf, n, &o, why), -EINVAL);
	CHECK(strstr(why, "thread_state.native_thread_id") != NULL);

	/* interpreter_frame.owner (1 byte) exactly at the frame's end: outside */
	memcpy(buf, good, n);
	memcpy(&info.version, buf + 8 * 31, 8); /* interpreter_frame.size */
	set_word(buf, 36, info.version);
	CHECK_EQ_INT(parse(buf, n, &o, why), -EINVAL);
	CHECK(strstr(why, "interpreter_frame.owner") != NULL);

	/* owner inside a frame grown to 256 bytes, but past what the walker reads */
	memcpy(buf, good, n);
	set_word(buf, 31, 256);
	set_word(buf, 36, LT_PY_FRAME_WIN);
	CHECK_EQ_INT(parse(buf, n, &o, why), -ENOTSUP);
	CHECK(strstr(why, "frame fields past byte") != NULL);

	memcpy(buf, good, n); /* a struct size of 0 */
	set_word(buf, 39, 0);
	CHECK_EQ_INT(parse(buf, n, &o, why), -EINVAL);
	CHECK(strstr(why, "code_object.size") != NULL);

	memcpy(buf, good, n); /* 3.14.0b3: a pre-release */
	set_word(buf, 1, 0x030e00b3);
	CHECK_EQ_INT(py_debug_offsets_parse(buf, n, &o, &info, why, sizeof(why)), -ENOTSUP);
	CHECK(strstr(why, "pre-release") != NULL);
	CHECK_EQ_STR(info.version_str, "3.14.0b3");

	memcpy(buf, good, n); /* free-threaded (3.14t) */
	set_word(buf, 2, 1);
	CHECK_EQ_INT(py_debug_offsets_parse(buf, n, &o, &info, why, sizeof(why)), -ENOTSUP);
	CHECK(strstr(why, "free-threaded") != NULL);
	CHECK(info.free_threaded);

	memcpy(buf, good, n); /* 3.16.0: no layout known */
	set_word(buf, 1, 0x031000f0);
	CHECK_EQ_INT(py_debug_offsets_parse(buf, n, &o, &info, why, sizeof(why)), -ENOTSUP);
	CHECK(strstr(why, "3.16") != NULL);
	CHECK_EQ_STR(info.version_str, "3.16.0");
	CHECK_EQ_INT(info.version, 0x031000f0);

	/* 3.15: compact strings' data before their ASCII header ends (the fuzzer) */
	CHECK_EQ_INT(load("3.15.2", buf, sizeof(buf)), 888);
	set_word(buf, 93, 13);
	CHECK_EQ_INT(parse(buf, 888, &o, why), -EINVAL);
	CHECK(strstr(why, "compact data") != NULL);

	memcpy(buf, good, n); /* Python 4 */
	set_word(buf, 1, 0x040000f0);
	CHECK_EQ_INT(parse(buf, n, &o, why), -EINVAL);
}
