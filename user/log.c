// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include "log.h"
#include "termsafe.h"

int lt_verbosity;
static FILE *log_out; /* stderr, with a target's names made harmless */

void lt_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > lt_verbosity)
		return;
	if (!log_out)
		log_out = termsafe_open(stderr);
	fputs(level < 0 ? "leaktrace: " : level == 0 ? "leaktrace: warning: " : "leaktrace: ",
	      log_out);
	va_start(ap, fmt);
	vfprintf(log_out, fmt, ap);
	va_end(ap);
	fflush(log_out);
}
