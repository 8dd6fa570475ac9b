// SPDX-License-Identifier: MIT
/* The table itself is generated: user/py_offsets_gen.c. */
#include "py_offsets.h"

const struct py_offsets *py_offsets_find(unsigned int major, unsigned int minor)
{
	/* Six rows; a linear scan beats anything cleverer. */
	for (size_t i = 0; i < py_offsets_count; i++) {
		const struct py_offsets *o = &py_offsets_table[i];

		if (o->major == major && o->minor == minor)
			return o;
	}
	return NULL;
}
