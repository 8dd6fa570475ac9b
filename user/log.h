/* SPDX-License-Identifier: MIT */
/* Logging ladder: errors always, warnings unless -q, then -v/-vv. */
#ifndef LT_LOG_H
#define LT_LOG_H

extern int lt_verbosity; /* 0 = default, 1 = -v, 2 = -vv; -1 = -q (errors only) */

void lt_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define elog(...) lt_log(-1, __VA_ARGS__) /* error: "leaktrace: ..." on stderr */
#define wlog(...) lt_log(0, __VA_ARGS__)  /* warning */
#define vlog(...) lt_log(1, __VA_ARGS__)  /* -v */
#define dlog(...) lt_log(2, __VA_ARGS__)  /* -vv */

#endif
