/* SPDX-License-Identifier: MIT */
/* The parsed options checked per mode: 0, or -EINVAL after saying what is wrong. */
#ifndef LT_CLI_CHECK_H
#define LT_CLI_CHECK_H

struct lt_env;

/* seen: the SEEN_* (cli_opt.h) of the options given. May settle values that
 * depend on the mode (-a's larger maps, continuous mode's interval). */
int cli_check(struct lt_env *env, unsigned int seen);

#endif
