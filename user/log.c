// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include "log.h"
#include "termsafe.h"

int lt_verbosity;

void lt_log(int level, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	if (level > lt_verbosity)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	fputs(level < 0 ? "leaktrace: " : level == 0 ? "leaktrace: warning: " : "leaktrace: ",
	      stderr);
	/* a target's names (comm, paths, functions) may hold escape sequences */
	termsafe_write(stderr, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}
