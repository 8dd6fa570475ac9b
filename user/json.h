/* SPDX-License-Identifier: MIT */
/* Small streaming JSON writer: commas and escaping are handled here, so
 * callers only say what comes next. Nesting up to 32 levels. */
#ifndef LT_JSON_H
#define LT_JSON_H

#include <stdint.h>
#include <stdio.h>

struct json {
	FILE *f;
	int depth;
	unsigned char first[32];	/* no element written yet at this level */
	int pretty;
	int after_key;		/* next value completes a "key": pair */
};

void json_init(struct json *j, FILE *f, int pretty);
void json_obj_begin(struct json *j);	/* { */
void json_obj_end(struct json *j);	/* } */
void json_arr_begin(struct json *j);	/* [ */
void json_arr_end(struct json *j);	/* ] */
void json_key(struct json *j, const char *key); /* "key": (then one value) */
void json_str(struct json *j, const char *s);
void json_int(struct json *j, int64_t v);
void json_uint(struct json *j, uint64_t v);
void json_double(struct json *j, double v, int decimals);
void json_bool(struct json *j, int v);
/* "key": value in one call, as bpftool's jsonw_*_field() */
void json_str_field(struct json *j, const char *key, const char *s);
void json_int_field(struct json *j, const char *key, int64_t v);
void json_uint_field(struct json *j, const char *key, uint64_t v);
void json_double_field(struct json *j, const char *key, double v, int decimals);
void json_bool_field(struct json *j, const char *key, int v);

#endif
