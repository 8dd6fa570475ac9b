// SPDX-License-Identifier: MIT
/*
 * The generated table (user/py_offsets_gen.c) against values measured
 * independently (notes §2.6, live _Py_DebugOffsets for 3.13), plus the
 * invariants a frame walker relies on. tests/run.sh checks separately that
 * the table is what scripts/gen-py-offsets.sh produces today.
 */
#include "leaktrace.h"
#include "py_offsets.h"
#include "unit.h"

static const struct py_offsets *row(unsigned int minor)
{
	const struct py_offsets *o = py_offsets_find(3, minor);

	CHECK(o != NULL);
	return o;
}

UT_TEST(py_offsets_table_is_38_to_313_in_order)
{
	CHECK_EQ_INT(py_offsets_count, 6);
	for (size_t i = 0; i < py_offsets_count; i++) {
		CHECK_EQ_INT(py_offsets_table[i].major, 3);
		CHECK_EQ_INT(py_offsets_table[i].minor, 8 + i);
	}
}

UT_TEST(py_offsets_find_known_and_unknown)
{
	for (unsigned int minor = 8; minor <= 13; minor++)
		CHECK(py_offsets_find(3, minor) == &py_offsets_table[minor - 8]);
	CHECK(py_offsets_find(3, 7) == NULL);
	CHECK(py_offsets_find(3, 14) == NULL);
	CHECK(py_offsets_find(2, 8) == NULL);
	CHECK(py_offsets_find(4, 8) == NULL);
}

UT_TEST(py_offsets_spot_checks)
{
	const struct py_offsets *o;

	if ((o = row(8))) {
		CHECK_EQ_INT(o->rt_tss_key, 1396);
		CHECK_EQ_INT(o->rt_tstate_current, 1368);
		CHECK_EQ_INT(o->ts_frame, 24);
		CHECK_EQ_INT(o->ts_thread_id, 176);
		CHECK_EQ_INT(o->frame_lasti, 104);
		CHECK_EQ_INT(o->co_lnotab, 120);
		CHECK_EQ_INT(o->unicode_ascii_data, 48);
	}
	if ((o = row(9))) {
		CHECK_EQ_INT(o->rt_tss_key, 588);
		CHECK_EQ_INT(o->frame_back, 24);
		CHECK_EQ_INT(o->co_filename, 104);
	}
	if ((o = row(10))) {
		CHECK_EQ_INT(o->frame_lasti, 96);
		CHECK_EQ_INT(o->co_linetable, 120);
		CHECK_EQ_INT(o->lasti_is_index, 1);
	}
	if ((o = row(11))) {
		CHECK_EQ_INT(o->rt_tss_key, 596);
		CHECK_EQ_INT(o->interp_threads_head, 16);
		CHECK_EQ_INT(o->ts_cframe, 56);
		CHECK_EQ_INT(o->cframe_current_frame, 8);
		CHECK_EQ_INT(o->frame_back, 48);
		CHECK_EQ_INT(o->frame_code, 32);
		CHECK_EQ_INT(o->frame_instr, 56);
		CHECK_EQ_INT(o->frame_owner, 69);
		CHECK_EQ_INT(o->co_qualname, 128);
		CHECK_EQ_INT(o->co_code_adaptive, 184);
		CHECK_EQ_INT(o->co_firsttraceable, 168);
	}
	if ((o = row(12))) {
		CHECK_EQ_INT(o->rt_tss_key, 1548);
		CHECK_EQ_INT(o->ts_thread_id, 136);
		CHECK_EQ_INT(o->cframe_current_frame, 0);
		CHECK_EQ_INT(o->frame_owner, 70);
		CHECK_EQ_INT(o->owner_cstack, 3);
		CHECK_EQ_INT(o->co_code_adaptive, 192);
		CHECK_EQ_INT(o->unicode_ascii_data, 40);
		CHECK_EQ_INT(o->unicode_compact_data, 56);
	}
	if ((o = row(13))) {
		CHECK_EQ_INT(o->rt_tss_key, 2164);
		CHECK_EQ_INT(o->rt_debug_offsets, 0);
		CHECK_EQ_INT(o->rt_interpreters_head, 632);
		CHECK_EQ_INT(o->interp_threads_head, 7344);
		CHECK_EQ_INT(o->ts_current_frame, 72);
		CHECK_EQ_INT(o->ts_native_thread_id, 160);
		CHECK_EQ_INT(o->frame_code, 0);
		CHECK_EQ_INT(o->frame_instr, 56);
		CHECK_EQ_INT(o->co_code_adaptive, 200);
		CHECK_EQ_INT(o->sizeof_code, 208);
	}
	for (size_t i = 0; i < py_offsets_count; i++) {
		o = &py_offsets_table[i];
		CHECK_EQ_INT(o->ob_type, 8);
		CHECK_EQ_INT(o->bytes_sval, 32);
		CHECK_EQ_INT(o->tuple_item, 24);
		CHECK_EQ_INT(o->sizeof_gc_head, 16);
	}
}

