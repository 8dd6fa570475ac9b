/* SPDX-License-Identifier: MIT */
/*
 * Text for a terminal from names a target controls: its comm
 * (prctl(PR_SET_NAME)), its functions' and types' names, its files' paths.
 * An ESC or BEL in them would drive the user's terminal, so the text
 * reports and the log go through a stream that shows every control
 * character but newline and tab as \xNN: C0, DEL and C1 (U+0080-U+009F,
 * which some terminals obey too). JSON keeps the names (escaped there).
 */
#ifndef LT_TERMSAFE_H
#define LT_TERMSAFE_H

#include <stdio.h>

/* A stream writing the escaped text to f (not closed with it); f itself if
 * it cannot be made. Line-buffered like a terminal's stdout. */
FILE *termsafe_open(FILE *f);
/* Write n bytes of s to f escaped, at once. */
void termsafe_write(FILE *f, const char *s, size_t n);

#endif
