// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include "log.h"

int lt_verbosity;

void lt_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > lt_verbosity)
		return;
	fputs(level < 0 ? "leaktrace: " : level == 0 ? "leaktrace: warning: " : "leaktrace: ",
	      stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}
