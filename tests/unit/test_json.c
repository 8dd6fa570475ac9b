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
