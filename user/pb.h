/* SPDX-License-Identifier: MIT */
/*
 * Tiny protobuf writer: a growable, bounded buffer with the three encodings
 * an exporter needs (varint, length-delimited, packed repeated varint).
 * A nested message is written into its own pb buffer, then appended with
 * pb_msg(). The first error sticks in b->err and later calls do nothing,
 * so a caller may check once at the end; every call also returns it.
 * Field numbers and zero values are the caller's business: proto3 readers
 * treat an absent scalar as 0, so callers usually skip zeros (pb_uint_nz).
 */
#ifndef LT_PB_H
#define LT_PB_H

#include <stddef.h>
#include <stdint.h>

struct pb {
	uint8_t *buf;
	size_t len, cap;
	size_t max;	/* never grow past this many bytes (-E2BIG) */
	int err;	/* first error, 0 or -errno */
};

/* max: the size bound (0 means PB_DEFAULT_MAX). Allocates nothing yet. */
#define PB_DEFAULT_MAX ((size_t)1 << 30)
void pb_init(struct pb *b, size_t max);
void pb_free(struct pb *b);
/* Forget the contents (keeps the memory and clears the error). */
void pb_reset(struct pb *b);

/* Wire type 0: field with an unsigned varint. int64 values go through
 * pb_int64 (two's complement, 10 bytes when negative, as proto int64). */
int pb_uint(struct pb *b, uint32_t field, uint64_t v);
int pb_uint_nz(struct pb *b, uint32_t field, uint64_t v); /* skips 0 */
int pb_int64(struct pb *b, uint32_t field, int64_t v);
int pb_bool(struct pb *b, uint32_t field, int v);
/* Wire type 2: bytes / string (NULL is ""), always written, so it can be
 * used for repeated strings where "" matters (a string table's entry 0). */
int pb_bytes(struct pb *b, uint32_t field, const void *p, size_t n);
int pb_str(struct pb *b, uint32_t field, const char *s);
/* Embedded message: sub's bytes as a length-delimited field. */
int pb_msg(struct pb *b, uint32_t field, const struct pb *sub);
/* Packed repeated varint (uint64, or int64 cast to uint64); nothing when
 * n == 0 (an empty packed field and an absent one read the same). */
int pb_packed(struct pb *b, uint32_t field, const uint64_t *v, size_t n);

/* Bytes needed for v as a varint (1..10). */
size_t pb_varint_len(uint64_t v);

#endif
