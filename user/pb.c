// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "pb.h"

enum { PB_WT_VARINT = 0, PB_WT_LEN = 2 };
#define PB_MAX_FIELD ((1u << 29) - 1)

void pb_init(struct pb *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max ? max : PB_DEFAULT_MAX;
}

void pb_free(struct pb *b)
{
	if (!b)
		return;
	free(b->buf);
	b->buf = NULL;
	b->len = b->cap = 0;
}

void pb_reset(struct pb *b)
{
	b->len = 0;
	b->err = 0;
}

size_t pb_varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Room for n more bytes: 0, or the (sticky) error. */
static int pb_room(struct pb *b, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (b->err)
		return b->err;
	if (n > b->max || b->len > b->max - n)
		return b->err = -E2BIG;
	if (b->len + n <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + n)
		cap = cap > b->max / 2 ? b->max : cap * 2;
	p = realloc(b->buf, cap);
	if (!p)
		return b->err = -ENOMEM;
	b->buf = p;
	b->cap = cap;
	return 0;
}

/* Callers reserved the room. */
static void put_varint(struct pb *b, uint64_t v)
{
	while (v >= 0x80) {
		b->buf[b->len++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b->buf[b->len++] = (uint8_t)v;
}

static int pb_tag(struct pb *b, uint32_t field, int wt, size_t more)
{
	uint64_t tag = (uint64_t)field << 3 | wt;
	int err;

	if (b->err)
		return b->err;
	if (field == 0 || field > PB_MAX_FIELD)
		return b->err = -EINVAL;
	err = pb_room(b, pb_varint_len(tag) + more);
	if (err)
		return err;
	put_varint(b, tag);
	return 0;
}

int pb_uint(struct pb *b, uint32_t field, uint64_t v)
{
	int err = pb_tag(b, field, PB_WT_VARINT, pb_varint_len(v));

	if (err)
		return err;
	put_varint(b, v);
	return 0;
}

int pb_uint_nz(struct pb *b, uint32_t field, uint64_t v)
{
	return v ? pb_uint(b, field, v) : b->err;
}

int pb_int64(struct pb *b, uint32_t field, int64_t v)
{
	return pb_uint(b, field, (uint64_t)v);
}

int pb_bool(struct pb *b, uint32_t field, int v)
{
	return pb_uint(b, field, v ? 1 : 0);
}

int pb_bytes(struct pb *b, uint32_t field, const void *p, size_t n)
{
	size_t hdr = pb_varint_len(n);
	int err;

	if (n > b->max)
		return b->err ? b->err : (b->err = -E2BIG);
	err = pb_tag(b, field, PB_WT_LEN, hdr + n);
	if (err)
		return err;
	put_varint(b, n);
	if (n)
		memcpy(b->buf + b->len, p, n);
	b->len += n;
	return 0;
}

int pb_str(struct pb *b, uint32_t field, const char *s)
{
	return pb_bytes(b, field, s ? s : "", s ? strlen(s) : 0);
}

int pb_msg(struct pb *b, uint32_t field, const struct pb *sub)
{
	if (sub->err)
		return b->err ? b->err : (b->err = sub->err);
	return pb_bytes(b, field, sub->buf, sub->len);
}

int pb_packed(struct pb *b, uint32_t field, const uint64_t *v, size_t n)
{
	size_t body = 0;
	int err;

	if (b->err || n == 0)
		return b->err;
	for (size_t i = 0; i < n; i++) {
		body += pb_varint_len(v[i]);
		if (body > b->max)
			return b->err = -E2BIG;
	}
	err = pb_tag(b, field, PB_WT_LEN, pb_varint_len(body) + body);
	if (err)
		return err;
	put_varint(b, body);
	for (size_t i = 0; i < n; i++)
		put_varint(b, v[i]);
	return 0;
}
