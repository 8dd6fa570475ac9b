/* SPDX-License-Identifier: MIT */
/* Output files written atomically: a temporary file in the same directory,
 * renamed over the target on commit, so a killed tracer never leaves a
 * truncated report. "-" is stdout. */
#ifndef LT_OUTPUT_H
#define LT_OUTPUT_H

#include <stdio.h>

struct output;

/* Creates the temporary file now, so an unwritable path fails at start. */
int output_open(const char *path, struct output **out);
FILE *output_file(struct output *o);
/* Flush, fsync, rename into place and free. 0 or -errno. */
int output_commit(struct output *o);
/* Remove the temporary file and free (NULL-safe). */
void output_abort(struct output *o);

#endif
