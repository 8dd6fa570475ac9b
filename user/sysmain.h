/* SPDX-License-Identifier: MIT */
/* leaktrace -a: every process on the host (main.c hands over). */
#ifndef LT_SYSMAIN_H
#define LT_SYSMAIN_H

#include "env.h"

/* Runs until stopped; the exit code. */
int sys_main(const struct lt_env *env);

#endif
