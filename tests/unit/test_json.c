// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include "json.h"
#include "unit.h"

/* Render with the writer into a string. */
#define RENDER(buf, pretty, body)                                                  \
	do {                                                                       \
		size_t _len;                                                       \
		char *_p = NULL;                                                   \
		FILE *_f = open_memstream(&_p, &_len);                             \
		struct json _j, *j = &_j;                                          \
		json_init(j, _f, pretty);                                          \
		body;                                                              \
		fclose(_f);                                                        \
		snprintf(buf, sizeof(buf), "%s", _p);                              \
		free(_p);                                                          \
	} while (0)

UT_TEST(json_compact_nesting)
{
	char out[512];

	RENDER(out, 0, {
		json_obj_begin(j);
		json_key(j, "version");
		json_int(j, 1);
		json_key(j, "stacks");
		json_arr_begin(j);
		json_obj_begin(j);
		json_key(j, "bytes");
		json_uint(j, 18446744073709551615ULL);
		json_key(j, "frames");
		json_arr_begin(j);
		json_arr_end(j);
		json_obj_end(j);
		json_obj_begin(j);
		json_obj_end(j);
		json_arr_end(j);
		json_key(j, "ok");
		json_bool(j, 1);
		json_key(j, "neg");
		json_int(j, -42);
		json_obj_end(j);
	});
	CHECK_EQ_STR(out, "{\"version\":1,\"stacks\":[{\"bytes\":18446744073709551615,"
			  "\"frames\":[]},{}],\"ok\":true,\"neg\":-42}");
}

UT_TEST(json_escapes)
{
	char out[256];

	RENDER(out, 0, {
		json_arr_begin(j);
		json_str(j, "a\"b\\c\nd\te\x01\x7f");
		json_str(j, NULL);
		json_str(j, "caf\xc3\xa9");
		json_arr_end(j);
	});
	CHECK_EQ_STR(out, "[\"a\\\"b\\\\c\\nd\\te\\u0001\\u007f\",\"\",\"caf\xc3\xa9\"]");
}

UT_TEST(json_doubles)
{
	char out[128];

	RENDER(out, 0, {
		json_arr_begin(j);
		json_double(j, 2.5, 1);
		json_double(j, 1.0 / 0.0, 3); /* JSON has no Inf */
		json_double(j, 0.12345, 3);
		json_arr_end(j);
	});
	CHECK_EQ_STR(out, "[2.5,0.000,0.123]");
}

UT_TEST(json_pretty)
{
	char out[256];

	RENDER(out, 1, {
		json_obj_begin(j);
		json_key(j, "a");
		json_arr_begin(j);
		json_int(j, 1);
		json_int(j, 2);
		json_arr_end(j);
		json_key(j, "b");
		json_obj_begin(j);
		json_obj_end(j);
		json_obj_end(j);
	});
	CHECK_EQ_STR(out, "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {}\n}\n");
}

/* Names from a target: valid UTF-8 kept as it is, every byte of a bad
 * sequence U+FFFD, so the document stays valid UTF-8. */
UT_TEST(json_strings_stay_valid_utf8)
{
	char out[256];

	RENDER(out, 0, {
		json_str(j, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d"); /* é € 🐍 */
	});
	CHECK_EQ_STR(out, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d\"");
	RENDER(out, 0, {
		/* lone continuation, overlong '/', a surrogate, cut short, > U+10FFFF */
		json_str(j, "a\x80" "b\xc0\xaf" "c\xed\xa0\x80" "d\xe2\x82" "e\xf4\x90\x80\x80");
	});
	CHECK_EQ_STR(out, "\"a\\ufffdb\\ufffd\\ufffdc\\ufffd\\ufffd\\ufffdd\\ufffd\\ufffde"
			  "\\ufffd\\ufffd\\ufffd\\ufffd\"");
	RENDER(out, 0, { json_str(j, "\x1b]0;x\x07"); });
	CHECK_EQ_STR(out, "\"\\u001b]0;x\\u0007\"");
}
