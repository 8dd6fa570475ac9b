/* SPDX-License-Identifier: MIT */
/*
 * Shared by the integration test programs (header-only, each program is one
 * file). Output goes through write(2), never stdio: a stdio buffer is itself a
 * malloc that would show up in the tracer's report and spoil exact totals.
 *
 * Every program takes the same options:
 *   -w      attach mode: block SIGUSR1, print "ready", wait for SIGUSR1 (the go
 *           signal, sent once leaktrace prints "leaktrace: tracing"), work, print
 *           "done", then stay alive until killed so leaktrace can read its maps
 *   -x N    after the work, exit with status N (also in attach mode)
 *   -q      print nothing (the launch mode tests share leaktrace's stdout)
 * Without -w the program works at once and exits 0 (launch mode).
 */
#ifndef LT_PROG_H
#define LT_PROG_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool prog_quiet;
static bool prog_wait;
static int prog_exit_code = -1;

static void prog_write(int fd, const char *fmt, va_list ap)
{
	char buf[256];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (n > 0 && write(fd, buf, n) < 0)
		_exit(2);
}

static void say(const char *fmt, ...)
{
	va_list ap;

	if (prog_quiet)
		return;
	va_start(ap, fmt);
	prog_write(STDOUT_FILENO, fmt, ap);
	va_end(ap);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	prog_write(STDERR_FILENO, fmt, ap);
	va_end(ap);
	_exit(2);
}

/* Parses the common options; in attach mode returns once the go signal came. */
static void prog_start(int argc, char **argv)
{
	sigset_t set;
	int opt, sig;

	while ((opt = getopt(argc, argv, "wqx:")) != -1) {
		switch (opt) {
		case 'w':
			prog_wait = true;
			break;
		case 'q':
			prog_quiet = true;
			break;
		case 'x':
			prog_exit_code = atoi(optarg);
			break;
		default:
			die("usage: %s [-w] [-q] [-x STATUS]\n", argv[0]);
		}
	}
	if (!prog_wait)
		return;
	/* Blocked before "ready" is printed, so an early SIGUSR1 cannot kill us. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		die("sigprocmask failed\n");
	/* Not muted by -q: the test harness waits for this line. */
	bool quiet = prog_quiet;

	prog_quiet = false;
	say("ready pid=%d\n", (int)getpid());
	prog_quiet = quiet;
	if (sigwait(&set, &sig))
		die("sigwait failed\n");
}

/* Reports the end of the work, then exits or (attach mode) waits to be killed. */
static void prog_finish(void)
{
	say("done\n");
	if (prog_exit_code >= 0)
		exit(prog_exit_code);
	if (!prog_wait)
		exit(0);
	for (;;)
		pause();
}

#endif
