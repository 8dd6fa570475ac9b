// SPDX-License-Identifier: MIT
#include <limits.h>
#include "py_linetable.h"

/* Lines are summed in 64 bits, bounded here: a hostile table can push the
 * running line anywhere, never into signed overflow. */
#define LINE_MAX_ABS ((int64_t)1 << 40)

static int64_t bound(int64_t line)
{
	return line > LINE_MAX_ABS ? LINE_MAX_ABS : line < -LINE_MAX_ABS ? -LINE_MAX_ABS : line;
}

static int as_line(int64_t line)
{
	return line > INT_MAX || line < 0 ? -1 : (int)line;
}

/* 3.8/3.9 co_lnotab: (byte offset delta, line delta) pairs; lasti in bytes */
static int64_t line_lnotab(const uint8_t *t, size_t n, int64_t line, uint32_t lasti)
{
	uint64_t addr = 0;

	for (size_t i = 0; i + 1 < n; i += 2) {
		addr += t[i];
		if (addr > lasti)
			break;
		line = bound(line + (int8_t)t[i + 1]);
	}
	return line;
}

/* 3.10 co_linetable (PEP 626): (bytecode delta, line delta) ranges, -128 =
 * no line; lasti counts code units. */
static int64_t line_310(const uint8_t *t, size_t n, int64_t line, uint32_t lasti)
{
	uint64_t addr = (uint64_t)lasti * 2, start, end = 0;
	int64_t cur = -1;

	for (size_t i = 0; i + 1 < n; i += 2) {
		int8_t ld = (int8_t)t[i + 1];

		start = end;
		end += t[i];
		if (ld == -128) {
			cur = -1;
		} else {
			line = bound(line + ld);
			cur = line;
		}
		if (start <= addr && addr < end)
			return cur;
	}
	return -1;
}

static uint32_t varint(const uint8_t *t, size_t n, size_t *i)
{
	uint32_t v = 0, shift = 0;

	while (*i < n && shift < 32) {
		uint8_t b = t[(*i)++];

		v |= (uint32_t)(b & 63) << shift;
		shift += 6;
		if (!(b & 64))
			break;
	}
	return v;
}

static int64_t svarint(const uint8_t *t, size_t n, size_t *i)
{
	uint32_t v = varint(t, n, i);

	return v & 1 ? -(int64_t)(v >> 1) : (int64_t)(v >> 1);
}

/* 3.11+ location table (PEP 657); idx counts code units. */
static int64_t line_311(const uint8_t *t, size_t n, int64_t line, uint32_t idx)
{
	uint64_t addr = 0;
	size_t i = 0;

	while (i < n) {
		uint8_t b = t[i++];
		int code = (b >> 3) & 15, len = (b & 7) + 1;
		int64_t cur = line;

		if (code == 15) {
			cur = -1;
		} else if (code == 14) {
			line = bound(line + svarint(t, n, &i));
			cur = line;
			varint(t, n, &i);
			varint(t, n, &i);
			varint(t, n, &i);
		} else if (code == 13) {
			line = bound(line + svarint(t, n, &i));
			cur = line;
		} else if (code >= 10) {
			line += code - 10;
			cur = line;
			i += 2;
		} else {
			i += 1;
		}
		if (addr <= idx && idx < addr + (uint64_t)len)
			return cur;
		addr += len;
	}
	return -1;
}

int py_line(enum py_lt_format fmt, const uint8_t *t, size_t n, int firstlineno, uint32_t pos)
{
	switch (fmt) {
	case PY_LT_LNOTAB:
		return as_line(line_lnotab(t, n, firstlineno, pos));
	case PY_LT_310:
		return as_line(line_310(t, n, firstlineno, pos));
	default:
		return as_line(line_311(t, n, firstlineno, pos));
	}
}
