// SPDX-License-Identifier: MIT
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "termsafe.h"

struct ts_cookie {
	FILE *out;
	bool c2;	/* a 0xC2 byte held: the next one says if it starts a C1 control */
};

static bool is_c0(unsigned char c)
{
	return (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f;
}

/* Write n bytes of buf to out escaped; *c2: a 0xC2 byte held between calls. */
static void escape(FILE *out, const char *buf, size_t n, bool *c2)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = buf[i];

		if (*c2) {
			*c2 = false;
			if (c >= 0x80 && c <= 0x9f) { /* U+0080-U+009F */
				fprintf(out, "\\xc2\\x%02x", c);
				continue;
			}
			fputc(0xc2, out);
		}
		if (c == 0xc2)
			*c2 = true;
		else if (is_c0(c))
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
}

void termsafe_write(FILE *out, const char *s, size_t n)
{
	bool c2 = false;

	escape(out, s, n, &c2);
	if (c2)
		fputc(0xc2, out);
}

static ssize_t ts_write(void *cookie, const char *buf, size_t n)
{
	struct ts_cookie *ts = cookie;

	escape(ts->out, buf, n, &ts->c2);
	return ferror(ts->out) ? -1 : (ssize_t)n;
}

static int ts_close(void *cookie)
{
	struct ts_cookie *ts = cookie;

	if (ts->c2)
		fputc(0xc2, ts->out);
	fflush(ts->out);
	free(ts);
	return 0;
}

FILE *termsafe_open(FILE *f)
{
	cookie_io_functions_t io = { .write = ts_write, .close = ts_close };
	struct ts_cookie *ts = calloc(1, sizeof(*ts));
	FILE *s;

	if (!ts)
		return f;
	ts->out = f;
	s = fopencookie(ts, "w", io);
	if (!s) {
		free(ts);
		return f;
	}
	setvbuf(s, NULL, _IOLBF, 0);
	return s;
}
