// SPDX-License-Identifier: MIT
#include <string.h>
#include <libiberty/demangle.h>
#include "demangle.h"

/* Names come from the target's files, untrusted: longer ones stay as they
 * are (the demangler bounds its recursion itself). */
#define DEMANGLE_MAX_LEN 4096

char *demangle(const char *name)
{
	/* both schemes start "_Z" or "_R"; everything else is a C name */
	if (!name || name[0] != '_' || (name[1] != 'Z' && name[1] != 'R') ||
	    strnlen(name, DEMANGLE_MAX_LEN + 1) > DEMANGLE_MAX_LEN)
		return NULL;
	/* DMGL_AUTO tells Rust's legacy names from C++'s (same prefix) */
	return cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO);
}
