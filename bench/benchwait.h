/* SPDX-License-Identifier: MIT */
/* The bench programs' -w: block until SIGUSR1 (bench/run.sh sends it once
 * the tracer has attached by pid), saying so on stdout, which the scripts
 * wait for. */
#ifndef BENCH_WAIT_H
#define BENCH_WAIT_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

/* Prints "NAME: WHAT" and waits for SIGUSR1 (or SIGTERM too, with term:
 * a program that must not be killed before it answers). 0, or -1. */
static inline int bench_wait(const char *name, const char *what, bool term)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (term)
		sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("%s: %s\n", name, what);
	fflush(stdout);
	return sigwait(&set, &sig) ? -1 : 0;
}

#endif