UT_TEST(py_offsets_absent_fields)
{
	const struct py_offsets *o;

	for (unsigned int minor = 8; minor <= 13; minor++) {
		if (!(o = row(minor)))
			continue;
		CHECK_EQ_INT(o->rt_tstate_current == PY_OFF_NONE, minor >= 12);
		CHECK_EQ_INT(o->rt_debug_offsets == PY_OFF_NONE, minor < 13);
		CHECK_EQ_INT(o->ts_native_thread_id == PY_OFF_NONE, minor < 11);
		CHECK_EQ_INT(o->ts_frame == PY_OFF_NONE, minor >= 11);
		CHECK_EQ_INT(o->ts_cframe == PY_OFF_NONE, minor < 11 || minor >= 13);
		CHECK_EQ_INT(o->cframe_current_frame == PY_OFF_NONE, minor < 11 || minor >= 13);
		CHECK_EQ_INT(o->ts_current_frame == PY_OFF_NONE, minor < 13);
		CHECK_EQ_INT(o->frame_lasti == PY_OFF_NONE, minor >= 11);
		CHECK_EQ_INT(o->frame_instr == PY_OFF_NONE, minor < 11);
		CHECK_EQ_INT(o->frame_owner == PY_OFF_NONE, minor < 11);
		CHECK_EQ_INT(o->owner_cstack == PY_OFF_NONE, minor < 12);
		CHECK_EQ_INT(o->co_qualname == PY_OFF_NONE, minor < 11);
		CHECK_EQ_INT(o->co_lnotab == PY_OFF_NONE, minor >= 10);
		CHECK_EQ_INT(o->co_linetable == PY_OFF_NONE, minor < 10);
		CHECK_EQ_INT(o->co_code_adaptive == PY_OFF_NONE, minor < 11);
		CHECK_EQ_INT(o->co_firsttraceable == PY_OFF_NONE, minor < 11);
		CHECK_EQ_INT(o->lasti_is_index, minor == 10);
	}
}

/* What a walker assumes without looking at the version number. */
UT_TEST(py_offsets_walker_invariants)
{
	for (size_t i = 0; i < py_offsets_count; i++) {
		const struct py_offsets *o = &py_offsets_table[i];
		int tops = (o->ts_frame != PY_OFF_NONE) + (o->ts_cframe != PY_OFF_NONE) +
			   (o->ts_current_frame != PY_OFF_NONE);
		const uint32_t code[] = { o->co_argcount, o->co_flags,	   o->co_firstlineno,
					  o->co_filename, o->co_name,	   o->co_qualname,
					  o->co_lnotab,	  o->co_linetable, o->co_code_adaptive,
					  o->co_firsttraceable };

		CHECK_EQ_INT(tops, 1); /* exactly one way to the top frame */
		/* the frame's fields come from one read of LT_PY_FRAME_WIN bytes */
		CHECK(o->frame_back <= LT_PY_FRAME_WIN - 8 && o->frame_code <= LT_PY_FRAME_WIN - 8);
		CHECK(o->frame_owner == PY_OFF_NONE || o->frame_owner <= LT_PY_FRAME_WIN - 8);
		CHECK((o->frame_lasti != PY_OFF_NONE ? o->frame_lasti : o->frame_instr) <=
		      LT_PY_FRAME_WIN - 8);
		CHECK((o->frame_lasti == PY_OFF_NONE) != (o->frame_instr == PY_OFF_NONE));
		CHECK((o->co_lnotab == PY_OFF_NONE) != (o->co_linetable == PY_OFF_NONE));
		CHECK(o->rt_tss_key == o->rt_tss_initialized + 4);
		CHECK(o->unicode_ascii_data < o->unicode_compact_data);
		for (size_t j = 0; j < sizeof(code) / sizeof(code[0]); j++)
			CHECK(code[j] == PY_OFF_NONE || code[j] < o->sizeof_code);
	}
}
