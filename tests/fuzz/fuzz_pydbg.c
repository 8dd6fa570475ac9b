// SPDX-License-Identifier: MIT
/* libFuzzer: _Py_DebugOffsets tables as a target could forge them. With an
 * odd first byte the input is put after a real header (cookie, a released
 * 3.13-3.15 version, not free-threaded), so the fuzzer spends its time on the
 * offsets. A table the parser accepts must hold every promise it makes:
 * each offset inside its struct. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "py_debug_offsets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[PY_DEBUG_OFFSETS_MAX] = {};
	struct py_debug_info info;
	struct py_offsets o;
	char why[160];
	size_t len;

	if (!size)
		return 0;
	if (data[0] & 1) {
		uint64_t version = 0x030d00f0 + ((uint64_t)(data[0] >> 1) % 3 << 16);

		memcpy(buf, "xdebugpy", 8);
		memcpy(buf + 8, &version, 8);
		len = size - 1 > sizeof(buf) - 24 ? sizeof(buf) - 24 : size - 1;
		memcpy(buf + 24, data + 1, len);
		len += 24;
	} else {
		len = size > sizeof(buf) ? sizeof(buf) : size;
		memcpy(buf, data, len);
	}
	if (py_debug_offsets_parse(buf, len, &o, &info, why, sizeof(why)))
		return 0;
	if (o.minor < 13 || o.minor > 15 || o.co_flags + 4 != o.co_argcount ||
	    o.frame_owner >= (1u << 24) || o.unicode_compact_data < o.unicode_ascii_data)
		abort();
	return 0;
}
