/* SPDX-License-Identifier: MIT */
/* --help, the man page (roff) and the bash completion, printed from an option table. */
#ifndef LT_CLI_HELP_H
#define LT_CLI_HELP_H

#include <stddef.h>
#include <stdio.h>

struct cli_opt;

void cli_help_print(FILE *f, const struct cli_opt *opts, size_t n);
void cli_help_man(FILE *f, const struct cli_opt *opts, size_t n, const char *version);
void cli_help_completion(FILE *f, const struct cli_opt *opts, size_t n);

#endif
