// SPDX-License-Identifier: MIT
/* libFuzzer: CPython line tables as a target could forge them. The first
 * byte picks the format, the next 4 the instruction and 4 the first line;
 * the rest is the table. Under UBSan a signed overflow aborts; a line is
 * -1 or not negative. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "py_linetable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t pos;
	int32_t first;
	int line;

	if (size < 9)
		return 0;
	memcpy(&pos, data + 1, 4);
	memcpy(&first, data + 5, 4);
	line = py_line((enum py_lt_format)(data[0] % 3), data + 9, size - 9, first, pos);
	if (line < -1)
		abort();
	return 0;
}
